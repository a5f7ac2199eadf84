/**
 * otel-workspace-metrics/queues: queue health collectors (a `runs` table,
 * BullMQ, pg-boss, graphile-worker) and job-outcome hooks. Nothing here loads
 * a queue library: the collectors read the libraries' Redis keys and tables,
 * the hooks wrap the functions you give them. See docs/QUEUE-HEALTH.md.
 */
export { startQueueHealthCollector, type QueueHealthCollectorOptions, type PgPoolLike, type PgClientLike } from '../postgres/queue-health';
export { startBullMQHealthCollector, BULLMQ_STATES, type BullMQHealthOptions } from './bullmq';
export { startPgBossHealthCollector, PG_BOSS_STATES, type PgBossHealthOptions } from './pg-boss';
export {
  startGraphileWorkerHealthCollector,
  GRAPHILE_WORKER_STATES,
  GRAPHILE_WORKER_LOCK_TIMEOUT_SECONDS,
  type GraphileWorkerHealthOptions,
} from './graphile-worker';
export type { QueueHealthCollector } from './collector';
export type { QueueLabelOptions } from './queue-label';
export type { RedisClientLike, RedisConnectionOptions } from './redis';
export type { PostgresConnectionOptions } from './postgres-reader';
export {
  instrumentBullMQProcessor,
  instrumentPgBossHandler,
  instrumentTaskList,
  type JobOutcomeOptions,
  type JobOutcomeStatus,
  type BullMQJobLike,
  type PgBossJobLike,
  type GraphileJobLike,
} from './job-outcomes';
