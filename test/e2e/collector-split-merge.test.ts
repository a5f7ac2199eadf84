/**
 * A service's collection split into several OTLP requests (as the kit does
 * over METRICS_OTLP_MAX_REQUEST_BYTES: at metric, then datapoint boundaries),
 * interleaved with another service's requests → the real collector
 * (config.yaml, the workspacepolicy processor) → real Prometheus.
 *
 * 2,000 raw workspaces per service, an allowlist of 5: nearly every datapoint
 * folds into __other__, and each collection's __other__ is spread over several
 * requests. The processor merges it across requests, so:
 * - after every request, the collector's exporter shows no __other__ lower
 *   than before (scraped directly after each POST), and Prometheus records no reset;
 * - at the end, the sum over all series equals the recordings exactly (counter
 *   and histogram count);
 * - the head holds exactly the implied series: 5 listed workspaces + __other__
 *   per service and status.
 *
 * First the requests are cut by the test (seeded), from OTLP/JSON it builds,
 * so every cut is known; then the kit cuts its own exports
 * (METRICS_OTLP_MAX_REQUEST_BYTES) while a service records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseExposition } from '../../src/exposition/parse';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { httpText, spawnTracked, waitFor } from '../helpers/processes';
import { prng } from '../helpers/prng';

const WORKSPACES = 2_000;
const ALLOWLIST = ['ws-0000', 'ws-0001', 'ws-0002', 'ws-0003', 'ws-0004'];
const SERVICES = ['split-a', 'split-b'];
const STATUSES = ['ok', 'error'];
const COLLECTIONS = 5;
/** Requests per collection and service (cuts at random datapoints, inside metrics). */
const REQUESTS = 8;
const BOUNDS = [0.1, 1];
const COUNTER = 'action_executions_by_workspace_total';
const HISTOGRAM_COUNT = 'action_duration_by_workspace_seconds_count';

const ROOT = join(__dirname, '..', '..');
/** The steady-app fixture's ids are ws-0, ws-1, … */
const KIT_ALLOWLIST = ['ws-0', 'ws-1', 'ws-2', 'ws-3', 'ws-4'];
/** (5 listed + __other__) × status ok/error */
const KIT_SERIES = (KIT_ALLOWLIST.length + 1) * STATUSES.length;

const ws = (i: number) => `ws-${String(i).padStart(4, '0')}`;
const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const attrs = (o: Record<string, string>) => Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));

/** Cumulative counts of collection c: they grow with c. */
const count = (c: number, i: number, status: number) => c * (1 + (i % 3)) + status * (i % 2);
const histCounts = (c: number, i: number) => [c, c * (i % 2), c * (i % 4 === 0 ? 1 : 0)];

interface Datapoint {
  metric: 'counter' | 'histogram';
  point: Record<string, unknown>;
}

function collection(c: number, startMs: number, tsMs: number): Datapoint[] {
  const out: Datapoint[] = [];
  for (let i = 0; i < WORKSPACES; i++) {
    STATUSES.forEach((status, s) => {
      out.push({
        metric: 'counter',
        point: { attributes: attrs({ workspace_id: ws(i), status }), startTimeUnixNano: NS(startMs), timeUnixNano: NS(tsMs), asInt: String(count(c, i, s)) },
      });
    });
  }
  for (let i = 0; i < WORKSPACES; i++) {
    const buckets = histCounts(c, i);
    const n = buckets.reduce((x, y) => x + y, 0);
    out.push({
      metric: 'histogram',
      point: {
        attributes: attrs({ workspace_id: ws(i), status: 'ok' }),
        startTimeUnixNano: NS(startMs),
        timeUnixNano: NS(tsMs),
        count: String(n),
        sum: n * 0.25,
        bucketCounts: buckets.map(String),
        explicitBounds: BOUNDS,
      },
    });
  }
  return out;
}

/** One OTLP/JSON request of consecutive datapoints: a metric cut in two appears in both requests. */
function requestBody(service: string, points: Datapoint[]): string {
  const counter = points.filter((p) => p.metric === 'counter').map((p) => p.point);
  const histogram = points.filter((p) => p.metric === 'histogram').map((p) => p.point);
  const metrics: unknown[] = [];
  if (counter.length > 0) {
    metrics.push({ name: 'action.executions.by_workspace', unit: '{execution}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: counter } });
  }
  if (histogram.length > 0) {
    metrics.push({ name: 'action.duration.by_workspace', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: histogram } });
  }
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: attrs({ 'service.name': service, 'service.instance.id': `${service}-1` }) },
        scopeMetrics: [{ scope: { name: 'otel-workspace-metrics', version: '0.0.0-e2e' }, metrics }],
      },
    ],
  });
}

function cut(points: Datapoint[], parts: number, random: () => number): Datapoint[][] {
  const cuts = new Set<number>();
  while (cuts.size < parts - 1) cuts.add(1 + Math.floor(random() * (points.length - 1)));
  const at = [0, ...[...cuts].sort((a, b) => a - b), points.length];
  return at.slice(1).map((end, k) => points.slice(at[k], end));
}

