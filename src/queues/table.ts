/**
 * Queue & lease health from PostgreSQL (docs/QUEUE-HEALTH.md).
 *
 * `startQueueHealthCollector()` queries a `runs`-style table on its own
 * unref'd timer (METRICS_COLLECTOR_INTERVAL, default 5 s) through the shared
 * collector loop (src/queues/collector.ts: last successful snapshot, nothing
 * reported after a failure, errors by reason, `queue_health_up`). With a
 * `columns.queue`, every gauge carries a `queue` label under the queue label
 * policy (src/queues/queue-label.ts).
 *
 * Expected schema (names configurable; see docs/QUEUE-HEALTH.md):
 *
 * ```sql
 * CREATE TABLE runs (
 *   id               bigserial PRIMARY KEY,
 *   status           text NOT NULL,          -- or an enum: 'QUEUED', 'RUNNING', 'DONE', ...
 *   run_at           timestamptz NOT NULL,   -- due time; > now() means scheduled for later
 *   queued_at        timestamptz NOT NULL,   -- when the run entered the queue
 *   lease_expires_at timestamptz             -- set while a worker holds the run
 * );
 * CREATE INDEX ix_runs_status           ON runs (status);
 * CREATE INDEX ix_runs_run_at           ON runs (run_at);
 * CREATE INDEX ix_runs_queued_at        ON runs (queued_at);
 * CREATE INDEX ix_runs_lease_expires_at ON runs (lease_expires_at);
 * ```
 *
 * Each tick runs, in one read-only REPEATABLE READ transaction (one snapshot,
 * one `now()`), with `SET LOCAL statement_timeout`: the depth by status
 * (GROUP BY status), and one statement for ready/future depth, the oldest
 * ready age and the expired/active lease counts (see ./sql.ts).
 *
 * `pg` is an optional peer dependency: pass your own `pg.Pool` as `pool`, or a
 * `connectionString` and the collector loads `pg` on first use and keeps a
 * pool of one connection (statement_timeout set on the connection, exits on
 * idle, errors of idle connections handled).
 */
import { logError } from '../log';
import { DEFAULT_QUEUE_TABLE, queueHealthStatements, type QueueHealthStatements } from '../postgres/sql';
import { INERT_COLLECTOR, defaultCollectorInterval, nonNegativeNumber, positiveInteger, startCollectorLoop, type QueueHealthCollector, type QueueReading } from './collector';
import { openPostgresReader, type PostgresConnectionOptions } from './postgres-reader';
import { QueueLabel, type QueueLabelOptions } from './queue-label';

export type { PgClientLike, PgPoolLike } from '../postgres/pool';
export type { QueueHealthCollector } from './collector';

export interface QueueHealthCollectorOptions extends PostgresConnectionOptions, QueueLabelOptions {
  /** `runs` (default) or `schema.table`; matched exactly (quoted), so case matters. */
  table?: string;
  /** Column names; `queue` (none by default) adds the `queue` label. */
  columns?: Partial<{ status: string; runAt: string; queuedAt: string; leaseExpiresAt: string; queue: string }>;
  /** Status values: queued (default `QUEUED`), running (default `RUNNING`); `known` are reported as 0 when absent (queued and running always are). */
  statuses?: { queued?: string; running?: string; known?: string[] };
  /** Between the end of one tick and the start of the next; default METRICS_COLLECTOR_INTERVAL (5 s). */
  intervalMillis?: number;
  /** Cap on distinct `status` label values (later ones fold into `__other__`); default 50. */
  maxStatuses?: number;
}

/**
 * Start collecting; returns a handle. Bad options log one error line and
 * return an inert handle (the application continues, the gauges stay absent).
 * One collector per table and connection target in a process.
 */
export function startQueueHealthCollector(options: QueueHealthCollectorOptions): QueueHealthCollector {
  try {
    return create(options);
  } catch (error) {
    logError(`queue health collector not started: ${(error as Error).message}`);
    return INERT_COLLECTOR;
  }
}

function create(options: QueueHealthCollectorOptions): QueueHealthCollector {
  const columns = { ...DEFAULT_QUEUE_TABLE.columns, ...options.columns };
  const table = options.table ?? DEFAULT_QUEUE_TABLE.table;
  const statements: QueueHealthStatements = queueHealthStatements({ table, columns });
  const queued = options.statuses?.queued ?? 'QUEUED';
  const running = options.statuses?.running ?? 'RUNNING';
  for (const [setting, value] of [['statuses.queued', queued], ['statuses.running', running]] as const) {
    if (typeof value !== 'string' || value === '') throw new Error(`${setting} must be a non-empty string`);
  }
  const intervalMillis = positiveInteger(options.intervalMillis, 'intervalMillis', defaultCollectorInterval(), 10);
  const maxStatuses = positiveInteger(options.maxStatuses, 'maxStatuses', 50);
  const hasQueue = columns.queue !== undefined;
  const queueLabel = hasQueue ? new QueueLabel(options) : undefined;
  const reader = openPostgresReader(options, intervalMillis, 'otel-workspace-metrics queue-health');

  return startCollectorLoop(
    {
      backend: 'postgres',
      key: `table:${reader.target}:${table}`,
      logName: undefined,
      queues: [],
      statuses: [queued, running, ...(options.statuses?.known ?? [])],
      close: () => reader.close(),
      async read(): Promise<QueueReading[]> {
        const [depthRows, summaryRows] = await reader.read([{ text: statements.depth }, { text: statements.summary, values: [queued, running] }]);
        const readings = new Map<string | undefined, QueueReading & { depth: Map<string, number> }>();
        const reading = (queue: string | undefined) => {
          let found = readings.get(queue);
          if (found === undefined) {
            found = { queue, depth: new Map(), ready: 0, future: 0, oldestReadyAgeSeconds: 0, expiredLeases: 0, activeLeases: 0 };
            readings.set(queue, found);
          }
          return found;
        };
        const queueOf = (row: Record<string, unknown>): string | undefined => (hasQueue ? String(row.queue ?? '') : undefined);
        for (const row of depthRows!) {
          const into = reading(queueOf(row));
          const status = String(row.status);
          into.depth.set(status, (into.depth.get(status) ?? 0) + nonNegativeNumber(row.n));
        }
        for (const row of summaryRows!) {
          const into = reading(queueOf(row));
          into.ready += nonNegativeNumber(row.ready);
          into.future += nonNegativeNumber(row.future);
          // NULL when no run is due: 0. Negative (queued_at ahead of the database clock): 0 too.
          into.oldestReadyAgeSeconds = Math.max(into.oldestReadyAgeSeconds, nonNegativeNumber(row.oldest_ready_age));
          into.expiredLeases += nonNegativeNumber(row.expired);
          into.activeLeases += nonNegativeNumber(row.active);
        }
        return [...readings.values()];
      },
    },
    { intervalMillis, queueLabel, maxStatuses },
  );
}
