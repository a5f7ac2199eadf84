/**
 * The preload in a real child process (`--require` and `--import`): 1,000
 * workspaces, a 5-entry allowlist, scraped over HTTP from the embedded
 * endpoint. Exact names, values ⊆ allowlist ∪ {__other__}, totals = recordings.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseExposition, sumSamples, type Family } from '../../src/exposition/parse';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { markedJson, spawnPreloadedApp, type Workload } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');
const ALLOWLIST = ['ws-0001', 'ws-0002', 'ws-0003', 'ws-0500', 'ws-0999'];
const EXPECTED_FAMILIES: Record<string, string> = {
  action_executions_total: 'counter',
  action_executions_by_workspace_total: 'counter',
  action_duration_seconds: 'histogram',
  action_duration_by_workspace_seconds: 'histogram',
  queue_jobs_total: 'counter',
  queue_jobs_by_workspace_total: 'counter',
  queue_job_duration_seconds: 'histogram',
  queue_job_duration_by_workspace_seconds: 'histogram',
};

async function startApp(loader: '--require' | '--import', extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawnPreloadedApp(loader === '--require' ? 'tenant-app.cjs' : 'tenant-app.mjs', {
    loader,
    port,
    allowlist: ALLOWLIST,
    serviceName: 'preload-test',
    env: { FIXTURE_WORKSPACES: '1000', ...extraEnv },
  });
  const workload = await waitFor(() => markedJson<Workload>(child, 'WORKLOAD'), 20_000, 'the app to record its workload');
  const text = await waitFor(() => httpText(`http://127.0.0.1:${port}/metrics`), 10_000, 'the embedded endpoint');
  return { child, port, workload, families: parseExposition(text) };
}

function workspaceValues(families: Map<string, Family>): Set<string> {
  const values = new Set<string>();
  for (const family of families.values()) {
    for (const sample of family.samples) if (sample.labels.workspace_id !== undefined) values.add(sample.labels.workspace_id);
  }
  return values;
}

function checkExposition(families: Map<string, Family>, workload: Workload): void {
  for (const [name, type] of Object.entries(EXPECTED_FAMILIES)) {
    expect(families.get(name)?.type, name).toBe(type);
  }
  // Baselines never carry the workspace label; workspace streams always do.
  for (const name of Object.keys(EXPECTED_FAMILIES)) {
    const byWorkspace = name.includes('_by_workspace');
    for (const sample of families.get(name)!.samples) expect('workspace_id' in sample.labels, sample.name).toBe(byWorkspace);
  }
  const values = workspaceValues(families);
  for (const value of values) expect([...ALLOWLIST, '__other__']).toContain(value);
  expect(values).toContain('__other__');

  expect(sumSamples(families, 'action_executions_total')).toBe(workload.actions);
  expect(sumSamples(families, 'action_executions_by_workspace_total')).toBe(workload.actions);
  expect(sumSamples(families, 'action_duration_seconds_count')).toBe(workload.actions);
  expect(sumSamples(families, 'action_duration_by_workspace_seconds_count')).toBe(workload.actions);
  expect(sumSamples(families, 'queue_jobs_total')).toBe(workload.queueJobs);
  expect(sumSamples(families, 'queue_jobs_by_workspace_total')).toBe(workload.queueJobs);
  expect(sumSamples(families, 'queue_job_duration_seconds_count')).toBe(workload.queueJobs);
  expect(sumSamples(families, 'queue_job_duration_by_workspace_seconds_count')).toBe(workload.queueJobs);
  expect(sumSamples(families, 'action_executions_total', (l) => l.status === 'error')).toBe(workload.statuses.error);

  // Each allowlisted workspace keeps its exact count; the rest is exactly the overflow.
  let listed = 0;
  for (const id of ALLOWLIST) {
    const seen = sumSamples(families, 'action_executions_by_workspace_total', (l) => l.workspace_id === id);
    expect(seen, id).toBe(workload.actionsByWorkspace[id]);
    listed += seen;
  }
  expect(sumSamples(families, 'action_executions_by_workspace_total', (l) => l.workspace_id === '__other__')).toBe(workload.actions - listed);
}

async function expectExit(child: Tracked, expected: { code: number | null; signal: NodeJS.Signals | null }) {
  process.kill(child.pid, 'SIGTERM');
  const exit = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
  expect(exit).toEqual(expected);
}

describe.each(['--require', '--import'] as const)('preload via %s', (loader) => {
  it('exports exact names, allowlisted values only, and totals equal to recordings; SIGTERM keeps default exit', async () => {
    const { child, workload, families } = await startApp(loader);
    expect(workload.actions).toBeGreaterThan(1_900);
    checkExposition(families, workload);
    // Refused recordings were warned about, once per reason, and never with the raw value.
    expect(child.stderr()).toMatch(/recordActionExecution: recording refused: durationSeconds/);
    expect(child.stderr()).not.toContain('a",x="1');
    // No SIGTERM handler in the app: it dies by the signal, as it would without us.
    await expectExit(child, { code: null, signal: 'SIGTERM' });
  });

  it('leaves an app-owned SIGTERM handler in charge of the exit code', async () => {
    const { child } = await startApp(loader, { FIXTURE_EXIT_CODE: '7' });
    await expectExit(child, { code: 7, signal: null });
  });
});

describe('preload switches', () => {
  it('does nothing at all when disabled', async () => {
    const port = await freePort();
    const child = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, METRICS_PORT: String(port), OTEL_SDK_DISABLED: 'true', FIXTURE_WORKSPACES: '10' },
    });
    await waitFor(() => child.output().includes('WORKLOAD ') || undefined, 20_000, 'the app');
    await expect(httpText(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    expect(child.stderr()).toBe('');
    await child.stop();
  });

  it('with the workspace label off exports no workspace stream', async () => {
    const { child, families } = await startApp('--require', { METRICS_WORKSPACE_LABEL: 'off' });
    expect([...families.keys()].filter((name) => name.includes('by_workspace'))).toEqual([]);
    expect(families.get('action_executions_total')).toBeDefined();
    await child.stop();
  });

  it('keeps the app running on bad config, with one line per problem', async () => {
    const { child, families } = await startApp('--require', { METRICS_WORKSPACE_SAMPLE_RATE: 'lots', OTEL_METRICS_EXPORTER: 'prometheus,zipkin' });
    const errors = child.stderr().split('\n').filter((l) => l.includes('error:'));
    expect(errors).toHaveLength(2);
    expect(errors.join('\n')).toContain('METRICS_WORKSPACE_SAMPLE_RATE');
    expect(errors.join('\n')).toContain('OTEL_METRICS_EXPORTER');
    expect(families.get('action_executions_total')).toBeDefined();
    await child.stop();
  });

  it('keeps the app running when the embedded port is taken', async () => {
    const first = await startApp('--require');
    const second = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, METRICS_PORT: String(first.port), FIXTURE_WORKSPACES: '10' },
    });
    await waitFor(() => second.output().includes('WORKLOAD ') || undefined, 20_000, 'the second app');
    const line = await waitFor(() => second.stderr().split('\n').find((l) => l.includes('could not listen')), 5_000, 'the error line');
    expect(line).toContain(`METRICS_PORT=${first.port}`);
    expect(second.child.exitCode).toBeNull();
    await second.stop();
    await first.child.stop();
  });
});
