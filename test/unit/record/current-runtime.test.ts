/**
 * Which runtime is current: a detached one (default label name, the
 * environment's collector interval) until a kit installs its own;
 * registrations made before move to it; removal returns to a fresh detached
 * runtime. And what the helpers build on it: the workspace attribute, label
 * caps per runtime, and `defineRecorder`'s refusals.
 */
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, type MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { InstrumentTable, RuntimeState, VIEWS_PATH, currentRuntime, installRuntime, removeRuntime, type RecordingRuntime } from '../../../src/record/runtime';
import { registerObservation, isNoop } from '../../../src/record/instruments';
import { withWorkspace, workspaceLabelName } from '../../../src/record/workspace-attribute';
import { LabelCap, defineRecorder, refuse, required } from '../../../src/record/validate';
import { Enforcement } from '../../../src/model/enforcement';
import type { MetricDeclaration } from '../../../src/model/types';
import { captureLogs } from '../../helpers/logs';
import { collectingProvider } from '../../helpers/collecting-provider';

const lines = captureLogs();
const savedInterval = process.env.METRICS_COLLECTOR_INTERVAL;
afterEach(() => {
  removeRuntime(currentRuntime());
  metrics.disable();
  if (savedInterval === undefined) delete process.env.METRICS_COLLECTOR_INTERVAL;
  else process.env.METRICS_COLLECTOR_INTERVAL = savedInterval;
});

const OBS: MetricDeclaration = { name: 't.rt.gauge', kind: 'observableGauge', unit: '{x}', description: 'X.', labels: [] };

function kitRuntime(labelName: string, provider: MeterProvider): RecordingRuntime {
  const enforcement = new Enforcement(true);
  const store = new RuntimeState();
  return {
    labelName,
    enforcement,
    instruments: new InstrumentTable(VIEWS_PATH, enforcement, () => provider),
    collectorIntervalMillis: 1_234,
    state: (key, create) => store.get(key, create),
  };
}

function sdk() {
  const { provider, collect } = collectingProvider(AggregationTemporality.DELTA);
  return {
    provider,
    async values(): Promise<unknown[]> {
      return (await collect()).flatMap((m) => m.dataPoints.map((p) => p.value));
    },
  };
}

describe('the current runtime', () => {
  it('is a detached runtime until one is installed: the default label, the environment’s collector interval, the same object each time', () => {
    const detached = currentRuntime();
    expect(currentRuntime()).toBe(detached);
    expect(detached.labelName).toBe('workspace_id');
    expect(detached.enforcement.started).toBe(false); // without a kit, no declaration is late
    delete process.env.METRICS_COLLECTOR_INTERVAL;
    expect(detached.collectorIntervalMillis).toBe(5_000);
    process.env.METRICS_COLLECTOR_INTERVAL = '7';
    expect(detached.collectorIntervalMillis).toBe(7_000);
    const key = {};
    expect(detached.state(key, () => ({ n: 1 }))).toBe(detached.state(key, () => ({ n: 2 })));
  });

  it('moves the detached runtime’s registrations to the first installed runtime, and starts afresh after removal', async () => {
    let observed = 0;
    registerObservation(OBS, (observe) => observe(++observed));
    const first = sdk();
    const runtime = kitRuntime('tenant', first.provider);
    installRuntime(runtime);
    expect(currentRuntime()).toBe(runtime);
    expect(workspaceLabelName()).toBe('tenant');
    expect(await first.values()).toEqual([1]);

    // a second runtime installed over a kit's takes nothing from it
    const second = sdk();
    const other = kitRuntime('other', second.provider);
    installRuntime(other);
    expect(currentRuntime()).toBe(other);
    expect(await second.values()).toEqual([]);

    removeRuntime(runtime); // not current: nothing changes
    expect(currentRuntime()).toBe(other);
    removeRuntime(other);
    const fresh = currentRuntime();
    expect(fresh).not.toBe(other);
    expect(fresh.labelName).toBe('workspace_id');
    // the fresh detached runtime's registrations move to the next kit
    registerObservation(OBS, (observe) => observe(100));
    const third = sdk();
    installRuntime(kitRuntime('third', third.provider));
    expect(await third.values()).toEqual([100]);
  });
});

describe('the workspace attribute', () => {
  it('puts a string id under the current runtime’s label name, and nothing else', () => {
    installRuntime(kitRuntime('tenant_id', sdk().provider));
    expect(withWorkspace({ a: 'x' }, 'acme')).toStrictEqual({ a: 'x', tenant_id: 'acme' });
    expect(withWorkspace({ a: 'x' }, 42)).toStrictEqual({ a: 'x' });
    expect(withWorkspace({}, undefined)).toStrictEqual({});
    const attributes = {};
    expect(withWorkspace(attributes, '')).toBe(attributes);
    expect(attributes).toStrictEqual({ tenant_id: '' });
  });
});

describe('LabelCap', () => {
  it('caps values per runtime, with its own limit and pattern', () => {
    const cap = new LabelCap(2, /^[a-z]+$/);
    expect(Object.isFrozen(cap)).toBe(true);
    expect([cap.value('a'), cap.value('b'), cap.value('c'), cap.value('A1'), cap.value(undefined)]).toStrictEqual(['a', 'b', '__other__', '__other__', undefined]);
    installRuntime(kitRuntime('w', sdk().provider));
    expect([cap.value('c'), cap.value('d'), cap.value('e')]).toStrictEqual(['c', 'd', '__other__']);
    const defaults = new LabelCap();
    expect(defaults.maxValues).toBe(200);
    expect([defaults.value('Provider.v1:x/y@z+w-q'), defaults.value('-x')]).toStrictEqual(['Provider.v1:x/y@z+w-q', '__other__']);
  });
});

describe('defineRecorder', () => {
  it('skips everything while no provider is registered, then refuses non-objects, reports refusals and internal errors by reason', () => {
    const seen: unknown[] = [];
    const record = defineRecorder<unknown>('recordThing', (input) => {
      if (input.boom) throw new Error('SECRET internal');
      seen.push(required(input.value, 'value is required'));
    });
    expect(isNoop()).toBe(true);
    record('not an object');
    record({ value: 1 });
    expect([seen, lines]).toStrictEqual([[], []]);
    metrics.setGlobalMeterProvider(sdk().provider);
    expect(isNoop()).toBe(false);
    record({ value: 2 });
    record([1]);
    record(null);
    record({});
    record({ boom: true });
    expect(seen).toStrictEqual([2]);
    expect(lines).toStrictEqual([
      '[otel-workspace-metrics] warn: recordThing: recording refused: expected an object argument',
      '[otel-workspace-metrics] warn: recordThing: recording refused: value is required',
      '[otel-workspace-metrics] warn: recordThing: recording refused: internal error while recording',
    ]);
  });

  it('rate-limits per helper and reason', () => {
    refuse('a', 'r1');
    refuse('a', 'r1');
    refuse('a', 'r2');
    refuse('b', 'r1');
    expect(lines).toStrictEqual([
      '[otel-workspace-metrics] warn: a: recording refused: r1',
      '[otel-workspace-metrics] warn: a: recording refused: r2',
      '[otel-workspace-metrics] warn: b: recording refused: r1',
    ]);
  });
});
