/**
 * The OpenTelemetry environment conventions under the preload, in real child
 * processes: OTEL_LOG_LEVEL drives the OTel diag logger, OTEL_SDK_DISABLED
 * takes only `true`, and OTEL_METRICS_EXPORTER=console prints the metrics.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { freePort, httpText, spawnTracked, waitFor } from '../helpers/processes';
import { markedJson, type Workload } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');

async function startTenantApp(env: Record<string, string>) {
  const port = await freePort();
  const child = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, METRICS_PORT: String(port), FIXTURE_WORKSPACES: '20', ...env },
  });
  const workload = await waitFor(() => markedJson<Workload>(child, 'WORKLOAD'), 20_000, 'the app to record');
  return { child, port, workload };
}

const REGISTERED = '@opentelemetry/api: Registered a global for metrics';

describe('OTEL_LOG_LEVEL', () => {
  it('debug shows the OTel diag messages (the MeterProvider registration); unset shows none', async () => {
    const loud = await startTenantApp({ OTEL_LOG_LEVEL: 'DEBUG' });
    expect(loud.child.output()).toContain(REGISTERED);
    await loud.child.stop();
    const quiet = await startTenantApp({});
    expect(quiet.child.output()).not.toContain(REGISTERED);
    await quiet.child.stop();
  });

  it('error keeps debug messages out', async () => {
    const app = await startTenantApp({ OTEL_LOG_LEVEL: 'error' });
    expect(app.child.output()).not.toContain(REGISTERED);
    await app.child.stop();
  });
});

describe('OTEL_SDK_DISABLED', () => {
  it('TRUE (any case) turns the kit off, silently', async () => {
    const app = await startTenantApp({ OTEL_SDK_DISABLED: 'TRUE' });
    await expect(httpText(`http://127.0.0.1:${app.port}/metrics`)).rejects.toThrow();
    expect(app.child.stderr()).toBe('');
    await app.child.stop();
  });

  it('1 does not disable (only true does): metrics are served and one line says why', async () => {
    const app = await startTenantApp({ OTEL_SDK_DISABLED: '1' });
    const text = await waitFor(() => httpText(`http://127.0.0.1:${app.port}/metrics`), 10_000, 'the endpoint');
    expect(text).toContain('action_executions_total');
    const errors = app.child.stderr().split('\n').filter((line) => line.includes('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('OTEL_SDK_DISABLED="1"');
    await app.child.stop();
  });
});

describe('OTEL_METRICS_EXPORTER=console', () => {
  it("prints the kit's metrics to stdout at each interval, with the policy applied, and opens no endpoint", async () => {
    const app = await startTenantApp({
      OTEL_METRICS_EXPORTER: 'console',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: 'ws-0001',
    });
    await waitFor(() => app.child.output().includes("name: 'action_executions_by_workspace'") || undefined, 10_000, 'a console export');
    const out = app.child.output();
    expect(out).toContain("name: 'action_executions'");
    // Workspace values in the printed data: allowlisted or __other__ only.
    const values = new Set([...out.matchAll(/workspace_id: '([^']*)'/g)].map((m) => m[1]));
    expect([...values].sort()).toEqual(['__other__', 'ws-0001']);
    await expect(httpText(`http://127.0.0.1:${app.port}/metrics`)).rejects.toThrow();
    await app.child.stop();
  });
});
