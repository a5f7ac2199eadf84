/**
 * The fast path's tuple index groups attribute sets exactly as the SDK does:
 * by `JSON.stringify` of the declared keys present (after the key-allowlist
 * view processor), so `5` and `"5"` differ, `null`/`NaN`/`Infinity`/functions
 * share a group, a missing value differs from every present one, and arrays
 * and objects group by their JSON text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TupleIndex, type Tuple } from '../../../src/fast/tuples';
import type { SumCell } from '../../../src/fast/cells';
import { pickDeclared } from '../../../src/policy/attributes-processors';
import type { Attributes } from '@opentelemetry/api';

const KEYS = ['a', 'b', 'c'] as const;

/** The SDK's grouping key: the hash of the processed attribute set. */
function sdkKey(attributes: Attributes): string {
  const picked = pickDeclared(KEYS, attributes);
  return JSON.stringify(Object.keys(picked).sort().map((key) => [key, picked[key]]));
}

function lookup(index: TupleIndex<SumCell>, attributes: Attributes): Tuple<SumCell> {
  return index.find(attributes) ?? index.create(attributes);
}

const value = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -Infinity, 0, -0, 5, '5', true, 'true', false, '', 'null', () => 1, Symbol('s')),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -3, max: 3 }),
  fc.array(fc.constantFrom<unknown>(1, '1', null), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom('x', 'y'), fc.constantFrom<unknown>(1, '1'), { maxKeys: 2 }),
);
const attributeSet = fc.record({ a: value, b: value, c: value, other: value }, { requiredKeys: [] }) as fc.Arbitrary<Attributes>;

describe('TupleIndex', () => {
  it('finds nothing before a tuple is created, then the same tuple every time', () => {
    const index = new TupleIndex<SumCell>(['a', 'b']);
    expect(index.find({ a: 'x', b: 'y' })).toBeUndefined();
    const tuple = index.create({ a: 'x', b: 'y' });
    expect(index.find({ a: 'x', b: 'y', stray: 1 })).toBe(tuple);
    expect(index.find({ a: 'x', b: 'z' })).toBeUndefined();
    expect(index.find({ a: 'x' })).toBeUndefined();
  });

  it('keeps the tuples that share a prefix of values', () => {
    const index = new TupleIndex<SumCell>(['a', 'b', 'c']);
    const first = index.create({ a: 'x', b: 'y', c: 1 });
    const second = index.create({ a: 'x', b: 'y', c: 2 });
    const third = index.create({ a: 'x', b: 'z', c: 1 });
    const complex = index.create({ a: ['x'] as unknown as string, b: 'y', c: 1 });
    const complexToo = index.create({ a: ['x'] as unknown as string, b: 'y', c: 2 });
    expect(index.find({ a: 'x', b: 'y', c: 1 })).toBe(first);
    expect(index.find({ a: 'x', b: 'y', c: 2 })).toBe(second);
    expect(index.find({ a: 'x', b: 'z', c: 1 })).toBe(third);
    expect(index.find({ a: ['x'] as unknown as string, b: 'y', c: 1 })).toBe(complex);
    expect(index.find({ a: ['x'] as unknown as string, b: 'y', c: 2 })).toBe(complexToo);
    expect(new Set([first, second, third, complex, complexToo]).size).toBe(5);
  });

  it('groups the documented edge cases as the SDK does', () => {
    const index = new TupleIndex<SumCell>(['a']);
    const five = lookup(index, { a: 5 });
    expect(lookup(index, { a: '5' })).not.toBe(five);
    expect(lookup(index, { a: true })).not.toBe(lookup(index, { a: 'true' }));
    const nullGroup = lookup(index, { a: null as unknown as string });
    for (const same of [NaN, Infinity, -Infinity, () => 1, Symbol('s')]) expect(lookup(index, { a: same as unknown as string })).toBe(nullGroup);
    expect(lookup(index, { a: 'null' })).not.toBe(nullGroup);
    const missing = lookup(index, {});
    expect(lookup(index, { a: undefined })).toBe(missing);
    expect(missing).not.toBe(nullGroup);
    expect(lookup(index, { a: [1, '1'] as unknown as string[] })).toBe(lookup(index, { a: [1, '1'] as unknown as string[] }));
    expect(lookup(index, { a: [1] as unknown as string[] })).not.toBe(lookup(index, { a: ['1'] as unknown as string[] }));
  });

  it('with no declared keys, every attribute set is one tuple', () => {
    const index = new TupleIndex<SumCell>([]);
    const tuple = lookup(index, { a: 1 });
    expect(lookup(index, { b: 'x' })).toBe(tuple);
  });

  it('throws on a bigint, as the SDK’s JSON hashing does', () => {
    const index = new TupleIndex<SumCell>(['a']);
    expect(() => index.create({ a: 1n as unknown as number })).toThrow(TypeError);
  });

  it('maps attribute sets to tuples one-to-one with the SDK’s grouping keys', () => {
    fc.assert(
      fc.property(fc.array(attributeSet, { minLength: 1, maxLength: 40 }), (sets) => {
        const index = new TupleIndex<SumCell>(KEYS);
        const byKey = new Map<string, Tuple<SumCell>>();
        const tuples = new Set<Tuple<SumCell>>();
        for (const attributes of sets) {
          const tuple = lookup(index, attributes);
          const key = sdkKey(attributes);
          const known = byKey.get(key);
          if (known === undefined) {
            expect(tuples.has(tuple)).toBe(false); // a new SDK group is a new tuple
            byKey.set(key, tuple);
            tuples.add(tuple);
          } else {
            expect(tuple).toBe(known);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
