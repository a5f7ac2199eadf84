/**
 * The service's own cost (issue 11, item 7): a real HTTP server — plain
 * node:http and Express 5, one JSON route — under autocannon on loopback,
 * bounded in time (BENCH_SERVICE_SECONDS per round) and count
 * (BENCH_SERVICE_MAX_REQUESTS per round), in these variants:
 *
 *   none        no metrics
 *   kit         --require otel-workspace-metrics/register
 *   auto+kit    --require @opentelemetry/auto-instrumentations-node/register, then the kit
 *               (traces and logs exporters off, local resource detectors only)
 *   prom-bundle express-prom-bundle (prom-client), Express only
 *
 * Every server runs in its own process for the whole part; rounds alternate
 * the variants (BENCH_SERVICE_ROUNDS, after one warm-up round), so each
 * ratio compares loads from the same minutes. Reported: requests/s and p99
 * latency (medians over rounds) and the per-round ratio to `none` (median).
 * `counted` is what the kit's endpoint counted (every
 * http_server_request_duration_seconds_count series) over the requests
 * autocannon completed: at most one in-flight request per connection per
 * round more is expected (autocannon stops counting at the deadline).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, KIT_REGISTER, envInt, median, printTable, sleep } from './common';
import { freePort } from './stack';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Server = 'http' | 'express';
type Variant = 'none' | 'kit' | 'auto+kit' | 'prom-bundle';

interface Running {
  server: Server;
  variant: Variant;
  child: ChildProcess;
  port: number;
  metricsPort: number | undefined;
  /** Requests autocannon completed against this server, all rounds. */
  completed: number;
}

const AUTO_REGISTER = require.resolve('@opentelemetry/auto-instrumentations-node/register');

async function startServer(server: Server, variant: Variant): Promise<Running> {
  const metricsPort = variant === 'kit' || variant === 'auto+kit' ? await freePort() : undefined;
  const preloads = variant === 'kit' ? ['--require', KIT_REGISTER] : variant === 'auto+kit' ? ['--require', AUTO_REGISTER, '--require', KIT_REGISTER] : [];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OTEL_SERVICE_NAME: `bench-${server}-${variant}` };
  if (metricsPort !== undefined) env.METRICS_PORT = String(metricsPort);
  if (variant === 'auto+kit') Object.assign(env, { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' });
  const child = spawn(process.execPath, [...preloads, join(BENCH_DIR, 'service-app.js'), server, ...(variant === 'prom-bundle' ? ['prom-bundle'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = /READY (\d+)/.exec(out);
    if (line) return { server, variant, child, port: Number(line[1]), metricsPort, completed: 0 };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service-app ${server} ${variant} did not start:\n${out.slice(-2000)}`);
    }
    await sleep(50);
  }
}

async function load(target: Running, seconds: number, maxRequests: number): Promise<AutocannonResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}/workspaces/acme/jobs/42`,
    connections: 20,
    pipelining: 1,
    duration: seconds,
    maxOverallRequests: maxRequests,
  });
  target.completed += result.requests.total;
  return result;
}

/** The requests the kit's endpoint counted (every series, whichever scope recorded it), or undefined without one. */
async function kitCount(target: Running): Promise<number | undefined> {
  if (target.metricsPort === undefined) return undefined;
  const text = await (await fetch(`http://127.0.0.1:${target.metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('http_server_request_duration_seconds_count{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export interface ServiceResult {
  /** Throughput of each variant relative to `none` on the same server (median of per-round ratios). */
  ratios: Record<string, number>;
}

export async function service(): Promise<ServiceResult> {
  const rounds = envInt('BENCH_SERVICE_ROUNDS', 5);
  const seconds = envInt('BENCH_SERVICE_SECONDS', 3);
  const maxRequests = envInt('BENCH_SERVICE_MAX_REQUESTS', 200_000);
  const plan: [Server, Variant][] = [
    ['http', 'none'],
    ['http', 'kit'],
    ['http', 'auto+kit'],
    ['express', 'none'],
    ['express', 'kit'],
    ['express', 'auto+kit'],
    ['express', 'prom-bundle'],
  ];
  console.log(`\n# service: node:http and Express 5 under autocannon (20 connections, ${rounds} rounds of ${seconds} s or ${maxRequests} requests per variant, after a warm-up round)`);
  const running: Running[] = [];
  try {
    for (const [server, variant] of plan) running.push(await startServer(server, variant));
    const rps = new Map<Running, number[]>(running.map((r) => [r, []]));
    const p99 = new Map<Running, number[]>(running.map((r) => [r, []]));
    const failures = new Map<Running, number>(running.map((r) => [r, 0]));
    for (let round = 0; round <= rounds; round++) {
      // Alternate the order each round, so no variant always runs first.
      const order = round % 2 === 0 ? running : [...running].reverse();
      for (const target of order) {
        const result = await load(target, seconds, maxRequests);
        failures.set(target, failures.get(target)! + result.non2xx + result.errors + result.timeouts);
        if (round === 0) continue; // warm-up
        rps.get(target)!.push(result.requests.average);
        p99.get(target)!.push(result.latency.p99);
      }
    }
    const ratios: Record<string, number> = {};
    const rows: (string | number)[][] = [];
    for (const target of running) {
      const base = running.find((r) => r.server === target.server && r.variant === 'none')!;
      const perRound = rps.get(target)!.map((value, i) => value / rps.get(base)![i]!);
      const ratio = median(perRound);
      if (target.variant !== 'none') ratios[`${target.server} ${target.variant}`] = ratio;
      const counted = await kitCount(target);
      rows.push([
        target.server,
        target.variant,
        Math.round(median(rps.get(target)!)),
        median(p99.get(target)!),
        `${(ratio * 100).toFixed(1)} %`,
        failures.get(target)!,
        counted === undefined ? '-' : `${counted}/${target.completed}`,
      ]);
    }
    printTable('requests/s and p99 latency (ms), medians over rounds; throughput vs none (median per-round ratio)', ['server', 'variant', 'req/s', 'p99 ms', 'vs none', 'failed', 'counted'], rows);
    return { ratios };
  } finally {
    for (const target of running) if (target.child.exitCode === null && target.child.pid !== undefined) process.kill(target.child.pid, 'SIGKILL');
  }
}
