#!/usr/bin/env node
// End-to-end check of the otelcol-workspace distribution with config.yaml:
// starts the real collector on free loopback ports, POSTs OTLP/JSON to the
// HTTP receiver, scrapes the Prometheus exporter and asserts the workspace
// allowlist + merge behaviour. No dependencies beyond Node >= 18.
//
//   node otel-collector/verify.mjs            # builds (or reuses the cache) via build.sh
//   OTELCOL_BIN=/path/to/otelcol-workspace node otel-collector/verify.mjs
//   VERIFY_REPORT=1 node otel-collector/verify.mjs   # also print the scraped series
//
// Closing line: "N passed, N failed". Exit code 1 on any failure.
// Only processes this script spawned are ever killed.

import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONFIG = path.join(here, 'config.yaml');
const OVERLAY = path.join(here, 'config.remotewrite.yaml');
const REPORT = !!process.env.VERIFY_REPORT;

let passed = 0;
let failed = 0;
const children = new Set();

function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail ? `\n       ${detail}` : ''}`);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function binary() {
  if (process.env.OTELCOL_BIN) return process.env.OTELCOL_BIN;
  const r = spawnSync('bash', [path.join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build.sh failed with ${r.status}`);
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1];
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startCollector(bin, { allowlist, configs = [CONFIG], extraEnv = {} }) {
  const ports = {};
  for (const k of ['grpc', 'http', 'prom', 'health', 'telemetry']) ports[k] = await freePort();
  const env = {
    ...process.env,
    OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
    OTELCOL_PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.prom}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
    OTELCOL_TELEMETRY_HOST: '127.0.0.1',
    OTELCOL_TELEMETRY_PORT: String(ports.telemetry),
    ...extraEnv,
  };
  if (allowlist === undefined) delete env.METRICS_WORKSPACE_ALLOWLIST;
  else env.METRICS_WORKSPACE_ALLOWLIST = allowlist;
  const args = configs.flatMap((c) => ['--config', c]);
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.on('exit', () => children.delete(child));
  const col = { child, ports, log: () => log };
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`collector exited early (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`http://127.0.0.1:${ports.health}/`);
      if (r.status === 200) return col;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`collector did not become healthy:\n${log}`);
}

