/**
 * Through the real collector and the real Prometheus: two services (one with
 * the SDK policy in pass-through, so only the collector enforces it), 2,000
 * workspaces each, an allowlist of 10. Values stay bounded, sums equal the
 * recordings exactly, names match the embedded endpoint, remote write works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricDeclaration } from '../../src/index';
import { BUILTIN_METRICS, prometheusName, prometheusType } from '../../src/exports/catalogue';
import { parseExposition } from '../../src/exposition/parse';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { freePort, httpText, waitFor } from '../helpers/processes';
import { startTenantService, type Service } from '../helpers/services';

const ALLOWLIST = ['ws-0000', 'ws-0001', 'ws-0002', 'ws-0003', 'ws-0010', 'ws-0100', 'ws-0500', 'ws-1000', 'ws-1500', 'ws-1999'];
const WORKSPACE_FAMILIES = BUILTIN_METRICS.filter((d) => d.workspaceStream && (d.name.startsWith('action.') || d.name.startsWith('queue.j')));

/** The sample that counts recordings for a declaration's stream. */
function countingSample(decl: MetricDeclaration, stream: 'baseline' | 'workspace'): string {
  const name = prometheusName(decl, stream);
  return prometheusType(decl) === 'histogram' ? `${name}_count` : name;
}

function expectedCount(decl: MetricDeclaration, services: Service[]): number {
  return services.reduce((sum, s) => sum + (decl.name.startsWith('action.') ? s.workload.actions : s.workload.queueJobs), 0);
}

describe('services → collector → Prometheus', () => {
  let collector: RunningCollector;
  let prometheus: RunningPrometheus;
  let enforcing: Service;
  let passthrough: Service;
  let embeddedPort: number;

  beforeAll(async () => {
    collector = await startCollector({ allowlist: ALLOWLIST });
    prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
    embeddedPort = await freePort();
    const common = { METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','), FIXTURE_WORKSPACES: '2000' };
    [enforcing, passthrough] = await Promise.all([
      startTenantService({
        ...common,
        OTEL_SERVICE_NAME: 'svc-enforcing',
        OTEL_METRICS_EXPORTER: 'prometheus,otlp',
        METRICS_PORT: String(embeddedPort),
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
      }),
      startTenantService({
        ...common,
        OTEL_SERVICE_NAME: 'svc-passthrough',
        OTEL_METRICS_EXPORTER: 'otlp',
        METRICS_WORKSPACE_POLICY: 'passthrough',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.grpcEndpoint,
      }),
    ]);
    const expected = enforcing.workload.actions + passthrough.workload.actions;
    await waitFor(
      async () => (await prometheus.scalar('sum(action_executions_by_workspace_total)')) === expected && (await prometheus.scalar('sum(queue_job_duration_by_workspace_seconds_count)')) === enforcing.workload.queueJobs + passthrough.workload.queueJobs,
      60_000,
      `Prometheus to see all ${expected} action executions`,
    );
  });

  afterAll(async () => {
    await Promise.all([enforcing?.process.stop(), passthrough?.process.stop()]);
    await prometheus?.stop();
    await collector?.stop();
  });

  it('keeps workspace values within the allowlist plus __other__, even from the pass-through service', async () => {
    const values = await prometheus.query('count by (workspace_id, job) ({__name__=~".+_by_workspace.*", workspace_id!=""})');
    const seen = new Set(values.map((v) => v.metric.workspace_id));
    for (const value of seen) expect([...ALLOWLIST, '__other__']).toContain(value);
    expect(seen).toContain('__other__');
    expect(new Set(values.filter((v) => v.metric.job === 'svc-passthrough').map((v) => v.metric.workspace_id)).size).toBe(ALLOWLIST.length + 1);
  });

  it('sums every counter and histogram count to the number of recordings, exactly', async () => {
    const services = [enforcing, passthrough];
    let checked = 0;
    for (const decl of WORKSPACE_FAMILIES) {
      for (const stream of ['baseline', 'workspace'] as const) {
        const sample = countingSample(decl, stream);
        expect(await prometheus.scalar(`sum(${sample})`), sample).toBe(expectedCount(decl, services));
        checked++;
      }
    }
    expect(checked).toBe(8);
    // Each allowlisted workspace keeps its exact count across both services.
    for (const id of ALLOWLIST) {
      const expected = (enforcing.workload.actionsByWorkspace[id] ?? 0) + (passthrough.workload.actionsByWorkspace[id] ?? 0);
      expect(await prometheus.scalar(`sum(action_executions_by_workspace_total{workspace_id="${id}"})`), id).toBe(expected);
    }
  });

  it('logs no duplicate-series or translation errors in the collector', () => {
    expect(collector.logs()).not.toMatch(/collected before with the same name and label values|duplicate|inconsistent/i);
  });

  it('exports the same families and label keys as the embedded endpoint for the same recordings', async () => {
    const embedded = parseExposition(await httpText(`http://127.0.0.1:${embeddedPort}/metrics`));
    const instance = embedded.get('target_info')!.samples[0]!.labels.service_instance_id!;
    const ignored = new Set(['job', 'instance', 'otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url', '__name__']);
    const keysOf = (labels: Record<string, string>) => Object.keys(labels).filter((k) => !ignored.has(k) && !k.startsWith('otel_scope_')).sort().join(',');

    const viaEmbedded = new Map<string, Set<string>>();
    for (const family of embedded.values()) {
      if (family.name === 'target_info') continue;
      for (const sample of family.samples) {
        if (!viaEmbedded.has(sample.name)) viaEmbedded.set(sample.name, new Set());
        viaEmbedded.get(sample.name)!.add(keysOf(sample.labels));
      }
    }
    const series = (await fetch(`${prometheus.url}/api/v1/series?match[]=${encodeURIComponent(`{instance="${instance}"}`)}`).then((r) => r.json())) as { data: Record<string, string>[] };
    const viaCollector = new Map<string, Set<string>>();
    for (const labels of series.data) {
      const name = labels.__name__!;
      if (name === 'target_info') continue;
      if (!viaCollector.has(name)) viaCollector.set(name, new Set());
      viaCollector.get(name)!.add(keysOf(labels));
    }
    expect([...viaCollector.keys()].sort()).toEqual([...viaEmbedded.keys()].sort());
    for (const [name, keys] of viaEmbedded) expect([...viaCollector.get(name)!].sort(), name).toEqual([...keys].sort());
    expect(viaEmbedded.size).toBeGreaterThanOrEqual(16);
    // Runtime and process families arrive under the same names both ways.
    for (const name of ['process_cpu_time_seconds_total', 'process_memory_usage_bytes', 'nodejs_eventloop_delay_p99_seconds', 'nodejs_eventloop_utilization_ratio', 'v8js_memory_heap_used_bytes', 'nodejs_heap_size_limit_bytes']) {
      expect(viaCollector.has(name), name).toBe(true);
    }
  });

  it('serves its own telemetry and answers the health check', async () => {
    expect(await httpText(collector.healthUrl)).toBeTruthy();
    const telemetry = await httpText(collector.telemetryUrl);
    expect(telemetry).toMatch(/otelcol_receiver_accepted_metric_points/);
    expect(telemetry).toMatch(/otelcol_exporter_sent_metric_points/);
  });
});

