/**
 * FastPath without a kit: which declarations it serves and with which stream
 * specs (derived from the views), what its producers hand a reader, and how a
 * reader the kit did not create is made to read them too.
 */
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, InstrumentType, MeterProvider, PeriodicExportingMetricReader, type SumMetricData, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { FastPath, attachProducer, firstNonCumulativeReader, instrumentSpec, specFromViews } from '../../../src/fast/fast-path';
import { viewsFor } from '../../../src/policy/views';
import { FastCounter, FastHistogram } from '../../../src/fast/instruments';
import { WorkspacePolicy } from '../../../src/policy/workspace-policy';
import { DEFAULT_CARDINALITY_LIMIT, DEFAULT_WORKSPACE_CARDINALITY_LIMIT, type MetricDeclaration } from '../../../src/model/types';

const counterDecl: MetricDeclaration = {
  name: 'unit.jobs',
  kind: 'counter',
  unit: '{job}',
  description: 'Jobs.',
  labels: ['queue', 'status'],
  workspaceStream: true,
};
const histogramDecl: MetricDeclaration = {
  name: 'unit.latency',
  kind: 'histogram',
  unit: 's',
  description: 'Latency.',
  labels: ['queue'],
  buckets: [0.1, 1],
  workspaceStream: false,
  cardinalityLimit: 7,
};
const gaugeDecl: MetricDeclaration = { name: 'unit.depth', kind: 'gauge', unit: '{job}', description: 'Depth.', labels: [] };

const policy = () => new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['w1'] });
const scope = { name: 'unit-scope', version: '1.2.3' };
const resource = resourceFromAttributes({ 'service.name': 'unit' });

describe('instrumentSpec', () => {
  it('takes names, descriptions and limits from the views', () => {
    const p = policy();
    const spec = instrumentSpec(counterDecl, p)!;
    expect(spec.name).toBe('unit.jobs');
    expect(spec.labels).toStrictEqual(['queue', 'status']);
    expect(spec.rules).toBeUndefined();
    expect(spec.baseline.descriptor).toMatchObject({ name: 'unit_jobs', description: 'Jobs.', type: InstrumentType.COUNTER, unit: '{job}' });
    expect(spec.baseline.cardinalityLimit).toBe(DEFAULT_CARDINALITY_LIMIT);
    expect(spec.workspace!.descriptor).toMatchObject({ name: 'unit_jobs_by_workspace', description: 'Jobs. Per workspace (allowlisted ids; others as __other__).' });
    expect(spec.workspace!.cardinalityLimit).toBe(DEFAULT_WORKSPACE_CARDINALITY_LIMIT);
    expect(spec.workspace!.policy).toBe(p);
    expect(spec.workspace!.fold).toBe(p.foldCounter('unit_jobs_by_workspace_total'));
    expect('boundaries' in spec).toBe(false);
  });

  it('has no workspace stream without a policy, and histogram buckets with min/max', () => {
    expect(instrumentSpec(counterDecl, undefined)!.workspace).toBeUndefined();
    const spec = instrumentSpec(histogramDecl, policy())!;
    expect(spec.workspace).toBeUndefined(); // the declaration has none
    expect(spec.baseline.cardinalityLimit).toBe(7);
    expect(spec.baseline.descriptor).toMatchObject({ name: 'unit_latency_seconds', type: InstrumentType.HISTOGRAM });
    expect(spec.boundaries).toStrictEqual([0.1, 1]);
    expect(spec.recordMinMax).toBe(true);
  });

  it('passes only the value rules of declared keys', () => {
    const rule = (value: unknown) => String(value).toUpperCase();
    const spec = instrumentSpec(counterDecl, undefined, { queue: rule, other: rule })!;
    expect(Object.keys(spec.rules!)).toStrictEqual(['queue']);
  });

  it('leaves other kinds to the SDK', () => {
    expect(instrumentSpec(gaugeDecl, policy())).toBeUndefined();
    expect(instrumentSpec({ ...gaugeDecl, kind: 'updowncounter' }, policy())).toBeUndefined();
  });
});

