/**
 * Merging a process group's data (src/sdk/cluster-merge.ts): sums and
 * histograms add up per attribute set, gauges stay per process under
 * service.instance.id, and what cannot be added is left out and reported.
 */
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, DataPointType, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { mergeProcessMetrics, PROCESS_IDENTITY_ATTRIBUTE } from '../../../src/sdk/cluster-merge';

const scope = { name: 'otel-workspace-metrics', version: '' };
const t = (s: number): [number, number] => [s, 0];

function sum(points: [Record<string, string>, number, number][]): MetricData {
  return {
    descriptor: { name: 'jobs', description: '', unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: points.map(([attributes, value, start]) => ({ attributes, value, startTime: t(start), endTime: t(100) })),
  };
}

function histogram(boundaries: number[], counts: number[], sumValue: number, min: number, max: number): MetricData {
  return {
    descriptor: { name: 'duration', description: '', unit: 's', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: [{ attributes: { op: 'x' }, startTime: t(1), endTime: t(2), value: { buckets: { boundaries, counts }, count: counts.reduce((a, b) => a + b, 0), sum: sumValue, min, max } }],
  };
}

function gauge(value: number): MetricData {
  return {
    descriptor: { name: 'active', description: '', unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: [{ attributes: { worker: 'jobs' }, startTime: t(1), endTime: t(2), value }],
  };
}

const of = (metrics: MetricData[]): ScopeMetrics[] => [{ scope, metrics }];
const resource = resourceFromAttributes({ 'service.name': 'svc' });

describe('mergeProcessMetrics', () => {
  it('adds sums per attribute set and keeps the earliest start', () => {
    const { resourceMetrics, problems } = mergeProcessMetrics(resource, [
      { identity: 'a', scopeMetrics: of([sum([[{ s: 'ok' }, 3, 10], [{ s: 'error' }, 1, 10]])]) },
      { identity: 'b', scopeMetrics: of([sum([[{ s: 'ok' }, 4, 5]])]) },
    ]);
    expect(problems).toEqual([]);
    expect(resourceMetrics.resource).toBe(resource);
    const points = resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints;
    expect(points.map((p) => [p.attributes, p.value, p.startTime])).toEqual([
      [{ s: 'ok' }, 7, t(5)],
      [{ s: 'error' }, 1, t(10)],
    ]);
  });

  it('adds histogram buckets, counts and sums; min and max over both', () => {
    const { resourceMetrics } = mergeProcessMetrics(resource, [
      { identity: 'a', scopeMetrics: of([histogram([1, 2], [1, 2, 0], 3.5, 0.5, 2)]) },
      { identity: 'b', scopeMetrics: of([histogram([1, 2], [0, 1, 4], 11, 1.5, 3)]) },
    ]);
    expect(resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.value).toEqual({
      buckets: { boundaries: [1, 2], counts: [1, 3, 4] },
      count: 8,
      sum: 14.5,
      min: 0.5,
      max: 3,
    });
  });

  it('leaves out and reports a histogram with other boundaries', () => {
    const { resourceMetrics, problems } = mergeProcessMetrics(resource, [
      { identity: 'a', scopeMetrics: of([histogram([1, 2], [1, 2, 0], 3.5, 0.5, 2)]) },
      { identity: 'b', scopeMetrics: of([histogram([1, 5], [0, 1, 4], 11, 1.5, 6)]) },
    ]);
    expect((resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.value as { count: number }).count).toBe(3);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/duration: .*process b/);
  });

  it('keeps gauges per process', () => {
    const { resourceMetrics } = mergeProcessMetrics(resource, [
      { identity: 'a', scopeMetrics: of([gauge(1)]) },
      { identity: 'b', scopeMetrics: of([gauge(2)]) },
    ]);
    expect(resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ worker: 'jobs', [PROCESS_IDENTITY_ATTRIBUTE]: 'a' }, 1],
      [{ worker: 'jobs', [PROCESS_IDENTITY_ATTRIBUTE]: 'b' }, 2],
    ]);
  });

  it('leaves out a metric another process records as another kind', () => {
    const other = { ...gauge(5), descriptor: { ...gauge(5).descriptor, name: 'jobs' } };
    const { resourceMetrics, problems } = mergeProcessMetrics(resource, [
      { identity: 'a', scopeMetrics: of([sum([[{ s: 'ok' }, 3, 1]])]) },
      { identity: 'b', scopeMetrics: of([other]) },
    ]);
    expect(resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints.map((p) => p.value)).toEqual([3]);
    expect(problems).toEqual(['jobs: process b records it as another instrument kind; its points are left out']);
  });

  it('does not change its inputs', () => {
    const a = of([sum([[{ s: 'ok' }, 3, 1]])]);
    mergeProcessMetrics(resource, [
      { identity: 'a', scopeMetrics: a },
      { identity: 'b', scopeMetrics: of([sum([[{ s: 'ok' }, 4, 1]])]) },
    ]);
    expect(a[0]!.metrics[0]!.dataPoints[0]!.value).toBe(3);
  });
});
