/**
 * OTLP request size limits against the real collector (issue #16):
 * - a collector whose receivers accept less than the kit sends refuses every
 *   request; the kit counts each refusal as
 *   otel_workspace_metrics_export_failures_total{exporter,reason="too_large"}
 *   on its embedded endpoint and logs one line for the reason;
 * - with METRICS_OTLP_MAX_REQUEST_BYTES under the receivers' limit, the same
 *   collection arrives split into several requests, every recording counted in
 *   Prometheus (the receiver would refuse any request over its limit), with
 *   the SDK enforcing (1,500 allowlisted workspaces, no series shared between
 *   requests) and in pass-through (the collector folds 1,480 raw ids into
 *   __other__, whose contributions arrive in several requests of one
 *   collection: the workspacepolicy processor must merge across requests).
 * Over OTLP/HTTP (protobuf) and OTLP/gRPC. The refusing case also loads the
 * generated prometheus/rules/alerts.yml into a real Prometheus scraping the
 * kit: MetricsExportFailing is pending (its `for:` is 10 minutes) with the
 * exporter and reason labels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus } from '../helpers/prometheus';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { parseExposition, sumSamples } from '../../src/exposition/parse';

const ROOT = join(__dirname, '..', '..');
/** The receivers' limits in this test: 256 KiB over HTTP, 1 MiB (the smallest max_recv_msg_size_mib) over gRPC. */
const HTTP_LIMIT = 256 * 1024;
const GRPC_LIMIT = 1024 * 1024;
/** About 2 MB of OTLP protobuf per collection (15 MB of Prometheus text on the embedded endpoint). */
const WORKSPACES = 1_500;
const ALLOWLIST = Array.from({ length: WORKSPACES }, (_, i) => `ws-${String(i).padStart(4, '0')}`);

let dir: string;
let overlay: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'owm-export-limits-'));
  overlay = join(dir, 'small-limits.yaml');
  writeFileSync(
    overlay,
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      grpc:',
      '        endpoint: ${env:OTELCOL_OTLP_GRPC_ENDPOINT}',
      '        max_recv_msg_size_mib: 1',
      '      http:',
      '        endpoint: ${env:OTELCOL_OTLP_HTTP_ENDPOINT}',
      `        max_request_body_size: ${HTTP_LIMIT}`,
      '',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Protocol = 'http/protobuf' | 'grpc';

function startKit(collector: RunningCollector, protocol: Protocol, metricsPort: number, env: Record<string, string>): Tracked {
  return spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      OTEL_SERVICE_NAME: 'export-limits',
      OTEL_METRICS_EXPORTER: 'otlp,prometheus',
      METRICS_PORT: String(metricsPort),
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? collector.grpcEndpoint : collector.httpEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '3000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '10000',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
      METRICS_RUNTIME: 'off',
      FIXTURE_WORKSPACES: String(WORKSPACES),
      ...env,
    },
  });
}

/** The kit's export failure counts by `exporter/reason`, from its embedded endpoint. */
async function failureCounts(port: number): Promise<Record<string, number>> {
  const body = await httpText(`http://127.0.0.1:${port}/metrics`, undefined, 30_000).catch(() => undefined);
  if (body === undefined) return {};
  const out: Record<string, number> = {};
  for (const family of parseExposition(body).values()) {
    for (const sample of family.samples) {
      if (sample.name === 'otel_workspace_metrics_export_failures_total') out[`${sample.labels.exporter}/${sample.labels.reason}`] = sample.value;
    }
  }
  return out;
}

function workload(app: Tracked): { actions: number; queueJobs: number } {
  const line = app.output().split('\n').find((l) => l.startsWith('WORKLOAD '));
  if (line === undefined) throw new Error('no workload line yet');
  return JSON.parse(line.slice(9)) as { actions: number; queueJobs: number };
}

const CASES: [Protocol, string, number][] = [
  ['http/protobuf', 'otlp_http', HTTP_LIMIT],
  ['grpc', 'otlp_grpc', GRPC_LIMIT],
];

