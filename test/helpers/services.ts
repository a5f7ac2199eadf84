/** Service processes under the preload, for end-to-end tests. */
import { join } from 'node:path';
import { spawnTracked, waitFor, type Tracked } from './processes';

const ROOT = join(__dirname, '..', '..');

export interface Workload {
  actions: number;
  queueJobs: number;
  actionsByWorkspace: Record<string, number>;
  statuses: Record<string, number>;
}

export interface Service {
  process: Tracked;
  workload: Workload;
}

export interface PreloadedAppOptions {
  /** How the preload is loaded; default `--require`. */
  loader?: '--require' | '--import';
  /** The embedded endpoint's port (METRICS_PORT). */
  port: number;
  /** METRICS_WORKSPACE_ALLOWLIST; the workspace label is on. */
  allowlist: readonly string[];
  serviceName: string;
  /** More environment (wins over the above). */
  env?: Record<string, string>;
  /** Arguments after the fixture's path. */
  args?: string[];
}

/** Starts test/fixtures/`fixture` under `<loader> otel-workspace-metrics/register`, its embedded endpoint on `port`, the workspace label on. */
export function spawnPreloadedApp(fixture: string, options: PreloadedAppOptions): Tracked {
  return spawnTracked(process.execPath, [options.loader ?? '--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', fixture), ...(options.args ?? [])], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      METRICS_PORT: String(options.port),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: options.allowlist.join(','),
      OTEL_SERVICE_NAME: options.serviceName,
      ...options.env,
    },
  });
}

/** The JSON a fixture printed on a line `<marker> {...}` (its first such line), or undefined while it has printed none. */
export function markedJson<T>(proc: Tracked, marker: string): T | undefined {
  const line = proc.output().split('\n').find((l) => l.startsWith(`${marker} `));
  return line ? (JSON.parse(line.slice(marker.length + 1)) as T) : undefined;
}

/** Starts test/fixtures/tenant-app.cjs under `--require otel-workspace-metrics/register` and waits for its workload summary. */
export async function startTenantService(env: Record<string, string>): Promise<Service> {
  const proc = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, OTEL_METRIC_EXPORT_INTERVAL: '500', ...env },
  });
  const workload = await waitFor(() => markedJson<Workload>(proc, 'WORKLOAD'), 30_000, 'the service to record its workload');
  return { process: proc, workload };
}
