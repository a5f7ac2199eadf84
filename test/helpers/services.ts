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

/** Starts test/fixtures/tenant-app.cjs under `--require otel-workspace-metrics/register` and waits for its workload summary. */
export async function startTenantService(env: Record<string, string>): Promise<Service> {
  const proc = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, OTEL_METRIC_EXPORT_INTERVAL: '500', ...env },
  });
  const workload = await waitFor(
    () => {
      const line = proc.output().split('\n').find((l) => l.startsWith('WORKLOAD '));
      return line ? (JSON.parse(line.slice('WORKLOAD '.length)) as Workload) : undefined;
    },
    30_000,
    'the service to record its workload',
  );
  return { process: proc, workload };
}
