/**
 * The Redis side of the queue sources: a connection of the collector's own
 * (ioredis, loaded on first use from the application's dependencies: BullMQ
 * brings it as its peer) or the application's client, one script call per
 * collection bounded by a client-side timeout, and failures sorted into the
 * same four reasons as Postgres.
 */
import { createRequire } from 'node:module';
import type { QueueHealthErrorReason } from '../catalogue/queue-health';

/** The part of an ioredis client the collector uses. */
export interface RedisClientLike {
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  readonly status?: string;
  connect?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  disconnect?(): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

export interface RedisConnectionOptions {
  /** Your ioredis client (never closed by the collector); or give `connection`. */
  client?: RedisClientLike;
  /** A `redis://` URL or ioredis options: the collector opens one connection of its own. */
  connection?: string | Record<string, unknown>;
  /** Client-side limit for one collection's script; default 2000. */
  commandTimeoutMillis?: number;
  /** Giving up on connecting; default 5000. */
  connectTimeoutMillis?: number;
}

type RedisConstructor = new (...args: unknown[]) => RedisClientLike;

/** ioredis from the application, or from where BullMQ resolves it. */
function loadIoredis(): RedisConstructor {
  const attempts: (() => unknown)[] = [() => require('ioredis'), () => createRequire(require.resolve('bullmq'))('ioredis')];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const module = attempt() as { Redis?: RedisConstructor; default?: RedisConstructor };
      const Redis = module.Redis ?? module.default ?? (module as unknown as RedisConstructor);
      if (typeof Redis === 'function') return Redis;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`the "ioredis" package is not installed (npm install ioredis): ${String((lastError as Error)?.message ?? lastError).split('\n')[0]}`);
}

export interface RedisLink {
  /** Runs the script; rejects with the raw error (classified by `classifyRedisError`). */
  evaluate(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  close(): Promise<void>;
  /** `host:port/db` without credentials, for the collector's key. */
  readonly target: string;
}

class ClientTimeout extends Error {}

let clientIds = 0;
const clientKeys = new WeakMap<object, string>();

export function openRedisLink(options: RedisConnectionOptions, commandTimeoutMillis: number, connectTimeoutMillis: number): RedisLink {
  if ((options.client === undefined) === (options.connection === undefined)) throw new Error('give exactly one of client or connection');
  let own: RedisClientLike | undefined;
  let target: string;
  if (options.client !== undefined) {
    target = clientKeys.get(options.client) ?? `client#${++clientIds}`;
    clientKeys.set(options.client, target);
  } else {
    const Redis = loadIoredis();
    const settings = {
      // Fail fast while disconnected rather than queueing: a collection that cannot run now is an error now.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      connectTimeout: connectTimeoutMillis,
      commandTimeout: commandTimeoutMillis,
      // Reconnect in the background, at most a second apart, so recovery shows at the next collection.
      retryStrategy: (times: number) => Math.min(100 * times, 1_000),
      connectionName: 'otel-workspace-metrics-queue-health',
    };
    target = 'connection';
    if (typeof options.connection === 'string') {
      own = new Redis(options.connection, settings);
      try {
        const url = new URL(options.connection);
        target = `${url.hostname}:${url.port || 6379}${url.pathname || '/0'}`;
      } catch {
        target = 'connection';
      }
    } else {
      const connection = options.connection as Record<string, unknown>;
      own = new Redis({ ...connection, ...settings });
      target = `${String(connection.host ?? '127.0.0.1')}:${String(connection.port ?? 6379)}/${String(connection.db ?? 0)}`;
    }
    // ioredis reports connection trouble as 'error' events; the next collection reports it as a failure.
    own.on?.('error', () => undefined);
  }
  const client = (own ?? options.client)!;

  function bounded<T>(work: Promise<T>, millis: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ClientTimeout(`${what} took longer than ${millis} ms`)), millis);
      timer.unref();
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  return {
    target,
    async evaluate(script, keys, args) {
      if (own !== undefined && (own.status === 'wait' || own.status === 'end')) {
        await bounded(Promise.resolve(own.connect!()), connectTimeoutMillis, 'connecting');
      }
      return bounded(client.eval(script, keys.length, ...keys, ...args), commandTimeoutMillis, 'the collection script');
    },
    async close() {
      if (own === undefined) return;
      try {
        await bounded(Promise.resolve(own.quit!()), 1_000, 'quit');
      } catch {
        own.disconnect?.();
      }
    },
  };
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT']);
const CONNECTION = /stream isn't writeable|connection is closed|max retries per request|connect (ECONNREFUSED|ETIMEDOUT)|LOADING|MASTERDOWN|READONLY/i;
const PERMISSION = /^(NOAUTH|WRONGPASS|NOPERM)\b/;

/** A failed Redis collection → one bounded reason. */
export function classifyRedisError(error: unknown): QueueHealthErrorReason {
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  if (PERMISSION.test(message)) return 'permission';
  if (error instanceof ClientTimeout || /command timed out|^BUSY\b/i.test(message)) {
    return /connecting/.test(message) ? 'connect' : 'timeout';
  }
  if (SOCKET_CODES.has(code) || CONNECTION.test(message) || (error as { name?: string })?.name === 'MaxRetriesPerRequestError') return 'connect';
  return 'query';
}