describe('FastPath', () => {
  it('serves counters and histograms, one instrument per declaration, and hands each reader its own cumulative data', async () => {
    const fast = new FastPath({ decls: [counterDecl, histogramDecl, gaugeDecl], workspace: policy(), scope, resource });
    expect(fast.enabled).toBe(true);
    expect([fast.handles(counterDecl), fast.handles(histogramDecl), fast.handles(gaugeDecl)]).toStrictEqual([true, true, false]);
    expect(fast.instrument(gaugeDecl)).toBeUndefined();
    const jobs = fast.instrument(counterDecl) as FastCounter;
    expect(jobs).toBeInstanceOf(FastCounter);
    expect(fast.instrument(counterDecl)).toBe(jobs);
    expect(fast.instrument(histogramDecl)).toBeInstanceOf(FastHistogram);
    // A declaration the path was not built with is left to the SDK.
    expect(fast.instrument({ ...counterDecl })).toBeUndefined();

    const first = fast.producer();
    const second = fast.syncProducer();
    const empty = await first.collect();
    expect(empty.resourceMetrics.resource).toBe(resource);
    expect(empty.resourceMetrics.scopeMetrics).toStrictEqual([]);
    expect(empty.errors).toStrictEqual([]);

    jobs.add(2, { queue: 'q', status: 'ok', workspace_id: 'w1' });
    const a = await first.collect();
    expect(a.resourceMetrics.scopeMetrics).toHaveLength(1);
    expect(a.resourceMetrics.scopeMetrics[0]!.scope).toBe(scope);
    const names = a.resourceMetrics.scopeMetrics[0]!.metrics.map((m) => m.descriptor.name);
    expect(names).toStrictEqual(['unit_jobs', 'unit_jobs_by_workspace']);
    jobs.add(1, { queue: 'q', status: 'ok', workspace_id: 'w1' });
    const b = second.collect();
    const value = (r: typeof b) => (r.resourceMetrics.scopeMetrics[0]!.metrics[0] as SumMetricData).dataPoints[0]!.value;
    expect(value(b)).toBe(3);
    expect(value(await first.collect())).toBe(3);
  });

  it('serves nothing once disabled', async () => {
    const fast = new FastPath({ decls: [counterDecl], workspace: undefined, scope, resource });
    const producer = fast.producer();
    (fast.instrument(counterDecl) as FastCounter).add(1, { queue: 'q', status: 'ok' });
    fast.disable();
    expect(fast.enabled).toBe(false);
    expect(fast.handles(counterDecl)).toBe(false);
    expect(fast.instrument(counterDecl)).toBeUndefined();
    expect((await producer.collect()).resourceMetrics.scopeMetrics).toStrictEqual([]);
  });
});

describe('readers', () => {
  const reader = (temporality: AggregationTemporality) =>
    new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(temporality), exportIntervalMillis: 3_600_000 });

  it('finds the first reader that is not cumulative', () => {
    const cumulative = reader(AggregationTemporality.CUMULATIVE);
    const delta = reader(AggregationTemporality.DELTA);
    expect(firstNonCumulativeReader([cumulative])).toBeUndefined();
    expect(firstNonCumulativeReader([cumulative, delta])).toBe(delta);
    expect(firstNonCumulativeReader([])).toBeUndefined();
  });

  it('attachProducer makes a foreign reader collect the SDK’s data and the producer’s together', async () => {
    const foreign = reader(AggregationTemporality.CUMULATIVE);
    const fast = new FastPath({ decls: [counterDecl], workspace: undefined, scope, resource });
    attachProducer(foreign, fast.producer());
    const provider = new MeterProvider({ readers: [foreign] });
    provider.getMeter('sdk-scope').createCounter('sdk.counter').add(4);
    (fast.instrument(counterDecl) as FastCounter).add(5, { queue: 'q', status: 'ok' });
    const { resourceMetrics, errors } = await foreign.collect();
    expect(errors).toStrictEqual([]);
    expect(resourceMetrics.scopeMetrics.map((s) => [s.scope.name, s.metrics.map((m) => [m.descriptor.name, (m as SumMetricData).dataPoints[0]!.value])])).toStrictEqual([
      ['sdk-scope', [['sdk.counter', 4]]],
      ['unit-scope', [['unit_jobs', 5]]],
    ]);
    expect(resourceMetrics.resource).not.toBe(resource); // the SDK's resource, not the producer's
    await provider.shutdown();
  });
});