describe('remote write overlay', () => {
  it('delivers the same bounded series to a Prometheus remote-write receiver', async () => {
    const receiver = await startPrometheus({ targets: [], remoteWriteReceiver: true });
    const collector = await startCollector({
      allowlist: ALLOWLIST,
      configs: ['config.yaml', 'config.remotewrite.yaml'],
      env: { OTELCOL_REMOTE_WRITE_URL: `${receiver.url}/api/v1/write` },
    });
    let service: Service | undefined;
    try {
      service = await startTenantService({
        OTEL_SERVICE_NAME: 'svc-remote-write',
        OTEL_METRICS_EXPORTER: 'otlp',
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_POLICY: 'passthrough',
        FIXTURE_WORKSPACES: '300',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
      });
      const expected = service.workload.actions;
      await waitFor(async () => (await receiver.scalar('sum(action_executions_by_workspace_total)')) === expected || undefined, 60_000, 'remote-written action executions');
      for (const decl of WORKSPACE_FAMILIES) {
        for (const stream of ['baseline', 'workspace'] as const) {
          const sample = countingSample(decl, stream);
          const count = decl.name.startsWith('action.') ? service.workload.actions : service.workload.queueJobs;
          await waitFor(async () => (await receiver.scalar(`sum(${sample})`)) === count || undefined, 30_000, sample);
        }
      }
      const values = new Set((await receiver.query('count by (workspace_id) (action_executions_by_workspace_total)')).map((v) => v.metric.workspace_id));
      for (const value of values) expect([...ALLOWLIST, '__other__']).toContain(value);
    } finally {
      await service?.process.stop();
      await collector.stop();
      await receiver.stop();
    }
  });
});
