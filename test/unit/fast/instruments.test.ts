/**
 * The fast path's instruments on their own, without a kit: input handling
 * worded as the SDK words it, the exact shape of the exported data, min/max
 * when a view turns them off, and each stream's cardinality limit kept apart.
 */
import { diag, DiagLogLevel, ValueType, type DiagLogger } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, InstrumentType, type HistogramMetricData, type MetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram, streamDescriptor, type InstrumentSpec } from '../../../src/fast/instruments';
import { WorkspacePolicy } from '../../../src/policy/workspace-policy';
import { OVERFLOW_ATTRIBUTES } from '../../../src/fast/cells';

const warnings: string[] = [];
const logger: DiagLogger = {
  error: () => undefined,
  warn: (message: string) => void warnings.push(message),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

beforeEach(() => {
  warnings.length = 0;
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});
afterEach(() => diag.disable());

function spec(options: { labels?: string[]; baseLimit?: number; wsLimit?: number; policy?: WorkspacePolicy; kind?: 'counter' | 'histogram' } = {}): InstrumentSpec {
  const kind = options.kind ?? 'counter';
  const policy = options.policy;
  return {
    name: 'test.requests',
    labels: options.labels ?? ['route'],
    baseline: { descriptor: streamDescriptor(kind, 'test.requests', 'Requests.', '{request}'), cardinalityLimit: options.baseLimit ?? 100 },
    workspace:
      policy === undefined
        ? undefined
        : {
            descriptor: streamDescriptor(kind, 'test.requests.by_workspace', 'Requests per workspace.', '{request}'),
            cardinalityLimit: options.wsLimit ?? 100,
            policy,
            fold: policy.foldCounter('test_requests_by_workspace_total'),
          },
  };
}

const END: [number, number] = [100, 0];

function collect(instrument: FastCounter | FastHistogram, reader = 0, readers = 1): MetricData[] {
  const out: MetricData[] = [];
  instrument.collect(reader, readers, END, out);
  return out;
}

const points = (data: MetricData) => (data as SumMetricData).dataPoints.map((p) => [p.attributes, p.value]);

describe('streamDescriptor', () => {
  it('is the SDK’s descriptor of a view’s stream, type and advice included', () => {
    expect(streamDescriptor('counter', 'a', 'd', 's')).toStrictEqual({ name: 'a', description: 'd', type: InstrumentType.COUNTER, unit: 's', valueType: ValueType.DOUBLE, advice: {} });
    expect((streamDescriptor('histogram', 'b', 'e', 'ms') as unknown as { type: InstrumentType }).type).toBe(InstrumentType.HISTOGRAM);
  });
});

describe('FastCounter', () => {
  it('exports a monotonic cumulative sum per attribute set, declared keys only', () => {
    const c = new FastCounter(spec());
    c.add(2, { route: '/a', stray: 'x' });
    c.add(0, { route: '/a' }); // zero is a valid increment
    c.add(3, { route: '/b' });
    c.add(1);
    const [data, ...rest] = collect(c);
    expect(rest).toHaveLength(0);
    const sum = data as SumMetricData;
    expect(sum.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(sum.dataPointType).toBe(DataPointType.SUM);
    expect(sum.isMonotonic).toBe(true);
    expect(sum.descriptor.name).toBe('test.requests');
    expect(points(sum)).toStrictEqual([
      [{ route: '/a' }, 2],
      [{ route: '/b' }, 3],
      [{}, 1],
    ]);
    expect(sum.dataPoints.every((p) => p.endTime === END)).toBe(true);
  });

  it('drops a negative or non-number value with the SDK’s warning, and adds NaN as the SDK does', () => {
    const c = new FastCounter(spec());
    c.add(-1, { route: '/a' });
    c.add('3' as unknown as number, { route: '/a' });
    expect(warnings).toStrictEqual(['negative value provided to counter test.requests: -1', 'non-number value provided to metric test.requests: 3']);
    expect(collect(c)).toStrictEqual([]); // nothing recorded: no stream at all
    c.add(NaN, { route: '/a' });
    expect(points(collect(c)[0]!)).toStrictEqual([[{ route: '/a' }, NaN]]);
  });

  it('exports nothing before the first recording, and keeps each reader’s cumulative total', () => {
    const c = new FastCounter(spec());
    expect(collect(c, 0, 2)).toStrictEqual([]);
    c.add(5, { route: '/a' });
    expect(points(collect(c, 0, 2)[0]!)).toStrictEqual([[{ route: '/a' }, 5]]);
    c.add(1, { route: '/a' });
    expect(points(collect(c, 0, 2)[0]!)).toStrictEqual([[{ route: '/a' }, 6]]);
    expect(points(collect(c, 1, 2)[0]!)).toStrictEqual([[{ route: '/a' }, 6]]);
  });

  it('keeps the workspace stream’s limit apart from the baseline’s, and resolves the workspace once per recording', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['w1', 'w2', 'w3'] });
    // Baseline: 2 series then overflow; workspace stream: room for 10.
    const c = new FastCounter(spec({ policy, baseLimit: 3, wsLimit: 11 }));
    c.add(1, { route: '/a', workspace_id: 'w1' });
    c.add(1, { route: '/b', workspace_id: 'w2' });
    c.add(1, { route: '/c', workspace_id: 'w3' }); // baseline full: overflow; its workspace cell is new
    c.add(1, { route: '/c', workspace_id: 'nobody' });
    const [base, ws] = collect(c);
    expect(points(base!)).toStrictEqual([
      [{ route: '/a' }, 1],
      [{ route: '/b' }, 1],
      [OVERFLOW_ATTRIBUTES, 2],
    ]);
    expect(points(ws!)).toStrictEqual([
      [{ route: '/a', workspace_id: 'w1' }, 1],
      [{ route: '/b', workspace_id: 'w2' }, 1],
      [{ route: '/c', workspace_id: 'w3' }, 1],
      [{ route: '/c', workspace_id: '__other__' }, 1],
    ]);
    expect(ws!.descriptor.name).toBe('test.requests.by_workspace');
    expect(policy.foldCounts()).toStrictEqual([{ metric: 'test_requests_by_workspace_total', count: 1 }]);
    expect(policy.folded).toBe(1);
  });

  it('sends both streams to overflow once neither has room, and starts a fresh cycle at each collection', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['w1'] });
    const c = new FastCounter(spec({ policy, baseLimit: 2, wsLimit: 2 }));
    c.add(1, { route: '/a', workspace_id: 'w1' });
    c.add(1, { route: '/b', workspace_id: 'w1' }); // no room left in either stream: both overflow
    let [base, ws] = collect(c);
    expect(points(base!)).toStrictEqual([
      [{ route: '/a' }, 1],
      [OVERFLOW_ATTRIBUTES, 1],
    ]);
    expect(points(ws!)).toStrictEqual([
      [{ route: '/a', workspace_id: 'w1' }, 1],
      [OVERFLOW_ATTRIBUTES, 1],
    ]);
    // New cycle: /b gets its own series now (the overflow series count as touched only when used).
    c.add(1, { route: '/b', workspace_id: 'w1' });
    [base, ws] = collect(c);
    expect(points(base!)).toStrictEqual([
      [{ route: '/a' }, 1],
      [OVERFLOW_ATTRIBUTES, 1],
      [{ route: '/b' }, 1],
    ]);
    expect(points(ws!)).toStrictEqual([
      [{ route: '/a', workspace_id: 'w1' }, 1],
      [OVERFLOW_ATTRIBUTES, 1],
      [{ route: '/b', workspace_id: 'w1' }, 1],
    ]);
    // An existing series recorded again in a new cycle counts as touched: /a then /b fill the baseline again.
    c.add(1, { route: '/a', workspace_id: 'w1' });
    c.add(1, { route: '/b', workspace_id: 'w1' });
    [base] = collect(c);
    expect(points(base!)).toStrictEqual([
      [{ route: '/a' }, 2],
      [OVERFLOW_ATTRIBUTES, 2],
      [{ route: '/b' }, 1],
    ]);
  });
});

