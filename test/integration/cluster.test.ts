/**
 * node:cluster (issue 11, item 5): a primary and 3 workers, all under the
 * preload through NODE_OPTIONS (`--require` and `--import`), workspace label on. Each worker records its
 * own workload and serves its share of the cluster's HTTP port. Then ONE
 * scrape of the primary's METRICS_PORT:
 *
 *   - sums exactly to all workers' recordings (counters, by-workspace
 *     streams, histogram counts, HTTP requests), with no duplicate family
 *     (promtool parses it);
 *   - keeps each worker's gauge apart, labelled with its service.instance.id;
 *
 *   - is refused, not summed without it, while a worker cannot answer;
 *
 * while OTLP export stays per worker: each process exports with its own
 * service.instance.id (made distinct even when OTEL_RESOURCE_ATTRIBUTES sets
 * one for all), seen by a real OTLP/HTTP JSON receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, get, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseExposition, sumSamples } from '../../src/exposition/parse';
import { promtoolBinary } from '../helpers/binaries';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const WORKERS = 3;
const REQUESTS = 30;

interface Recorded {
  worker: number;
  pid: number;
  actions: number;
  queueJobs: number;
  actionsByWorkspace: Record<string, number>;
}

/** service.instance.id of every resource an OTLP/HTTP JSON export carried. */
function otlpReceiver(seen: Set<string>): Server {
  return createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        const parsed = JSON.parse(body) as { resourceMetrics?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] } }[] };
        for (const rm of parsed.resourceMetrics ?? []) {
          const id = rm.resource?.attributes?.find((a) => a.key === 'service.instance.id')?.value.stringValue;
          if (id !== undefined) seen.add(id);
        }
      } catch {
        // not JSON: ignored
      }
      response.setHeader('content-type', 'application/json');
      response.end('{}');
    });
  });
}

/**
 * One scrape on a connection of its own: a kept-alive socket the primary
 * closes as idle (after 5 s) while the next request goes out would fail the
 * request for a reason that is not the cluster's.
 */
