/**
 * The service's own cost (issue 11, item 7): a real HTTP server — plain
 * node:http and Express 5, one JSON route — under autocannon on loopback,
 * bounded in count (each round a fixed number of requests, sized from the
 * warm-up to last about BENCH_SERVICE_SECONDS, at most
 * BENCH_SERVICE_MAX_REQUESTS) and in time (a round is stopped after 20× that),
 * in these variants:
 *
 *   none        no metrics
 *   floor       bench/service-floor.ts: the two diagnostics channels and the
 *               timing any such recorder needs, nothing recorded
 *   kit         --require otel-workspace-metrics/register
 *   kit -runtime  the preload with METRICS_RUNTIME=off (hello handler only):
 *               `kit` minus this is what the runtime metrics cost
 *   kit -http   bench/service-kit-no-http.ts, the preload with the kit's HTTP
 *               recorder off (hello handler only): `kit` minus this is what
 *               the recorder costs in the server, this minus `none` what the
 *               rest of the kit (SDK, runtime metrics, endpoint) costs
 *   auto+kit    --require otel-workspace-metrics/register, then
 *               --require @opentelemetry/auto-instrumentations-node/register
 *               (the supported order, README "Using it with the OpenTelemetry
 *               Node SDK"; traces and logs exporters off, local resource
 *               detectors only): instrumentation-http records the requests
 *   prom-bundle express-prom-bundle (prom-client), Express only
 *
 * and two handlers (bench/service-app.ts): `hello`, a constant tiny body,
 * where the kit's cost shows in full (the ≤ 1 % target is measured on it),
 * and `work`, a 1 ms wait then a ~2 KB JSON body built per request, a
 * stand-in for a real handler (more connections, so the server stays busy
 * through the waits).
 *
 * Every server runs in its own process for the whole part; rounds alternate
 * the variants (BENCH_SERVICE_ROUNDS, after one warm-up round), so each
 * ratio compares loads from the same minutes. Reported, medians over rounds:
 * requests/s and p99 latency, the per-round ratio of requests/s to `none` on
 * the same server and handler, and the server process's CPU time per request
 * (all threads, from /proc/<pid>/task/<tid>/schedstat, Linux) with its per-round ratio to `none`: on a
 * shared machine the CPU time per request moves less than the throughput.
 *
 * Every round runs a fixed number of requests to completion, so nothing is in
 * flight when it ends: for every variant with the kit, the requests its
 * endpoint counted (every http_server_request_duration_seconds_count series)
 * must equal the requests the handler served and the responses autocannon
 * received, exactly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { BENCH_DIR, KIT_REGISTER, envInt, median, printTable, runChild, sleep } from './common';
import { freePort } from './stack';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>, done: (error: unknown, result: AutocannonResult) => void) => { stop(): void };

interface AutocannonResult {
  requests: { total: number };
  latency: { p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Server = 'http' | 'express';
type Handler = 'hello' | 'work';
type Variant = 'none' | 'floor' | 'kit' | 'kit -runtime' | 'kit -http' | 'auto+kit' | 'prom-bundle' | 'kit@compare';

interface Running {
  server: Server;
  handler: Handler;
  variant: Variant;
  child: ChildProcess;
  output: () => string;
  port: number;
  metricsPort: number | undefined;
  /** Requests each measured round runs (set after the warm-up). */
  amount: number;
  /** 2xx responses autocannon received from this server, all rounds. */
  completed: number;
  failed: number;
}

const AUTO_REGISTER = require.resolve('@opentelemetry/auto-instrumentations-node/register');
const CONNECTIONS: Record<Handler, number> = { hello: 20, work: 64 };

/**
 * CPUs of the servers and of the load generator. On Linux with two or more
 * CPUs and `taskset`, every server runs on this process's last CPU and this
 * process (autocannon) on the others: a server's CPU time per request is then
 * not inflated by sharing its CPU with the load generator or by moving between
 * CPUs, which on a 2-CPU machine made it swing by a quarter from round to
 * round. BENCH_SERVICE_PIN=0 turns it off.
 */
interface Pinning {
  server: number;
  generator: string;
  /** This process's CPU list before the part, restored after it. */
  original: string;
}
let pinning: Pinning | undefined;

/** CPU numbers of a list such as `0-3,6`. */
function cpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.trim().split('-').map(Number);
    if (from === undefined || to === undefined || !Number.isInteger(from) || !Number.isInteger(to)) return [];
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

function pin(): void {
  if (process.env.BENCH_SERVICE_PIN === '0' || process.platform !== 'linux') return;
  const probe = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  const original = probe.status === 0 ? /list:\s*(\S+)/.exec(probe.stdout)?.[1] : undefined;
  const cpus = original === undefined ? [] : cpuList(original);
  if (original === undefined || cpus.length < 2) return;
  const generator = cpus.slice(0, -1).join(',');
  if (spawnSync('taskset', ['-a', '-cp', generator, String(process.pid)]).status !== 0) return;
  pinning = { server: cpus[cpus.length - 1]!, generator, original };
}

