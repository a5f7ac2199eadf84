/**
 * The collector's workspace policy (the `workspacepolicy` processor in
 * otel-collector/config.yaml), end to end against the real otelcol-workspace
 * binary: hand-built OTLP/JSON is POSTed to the HTTP receiver and the
 * Prometheus exporter's /metrics is scraped and parsed. Every case states the
 * exact series it expects, so a config that stops folding, merging,
 * canonicalizing or passing other metrics through fails here.
 *
 * (This replaces the hand-run otel-collector/verify.mjs, same cases, plus the SDK
 * rules: hierarchical ids, team folds, sampling, non-ASCII, non-string ids.)
 *
 * Mutation checks: OTELCOL_ALLOWLIST_TEST_CONFIG=/path/to/edited-config.yaml
 * runs the same cases against another base config, to see which cases catch
 * the change. (config.contrib.yaml, the OTTL recipe, has its own test:
 * test/integration/allowlist-collector-recipe.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { parseExposition, type Family, type Sample } from '../../src/exposition/parse';
import { WorkspacePolicy, sampleThresholdHex } from '../../src/exports/policy';
import { collectorBinary } from '../helpers/binaries';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { httpText, waitFor } from '../helpers/processes';

const CONFIG_DIR = join(__dirname, '..', '..', 'otel-collector');
const BASE_CONFIG = process.env.OTELCOL_ALLOWLIST_TEST_CONFIG
  ? relative(CONFIG_DIR, resolve(process.env.OTELCOL_ALLOWLIST_TEST_CONFIG))
  : 'config.yaml';
const REMOTE_WRITE = 'config.remotewrite.yaml';

// ---- OTLP/JSON builders ------------------------------------------------------

type AttrValue = string | number;
type Attrs = Record<string, AttrValue>;

const attrs = (o: Attrs) =>
  Object.entries(o).map(([key, v]) => ({
    key,
    value: typeof v === 'number' && Number.isInteger(v) ? { intValue: String(v) } : { stringValue: String(v) },
  }));

const NS = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const SCOPE = { name: 'otel-workspace-metrics', version: '0.0.0-e2e' };

function resource(instance: string, service = 'allowlist-e2e') {
  return { attributes: attrs({ 'service.name': service, 'service.instance.id': instance, 'deployment.environment': 'test' }) };
}

interface Sum {
  name: string;
  unit: string;
  sum: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: Record<string, unknown>[] };
}

function counter(name: string, unit: string, startMs: number, tsMs: number, points: [Attrs, number][], temporality = 2): Sum {
  return {
    name,
    unit,
    sum: {
      aggregationTemporality: temporality,
      isMonotonic: true,
      dataPoints: points.map(([a, v]) => ({ attributes: attrs(a), startTimeUnixNano: NS(startMs), timeUnixNano: NS(tsMs), asInt: String(v) })),
    },
  };
}

function gauge(name: string, unit: string, tsMs: number, points: [Attrs, number][]) {
  return { name, unit, gauge: { dataPoints: points.map(([a, v]) => ({ attributes: attrs(a), timeUnixNano: NS(tsMs), asDouble: v })) } };
}

interface HistogramPoint {
  sum: number;
  min: number;
  max: number;
  buckets: number[];
}

function histogram(name: string, unit: string, startMs: number, tsMs: number, bounds: number[], points: [Attrs, HistogramPoint][]) {
  return {
    name,
    unit,
    histogram: {
      aggregationTemporality: 2,
      dataPoints: points.map(([a, h]) => ({
        attributes: attrs(a),
        startTimeUnixNano: NS(startMs),
        timeUnixNano: NS(tsMs),
        count: String(h.buckets.reduce((x, y) => x + y, 0)),
        sum: h.sum,
        min: h.min,
        max: h.max,
        bucketCounts: h.buckets.map(String),
        explicitBounds: bounds,
      })),
    },
  };
}

function request(instance: string, metrics: unknown[], service?: string) {
  return { resource: resource(instance, service), scopeMetrics: [{ scope: SCOPE, metrics }] };
}

async function post(collector: RunningCollector, resourceMetrics: unknown[]): Promise<void> {
  const response = await fetch(`${collector.httpEndpoint}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceMetrics }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`OTLP POST -> ${response.status} ${text}`);
}

// ---- scraping ----------------------------------------------------------------

type Families = Map<string, Family>;

async function scrape(collector: RunningCollector): Promise<Families> {
  return parseExposition(await httpText(`http://${collector.prometheusTarget}/metrics`));
}

/** Samples named `name` (any family) whose labels include `match`. */
function pick(families: Families, name: string, match: Record<string, string> = {}): Sample[] {
  const out: Sample[] = [];
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(match).every(([k, v]) => sample.labels[k] === v)) out.push(sample);
    }
  }
  return out;
}

