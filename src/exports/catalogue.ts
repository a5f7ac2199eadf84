/**
 * `otel-workspace-metrics/catalogue`: every declaration of the catalogue, the
 * names they take in Prometheus, their buckets, and the catalogue document.
 */
export { catalogue, declareMetrics, BUILTIN_METRICS } from '../catalogue/index';
export {
  prometheusName,
  prometheusNames,
  prometheusType,
  streamName,
  DURATION_BUCKETS_SECONDS,
  DEFAULT_CARDINALITY_LIMIT,
  DEFAULT_WORKSPACE_CARDINALITY_LIMIT,
  type MetricDeclaration,
  type InstrumentKind,
  type StreamKind,
} from '../model/types';
export { actionExecutions, actionDuration } from '../catalogue/actions';
export { queueJobs, queueJobDuration } from '../catalogue/queue';
export { httpServerRequestDuration } from '../catalogue/http';
export { httpServerRequestBodySize, httpServerResponseBodySize, BODY_SIZE_BUCKETS_BYTES } from '../catalogue/http-sizes';
export { workflowExecutions, workflowDuration, workflowStepExecutions, workflowStepDuration } from '../catalogue/workflows';
export { workerActive, workerHealth, workerRestarts } from '../catalogue/workers';
export { cacheOperations, cacheSize, cacheEvictions } from '../catalogue/cache';
export {
  RATE_LIMITER_DELAY_BUCKETS_SECONDS,
  circuitBreakerState,
  circuitBreakerTransitions,
  circuitBreakerTrips,
  retryAttempts,
  retrySuccesses,
  deadLetterQueueSize,
  deadLetterQueueReplays,
  rateLimiterDelay,
} from '../catalogue/resilience';
export { SESSION_DURATION_BUCKETS_SECONDS, sessionActive, sessionDuration, sessionRefreshes } from '../catalogue/sessions';
export { DATABASE_DURATION_BUCKETS_SECONDS, databaseOperationDuration, databaseErrors } from '../catalogue/database';
export { messageBusMessages, messageBusProcessingDuration, messageBusQueueDepth } from '../catalogue/messaging';
export {
  SELF_METRICS,
  workspaceFolded,
  workspaceUnlistedEstimate,
  allowlistSize,
  allowlistLastReload,
  allowlistReloadErrors,
  exportFailures,
} from '../catalogue/self';
export {
  QUEUE_HEALTH_METRICS,
  QUEUE_HEALTH_ERROR_REASONS,
  type QueueHealthErrorReason,
  queueDepth,
  queueReadyDepth,
  queueFutureDepth,
  queueOldestReadyAge,
  queueRunningExpiredLease,
  queueRunningActiveLease,
  queueHealthCollectorErrors,
} from '../catalogue/queue-health';
export { renderCatalogueMarkdown } from '../cli/catalogue-doc';
