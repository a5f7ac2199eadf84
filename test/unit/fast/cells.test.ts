/**
 * The fast path's cells on their own: the SDK's bucket search, the per-reader
 * sums kept in the SDK's order of additions, and the cardinality bookkeeping
 * (`limit - 1` attribute sets per collection cycle, then the overflow series).
 */
import fc from 'fast-check';
import { hrTime, hrTimeToMilliseconds } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { HistogramCell, OVERFLOW_ATTRIBUTES, StreamState, SumCell, bucketIndex } from '../../../src/fast/cells';

/** The first boundary >= value, else the overflow bucket: the definition, by linear search. */
function linearBucket(boundaries: readonly number[], value: number): number {
  const index = boundaries.findIndex((boundary) => !(boundary < value));
  return index === -1 ? boundaries.length : index;
}

describe('bucketIndex', () => {
  const boundaries = [0, 5, 10];

  it('puts a value equal to a boundary in that boundary’s bucket, and just above it in the next', () => {
    expect(bucketIndex(boundaries, -1)).toBe(0);
    expect(bucketIndex(boundaries, 0)).toBe(0);
    expect(bucketIndex(boundaries, Number.MIN_VALUE)).toBe(1);
    expect(bucketIndex(boundaries, 5)).toBe(1);
    expect(bucketIndex(boundaries, 5.000000000000001)).toBe(2);
    expect(bucketIndex(boundaries, 10)).toBe(2);
    expect(bucketIndex(boundaries, 10.000000000000002)).toBe(3);
    expect(bucketIndex(boundaries, Infinity)).toBe(3);
    expect(bucketIndex([], 42)).toBe(0);
  });

  it('agrees with a linear search on any sorted boundaries and value', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 30 }).map((values) => values.sort((a, b) => a - b)),
        fc.double({ noNaN: true }),
        (sorted, value) => bucketIndex(sorted, value) === linearBucket(sorted, value),
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('Cell sums per reader', () => {
  it('hands each reader what it has not seen, and keeps its cumulative total', () => {
    const cell = new SumCell({}, [0, 0], 0);
    cell.delta += 1.5;
    cell.stash(2);
    expect(cell.delta).toBe(0);
    expect(cell.report(0)).toBe(1.5);
    cell.delta += 2;
    cell.stash(2);
    expect(cell.report(0)).toBe(3.5);
    expect(cell.report(1)).toBe(3.5); // reader 1 collects once, after both cycles
    expect(cell.report(1)).toBe(3.5); // nothing new: the same cumulative total
    expect(cell.pending).toEqual([0, 0]);
  });

  it('adds in the SDK’s order (cycle delta, then pending, then cumulative), bit for bit', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 5 }), { maxLength: 8 }), (cycles) => {
        const cell = new SumCell({}, [0, 0], 0);
        let cumulative = 0;
        for (const values of cycles) {
          let delta = 0;
          for (const value of values) {
            cell.delta += value;
            delta += value;
          }
          cell.stash(1);
          cumulative = cumulative + (0 + delta);
          expect(cell.report(0)).toBe(cumulative);
        }
      }),
    );
  });

  it('a histogram cell starts empty, with one count per bucket', () => {
    const cell = new HistogramCell({ a: 'x' }, [1, 2], 3, 4);
    expect(cell.counts).toEqual([0, 0, 0, 0]);
    expect([cell.count, cell.min, cell.max, cell.hasMinMax, cell.cycle]).toEqual([0, Infinity, -Infinity, false, 3]);
    expect(cell.startTime).toEqual([1, 2]);
  });
});

describe('StreamState cardinality', () => {
  const stream = (limit: number) => new StreamState<SumCell>(limit, (attributes, startTime, cycle) => new SumCell(attributes, startTime, cycle));

  it('gives limit - 1 attribute sets their own cell per cycle, then the overflow series', () => {
    const state = stream(3);
    expect(state.max).toBe(2);
    const before = hrTimeToMilliseconds(hrTime());
    const a = state.newCell({ k: 'a' });
    expect(state.hasRoom()).toBe(true);
    state.newCell({ k: 'b' });
    expect(state.hasRoom()).toBe(false);
    const overflow = state.overflowCell();
    expect(overflow.attributes).toBe(OVERFLOW_ATTRIBUTES);
    expect(state.touched).toBe(3); // the overflow series counts as touched, whatever the count
    expect(state.overflowCell()).toBe(overflow);
    expect(state.touched).toBe(3); // not twice in one cycle
    expect(state.cells.map((cell) => cell.attributes)).toEqual([{ k: 'a' }, { k: 'b' }, OVERFLOW_ATTRIBUTES]);
    // Stamped with the SDK's clock, as the views path stamps a new series.
    expect(hrTimeToMilliseconds(a.startTime)).toBeGreaterThanOrEqual(before);
    expect(hrTimeToMilliseconds(a.startTime)).toBeLessThanOrEqual(hrTimeToMilliseconds(hrTime()));
  });

  it('starts every collection cycle with nothing touched; touching an old cell counts once', () => {
    const state = stream(3);
    const a = state.newCell({ k: 'a' });
    state.newCell({ k: 'b' });
    state.advance();
    expect([state.cycle, state.touched, state.hasRoom()]).toEqual([1, 0, true]);
    state.touch(a);
    expect([a.cycle, state.touched]).toEqual([1, 1]);
    const overflow = state.overflowCell(); // created in cycle 1
    expect(state.touched).toBe(2);
    state.advance();
    state.overflowCell(); // an existing overflow cell, touched again in the new cycle
    expect([overflow.cycle, state.touched]).toEqual([2, 1]);
    expect(state.cells).toHaveLength(3); // cumulative output keeps every cell
  });

  it('a limit of 1 sends everything to the overflow series', () => {
    const state = stream(1);
    expect(state.hasRoom()).toBe(false);
  });
});
