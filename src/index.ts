/** otel-workspace-metrics: the public API. */
export { start, activeKit, type Kit, type StartOptions } from './sdk/start';
export { readConfig, CONFIG_VARIABLES, type KitConfig, type Env } from './config/env';
export { setLogSink } from './log';

// Recording helpers, one family per module.
export { recordActionExecution, type ActionExecution, actionExecutions, actionDuration } from './catalogue/actions';
export { recordQueueJob, type QueueJob, queueJobs, queueJobDuration } from './catalogue/queue';
export { httpServerRequestDuration } from './catalogue/http';
export { setHttpRoute } from './http/server-metrics';
export { normalizePath, normalizeMethod, routeLabel } from './http/route';

// The catalogue and the policy, for custom families and for your own SDK setup.
export { catalogue, declareMetrics, BUILTIN_METRICS } from './catalogue/index';
export {
  prometheusName,
  prometheusNames,
  prometheusType,
  streamName,
  DURATION_BUCKETS_SECONDS,
  type MetricDeclaration,
  type InstrumentKind,
} from './catalogue/types';
export { buildViews, viewsFor } from './sdk/views';
export { WorkspacePolicy, isSampled } from './policy/workspace-policy';
export { canonicalWorkspaceId, isCanonicalWorkspaceId, OVERFLOW_VALUE, CANONICAL_WORKSPACE_PATTERN } from './policy/canonical';
export { counter, histogram, upDownCounter, gauge, registerObservation, type Observation } from './record/instruments';
export { defineRecorder, required, nonNegative, status, BoundedLabel, STATUSES, type Status } from './record/validate';
export { withWorkspace } from './record/workspace-attribute';