async function post(collector: RunningCollector, body: string): Promise<void> {
  const response = await fetch(`${collector.httpEndpoint}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`OTLP POST -> ${response.status} ${text}`);
}

/** __other__ of every job/status/family on the collector's exporter right now. */
async function others(collector: RunningCollector): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const body = await httpText(`http://${collector.prometheusTarget}/metrics`);
  if (body === undefined) return out;
  for (const family of parseExposition(body).values()) {
    for (const sample of family.samples) {
      if ((sample.name === COUNTER || sample.name === HISTOGRAM_COUNT || sample.name.endsWith('_by_workspace_seconds_bucket')) && sample.labels.workspace_id === '__other__') {
        out.set(`${sample.name}{job=${sample.labels.job},status=${sample.labels.status},le=${sample.labels.le ?? ''}}`, sample.value);
      }
    }
  }
  return out;
}

describe('a collection split into several requests, merged by the collector', () => {
  let collector: RunningCollector;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    collector = await startCollector({ allowlist: ALLOWLIST });
    prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await collector?.stop();
  });

  it('keeps __other__ whole and monotonic at every request, and every total exact in Prometheus', async () => {
    const random = prng(16);
    const startMs = Date.now() - 60_000;
    const seen = new Map<string, number>();
    let decreases: string[] = [];
    let requests = 0;
    for (let c = 1; c <= COLLECTIONS; c++) {
      const tsMs = startMs + 60_000 + c * 1_000;
      const queues = SERVICES.map((service) => cut(collection(c, startMs, tsMs), REQUESTS, random).map((points) => requestBody(service, points)));
      // interleave the services' requests at random
      while (queues.some((q) => q.length > 0)) {
        const open = queues.filter((q) => q.length > 0);
        const body = open[Math.floor(random() * open.length)]!.shift()!;
        await post(collector, body);
        requests++;
        for (const [key, value] of await others(collector)) {
          const before = seen.get(key);
          if (before !== undefined && value < before) decreases = [...decreases, `${key}: ${before} -> ${value} (collection ${c})`];
          seen.set(key, value);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // a few Prometheus scrapes per collection
    }
    expect(requests).toBe(COLLECTIONS * SERVICES.length * REQUESTS);
    expect(decreases).toEqual([]);

    let recordings = 0;
    let histogramRecordings = 0;
    for (let i = 0; i < WORKSPACES; i++) {
      STATUSES.forEach((_, s) => (recordings += count(COLLECTIONS, i, s)));
      histogramRecordings += histCounts(COLLECTIONS, i).reduce((x, y) => x + y, 0);
    }
    recordings *= SERVICES.length;
    histogramRecordings *= SERVICES.length;
    await waitFor(async () => (await prometheus.scalar(`sum(${COUNTER})`)) === recordings || undefined, 20_000, `${recordings} recordings in Prometheus`).catch(
      async (error: Error) => {
        throw new Error(`${error.message}: ${await prometheus.scalar(`sum(${COUNTER})`)}`);
      },
    );
    expect(await prometheus.scalar(`sum(${COUNTER})`)).toBe(recordings);
    await waitFor(async () => (await prometheus.scalar(`sum(${HISTOGRAM_COUNT})`)) === histogramRecordings || undefined, 10_000, 'histogram recordings');

    // each listed workspace keeps its own exact value; __other__ holds the other 1,995 of each service
    for (const service of SERVICES) {
      for (const [s, status] of STATUSES.entries()) {
        const listed = (await prometheus.query(`${COUNTER}{job="${service}",status="${status}",workspace_id!="__other__"}`)).map((v) => `${v.metric.workspace_id}=${v.value}`);
        expect(listed.sort()).toEqual(ALLOWLIST.map((w, i) => `${w}=${count(COLLECTIONS, i, s)}`));
        let other = 0;
        for (let i = ALLOWLIST.length; i < WORKSPACES; i++) other += count(COLLECTIONS, i, s);
        expect(await prometheus.scalar(`${COUNTER}{job="${service}",status="${status}",workspace_id="__other__"}`)).toBe(other);
      }
    }

    // the implied series, no more: per service, (5 listed + __other__) × 2 statuses of the counter,
    // (5 + __other__) × (3 buckets + _count + _sum) of the histogram
    const implied = SERVICES.length * (ALLOWLIST.length + 1) * (STATUSES.length + BOUNDS.length + 1 + 2);
    expect(await prometheus.scalar('count({__name__=~"action_(executions|duration)_by_workspace.*"})')).toBe(implied);
    const values = new Set((await prometheus.query(`count by (workspace_id) (${COUNTER})`)).map((v) => v.metric.workspace_id));
    expect(values).toEqual(new Set([...ALLOWLIST, '__other__']));

    // Prometheus saw no reset of any __other__ series over the whole run
    for (const name of [COUNTER, HISTOGRAM_COUNT, 'action_duration_by_workspace_seconds_bucket']) {
      expect(await prometheus.scalar(`sum(resets(${name}{workspace_id="__other__"}[10m]))`), name).toBe(0);
    }
    const samples = await prometheus.scalar(`sum(count_over_time(${COUNTER}{workspace_id="__other__"}[10m]))`);
    console.log(
      `split-merge: ${requests} requests (${REQUESTS} per collection and service, interleaved), recordings=${recordings} prometheus=${recordings}, ` +
        `__other__ checked after every request (${seen.size} series), ${samples} Prometheus samples of __other__, resets 0, series=${implied}`,
    );
  }, 180_000);
});

/**
 * The same through the kit itself: a service in pass-through mode exports each
 * collection split by METRICS_OTLP_MAX_REQUEST_BYTES (32 KiB here) into many
 * requests. A counting proxy in front of the collector sees every request
 * (count and size); Prometheus sees __other__ only grow while the service
 * records, and every recording once it stops.
 */
describe('the kit splitting its exports (pass-through, 2,000 workspaces) into the collector', () => {
  const LIMIT = 32 * 1024;

  it('merges every split collection: __other__ never decreases across scrapes, sums exact, the implied series only', async () => {
    const collector = await startCollector({ allowlist: KIT_ALLOWLIST });
    const prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
    // the proxy: counts the OTLP requests and their sizes, forwards them unchanged
    const sizes: number[] = [];
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/v1/metrics') sizes.push(body.length);
        fetch(`${collector.httpEndpoint}${req.url}`, { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }, body })
          .then(async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/x-protobuf' });
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          });
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as AddressInfo).port;
    const app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'steady-app.cjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        OTEL_SERVICE_NAME: 'split-kit',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${proxyPort}`,
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_POLICY: 'passthrough',
        METRICS_OTLP_MAX_REQUEST_BYTES: String(LIMIT),
        METRICS_RUNTIME: 'off',
        FIXTURE_WORKSPACES: String(WORKSPACES),
        FIXTURE_RATE: '4000',
      },
    });
    try {
      // every workspace has recorded (2,000 at 4,000/s: half a second), then watch __other__ over several scrapes
      await waitFor(async () => (await prometheus.scalar(`count(${COUNTER})`)) === KIT_SERIES || undefined, 30_000, `${KIT_SERIES} series`);
      const watched: Record<string, number[]> = {};
      for (let i = 0; i < 8; i++) {
        for (const v of await prometheus.query(`${COUNTER}{workspace_id="__other__"}`)) (watched[v.metric.status!] ??= []).push(v.value);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      process.kill(app.pid, 'SIGUSR2');
      const final = await waitFor(() => {
        const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
        return line ? (JSON.parse(line.slice(6)) as { recorded: number }) : undefined;
      }, 10_000, 'final counts');
      await waitFor(async () => (await prometheus.scalar(`sum(${COUNTER})`)) === final.recorded || undefined, 30_000, `${final.recorded} recordings`).catch(async (e: Error) => {
        throw new Error(`${e.message}: prometheus ${await prometheus.scalar(`sum(${COUNTER})`)}`);
      });
      await waitFor(async () => (await prometheus.scalar(`sum(${HISTOGRAM_COUNT})`)) === final.recorded || undefined, 10_000, 'histogram count');
      for (const [status, seen] of Object.entries(watched)) {
        expect(seen.length, status).toBeGreaterThanOrEqual(8);
        expect(seen.every((v, i) => i === 0 || v >= seen[i - 1]!), `${status}: ${seen.join(' ')}`).toBe(true);
        expect(seen[seen.length - 1]!, status).toBeGreaterThan(seen[0]!);
      }
      for (const name of [COUNTER, HISTOGRAM_COUNT, 'action_duration_by_workspace_seconds_bucket']) {
        expect(await prometheus.scalar(`sum(resets(${name}[10m]))`), name).toBe(0);
      }
      expect(await prometheus.scalar(`count(${COUNTER})`)).toBe(KIT_SERIES);
      const values = new Set((await prometheus.query(`count by (workspace_id) (${COUNTER})`)).map((v) => v.metric.workspace_id));
      expect(values).toEqual(new Set([...KIT_ALLOWLIST, '__other__']));
      // the collections really were split: many requests, none over the limit
      expect(Math.max(...sizes)).toBeLessThanOrEqual(LIMIT);
      expect(sizes.length).toBeGreaterThan(20 * 5);
      console.log(
        `split-kit: ${sizes.length} requests (largest ${Math.max(...sizes)} B, limit ${LIMIT} B), recorded=${final.recorded} prometheus=${final.recorded}, ` +
          `__other__ over 8 scrapes: ${Object.entries(watched).map(([s, v]) => `${s} ${v[0]}→${v[v.length - 1]}`).join(', ')}, resets 0, series=${KIT_SERIES}`,
      );
    } finally {
      await app.stop();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await prometheus.stop();
      await collector.stop();
    }
  }, 180_000);
});
