/**
 * The workspacepolicy processor end to end, with the real collector and
 * Prometheus: two instances of a plain-SDK service (no kit policy, raw ids,
 * cumulative OTLP) send while the allowlist FILE gains an entry. The new
 * workspace shows within seconds, without a restart; every counter and
 * histogram count sums to the recordings; no series ever resets (the
 * processor carries what a moved series had counted); and no value outside
 * the list plus __other__ is ever exported.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from '../helpers/collector';
import { startPrometheus } from '../helpers/prometheus';
import { httpText, spawnTracked, waitFor } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'owm-policy-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

describe('workspacepolicy processor: live allowlist file, two raw instances', () => {
  it('shows a newly listed workspace within seconds, keeps totals exact and never resets a series', async () => {
    const file = join(dir, 'allowlist.txt');
    writeAtomically(file, '# workspaces with their own series\nws-alpha\n');
    const collector = await startCollector({ allowlist: [], env: { METRICS_WORKSPACE_ALLOWLIST_FILE: file } });
    const prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
    const apps = ['a', 'b'].map((instance) =>
      spawnTracked(process.execPath, [join(ROOT, 'test', 'fixtures', 'plain-sdk-app.cjs')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          OTEL_SERVICE_NAME: 'plain-sdk',
          FIXTURE_INSTANCE: instance,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
          OTEL_METRIC_EXPORT_INTERVAL: '500',
        },
      }),
    );
    const values = async () => new Set((await prometheus.query('count by (workspace_id) ({workspace_id!=""})')).map((s) => s.metric.workspace_id));
    try {
      await waitFor(async () => (await prometheus.scalar('sum(jobs_processed_total)')) > 0 || undefined, 30_000, 'first data');
      await sleep(3_000);
      expect(await values()).toEqual(new Set(['ws-alpha', '__other__']));

      writeAtomically(file, 'ws-alpha\nws-beta\n');
      const changed = Date.now();
      await waitFor(async () => (await prometheus.query('count by (instance) (jobs_processed_total{workspace_id="ws-beta"})')).length === 2 || undefined, 15_000, 'ws-beta from both instances');
      const seconds = (Date.now() - changed) / 1000;
      expect(seconds).toBeLessThan(10);
      await sleep(4_000);

      for (const app of apps) process.kill(app.pid, 'SIGUSR2');
      const finals = await Promise.all(
        apps.map((app) =>
          waitFor(() => {
            const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
            return line ? (JSON.parse(line.slice(6)) as { recorded: number }) : undefined;
          }, 15_000, 'final counts'),
        ),
      );
      const recorded = finals[0]!.recorded + finals[1]!.recorded;
      await waitFor(async () => (await prometheus.scalar('sum(jobs_processed_total)')) === recorded || undefined, 20_000, `${recorded} jobs in Prometheus`);
      await waitFor(async () => (await prometheus.scalar('sum(job_duration_seconds_count)')) === recorded || undefined, 20_000, `${recorded} durations in Prometheus`);
      // per instance too: each instance's series sum to what it recorded
      for (const [i, instance] of ['a', 'b'].entries()) {
        expect(await prometheus.scalar(`sum(jobs_processed_total{instance="${instance}"})`)).toBe(finals[i]!.recorded);
      }
      expect(await prometheus.scalar('sum(resets(jobs_processed_total[10m]))')).toBe(0);
      expect(await prometheus.scalar('sum(resets(job_duration_seconds_count[10m]))')).toBe(0);
      expect(await prometheus.scalar('sum(resets(job_duration_seconds_bucket[10m]))')).toBe(0);
      expect(await values()).toEqual(new Set(['ws-alpha', 'ws-beta', '__other__']));
      // ws-beta started from 0 at the change: __other__ kept what ws-beta had counted before
      const beta = await prometheus.scalar('sum(jobs_processed_total{workspace_id="ws-beta"})');
      expect(beta).toBeGreaterThan(0);
      expect(beta).toBeLessThan(recorded / 3);

      const telemetry = await httpText(collector.telemetryUrl);
      // the collector's own telemetry (no type suffix, see config.yaml)
      expect(telemetry).toMatch(/^otelcol_workspacepolicy_allowlist_size(\{[^}]*\})? 2$/m);
      expect(telemetry).toMatch(/^otelcol_workspacepolicy_allowlist_reloads(\{[^}]*\})? 2$/m);
      expect(telemetry).not.toMatch(/^otelcol_workspacepolicy_allowlist_reload_errors(\{[^}]*\})? [1-9]/m);
      // ws-beta × {ok, error} × 2 instances × (counter, histogram); __other__ holds their carries
      expect(telemetry).toMatch(/^otelcol_workspacepolicy_tracked_series(\{[^}]*\})? 8$/m);
      expect(telemetry).toMatch(/^otelcol_workspacepolicy_carried_series(\{[^}]*\})? 8$/m);
      expect(telemetry).toMatch(/^otelcol_workspacepolicy_datapoints_folded(\{[^}]*\})? [1-9]/m);
      expect(collector.logs()).toContain('workspace allowlist reloaded');
      console.log(`policy-live: ws-beta appeared ${seconds.toFixed(1)} s after the file changed; recorded=${recorded}; resets 0`);
    } finally {
      await Promise.all(apps.map((app) => app.stop()));
      await prometheus.stop();
      await collector.stop();
    }
  });
});
