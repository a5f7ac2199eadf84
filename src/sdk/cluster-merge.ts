/**
 * One process group's metrics as one: the cumulative data of the primary and
 * of every worker, merged the way prom-client's AggregatorRegistry does for
 * its users. Counters, up-down counters and histograms are summed per
 * attribute set (the policy already ran in each process, so the sets agree);
 * gauges are per process, so each gauge point keeps its process's
 * `service.instance.id` as an attribute (worker identity where summing would
 * mean nothing). Pure: no IPC here (src/sdk/cluster.ts).
 */
import type { HrTime, Attributes } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ResourceMetrics, type ScopeMetrics, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';

/** The attribute naming the process of a gauge point in a merged scrape. */
export const PROCESS_IDENTITY_ATTRIBUTE = 'service.instance.id';

/** One process's data: what its reader collected (through JSON when it came over IPC). */
export interface ProcessMetrics {
  /** Its service.instance.id. */
  identity: string;
  scopeMetrics: ScopeMetrics[];
}

/** A data point being merged (DataPoint's fields are read-only). */
interface Point {
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  value: unknown;
}

interface MergedMetric {
  data: MetricData;
  points: Map<string, Point>;
}

function attributesKey(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((key) => [key, attributes[key]]));
}

function earlier(a: HrTime, b: HrTime): HrTime {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b;
}

function later(a: HrTime, b: HrTime): HrTime {
  return earlier(a, b) === a ? b : a;
}

function finiteOr(value: number | null | undefined, fallback: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

/** Adds `point` into `into` (same attributes, same instrument); false when the two cannot be added (different buckets). */
function add(type: DataPointType, into: Point, point: DataPoint<unknown>): boolean {
  if (type === DataPointType.SUM) {
    into.value = (into.value as number) + (point.value as number);
  } else {
    const a = into.value as Histogram;
    const b = point.value as Histogram;
    if (!sameBoundaries(a.buckets.boundaries, b.buckets.boundaries)) return false;
    const min = finiteOr(b.min, undefined);
    const max = finiteOr(b.max, undefined);
    into.value = {
      buckets: { boundaries: a.buckets.boundaries, counts: a.buckets.counts.map((count, i) => count + (b.buckets.counts[i] ?? 0)) },
      count: a.count + b.count,
      sum: (a.sum ?? 0) + (b.sum ?? 0),
      min: min === undefined ? a.min : Math.min(finiteOr(a.min, min)!, min),
      max: max === undefined ? a.max : Math.max(finiteOr(a.max, max)!, max),
    } satisfies Histogram;
  }
  into.startTime = earlier(into.startTime, point.startTime);
  into.endTime = later(into.endTime, point.endTime);
  return true;
}

function clonePoint(point: DataPoint<unknown>, attributes: Attributes): Point {
  const value = point.value;
  const copy =
    typeof value === 'object' && value !== null && 'buckets' in value
      ? { ...(value as Histogram), buckets: { boundaries: [...(value as Histogram).buckets.boundaries], counts: [...(value as Histogram).buckets.counts] } }
      : value;
  return { startTime: point.startTime, endTime: point.endTime, attributes, value: copy };
}

export interface MergeResult {
  resourceMetrics: ResourceMetrics;
  /** Points that could not be merged (a worker with other bucket boundaries), one line each. */
  problems: string[];
}

/**
 * Merges the processes' data under `resource` (the serving process's). Sums
 * and histograms add up per attribute set; gauges and exponential histograms
 * stay per process.
 */
export function mergeProcessMetrics(resource: ResourceMetrics['resource'], processes: readonly ProcessMetrics[]): MergeResult {
  const scopes = new Map<string, { scope: ScopeMetrics['scope']; metrics: Map<string, MergedMetric> }>();
  const problems: string[] = [];
  for (const process of processes) {
    for (const scopeMetrics of process.scopeMetrics) {
      const { scope } = scopeMetrics;
      const scopeKey = JSON.stringify([scope.name, scope.version ?? '', scope.schemaUrl ?? '']);
      let merged = scopes.get(scopeKey);
      if (merged === undefined) scopes.set(scopeKey, (merged = { scope, metrics: new Map() }));
      for (const metric of scopeMetrics.metrics) {
        let entry = merged.metrics.get(metric.descriptor.name);
        if (entry === undefined) {
          entry = { data: { ...metric, dataPoints: [] } as MetricData, points: new Map() };
          merged.metrics.set(metric.descriptor.name, entry);
        } else if (entry.data.dataPointType !== metric.dataPointType) {
          problems.push(`${metric.descriptor.name}: process ${process.identity} records it as another instrument kind; its points are left out`);
          continue;
        }
        const perProcess = metric.dataPointType === DataPointType.GAUGE || metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM;
        for (const point of metric.dataPoints as DataPoint<unknown>[]) {
          const attributes = perProcess ? { ...point.attributes, [PROCESS_IDENTITY_ATTRIBUTE]: process.identity } : point.attributes;
          const key = attributesKey(attributes);
          const existing = entry.points.get(key);
          if (existing === undefined) entry.points.set(key, clonePoint(point, attributes));
          else if (perProcess || !add(metric.dataPointType, existing, point)) {
            problems.push(`${metric.descriptor.name}: a point of process ${process.identity} cannot be added (other histogram buckets); it is left out`);
          }
        }
      }
    }
  }
  const scopeMetrics: ScopeMetrics[] = [...scopes.values()].map(({ scope, metrics }) => ({
    scope,
    metrics: [...metrics.values()].map(({ data, points }) => ({ ...data, dataPoints: [...points.values()] }) as MetricData),
  }));
  return { resourceMetrics: { resource, scopeMetrics }, problems };
}
