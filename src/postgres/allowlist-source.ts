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
 *
 * Every load, on the kit's pool or the application's own, checks out exactly
 * one connection and runs, in a read-only transaction with
 * `SET LOCAL statement_timeout`, the query capped at the entry limit
 * (`LIMIT maxEntries + 1`: a longer answer is refused, the rest never read).
 * Loads never overlap (DynamicAllowlist), and a load that times out destroys its
 * connection at once instead of returning it to the pool.
 */
import { AllowlistSourceError, DEFAULT_MAX_ALLOWLIST_ENTRIES, type AllowlistSource, type LoadContext } from '../policy/allowlist-sources';
import { warnRateLimited } from '../log';
import { classifyError } from './errors';
import { acquireClient, openOwnedPgPool, type OwnedPgPool, type PgPoolLike } from './pool';

/** What the source needs of a pool: a `pg.Pool` (or anything whose `connect()` hands out a client with `query` and `release`). */
export type PgQueryable = PgPoolLike;

export interface PostgresAllowlistOptions {
  /** An existing `pg.Pool`; the source checks out one connection per load and never ends the pool. */
  pool?: PgQueryable;
  /** Or a connection string: the source opens a one-connection pool with `pg` and ends it on stop. */
  connectionString?: string;
  /** Returns one row per workspace id (or allowlist entry: `team/ws`, `team/*`). A SELECT, WITH or VALUES query, without a trailing semicolon. */
  query: string;
  values?: unknown[];
  /** The column holding the id; default the first column. */
  column?: string;
  /** Name in logs and in `reload_errors_total{source}`; default `postgres`. */
  name?: string;
  /** Re-run period; default 60 s. */
  intervalMillis?: number;
  /** Server-side statement_timeout of the source's statements, on whichever pool; default 10 s. */
  statementTimeoutMillis?: number;
  /** Waiting for a connection from the pool; default 10 s. */
  connectTimeoutMillis?: number;
}

export const DEFAULT_POSTGRES_INTERVAL_MILLIS = 60_000;
/** Client-side margin over statement_timeout, for a server that no longer answers at all. */
const CLIENT_MARGIN_MILLIS = 2_000;

export function postgresAllowlistSource(options: PostgresAllowlistOptions): AllowlistSource {
  const name = options.name ?? 'postgres';
  if (typeof options.query !== 'string' || options.query.trim() === '') throw new Error('postgresAllowlistSource: query is required');
  if (options.pool === undefined && options.connectionString === undefined) {
    throw new Error('postgresAllowlistSource: pass a pool or a connectionString');
  }
  if (options.pool !== undefined && typeof options.pool.connect !== 'function') {
    throw new Error('postgresAllowlistSource: pool must be a pg.Pool (the source checks out one connection per load)');
  }
  const query = options.query.trim().replace(/;+\s*$/, '');
  const statementTimeoutMillis = options.statementTimeoutMillis ?? 10_000;
  const connectTimeoutMillis = options.connectTimeoutMillis ?? 10_000;
  let owned: OwnedPgPool | undefined;
  let closed = false;

  const pool = (): PgPoolLike =>
    options.pool !== undefined
      ? options.pool
      : (owned ??= openOwnedPgPool({
          connectionString: options.connectionString,
          max: 1,
          statementTimeoutMillis,
          connectTimeoutMillis,
          idleTimeoutMillis: 30_000,
          applicationName: 'otel-workspace-metrics',
          onIdleError: (error) => {
            warnRateLimited(`allowlist:${name}:pool`, `allowlist source ${name}: idle connection error (${(error as { code?: string }).code ?? error.name})`);
          },
        }));

  return {
    name,
    intervalMillis: options.intervalMillis ?? DEFAULT_POSTGRES_INTERVAL_MILLIS,
    async load(context?: LoadContext) {
      if (closed) throw new AllowlistSourceError('source is closed');
      const cap = context?.maxEntries ?? DEFAULT_MAX_ALLOWLIST_ENTRIES;
      const signal = context?.signal;
      // Shorter than the load: the server ends the statement before the kit gives up on it, so no
      // statement of this source outlives its load.
      const timeout = Math.max(1, Math.min(statementTimeoutMillis, Math.floor((context?.timeoutMillis ?? Infinity) * 0.8)));
      const client = await acquireClient(pool(), connectTimeoutMillis, signal);
      let released = false;
      const release = (destroy: boolean): void => {
        if (released) return;
        released = true;
        signal?.removeEventListener('abort', onAbort);
        // Destroyed, never reused, after a failure: it may be mid-transaction or still running the query.
        // A destroyed client keeps the no-op error listener: its connection may still report an error
        // while closing, and an 'error' event with no listener would throw in the host application.
        if (!destroy) client.off('error', onClientError);
        client.release(destroy ? true : undefined);
      };
      const onAbort = (): void => release(true);
      // A connection that breaks while checked out emits 'error' on the client; the failing query reports it.
      const onClientError = (): void => undefined;
      client.on('error', onClientError);
      signal?.addEventListener('abort', onAbort, { once: true });
      let rows: Record<string, unknown>[];
      try {
        const run = (text: string, values?: unknown[]) => client.query({ text, values, query_timeout: timeout + CLIENT_MARGIN_MILLIS });
        await run('BEGIN READ ONLY');
        await run(`SELECT set_config('statement_timeout', $1, true)`, [String(timeout)]);
        rows = (await run(`SELECT * FROM (${query}\n) AS otel_workspace_metrics_allowlist LIMIT ${cap + 1}`, options.values)).rows;
        await run('COMMIT');
        release(false);
      } catch (error) {
        release(true);
        // The server's message may quote data: log its class and SQLSTATE only.
        const code = (error as { code?: unknown }).code;
        throw new AllowlistSourceError(`the query failed (${classifyError(error, 'query')})`, typeof code === 'string' && /^[A-Z0-9]{5}$/.test(code) ? code : undefined);
      }
      if (rows.length > cap) throw new AllowlistSourceError(`the query returned more than ${cap} rows (stopped reading at ${cap + 1})`, 'ETOOMANY');
      if (options.column !== undefined && rows.length > 0 && !(options.column in rows[0]!)) {
        throw new AllowlistSourceError(`the query returned no column ${JSON.stringify(options.column)}`);
      }
      const entries: string[] = [];
      const rowOf: number[] = [];
      rows.forEach((row, index) => {
        const value = options.column !== undefined ? row[options.column] : Object.values(row)[0];
        let entry: string | undefined;
        if (typeof value === 'string') entry = value;
        else if (typeof value === 'number' || typeof value === 'bigint') entry = String(value);
        else if (value !== null && value !== undefined) entry = `<${typeof value}>`;
        if (entry !== undefined) {
          entries.push(entry);
          rowOf.push(index + 1);
        }
      });
      return { entries, where: (index) => `row ${rowOf[index] ?? '?'}` };
    },
    async close() {
      closed = true;
      const toEnd = owned;
      owned = undefined;
      await toEnd?.end();
    },
  };
}

