/**
 * otel-workspace-metrics: what application code needs. Starting and stopping,
 * the recording helpers and their input types, custom metrics, route and
 * workspace tagging. Everything else is behind subpath exports:
 * `otel-workspace-metrics/catalogue` (declarations, names, buckets),
 * `/policy` (workspace policy, views, allowlist sources, route normalizing),
 * `/config`, `/postgres` (queue health, Postgres allowlist source), `/ops`
 * (rules and dashboards generation) and `/testing` (an in-memory kit).
 */
export { start, shutdown, activeKit, type Kit, type StartOptions } from './sdk/start';
export { setLogSink, type LogSink } from './log';

// Custom metrics: declare, then record through the OTel instruments or your own typed helper.
export { declareMetrics } from './catalogue/index';
export { DURATION_BUCKETS_SECONDS, type MetricDeclaration, type InstrumentKind } from './model/types';
export { counter, histogram, upDownCounter, gauge, registerObservation, type Observation } from './record/instruments';
export { defineRecorder, required, nonNegative, status, BoundedLabel, STATUSES, type Status } from './record/validate';
export { CurrentValues, defineObserver, type Point } from './record/current-value';
export { withWorkspace } from './record/workspace-attribute';
export { setHttpRoute } from './http/server-metrics';
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

// Recording helpers, one family per module (declarations: otel-workspace-metrics/catalogue).
export { recordActionExecution, type ActionExecution } from './catalogue/actions';
export { recordQueueJob, type QueueJob } from './catalogue/queue';
export { recordWorkflowExecution, recordWorkflowStep, type WorkflowExecution, type WorkflowStep } from './catalogue/workflows';
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
  type BreakerState,
  type BreakerRef,
  type BreakerStateInput,
  type BreakerTransition,
  type RetryInput,
  type DeadLetterQueueRef,
  type DeadLetterQueueSize,
  type DeadLetterReplay,
  type RateLimiterDelay,
} from './catalogue/resilience';
export {
  setActiveSessions,
  observeActiveSessions,
  recordSessionDuration,
  recordSessionRefresh,
  SESSION_REFRESH_REASONS,
  type ActiveSessions,
  type SessionEnded,
  type SessionRefresh,
} from './catalogue/sessions';
export { recordDatabaseOperation, type DatabaseOperation } from './catalogue/database';
export {
  recordBusMessage,
  recordBusMessageProcessing,
  setBusQueueDepth,
  observeBusQueueDepth,
  type BusMessage,
  type BusMessageProcessing,
  type BusQueueRef,
  type BusQueueDepth,
} from './catalogue/messaging';
