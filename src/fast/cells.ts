/**
 * Aggregation cells of the fast recording path, and the per-stream
 * cardinality bookkeeping that reproduces the SDK's exactly.
 *
 * The SDK (sdk-metrics 3.1, DeltaMetricProcessor) caps the attribute sets a
 * stream may touch between two collections at `limit - 1`; a recording that
 * would touch one more goes to the `{otel.metric.overflow: true}` series
 * instead (which itself counts as touched). Collections reset the count
 * (each reader's collection drains the delta storage), and cumulative output
 * keeps every series ever created. A cell here remembers the collection
 * cycle it was last touched in, so the check is one integer comparison.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';

/** The attribute set of the SDK's cardinality-limit overflow series. */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true }) as Attributes;

/**
 * What every cell has: its exported attributes, start time and last touched
 * cycle, and its floating-point sum kept as the SDK keeps it. The SDK sums a
 * collection cycle's values into a fresh accumulation (`delta`), then adds
 * that to each reader's unreported total (`pending[reader]`), which the
 * reader adds to its cumulative total (`cumulative[reader]`) when it
 * collects. Floating-point addition is not associative, so doing the same
 * additions in the same order is what makes the exported sums bit-identical.
 * Integer counts (histogram counts, buckets) and min/max need no such care.
 */
export abstract class Cell {
  delta = 0;
  readonly pending: number[] = [];
  readonly cumulative: number[] = [];
  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    public cycle: number,
  ) {}

  /** A reader collects: this cycle's delta goes to every reader's pending total (`readers` of them). */
  stash(readers: number): void {
    const delta = this.delta;
    this.delta = 0;
    const pending = this.pending;
    for (let r = 0; r < readers; r++) pending[r] = (pending[r] ?? 0) + delta;
  }

  /** Reader `reader`'s cumulative sum, after adding what it had not seen yet. */
  report(reader: number): number {
    const total = (this.cumulative[reader] ?? 0) + (this.pending[reader] ?? 0);
    this.cumulative[reader] = total;
    this.pending[reader] = 0;
    return total;
  }
}

/** A counter cell: `delta` is the value added in this cycle. */
export class SumCell extends Cell {}

/** A histogram cell: `delta` is this cycle's sum; counts, min and max are cumulative. */
export class HistogramCell extends Cell {
  count = 0;
  min = Infinity;
  max = -Infinity;
  hasMinMax = false;
  readonly counts: number[];
  constructor(attributes: Attributes, startTime: HrTime, cycle: number, buckets: number) {
    super(attributes, startTime, cycle);
    this.counts = new Array<number>(buckets).fill(0);
  }
}

/** One exported stream (a view's worth): its cells and its cardinality state. */
export class StreamState<C extends Cell> {
  /** Collection cycle: bumped by every collection (any reader), like the SDK's delta storage swap. */
  cycle = 0;
  /** Distinct cells touched in this cycle (the SDK's active storage size). */
  touched = 0;
  /** `limit - 1`, the SDK's `_cardinalityLimit`. */
  readonly max: number;
  overflow: C | undefined;
  /** Every cell ever created, in creation order (the cumulative output). */
  readonly cells: C[] = [];

  constructor(
    limit: number,
    private readonly create: (attributes: Attributes, startTime: HrTime, cycle: number) => C,
  ) {
    this.max = limit - 1;
  }

  /** True when an attribute set not touched in this cycle may still get its own cell. */
  hasRoom(): boolean {
    return this.touched < this.max;
  }

  /** A new cell, touched in this cycle (the caller checked `hasRoom`). */
  newCell(attributes: Attributes): C {
    // The SDK's clock (performance.timeOrigin + now()), so start times agree with the views path's.
    const cell = this.create(attributes, hrTime(), this.cycle);
    this.cells.push(cell);
    this.touched++;
    return cell;
  }

  /** Mark an existing cell touched in this cycle (the caller checked `hasRoom`). */
  touch(cell: C): void {
    cell.cycle = this.cycle;
    this.touched++;
  }

  /** The overflow cell, touched in this cycle (created on first use; the SDK adds it whatever the count). */
  overflowCell(): C {
    let cell = this.overflow;
    if (cell === undefined) {
      cell = this.overflow = this.newCell(OVERFLOW_ATTRIBUTES);
    } else if (cell.cycle !== this.cycle) {
      this.touch(cell);
    }
    return cell;
  }

  /** A collection happened: a new cycle starts with nothing touched. */
  advance(): void {
    this.cycle++;
    this.touched = 0;
  }
}

/** The SDK's bucket search (utils.binarySearchUB): the first boundary ≥ value, or the overflow bucket. */
export function bucketIndex(boundaries: readonly number[], value: number): number {
  let lo = 0;
  // Stryker disable next-line ArithmeticOperator: equivalent, an index past the end reads undefined, which compares like +Infinity here
  let hi = boundaries.length - 1;
  let ret = boundaries.length;
  while (hi >= lo) {
    const mid = lo + ((hi - lo) >> 1);
    if (boundaries[mid]! < value) {
      lo = mid + 1;
    } else {
      ret = mid;
      hi = mid - 1;
    }
  }
  return ret;
}
