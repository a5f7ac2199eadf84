/**
 * The two-tier collector fleet, end to end on loopback:
 *
 *   6 services (3 enforcing the policy in the SDK, 3 in pass-through; OTLP
 *   over gRPC and HTTP) → 2 agents (config.agent.yaml: loadbalancing
 *   exporter, routing_key resource, a static ring of the 2 gateways) →
 *   2 gateways running otel-collector/config.yaml as it is in the repository
 *   → Prometheus scraping both gateways with honor_labels.
 *
 * Mid-run the gateway that carries the most service instances is SIGKILLed by
 * PID and restarted on the same ports (what a StatefulSet pod does: same name,
 * same place in the ring). At the end every counter and histogram _count sums
 * exactly to the recordings, each instance is on exactly one gateway,
 * Prometheus counted no duplicate or out-of-order sample, no counter reset,
 * and workspace values stay within the allowlist plus __other__.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseExposition, sumSamples } from '../../src/exposition/parse';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus } from '../helpers/prometheus';
import { httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const ALLOWLIST = ['ws-1', 'ws-2', 'ws-3'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The four series that count recordings (one recordActionExecution = one of each). */
const COUNTING = ['action_executions_total', 'action_executions_by_workspace_total', 'action_duration_seconds_count', 'action_duration_by_workspace_seconds_count'];

interface ServiceSpec {
  instance: string;
  policy: 'enforce' | 'passthrough';
  protocol: 'grpc' | 'http/protobuf';
  agent: number;
}

const SERVICES: ServiceSpec[] = [
  { instance: 'enforcing-1', policy: 'enforce', protocol: 'http/protobuf', agent: 0 },
  { instance: 'enforcing-2', policy: 'enforce', protocol: 'grpc', agent: 1 },
  { instance: 'enforcing-3', policy: 'enforce', protocol: 'http/protobuf', agent: 1 },
  { instance: 'raw-1', policy: 'passthrough', protocol: 'grpc', agent: 0 },
  { instance: 'raw-2', policy: 'passthrough', protocol: 'http/protobuf', agent: 1 },
  { instance: 'raw-3', policy: 'passthrough', protocol: 'grpc', agent: 0 },
];

function startService(spec: ServiceSpec, agent: RunningCollector): Tracked {
  return spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'steady-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      OTEL_SERVICE_NAME: spec.policy === 'enforce' ? 'svc-enforcing' : 'svc-raw',
      OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${spec.instance}`,
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: spec.protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: spec.protocol === 'grpc' ? agent.grpcEndpoint : agent.httpEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
      ...(spec.policy === 'passthrough' ? { METRICS_WORKSPACE_POLICY: 'passthrough' } : {}),
      FIXTURE_RATE: '400',
      FIXTURE_WORKSPACES: '300',
    },
  });
}

async function finalCount(app: Tracked): Promise<number> {
  process.kill(app.pid, 'SIGUSR2');
  const final = await waitFor(() => {
    const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
    return line ? (JSON.parse(line.slice(6)) as { recorded: number; thrown: number }) : undefined;
  }, 15_000, 'the final count');
  expect(final.thrown).toBe(0);
  return final.recorded;
}

/** The service instances whose series a gateway exposes now. */
async function instancesOn(gateway: RunningCollector): Promise<string[]> {
  const families = parseExposition(await httpText(`http://${gateway.prometheusTarget}/metrics`));
  const samples = families.get('action_executions_total')?.samples ?? [];
  return [...new Set(samples.map((s) => s.labels.instance!))].sort();
}

/** Prometheus' own counters of refused samples, read from its /metrics. */
async function refusedSamples(url: string): Promise<Record<string, number>> {
  const families = parseExposition(await httpText(`${url}/metrics`));
  const names = [
    'prometheus_target_scrapes_sample_duplicate_timestamp_total',
    'prometheus_target_scrapes_sample_out_of_order_total',
    'prometheus_target_scrapes_sample_out_of_bounds_total',
    'prometheus_tsdb_out_of_order_samples_total',
  ];
  const out: Record<string, number> = {};
  for (const name of names) {
    expect(families.has(name) || families.has(name.replace(/_total$/, '')), `${name} in Prometheus' own metrics`).toBe(true);
    out[name] = sumSamples(families, name);
  }
  return out;
}

