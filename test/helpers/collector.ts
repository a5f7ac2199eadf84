/** Runs the real custom collector on free loopback ports with the repo's config. */
import { isAbsolute, join } from 'node:path';
import { collectorBinary } from './binaries';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from './processes';

const CONFIG_DIR = join(__dirname, '..', '..', 'otel-collector');

export interface RunningCollector {
  process: Tracked;
  ports: CollectorPorts;
  grpcEndpoint: string;
  httpEndpoint: string;
  /** host:port of the Prometheus exporter (scrape /metrics). */
  prometheusTarget: string;
  healthUrl: string;
  telemetryUrl: string;
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface CollectorOptions {
  allowlist: string[];
  /** Config files under otel-collector/ (or absolute paths), merged in order. */
  configs?: string[];
  env?: Record<string, string>;
  /** Fixed ports (to restart a collector where services already send); free ports otherwise. */
  ports?: Partial<CollectorPorts>;
}

export interface CollectorPorts {
  grpc: number;
  http: number;
  prometheus: number;
  health: number;
  telemetry: number;
}

export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const p = options.ports ?? {};
  const [grpc, http, prom, health, telemetry] = await Promise.all([
    p.grpc ?? freePort(),
    p.http ?? freePort(),
    p.prometheus ?? freePort(),
    p.health ?? freePort(),
    p.telemetry ?? freePort(),
  ]);
  const configs = options.configs ?? ['config.yaml'];
  const args = configs.flatMap((file) => ['--config', isAbsolute(file) ? file : join(CONFIG_DIR, file)]);
  const proc = spawnTracked(collectorBinary(), args, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
      OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
      OTELCOL_PROMETHEUS_ENDPOINT: `127.0.0.1:${prom}`,
      OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      OTELCOL_TELEMETRY_HOST: '127.0.0.1',
      OTELCOL_TELEMETRY_PORT: String(telemetry),
      METRICS_WORKSPACE_ALLOWLIST: options.allowlist.join(','),
      ...options.env,
    },
  });
  const healthUrl = `http://127.0.0.1:${health}/`;
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`collector exited ${proc.child.exitCode}:\n${proc.output()}`);
      return (await httpText(healthUrl)) !== undefined;
    },
    30_000,
    'the collector health check',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\ncollector output:\n${proc.output().slice(-4000)}`);
  });
  return {
    process: proc,
    ports: { grpc, http, prometheus: prom, health, telemetry },
    grpcEndpoint: `http://127.0.0.1:${grpc}`,
    httpEndpoint: `http://127.0.0.1:${http}`,
    prometheusTarget: `127.0.0.1:${prom}`,
    healthUrl,
    telemetryUrl: `http://127.0.0.1:${telemetry}/metrics`,
    logs: () => proc.output(),
    stop: (signal = 'SIGTERM') => proc.stop(signal),
  };
}