function scrape(port: number, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}: ${body}`))));
    });
    request.on('timeout', () => request.destroy(new Error('scrape timed out')));
    request.on('error', reject);
  });
}

describe.each(['--require', '--import'])('node:cluster with 3 workers, NODE_OPTIONS="%s …/register"', (loader) => {
  let app: Tracked;
  let metricsPort: number;
  let appPort: number;
  let receiver: Server;
  const otlpIds = new Set<string>();
  let recorded: Recorded[] = [];

  beforeAll(async () => {
    metricsPort = await freePort();
    appPort = await freePort();
    const otlpPort = await freePort();
    receiver = otlpReceiver(otlpIds);
    await new Promise<void>((resolve) => receiver.listen(otlpPort, '127.0.0.1', resolve));
    app = spawnTracked(process.execPath, [join(ROOT, 'test', 'fixtures', 'cluster-app.cjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: `${loader} otel-workspace-metrics/register`,
        CLUSTER_WORKERS: String(WORKERS),
        APP_PORT: String(appPort),
        METRICS_PORT: String(metricsPort),
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_ALLOWLIST: 'ws-0001,ws-0002,ws-0099',
        OTEL_SERVICE_NAME: 'cluster-app',
        OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=cluster-app-1',
        OTEL_METRICS_EXPORTER: 'prometheus,otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
      },
    });
    recorded = await waitFor(
      () => {
        if (app.child.exitCode !== null) throw new Error(`the cluster exited:\n${app.output().slice(-3000)}`);
        const lines = app.output().split('\n').filter((l) => l.startsWith('RECORDED '));
        return app.output().includes('READY') && lines.length === WORKERS ? lines.map((l) => JSON.parse(l.slice(9)) as Recorded) : undefined;
      },
      60_000,
      'every worker to record and listen',
    );
    for (let i = 0; i < REQUESTS; i++) await httpText(`http://127.0.0.1:${appPort}/work/${i}`);
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    receiver?.close();
  });

  it('one scrape of the primary sums exactly to all workers’ recordings', async () => {
    const text = await scrape(metricsPort);
    const families = parseExposition(text);
    const actions = recorded.reduce((n, r) => n + r.actions, 0);
    const queueJobs = recorded.reduce((n, r) => n + r.queueJobs, 0);
    expect(recorded.map((r) => r.worker).sort()).toEqual([1, 2, 3]);
    expect(actions).toBe(106 + 206 + 307);

    for (const name of ['action_executions_total', 'action_executions_by_workspace_total', 'action_duration_seconds_count', 'action_duration_by_workspace_seconds_count']) {
      expect(sumSamples(families, name), name).toBe(actions);
    }
    for (const name of ['queue_jobs_total', 'queue_jobs_by_workspace_total', 'queue_job_duration_seconds_count']) {
      expect(sumSamples(families, name), name).toBe(queueJobs);
    }
    for (const ws of ['ws-0001', 'ws-0002', 'ws-0099']) {
      const expected = recorded.reduce((n, r) => n + (r.actionsByWorkspace[ws] ?? 0), 0);
      expect(sumSamples(families, 'action_executions_by_workspace_total', (l) => l['workspace_id'] === ws), ws).toBe(expected);
    }
    // ws-0099 exists only in worker 2 and 3's workloads (100 and 150 workspaces).
    expect(sumSamples(families, 'action_executions_by_workspace_total', (l) => l['workspace_id'] === 'ws-0099')).toBe(2 * 1);
    // Every HTTP request, whichever worker served it, counted once.
    expect(sumSamples(families, 'http_server_request_duration_seconds_count', (l) => l['http_route'] === '/work/:id')).toBe(REQUESTS);
    // Histogram buckets added, not just counts: the +Inf bucket equals the count.
    expect(sumSamples(families, 'action_duration_seconds_bucket', (l) => l['le'] === '+Inf')).toBe(actions);

    // A valid exposition: one family per name (promtool refuses duplicates).
    const check = spawnSync(promtoolBinary(), ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
    expect(`${check.stdout}${check.stderr}`).not.toMatch(/error while linting|parsing error|second TYPE|duplicate/i);
  });

  it('keeps each worker’s gauge apart, by service.instance.id', async () => {
    const families = parseExposition(await scrape(metricsPort));
    const samples = families.get('worker_active')?.samples.filter((s) => s.labels['worker'] === 'jobs') ?? [];
    expect(samples.map((s) => s.value).sort()).toEqual([1, 2, 3]);
    const ids = samples.map((s) => s.labels['service_instance_id']);
    expect(new Set(ids).size).toBe(WORKERS);
    expect(ids.sort()).toEqual(['cluster-app-1-worker-1', 'cluster-app-1-worker-2', 'cluster-app-1-worker-3']);
  });

  it('exports OTLP per process, each with its own service.instance.id', async () => {
    await waitFor(() => (otlpIds.size >= WORKERS + 1 ? true : undefined), 20_000, 'every process to export over OTLP');
    expect([...otlpIds].sort()).toEqual(['cluster-app-1', 'cluster-app-1-worker-1', 'cluster-app-1-worker-2', 'cluster-app-1-worker-3']);
  });

  it('refuses the scrape while a worker cannot answer, and sums again once it can', async () => {
    const blocked = fetch(`http://127.0.0.1:${appPort}/block`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const during = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const duringBody = await during.text();
    // No partial sums (Prometheus would read them as a counter reset): the scrape fails as a whole
    // (the embedded endpoint answers 500 when a collection fails, so Prometheus records up=0), no samples at all.
    expect(during.status).toBe(500);
    expect(duringBody).toBe('metrics collection failed\n');
    await blocked;
    const after = parseExposition(await scrape(metricsPort));
    expect(sumSamples(after, 'action_executions_total')).toBe(recorded.reduce((n, r) => n + r.actions, 0));
    expect(sumSamples(after, 'http_server_request_duration_seconds_count')).toBe(REQUESTS + 1);
    expect(app.output()).toMatch(/cluster scrape failed \(no answer within 5000 ms; no answer from worker \d\)/);
    // The primary acknowledged every worker (more than 5 s ago): none says it is not served.
    expect(app.output()).not.toMatch(/does not run otel-workspace-metrics/);
  }, 30_000);
});

describe('node:cluster with the preload in the workers only', () => {
  it('each worker says, in one line, that its metrics are not served at METRICS_PORT', async () => {
    const app = spawnTracked(process.execPath, [join(ROOT, 'test', 'fixtures', 'cluster-app.cjs')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, KIT_IN_WORKERS_ONLY: '1', CLUSTER_WORKERS: '2', APP_PORT: String(await freePort()), METRICS_PORT: String(await freePort()) },
    });
    try {
      const lines = await waitFor(
        () => {
          const found = app.output().split('\n').filter((l) => l.includes('the primary process does not run otel-workspace-metrics'));
          return found.length === 2 ? found : undefined;
        },
        30_000,
        'both workers to report',
      );
      expect(lines.map((l) => l.match(/cluster worker (\d+)/)?.[1]).sort()).toEqual(['1', '2']);
      expect(lines[0]).toMatch(/OTEL_METRICS_EXPORTER=otlp/);
    } finally {
      await app.stop();
    }
  }, 45_000);
});