describe('workspace stream cycles', () => {
  it('a workspace series recorded twice in a cycle counts once; recorded again in a new cycle it counts again', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['w1', 'w2', 'w3'] });
    // Workspace stream: 2 series per cycle, then overflow; the baseline has room.
    const c = new FastCounter(spec({ policy, labels: [], wsLimit: 3 }));
    c.add(1, { workspace_id: 'w1' });
    c.add(1, { workspace_id: 'w1' });
    c.add(1, { workspace_id: 'w2' }); // the second series of the cycle: its own
    let [, ws] = collect(c);
    expect(points(ws!)).toStrictEqual([
      [{ workspace_id: 'w1' }, 2],
      [{ workspace_id: 'w2' }, 1],
    ]);
    c.add(1, { workspace_id: 'w1' }); // existing series, touched in the new cycle
    c.add(1, { workspace_id: 'w3' }); // new: the second of this cycle
    c.add(1, { workspace_id: 'w2' }); // existing, but the cycle is full: overflow
    [, ws] = collect(c);
    expect(points(ws!)).toStrictEqual([
      [{ workspace_id: 'w1' }, 3],
      [{ workspace_id: 'w2' }, 1],
      [{ workspace_id: 'w3' }, 1],
      [OVERFLOW_ATTRIBUTES, 1],
    ]);
  });
});

