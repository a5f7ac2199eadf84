/**
 * The embedded endpoint against the attacks of issue 17, on the real process
 * (test/fixtures/scrape-target-app.cjs: the kit with 10,000 series and the
 * app's own HTTP server):
 *   - 4 sockets that each pipeline 2,000 GET /metrics and never read, for 6 s
 *     (reconnecting whenever the endpoint drops them): the app's own endpoint
 *     keeps answering and RSS stays flat;
 *   - 50 ordinary concurrent scrapers: the app's median latency stays low;
 *   - 1,050 idle connections with a 1,024-file limit: the app still opens files;
 *   - other methods, other paths, a foreign Host header.
 * Timing bounds are the (≤ 100 ms worst, ≤ 50 MB RSS), relative to a
 * baseline taken in the same test when the shared machine is slower than that.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { markedJson } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');
const SERIES = 10_000;

interface App {
  proc: Tracked;
  appPort: number;
  metricsPort: number;
}

async function startApp(env: Record<string, string> = {}, fileLimit?: number): Promise<App> {
  const [appPort, metricsPort] = await Promise.all([freePort(), freePort()]);
  const fixture = join(ROOT, 'test', 'fixtures', 'scrape-target-app.cjs');
  const args = [process.execPath, fixture];
  const proc =
    fileLimit === undefined
      ? spawnTracked(args[0]!, args.slice(1), { cwd: ROOT, env: { PATH: process.env.PATH, FIXTURE_APP_PORT: String(appPort), METRICS_PORT: String(metricsPort), FIXTURE_SERIES: String(SERIES), ...env } })
      : spawnTracked('sh', ['-c', `ulimit -n ${fileLimit} && exec "$0" "$@"`, ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, FIXTURE_APP_PORT: String(appPort), METRICS_PORT: String(metricsPort), FIXTURE_SERIES: String(SERIES), ...env },
        });
  await waitFor(() => markedJson(proc, 'READY'), 30_000, 'the app');
  return { proc, appPort, metricsPort };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, options: { method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${port}`, connection: 'close' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One probe of the app's own endpoint: latency in ms, RSS and whether it could open a file. */
interface PingAnswer {
  ms: number;
  rss: number;
  fileOk: boolean;
  /** Longest event-loop block since the last reset, wall time (includes waiting for a CPU on a busy machine). */
  maxBlockMs: number;
  /** Longest main-thread CPU time between two turns of the loop since the last reset: what held the loop. */
  maxCpuBlockMs: number;
}

async function ping(app: App, reset = false): Promise<PingAnswer> {
  const started = performance.now();
  const answer = await get(app.appPort, reset ? '/ping?reset' : '/ping');
  return { ...(JSON.parse(answer.body) as Omit<PingAnswer, 'ms'>), ms: performance.now() - started };
}

/** Probes the app every 20 ms while `during` runs; returns latencies (ms) and the largest RSS seen. */
async function probeWhile(app: App, during: Promise<unknown>): Promise<{ latencies: number[]; maxRss: number }> {
  const latencies: number[] = [];
  let maxRss = 0;
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    const p = await ping(app);
    latencies.push(p.ms);
    maxRss = Math.max(maxRss, p.rss);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { latencies, maxRss };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const worst = (values: number[]) => Math.max(...values);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)]!;

let app: App;

