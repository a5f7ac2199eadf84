/**
 * OTel-API-shaped instruments of the fast path: `add`/`record` find the label
 * tuple's pre-created cells for both streams (baseline, and `_by_workspace`
 * keyed by the policy-resolved workspace value) and update them in place.
 * No attribute object is built, sorted or JSON-hashed per recording; the
 * workspace value comes from `WorkspacePolicy.resolve`, called once per
 * recording per workspace stream with the stream's fold counter, exactly as
 * the views path's attribute processor calls it.
 *
 * Input handling mirrors the SDK's instruments: a negative value (counter,
 * histogram) or a non-number is dropped with a `diag.warn`; NaN adds NaN to
 * a sum and is skipped by a histogram (after its cell exists), as in the SDK.
 */
import { diag, ValueType, type Attributes, type Context, type Counter, type Histogram, type HrTime, type MetricAttributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type HistogramMetricData,
  type MetricData,
  type MetricDescriptor,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { HistogramCell, StreamState, SumCell, bucketIndex, type Cell } from './cells';
import { TupleIndex, type Tuple } from './tuples';
import { pickDeclared, withRules, type ValueRules } from '../policy/attributes-processors';
import type { FoldCounter, WorkspacePolicy } from '../policy/workspace-policy';

const EMPTY: Attributes = Object.freeze({}) as Attributes;

/** One stream's export shape, as the SDK derives it from a view. */
export interface StreamSpec {
  descriptor: MetricDescriptor;
  cardinalityLimit: number;
}

export interface WorkspaceStreamSpec extends StreamSpec {
  policy: WorkspacePolicy;
  /** The policy's fold counter for this stream (the same one the views path uses). */
  fold: FoldCounter | undefined;
}

export interface InstrumentSpec {
  /** Instrument name (for warnings, as the SDK words them). */
  name: string;
  /** Declared label keys, in order. */
  labels: readonly string[];
  /** The views' value rules for these keys (undefined: none). */
  rules?: ValueRules;
  baseline: StreamSpec;
  workspace: WorkspaceStreamSpec | undefined;
}

/** Shared by counters and histograms: tuple lookup, the rare (slow) cell paths, collection. */
abstract class FastInstrument<C extends Cell> {
  protected readonly index: TupleIndex<C>;
  protected readonly base: StreamState<C>;
  protected readonly ws: StreamState<C> | undefined;
  protected readonly policy: WorkspacePolicy | undefined;
  protected readonly fold: FoldCounter | undefined;
  protected readonly label: string;
  protected readonly name: string;
  protected readonly keys: readonly string[];
  /** The label tuple found by the last `baseCell()` call (undefined: overflow). */
  private tuple: Tuple<C> | undefined = undefined;

  constructor(
    protected readonly spec: InstrumentSpec,
    create: (attributes: Attributes, startTime: HrTime, cycle: number) => C,
  ) {
    this.name = spec.name;
    this.keys = [...spec.labels];
    this.index = new TupleIndex<C>(this.keys);
    this.base = new StreamState<C>(spec.baseline.cardinalityLimit, create);
    this.ws = spec.workspace === undefined ? undefined : new StreamState<C>(spec.workspace.cardinalityLimit, create);
    this.policy = spec.workspace?.policy;
    this.fold = spec.workspace?.fold;
    // Stryker disable next-line StringLiteral: equivalent, the label is read only when there is a workspace stream
    this.label = spec.workspace?.policy.labelName ?? '';
  }

  /**
   * Whether `value` may be recorded; if not, warns as the SDK does (a negative
   * value, then a non-number) and the recording is dropped. Hot path.
   */
  protected accepts(value: number, what: 'counter' | 'histogram'): boolean {
    if (value < 0) {
      diag.warn(`negative value provided to ${what} ${this.name}: ${value}`);
      return false;
    }
    if (typeof value !== 'number') {
      diag.warn(`non-number value provided to metric ${this.name}: ${value}`);
      return false;
    }
    return true;
  }

  /**
   * The baseline cell one recording of `attrs` updates, current in this cycle
   * (created, or the overflow cell, when needed). Keeps the label tuple in
   * `tuple` for `wsCell`, so the hot path allocates nothing. Hot path.
   */
  protected baseCell(attrs: Attributes): C {
    return this.tupleCell(this.index.find(attrs) ?? this.tupleSlow(attrs), attrs);
  }

  /** `baseCell` for a tuple already found (undefined: overflow); keeps it for `wsCell`. Hot path. */
  protected tupleCell(tuple: Tuple<C> | undefined, attrs: Attributes): C {
    this.tuple = tuple;
    const cell = tuple?.base;
    if (cell !== undefined && cell.cycle === this.base.cycle) return cell;
    return this.baseSlow(tuple, attrs);
  }

  /**
   * The workspace-stream cell of the same recording (call right after
   * `baseCell(attrs)`), current in this cycle; undefined without a workspace
   * stream. Resolves the workspace value once, counting a fold. Hot path.
   */
  protected wsCell(attrs: Attributes): C | undefined {
    const ws = this.ws;
    if (ws === undefined) return undefined;
    const tuple = this.tuple;
    const resolved = this.policy!.resolve(attrs[this.label], this.fold);
    const cell = tuple?.ws.get(resolved);
    if (cell !== undefined && cell.cycle === ws.cycle) return cell;
    return this.wsSlow(tuple, attrs, resolved);
  }

  /** The tuple, created when either stream may still add a cell; undefined: both go to overflow. */
  protected tupleSlow(attributes: Attributes): Tuple<C> | undefined {
    // Stryker disable next-line ConditionalExpression: equivalent output, a tuple created when both streams are full stays unused (both cells go to overflow)
    if (this.base.hasRoom() || (this.ws !== undefined && this.ws.hasRoom())) return this.index.create(attributes);
    return undefined;
  }

  /** The baseline cell to update, when the tuple's cell is missing or not yet touched in this cycle. */
  protected baseSlow(tuple: Tuple<C> | undefined, attributes: Attributes): C {
    const stream = this.base;
    if (!stream.hasRoom() || tuple === undefined) return stream.overflowCell();
    let cell = tuple.base;
    if (cell === undefined) cell = tuple.base = stream.newCell(pickDeclared(this.keys, attributes));
    else stream.touch(cell);
    return cell;
  }

  /** The workspace-stream cell to update, when missing or not yet touched in this cycle. */
  protected wsSlow(tuple: Tuple<C> | undefined, attributes: Attributes, value: string): C {
    const stream = this.ws!;
    if (!stream.hasRoom() || tuple === undefined) return stream.overflowCell();
    let cell = tuple.ws.get(value);
    if (cell === undefined) {
      const exported = pickDeclared(this.keys, attributes);
      exported[this.label] = value;
      cell = stream.newCell(exported);
      tuple.ws.set(value, cell);
    } else {
      stream.touch(cell);
    }
    return cell;
  }

  /**
   * Reader `reader` (of `readers`) collects: every cell's cycle delta goes to
   * every reader's pending total, this reader's streams with data are
   * appended to `out`, and a new cardinality cycle starts (as the SDK's
   * delta storage is drained by any reader's collection).
   */
  collect(reader: number, readers: number, endTime: HrTime, out: MetricData[]): void {
    for (const cell of this.base.cells) cell.stash(readers);
    if (this.ws !== undefined) for (const cell of this.ws.cells) cell.stash(readers);
    if (this.base.cells.length > 0) out.push(this.toMetricData(this.spec.baseline.descriptor, this.base, reader, endTime));
    if (this.ws !== undefined && this.ws.cells.length > 0) out.push(this.toMetricData(this.spec.workspace!.descriptor, this.ws, reader, endTime));
    this.base.advance();
    this.ws?.advance();
  }

  protected abstract toMetricData(descriptor: MetricDescriptor, stream: StreamState<C>, reader: number, endTime: HrTime): MetricData;
}

export class FastCounter extends FastInstrument<SumCell> implements Counter {
  constructor(spec: InstrumentSpec) {
    super(spec, (attributes, startTime, cycle) => new SumCell(attributes, startTime, cycle));
  }

  add(value: number, attributes?: MetricAttributes, _context?: Context): void {
    if (!this.accepts(value, 'counter')) return;
    const attrs = withRules(attributes ?? EMPTY, this.spec.rules);
    this.baseCell(attrs).delta += value;
    const wsCell = this.wsCell(attrs);
    if (wsCell !== undefined) wsCell.delta += value;
  }

  protected toMetricData(descriptor: MetricDescriptor, stream: StreamState<SumCell>, reader: number, endTime: HrTime): SumMetricData {
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      dataPoints: stream.cells.map((cell) => ({ attributes: cell.attributes, startTime: cell.startTime, endTime, value: cell.report(reader) })),
      isMonotonic: true,
    };
  }
}