describe('FastHistogram', () => {
  const histogramSpec = (recordMinMax: boolean, policy?: WorkspacePolicy) => ({ ...spec({ kind: 'histogram', policy }), boundaries: [1, 5], recordMinMax });
  const values = (data: MetricData) => (data as HistogramMetricData).dataPoints.map((p) => [p.attributes, p.value]);

  it('exports cumulative buckets, count, sum, min and max', () => {
    const h = new FastHistogram(histogramSpec(true));
    for (const value of [0, 1, 1.5, 5, 7]) h.record(value, { route: '/a' });
    const [data] = collect(h);
    expect(data!.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(data!.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(values(data!)).toStrictEqual([[{ route: '/a' }, { min: 0, max: 7, sum: 14.5, buckets: { boundaries: [1, 5], counts: [2, 2, 1] }, count: 5 }]]);
    h.record(3, { route: '/a' });
    expect(values(collect(h)[0]!)).toStrictEqual([[{ route: '/a' }, { min: 0, max: 7, sum: 17.5, buckets: { boundaries: [1, 5], counts: [2, 3, 1] }, count: 6 }]]);
  });

  it('leaves min and max out when the view does not record them', () => {
    const h = new FastHistogram(histogramSpec(false));
    h.record(2, { route: '/a' });
    expect(values(collect(h)[0]!)).toStrictEqual([[{ route: '/a' }, { min: undefined, max: undefined, sum: 2, buckets: { boundaries: [1, 5], counts: [0, 1, 0] }, count: 1 }]]);
  });

  it('keeps the cells of a NaN recording but records nothing in them; drops negative values with the SDK’s warning', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['w1'] });
    const h = new FastHistogram(histogramSpec(true, policy));
    h.record(NaN, { route: '/a', workspace_id: 'w1' });
    h.record(-2, { route: '/a', workspace_id: 'w1' });
    expect(warnings).toStrictEqual(['negative value provided to histogram test.requests: -2']);
    const empty = { min: undefined, max: undefined, sum: 0, buckets: { boundaries: [1, 5], counts: [0, 0, 0] }, count: 0 };
    const [base, ws] = collect(h);
    expect(values(base!)).toStrictEqual([[{ route: '/a' }, empty]]);
    expect(values(ws!)).toStrictEqual([[{ route: '/a', workspace_id: 'w1' }, empty]]);
    h.record(9, { route: '/a', workspace_id: 'w1' });
    const [base2, ws2] = collect(h);
    const one = { min: 9, max: 9, sum: 9, buckets: { boundaries: [1, 5], counts: [0, 0, 1] }, count: 1 };
    expect(values(base2!)).toStrictEqual([[{ route: '/a' }, one]]);
    expect(values(ws2!)).toStrictEqual([[{ route: '/a', workspace_id: 'w1' }, one]]);
  });
});
