/**
 * How every Postgres-backed queue source reads: one connection at a time (the
 * application's pool, or a pool of one the reader opens itself), every
 * statement of a collection in one read-only REPEATABLE READ transaction (one
 * snapshot, one `now()`), `SET LOCAL statement_timeout`, a client-side limit
 * per statement, a bounded wait for the connection, and a connection that
 * failed in any way destroyed rather than returned.
 */
import { CollectionError, positiveInteger } from './collector';
import { classifyError, type Phase } from '../postgres/errors';
import { openOwnedPgPool, type OwnedPgPool, type PgClientLike, type PgPoolLike } from '../postgres/pool';

export interface PostgresConnectionOptions {
  /** Your own `pg.Pool` (never ended by the collector); give this or `connectionString`. */
  pool?: PgPoolLike;
  /** The collector then loads `pg` and keeps its own pool of one connection. */
  connectionString?: string;
  /** Extra `pg.Pool` settings for the collector's own pool (ssl, user, password...); size and timeouts stay the collector's. */
  poolConfig?: Record<string, unknown>;
  /** `statement_timeout` for the collector's statements; default 2000. */
  statementTimeoutMillis?: number;
  /** Giving up on getting a connection; default 5000. */
  connectTimeoutMillis?: number;
}

export interface Statement {
  text: string;
  values?: unknown[];
}

export type Rows = Record<string, unknown>[];

export interface PostgresReader {
  /** Runs the statements in one snapshot; rejects with a `CollectionError`. */
  read(statements: readonly Statement[]): Promise<Rows[]>;
  /** Ends the reader's own pool (not yours). */
  close(): Promise<void>;
  /** `pool` or the connection string without credentials, for the collector's key. */
  readonly target: string;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Client-side margin over statement_timeout, for a server that no longer answers at all. */
const CLIENT_TIMEOUT_MARGIN_MS = 2_000;

let poolIds = 0;
const poolKeys = new WeakMap<object, string>();

function targetOf(options: PostgresConnectionOptions): string {
  if (options.pool !== undefined) {
    let key = poolKeys.get(options.pool);
    if (key === undefined) poolKeys.set(options.pool, (key = `pool#${++poolIds}`));
    return key;
  }
  try {
    const url = new URL(options.connectionString!);
    return `${url.protocol}//${url.hostname}:${url.port}${url.pathname}`;
  } catch {
    return 'connectionString';
  }
}

export function openPostgresReader(options: PostgresConnectionOptions, intervalMillis: number, applicationName: string): PostgresReader {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new Error('give exactly one of pool or connectionString');
  }
  const statementTimeoutMillis = positiveInteger(options.statementTimeoutMillis, 'statementTimeoutMillis', DEFAULT_STATEMENT_TIMEOUT_MS);
  const connectTimeoutMillis = positiveInteger(options.connectTimeoutMillis, 'connectTimeoutMillis', DEFAULT_CONNECT_TIMEOUT_MS);
  const queryTimeoutMillis = statementTimeoutMillis + CLIENT_TIMEOUT_MARGIN_MS;

  let ownPool: OwnedPgPool | undefined;
  const pool = (): PgPoolLike =>
    options.pool ??
    (ownPool ??= openOwnedPgPool({
      connectionString: options.connectionString,
      extra: options.poolConfig,
      max: 1,
      statementTimeoutMillis,
      queryTimeoutMillis,
      connectTimeoutMillis,
      // Kept between collections (one connection, reused), closed when they stop.
      idleTimeoutMillis: intervalMillis + 5_000,
      applicationName,
      // The next collection fails on the same cause and reports it.
      onIdleError: () => undefined,
    }));

  /** pool.connect() bounded by connectTimeoutMillis; a connection that arrives late goes straight back. */
  async function acquire(): Promise<PgClientLike> {
    const connecting = pool().connect();
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error(`no connection within ${connectTimeoutMillis} ms`));
      }, connectTimeoutMillis);
      timer.unref();
      connecting.then(
        (client) => {
          if (settled) client.release();
          else {
            settled = true;
            clearTimeout(timer);
            resolve(client);
          }
        },
        (error: unknown) => {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            reject(error);
          }
        },
      );
    });
  }

  return {
    target: targetOf(options),
    async read(statements) {
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
        const results: Rows[] = [];
        for (const statement of statements) results.push((await run(statement.text, statement.values)).rows);
        await run('COMMIT');
        client.off('error', onClientError);
        client.release();
        client = undefined;
        return results;
      } catch (error) {
        if (client !== undefined) {
          client.off('error', onClientError);
          // Destroy, never reuse: the connection may be mid-transaction or still running a timed-out query.
          client.release(true);
        }
        throw new CollectionError(classifyError(error, phase), error);
      }
    },
    async close() {
      if (ownPool !== undefined) await ownPool.end().catch(() => undefined);
    },
  };
}