function unpin(): void {
  if (pinning !== undefined) spawnSync('taskset', ['-a', '-cp', pinning.original, String(process.pid)]);
  pinning = undefined;
}

async function startServer(server: Server, handler: Handler, variant: Variant): Promise<Running> {
  const metricsPort = variant === 'none' || variant === 'floor' || variant === 'prom-bundle' ? undefined : await freePort();
  const preloads =
    variant === 'floor'
      ? ['--require', join(BENCH_DIR, 'service-floor.js')]
      : variant === 'kit' || variant === 'kit -runtime'
      ? ['--require', KIT_REGISTER]
      : variant === 'kit -http'
        ? ['--require', join(BENCH_DIR, 'service-kit-no-http.js')]
      : variant === 'auto+kit'
        ? ['--require', KIT_REGISTER, '--require', AUTO_REGISTER]
        : variant === 'kit@compare'
          ? ['--require', process.env.BENCH_SERVICE_COMPARE!]
          : [];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OTEL_SERVICE_NAME: `bench-${server}-${handler}-${variant}` };
  if (metricsPort !== undefined) env.METRICS_PORT = String(metricsPort);
  if (variant === 'kit -runtime') env.METRICS_RUNTIME = 'off';
  if (variant === 'auto+kit') Object.assign(env, { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' });
  const argv = [process.execPath, ...preloads, join(BENCH_DIR, 'service-app.js'), server, handler, ...(variant === 'prom-bundle' ? ['prom-bundle'] : [])];
  // taskset execs node in the same process, so child.pid is the server's.
  const [command, ...args] = pinning === undefined ? argv : ['taskset', '-c', String(pinning.server), ...argv];
  const child = spawn(command!, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = /READY (\d+)/.exec(out);
    if (line) return { server, handler, variant, child, output: () => out, port: Number(line[1]), metricsPort, amount: 0, completed: 0, failed: 0 };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service-app ${server} ${handler} ${variant} did not start:\n${out.slice(-2000)}`);
    }
    await sleep(50);
  }
}

/**
 * CPU seconds the process used so far, all its threads (V8's and libuv's
 * included), from the scheduler's nanosecond counters; undefined where /proc
 * is missing.
 */
function cpuSeconds(pid: number): number | undefined {
  try {
    let total = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return total / 1e9;
  } catch {
    return undefined;
  }
}

interface Round {
  rps: number;
  p99: number;
  /** Server CPU microseconds per request, or undefined. */
  cpu: number | undefined;
}

/** `amount` requests against `target`, stopped after `limitMs` at the latest. */
function load(target: Running, amount: number, limitMs: number): Promise<Round> {
  const cpuBefore = cpuSeconds(target.child.pid!);
  // autocannon reports only at its one-second ticks: the round's own end is its last response.
  const started = performance.now();
  let responses = 0;
  let ended = 0;
  let cpuAfter: number | undefined;
  return new Promise((resolve, reject) => {
    const run = autocannon(
      { url: `http://127.0.0.1:${target.port}/workspaces/acme/jobs/42`, connections: CONNECTIONS[target.handler], pipelining: 1, amount },
      (error, result) => {
        clearTimeout(timer);
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        target.completed += result['2xx'];
        target.failed += result.non2xx + result.errors + result.timeouts;
        if (ended === 0) {
          ended = performance.now();
          cpuAfter = cpuSeconds(target.child.pid!);
        }
        resolve({
          rps: (responses * 1000) / (ended - started),
          p99: result.latency.p99,
          cpu: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / responses,
        });
      },
    );
    (run as unknown as NodeJS.EventEmitter).on('response', () => {
      if (++responses === amount) {
        ended = performance.now();
        cpuAfter = cpuSeconds(target.child.pid!);
      }
    });
    const timer = setTimeout(() => run.stop(), limitMs);
  });
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

/** The requests the server's handler served (it prints them on SIGUSR2). */
async function servedCount(target: Running): Promise<number> {
  const before = target.output().length;
  process.kill(target.child.pid!, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = /SERVED (\d+)/.exec(target.output().slice(before));
    if (line) return Number(line[1]);
    if (Date.now() > deadline) throw new Error(`service-app ${target.server} ${target.handler} ${target.variant} did not report its requests`);
    await sleep(20);
  }
}

/**
 * The kit's HTTP recorder alone (bench/service-recorder-worker.ts): CPU ns
 * per simulated request with the preload, minus without, in fresh processes
 * alternating the variants (BENCH_SERVICE_RECORDER_PROCESSES each), medians.
 * Less disturbed by a shared machine than the loaded servers, it is the
 * figure each change of src/http/server-metrics.ts was measured by.
 */
