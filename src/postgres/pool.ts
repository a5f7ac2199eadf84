/**
 * A small node-postgres pool the kit opens itself (when given a
 * `connectionString` instead of a pool). `pg` is an optional peer dependency,
 * loaded here on first use only, so services that never open one never need
 * it. The pool never keeps the host process alive (`allowExitOnIdle`), sets
 * `statement_timeout` on every connection at start-up, and handles errors of
 * idle connections (a database restart), which would otherwise crash the host.
 */

/** The part of a node-postgres `PoolClient` the kit uses (so the kit's types need no `@types/pg`). */
export interface PgClientLike {
  query(config: { text: string; values?: unknown[]; query_timeout?: number }): Promise<{ rows: Record<string, unknown>[] }>;
  /** `release(true)` or `release(error)` destroys the connection instead of returning it. */
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a node-postgres `Pool` the kit uses. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
}

export interface OwnedPgPool extends PgPoolLike {
  /** `pg.Pool#query`: one statement on a pooled connection. */
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

export interface OwnedPgPoolOptions {
  connectionString: string | undefined;
  /** Extra `pg.Pool` settings (ssl, user, password...); the settings below win. */
  extra?: Record<string, unknown>;
  max: number;
  statementTimeoutMillis: number;
  /** Client-side limit per query, for a server that no longer answers at all; none when undefined. */
  queryTimeoutMillis?: number;
  connectTimeoutMillis: number;
  idleTimeoutMillis: number;
  applicationName: string;
  /** An idle connection failed (e.g. the server restarted); the next query reports it anyway. */
  onIdleError(error: Error): void;
}

type PgModule = { Pool: new (config: Record<string, unknown>) => OwnedPgPool & { on(event: 'error', listener: (error: Error) => void): unknown } };

export function openOwnedPgPool(options: OwnedPgPoolOptions): OwnedPgPool {
  let pg: PgModule;
  try {
    pg = require('pg') as PgModule;
  } catch (error) {
    throw Object.assign(new Error(`the "pg" package is not installed (npm install pg): ${(error as Error).message.split('\n')[0]}`), {
      code: 'EPGMISSING',
    });
  }
  const pool = new pg.Pool({
    ...options.extra,
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMillis,
    idleTimeoutMillis: options.idleTimeoutMillis,
    allowExitOnIdle: true,
    statement_timeout: options.statementTimeoutMillis,
    query_timeout: options.queryTimeoutMillis,
    application_name: options.applicationName,
  });
  pool.on('error', (error) => options.onIdleError(error));
  return pool;
}

/**
 * `pool.connect()`, bounded by `timeoutMillis` (and `signal`): a connection
 * that arrives after the caller gave up goes straight back to the pool.
 */
export function acquireClient(pool: PgPoolLike, timeoutMillis: number, signal?: AbortSignal): Promise<PgClientLike> {
  const connecting = pool.connect();
  return new Promise((resolve, reject) => {
    let settled = false;
    const giveUp = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    };
    const onAbort = (): void => giveUp(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => giveUp(new Error(`no connection within ${timeoutMillis} ms`)), timeoutMillis);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
    connecting.then(
      (client) => {
        if (settled) client.release();
        else {
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(client);
        }
      },
      (error: unknown) => giveUp(error instanceof Error ? error : new Error(String(error))),
    );
  });
}
