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

// Families from the seeds (one module each; see docs/CATALOGUE.md).
export {
  recordWorkflowExecution,
  recordWorkflowStep,
  type WorkflowExecution,
  type WorkflowStep,
  workflowExecutions,
  workflowDuration,
  workflowStepExecutions,
  workflowStepDuration,
} from './catalogue/workflows';
export {
  setActiveWorkers,
  observeActiveWorkers,
  setWorkerHealth,
  observeWorkerHealth,
  recordWorkerRestart,
  type WorkerPool,
  type ActiveWorkers,
  type WorkerHealth,
  type WorkerRestart,
  workerActive,
  workerHealth,
  workerRestarts,
} from './catalogue/workers';
export {
  recordCacheOperation,
  setCacheSize,
  observeCacheSize,
  recordCacheEviction,
  CACHE_RESULTS,
  type CacheResult,
  type CacheRef,
  type CacheOperation,
  type CacheSize,
  type CacheEviction,
  cacheOperations,
  cacheSize,
  cacheEvictions,
} from './catalogue/cache';
export {
  setCircuitBreakerState,
  observeCircuitBreakerState,
  recordCircuitBreakerTransition,
  recordRetryAttempt,
  recordRetrySuccess,
  setDeadLetterQueueSize,
  observeDeadLetterQueueSize,
  recordDeadLetterReplay,
  recordRateLimiterDelay,
  BREAKER_STATES,
  RATE_LIMITER_DELAY_BUCKETS_SECONDS,
  type BreakerState,
  type BreakerRef,
  type BreakerStateInput,
  type BreakerTransition,
  type RetryInput,
  type DeadLetterQueueRef,
  type DeadLetterQueueSize,
  type DeadLetterReplay,
  type RateLimiterDelay,
  circuitBreakerState,
  circuitBreakerTransitions,
  circuitBreakerTrips,
  retryAttempts,
  retrySuccesses,
  deadLetterQueueSize,
  deadLetterQueueReplays,
  rateLimiterDelay,
} from './catalogue/resilience';
export {
  setActiveSessions,
  observeActiveSessions,
  recordSessionDuration,
  recordSessionRefresh,
  SESSION_REFRESH_REASONS,
  SESSION_DURATION_BUCKETS_SECONDS,
  type ActiveSessions,
  type SessionEnded,
  type SessionRefresh,
  sessionActive,
  sessionDuration,
  sessionRefreshes,
} from './catalogue/sessions';
export {
  recordDatabaseOperation,
  DATABASE_DURATION_BUCKETS_SECONDS,
  type DatabaseOperation,
  databaseOperationDuration,
  databaseErrors,
} from './catalogue/database';
export {
  recordBusMessage,
  recordBusMessageProcessing,
  setBusQueueDepth,
  observeBusQueueDepth,
  type BusMessage,
  type BusMessageProcessing,
  type BusQueueRef,
  type BusQueueDepth,
  messageBusMessages,
  messageBusProcessingDuration,
  messageBusQueueDepth,
} from './catalogue/messaging';
export { httpServerRequestBodySize, httpServerResponseBodySize, BODY_SIZE_BUCKETS_BYTES } from './catalogue/http-sizes';
export { CurrentValues, defineObserver, type Point } from './record/current-value';
export {
  startTimer,
  timeAsync,
  statusOfError,
  type Recorder,
  type TimerEnd,
  type TimedFields,
  type TimedStatus,
  type TimeAsyncOptions,
} from './record/timing';
export { renderCatalogueMarkdown } from './cli/catalogue-doc';

// Workspace label policy: hierarchical ids, dynamic allowlist sources, self-metrics (docs/POLICY.md).
export {
  canonicalWorkspacePath,
  canonicalAllowlistEntry,
  HIERARCHICAL_WORKSPACE_PATTERN,
  WORKSPACE_LABEL_VALUE_PATTERN,
} from './policy/canonical';
export { sampleHash, sampleThreshold, sampleThresholdHex, type FoldCounter, type WorkspacePolicyOptions } from './policy/workspace-policy';
export {
  DynamicAllowlist,
  fileAllowlistSource,
  staticAllowlistSource,
  splitAllowlistText,
  AllowlistSourceError,
  type AllowlistSource,
  type DynamicAllowlistOptions,
  type FileSourceOptions,
  type LoadContext,
  type LoadedEntries,
} from './policy/allowlist-sources';
export { postgresAllowlistSource, type PostgresAllowlistOptions, type PgQueryable } from './policy/postgres-source';
export {
  SELF_METRICS,
  workspaceFolded,
  workspaceUnlistedEstimate,
  allowlistSize,
  allowlistLastReload,
  allowlistReloadErrors,
} from './catalogue/self';

// Queue & lease health from PostgreSQL (seed 004; docs/QUEUE-HEALTH.md).
export {
  startQueueHealthCollector,
  type QueueHealthCollector,
  type QueueHealthCollectorOptions,
  type PgPoolLike,
  type PgClientLike,
} from './postgres/queue-health';
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
} from './catalogue/queue-health';