beforeAll(async () => {
  app = await startApp();
  // warm up: the first collection compiles the serializer's paths
  for (let i = 0; i < 3; i++) expect((await get(app.metricsPort, '/metrics')).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await app?.proc.stop();
});

describe('the embedded endpoint under attack (real process, 10,000 series)', () => {
  it('serves the 10,000 series', async () => {
    const answer = await get(app.metricsPort, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.body.split('\n').filter((line) => line.startsWith('fixture_shard_operations_total{'))).toHaveLength(SERIES);
    expect(answer.body).toContain('fixture_shard_operations_total{shard="s9999",otel_scope_name="otel-workspace-metrics"} 10000');
  });

  it('4 sockets × 2,000 pipelined scrapes that are never read, for 6 s: the app answers within 100 ms at worst, RSS grows ≤ 50 MB', async () => {
    const baseline = await probeWhile(app, sleep(2_000));
    const { maxBlockMs: baselineBlock, maxCpuBlockMs: baselineCpuBlock } = await ping(app, true);
    const rssBefore = (await ping(app)).rss;
    const pipeline = Buffer.from(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${app.metricsPort}\r\n\r\n`.repeat(2_000));
    let connections = 0;
    let stop = false;
    const sockets = new Set<Socket>();
    const attacker = (): void => {
      if (stop) return;
      connections++;
      const socket = connect({ host: '127.0.0.1', port: app.metricsPort });
      sockets.add(socket);
      socket.pause(); // never read a response
      socket.on('connect', () => socket.write(pipeline));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        setTimeout(attacker, 5); // come back at once
      });
    };
    for (let i = 0; i < 4; i++) attacker();
    const attack = sleep(6_000).then(() => {
      stop = true;
      for (const socket of sockets) socket.destroy();
    });
    const under = await probeWhile(app, attack);
    await sleep(500);
    const { rss: rssAfter, maxBlockMs, maxCpuBlockMs } = await ping(app, true);
    const growthMB = (Math.max(under.maxRss, rssAfter) - rssBefore) / 1024 / 1024;
    // Wall-clock latency on a shared machine: the 99th percentile within 100 ms (or 3× the worst baseline
    // probe when the machine is slower than that); the worst probe is reported.
    const bound = Math.max(100, 3 * worst(baseline.latencies));
    console.log(
      `pipelined attack: ${connections} connections; app latency baseline median ${median(baseline.latencies).toFixed(1)} ms worst ${worst(baseline.latencies).toFixed(1)} ms; ` +
        `under attack median ${median(under.latencies).toFixed(1)} ms worst ${worst(under.latencies).toFixed(1)} ms over ${under.latencies.length} probes (bound ${bound.toFixed(0)} ms); ` +
        `app's longest event-loop block: wall ${baselineBlock.toFixed(1)} ms before, ${maxBlockMs.toFixed(1)} ms during; CPU ${baselineCpuBlock.toFixed(1)} ms before, ${maxCpuBlockMs.toFixed(1)} ms during; ` +
        `RSS growth ${growthMB.toFixed(1)} MB`,
    );
    // What the endpoint's work held the app's loop for, in CPU time: the 100 ms bound, whatever the machine's load.
    expect(maxCpuBlockMs).toBeLessThanOrEqual(100);
    expect(under.latencies.length).toBeGreaterThan(50);
    expect(p99(under.latencies)).toBeLessThanOrEqual(bound);
    expect(maxBlockMs).toBeLessThanOrEqual(Math.max(100, 2 * baselineBlock));
    expect(growthMB).toBeLessThanOrEqual(50);
    // the endpoint itself is still fine
    expect((await get(app.metricsPort, '/metrics')).status).toBe(200);
  }, 60_000);

  it('50 concurrent scrapers back to back for 4 s, METRICS_SCRAPE_CACHE_MS=1000: the loop is never held 100 ms of CPU (app latency printed; the bench reports it)', async () => {
    const cached = await startApp({ METRICS_SCRAPE_CACHE_MS: '1000' });
    try {
      await fiftyScrapers(cached);
    } finally {
      await cached.proc.stop();
    }
  }, 60_000);
  async function fiftyScrapers(app: App): Promise<void> {
    const baseline = await probeWhile(app, sleep(1_500));
    await ping(app, true);
    let scrapes = 0;
    let stop = false;
    const scraper = async (): Promise<void> => {
      while (!stop) {
        const answer = await get(app.metricsPort, '/metrics');
        expect(answer.status).toBe(200);
        scrapes++;
      }
    };
    const scrapers = Array.from({ length: 50 }, () => scraper());
    const under = await probeWhile(app, sleep(4_000));
    stop = true;
    await Promise.all(scrapers);
    const { maxCpuBlockMs } = await ping(app, true);
    console.log(
      `50 scrapers: ${scrapes} scrapes in 4 s; app latency baseline median ${median(baseline.latencies).toFixed(1)} ms; ` +
        `under load median ${median(under.latencies).toFixed(1)} ms worst ${worst(under.latencies).toFixed(1)} ms; ` +
        `longest CPU block ${maxCpuBlockMs.toFixed(1)} ms`,
    );
    expect(scrapes).toBeGreaterThanOrEqual(50);
    // The app is never frozen: no event-loop turn holds its main thread 100 ms of CPU. Its wall-clock
    // median is printed, not asserted: on 2 cores it also measures the 50 scrapers in this test
    // process and the suite's other worker; `npm run bench -- scrape` reports it on a quiet machine.
    expect(maxCpuBlockMs).toBeLessThanOrEqual(100);
  }

  it('a client that pipelines 10 scrapes and reads the answers gets all 10, in order', async () => {
    const socket = connect({ host: '127.0.0.1', port: app.metricsPort });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const paths = Array.from({ length: 10 }, (_, i) => (i === 4 ? '/nowhere' : '/metrics'));
    socket.write(paths.map((path, i) => `${i === 9 ? 'HEAD' : 'GET'} ${path} HTTP/1.1\r\nHost: localhost\r\n${i === 9 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
    await new Promise((resolve) => socket.on('close', resolve));
    const statuses = [...Buffer.concat(chunks).toString('latin1').matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200, 200, 200, 404, 200, 200, 200, 200, 200]);
  }, 30_000);

  it('only GET and HEAD on /metrics: 405 (Allow: GET, HEAD) for other methods, 404 elsewhere', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const answer = await get(app.metricsPort, '/metrics', { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
      expect(answer.body).not.toContain('fixture_shard');
    }
    const head = await get(app.metricsPort, '/metrics', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(500_000);
    expect(head.body).toBe('');
    for (const path of ['/', '/metrics/', '/metricsx', '/debug']) expect((await get(app.metricsPort, path)).status, path).toBe(404);
    expect((await get(app.metricsPort, '/metrics?name[]=x')).status).toBe(200);
  });

  it('bound to loopback, a Host header that is not a loopback name or address is refused (DNS rebinding)', async () => {
    for (const host of ['evil.example', 'evil.example:' + app.metricsPort, '10.0.0.1', '127.0.0.1.evil.example', 'localhost.evil.example', '[::2]:80']) {
      const answer = await get(app.metricsPort, '/metrics', { host });
      expect(answer.status, host).toBe(403);
      expect(answer.body).not.toContain('fixture_shard');
    }
    for (const host of ['localhost', `localhost:${app.metricsPort}`, 'LOCALHOST', '127.0.0.1', '127.1.2.3:80', '[::1]', `[::1]:${app.metricsPort}`]) {
      expect((await get(app.metricsPort, '/metrics', { host })).status, host).toBe(200);
    }
  });
});

describe('connections', () => {
  let limited: App;
  beforeAll(async () => {
    limited = await startApp({}, 1_024);
  }, 60_000);
  afterAll(async () => {
    await limited?.proc.stop();
  });

  it('1,050 idle connections against a 1,024-file limit: the app still opens files and answers; scrapes work again once they go', async () => {
    const sockets: Socket[] = [];
    let closedByServer = 0;
    await Promise.all(
      Array.from(
        { length: 1_050 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect({ host: '127.0.0.1', port: limited.metricsPort }, () => resolve());
            socket.on('error', () => resolve());
            socket.on('close', () => closedByServer++);
            sockets.push(socket);
          }),
      ),
    );
    // The endpoint closes every connection past its cap as it accepts them: on a loaded machine that takes
    // longer than a fixed pause (ci-h counted 961 of 986 after 500 ms), so wait for the count, at most 15 s.
    const deadline = Date.now() + 15_000;
    while (closedByServer < 1_050 - 64 && Date.now() < deadline) await sleep(100);
    const p = await ping(limited);
    console.log(`1,050 idle connections: ${closedByServer} closed by the endpoint, ${1_050 - closedByServer} kept; app answered in ${p.ms.toFixed(1)} ms, file open ${p.fileOk}`);
    expect(p.fileOk).toBe(true);
    expect(closedByServer).toBeGreaterThanOrEqual(1_050 - 64);
    for (const socket of sockets) socket.destroy();
    await sleep(300);
    expect((await get(limited.metricsPort, '/metrics')).status).toBe(200);
    expect(limited.proc.output()).not.toMatch(/EMFILE/);
  }, 60_000);
});
