/**
 * PM2 cluster mode (issue 11, item 5), with the real pm2 (devDependency) in
 * a PM2_HOME of its own: `pm2 start cluster-app.cjs -i 2`. PM2's daemon is
 * the node:cluster primary, so it must run the preload too; PM2_NODE_OPTIONS
 * is PM2's own way to give node options to the daemon only (not to the pm2
 * CLI, which would otherwise take METRICS_PORT first). Then the daemon
 * serves METRICS_PORT for the group, and ONE scrape sums exactly to both
 * workers' recordings and the HTTP requests they served.
 *
 * Stopped through the PM2 CLI in its own PM2_HOME (`pm2 kill`), then every
 * process it started (daemon and workers) by PID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseExposition, sumSamples } from '../../src/exposition/parse';
import { freePort, httpText, spawnTracked, waitFor } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const REGISTER = join(ROOT, 'dist', 'register.js');
const REQUESTS = 20;

interface Recorded {
  worker: number;
  pid: number;
  actions: number;
  queueJobs: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('PM2 cluster mode, 2 instances, the daemon and the workers under the preload', () => {
  const home = mkdtempSync(join(tmpdir(), 'owm-pm2-'));
  let metricsPort: number;
  let appPort: number;
  let env: NodeJS.ProcessEnv;
  const pids = new Set<number>();
  let recorded: Recorded[] = [];

  /** One pm2 CLI command in this test's PM2_HOME; resolves with its output. */
  async function pm2(args: string[]): Promise<string> {
    const cli = spawnTracked(process.execPath, [PM2, ...args], { cwd: ROOT, env });
    const { code } = await Promise.race([cli.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`pm2 ${args.join(' ')} did not finish`)), 60_000))]);
    if (code !== 0) throw new Error(`pm2 ${args.join(' ')} exited ${code}:\n${cli.output().slice(-3000)}`);
    return cli.output();
  }

  beforeAll(async () => {
    metricsPort = await freePort();
    appPort = await freePort();
    env = {
      // PM2 starts its daemon with the first `node` on the PATH: this Node.
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      PM2_HOME: home,
      PM2_NODE_OPTIONS: `--require ${REGISTER}`,
      APP_PORT: String(appPort),
      METRICS_PORT: String(metricsPort),
      METRICS_RUNTIME: 'off',
      OTEL_SERVICE_NAME: 'pm2-cluster-app',
    };
    await pm2(['start', join(ROOT, 'test', 'fixtures', 'cluster-app.cjs'), '-i', '2', '--name', 'cluster-app', `--node-args=--require ${REGISTER}`]);
    pids.add(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')));
    recorded = await waitFor(
      () => {
        const lines = readdirSync(join(home, 'logs'))
          .filter((name) => name.includes('-out'))
          .flatMap((name) => readFileSync(join(home, 'logs', name), 'utf8').split('\n'))
          .filter((line) => line.startsWith('RECORDED '));
        return lines.length === 2 ? lines.map((line) => JSON.parse(line.slice(9)) as Recorded) : undefined;
      },
      60_000,
      'both PM2 instances to record and listen',
    );
    for (const r of recorded) pids.add(r.pid);
    for (let i = 0; i < REQUESTS; i++) await httpText(`http://127.0.0.1:${appPort}/work/${i}`);
  }, 120_000);

  afterAll(async () => {
    try {
      await pm2(['kill']);
    } finally {
      // Whatever pm2 left running, by PID: SIGTERM, then SIGKILL after 5 s.
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 5_000;
      while ([...pids].some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it('one scrape of the daemon’s METRICS_PORT sums exactly to both workers’ recordings', async () => {
    expect(recorded.map((r) => r.worker).sort()).toEqual([1, 2]);
    const actions = recorded.reduce((n, r) => n + r.actions, 0);
    const queueJobs = recorded.reduce((n, r) => n + r.queueJobs, 0);
    expect(actions).toBe(106 + 206);

    const text = await httpText(`http://127.0.0.1:${metricsPort}/metrics`, undefined, 15_000);
    const families = parseExposition(text);
    // Served by the daemon (the primary), not by a worker.
    const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    expect(text).toMatch(new RegExp(`^target_info\\{[^}]*process_pid="${daemon}"`, 'm'));
    for (const name of ['action_executions_total', 'action_duration_seconds_count']) expect(sumSamples(families, name), name).toBe(actions);
    for (const name of ['queue_jobs_total', 'queue_job_duration_seconds_count']) expect(sumSamples(families, name), name).toBe(queueJobs);
    expect(sumSamples(families, 'http_server_request_duration_seconds_count')).toBe(REQUESTS);
  });
});
