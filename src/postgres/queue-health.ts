/**
 * Queue & lease health from PostgreSQL (docs/QUEUE-HEALTH.md).
 *
 * `startQueueHealthCollector()` queries a `runs`-style table on its own
 * unref'd timer (METRICS_COLLECTOR_INTERVAL, default 5 s) and keeps the last
 * successful snapshot; the observable gauges of src/catalogue/queue-health.ts
 * report that snapshot at collection time, so a scrape never waits for the
 * database. A failed collection drops the snapshot (the gauges report nothing
 * until the next success: no stale values), counts
 * `queue_health_collector_errors_total{reason}` and logs one rate-limited
 * line. Nothing here throws into the application or leaves a rejected promise.
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
import { counter, registerObservation } from '../record/instruments';
import { BoundedLabel } from '../record/validate';
import { currentRuntime } from '../record/runtime';
import { OVERFLOW_VALUE } from '../model/canonical';
import { logError, logInfo, warnRateLimited } from '../log';
import {
  QUEUE_HEALTH_ERROR_REASONS,
  queueDepth,
  queueFutureDepth,
  queueHealthCollectorErrors,
  queueOldestReadyAge,
  queueReadyDepth,
  queueRunningActiveLease,
  queueRunningExpiredLease,
  type QueueHealthErrorReason,
} from '../catalogue/queue-health';
import { DEFAULT_QUEUE_TABLE, queueHealthStatements, type QueueHealthStatements } from './sql';
import { classifyError, describeError, type Phase } from './errors';
import { acquireClient, openOwnedPgPool, type OwnedPgPool, type PgClientLike, type PgPoolLike } from './pool';

export type { PgClientLike, PgPoolLike } from './pool';

export interface QueueHealthCollectorOptions {
  /** Your own pool (not ended by `stop()`); give this or `connectionString`. */
  pool?: PgPoolLike;
  /** The collector then loads `pg` and keeps its own pool of one connection. */
  connectionString?: string;
  /** Extra `pg.Pool` settings for the collector's own pool (ssl, user, password...); max and timeouts are the collector's. */
  poolConfig?: Record<string, unknown>;
  /** `runs` (default) or `schema.table`; matched exactly (quoted), so case matters. */
  table?: string;
  columns?: Partial<{ status: string; runAt: string; queuedAt: string; leaseExpiresAt: string }>;
  /** Status values: queued (default `QUEUED`), running (default `RUNNING`); `known` are reported as 0 when absent (queued and running always are). */
  statuses?: { queued?: string; running?: string; known?: string[] };
  /** Between the end of one tick and the start of the next; default METRICS_COLLECTOR_INTERVAL (5 s). */
  intervalMillis?: number;
  /** `statement_timeout` for the collector's statements; default 2000. */
  statementTimeoutMillis?: number;
  /** Giving up on getting a connection; default 5000. */
  connectTimeoutMillis?: number;
  /** Cap on distinct `status` label values (later ones fold into `__other__`); default 50. */
  maxStatuses?: number;
}

export interface QueueHealthCollector {
  /** Stops the timer, waits for a tick in flight, stops reporting, ends the collector's own pool. Idempotent. */
  stop(): Promise<void>;
  /** Collects now (or joins the tick in flight); resolves when done, never rejects. */
  collectOnce(): Promise<void>;
}

