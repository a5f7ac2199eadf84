/**
 * The kit's own metrics: how the workspace label policy behaves, so an alert
 * can say "the allowlist diverges from reality". Reported at collection time
 * (observable instruments) only while the workspace label is on; the hot path
 * only bumps plain integers (see src/policy/self-metrics.ts).
 *
 *   otel_workspace_metrics_workspace_folded_total{metric}            recordings folded into __other__ or team/__other__, per _by_workspace family
 *   otel_workspace_metrics_workspace_unlisted_estimate               distinct canonical workspaces folded recently (HyperLogLog, 10-20 min)
 *   otel_workspace_metrics_allowlist_size                            entries in the effective allowlist
 *   otel_workspace_metrics_allowlist_last_reload_timestamp_seconds   last successful load of any allowlist source (or the start)
 *   otel_workspace_metrics_allowlist_reload_errors_total{source}     failed loads per dynamic source (file, postgres...)
 *   otel_workspace_metrics_export_failures_total{exporter,reason}    failed OTLP export requests (reported whenever OTLP export is on)
 */
import type { MetricDeclaration } from '../model/types';

export const SELF_METRIC_PREFIX = 'otel_workspace_metrics';

export const workspaceFolded: MetricDeclaration = {
  name: `${SELF_METRIC_PREFIX}.workspace.folded`,
  kind: 'observableCounter',
  unit: '{recording}',
  description:
    'Recordings whose workspace folded into __other__ (or team/__other__) because it was not allowlisted, not sampled, missing or invalid, per _by_workspace metric family.',
  labels: ['metric'],
};

export const workspaceUnlistedEstimate: MetricDeclaration = {
  name: `${SELF_METRIC_PREFIX}.workspace.unlisted_estimate`,
  kind: 'observableGauge',
  unit: '{workspace}',
  description:
    'Estimated number of distinct canonical workspace ids that folded into __other__ in the last 10 to 20 minutes (HyperLogLog, about 3% error).',
  labels: [],
};

export const allowlistSize: MetricDeclaration = {
  name: `${SELF_METRIC_PREFIX}.allowlist.size`,
  kind: 'observableGauge',
  unit: '{entry}',
  description: 'Entries in the effective workspace allowlist (union of env, file and pluggable sources).',
  labels: [],
};

export const allowlistLastReload: MetricDeclaration = {
  name: `${SELF_METRIC_PREFIX}.allowlist.last_reload_timestamp`,
  kind: 'observableGauge',
  unit: 's',
  description: 'Unix time of the last successful load of any workspace allowlist source (the start time when there is none).',
  labels: [],
};

export const allowlistReloadErrors: MetricDeclaration = {
  name: `${SELF_METRIC_PREFIX}.allowlist.reload_errors`,
  kind: 'observableCounter',
  unit: '{error}',
  description: 'Failed loads of a workspace allowlist source; the source keeps its last good list.',
  labels: ['source'],
};

export const exportFailures: MetricDeclaration = {
  name: `${SELF_METRIC_PREFIX}.export.failures`,
  kind: 'observableCounter',
  unit: '{request}',
  description:
    'Failed OTLP export requests, by exporter (otlp_http, otlp_grpc) and reason (too_large, refused, unavailable, timeout, network, other); a collection split into several requests counts each failed request.',
  labels: ['exporter', 'reason'],
};

export const SELF_METRICS = [workspaceFolded, workspaceUnlistedEstimate, allowlistSize, allowlistLastReload, allowlistReloadErrors, exportFailures] as const;