async function recorderCost(): Promise<Record<string, number>> {
  const processes = envInt('BENCH_SERVICE_RECORDER_PROCESSES', 5);
  const variants: [string, string][] = [
    ['none', 'none'],
    ['kit', KIT_REGISTER],
  ];
  if (process.env.BENCH_SERVICE_COMPARE) variants.push(['kit@compare', process.env.BENCH_SERVICE_COMPARE]);
  const ns = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let p = 0; p < processes; p++) {
    for (const [name, register] of p % 2 === 0 ? variants : [...variants].reverse()) {
      const env = { OTEL_SERVICE_NAME: 'bench-recorder', METRICS_PORT: String(await freePort()), METRICS_RUNTIME: 'off' };
      const { ns: rounds } = await runChild<{ ns: number[] }>('service-recorder-worker.js', [register, '200000', '15'], { env, timeoutMs: 300_000 });
      ns.get(name)!.push(median(rounds));
    }
  }
  const none = median(ns.get('none')!);
  const added: Record<string, number> = {};
  const rows = variants.map(([name]) => {
    const own = median(ns.get(name)!);
    if (name !== 'none') added[name] = own - none;
    return [name, own.toFixed(0), name === 'none' ? '-' : (own - none).toFixed(0)];
  });
  printTable(
    `the HTTP recorder alone: CPU ns per simulated request (Node's request objects and diagnostics-channel messages), median of ${processes} processes × 15 rounds`,
    ['variant', 'ns/request', 'added by the kit'],
    rows,
  );
  return added;
}

export interface ServiceResult {
  /** Throughput of each variant relative to `none` on the same server and handler (median of per-round ratios), by `server handler variant`. */
  ratios: Record<string, number>;
  /** The lowest and highest per-round throughput ratio behind each median: a wide spread means a noisy machine, not a result. */
  spreads: Record<string, [number, number]>;
  /** Server CPU time per request relative to `none` (median of per-round ratios), by `server handler variant`. */
  cpuRatios: Record<string, number>;
  /** Server CPU µs per request (median over rounds), by `server handler variant`, `none` included. */
  cpuMicros: Record<string, number>;
  /** Variants with the kit whose endpoint did not count exactly the requests served (empty: all exact). */
  miscounted: string[];
  /** CPU ns per request the kit's HTTP recorder adds (`kit`, and `kit@compare` with BENCH_SERVICE_COMPARE). */
  recorderNs: Record<string, number>;
  /** Server CPU µs per request of node:http, hello handler, no metrics (median), to put `recorderNs` in proportion. */
  helloCpuMicros: number | undefined;
}

const PLAN: [Server, Handler, Variant][] = [
  ['http', 'hello', 'none'],
  ['http', 'hello', 'floor'],
  ['http', 'hello', 'kit'],
  ['http', 'hello', 'kit -runtime'],
  ['http', 'hello', 'kit -http'],
  ['http', 'hello', 'auto+kit'],
  ['express', 'hello', 'none'],
  ['express', 'hello', 'floor'],
  ['express', 'hello', 'kit'],
  ['express', 'hello', 'kit -runtime'],
  ['express', 'hello', 'kit -http'],
  ['express', 'hello', 'auto+kit'],
  ['express', 'hello', 'prom-bundle'],
  ['http', 'work', 'none'],
  ['http', 'work', 'kit'],
  ['express', 'work', 'none'],
  ['express', 'work', 'kit'],
];