describe('specFromViews refuses the view shapes it does not reproduce', () => {
  const p = policy();
  const counterViews = () => viewsFor(counterDecl, { workspace: p });
  const histogramView = (boundaries: number[], recordMinMax?: boolean): ViewOptions => ({
    instrumentName: 'unit.latency',
    name: 'unit_latency_seconds',
    aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries, ...(recordMinMax === undefined ? {} : { recordMinMax }) } },
  });

  it('accepts the views it was built for', () => {
    expect(specFromViews(counterDecl, counterViews(), p)!.workspace!.descriptor.name).toBe('unit_jobs_by_workspace');
    expect(specFromViews(counterDecl, [{ ...counterViews()[0]!, aggregation: { type: AggregationType.SUM } }], p)!.baseline.descriptor.name).toBe('unit_jobs');
    expect(specFromViews(counterDecl, [{ ...counterViews()[0]!, aggregation: { type: AggregationType.DEFAULT } }], p)).toBeDefined();
  });

  it('a view of another instrument, without a name, or of another stream', () => {
    const [base, ws] = counterViews();
    expect(specFromViews(counterDecl, [{ ...base!, instrumentName: 'other' }], p)).toBeUndefined();
    expect(specFromViews(counterDecl, [{ ...base!, name: undefined }], p)).toBeUndefined();
    expect(specFromViews(counterDecl, [base!, { ...ws!, name: 'unit_jobs_elsewhere' }], p)).toBeUndefined();
  });

  it('either stream twice, a workspace stream without a policy, or no baseline', () => {
    const [base, ws] = counterViews();
    expect(specFromViews(counterDecl, [base!, base!], p)).toBeUndefined();
    expect(specFromViews(counterDecl, [base!, ws!, ws!], p)).toBeUndefined();
    expect(specFromViews(counterDecl, [base!, ws!], undefined)).toBeUndefined();
    expect(specFromViews(counterDecl, [ws!], p)).toBeUndefined();
    expect(specFromViews(counterDecl, [ws!, base!], p)!.baseline.descriptor.name).toBe('unit_jobs'); // order does not matter
  });

  it('another aggregation', () => {
    const [base] = counterViews();
    for (const type of [AggregationType.LAST_VALUE, AggregationType.DROP, AggregationType.EXPLICIT_BUCKET_HISTOGRAM, AggregationType.EXPONENTIAL_HISTOGRAM]) {
      expect(specFromViews(counterDecl, [{ ...base!, aggregation: { type } as ViewOptions['aggregation'] }], p), String(type)).toBeUndefined();
    }
    expect(specFromViews(histogramDecl, [{ ...histogramView([1]), aggregation: undefined }], p)).toBeUndefined();
    expect(specFromViews(histogramDecl, [{ ...histogramView([1]), aggregation: { type: AggregationType.SUM } }], p)).toBeUndefined();
  });

  it('histogram buckets must agree between the streams; min/max as the view says (default on)', () => {
    const ws = { ...histogramView([1, 2]), name: 'unit_latency_by_workspace_seconds' };
    const decl = { ...histogramDecl, workspaceStream: true };
    expect(specFromViews(decl, [histogramView([1, 2]), ws], p)!.boundaries).toStrictEqual([1, 2]);
    expect(specFromViews(decl, [histogramView([1, 3]), ws], p)).toBeUndefined();
    expect(specFromViews(histogramDecl, [histogramView([1], false)], p)!.recordMinMax).toBe(false);
    expect(specFromViews(histogramDecl, [histogramView([1])], p)!.recordMinMax).toBe(true);
    expect(specFromViews(histogramDecl, [{ ...histogramView([]), aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM } }], p)!.boundaries).toStrictEqual([]);
  });
});
