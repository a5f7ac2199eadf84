/**
 * graphile-worker queue health, answered from its public `jobs` view (schema
 * `graphile_worker` by default) in one read-only REPEATABLE READ transaction.
 * The `queue` label is the task identifier (graphile-worker's named job queues
 * serialise jobs and are often named per entity, so they never become labels).
 * graphile-worker deletes a job when it succeeds, so every row is live:
 *
 * - status `queued` (never attempted), `retry` (attempted, attempts left),
 *   `locked` (held by a worker) and `failed` (attempts exhausted);
 * - ready: unlocked, attempts left, `run_at <= now()`; future: `run_at > now()`;
 * - oldest ready age: `now() - min(run_at)` over the ready jobs;
 * - expired leases: locked longer than `lockTimeoutSeconds` (graphile-worker's
 *   own limit is 4 hours, after which another worker takes the job again: its
 *   first worker probably died); active leases: the other locked jobs.
 */
import { logError } from '../log';
import { quoteIdentifier } from '../postgres/sql';
import { INERT_COLLECTOR, defaultCollectorInterval, positiveInteger, readingsFromGroupedRows, startCollectorLoop, type QueueHealthCollector } from './collector';
import { openPostgresReader, type PostgresConnectionOptions } from './postgres-reader';
import { QueueLabel, type QueueLabelOptions } from './queue-label';

export const GRAPHILE_WORKER_STATES = ['queued', 'retry', 'locked', 'failed'] as const;
/** graphile-worker's job lock expiry (get_job's `job_expiry`). */
export const GRAPHILE_WORKER_LOCK_TIMEOUT_SECONDS = 4 * 60 * 60;

export interface GraphileWorkerHealthOptions extends PostgresConnectionOptions, QueueLabelOptions {
  /** graphile-worker's schema; default `graphile_worker`. */
  schema?: string;
  /** A lock older than this is an expired lease; default 14400 (graphile-worker's 4 hours). */
  lockTimeoutSeconds?: number;
  /** Between the end of one collection and the start of the next; default METRICS_COLLECTOR_INTERVAL (5 s). */
  intervalMillis?: number;
}

export function graphileWorkerStatement(schema: string): string {
  const s = quoteIdentifier(schema, 'schema');
  const unlocked = 'locked_at IS NULL AND attempts < max_attempts';
  const expired = `locked_at < now() - $1 * interval '1 second'`;
  return [
    'SELECT task_identifier AS queue,',
    "  CASE WHEN locked_at IS NOT NULL THEN 'locked' WHEN attempts >= max_attempts THEN 'failed' WHEN attempts > 0 THEN 'retry' ELSE 'queued' END AS status,",
    '  count(*) AS n,',
    `  count(*) FILTER (WHERE ${unlocked} AND run_at <= now()) AS ready,`,
    `  count(*) FILTER (WHERE ${unlocked} AND run_at > now()) AS future,`,
    `  EXTRACT(EPOCH FROM (now() - min(run_at) FILTER (WHERE ${unlocked} AND run_at <= now())))::float8 AS oldest_ready_age,`,
    `  count(*) FILTER (WHERE ${expired}) AS expired,`,
    `  count(*) FILTER (WHERE locked_at IS NOT NULL AND NOT ${expired}) AS active`,
    `FROM ${s}.jobs GROUP BY 1, 2`,
  ].join('\n');
}

/**
 * Start collecting graphile-worker queue health; returns a handle. Bad options
 * log one error line and return an inert handle (the application continues).
 */
export function startGraphileWorkerHealthCollector(options: GraphileWorkerHealthOptions): QueueHealthCollector {
  try {
    if (typeof options !== 'object' || options === null) throw new Error('options must be an object');
    const schema = options.schema ?? 'graphile_worker';
    const statement = graphileWorkerStatement(schema);
    const lockTimeoutSeconds = positiveInteger(options.lockTimeoutSeconds, 'lockTimeoutSeconds', GRAPHILE_WORKER_LOCK_TIMEOUT_SECONDS);
    const intervalMillis = positiveInteger(options.intervalMillis, 'intervalMillis', defaultCollectorInterval(), 10);
    const queueLabel = new QueueLabel(options);
    const reader = openPostgresReader(options, intervalMillis, 'otel-workspace-metrics queue-health graphile-worker');
    return startCollectorLoop(
      {
        backend: 'postgres',
        key: `graphile-worker:${reader.target}:${schema}`,
        logName: 'graphile-worker',
        queues: [],
        statuses: GRAPHILE_WORKER_STATES,
        close: () => reader.close(),
        async read() {
          const [rows] = await reader.read([{ text: statement, values: [lockTimeoutSeconds] }]);
          return readingsFromGroupedRows(rows!, []);
        },
      },
      { intervalMillis, queueLabel, maxStatuses: GRAPHILE_WORKER_STATES.length + 2 },
    );
  } catch (error) {
    logError(`graphile-worker queue health collector not started: ${(error as Error).message}`);
    return INERT_COLLECTOR;
  }
}
