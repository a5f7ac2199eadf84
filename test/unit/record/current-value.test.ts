/**
 * Current-value gauges over a real MeterProvider (delta temporality: a
 * collection shows only what was observed in it): the setter keeps the last
 * value per label set (whatever the key order) and registers its observation
 * once; delete stops one series; the observer validates its fields once,
 * refuses a non-function callback, turns each collection's return into points
 * and skips a collection whose return is refused.
 */
import { metrics, type Attributes } from '@opentelemetry/api';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CurrentValues, defineObserver } from '../../../src/record/current-value';
import { currentRuntime, removeRuntime } from '../../../src/record/runtime';
import { required } from '../../../src/record/validate';
import type { MetricDeclaration } from '../../../src/model/types';
import { captureLogs } from '../../helpers/logs';
import { collectingProvider } from '../../helpers/collecting-provider';

const lines = captureLogs();
let collect: () => Promise<Array<{ value: unknown; attributes: Attributes }>>;
const GAUGE: MetricDeclaration = { name: 't.current', kind: 'observableGauge', unit: '{item}', description: 'Items.', labels: ['pool', 'kind'] };

beforeEach(() => {
  const sdk = collectingProvider(AggregationTemporality.DELTA);
  metrics.setGlobalMeterProvider(sdk.provider);
  collect = async () =>
    (await sdk.collect()).filter((m) => m.descriptor.name === GAUGE.name).flatMap((m) => m.dataPoints.map((p) => ({ value: p.value, attributes: p.attributes })));
});
afterEach(() => {
  metrics.disable();
  removeRuntime(currentRuntime());
});

describe('CurrentValues', () => {
  it('reports the last value set per label set, whatever the key order, and stops a deleted series', async () => {
    const values = new CurrentValues(GAUGE);
    expect(await collect()).toEqual([]); // nothing set: nothing registered
    values.set([
      { value: 3, attributes: { pool: 'a', kind: 'x' } },
      { value: 5, attributes: { pool: 'b', kind: 'x' } },
    ]);
    values.set([{ value: 4, attributes: { kind: 'x', pool: 'a' } }]);
    expect(await collect()).toEqual([
      { value: 4, attributes: { pool: 'a', kind: 'x' } },
      { value: 5, attributes: { pool: 'b', kind: 'x' } },
    ]);
    values.delete({ kind: 'x', pool: 'b' });
    values.delete({ pool: 'c', kind: 'x' }); // never set: nothing happens
    values.set([{ value: 7, attributes: { pool: 'a', kind: 'y' } }]);
    // one observation, however many sets: each series once
    expect(await collect()).toEqual([
      { value: 4, attributes: { pool: 'a', kind: 'x' } },
      { value: 7, attributes: { pool: 'a', kind: 'y' } },
    ]);
    // values with the same keys but different values are different series
    values.set([{ value: 1, attributes: { pool: 'ax', kind: '' } }]);
    expect((await collect()).map((p) => p.value)).toEqual([4, 7, 1]);
  });

  it('keeps its values per runtime: a new runtime starts empty', async () => {
    const values = new CurrentValues(GAUGE);
    values.set([{ value: 2, attributes: { pool: 'a', kind: 'x' } }]);
    expect((await collect()).length).toBe(1);
    removeRuntime(currentRuntime());
    const next = collectingProvider(AggregationTemporality.DELTA);
    metrics.disable();
    metrics.setGlobalMeterProvider(next.provider);
    values.set([{ value: 9, attributes: { pool: 'b', kind: 'x' } }]);
    const points = (await next.collect()).flatMap((m) => m.dataPoints.map((p) => p.value));
    expect(points).toEqual([9]);
  });
});

describe('defineObserver', () => {
  const observe = defineObserver<{ pool?: unknown }, unknown>(
    'observeItems',
    GAUGE,
    (fields) => ({ pool: required(typeof fields.pool === 'string' ? fields.pool : undefined, 'pool must be a string'), kind: 'k' }),
    (returned, attributes) => [{ value: required(typeof returned === 'number' ? returned : undefined, 'the callback must return a number'), attributes }],
  );

  it('reads the callback at each collection, and stops when asked', async () => {
    let size = 3;
    let calls = 0;
    const stop = observe({ pool: 'p1' }, () => (calls++, size));
    expect(calls).toBe(0);
    expect(await collect()).toEqual([{ value: 3, attributes: { pool: 'p1', kind: 'k' } }]);
    size = 8;
    expect(await collect()).toEqual([{ value: 8, attributes: { pool: 'p1', kind: 'k' } }]);
    expect(calls).toBe(2);
    stop();
    expect(await collect()).toEqual([]);
    expect(calls).toBe(2);
    expect(lines).toEqual([]);
  });

  it('refuses bad fields once, at registration, and a non-function callback, with no-op unsubscribes', async () => {
    let calls = 0;
    const bad = observe({ pool: 42 }, () => (calls++, 1));
    const notFunction = observe({ pool: 'p2' }, 5 as unknown as () => number);
    expect(lines).toEqual([
      '[otel-workspace-metrics] warn: observeItems: recording refused: pool must be a string',
      '[otel-workspace-metrics] warn: observeItems: recording refused: callback must be a function',
    ]);
    expect(await collect()).toEqual([]);
    expect(calls).toBe(0);
    expect(bad()).toBeUndefined();
    expect(notFunction()).toBeUndefined();
    expect(lines).toHaveLength(2);
  });

  it('skips a collection whose return is refused, with a warning, and reports again after', async () => {
    let returned: unknown = 'many';
    observe({ pool: 'p3' }, () => returned);
    expect(await collect()).toEqual([]);
    expect(lines).toEqual(['[otel-workspace-metrics] warn: observeItems: recording refused: the callback must return a number']);
    returned = 6;
    expect(await collect()).toEqual([{ value: 6, attributes: { pool: 'p3', kind: 'k' } }]);
    returned = 'again';
    // refused again: the previous collection's points are not reported a second time
    expect(await collect()).toEqual([]);
    expect(lines).toHaveLength(1); // rate-limited: one line per window
  });
});