export interface HistogramSpec extends InstrumentSpec {
  boundaries: readonly number[];
  recordMinMax: boolean;
}

export class FastHistogram extends FastInstrument<HistogramCell> implements Histogram {
  private readonly boundaries: number[];
  private readonly recordMinMax: boolean;

  constructor(spec: HistogramSpec) {
    const buckets = spec.boundaries.length + 1;
    super(spec, (attributes, startTime, cycle) => new HistogramCell(attributes, startTime, cycle, buckets));
    this.boundaries = [...spec.boundaries];
    this.recordMinMax = spec.recordMinMax;
  }

  record(value: number, attributes?: MetricAttributes, _context?: Context): void {
    if (!this.accepts(value, 'histogram')) return;
    const attrs = withRules(attributes ?? EMPTY, this.spec.rules);
    this.recordCells(value, this.baseCell(attrs), attrs);
  }

  /**
   * `record` for one attribute set the caller never changes: the view rules
   * are applied and the label tuple found once, at bind time, not at every
   * recording. Hand-written for the kit's HTTP recorder
   * (src/http/server-metrics.ts), which records three histograms per request
   * over a handful of label sets; `npm run bench -- service` measures it.
   * The recordings are exactly `record(value, attributes)`'s.
   */
  bind(attributes: Attributes): (value: number) => void {
    const attrs = withRules(attributes, this.spec.rules);
    // Found once; while both streams are full (overflow) it stays undefined and is looked for again.
    let tuple: Tuple<HistogramCell> | undefined;
    return (value: number): void => {
      if (!this.accepts(value, 'histogram')) return;
      tuple ??= this.index.find(attrs) ?? this.tupleSlow(attrs);
      this.recordCells(value, this.tupleCell(tuple, attrs), attrs);
    };
  }

