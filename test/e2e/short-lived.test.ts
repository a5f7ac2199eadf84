/**
 * Short-lived processes deliver their final values over OTLP: a CLI that
 * records and ends within 200 ms, by draining its event loop, by
 * process.exit(), or by SIGTERM, with an export interval far longer than its
 * life. Exit codes stay the app's own. (SIGKILL cannot flush: nothing runs.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { spawnTracked, waitFor } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const RECORDINGS = 500;

describe('short-lived processes', () => {
  let collector: RunningCollector;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    collector = await startCollector({ allowlist: ['ws-1'] });
    prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await collector?.stop();
  });

  const cases = [
    { mode: 'natural', protocol: 'http/protobuf', exit: { code: 0, signal: null } },
    { mode: 'exit', protocol: 'http/protobuf', exit: { code: 3, signal: null } },
    { mode: 'exit', protocol: 'grpc', exit: { code: 3, signal: null } },
    { mode: 'sigterm', protocol: 'http/protobuf', exit: { code: null, signal: 'SIGTERM' } },
  ] as const;

  for (const { mode, protocol, exit } of cases) {
    it(`ends by ${mode} over ${protocol}: every recording arrives, exit unchanged`, async () => {
      const job = `cli-${mode}-${protocol.replace('/', '-')}`;
      const started = Date.now();
      const app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'cli-app.cjs')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          OTEL_SERVICE_NAME: job,
          OTEL_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? collector.grpcEndpoint : collector.httpEndpoint,
          // Far longer than the process lives: only the final flush can deliver.
          OTEL_METRIC_EXPORT_INTERVAL: '60000',
          OTEL_METRIC_EXPORT_TIMEOUT: '5000',
          METRICS_WORKSPACE_LABEL: 'on',
          METRICS_WORKSPACE_ALLOWLIST: 'ws-1',
          FIXTURE_RECORDINGS: String(RECORDINGS),
          FIXTURE_EXIT_MODE: mode,
        },
      });
      expect(await app.exited).toEqual(exit);
      const lifetimeMs = Date.now() - started;
      const line = app.output().split('\n').find((l) => l.startsWith('RECORDED'));
      expect(line, app.output()).toBeDefined();
      expect(Number(/in (\d+) ms/.exec(line!)![1])).toBeLessThan(200);
      // Each family is waited for on its own: one scrape of the collector can land between the
      // series of one delivered request (ci-r read 183 of 500 on the workspace stream in the scrape
      // where the baseline already read 500). The sums must still come to exactly the recordings.
      const families = ['action_executions_total', 'action_executions_by_workspace_total', 'queue_job_duration_seconds_count'];
      for (const family of families) {
        await waitFor(async () => (await prometheus.scalar(`sum(${family}{job="${job}"})`)) === RECORDINGS || undefined, 20_000, `${job}: ${RECORDINGS} recordings of ${family} in Prometheus`);
      }
      for (const family of families) {
        expect(await prometheus.scalar(`sum(${family}{job="${job}"})`), family).toBe(RECORDINGS);
      }
      expect(app.stderr()).not.toMatch(/error:/);
      console.log(`${job}: ${line}; process lifetime ${lifetimeMs} ms; exit ${JSON.stringify(exit)}; ${RECORDINGS}/${RECORDINGS} delivered`);
    });
  }
});
