/**
 * A throwaway PostgreSQL cluster for integration tests: initdb into a temp
 * dir, `postgres` on a free loopback port (unix socket in the temp dir, fsync
 * off), stopped by PID and removed afterwards.
 *
 * PostgreSQL refuses to run as root, and tests run as root here and in CI:
 * then initdb and postgres run as the `postgres` OS user that Debian's
 * package creates (`setpriv`, which execs, so the tracked PID is the
 * postmaster itself; util-linux, always on Debian). No OS user is ever
 * created here. A parent-death signal stops the cluster if the test worker
 * dies without its hooks running. Missing binaries or a
 * missing `postgres` user is a failure, locally and in CI, never a skip:
 * `bash scripts/ensure-test-deps.sh` installs them.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, spawnTracked, waitFor, type Tracked } from './processes';

/** The queue table the queue-health collector reads by default (docs/QUEUE-HEALTH.md), without indexes. */
export const RUNS_TABLE = `
CREATE TABLE runs (
  id               bigserial PRIMARY KEY,
  status           text NOT NULL,
  run_at           timestamptz NOT NULL,
  queued_at        timestamptz NOT NULL,
  lease_expires_at timestamptz
);`;

const INSTALL_HINT = 'install PostgreSQL: `bash scripts/ensure-test-deps.sh` (apt-get install postgresql)';

/** The directory holding initdb and postgres: $PG_BINDIR, `pg_config --bindir`, or the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config is not always installed (it comes with libpq-dev on Debian).
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => `/usr/lib/postgresql/${version}/bin`));
  } catch {
    // no Debian layout
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (found === undefined) {
    throw new Error(`PostgreSQL server binaries (initdb, postgres) not found (looked in ${candidates.join(', ') || 'nothing'}): ${INSTALL_HINT}`);
  }
  return found;
}

interface RunAs {
  /**
   * The command line that runs `command` through setpriv (which execs, so the
   * PID is the command's): as the `postgres` user when we are root, and with a
   * parent-death signal, so a test worker killed mid-run (a hook timeout)
   * takes its cluster down with it.
   */
  wrap(command: string, args: string[]): [string, string[]];
  /** The owner to give the temp dir (undefined: ourselves). */
  owner: { uid: number; gid: number } | undefined;
}

function runAs(): RunAs {
  let owner: RunAs['owner'];
  if (process.getuid?.() === 0) {
    try {
      owner = {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
      };
    } catch {
      throw new Error(`running as root, and PostgreSQL refuses root: the "postgres" OS user (created by Debian's postgresql package) is missing: ${INSTALL_HINT}`);
    }
  }
  const user = owner === undefined ? [] : ['--reuid', String(owner.uid), '--regid', String(owner.gid), '--clear-groups'];
  return { owner, wrap: (command, args) => ['setpriv', ['--pdeathsig', 'SIGQUIT', ...user, '--', command, ...args]] };
}

export interface PostgresCluster {
  readonly port: number;
  readonly dataDir: string;
  /** postgres://<user>@127.0.0.1:<port>/<database> (trust authentication). */
  url(user?: string, database?: string): string;
  /** Run SQL as the superuser on a fresh connection. */
  query(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The running postmaster (undefined while stopped). */
  readonly process: Tracked | undefined;
  /** Stop the postmaster by PID: SIGINT is a fast shutdown, SIGQUIT an immediate one (like a crash; recovery on restart). */
  halt(signal?: 'SIGINT' | 'SIGQUIT'): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop and remove the temp dir. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const as = runAs();
  const root = mkdtempSync(join(tmpdir(), 'owm-pg-'));
  const dataDir = join(root, 'data');
  const removeRoot = (): void => rmSync(root, { recursive: true, force: true });
  process.once('exit', removeRoot);
  if (as.owner !== undefined) chownSync(root, as.owner.uid, as.owner.gid);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };

  const run = async (command: string, args: string[]): Promise<void> => {
    const [cmd, argv] = as.wrap(join(bin, command), args);
    const child = spawnTracked(cmd, argv, { env, cwd: root });
    const { code, signal } = await child.exited;
    if (code !== 0) throw new Error(`${command} failed (${code ?? signal}): ${child.output().slice(-2_000)}`);
  };

  await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();

  let current: Tracked | undefined;
  const url = (user = 'postgres', database = 'postgres'): string => `postgres://${user}@127.0.0.1:${port}/${database}`;

  async function launch(): Promise<void> {
    const [cmd, argv] = as.wrap(join(bin, 'postgres'), [
      '-D', dataDir,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${root}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=30',
      '-c', 'shared_buffers=16MB',
    ]);
    const child = spawnTracked(cmd, argv, { env, cwd: root });
    current = child;
    await waitFor(
      async () => {
        if (child.child.exitCode !== null || child.child.signalCode !== null) {
          throw new Error(`postgres exited during start-up: ${child.output().slice(-2_000)}`);
        }
        const client = new Client({ connectionString: url(), connectionTimeoutMillis: 1_000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } catch {
          return undefined;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30_000,
      `postgres on 127.0.0.1:${port}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${child.output().slice(-2_000)}`);
    });
  }

  await launch();

  const cluster: PostgresCluster = {
    port,
    dataDir,
    url,
    get process() {
      return current;
    },
    async query(sql, values) {
      const client = new Client({ connectionString: url(), connectionTimeoutMillis: 5_000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql, values)).rows as Record<string, unknown>[];
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async halt(signal = 'SIGINT') {
      const child = current;
      current = undefined;
      await child?.stop(signal, 10_000);
    },
    async restart() {
      if (current !== undefined) throw new Error('postgres is already running');
      await launch();
    },
    async destroy() {
      await cluster.halt('SIGINT');
      removeRoot();
      process.removeListener('exit', removeRoot);
    },
  };
  return cluster;
}