const percent = (ratio: number): string => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)} %` : '-');

/**
 * The variants to run: PLAN, only the handlers in BENCH_SERVICE_HANDLERS
 * (e.g. `hello`; default all), plus a `kit@compare` variant of every
 * server and handler when BENCH_SERVICE_COMPARE names another build's
 * register.js (e.g. main's, to measure a change in one run).
 */
function plan(): [Server, Handler, Variant][] {
  const handlers = (process.env.BENCH_SERVICE_HANDLERS ?? 'hello,work').split(',');
  const out = PLAN.filter(([, handler]) => handlers.includes(handler));
  if (process.env.BENCH_SERVICE_COMPARE) {
    for (const [server, handler, variant] of [...out]) if (variant === 'kit') out.splice(out.findIndex(([s, h, v]) => s === server && h === handler && v === variant) + 1, 0, [server, handler, 'kit@compare']);
  }
  return out;
}

export async function service(): Promise<ServiceResult> {
  const rounds = envInt('BENCH_SERVICE_ROUNDS', 5);
  const seconds = envInt('BENCH_SERVICE_SECONDS', 3);
  const maxRequests = envInt('BENCH_SERVICE_MAX_REQUESTS', 200_000);
  const warmup = envInt('BENCH_SERVICE_WARMUP_REQUESTS', 20_000);
  const limitMs = Math.max(60_000, seconds * 20_000);
  pin();
  console.log(
    `\n# service: node:http and Express 5 under autocannon (hello: ${CONNECTIONS.hello} connections, work: ${CONNECTIONS.work}; ` +
      `a warm-up round of ${warmup} requests, then ${rounds} rounds per variant of about ${seconds} s, at most ${maxRequests} requests; ` +
      (pinning === undefined ? 'not pinned to CPUs)' : `servers on CPU ${pinning.server}, autocannon on CPU ${pinning.generator})`),
  );
  const running: Running[] = [];
  try {
    for (const [server, handler, variant] of plan()) running.push(await startServer(server, handler, variant));
    const measured = new Map<Running, Round[]>(running.map((r) => [r, []]));
    for (let round = 0; round <= rounds; round++) {
      // Alternate the order each round, so no variant always runs first.
      const order = round % 2 === 0 ? running : [...running].reverse();
      for (const target of order) {
        if (round === 0) {
          // Warm-up: sizes this server's rounds to about `seconds` each.
          const { rps } = await load(target, warmup, limitMs);
          target.amount = Math.max(1_000, Math.min(maxRequests, Math.round(rps * seconds)));
          continue;
        }
        measured.get(target)!.push(await load(target, target.amount, limitMs));
      }
    }
    const ratios: Record<string, number> = {};
    const cpuRatios: Record<string, number> = {};
    const cpuMicros: Record<string, number> = {};
    const spreads: Record<string, [number, number]> = {};
    const miscounted: string[] = [];
    const rows: (string | number)[][] = [];
    for (const target of running) {
      const key = `${target.server} ${target.handler} ${target.variant}`;
      const base = running.find((r) => r.server === target.server && r.handler === target.handler && r.variant === 'none')!;
      const own = measured.get(target)!;
      const baseRounds = measured.get(base)!;
      const perRound = own.map((r, i) => r.rps / baseRounds[i]!.rps);
      const ratio = median(perRound);
      const cpus = own.map((r) => r.cpu).filter((c): c is number => c !== undefined);
      const cpuRatio = cpus.length === own.length ? median(own.map((r, i) => r.cpu! / baseRounds[i]!.cpu!)) : Number.NaN;
      if (cpus.length === own.length) cpuMicros[key] = median(cpus);
      if (target.variant !== 'none') {
        ratios[key] = ratio;
        cpuRatios[key] = cpuRatio;
        spreads[key] = [Math.min(...perRound), Math.max(...perRound)];
      }
      const counted = await kitCount(target);
      const served = await servedCount(target);
      let count = '-';
      if (counted !== undefined) {
        // Without its HTTP recorder the kit must count nothing (else the variant would not measure what it says).
        const expected = target.variant === 'kit -http' ? 0 : served;
        const exact = counted === expected && served === target.completed;
        if (!exact) miscounted.push(key);
        count = `${counted} of ${served} served (${expected} expected), ${target.completed} answered: ${exact ? 'exact' : 'MISMATCH'}`;
      }
      rows.push([
        target.server,
        target.handler,
        target.variant,
        Math.round(median(own.map((r) => r.rps))),
        median(own.map((r) => r.p99)),
        percent(ratio),
        target.variant === 'none' ? '-' : `${percent(Math.min(...perRound))} – ${percent(Math.max(...perRound))}`,
        cpus.length === own.length ? median(cpus).toFixed(1) : '-',
        percent(cpuRatio),
        target.failed,
        count,
      ]);
    }
    printTable(
      'requests/s, p99 latency (ms) and server CPU µs per request, medians over rounds; "vs none": median per-round ratio to no metrics, same server and handler',
      ['server', 'handler', 'variant', 'req/s', 'p99 ms', 'req/s vs none', 'rounds (min – max)', 'CPU µs/req', 'CPU vs none', 'failed', 'kit endpoint count'],
      rows,
    );
    const recorderNs = await recorderCost();
    const helloNone = running.find((r) => r.server === 'http' && r.handler === 'hello' && r.variant === 'none');
    const helloCpus = helloNone === undefined ? [] : measured.get(helloNone)!.map((r) => r.cpu);
    const helloCpuMicros = helloCpus.length > 0 && helloCpus.every((c) => c !== undefined) ? median(helloCpus as number[]) : undefined;
    return { ratios, spreads, cpuRatios, cpuMicros, miscounted, recorderNs, helloCpuMicros };
  } finally {
    for (const target of running) if (target.child.exitCode === null && target.child.pid !== undefined) process.kill(target.child.pid, 'SIGKILL');
    unpin();
  }
}