const values = (families: Families, name: string, match: Record<string, string> = {}) => pick(families, name, match).map((s) => s.value);

/** `workspace_id=value` pairs of a family, sorted: the whole picture in one comparable string list. */
function byWorkspace(families: Families, name: string, match: Record<string, string> = {}): string[] {
  return pick(families, name, match)
    .map((s) => `${s.labels.workspace_id}=${s.value}`)
    .sort();
}

/** Polls the scrape until `ready` holds (the batch processor flushes every 200 ms); returns the last scrape either way. */
async function scrapeUntil(collector: RunningCollector, ready: (f: Families) => boolean, ms = 8_000): Promise<Families> {
  let last: Families = new Map();
  try {
    return await waitFor(
      async () => {
        last = await scrape(collector);
        return ready(last) ? last : undefined;
      },
      ms,
      'the scrape',
    );
  } catch {
    return last;
  }
}

function runBinary(args: string[], env: Record<string, string | undefined> = {}) {
  return spawnSync(collectorBinary(), args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 });
}

const cfg = (file: string) => ['--config', join(CONFIG_DIR, file)];

// ---- validate / print-config ---------------------------------------------------

describe('collector configs validate', () => {
  it('config.yaml validates', () => {
    const r = runBinary(['validate', ...cfg(BASE_CONFIG)]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('config.yaml + the remote-write overlay validates with OTELCOL_REMOTE_WRITE_URL set', () => {
    const r = runBinary(['validate', ...cfg(BASE_CONFIG), ...cfg(REMOTE_WRITE)], { OTELCOL_REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('the overlay restates the exporters and inherits the processors (print-config of the merged config)', () => {
    const r = runBinary(['print-config', '--mode', 'unredacted', '--format', 'json', ...cfg(BASE_CONFIG), ...cfg(REMOTE_WRITE)], {
      OTELCOL_REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write',
    });
    expect(r.status, r.stderr).toBe(0);
    const merged = JSON.parse(r.stdout) as { service: { pipelines: { metrics: { receivers: string[]; processors: string[]; exporters: string[] } } } };
    expect(merged.service.pipelines.metrics).toMatchObject({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'workspacepolicy', 'batch'],
      exporters: ['prometheus', 'prometheus_remote_write'],
    });
  });

  it('the overlay without OTELCOL_REMOTE_WRITE_URL fails validation (never starts half-configured)', () => {
    const r = runBinary(['validate', ...cfg(BASE_CONFIG), ...cfg(REMOTE_WRITE)], { OTELCOL_REMOTE_WRITE_URL: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/endpoint/i);
  });
});

// ---- the allowlist stage, allowlist ws-1,ws-2 --------------------------------

describe('allowlist ws-1,ws-2', () => {
  let collector: RunningCollector;
  const t0 = Date.now() - 60_000;
  const t1 = Date.now();
  const t2 = t1 + 15_000;
  const t3 = t2 + 1_000;
  const CNT = 'action_executions_by_workspace_total';

  beforeAll(async () => {
    collector = await startCollector({ allowlist: ['ws-1', 'ws-2'], configs: [BASE_CONFIG] });
  });
  afterAll(async () => {
    await collector?.stop();
  });

  it('answers the health check with 200', async () => {
    const response = await fetch(collector.healthUrl, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
  });

  it('serves its own telemetry', async () => {
    expect(await httpText(collector.telemetryUrl)).toMatch(/^otelcol_process_uptime/m);
  });

  describe('first request: a cumulative counter with five workspaces, untouched metrics, odd values', () => {
    let s: Families;
    beforeAll(async () => {
      await post(collector, [
        request('inst-1', [
          counter('action.executions.by_workspace', '{execution}', t0, t1, [
            [{ workspace_id: 'ws-1' }, 3],
            [{ workspace_id: 'WS-2' }, 2],
            [{ workspace_id: 'acme' }, 5],
            [{ workspace_id: 'beta' }, 7],
            [{ workspace_id: 'a",x="1' }, 1],
          ]),
          // no workspace attribute at all: must pass through unchanged
          counter('action.executions', '{execution}', t0, t1, [
            [{ provider: 'slack', action: 'send', status: 'ok' }, 11],
            [{ provider: 'slack', action: 'send', status: 'error' }, 2],
            [{ provider: 'github', action: 'comment', status: 'ok' }, 4],
          ]),
          gauge('queue.depth', '{job}', t1, [
            [{ status: 'ready' }, 3],
            [{ status: 'running' }, 1],
          ]),
          // unit "1", an int id, padding, empty, too long, a literal __other__
          counter('queue.jobs.by_workspace', '1', t0, t1, [
            [{ workspace_id: 'ws-1', job_type: 'email' }, 1],
            [{ workspace_id: 42, job_type: 'email' }, 2],
            [{ workspace_id: ' ws-2 ', job_type: 'email' }, 3],
            [{ workspace_id: '', job_type: 'email' }, 4],
            [{ workspace_id: 'x'.repeat(65), job_type: 'email' }, 5],
            [{ workspace_id: '__other__', job_type: 'email' }, 6],
          ]),
        ]),
      ]);
      s = await scrapeUntil(collector, (f) => pick(f, CNT).length >= 3 && pick(f, 'queue_jobs_by_workspace_total').length >= 3 && pick(f, 'queue_depth').length >= 2);
    });

    it('folds unlisted and hostile ids into exactly one __other__ and merges them: ws-1 3, ws-2 2 (WS-2 canonicalized), __other__ 13 (acme 5 + beta 7 + a",x="1 1)', () => {
      expect(byWorkspace(s, CNT)).toEqual(['__other__=13', 'ws-1=3', 'ws-2=2']);
    });

    it('maps service.name/service.instance.id to job/instance and keeps other resource attributes off the series', () => {
      for (const sample of pick(s, CNT)) {
        expect(sample.labels).toMatchObject({ job: 'allowlist-e2e', instance: 'inst-1' });
        expect(sample.labels).not.toHaveProperty('deployment_environment');
      }
      expect(pick(s, 'target_info', { instance: 'inst-1', deployment_environment: 'test' })).toHaveLength(1);
    });

    it('names a unit-"1" counter queue_jobs_by_workspace_total; int 42, "", 65 chars and a literal __other__ fold; " ws-2 " is trimmed', () => {
      expect(byWorkspace(s, 'queue_jobs_by_workspace_total')).toEqual(['__other__=17', 'ws-1=1', 'ws-2=3']);
      expect(pick(s, 'queue_jobs_by_workspace_total').every((x) => x.labels.job_type === 'email')).toBe(true);
    });

    it('passes a counter without the workspace attribute through unchanged', () => {
      const A = 'action_executions_total';
      expect(
        pick(s, A)
          .map((x) => `${x.labels.provider}/${x.labels.action}/${x.labels.status}=${x.value}`)
          .sort(),
      ).toEqual(['github/comment/ok=4', 'slack/send/error=2', 'slack/send/ok=11']);
      expect(pick(s, A).some((x) => 'workspace_id' in x.labels)).toBe(false);
    });

    it('passes a gauge without the workspace attribute through unchanged', () => {
      expect(values(s, 'queue_depth', { status: 'ready' })).toEqual([3]);
      expect(values(s, 'queue_depth', { status: 'running' })).toEqual([1]);
      expect(pick(s, 'queue_depth')).toHaveLength(2);
    });
  });

  it('second request, higher cumulatives: __other__ is the sum of the latest cumulatives of all its sources (6 + 9 + 1, plus the 1 of a",x="1 from the first request) = 17, not last-write-wins', async () => {
    await post(collector, [
      request('inst-1', [
        counter('action.executions.by_workspace', '{execution}', t0, t2, [
          [{ workspace_id: 'ws-1' }, 4],
          [{ workspace_id: 'WS-2' }, 2],
          [{ workspace_id: 'acme' }, 6],
          [{ workspace_id: 'beta' }, 9],
          [{ workspace_id: 'gamma' }, 1],
        ]),
      ]),
    ]);
    const s = await scrapeUntil(collector, (f) => values(f, CNT, { workspace_id: 'ws-1' })[0] === 4);
    // a",x="1 is not in this request: its latest cumulative (1) still counts (the processor merges across requests)
    expect(byWorkspace(s, CNT)).toEqual(['__other__=17', 'ws-1=4', 'ws-2=2']);
  });

  describe('a cumulative histogram with identical bounds', () => {
    const H = 'action_duration_by_workspace_seconds';
    let s: Families;
    beforeAll(async () => {
      await post(collector, [
        request('inst-1', [
          histogram('action.duration.by_workspace', 's', t0, t2, [0.1, 0.5, 1, 5], [
            [{ workspace_id: 'ws-1', status: 'ok' }, { sum: 0.9, min: 0.05, max: 0.6, buckets: [1, 0, 1, 0, 0] }],
            [{ workspace_id: 'acme', status: 'ok' }, { sum: 2.5, min: 0.2, max: 2, buckets: [0, 1, 0, 1, 0] }],
            [{ workspace_id: 'beta', status: 'ok' }, { sum: 7.05, min: 0.05, max: 6, buckets: [1, 0, 1, 0, 1] }],
            [{ workspace_id: 'beta', status: 'error' }, { sum: 0.3, min: 0.3, max: 0.3, buckets: [0, 1, 0, 0, 0] }],
          ]),
        ]),
      ]);
      s = await scrapeUntil(collector, (f) => pick(f, `${H}_count`).length >= 3);
    });
    const other = { workspace_id: '__other__', status: 'ok' };

    it('merges count and sum: __other__/ok count 5 (2 + 3), sum 9.55', () => {
      expect(values(s, `${H}_count`, other)).toEqual([5]);
      expect(values(s, `${H}_sum`, other)).toHaveLength(1);
      expect(values(s, `${H}_sum`, other)[0]).toBeCloseTo(9.55, 9);
    });

    it('merges buckets: __other__/ok cumulative 0.1:1, 0.5:2, 1:3, 5:4, +Inf:5', () => {
      const buckets = pick(s, `${H}_bucket`, other)
        .map((x) => [Number(x.labels.le === '+Inf' ? Infinity : x.labels.le), x.value] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([le, v]) => `${le === Infinity ? '+Inf' : le}:${v}`);
      expect(buckets).toEqual(['0.1:1', '0.5:2', '1:3', '5:4', '+Inf:5']);
    });

    it('keeps other attributes apart (__other__/error count 1) and listed ids as they are (ws-1/ok count 2, sum 0.9)', () => {
      expect(values(s, `${H}_count`, { workspace_id: '__other__', status: 'error' })).toEqual([1]);
      expect(values(s, `${H}_count`, { workspace_id: 'ws-1', status: 'ok' })).toEqual([2]);
      expect(values(s, `${H}_sum`, { workspace_id: 'ws-1', status: 'ok' })[0]).toBeCloseTo(0.9, 9);
      expect(pick(s, `${H}_count`)).toHaveLength(3);
    });
  });

  it('two resources in one request fold independently: __other__ inst-a 30, inst-b 300; ws-1 kept per instance', async () => {
    const R = 'queue_jobs_by_workspace_total';
    await post(collector, [
      request('inst-a', [counter('queue.jobs.by_workspace', '1', t0, t3, [
        [{ workspace_id: 'ws-1', job_type: 'sync' }, 1],
        [{ workspace_id: 'acme', job_type: 'sync' }, 10],
        [{ workspace_id: 'beta', job_type: 'sync' }, 20],
      ])], 'svc-two'),
      request('inst-b', [counter('queue.jobs.by_workspace', '1', t0, t3, [
        [{ workspace_id: 'ws-1', job_type: 'sync' }, 2],
        [{ workspace_id: 'acme', job_type: 'sync' }, 100],
        [{ workspace_id: 'delta', job_type: 'sync' }, 200],
      ])], 'svc-two'),
    ]);
    const s = await scrapeUntil(collector, (f) => pick(f, R, { job: 'svc-two' }).length >= 4);
    expect(byWorkspace(s, R, { job: 'svc-two', instance: 'inst-a' })).toEqual(['__other__=30', 'ws-1=1']);
    expect(byWorkspace(s, R, { job: 'svc-two', instance: 'inst-b' })).toEqual(['__other__=300', 'ws-1=2']);
    expect(pick(s, R, { job: 'svc-two' })).toHaveLength(4);
  });

  it('folds a gauge with the workspace label by SUM: __other__ 9 (4 + 5), ws-1 3', async () => {
    const G = 'queue_depth_by_workspace';
    await post(collector, [
      request('inst-g', [gauge('queue.depth.by_workspace', '{job}', t3, [
        [{ workspace_id: 'ws-1', status: 'ready' }, 3],
        [{ workspace_id: 'acme', status: 'ready' }, 4],
        [{ workspace_id: 'beta', status: 'ready' }, 5],
      ])]),
    ]);
    const s = await scrapeUntil(collector, (f) => pick(f, G).length >= 2);
    expect(byWorkspace(s, G)).toEqual(['__other__=9', 'ws-1=3']);
  });

  it('merges a DELTA counter per request, then the exporter accumulates: __other__ 15 (5 + 7, then 1 + 2), ws-1 2', async () => {
    const D = 'workflow_executions_by_workspace_total';
    const d0 = t3 - 20_000;
    const delta = (from: number, to: number, points: [Attrs, number][]) => counter('workflow.executions.by_workspace', '{execution}', from, to, points, 1);
    await post(collector, [request('inst-d', [delta(d0, d0 + 10_000, [[{ workspace_id: 'acme' }, 5], [{ workspace_id: 'beta' }, 7], [{ workspace_id: 'ws-1' }, 1]])])]);
    await scrapeUntil(collector, (f) => pick(f, D).length >= 2);
    await post(collector, [request('inst-d', [delta(d0 + 10_000, d0 + 20_000, [[{ workspace_id: 'acme' }, 1], [{ workspace_id: 'beta' }, 2], [{ workspace_id: 'ws-1' }, 1]])])]);
    const s = await scrapeUntil(collector, (f) => values(f, D, { workspace_id: 'ws-1' })[0] === 2);
    expect(byWorkspace(s, D)).toEqual(['__other__=15', 'ws-1=2']);
  });

  it('merges a summary: count and sum add, quantiles are dropped from the merged series (documented choice), ws-1 kept whole', async () => {
    const S = 'rpc_latency_by_workspace_seconds';
    const summary = {
      name: 'rpc.latency.by_workspace',
      unit: 's',
      summary: {
        dataPoints: ([['ws-1', 2, 1.5], ['acme', 3, 2.5], ['beta', 4, 3.5]] as const).map(([ws, count, sum]) => ({
          attributes: attrs({ workspace_id: ws }),
          startTimeUnixNano: NS(t0),
          timeUnixNano: NS(t3),
          count: String(count),
          sum,
          quantileValues: [{ quantile: 0.5, value: sum / count }],
        })),
      },
    };
    await post(collector, [request('inst-sum', [summary])]);
    const s = await scrapeUntil(collector, (f) => pick(f, `${S}_count`).length >= 2);
    expect(values(s, `${S}_count`, { workspace_id: 'ws-1' })).toEqual([2]);
    expect(values(s, `${S}_count`, { workspace_id: '__other__' })).toEqual([7]);
    expect(values(s, `${S}_sum`, { workspace_id: '__other__' })).toEqual([6]);
    expect(values(s, S, { workspace_id: 'ws-1', quantile: '0.5' })).toEqual([0.75]);
    expect(values(s, S, { workspace_id: '__other__' })).toEqual([]);
  });

  it('merges datapoints with different timestamps in one request (5 + 7 = 12, not last-write-wins)', async () => {
    const t4 = t3 + 1_000;
    await post(collector, [request('inst-ts', [counter('action.executions.by_workspace', '{execution}', t0, t4, [[{ workspace_id: 'acme' }, 5]])])]);
    let s = await scrapeUntil(collector, (f) => values(f, CNT, { instance: 'inst-ts' })[0] === 5);
    expect(values(s, CNT, { instance: 'inst-ts' })).toEqual([5]);
    const mixed = counter('action.executions.by_workspace', '{execution}', t0, t4 + 1_000, [
      [{ workspace_id: 'acme' }, 5],
      [{ workspace_id: 'beta' }, 7],
    ]);
    mixed.sum.dataPoints[1]!.timeUnixNano = NS(t4 + 2_000);
    await post(collector, [request('inst-ts', [mixed])]);
    s = await scrapeUntil(collector, (f) => values(f, CNT, { instance: 'inst-ts' })[0] === 12, 5_000);
    expect(values(s, CNT, { instance: 'inst-ts', workspace_id: '__other__' })).toEqual([12]);
  });

  it('counted every accepted point in its own telemetry (receiver, workspacepolicy processor, prometheus exporter)', async () => {
    const telemetry = parseExposition(await httpText(collector.telemetryUrl));
    const total = (name: string, match: Record<string, string>) => values(telemetry, name, match).reduce((a, b) => a + b, 0);
    expect(total('otelcol_receiver_accepted_metric_points', { receiver: 'otlp', transport: 'http' })).toBeGreaterThan(0);
    expect(total('otelcol_processor_incoming_items', { processor: 'workspacepolicy' })).toBeGreaterThan(0);
    expect(total('otelcol_workspacepolicy_datapoints_folded', {})).toBeGreaterThan(0);
    expect(total('otelcol_workspacepolicy_datapoints_merged', {})).toBeGreaterThan(0);
    expect(total('otelcol_workspacepolicy_allowlist_size', {})).toBe(2);
    expect(total('otelcol_exporter_sent_metric_points', { exporter: 'prometheus' })).toBeGreaterThan(0);
    expect(total('otelcol_receiver_refused_metric_points', { receiver: 'otlp' })).toBe(0);
  });

  it('logged no error or warn line during all of the above', () => {
    const problems = collector.logs().split('\n').filter((line) => /\t(error|warn)\t/.test(line));
    expect(problems).toEqual([]);
  });
});

// ---- allowlist variants ----------------------------------------------------------

describe.each([
  ['empty', '', ['__other__=10']],
  ['unset', undefined, ['__other__=10']],
  ['with spaces and upper case (" WS-1 , ws-2")', ' WS-1 , ws-2', ['__other__=5', 'ws-1=3', 'ws-2=2']],
] as const)('allowlist %s', (_label, allowlist, expected) => {
  it(`gives ${expected.join(', ')} for ws-1 3, ws-2 2, acme 5`, async () => {
    const collector = await startCollector({
      allowlist: [],
      configs: [BASE_CONFIG],
      // undefined removes the variable from the collector's environment (startCollector always sets it)
      env: { METRICS_WORKSPACE_ALLOWLIST: allowlist } as unknown as Record<string, string>,
    });
    try {
      const t = Date.now();
      await post(collector, [
        request('inst-e', [counter('action.executions.by_workspace', '{execution}', t - 1_000, t, [
          [{ workspace_id: 'ws-1' }, 3],
          [{ workspace_id: 'ws-2' }, 2],
          [{ workspace_id: 'acme' }, 5],
        ])]),
      ]);
      const s = await scrapeUntil(collector, (f) => pick(f, 'action_executions_by_workspace_total').length >= expected.length);
      expect(byWorkspace(s, 'action_executions_by_workspace_total')).toEqual(expected);
    } finally {
      await collector.stop();
    }
  });
});

// ---- the SDK's full rules: hierarchical ids, team folds, sampling, non-ASCII ------

/**
 * One request through the whole shipped pipeline (stage + merge + exporter),
 * allowlist `ws-1,k8s,42,eng/api,ops/*`. Expected series are stated, and also
 * checked against WorkspacePolicy.resolve summed per value (the SDK would
 * export the same totals).
 */
const RULES_ALLOWLIST = ['ws-1', 'k8s', '42', 'eng/api', 'ops/*'];
const RULES_POINTS: [AttrValue, number][] = [
  ['eng/api', 1],
  ['ENG/API ', 2], // canonicalized, merged into eng/api
  ['eng/web', 4], // team eng is not allowlisted (only eng/api is)
  ['ops/s-0', 5], // ops/* -> ops/__other__
  ['ops/s-2', 6], // sampled at 0.2, so kept then; ops/__other__ otherwise
  ['OPS/__other__', 7], // the policy's own output maps to itself
  ['ws-1/x', 8], // a flat entry is also a team
  ['zzz/__other__', 9], // team not allowlisted
  ['\u212A8s', 10], // Kelvin sign: lower-cases to "k8s" (allowlisted), but non-ASCII folds first
  ['k8s', 11],
  ['\u00a0k8s', 12], // NBSP is not trimmed: non-ASCII
  ['s-0', 13], // sampled at 0.2
  ['team-x/s-0', 14], // sampled at 0.2 (the whole team/ws is hashed)
  ['s-2', 15], // not sampled
  [`k8s${' '.repeat(300)}`, 16], // more than 256 raw characters, rejected before trimming
  [42, 17], // an int is not an id, even though "42" is allowlisted
  ['42', 18],
  ['a/b/c', 19],
];

describe.each([
  [
    'no sampling (METRICS_WORKSPACE_SAMPLE_RATE unset)',
    0,
    undefined,
    ['42=18', '__other__=129', 'eng/api=3', 'k8s=11', 'ops/__other__=18', 'ws-1/__other__=8'],
  ],
  [
    'rate 0.2 (METRICS_WORKSPACE_SAMPLE_RATE=0.2)',
    0.2,
    '0.2',
    ['42=18', '__other__=102', 'eng/api=3', 'k8s=11', 'ops/__other__=12', 'ops/s-2=6', 's-0=13', 'team-x/s-0=14', 'ws-1/__other__=8'],
  ],
] as const)('SDK rules, allowlist ws-1,k8s,42,eng/api,ops/*, %s', (_label, rate, sampleRate, expected) => {
  it(`gives ${expected.join(', ')}`, async () => {
    // the stated expectation is what the SDK policy gives for the same points
    expect(sampleThresholdHex(0.2)).toBe('33333334');
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: RULES_ALLOWLIST, sampleRate: rate });
    const sdk = new Map<string, number>();
    for (const [id, value] of RULES_POINTS) {
      const resolved = policy.resolve(id);
      sdk.set(resolved, (sdk.get(resolved) ?? 0) + value);
    }
    expect([...sdk].map(([id, value]) => `${id}=${value}`).sort()).toEqual(expected);

    const collector = await startCollector({
      allowlist: RULES_ALLOWLIST,
      configs: [BASE_CONFIG],
      env: sampleRate === undefined ? {} : { METRICS_WORKSPACE_SAMPLE_RATE: sampleRate },
    });
    try {
      const t = Date.now();
      await post(collector, [
        request('inst-rules', [counter('action.executions.by_workspace', '{execution}', t - 1_000, t, RULES_POINTS.map(([id, value]): [Attrs, number] => [{ workspace_id: id }, value]))]),
      ]);
      const s = await scrapeUntil(collector, (f) => pick(f, 'action_executions_by_workspace_total').length >= expected.length);
      expect(byWorkspace(s, 'action_executions_by_workspace_total')).toEqual(expected);
      expect(collector.logs().split('\n').filter((line) => /\t(error|warn)\t/.test(line))).toEqual([]);
    } finally {
      await collector.stop();
    }
  });
});

// ---- remote-write overlay, against a local stub ------------------------------

describe('remote-write overlay', () => {
  interface Write {
    url: string | undefined;
    headers: IncomingHttpHeaders;
    bytes: number;
  }
  let stub: Server;
  const writes: Write[] = [];

  beforeAll(async () => {
    stub = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        writes.push({ url: req.url, headers: req.headers, bytes: Buffer.concat(chunks).length });
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    stub?.close();
  });

  it('starts, POSTs snappy-compressed protobuf to OTELCOL_REMOTE_WRITE_URL, and still serves the scrape endpoint', async () => {
    const port = (stub.address() as { port: number }).port;
    const collector = await startCollector({
      allowlist: ['ws-1'],
      configs: [BASE_CONFIG, REMOTE_WRITE],
      env: { OTELCOL_REMOTE_WRITE_URL: `http://127.0.0.1:${port}/api/v1/write` },
    });
    try {
      const t = Date.now();
      await post(collector, [request('inst-rw', [counter('action.executions.by_workspace', '{execution}', t - 1_000, t, [[{ workspace_id: 'acme' }, 1]])])]);
      await waitFor(() => writes.length > 0 || undefined, 15_000, 'a remote write');
      expect(writes[0]).toMatchObject({ url: '/api/v1/write', headers: { 'content-encoding': 'snappy' } });
      expect(writes[0]!.headers['content-type']).toMatch(/protobuf/);
      expect(writes[0]!.bytes).toBeGreaterThan(0);
      const s = await scrapeUntil(collector, (f) => pick(f, 'action_executions_by_workspace_total').length >= 1);
      expect(byWorkspace(s, 'action_executions_by_workspace_total')).toEqual(['__other__=1']);
    } finally {
      await collector.stop();
    }
  });
});