describe.each(CASES)('OTLP request limits over %s', (protocol, exporter, limit) => {
  it(`a collector that refuses the size: failures counted as ${exporter}/too_large on the embedded endpoint, one log line`, async () => {
    const collector = await startCollector({ allowlist: ALLOWLIST, configs: ['config.yaml', overlay] });
    const port = await freePort();
    // 8 MiB allowed on the kit's side: one request per collection, over the receiver's limit.
    const app = startKit(collector, protocol, port, { METRICS_OTLP_MAX_REQUEST_BYTES: String(8 * 1024 * 1024) });
    // The generated alerts, evaluated every second by a real Prometheus scraping the kit's embedded endpoint.
    const prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeIntervalSeconds: 5, evaluationIntervalSeconds: 1, ruleFiles: [join(ROOT, 'prometheus', 'rules', 'alerts.yml')] });
    try {
      let seen: Record<string, number> = {};
      const first = await waitFor(async () => {
        seen = await failureCounts(port);
        return (seen[`${exporter}/too_large`] ?? 0) >= 2 ? seen : undefined;
      }, 90_000, `two too_large failures on the kit's endpoint`).catch((error: Error) => {
        throw new Error(`${error.message}; last counts ${JSON.stringify(seen)}; kit stderr:\n${app.stderr().slice(-2000)}`);
      });
      const reasons = ['too_large', 'refused', 'unavailable', 'timeout', 'network', 'other'];
      expect(Object.keys(first).sort()).toEqual(reasons.map((r) => `${exporter}/${r}`).sort());
      for (const reason of reasons.filter((r) => r !== 'too_large')) expect(first[`${exporter}/${reason}`], reason).toBe(0);
      const later = await waitFor(async () => {
        const counts = await failureCounts(port);
        return (counts[`${exporter}/too_large`] ?? 0) > first[`${exporter}/too_large`]! ? counts : undefined;
      }, 30_000, 'the counter to grow');
      expect(later[`${exporter}/too_large`]).toBeGreaterThan(first[`${exporter}/too_large`]!);
      const lines = app.stderr().split('\n').filter((l) => l.includes('export failed'));
      console.log(`${protocol}: too_large=${later[`${exporter}/too_large`]} log lines=${lines.length}: ${lines[0]}`);
      // Several failures within a minute: one line (the first, at once).
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`[otel-workspace-metrics] warn: OTLP (${protocol}) export failed [reason=too_large]`);
      expect(lines[0]).toContain('lower METRICS_OTLP_MAX_REQUEST_BYTES under its limit');
      // MetricsExportFailing: pending (its `for:` is 10 minutes) for this instance, exporter and reason only.
      const alert = await waitFor(async () => {
        const answer = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string; value: string }[] } };
        const mine = answer.data.alerts.filter((a) => a.labels.alertname === 'MetricsExportFailing');
        return mine.length > 0 ? mine : undefined;
      }, 60_000, 'MetricsExportFailing to be pending');
      console.log(`${protocol}: ${JSON.stringify(alert)}`);
      expect(alert).toHaveLength(1);
      expect(alert[0]!.state).toBe('pending');
      expect(alert[0]!.labels).toMatchObject({ alertname: 'MetricsExportFailing', severity: 'warning', exporter, reason: 'too_large', instance: `127.0.0.1:${port}` });
      expect(Number(alert[0]!.value)).toBeGreaterThan(0);
      const pending = await prometheus.query('ALERTS{alertname="MetricsExportFailing"}');
      expect(pending.map((s) => [s.metric.alertstate, s.metric.exporter, s.metric.reason])).toEqual([['pending', exporter, 'too_large']]);
    } finally {
      await app.stop();
      await prometheus.stop();
      await collector.stop();
    }
  }, 180_000);

  it.each([
    ['enforce', ALLOWLIST, WORKSPACES + 1],
    // Pass-through: the collector folds the 1,480 raw ids it does not list into __other__, whose
    // contributions arrive in several requests of one collection: the processor must merge across them.
    ['passthrough', ALLOWLIST.slice(0, 20), 21],
  ] as const)('SDK %s: with METRICS_OTLP_MAX_REQUEST_BYTES under the receiver limit, every recording arrives in several requests', async (mode, collectorAllowlist, workspaceValues) => {
    const collector = await startCollector({ allowlist: [...collectorAllowlist], configs: ['config.yaml', overlay] });
    const prometheus = await startPrometheus({ targets: [collector.prometheusTarget], scrapeIntervalSeconds: 5 });
    const port = await freePort();
    const app = startKit(collector, protocol, port, {
      METRICS_OTLP_MAX_REQUEST_BYTES: String(limit - 16 * 1024),
      METRICS_WORKSPACE_POLICY: mode,
      ...(mode === 'passthrough' ? { METRICS_WORKSPACE_ALLOWLIST: '' } : {}),
    });
    try {
      const expected = await waitFor(() => {
        try {
          return workload(app);
        } catch {
          return undefined;
        }
      }, 20_000, 'the workload');
      const sums = async () => [
        await prometheus.scalar('sum(action_executions_total)'),
        await prometheus.scalar('sum(action_executions_by_workspace_total)'),
        await prometheus.scalar('sum(action_duration_by_workspace_seconds_count)'),
        await prometheus.scalar('sum(queue_jobs_by_workspace_total)'),
      ];
      const want = [expected.actions, expected.actions, expected.actions, expected.queueJobs];
      let last: number[] = [];
      await waitFor(
        async () => {
          last = await sums();
          return last.every((value, i) => value === want[i]) || undefined;
        },
        120_000,
        `Prometheus to count ${expected.actions} actions and ${expected.queueJobs} jobs`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; last sums ${JSON.stringify(last)} (want ${JSON.stringify(want)}); kit stderr:\n${app.stderr().slice(-2000)}`);
      });
      // enforce: each of the 1,500 allowlisted workspaces its own series (the collection is far over one request);
      // passthrough: the collector's 20 and __other__.
      expect(await prometheus.scalar('count(count by (workspace_id) (action_executions_by_workspace_total))')).toBe(workspaceValues);
      const counts = await failureCounts(port);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
      expect(app.stderr()).not.toContain('export failed');
      // The collector refused nothing.
      const telemetry = parseExposition(await httpText(collector.telemetryUrl));
      expect(sumSamples(telemetry, 'otelcol_receiver_accepted_metric_points')).toBeGreaterThan(0);
      expect(sumSamples(telemetry, 'otelcol_receiver_refused_metric_points')).toBe(0);
      console.log(`${protocol} ${mode}: ${expected.actions} actions and ${expected.queueJobs} jobs arrived with requests of at most ${limit - 16 * 1024} bytes`);
    } finally {
      await app.stop();
      await prometheus.stop();
      await collector.stop();
    }
  }, 180_000);
});
