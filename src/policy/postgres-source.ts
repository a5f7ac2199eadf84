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
import type { AllowlistSource } from './allowlist-sources';
import { warnRateLimited } from '../log';

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

interface OwnedPool extends PgQueryable {
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

type PgModule = { Pool: new (config: Record<string, unknown>) => OwnedPool };

export function postgresAllowlistSource(options: PostgresAllowlistOptions): AllowlistSource {
  const name = options.name ?? 'postgres';
  if (typeof options.query !== 'string' || options.query.trim() === '') throw new Error('postgresAllowlistSource: query is required');
  if (options.pool === undefined && options.connectionString === undefined) {
    throw new Error('postgresAllowlistSource: pass a pool or a connectionString');
  }
  let owned: OwnedPool | undefined;
  let closed = false;

  const pool = (): PgQueryable => {
    if (options.pool !== undefined) return options.pool;
    if (owned === undefined) {
      let pg: PgModule;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        pg = require('pg') as PgModule;
      } catch {
        throw new Error("the 'pg' package is not installed (npm install pg)");
      }
      owned = new pg.Pool({
        connectionString: options.connectionString,
        max: 1,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 10_000,
        statement_timeout: options.statementTimeoutMillis ?? 10_000,
        application_name: 'otel-workspace-metrics',
        // An idle pool never keeps the host process alive.
        allowExitOnIdle: true,
      });
      // Without a listener, an idle client's error (server restart) would crash the host.
      owned.on('error', (error) => {
        warnRateLimited(`allowlist:${name}:pool`, `allowlist source ${name}: idle connection error (${error.message})`);
      });
    }
    return owned;
  };

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