async function stopCollector(col) {
  if (col.child.exitCode !== null) return;
  const exited = new Promise((r) => col.child.once('exit', r));
  col.child.kill('SIGTERM');
  const t = setTimeout(() => col.child.exitCode === null && col.child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(t);
}

// ---- OTLP/JSON helpers -------------------------------------------------------

const attrs = (o) =>
  Object.entries(o).map(([key, v]) => ({
    key,
    value: typeof v === 'number' && Number.isInteger(v) ? { intValue: String(v) } : { stringValue: String(v) },
  }));

function resource(instance, service = 'verify-svc') {
  return { attributes: attrs({ 'service.name': service, 'service.instance.id': instance, 'deployment.environment': 'test' }) };
}

const scope = { name: 'otel-workspace-metrics', version: '0.0.0-verify' };

function counter(name, unit, start, ts, points) {
  return {
    name,
    unit,
    description: `${name} (verify)`,
    sum: {
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: points.map(([a, v]) => ({ attributes: attrs(a), startTimeUnixNano: start, timeUnixNano: ts, asInt: String(v) })),
    },
  };
}

function gauge(name, unit, ts, points) {
  return {
    name,
    unit,
    gauge: { dataPoints: points.map(([a, v]) => ({ attributes: attrs(a), timeUnixNano: ts, asDouble: v })) },
  };
}

function histogram(name, unit, start, ts, bounds, points) {
  return {
    name,
    unit,
    histogram: {
      aggregationTemporality: 2,
      dataPoints: points.map(([a, h]) => ({
        attributes: attrs(a),
        startTimeUnixNano: start,
        timeUnixNano: ts,
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

async function post(col, resourceMetrics) {
  const body = JSON.stringify({ resourceMetrics });
  const r = await fetch(`http://127.0.0.1:${col.ports.http}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`OTLP POST -> ${r.status} ${text}`);
  return text;
}

// ---- Prometheus text parsing --------------------------------------------------

function parseLabels(s) {
  const out = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    const key = s.slice(i, eq).trim();
    let j = eq + 2; // skip ="
    let val = '';
    while (s[j] !== '"') {
      if (s[j] === '\\') {
        const n = s[j + 1];
        val += n === 'n' ? '\n' : n;
        j += 2;
      } else val += s[j++];
    }
    out[key] = val;
    i = j + 1;
    if (s[i] === ',') i++;
  }
  return out;
}

function parseProm(text) {
  const series = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/);
    if (!m) continue;
    series.push({ name: m[1], labels: m[2] ? parseLabels(m[2]) : {}, value: Number(m[3]), line });
  }
  return series;
}

async function scrape(col) {
  const r = await fetch(`http://127.0.0.1:${col.ports.prom}/metrics`);
  return parseProm(await r.text());
}

function pick(series, name, match = {}) {
  return series.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

// Poll the scrape until `ready(series)` holds (batch timeout is 200ms).
async function scrapeUntil(col, ready, ms = 8000) {
  const deadline = Date.now() + ms;
  let s = [];
  while (Date.now() < deadline) {
    s = await scrape(col);
    if (ready(s)) return s;
    await sleep(100);
  }
  return s;
}

function show(series, names) {
  if (!REPORT) return;
  for (const s of series) if (names.some((n) => s.line.startsWith(n))) console.log(`       ${s.line}`);
}

// ---- the checks --------------------------------------------------------------

const NS = (ms) => `${BigInt(ms) * 1000000n}`;

async function main() {
  const bin = binary();
  console.log(`# binary: ${bin}`);

  // validate: base config, and base + remote-write overlay
  let v = spawnSync(bin, ['validate', '--config', CONFIG], { encoding: 'utf8' });
  check('validate config.yaml', v.status === 0, v.stderr);
  v = spawnSync(bin, ['validate', '--config', CONFIG, '--config', OVERLAY], {
    encoding: 'utf8',
    env: { ...process.env, OTELCOL_REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write' },
  });
  check('validate config.yaml + config.remotewrite.yaml', v.status === 0, v.stderr);
  v = spawnSync(bin, ['print-config', '--mode', 'unredacted', '--format', 'json', '--config', CONFIG, '--config', OVERLAY], {
    encoding: 'utf8',
    env: { ...process.env, OTELCOL_REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write' },
  });
  let merged = null;
  try {
    merged = JSON.parse(v.stdout);
  } catch {
    /* reported below */
  }
  const mp = merged?.service?.pipelines?.metrics;
  check(
    'overlay: pipeline exporters = [prometheus, prometheus_remote_write], processors unchanged',
    JSON.stringify(mp?.exporters) === JSON.stringify(['prometheus', 'prometheus_remote_write']) &&
      JSON.stringify(mp?.processors) === JSON.stringify(['memory_limiter', 'transform/workspace_allowlist', 'batch']),
    `${v.stderr} ${JSON.stringify(mp)}`,
  );
  v = spawnSync(bin, ['validate', '--config', CONFIG, '--config', OVERLAY], {
    encoding: 'utf8',
    env: { ...process.env, OTELCOL_REMOTE_WRITE_URL: '' },
  });
  check('overlay without OTELCOL_REMOTE_WRITE_URL fails validation', v.status !== 0, `status ${v.status}`);

  // ---- main collector: allowlist ws-1,ws-2 ----
  const col = await startCollector(bin, { allowlist: 'ws-1,ws-2' });
  try {
    const h = await fetch(`http://127.0.0.1:${col.ports.health}/`);
    check('health_check answers 200', h.status === 200, String(h.status));
    const tele = await (await fetch(`http://127.0.0.1:${col.ports.telemetry}/metrics`)).text();
    check('own telemetry endpoint answers (otelcol_process_uptime)', /otelcol_process_uptime/.test(tele), tele.slice(0, 200));

    const t0 = Date.now() - 60000;
    const t1 = Date.now();
    const CNT = 'action_executions_by_workspace_total';
    // case 1: cumulative counter, same timestamp, folds + merges
    await post(col, [
      {
        resource: resource('inst-1'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              counter('action.executions.by_workspace', '{execution}', NS(t0), NS(t1), [
                [{ workspace_id: 'ws-1' }, 3],
                [{ workspace_id: 'WS-2' }, 2],
                [{ workspace_id: 'acme' }, 5],
                [{ workspace_id: 'beta' }, 7],
                [{ workspace_id: 'a",x="1' }, 1],
              ]),
              // no workspace attribute at all: must pass through unchanged
              counter('action.executions', '{execution}', NS(t0), NS(t1), [
                [{ provider: 'slack', action: 'send', status: 'ok' }, 11],
                [{ provider: 'slack', action: 'send', status: 'error' }, 2],
                [{ provider: 'github', action: 'comment', status: 'ok' }, 4],
              ]),
              gauge('queue.depth', '{job}', NS(t1), [
                [{ status: 'ready' }, 3],
                [{ status: 'running' }, 1],
              ]),
              // unit "1" naming check + int workspace id
              counter('queue.jobs.by_workspace', '1', NS(t0), NS(t1), [
                [{ workspace_id: 'ws-1', job_type: 'email' }, 1],
                [{ workspace_id: 42, job_type: 'email' }, 2],
                [{ workspace_id: ' ws-2 ', job_type: 'email' }, 3],
                [{ workspace_id: '', job_type: 'email' }, 4],
                [{ workspace_id: 'x'.repeat(65), job_type: 'email' }, 5],
                [{ workspace_id: '__other__', job_type: 'email' }, 6],
              ]),
            ],
          },
        ],
      },
    ]);
    let s = await scrapeUntil(col, (s) => pick(s, CNT).length >= 3 && pick(s, 'queue_jobs_by_workspace_total').length >= 1);
    show(s, ['action_executions', 'queue_']);
    const val = (name, m) => pick(s, name, m).map((x) => x.value);
    check('counter: ws-1 = 3', JSON.stringify(val(CNT, { workspace_id: 'ws-1' })) === '[3]', JSON.stringify(pick(s, CNT)));
    check('counter: WS-2 canonicalized to ws-2 = 2', JSON.stringify(val(CNT, { workspace_id: 'ws-2' })) === '[2]');
    check('counter: exactly one __other__ series = 13 (acme 5 + beta 7 + invalid 1)', JSON.stringify(val(CNT, { workspace_id: '__other__' })) === '[13]');
    check('counter: exactly 3 series, nothing else leaks', pick(s, CNT).length === 3, pick(s, CNT).map((x) => x.line).join(' | '));
    check(
      'counter: job/instance from service.name/service.instance.id',
      pick(s, CNT).every((x) => x.labels.job === 'verify-svc' && x.labels.instance === 'inst-1'),
    );
    check('counter: resource attrs are not labels', pick(s, CNT).every((x) => !('deployment_environment' in x.labels)));
    check(
      'target_info carries resource attributes',
      pick(s, 'target_info', { instance: 'inst-1', deployment_environment: 'test' }).length === 1,
    );
    const Q = 'queue_jobs_by_workspace_total';
    check('unit "1" counter named queue_jobs_by_workspace_total', pick(s, Q).length > 0, s.map((x) => x.name).filter((n) => n.startsWith('queue_jobs')).join(','));
    check(
      'int 42 / empty / 65 chars / literal __other__ fold; " ws-2 " trimmed',
      JSON.stringify(val(Q, { workspace_id: '__other__' })) === '[17]' &&
        JSON.stringify(val(Q, { workspace_id: 'ws-2' })) === '[3]' &&
        JSON.stringify(val(Q, { workspace_id: 'ws-1' })) === '[1]' &&
        pick(s, Q).length === 3,
      pick(s, Q).map((x) => x.line).join(' | '),
    );
    const A = 'action_executions_total';
    check(
      'metric without workspace attribute passes through unchanged',
      JSON.stringify(val(A, { provider: 'slack', status: 'ok' })) === '[11]' &&
        JSON.stringify(val(A, { provider: 'slack', status: 'error' })) === '[2]' &&
        JSON.stringify(val(A, { provider: 'github' })) === '[4]' &&
        pick(s, A).length === 3 &&
        pick(s, A).every((x) => !('workspace_id' in x.labels)),
      pick(s, A).map((x) => x.line).join(' | '),
    );
    check(
      'gauge without workspace attribute passes through (queue_depth)',
      JSON.stringify(val('queue_depth', { status: 'ready' })) === '[3]' && JSON.stringify(val('queue_depth', { status: 'running' })) === '[1]',
    );

    // case 2: later request, higher cumulatives, new unlisted workspace
    const t2 = t1 + 15000;
    await post(col, [
      {
        resource: resource('inst-1'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              counter('action.executions.by_workspace', '{execution}', NS(t0), NS(t2), [
                [{ workspace_id: 'ws-1' }, 4],
                [{ workspace_id: 'WS-2' }, 2],
                [{ workspace_id: 'acme' }, 6],
                [{ workspace_id: 'beta' }, 9],
                [{ workspace_id: 'gamma' }, 1],
              ]),
            ],
          },
        ],
      },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, CNT, { workspace_id: 'ws-1' })[0]?.value === 4);
    show(s, [CNT]);
    check('second request: ws-1 = 4', JSON.stringify(val(CNT, { workspace_id: 'ws-1' })) === '[4]');
    check(
      'second request: __other__ = 16 (6 + 9 + 1: sum of latest cumulatives, not last-write-wins)',
      JSON.stringify(val(CNT, { workspace_id: '__other__' })) === '[16]',
      JSON.stringify(val(CNT, { workspace_id: '__other__' })),
    );

    // case 3: histogram with identical bounds
    const H = 'action_duration_by_workspace_seconds';
    const bounds = [0.1, 0.5, 1, 5];
    await post(col, [
      {
        resource: resource('inst-1'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              histogram('action.duration.by_workspace', 's', NS(t0), NS(t2), bounds, [
                [{ workspace_id: 'ws-1', status: 'ok' }, { sum: 0.9, min: 0.05, max: 0.6, buckets: [1, 0, 1, 0, 0] }],
                [{ workspace_id: 'acme', status: 'ok' }, { sum: 2.5, min: 0.2, max: 2, buckets: [0, 1, 0, 1, 0] }],
                [{ workspace_id: 'beta', status: 'ok' }, { sum: 7.05, min: 0.05, max: 6, buckets: [1, 0, 1, 0, 1] }],
                [{ workspace_id: 'beta', status: 'error' }, { sum: 0.3, min: 0.3, max: 0.3, buckets: [0, 1, 0, 0, 0] }],
              ]),
            ],
          },
        ],
      },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, `${H}_count`).length >= 3);
    show(s, [H]);
    const o = { workspace_id: '__other__', status: 'ok' };
    const buckets = pick(s, `${H}_bucket`, o)
      .sort((a, b) => Number(a.labels.le === '+Inf' ? Infinity : a.labels.le) - Number(b.labels.le === '+Inf' ? Infinity : b.labels.le))
      .map((x) => `${x.labels.le}:${x.value}`)
      .join(',');
    check(`histogram: __other__/ok count = 5`, JSON.stringify(val(`${H}_count`, o)) === '[5]', JSON.stringify(val(`${H}_count`, o)));
    check(`histogram: __other__/ok sum = 9.55`, Math.abs(val(`${H}_sum`, o)[0] - 9.55) < 1e-9, JSON.stringify(val(`${H}_sum`, o)));
    check(`histogram: __other__/ok cumulative buckets 0.1:1,0.5:2,1:3,5:4,+Inf:5`, buckets === '0.1:1,0.5:2,1:3,5:4,+Inf:5', buckets);
    check(
      'histogram: __other__/error separate (count 1), ws-1/ok kept (count 2)',
      JSON.stringify(val(`${H}_count`, { workspace_id: '__other__', status: 'error' })) === '[1]' &&
        JSON.stringify(val(`${H}_count`, { workspace_id: 'ws-1', status: 'ok' })) === '[2]' &&
        pick(s, `${H}_count`).length === 3,
    );

    // case 4: two resources (instances) fold independently
    const t3 = t2 + 1000;
    const R = 'queue_jobs_by_workspace_total';
    await post(col, [
      {
        resource: resource('inst-a', 'svc-two'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              counter('queue.jobs.by_workspace', '1', NS(t0), NS(t3), [
                [{ workspace_id: 'ws-1', job_type: 'sync' }, 1],
                [{ workspace_id: 'acme', job_type: 'sync' }, 10],
                [{ workspace_id: 'beta', job_type: 'sync' }, 20],
              ]),
            ],
          },
        ],
      },
      {
        resource: resource('inst-b', 'svc-two'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              counter('queue.jobs.by_workspace', '1', NS(t0), NS(t3), [
                [{ workspace_id: 'ws-1', job_type: 'sync' }, 2],
                [{ workspace_id: 'acme', job_type: 'sync' }, 100],
                [{ workspace_id: 'delta', job_type: 'sync' }, 200],
              ]),
            ],
          },
        ],
      },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, R, { job: 'svc-two' }).length >= 4);
    show(s, [R]);
    check(
      'two instances: __other__ inst-a = 30, inst-b = 300, ws-1 kept per instance',
      JSON.stringify(val(R, { job: 'svc-two', instance: 'inst-a', workspace_id: '__other__' })) === '[30]' &&
        JSON.stringify(val(R, { job: 'svc-two', instance: 'inst-b', workspace_id: '__other__' })) === '[300]' &&
        JSON.stringify(val(R, { job: 'svc-two', instance: 'inst-a', workspace_id: 'ws-1' })) === '[1]' &&
        JSON.stringify(val(R, { job: 'svc-two', instance: 'inst-b', workspace_id: 'ws-1' })) === '[2]' &&
        pick(s, R, { job: 'svc-two' }).length === 4,
      pick(s, R, { job: 'svc-two' }).map((x) => x.line).join(' | '),
    );

    // case 4b: a gauge with the workspace label folds by SUM (right for depths/counts)
    const G = 'queue_depth_by_workspace';
    await post(col, [
      {
        resource: resource('inst-g'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              gauge('queue.depth.by_workspace', '{job}', NS(t3), [
                [{ workspace_id: 'ws-1', status: 'ready' }, 3],
                [{ workspace_id: 'acme', status: 'ready' }, 4],
                [{ workspace_id: 'beta', status: 'ready' }, 5],
              ]),
            ],
          },
        ],
      },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, G).length >= 2);
    show(s, [G]);
    check(
      'gauge with workspace label: __other__ = 9 (summed), ws-1 = 3',
      JSON.stringify(val(G, { workspace_id: '__other__' })) === '[9]' && JSON.stringify(val(G, { workspace_id: 'ws-1' })) === '[3]' && pick(s, G).length === 2,
      pick(s, G).map((x) => x.line).join(' | '),
    );

    // case 4c: DELTA monotonic counter (SDK with delta temporality): merged per
    // request, then the exporter accumulates consecutive deltas into a cumulative.
    const D = 'workflow_executions_by_workspace_total';
    const delta = (startMs, endMs, points) => {
      const m = counter('workflow.executions.by_workspace', '{execution}', NS(startMs), NS(endMs), points);
      m.sum.aggregationTemporality = 1;
      return m;
    };
    const d0 = t3 - 20000;
    await post(col, [
      { resource: resource('inst-d'), scopeMetrics: [{ scope, metrics: [delta(d0, d0 + 10000, [[{ workspace_id: 'acme' }, 5], [{ workspace_id: 'beta' }, 7], [{ workspace_id: 'ws-1' }, 1]])] }] },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, D).length >= 2);
    await post(col, [
      { resource: resource('inst-d'), scopeMetrics: [{ scope, metrics: [delta(d0 + 10000, d0 + 20000, [[{ workspace_id: 'acme' }, 1], [{ workspace_id: 'beta' }, 2], [{ workspace_id: 'ws-1' }, 1]])] }] },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, D, { workspace_id: 'ws-1' })[0]?.value === 2);
    show(s, [D]);
    check(
      'delta counter: __other__ = 15 (5+7 then +1+2), ws-1 = 2',
      JSON.stringify(val(D, { workspace_id: '__other__' })) === '[15]' && JSON.stringify(val(D, { workspace_id: 'ws-1' })) === '[2]',
      pick(s, D).map((x) => x.line).join(' | '),
    );

    // case 5 (documenting a limit): different timestamps in one request are NOT merged
    const t4 = t3 + 1000;
    await post(col, [
      {
        resource: resource('inst-ts'),
        scopeMetrics: [
          {
            scope,
            metrics: [
              {
                ...counter('action.executions.by_workspace', '{execution}', NS(t0), NS(t4), [[{ workspace_id: 'acme' }, 5]]),
              },
            ],
          },
        ],
      },
    ]);
    s = await scrapeUntil(col, (s) => pick(s, CNT, { instance: 'inst-ts' })[0]?.value === 5);
    check('timestamp case: first request visible (__other__ = 5)', JSON.stringify(val(CNT, { instance: 'inst-ts' })) === '[5]');
    const mixed = counter('action.executions.by_workspace', '{execution}', NS(t0), NS(t4 + 1000), [
      [{ workspace_id: 'acme' }, 5],
      [{ workspace_id: 'beta' }, 7],
    ]);
    mixed.sum.dataPoints[1].timeUnixNano = NS(t4 + 2000);
    await post(col, [{ resource: resource('inst-ts'), scopeMetrics: [{ scope, metrics: [mixed] }] }]);
    s = await scrapeUntil(col, (s) => pick(s, CNT, { instance: 'inst-ts' })[0]?.value !== 5, 3000);
    show(s, [`${CNT}{instance="inst-ts"`]);
    const tsv = val(CNT, { instance: 'inst-ts', workspace_id: '__other__' });
    console.log(`#    timestamps differ within one request -> __other__ = ${JSON.stringify(tsv)} (a merge would give 12)`);
    check('documented limit: datapoints with different timestamps are not merged (one wins)', tsv.length === 1 && tsv[0] !== 12, JSON.stringify(tsv));

    const errLines = col.log().split('\n').filter((l) => /\t(error|warn)\t/.test(l));
    check('no error/warn lines in the collector log', errLines.length === 0, errLines.join('\n       '));
  } finally {
    await stopCollector(col);
  }

  // ---- empty and unset allowlist: everything folds ----
  for (const [label, allow] of [
    ['empty', ''],
    ['unset', undefined],
    ['spaces/upper-case entries " WS-1 , ws-2"', ' WS-1 , ws-2'],
  ]) {
    const c = await startCollector(bin, { allowlist: allow });
    try {
      const t = Date.now();
      await post(c, [
        {
          resource: resource('inst-e'),
          scopeMetrics: [
            {
              scope,
              metrics: [
                counter('action.executions.by_workspace', '{execution}', NS(t - 1000), NS(t), [
                  [{ workspace_id: 'ws-1' }, 3],
                  [{ workspace_id: 'ws-2' }, 2],
                  [{ workspace_id: 'acme' }, 5],
                ]),
              ],
            },
          ],
        },
      ]);
      const s = await scrapeUntil(c, (s) => pick(s, 'action_executions_by_workspace_total').length >= 1);
      const got = pick(s, 'action_executions_by_workspace_total')
        .map((x) => `${x.labels.workspace_id}=${x.value}`)
        .sort()
        .join(',');
      const want = allow && allow.trim() ? '__other__=5,ws-1=3,ws-2=2' : '__other__=10';
      check(`allowlist ${label}: ${want}`, got === want, got);
    } finally {
      await stopCollector(c);
    }
  }

  // ---- remote-write overlay actually sends to a (fake) remote-write endpoint ----
  const writes = [];
  const rw = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      writes.push({ url: req.url, headers: req.headers, bytes: Buffer.concat(chunks).length });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise((r) => rw.listen(0, '127.0.0.1', r));
  const rwUrl = `http://127.0.0.1:${rw.address().port}/api/v1/write`;
  const c = await startCollector(bin, {
    allowlist: 'ws-1',
    configs: [CONFIG, OVERLAY],
    extraEnv: { OTELCOL_REMOTE_WRITE_URL: rwUrl },
  });
  try {
    const t = Date.now();
    await post(c, [
      {
        resource: resource('inst-rw'),
        scopeMetrics: [
          { scope, metrics: [counter('action.executions.by_workspace', '{execution}', NS(t - 1000), NS(t), [[{ workspace_id: 'acme' }, 1]])] },
        ],
      },
    ]);
    const deadline = Date.now() + 10000;
    while (!writes.length && Date.now() < deadline) await sleep(100);
    const w = writes[0];
    check(
      'remote-write overlay: collector starts and POSTs snappy protobuf to OTELCOL_REMOTE_WRITE_URL',
      !!w && w.url === '/api/v1/write' && w.headers['content-encoding'] === 'snappy' && /protobuf/.test(w.headers['content-type'] || ''),
      JSON.stringify(w ?? c.log().slice(-2000)),
    );
    const s = await scrapeUntil(c, (s) => pick(s, 'action_executions_by_workspace_total').length >= 1);
    check('remote-write overlay: prometheus scrape still served', pick(s, 'action_executions_by_workspace_total', { workspace_id: '__other__' }).length === 1);
  } finally {
    await stopCollector(c);
    rw.close();
  }
}

function cleanup() {
  for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL');
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL - verify aborted: ${e.stack || e}`);
  })
  .finally(() => {
    cleanup();
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  });
