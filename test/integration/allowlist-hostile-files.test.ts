/**
 * The allowlist file against what a careless operator (or an attacker with
 * write access to its directory) can put there, on the real process
 * (test/fixtures/scrape-target-app.cjs under the preload's configuration):
 * a FIFO with no writer, a symlink to /dev/zero, a 1,000,000-entry file, at
 * start and swapped in at runtime. The app starts and answers within 1 s (or
 * within twice a control start's time on a slow shared machine) with the last
 * good list, its own thread-pool work (fs.readFile) keeps answering, and a good
 * file is picked up again afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnTracked, waitFor, type Tracked } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'owm-hostile-allowlist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ping {
  ms: number;
  allowlist: string[];
}

function ping(port: number, path = '/ping?fs'): Promise<Ping> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ ms: performance.now() - started, allowlist: (JSON.parse(body) as { allowlist: string[] }).allowlist }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Starts the app with the allowlist file at `file`; resolves with the time from spawn to its first answer. */
async function startApp(file: string): Promise<{ proc: Tracked; port: number; startMs: number }> {
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const spawned = performance.now();
  const proc = spawnTracked(process.execPath, [join(ROOT, 'test', 'fixtures', 'scrape-target-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      FIXTURE_SERIES: '10',
      FIXTURE_APP_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: 'static-ws',
      METRICS_WORKSPACE_ALLOWLIST_FILE: file,
      METRICS_WORKSPACE_ALLOWLIST_POLL_INTERVAL: '1',
    },
  });
  await waitFor(() => ping(port, '/ping'), 20_000, 'the app to answer');
  return { proc, port, startMs: performance.now() - spawned };
}

const good = join(dir, 'good.txt');
writeFileSync(good, 'acme\nglobex\n');
const fifo = join(dir, 'allowlist.fifo');
execFileSync('mkfifo', [fifo]);
const zero = join(dir, 'zero-link');
symlinkSync('/dev/zero', zero);
const million = join(dir, 'million.txt');
writeFileSync(million, Array.from({ length: 1_000_000 }, (_, i) => String(i % 10)).join('\n'));

let controlMs = 0;

describe('hostile allowlist files, real process', () => {
  it('control: a good file', async () => {
    const app = await startApp(good);
    controlMs = app.startMs;
    await waitFor(async () => ((await ping(app.port)).allowlist.join() === 'acme,globex,static-ws' ? true : undefined), 5_000, 'the file list');
    console.log(`control start: answering ${controlMs.toFixed(0)} ms after spawn`);
    await app.proc.stop();
  });

  it.each([
    ['a FIFO with no writer', fifo, 'a FIFO, not a regular file [ENOTREG]'],
    ['a symlink to /dev/zero', zero, 'a device, not a regular file [ENOTREG]'],
    ['/dev/zero itself', '/dev/zero', 'a device, not a regular file [ENOTREG]'],
    ['a 1,000,000-entry file', million, 'more than 10000 entries (stopped reading at line 10001) [ETOOMANY]'],
  ])('at start, %s: the app starts and answers within 1 s with the static list, and says why in one line', async (_what, path, reason) => {
    const app = await startApp(path);
    const bound = Math.max(1_000, 2 * controlMs);
    console.log(`${_what} at start: answering ${app.startMs.toFixed(0)} ms after spawn (bound ${bound.toFixed(0)} ms)`);
    expect(app.startMs).toBeLessThanOrEqual(bound);
    await waitFor(() => app.proc.stderr().includes(reason) || undefined, 5_000, 'the reason');
    const p = await ping(app.port);
    expect(p.allowlist).toEqual(['static-ws']);
    expect(app.proc.stderr().split('\n').filter((line) => line.includes('allowlist source file: reload failed'))).toHaveLength(1);
    await app.proc.stop();
  });

  it('swapped in at runtime (rename over the path): the last good list stays, the app and its thread pool keep answering, a good file is read again', async () => {
    const path = join(dir, 'allowlist.txt');
    writeFileSync(path, 'acme\nglobex\n');
    const app = await startApp(path);
    await waitFor(async () => ((await ping(app.port)).allowlist.join() === 'acme,globex,static-ws' ? true : undefined), 5_000, 'the first list');
    const latencies: number[] = [];
    for (const [what, make] of [
      ['FIFO', () => execFileSync('mkfifo', [join(dir, 'swap')])],
      ['/dev/zero link', () => symlinkSync('/dev/zero', join(dir, 'swap'))],
      ['1,000,000 entries', () => writeFileSync(join(dir, 'swap'), Array.from({ length: 1_000_000 }, (_, i) => String(i % 10)).join('\n'))],
    ] as const) {
      make();
      renameSync(join(dir, 'swap'), path);
      // 2.5 s of probes: several stat checks and fs.watch reloads happen meanwhile
      const until = Date.now() + 2_500;
      while (Date.now() < until) {
        const p = await ping(app.port);
        latencies.push(p.ms);
        expect(p.allowlist, what).toEqual(['acme', 'globex', 'static-ws']);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const worst = Math.max(...latencies);
    console.log(`runtime swaps: ${latencies.length} probes (with a thread-pool read each), worst ${worst.toFixed(1)} ms`);
    expect(worst).toBeLessThan(1_000);
    writeFileSync(join(dir, 'swap'), 'initech\n');
    renameSync(join(dir, 'swap'), path);
    await waitFor(async () => ((await ping(app.port)).allowlist.join() === 'initech,static-ws' ? true : undefined), 5_000, 'the good file again');
    await app.proc.stop();
  }, 60_000);
});