describe('two-tier collector fleet: services → 2 agents (loadbalancing by resource) → 2 gateways → Prometheus', () => {
  it('keeps every count exact across a gateway SIGKILL and restart, with no duplicate or out-of-order sample', async () => {
    const gateways = [await startCollector({ allowlist: ALLOWLIST }), await startCollector({ allowlist: ALLOWLIST })];
    const ring = JSON.stringify({ static: { hostnames: gateways.map((g) => `127.0.0.1:${g.ports.grpc}`) } });
    const agents = await Promise.all([0, 1].map(() => startCollector({ allowlist: [], configs: ['config.agent.yaml'], env: { OTELCOL_GATEWAY_RESOLVER: ring } })));
    const prometheus = await startPrometheus({ targets: gateways.map((g) => g.prometheusTarget) });
    const apps = SERVICES.map((spec) => startService(spec, agents[spec.agent]!));
    try {
      await waitFor(async () => (await prometheus.query('count by (instance) (action_executions_total)')).length === SERVICES.length || undefined, 45_000, 'every service instance in Prometheus');
      const before = await Promise.all(gateways.map(instancesOn));
      // Resource routing: each instance on exactly one gateway, all instances somewhere.
      expect([...before[0]!, ...before[1]!].sort()).toEqual(SERVICES.map((s) => s.instance).sort());
      const victimIndex = before[0]!.length >= before[1]!.length ? 0 : 1;
      const victim = gateways[victimIndex]!;
      await sleep(2_000);

      await victim.stop('SIGKILL');
      const killedAt = Date.now();
      await sleep(4_000); // exports to it fail; the agents queue and retry
      gateways[victimIndex] = await startCollector({ allowlist: ALLOWLIST, ports: victim.ports });
      const downMs = Date.now() - killedAt;
      await sleep(4_000);

      const recorded = await Promise.all(apps.map(finalCount));
      const total = recorded.reduce((a, b) => a + b, 0);
      for (const series of COUNTING) {
        await waitFor(async () => (await prometheus.scalar(`sum(${series})`)) === total || undefined, 45_000, `sum(${series}) = ${total}`).catch(async (error: Error) => {
          throw new Error(`${error.message}; Prometheus has ${await prometheus.scalar(`sum(${series})`)}`);
        });
      }
      // Per instance too, not only the grand total.
      for (const [i, spec] of SERVICES.entries()) {
        expect(await prometheus.scalar(`sum(action_executions_by_workspace_total{instance="${spec.instance}"})`), spec.instance).toBe(recorded[i]);
      }
      const after = await Promise.all(gateways.map(instancesOn));
      expect(after, 'the ring is unchanged: every instance back on the gateway it had').toEqual(before);

      const workspaces = await prometheus.query('count by (workspace_id) (action_executions_by_workspace_total)');
      expect(workspaces.map((w) => w.metric.workspace_id).sort()).toEqual(['__other__', ...ALLOWLIST].sort());
      expect(await prometheus.scalar('sum(resets(action_executions_total[10m])) + sum(resets(action_executions_by_workspace_total[10m]))')).toBe(0);
      const refused = await refusedSamples(prometheus.url);
      for (const [name, value] of Object.entries(refused)) expect(value, name).toBe(0);
      expect(prometheus.process.output()).not.toMatch(/duplicate sample|out of order|out-of-order/i);
      for (const g of gateways) expect(g.logs()).not.toMatch(/collected before with the same name and label values|inconsistent/i);

      console.log(
        `collector-fleet: recorded=${total} (${SERVICES.map((s, i) => `${s.instance}=${recorded[i]}`).join(' ')}) ` +
          `prometheus=${COUNTING.map((s) => `${s}`).join('/')}=${total} instancesPerGateway=${before.map((b) => b.length).join('+')} ` +
          `killed=gateway-${victimIndex} (${before[victimIndex]!.join(',')}) down=${downMs}ms refused=${JSON.stringify(refused)} resets=0`,
      );
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
      await prometheus.stop();
      await Promise.all([...agents, ...gateways].map((c) => c.stop()));
    }
  }, 180_000);
});
