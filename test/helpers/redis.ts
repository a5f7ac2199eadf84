/**
 * A private redis-server for a test file: Debian's binary, on a free loopback
 * port, no persistence, stopped by PID (SIGKILL is a crash) and restartable
 * on the same port, like test/helpers/postgres.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnTracked, waitFor, type Tracked } from './processes';

const INSTALL_HINT = 'install Redis: `bash scripts/ensure-test-deps.sh` (apt-get install redis-server)';

export function redisServerBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`redis-server not found on PATH: ${INSTALL_HINT}`);
  }
}

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly process: Tracked | undefined;
  /** A fresh client (closed by the caller). */
  client(): Redis;
  /** Stop by PID: SIGKILL is a crash, SIGTERM a clean shutdown. */
  halt(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port (the data is gone: no persistence). */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'owm-redis-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let current: Tracked | undefined;

  async function launch(): Promise<void> {
    const child = spawnTracked(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes'],
      { cwd: dir },
    );
    current = child;
    await waitFor(
      async () => {
        if (child.child.exitCode !== null || child.child.signalCode !== null) throw new Error(`redis-server exited: ${child.output().slice(-2_000)}`);
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          probe.disconnect();
        }
      },
      15_000,
      `redis-server on 127.0.0.1:${port}`,
    );
  }
  await launch();

  const server: RedisServer = {
    port,
    url,
    get process() {
      return current;
    },
    client() {
      const client = new Redis(url, { maxRetriesPerRequest: null });
      client.on('error', () => undefined);
      return client;
    },
    async halt(signal = 'SIGKILL') {
      const child = current;
      current = undefined;
      await child?.stop(signal, 5_000);
    },
    async restart() {
      if (current !== undefined) throw new Error('redis-server is already running');
      await launch();
    },
    async destroy() {
      await server.halt('SIGTERM');
      remove();
      process.removeListener('exit', remove);
    },
  };
  return server;
}