interface Snapshot {
  depth: Map<string, number>;
  ready: number;
  future: number;
  oldestReadyAgeSeconds: number;
  expiredLeases: number;
  activeLeases: number;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Client-side margin over statement_timeout, for a server that no longer answers at all. */
const CLIENT_TIMEOUT_MARGIN_MS = 2_000;

/** The runtime's one queue health collector (the gauges have no per-table label). */
const RUNNING = Object.freeze({});
interface Running {
  token: object | undefined;
}

function running(): Running {
  return currentRuntime().state<Running>(RUNNING, () => ({ token: undefined }));
}

const INERT: QueueHealthCollector = { stop: async () => undefined, collectOnce: async () => undefined };

function positiveInteger(value: unknown, setting: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw new Error(`${setting} must be an integer >= ${min}`);
}

function defaultInterval(): number {
  return currentRuntime().collectorIntervalMillis;
}

/** A count or an age from a row: a finite number >= 0 (bigint counts arrive as strings), else 0. */
function count(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/**
 * Start collecting; returns a handle. Bad options log one error line and
 * return an inert handle (the application continues, the gauges stay absent).
 * One collector per process: the gauges have no per-table label.
 */
export function startQueueHealthCollector(options: QueueHealthCollectorOptions): QueueHealthCollector {
  try {
    if (running().token !== undefined) throw new Error('a queue health collector is already running in this process; stop it first');
    return create(options);
  } catch (error) {
    logError(`queue health collector not started: ${(error as Error).message}`);
    return INERT;
  }
}

function create(options: QueueHealthCollectorOptions): QueueHealthCollector {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new Error('give exactly one of pool or connectionString');
  }
  const statements: QueueHealthStatements = queueHealthStatements({
    table: options.table ?? DEFAULT_QUEUE_TABLE.table,
    columns: { ...DEFAULT_QUEUE_TABLE.columns, ...options.columns },
  });
  const queued = options.statuses?.queued ?? 'QUEUED';
  const runningStatus = options.statuses?.running ?? 'RUNNING';
  for (const [setting, value] of [['statuses.queued', queued], ['statuses.running', runningStatus]] as const) {
    if (typeof value !== 'string' || value === '') throw new Error(`${setting} must be a non-empty string`);
  }
  const intervalMillis = positiveInteger(options.intervalMillis, 'intervalMillis', defaultInterval(), 10);
  const statementTimeoutMillis = positiveInteger(options.statementTimeoutMillis, 'statementTimeoutMillis', DEFAULT_STATEMENT_TIMEOUT_MS);
  const connectTimeoutMillis = positiveInteger(options.connectTimeoutMillis, 'connectTimeoutMillis', DEFAULT_CONNECT_TIMEOUT_MS);
  const queryTimeoutMillis = statementTimeoutMillis + CLIENT_TIMEOUT_MARGIN_MS;
  const statusLabel = new BoundedLabel(positiveInteger(options.maxStatuses, 'maxStatuses', 50));
  /** Every status value ever exported: reported as 0 when it disappears from the table, so a series never freezes. */
  const exportedStatuses = new Set<string>();
  for (const known of [queued, runningStatus, ...(options.statuses?.known ?? [])]) {
    const label = statusLabel.value(known);
    if (label !== undefined) exportedStatuses.add(label);
  }

  let ownPool: OwnedPgPool | undefined;
  const createOwnPool = (): OwnedPgPool =>
    openOwnedPgPool({
      connectionString: options.connectionString,
      extra: options.poolConfig,
      max: 1,
      statementTimeoutMillis,
      queryTimeoutMillis,
      connectTimeoutMillis,
      // Kept between ticks (one connection, reused), closed when ticks stop.
      idleTimeoutMillis: intervalMillis + 5_000,
      applicationName: 'otel-workspace-metrics queue-health',
      // The next tick fails on the same cause and reports it.
      onIdleError: () => undefined,
    });
  const pool = (): PgPoolLike => options.pool ?? (ownPool ??= createOwnPool());

  /** pool.connect() bounded by connectTimeoutMillis; a connection that arrives late goes straight back. */
  const acquire = (): Promise<PgClientLike> => acquireClient(pool(), connectTimeoutMillis);

  let snapshot: Snapshot | undefined;
  let failing = false;

  async function collect(): Promise<Snapshot> {
    let phase: Phase = 'connect';
    let client: PgClientLike | undefined;
    // A connection that breaks while checked out emits 'error' on the client; the failing query reports it.
    const onClientError = (): void => undefined;
    try {
      client = await acquire();
      client.on('error', onClientError);
      phase = 'query';
      const run = (text: string, values?: unknown[]) => client!.query({ text, values, query_timeout: queryTimeoutMillis });
      await run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await run(`SELECT set_config('statement_timeout', $1, true)`, [String(statementTimeoutMillis)]);
      const depthRows = (await run(statements.depth)).rows;
      const summary = (await run(statements.summary, [queued, runningStatus])).rows[0] ?? {};
      await run('COMMIT');
      client.off('error', onClientError);
      client.release();
      client = undefined;

      const depth = new Map<string, number>();
      for (const row of depthRows) {
        const label = statusLabel.value(row.status) ?? OVERFLOW_VALUE;
        depth.set(label, (depth.get(label) ?? 0) + count(row.n));
      }
      return {
        depth,
        ready: count(summary.ready),
        future: count(summary.future),
        // NULL when no run is due: 0. Negative (queued_at ahead of the database clock): 0 too.
        oldestReadyAgeSeconds: count(summary.oldest_ready_age),
        expiredLeases: count(summary.expired),
        activeLeases: count(summary.active),
      };
    } catch (error) {
      if (client !== undefined) {
        client.off('error', onClientError);
        // Destroy, never reuse: the connection may be mid-transaction or still running a timed-out query.
        client.release(true);
      }
      throw new CollectionError(classifyError(error, phase), error);
    }
  }

  async function tick(): Promise<void> {
    try {
      snapshot = await collect();
      for (const status of snapshot.depth.keys()) exportedStatuses.add(status);
      if (failing) logInfo('queue health collector: collecting again; queue gauges are back');
      failing = false;
    } catch (error) {
      snapshot = undefined;
      const { reason, original } = error as CollectionError;
      failing = true;
      counter(queueHealthCollectorErrors).add(1, { reason });
      warnRateLimited(
        `queue-health:${reason}`,
        `queue health collector: ${reason} error (${describeError(original)}); queue gauges are withheld until a collection succeeds`,
      );
    }
  }

  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  function collectOnce(): Promise<void> {
    if (stopped) return Promise.resolve();
    return (inFlight ??= tick().finally(() => {
      inFlight = undefined;
    }));
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      // The next tick is scheduled only once this one has ended: ticks never overlap.
      void collectOnce().then(() => schedule(intervalMillis));
    }, delay);
    timer.unref();
  }

  const unregister = [
    registerObservation(queueDepth, (observe) => {
      if (snapshot === undefined) return;
      for (const status of exportedStatuses) observe(snapshot.depth.get(status) ?? 0, { status });
    }),
    ...(
      [
        [queueReadyDepth, (s: Snapshot) => s.ready],
        [queueFutureDepth, (s: Snapshot) => s.future],
        [queueOldestReadyAge, (s: Snapshot) => s.oldestReadyAgeSeconds],
        [queueRunningExpiredLease, (s: Snapshot) => s.expiredLeases],
        [queueRunningActiveLease, (s: Snapshot) => s.activeLeases],
      ] as const
    ).map(([decl, value]) =>
      registerObservation(decl, (observe) => {
        if (snapshot !== undefined) observe(value(snapshot));
      }),
    ),
  ];
  // Every reason exists from the start at 0, so increase()/rate() see the first failure.
  for (const reason of QUEUE_HEALTH_ERROR_REASONS) counter(queueHealthCollectorErrors).add(0, { reason });

  const token = {};
  const slot = running();
  slot.token = token;
  schedule(0);

  return {
    collectOnce,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        for (const stopReporting of unregister) stopReporting();
        await inFlight;
        snapshot = undefined;
        if (ownPool !== undefined) await ownPool.end().catch(() => undefined);
        if (slot.token === token) slot.token = undefined;
      })()),
  };
}

/** A failed collection, classified where the phase is known. */
class CollectionError extends Error {
  constructor(
    readonly reason: QueueHealthErrorReason,
    readonly original: unknown,
  ) {
    super(reason);
  }
}
