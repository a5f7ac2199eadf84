/**
 * Metric names for rules and dashboards, taken from the catalogue
 * declarations (never typed by hand), so a renamed metric changes every
 * artifact that uses it, and the artifact tests notice.
 */
import { prometheusName, prometheusType, streamName, type MetricDeclaration, type StreamKind } from '../model/types';
import { actionDuration, actionExecutions } from '../catalogue/actions';
import { queueJobDuration, queueJobs } from '../catalogue/queue';
import { workflowDuration, workflowExecutions, workflowStepDuration, workflowStepExecutions } from '../catalogue/workflows';
import * as queueHealth from '../catalogue/queue-health';
import type { Status } from '../record/validate';

/** The family name of a counter or gauge stream (`action_executions_total`). */
export function series(decl: MetricDeclaration, stream: StreamKind = 'baseline'): string {
  if (stream === 'workspace' && !decl.workspaceStream) throw new Error(`${decl.name} has no workspace stream`);
  if (prometheusType(decl) === 'histogram') throw new Error(`${decl.name} is a histogram: use bucket/count/sum`);
  return prometheusName(decl, stream);
}

function histogramPart(decl: MetricDeclaration, stream: StreamKind, part: 'bucket' | 'count' | 'sum'): string {
  if (prometheusType(decl) !== 'histogram') throw new Error(`${decl.name} is not a histogram`);
  if (stream === 'workspace' && !decl.workspaceStream) throw new Error(`${decl.name} has no workspace stream`);
  return `${prometheusName(decl, stream)}_${part}`;
}

export const bucket = (decl: MetricDeclaration, stream: StreamKind = 'baseline'): string => histogramPart(decl, stream, 'bucket');
export const count = (decl: MetricDeclaration, stream: StreamKind = 'baseline'): string => histogramPart(decl, stream, 'count');
export const sum = (decl: MetricDeclaration, stream: StreamKind = 'baseline'): string => histogramPart(decl, stream, 'sum');

/** The series that counts recordings of a stream: a counter itself, a histogram's `_count`. */
export function counting(decl: MetricDeclaration, stream: StreamKind = 'baseline'): string {
  return prometheusType(decl) === 'histogram' ? count(decl, stream) : series(decl, stream);
}

/** The name a recording rule uses for a family: the baseline stream name without `_total` (`action_executions`, `action_duration_seconds`). */
export function ruleMetric(decl: MetricDeclaration): string {
  return streamName(decl, 'baseline');
}

/** A family recorded with an outcome `status`: a counter of executions and a histogram of their durations. */
export interface ExecutionFamily {
  /** What the family counts, for titles and descriptions (`action executions`). */
  readonly noun: string;
  readonly counter: MetricDeclaration;
  readonly histogram: MetricDeclaration;
}

export const ACTION_FAMILY: ExecutionFamily = { noun: 'action executions', counter: actionExecutions, histogram: actionDuration };
export const QUEUE_JOB_FAMILY: ExecutionFamily = { noun: 'queue jobs', counter: queueJobs, histogram: queueJobDuration };
export const WORKFLOW_FAMILY: ExecutionFamily = { noun: 'workflow executions', counter: workflowExecutions, histogram: workflowDuration };
export const WORKFLOW_STEP_FAMILY: ExecutionFamily = { noun: 'workflow steps', counter: workflowStepExecutions, histogram: workflowStepDuration };

/** The families with per-workspace recording rules (and a workspace drill-down). */
export const EXECUTION_FAMILIES: readonly ExecutionFamily[] = [ACTION_FAMILY, QUEUE_JOB_FAMILY, WORKFLOW_FAMILY];

/** The queue & lease health families (src/catalogue/queue-health.ts): gauges and the collector's error counter. */
export const QUEUE_HEALTH = {
  depth: series(queueHealth.queueDepth),
  ready: series(queueHealth.queueReadyDepth),
  future: series(queueHealth.queueFutureDepth),
  oldestReadyAge: series(queueHealth.queueOldestReadyAge),
  expiredLeases: series(queueHealth.queueRunningExpiredLease),
  activeLeases: series(queueHealth.queueRunningActiveLease),
  collectorErrors: series(queueHealth.queueHealthCollectorErrors),
  up: series(queueHealth.queueHealthUp),
} as const;

/** Outcome statuses that count as failures in ratios and alerts (STATUSES of src/record/validate.ts). */
export const FAILURE_STATUSES: readonly Status[] = ['error', 'timeout'];
export const FAILURE_MATCHER = `status=~"${FAILURE_STATUSES.join('|')}"`;

/**
 * The collector's own metrics (its telemetry endpoint, scraped by the
 * `otel-collector-telemetry` job). Not in the catalogue: the collector names
 * them. otel-collector/config.yaml exposes them without unit or `_total`
 * suffixes (without_units, without_type_suffix), as the pinned release's
 * built-in reader does. The send-failed counter appears with the first failure.
 */
export const COLLECTOR_METRICS = {
  exporterSent: 'otelcol_exporter_sent_metric_points',
  exporterSendFailed: 'otelcol_exporter_send_failed_metric_points',
  receiverAccepted: 'otelcol_receiver_accepted_metric_points',
  receiverRefused: 'otelcol_receiver_refused_metric_points',
} as const;
