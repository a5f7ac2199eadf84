/**
 * The collector follows a changed allowlist by a rolling restart with the new
 * METRICS_WORKSPACE_ALLOWLIST (the README's procedure). Counts survive it: the
 * SDK keeps sending cumulative values, so after the restart every total in
 * Prometheus still equals the recordings, and the newly listed workspace shows.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startCollector } from '../helpers/collector';
import { startPrometheus } from '../helpers/prometheus';
import { spawnTracked, waitFor } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('collector allowlist change', () => {
  it('keeps totals across a restart with a new list, and shows the newly listed workspace', async () => {
    let collector = await startCollector({ allowlist: ['ws-1'] });
    const ports = collector.ports;
    const prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
    // The SDK passes raw ids through, so the collector alone decides.
    const app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'steady-app.cjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        OTEL_SERVICE_NAME: 'allowlist-change',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_POLICY: 'passthrough',
        FIXTURE_WORKSPACES: '50',
      },
    });
    try {
      await waitFor(async () => (await prometheus.scalar('sum(action_executions_by_workspace_total)')) > 0 || undefined, 20_000, 'first data');
      const before = new Set((await prometheus.query('count by (workspace_id) (action_executions_by_workspace_total)')).map((s) => s.metric.workspace_id));
      expect(before).toEqual(new Set(['ws-1', '__other__']));

      await collector.stop();
      collector = await startCollector({ allowlist: ['ws-1', 'ws-2'], ports });
      await waitFor(
        async () => (await prometheus.query('action_executions_by_workspace_total{workspace_id="ws-2"}')).length > 0 || undefined,
        20_000,
        'ws-2 to appear after the restart',
      );
      await sleep(1_000);
      process.kill(app.pid, 'SIGUSR2');
      const final = await waitFor(() => {
        const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
        return line ? (JSON.parse(line.slice(6)) as { recorded: number }) : undefined;
      }, 10_000, 'final counts');
      await waitFor(async () => (await prometheus.scalar('sum(action_executions_by_workspace_total)')) === final.recorded || undefined, 20_000, `${final.recorded} recordings after the change`);
      expect(await prometheus.scalar('sum(action_executions_total)')).toBe(final.recorded);
      const after = new Set((await prometheus.query('count by (workspace_id) (action_executions_by_workspace_total)')).map((s) => s.metric.workspace_id));
      expect(after).toEqual(new Set(['ws-1', 'ws-2', '__other__']));
      console.log(`allowlist-change: recorded=${final.recorded}, totals equal after the restart, workspace values ${[...after].join(',')}`);
    } finally {
      await app.stop();
      await prometheus.stop();
      await collector.stop();
    }
  });
});