  /** One recording into its baseline `cell` (from `baseCell`/`tupleCell`) and its workspace-stream cell. */
  private recordCells(value: number, cell: HistogramCell, attrs: Attributes): void {
    const wsCell = this.wsCell(attrs);
    // NaN: the SDK keeps the cells (touched, possibly new) but records nothing in them.
    if (value !== value) return;
    const index = bucketIndex(this.boundaries, value);
    this.update(cell, value, index);
    if (wsCell !== undefined) this.update(wsCell, value, index);
  }

  private update(cell: HistogramCell, value: number, index: number): void {
    cell.count += 1;
    cell.delta += value;
    if (this.recordMinMax) {
      cell.min = Math.min(value, cell.min);
      cell.max = Math.max(value, cell.max);
      cell.hasMinMax = true;
    }
    cell.counts[index]! += 1;
  }

  protected toMetricData(descriptor: MetricDescriptor, stream: StreamState<HistogramCell>, reader: number, endTime: HrTime): HistogramMetricData {
    const boundaries = this.boundaries;
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: stream.cells.map((cell) => ({
        attributes: cell.attributes,
        startTime: cell.startTime,
        endTime,
        value: {
          min: cell.hasMinMax ? cell.min : undefined,
          max: cell.hasMinMax ? cell.max : undefined,
          sum: cell.report(reader),
          buckets: { boundaries, counts: [...cell.counts] },
          count: cell.count,
        },
      })),
    };
  }
}

/** Counter and histogram descriptors as the SDK builds them from a view (name and description from the view). */
export function streamDescriptor(
  kind: 'counter' | 'histogram',
  name: string,
  description: string,
  unit: string,
): MetricDescriptor {
  // The SDK's runtime descriptor also carries `type` and `advice` (its InstrumentDescriptor); keep them for identical exports.
  const descriptor = {
    name,
    description,
    type: kind === 'counter' ? InstrumentType.COUNTER : InstrumentType.HISTOGRAM,
    unit,
    valueType: ValueType.DOUBLE,
    advice: {},
  };
  return descriptor;
}
