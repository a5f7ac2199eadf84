/**
 * OTLP requests that fit: one collection (ResourceMetrics) becomes as many
 * export requests as it takes for each to serialize to at most
 * `maxRequestBytes` (METRICS_OTLP_MAX_REQUEST_BYTES), so a receiver's size
 * limit never refuses the kit's data, whatever the cardinality.
 *
 * Sizes come from the serializer the exporter itself uses
 * (@opentelemetry/otlp-transformer's protobuf serializer for http/protobuf and
 * grpc, its JSON serializer for http/json), never from a guess:
 *
 * 1. Each metric is serialized alone in a request with the collection's
 *    resource and its scope. A request holding several of them is never larger
 *    than the sum of theirs (each alone repeats the resource and scope
 *    envelope that a combined request holds once; PACK_SLACK_BYTES covers the
 *    longer length prefixes of a combined envelope).
 * 2. A metric larger than the limit alone is cut at data-point boundaries:
 *    into ceil(size / limit) runs of equal point count, each serialized again,
 *    and a run still too large is halved until it fits.
 * 3. Metrics and runs are packed in collection order, greedily: a request
 *    takes the next one while the sum of sizes stays within the limit.
 *
 * The split is deterministic (the same collection gives the same requests)
 * and keeps every request self-describing: each carries the resource and the
 * scope (name, version, schema URL) of its metrics, and each run of a metric
 * carries its descriptor (name, unit, type, temporality, monotonicity). A
 * metric's data points are never duplicated nor dropped; a collector that
 * merges series (the workspace policy processor folding raw workspace ids into
 * __other__) sees them spread over several requests of one collection.
 *
 * Cost: a collection is serialized twice (sizes, then the exporter's own
 * encoding of each request); a metric cut into runs once more.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { MetricData, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { OtlpProtocol } from '../config/env';

/** Default request cap: 3 MiB, under the OTLP/gRPC receiver's 4 MiB default and OTLP/HTTP's 20 MiB, with room for headers and framing. */
export const DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;
/** Room for a combined request's longer length prefixes (resource and scope envelopes, at most 10 bytes each). */
const PACK_SLACK_BYTES = 64;

/** Bytes of one serialized export request. */
export type RequestSizer = (metrics: ResourceMetrics) => number;

/** The size the exporter for `protocol` will send (its own serializer, uncompressed: every receiver limits the decompressed size too). */
export function requestSizer(protocol: OtlpProtocol): RequestSizer {
  // Loaded on demand, as the exporters are: a kit that does not export OTLP never pays for it.
  const { JsonMetricsSerializer, ProtobufMetricsSerializer } = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
  const serializer = protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  return (metrics) => serializer.serializeRequest(metrics)?.byteLength ?? 0;
}

/** One unit of packing: a whole metric or a run of its data points, with its scope and measured size. */
interface Unit {
  scope: ScopeMetrics['scope'];
  metric: MetricData;
  bytes: number;
}

/** A request the limit cannot hold even with a single data point in it. */
export interface OversizedPoint {
  metric: string;
  bytes: number;
}

export interface SplitPlan {
  /** The requests, in collection order (a collection that fits: itself, untouched). */
  requests: ResourceMetrics[];
  /** Data points that alone exceed the limit: never sent (a receiver would refuse them). */
  oversized: OversizedPoint[];
}

function single(resource: ResourceMetrics['resource'], scope: ScopeMetrics['scope'], metric: MetricData): ResourceMetrics {
  return { resource, scopeMetrics: [{ scope, metrics: [metric] }] };
}

/** The same metric with only `points` (its descriptor and temporality kept). */
function withPoints(metric: MetricData, points: MetricData['dataPoints']): MetricData {
  return { ...metric, dataPoints: points } as MetricData;
}

/**
 * Split one collection into requests of at most `maxBytes` each (see the
 * module comment). A collection whose request fits is returned as is.
 */
export function splitCollection(metrics: ResourceMetrics, maxBytes: number, size: RequestSizer): SplitPlan {
  const budget = maxBytes - PACK_SLACK_BYTES;
  const units: Unit[] = [];
  const oversized: OversizedPoint[] = [];
  let total = 0;
  for (const { scope, metrics: list } of metrics.scopeMetrics) {
    for (const metric of list) {
      if (metric.dataPoints.length === 0) continue;
      const bytes = size(single(metrics.resource, scope, metric));
      total += bytes;
      if (bytes <= budget) units.push({ scope, metric, bytes });
      else cutMetric(metrics.resource, scope, metric, bytes, budget, size, units, oversized);
    }
  }
  // Fits in one request (sum of the parts bounds the whole): send the collection untouched.
  if (total <= budget && oversized.length === 0) return { requests: [metrics], oversized };
  return { requests: pack(metrics.resource, units, budget), oversized };
}

/** Cut a metric too large for one request into runs of data points that each fit. */
function cutMetric(
  resource: ResourceMetrics['resource'],
  scope: ScopeMetrics['scope'],
  metric: MetricData,
  bytes: number,
  budget: number,
  size: RequestSizer,
  units: Unit[],
  oversized: OversizedPoint[],
): void {
  const points = metric.dataPoints as readonly unknown[];
  const runs = Math.min(points.length, Math.ceil(bytes / budget));
  const perRun = Math.ceil(points.length / runs);
  const pending: [number, number][] = [];
  for (let start = 0; start < points.length; start += perRun) pending.push([start, Math.min(points.length, start + perRun)]);
  // Depth-first in point order, so runs come out in the metric's own order.
  pending.reverse();
  while (pending.length > 0) {
    const [start, end] = pending.pop()!;
    const run = withPoints(metric, points.slice(start, end) as MetricData['dataPoints']);
    const runBytes = size(single(resource, scope, run));
    if (runBytes <= budget) units.push({ scope, metric: run, bytes: runBytes });
    else if (end - start === 1) oversized.push({ metric: metric.descriptor.name, bytes: runBytes });
    else {
      const middle = start + Math.ceil((end - start) / 2);
      pending.push([middle, end], [start, middle]);
    }
  }
}

/** Greedy packing in order: a request takes the next unit while the sum of sizes fits. */
function pack(resource: ResourceMetrics['resource'], units: readonly Unit[], budget: number): ResourceMetrics[] {
  const requests: ResourceMetrics[] = [];
  let scopes: ScopeMetrics[] = [];
  let used = 0;
  for (const unit of units) {
    if (used > 0 && used + unit.bytes > budget) {
      requests.push({ resource, scopeMetrics: scopes });
      scopes = [];
      used = 0;
    }
    const last = scopes[scopes.length - 1];
    if (last !== undefined && last.scope === unit.scope) last.metrics.push(unit.metric);
    else scopes.push({ scope: unit.scope, metrics: [unit.metric] });
    used += unit.bytes;
  }
  if (scopes.length > 0) requests.push({ resource, scopeMetrics: scopes });
  return requests;
}

/**
 * The combined result of a collection's requests: success only when every
 * request succeeded; otherwise the first failure's error, its message saying
 * how many of the requests failed.
 */
export function combineResults(results: readonly ExportResult[]): ExportResult {
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length === 0) return { code: 0 };
  const first = failed[0]!.error ?? new Error('export failed');
  if (results.length === 1) return { code: 1, error: first };
  const error = Object.assign(new Error(`${failed.length} of ${results.length} requests of a split export failed: ${first.message}`), { cause: first });
  return { code: 1, error };
}
