/**
 * Part 6, the embedded endpoint under scrapes: scrape latency and the host
 * app's worst event-loop block (and its own endpoint's latency) at 1,000 /
 * 10,000 / 50,000 series, with one scraper (sequential scrapes) and with 50
 * concurrent scrapers (each scraping again as soon as it has its answer), the
 * default settings (concurrent scrapes share a collection, no cache). Each
 * size runs in a fresh child process (bench/scrape-app.ts). The worst block is
 * given in wall time and in the main thread's CPU time per turn of the loop:
 * on a shared, busy machine the first includes time the process waited for a
 * CPU; the second is what the kit's work held the loop for.
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { BENCH_DIR, envInt, median, percentile, printTable, sleep } from './common';
import { freePort } from './stack';

interface Row {
  series: number;
  scrapers: number;
  scrapes: number;
  bytes: number;
  scrapeP50: number;
  scrapeP99: number;
  appP50: number;
  appMax: number;
  worstBlock: number;
  worstCpuBlock: number;
}

function fetchBytes(port: number, path: string): Promise<{ ms: number; body: Buffer }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ms: performance.now() - started, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function appStats(appPort: number): Promise<{ ms: number; maxBlockMs: number; maxCpuBlockMs: number }> {
  const { ms, body } = await fetchBytes(appPort, '/ping?reset');
  return { ms, ...(JSON.parse(body.toString()) as { maxBlockMs: number; maxCpuBlockMs: number }) };
}

async function measure(series: number, scrapers: number, seconds: number): Promise<Row> {
  const [port, appPort] = await Promise.all([freePort(), freePort()]);
  const child = spawn(process.execPath, [join(BENCH_DIR, 'scrape-app.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', BENCH_SERIES: String(series), BENCH_APP_PORT: String(appPort), METRICS_PORT: String(port), OTEL_METRICS_EXPORTER: 'prometheus' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    const t = Date.now();
    while (!out.includes('READY ')) {
      if (Date.now() - t > 60_000 || child.exitCode !== null) throw new Error(`scrape-app did not start:\n${out.slice(-2000)}`);
      await sleep(50);
    }
    for (let i = 0; i < 3; i++) await fetchBytes(port, '/metrics'); // warm-up
    await appStats(appPort);
    const latencies: number[] = [];
    const app: number[] = [];
    let bytes = 0;
    let stop = false;
    const scraper = async (): Promise<void> => {
      while (!stop) {
        const { ms, body } = await fetchBytes(port, '/metrics');
        latencies.push(ms);
        bytes = body.length;
      }
    };
    const probe = async (): Promise<void> => {
      while (!stop) {
        app.push((await fetchBytes(appPort, '/ping')).ms);
        await sleep(20);
      }
    };
    const running = [...Array.from({ length: scrapers }, () => scraper()), probe()];
    await sleep(seconds * 1000);
    stop = true;
    await Promise.all(running);
    const { maxBlockMs, maxCpuBlockMs } = await appStats(appPort);
    return {
      series,
      scrapers,
      scrapes: latencies.length,
      bytes,
      scrapeP50: median(latencies),
      scrapeP99: percentile(latencies, 99),
      appP50: median(app),
      appMax: Math.max(...app),
      worstBlock: maxBlockMs,
      worstCpuBlock: maxCpuBlockMs,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

export async function scrape(): Promise<{ rows: Row[] }> {
  const seconds = envInt('BENCH_SCRAPE_SECONDS', 5);
  const rows: Row[] = [];
  for (const series of [1_000, 10_000, 50_000]) {
    for (const scrapers of [1, 50]) rows.push(await measure(series, scrapers, seconds));
  }
  printTable(
    `Embedded endpoint under scrapes (${seconds} s each; default settings: concurrent scrapes share one collection, no cache)`,
    ['series', 'scrapers', 'scrapes', 'body', 'scrape p50', 'scrape p99', 'app p50', 'app max', 'worst block (wall)', 'worst block (CPU)'],
    rows.map((r) => [
      r.series,
      r.scrapers,
      r.scrapes,
      `${(r.bytes / 1024 / 1024).toFixed(2)} MB`,
      `${r.scrapeP50.toFixed(1)} ms`,
      `${r.scrapeP99.toFixed(1)} ms`,
      `${r.appP50.toFixed(1)} ms`,
      `${r.appMax.toFixed(1)} ms`,
      `${r.worstBlock.toFixed(1)} ms`,
      `${r.worstCpuBlock.toFixed(1)} ms`,
    ]),
  );
  return { rows };
}
