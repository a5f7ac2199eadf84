/**
 * The application's own metric families (OpsOptions.metrics, the ones it
 * passes to `declareMetrics`), read the way the built-in ones are: counters
 * and histograms get rates (and quantiles) per job and, with a workspace
 * stream, per workspace; a family with a `status` label gets a failure ratio
 * and a *FailureRateHigh alert; every family gets panels on the "Custom
 * metrics" dashboard.
 */
import { prometheusName, prometheusType, streamName, type MetricDeclaration } from '../model/types';
import { BUILTIN_METRICS, catalogue } from '../catalogue/index';
import type { OpsOptions } from './options';

export interface CustomFamily {
  readonly decl: MetricDeclaration;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** The name recording rules use (the stream name without `_total`). */
  readonly ruleMetric: string;
  /** The series counting recordings (a counter, or a histogram's `_count`); undefined for gauges. */
  readonly counting?: { readonly baseline: string; readonly workspace?: string };
  /** The histogram's `_bucket` series. */
  readonly buckets?: { readonly baseline: string; readonly workspace?: string };
  /** The gauge's series. */
  readonly gauge?: string;
  /** Whether executions carry an outcome `status` (FAILURE_STATUSES count as failures). */
  readonly hasStatus: boolean;
  /** Labels besides `status`, for panels. */
  readonly labels: readonly string[];
}

const promLabel = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_');

export function customFamily(decl: MetricDeclaration): CustomFamily {
  const type = prometheusType(decl);
  const ws = decl.workspaceStream === true;
  const base = {
    decl,
    type,
    ruleMetric: streamName(decl, 'baseline'),
    hasStatus: decl.labels.includes('status') && type !== 'gauge',
    labels: decl.labels.filter((l) => l !== 'status').map(promLabel),
  };
  if (type === 'gauge') return { ...base, gauge: prometheusName(decl) };
  if (type === 'counter') return { ...base, counting: { baseline: prometheusName(decl), ...(ws ? { workspace: prometheusName(decl, 'workspace') } : {}) } };
  return {
    ...base,
    counting: { baseline: `${prometheusName(decl)}_count`, ...(ws ? { workspace: `${prometheusName(decl, 'workspace')}_count` } : {}) },
    buckets: { baseline: `${prometheusName(decl)}_bucket`, ...(ws ? { workspace: `${prometheusName(decl, 'workspace')}_bucket` } : {}) },
  };
}

/** The custom families of `options` (declarations that are not built in), in declaration order. */
export function customFamilies(options: OpsOptions): CustomFamily[] {
  const builtin = new Set(BUILTIN_METRICS.map((d) => d.name));
  const seen = new Set<string>();
  const out: CustomFamily[] = [];
  for (const decl of options.metrics) {
    if (builtin.has(decl.name)) throw new Error(`ops metrics: ${decl.name} is a built-in family; list only your own`);
    if (seen.has(decl.name)) throw new Error(`ops metrics: ${decl.name} is listed twice`);
    seen.add(decl.name);
    out.push(customFamily(decl));
  }
  return out;
}


/** The families declared with `declareMetrics` in this process (the catalogue minus the built-in ones), for OpsOptions.metrics. */
export function declaredMetrics(): MetricDeclaration[] {
  const builtin = new Set(BUILTIN_METRICS.map((d) => d.name));
  return catalogue().filter((decl) => !builtin.has(decl.name));
}
