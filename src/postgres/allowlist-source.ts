/**
 * An allowlist source that runs a PostgreSQL query, e.g. "the workspaces on a
 * paid plan" or "the 200 most active workspaces". `pg` is loaded only when the
 * kit has to open its own pool (a `connectionString` is given), so services
 * that do not use this source never need the package.
 *
 *   postgresAllowlistSource({
 *     connectionString: process.env.DATABASE_URL,
 *     query: 'SELECT id FROM workspaces WHERE metrics_labelled ORDER BY id LIMIT 500',
 *     intervalMillis: 60_000,
 *   })
 */
import type { AllowlistSource } from '../policy/allowlist-sources';
import { warnRateLimited } from '../log';
import { openOwnedPgPool, type OwnedPgPool } from './pool';

/** What the source needs of a pool: `pg.Pool`, `pg.Client` or anything with the same `query`. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface PostgresAllowlistOptions {
  /** An existing pool (or client); the source never ends it. */
  pool?: PgQueryable;
  /** Or a connection string: the source opens a one-connection pool with `pg` and ends it on stop. */
  connectionString?: string;
  /** Returns one row per workspace id (or allowlist entry: `team/ws`, `team/*`). */
  query: string;
  values?: unknown[];
  /** The column holding the id; default the first column. */
  column?: string;
  /** Name in logs and in `reload_errors_total{source}`; default `postgres`. */
  name?: string;
  /** Re-run period; default 60 s. */
  intervalMillis?: number;
  /** Server-side statement_timeout for the pool the source opens; default 10 s. */
  statementTimeoutMillis?: number;
}

export const DEFAULT_POSTGRES_INTERVAL_MILLIS = 60_000;

export function postgresAllowlistSource(options: PostgresAllowlistOptions): AllowlistSource {
  const name = options.name ?? 'postgres';
  if (typeof options.query !== 'string' || options.query.trim() === '') throw new Error('postgresAllowlistSource: query is required');
  if (options.pool === undefined && options.connectionString === undefined) {
    throw new Error('postgresAllowlistSource: pass a pool or a connectionString');
  }
  let owned: OwnedPgPool | undefined;
  let closed = false;

  const pool = (): PgQueryable =>
    options.pool !== undefined
      ? options.pool
      : (owned ??= openOwnedPgPool({
          connectionString: options.connectionString,
          max: 1,
          statementTimeoutMillis: options.statementTimeoutMillis ?? 10_000,
          connectTimeoutMillis: 10_000,
          idleTimeoutMillis: 30_000,
          applicationName: 'otel-workspace-metrics',
          onIdleError: (error) => {
            warnRateLimited(`allowlist:${name}:pool`, `allowlist source ${name}: idle connection error (${error.message})`);
          },
        }));

  return {
    name,
    intervalMillis: options.intervalMillis ?? DEFAULT_POSTGRES_INTERVAL_MILLIS,
    async load() {
      if (closed) throw new Error('source is closed');
      const result = await pool().query(options.query, options.values);
      const out: string[] = [];
      for (const row of result.rows) {
        const value = options.column !== undefined ? row[options.column] : Object.values(row)[0];
        if (typeof value === 'string') out.push(value);
        else if (typeof value === 'number' || typeof value === 'bigint') out.push(String(value));
        else if (value !== null && value !== undefined) out.push(`<${typeof value}>`);
      }
      if (options.column !== undefined && result.rows.length > 0 && !(options.column in result.rows[0]!)) {
        throw new Error(`the query returned no column ${JSON.stringify(options.column)}`);
      }
      return out;
    },
    async close() {
      closed = true;
      const toEnd = owned;
      owned = undefined;
      await toEnd?.end();
    },
  };
}
