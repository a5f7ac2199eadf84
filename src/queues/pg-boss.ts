/**
 * pg-boss queue health, answered from pg-boss's own tables (schema `pgboss`
 * by default) in one read-only REPEATABLE READ transaction:
 *
 * - depth by state for the live states pg-boss indexes (`created`, `retry`,
 *   `active`, `failed`; the retained `completed` and `cancelled` jobs are not
 *   counted: on a busy queue they are most rows, and pg-boss deletes them on
 *   its own schedule);
 * - ready: queued (`created` or `retry`), not blocked by a flow parent,
 *   `start_after <= now()`; future: the same with `start_after > now()`;
 * - oldest ready age: `now() - min(start_after)` over the ready jobs (how long
 *   the oldest due job has been due);
 * - expired leases: `active` jobs past their `expire_seconds` since
 *   `started_on`, or whose worker heartbeat is older than `heartbeat_seconds`:
 *   the jobs pg-boss's supervisor fails or retries as timed out at its next
 *   pass (their worker probably died); active leases: the other active jobs.
 *
 * The statement's filter is the predicate of pg-boss's partial index on live
 * jobs, so the planner can read that index rather than the whole table. Every
 * queue of `pgboss.queue` is reported, 0 when it holds no live job.
 */
import { logError } from '../log';
import { quoteIdentifier } from '../postgres/sql';
import { INERT_COLLECTOR, defaultCollectorInterval, positiveInteger, readingsFromGroupedRows, startCollectorLoop, type QueueHealthCollector } from './collector';
import { openPostgresReader, type PostgresConnectionOptions } from './postgres-reader';
import { QueueLabel, type QueueLabelOptions } from './queue-label';

export const PG_BOSS_STATES = ['created', 'retry', 'active', 'failed'] as const;

export interface PgBossHealthOptions extends PostgresConnectionOptions, QueueLabelOptions {
  /** pg-boss's schema; default `pgboss`. */
  schema?: string;
  /** Between the end of one collection and the start of the next; default METRICS_COLLECTOR_INTERVAL (5 s). */
  intervalMillis?: number;
  /** At most this many queues are read from `pgboss.queue` (the rest still count in the depths); default 1000. */
  maxQueueRows?: number;
}

export function pgBossStatements(schema: string, maxQueueRows: number): { queues: string; jobs: string } {
  const s = quoteIdentifier(schema, 'schema');
  const queued = `state < 'active' AND NOT blocked`;
  const expired = `(started_on + expire_seconds * interval '1 second' < now() OR (heartbeat_seconds IS NOT NULL AND heartbeat_on + heartbeat_seconds * interval '1 second' < now()))`;
  return {
    queues: `SELECT name AS queue FROM ${s}.queue ORDER BY name LIMIT ${maxQueueRows}`,
    jobs: [
      'SELECT name AS queue, state::text AS status, count(*) AS n,',
      `  count(*) FILTER (WHERE ${queued} AND start_after <= now()) AS ready,`,
      `  count(*) FILTER (WHERE ${queued} AND start_after > now()) AS future,`,
      `  EXTRACT(EPOCH FROM (now() - min(start_after) FILTER (WHERE ${queued} AND start_after <= now())))::float8 AS oldest_ready_age,`,
      `  count(*) FILTER (WHERE state = 'active' AND ${expired}) AS expired,`,
      `  count(*) FILTER (WHERE state = 'active' AND NOT ${expired}) AS active`,
      `FROM ${s}.job WHERE state IN ('created', 'retry', 'active', 'failed')`,
      'GROUP BY name, state',
    ].join('\n'),
  };
}

/**
 * Start collecting pg-boss queue health; returns a handle. Bad options log one
 * error line and return an inert handle (the application continues).
 */
export function startPgBossHealthCollector(options: PgBossHealthOptions): QueueHealthCollector {
  try {
    if (typeof options !== 'object' || options === null) throw new Error('options must be an object');
    const schema = options.schema ?? 'pgboss';
    const statements = pgBossStatements(schema, positiveInteger(options.maxQueueRows, 'maxQueueRows', 1_000));
    const intervalMillis = positiveInteger(options.intervalMillis, 'intervalMillis', defaultCollectorInterval(), 10);
    const queueLabel = new QueueLabel(options);
    const reader = openPostgresReader(options, intervalMillis, 'otel-workspace-metrics queue-health pg-boss');
    return startCollectorLoop(
      {
        backend: 'postgres',
        key: `pg-boss:${reader.target}:${schema}`,
        logName: 'pg-boss',
        queues: [],
        statuses: PG_BOSS_STATES,
        close: () => reader.close(),
        async read() {
          const [queueRows, jobRows] = await reader.read([{ text: statements.queues }, { text: statements.jobs }]);
          return readingsFromGroupedRows(jobRows!, queueRows!.map((row) => String(row.queue)));
        },
      },
      { intervalMillis, queueLabel, maxStatuses: PG_BOSS_STATES.length + 2 },
    );
  } catch (error) {
    logError(`pg-boss queue health collector not started: ${(error as Error).message}`);
    return INERT_COLLECTOR;
  }
}
