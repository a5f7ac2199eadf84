/** `otel-workspace-metrics/postgres`: queue & lease health (docs/QUEUE-HEALTH.md) and the Postgres allowlist source. */
export {
  startQueueHealthCollector,
  type QueueHealthCollector,
  type QueueHealthCollectorOptions,
  type PgPoolLike,
  type PgClientLike,
} from '../queues/table';
export { postgresAllowlistSource, type PostgresAllowlistOptions, type PgQueryable } from '../postgres/allowlist-source';
