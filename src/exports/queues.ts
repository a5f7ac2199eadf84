/**
 * `otel-workspace-metrics/queues`: queue health collectors (a `runs` table,
 * BullMQ, pg-boss, graphile-worker) and job-outcome hooks. Nothing here loads
 * a queue library: the collectors read the libraries' Redis keys and tables,
 * the hooks wrap the functions you give them. See docs/QUEUE-HEALTH.md.
 */
export { startQueueHealthCollector, type QueueHealthCollectorOptions, type PgPoolLike, type PgClientLike } from '../queues/table';
export { startBullMQHealthCollector, BULLMQ_STATES, type BullMQHealthOptions } from '../queues/bullmq';
export { startPgBossHealthCollector, PG_BOSS_STATES, type PgBossHealthOptions } from '../queues/pg-boss';
export {
  startGraphileWorkerHealthCollector,
  GRAPHILE_WORKER_STATES,
  GRAPHILE_WORKER_LOCK_TIMEOUT_SECONDS,
  type GraphileWorkerHealthOptions,
} from '../queues/graphile-worker';
export type { QueueHealthCollector } from '../queues/collector';
export type { QueueLabelOptions } from '../queues/queue-label';
export type { RedisClientLike, RedisConnectionOptions } from '../queues/redis';
export type { PostgresConnectionOptions } from '../queues/postgres-reader';
export {
  instrumentBullMQProcessor,
  instrumentPgBossHandler,
  instrumentTaskList,
  type JobOutcomeOptions,
  type JobOutcomeStatus,
  type BullMQJobLike,
  type PgBossJobLike,
  type GraphileJobLike,
} from '../queues/job-outcomes';
