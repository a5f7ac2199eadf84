/**
 * The queue health SQL, built from configured table and column names.
 * Names are never spliced in raw: each must be a plain identifier (letters,
 * digits, `_`, `$`; at most 63 characters; the table may carry one schema
 * prefix) and is then double-quoted, so it is matched exactly as written
 * (case-sensitive) and cannot end the identifier. Status values are bind
 * parameters, never text in the statement.
 */

export interface QueueTableConfig {
  /** `runs` or `schema.runs`. */
  table: string;
  columns: {
    status: string;
    runAt: string;
    queuedAt: string;
    leaseExpiresAt: string;
    /** Optional: a column naming each row's queue; the gauges then carry a `queue` label. */
    queue?: string;
  };
}

export const DEFAULT_QUEUE_TABLE: QueueTableConfig = {
  table: 'runs',
  columns: { status: 'status', runAt: 'run_at', queuedAt: 'queued_at', leaseExpiresAt: 'lease_expires_at' },
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** `"name"` for a plain identifier; throws (naming the setting, not echoing arbitrary input at length) otherwise. */
export function quoteIdentifier(name: unknown, setting: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 40 ? name.slice(0, 40) + '…' : name) : typeof name;
    throw new Error(`${setting}=${shown} is not a plain SQL identifier (letters, digits, _ or $, at most 63, not starting with a digit)`);
  }
  return `"${name}"`;
}

/** `"schema"."table"` or `"table"`. */
export function quoteTable(name: unknown, setting = 'table'): string {
  if (typeof name !== 'string') return quoteIdentifier(name, setting);
  const parts = name.split('.');
  if (parts.length > 2) return quoteIdentifier(name, setting);
  return parts.map((part) => quoteIdentifier(part, setting)).join('.');
}

export interface QueueHealthStatements {
  /** Rows by status (and queue, with a queue column): `[queue text,] status text, n bigint`. */
  depth: string;
  /**
   * One row (one per queue, with a queue column): [queue,] ready, future,
   * oldest_ready_age (seconds, NULL when none is due), expired, active. `$1`
   * is the queued status, `$2` the running status.
   */
  summary: string;
}

/**
 * The four queue health queries (docs/QUEUE-HEALTH.md), each shaped so the indexes on (status),
 * (run_at), (queued_at) and (lease_expires_at) apply: every filter starts
 * with `status = $n` (the parameter takes the column's type, so an enum
 * column is compared as an enum, not cast to text row by row).
 */
export function queueHealthStatements(config: QueueTableConfig): QueueHealthStatements {
  const table = quoteTable(config.table);
  const status = quoteIdentifier(config.columns.status, 'columns.status');
  const runAt = quoteIdentifier(config.columns.runAt, 'columns.runAt');
  const queuedAt = quoteIdentifier(config.columns.queuedAt, 'columns.queuedAt');
  const lease = quoteIdentifier(config.columns.leaseExpiresAt, 'columns.leaseExpiresAt');
  if (config.columns.queue !== undefined) {
    const queue = quoteIdentifier(config.columns.queue, 'columns.queue');
    return {
      depth: `SELECT ${queue}::text AS queue, ${status}::text AS status, count(*) AS n FROM ${table} GROUP BY ${queue}, ${status}`,
      summary: [
        'SELECT queue, coalesce(waiting.ready, 0) AS ready, waiting.oldest_ready_age, coalesce(waiting.future, 0) AS future,',
        '  coalesce(lease.expired, 0) AS expired, coalesce(lease.active, 0) AS active FROM',
        `(SELECT ${queue}::text AS queue, count(*) FILTER (WHERE ${runAt} <= now()) AS ready,`,
        `  EXTRACT(EPOCH FROM (now() - min(${queuedAt}) FILTER (WHERE ${runAt} <= now())))::float8 AS oldest_ready_age,`,
        `  count(*) FILTER (WHERE ${runAt} > now()) AS future`,
        ` FROM ${table} WHERE ${status} = $1 GROUP BY ${queue}) AS waiting`,
        'FULL JOIN',
        `(SELECT ${queue}::text AS queue, count(*) FILTER (WHERE ${lease} < now()) AS expired, count(*) FILTER (WHERE ${lease} >= now()) AS active`,
        ` FROM ${table} WHERE ${status} = $2 AND ${lease} IS NOT NULL GROUP BY ${queue}) AS lease USING (queue)`,
      ].join('\n'),
    };
  }
  return {
    depth: `SELECT ${status}::text AS status, count(*) AS n FROM ${table} GROUP BY ${status}`,
    summary: [
      'SELECT ready.n AS ready, ready.oldest_ready_age, future.n AS future, lease.expired, lease.active FROM',
      `(SELECT count(*) AS n, EXTRACT(EPOCH FROM (now() - min(${queuedAt})))::float8 AS oldest_ready_age`,
      ` FROM ${table} WHERE ${status} = $1 AND ${runAt} <= now()) AS ready,`,
      `(SELECT count(*) AS n FROM ${table} WHERE ${status} = $1 AND ${runAt} > now()) AS future,`,
      `(SELECT count(*) FILTER (WHERE ${lease} < now()) AS expired, count(*) FILTER (WHERE ${lease} >= now()) AS active`,
      ` FROM ${table} WHERE ${status} = $2 AND ${lease} IS NOT NULL) AS lease`,
    ].join('\n'),
  };
}
