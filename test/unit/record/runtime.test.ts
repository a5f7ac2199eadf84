/**
 * The recording runtime's instrument table over a real MeterProvider: one
 * instrument per declaration and kind, rebinding when the provider changes,
 * the fast path's instruments only for its own provider, late declarations
 * recorded nowhere, observations that stop, skip non-finite values and
 * survive a throwing callback; and the input checks the helpers share.
 */
import { createNoopMeter, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import {
  DataPointType,
  type MeterProvider,
  type GaugeMetricData,
  type HistogramMetricData,
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { InstrumentTable, RuntimeState, VIEWS_PATH, METER_NAME, type RecordingPath, type SyncInstrument } from '../../../src/record/runtime';
import { Enforcement } from '../../../src/model/enforcement';
import type { MetricDeclaration } from '../../../src/model/types';
import { BoundedLabel, isRecord, nonNegative, oneOf, required, status } from '../../../src/record/validate';
import { captureLogs } from '../../helpers/logs';
import { collectingProvider } from '../../helpers/collecting-provider';

const lines = captureLogs();

const decl = (name: string, kind: MetricDeclaration['kind']): MetricDeclaration => ({ name, kind, unit: '{thing}', description: `${name} things.`, labels: [] });
const COUNTER = decl('t.counter', 'counter');
const UPDOWN = decl('t.updown', 'updowncounter');
const HISTOGRAM = decl('t.histogram', 'histogram');
const GAUGE = decl('t.gauge', 'gauge');
const OBS_GAUGE = decl('t.obs.gauge', 'observableGauge');
const OBS_COUNTER = decl('t.obs.counter', 'observableCounter');
const OBS_UPDOWN = decl('t.obs.updown', 'observableUpDownCounter');

function sdk(): { provider: MeterProvider; collect(): Promise<MetricData[]> } {
  const { provider, collectResource } = collectingProvider();
  return {
    provider,
    async collect() {
      const resourceMetrics = await collectResource();
      expect(resourceMetrics.scopeMetrics.every((scope) => scope.scope.name === METER_NAME)).toBe(true);
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    },
  };
}

const byName = (data: MetricData[]) => Object.fromEntries(data.map((m) => [m.descriptor.name, m]));

describe('InstrumentTable', () => {
  it('creates each kind of instrument once, with the declaration’s unit and description', async () => {
    const { provider, collect } = sdk();
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    expect(table.isNoop()).toBe(false);
    const counter = table.sync(COUNTER) as { add(v: number): void };
    expect(table.sync(COUNTER)).toBe(counter);
    counter.add(2);
    (table.sync(UPDOWN) as { add(v: number): void }).add(-3);
    (table.sync(HISTOGRAM) as { record(v: number): void }).record(4);
    (table.sync(GAUGE) as { record(v: number): void }).record(5);
    expect(() => table.sync(OBS_GAUGE)).toThrow('t.obs.gauge is observable; register an observation instead');
    const data = byName(await collect());
    expect(Object.keys(data).sort()).toStrictEqual(['t.counter', 't.gauge', 't.histogram', 't.updown']);
    const counterData = data['t.counter'] as SumMetricData;
    expect([counterData.descriptor.unit, counterData.descriptor.description, counterData.isMonotonic, counterData.dataPoints[0]!.value]).toStrictEqual([
      '{thing}',
      't.counter things.',
      true,
      2,
    ]);
    const updown = data['t.updown'] as SumMetricData;
    expect([updown.isMonotonic, updown.dataPoints[0]!.value]).toStrictEqual([false, -3]);
    expect((data['t.histogram'] as HistogramMetricData).dataPoints[0]!.value.sum).toBe(4);
    expect((data['t.gauge'] as GaugeMetricData).dataPointType).toBe(DataPointType.GAUGE);
    expect((data['t.gauge'] as GaugeMetricData).dataPoints[0]!.value).toBe(5);
    await provider.shutdown();
  });

  it('is a no-op on the API’s no-op provider, and rebinds when the provider changes', async () => {
    let provider: ApiMeterProvider = { getMeter: () => createNoopMeter() };
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    expect(table.isNoop()).toBe(true);
    const first = sdk();
    provider = first.provider;
    expect(table.isNoop()).toBe(false);
    (table.sync(COUNTER) as { add(v: number): void }).add(1);
    const second = sdk();
    provider = second.provider;
    table.rebind();
    (table.sync(COUNTER) as { add(v: number): void }).add(7);
    expect(((await first.collect())[0] as SumMetricData).dataPoints[0]!.value).toBe(1);
    expect(((await second.collect())[0] as SumMetricData).dataPoints[0]!.value).toBe(7);
    await first.provider.shutdown();
    await second.provider.shutdown();
  });

  it('takes the recording path’s instruments only while the path’s provider is the bound one', () => {
    const { provider } = sdk();
    const other = sdk().provider;
    const own = { add: () => undefined } as unknown as SyncInstrument;
    const path: RecordingPath = { kind: 'fast', provider, instrument: (d) => (d === COUNTER ? own : undefined) };
    expect(new InstrumentTable(path, new Enforcement(true), () => provider).sync(COUNTER)).toBe(own);
    expect(new InstrumentTable(path, new Enforcement(true), () => provider).sync(HISTOGRAM)).not.toBe(own); // the path declines: the SDK's
    expect(new InstrumentTable(path, new Enforcement(true), () => other).sync(COUNTER)).not.toBe(own);
  });

  it('records a late (unenforced) declaration nowhere', async () => {
    const { provider, collect } = sdk();
    const enforcement = new Enforcement(true);
    enforcement.markUnenforced(COUNTER);
    const table = new InstrumentTable(VIEWS_PATH, enforcement, () => provider);
    (table.sync(COUNTER) as { add(v: number): void }).add(1);
    // (a late observable: 'never calls a late (unenforced) observable’s callback, even while registered' below)
    expect(await collect()).toStrictEqual([]);
    await provider.shutdown();
  });

  it('reports observations of each observable kind at collection, skips non-finite values, and stops when asked', async () => {
    const { provider, collect } = sdk();
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    expect(() => table.register(COUNTER, () => undefined)).toThrow('t.counter is not an observable instrument');
    let gaugeCalls = 0;
    const stopGauge = table.register(OBS_GAUGE, (observe) => {
      gaugeCalls++;
      observe(3, { a: 'x' });
      observe(NaN, { a: 'nan' });
      observe(Infinity, { a: 'inf' });
    });
    table.register(OBS_COUNTER, (observe) => observe(10));
    table.register(OBS_UPDOWN, (observe) => observe(-2));
    let data = byName(await collect());
    expect((data['t.obs.gauge'] as GaugeMetricData).dataPoints.map((p) => [p.attributes, p.value])).toStrictEqual([[{ a: 'x' }, 3]]);
    expect((data['t.obs.gauge'] as GaugeMetricData).dataPointType).toBe(DataPointType.GAUGE);
    expect([(data['t.obs.counter'] as SumMetricData).isMonotonic, (data['t.obs.counter'] as SumMetricData).dataPoints[0]!.value]).toStrictEqual([true, 10]);
    expect([(data['t.obs.updown'] as SumMetricData).isMonotonic, (data['t.obs.updown'] as SumMetricData).dataPoints[0]!.value]).toStrictEqual([false, -2]);
    expect(gaugeCalls).toBe(1);
    stopGauge();
    stopGauge(); // twice is harmless
    data = byName(await collect());
    expect(gaugeCalls).toBe(1); // (the SDK still exports the series' last cumulative point)
    expect((data['t.obs.counter'] as SumMetricData).dataPoints[0]!.value).toBe(10);
    await provider.shutdown();
  });

  it('a throwing callback skips its own metric with one warning; the others are collected', async () => {
    const { provider, collect } = sdk();
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    table.register(OBS_GAUGE, () => {
      throw new Error('user bug');
    });
    table.register(OBS_COUNTER, (observe) => observe(1));
    const data = byName(await collect());
    expect((data['t.obs.counter'] as SumMetricData).dataPoints[0]!.value).toBe(1);
    expect(lines).toStrictEqual(['[otel-workspace-metrics] warn: observation callback for t.obs.gauge threw; skipped this collection']);
    await provider.shutdown();
  });

  it('adopts another table’s registrations (they move, not copy)', async () => {
    const { provider, collect } = sdk();
    const before = new InstrumentTable(VIEWS_PATH, new Enforcement(false), () => ({ getMeter: () => createNoopMeter() }));
    before.register(OBS_GAUGE, (observe) => observe(42));
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    table.adopt(before);
    expect(((await collect())[0] as GaugeMetricData).dataPoints[0]!.value).toBe(42);
    const again = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => sdk().provider);
    again.adopt(before); // nothing left to take
    await provider.shutdown();
  });
});

describe('RuntimeState', () => {
  it('creates a key’s value once', () => {
    const state = new RuntimeState();
    const key = {};
    let created = 0;
    const value = state.get(key, () => ({ n: ++created }));
    expect(state.get(key, () => ({ n: ++created }))).toBe(value);
    expect(created).toBe(1);
    expect(state.get({}, () => ({ n: ++created }))).toStrictEqual({ n: 2 });
  });
});

describe('input checks', () => {
  it('nonNegative accepts finite numbers from 0 up', () => {
    expect([0, 1.5, -0].map(nonNegative)).toStrictEqual([0, 1.5, -0]);
    expect([-1e-9, NaN, Infinity, '1', undefined].map(nonNegative)).toStrictEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('status takes the statuses and their aliases, case-insensitively', () => {
    expect(['OK', 'error', 'Timeout', 'cancelled', 'skipped', 'retry'].map(status)).toStrictEqual(['ok', 'error', 'timeout', 'cancelled', 'skipped', 'retry']);
    expect(['success', 'FAILURE', 'failed', 'canceled'].map(status)).toStrictEqual(['ok', 'error', 'error', 'cancelled']);
    expect(['constructor', '', 'oops', 1].map(status)).toStrictEqual([undefined, undefined, undefined, undefined]);
  });

  it('oneOf, isRecord and required', () => {
    expect(oneOf('b', ['a', 'b'])).toBe('b');
    expect(oneOf('B', ['a', 'b'])).toBeUndefined();
    expect(oneOf(1, ['1'])).toBeUndefined();
    expect([{}, [], null, 'x'].map(isRecord)).toStrictEqual([true, false, false, false]);
    expect(required(0, 'r')).toBe(0);
    expect(() => required(undefined, 'r')).toThrow();
  });

  it('BoundedLabel keeps exactly its first maxValues well-formed values, numbers as text', () => {
    const label = new BoundedLabel(2);
    expect(label.maxValues).toBe(2);
    expect([label.value('a'), label.value(7), label.value('c'), label.value('a'), label.value('7')]).toStrictEqual(['a', '7', '__other__', 'a', '7']);
    expect([label.value(undefined), label.value(null), label.value('')]).toStrictEqual([undefined, undefined, undefined]);
    expect([label.value(NaN), label.value({}), label.value(' bad')]).toStrictEqual(['__other__', '__other__', '__other__']);
    expect(new BoundedLabel().maxValues).toBe(200);
    const fresh = new BoundedLabel(5);
    expect([fresh.value('-x'), fresh.value('x'.repeat(128)), fresh.value('x'.repeat(129))]).toStrictEqual(['__other__', 'x'.repeat(128), '__other__']);
  });
});

describe('InstrumentTable registrations', () => {
  it('rebind() attaches the registrations to a new provider without any recording', async () => {
    const first = sdk();
    let provider: ApiMeterProvider = first.provider;
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    table.register(OBS_GAUGE, (observe) => observe(5));
    const second = sdk();
    provider = second.provider;
    table.rebind();
    expect(((await second.collect())[0] as GaugeMetricData).dataPoints[0]!.value).toBe(5);
  });

  it('a registration made after the provider changed goes to the new provider', async () => {
    const first = sdk();
    let provider: ApiMeterProvider = first.provider;
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    expect(table.isNoop()).toBe(false); // bound to the first
    const second = sdk();
    provider = second.provider;
    table.register(OBS_GAUGE, (observe) => observe(9));
    expect(((await second.collect())[0] as GaugeMetricData).dataPoints[0]!.value).toBe(9);
    expect(await first.collect()).toStrictEqual([]);
  });

  it('stopping twice removes only its own registration', async () => {
    const first = sdk();
    let provider: ApiMeterProvider = first.provider;
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    const stopA = table.register(OBS_GAUGE, (observe) => observe(1));
    table.register(OBS_COUNTER, (observe) => observe(2));
    stopA();
    stopA();
    const second = sdk();
    provider = second.provider;
    table.rebind();
    const data = byName(await second.collect());
    expect(Object.keys(data)).toStrictEqual(['t.obs.counter']);
    expect((data['t.obs.counter'] as SumMetricData).dataPoints[0]!.value).toBe(2);
  });

  it('never calls a late (unenforced) observable’s callback, even while registered', async () => {
    const { provider, collect } = sdk();
    const enforcement = new Enforcement(true);
    enforcement.markUnenforced(OBS_GAUGE);
    const table = new InstrumentTable(VIEWS_PATH, enforcement, () => provider);
    let called = 0;
    table.register(OBS_GAUGE, (observe) => {
      called++;
      observe(1);
    });
    expect(await collect()).toStrictEqual([]);
    expect(called).toBe(0);
  });

  it('creates observables with the declaration’s unit and description', async () => {
    const { provider, collect } = sdk();
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    table.register(OBS_UPDOWN, (observe) => observe(1));
    const [metric] = await collect();
    expect([metric!.descriptor.unit, metric!.descriptor.description]).toStrictEqual(['{thing}', 't.obs.updown things.']);
  });

  it('warns once per throwing metric: two throwing callbacks, two lines', async () => {
    const { provider, collect } = sdk();
    const table = new InstrumentTable(VIEWS_PATH, new Enforcement(true), () => provider);
    for (const decl of [OBS_GAUGE, OBS_COUNTER]) {
      table.register(decl, () => {
        throw new Error('user bug');
      });
    }
    await collect();
    expect(lines).toStrictEqual([
      '[otel-workspace-metrics] warn: observation callback for t.obs.gauge threw; skipped this collection',
      '[otel-workspace-metrics] warn: observation callback for t.obs.counter threw; skipped this collection',
    ]);
  });
});
