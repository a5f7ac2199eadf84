/**
 * Faults a production service meets, with the real collector and Prometheus:
 * the collector down at start, killed and restarted, Prometheus restarted, a
 * collector that never answers. The app never throws or blocks, memory stays
 * bounded, warnings are rate-limited, and no count is lost.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from '../helpers/collector';
import { startPrometheus } from '../helpers/prometheus';
import { freePort, spawnTracked, waitFor, type Tracked } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Final {
  recorded: number;
  thrown: number;
  meanCallMicros: number;
  slowestCallMicros: number;
  heapGrowthBytes: number;
}

function startSteadyApp(otlpEndpoint: string, env: Record<string, string> = {}): Tracked {
  return spawnTracked(process.execPath, ['--expose-gc', '--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'steady-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      OTEL_SERVICE_NAME: 'steady',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: 'ws-1,ws-2',
      ...env,
    },
  });
}

async function finish(app: Tracked): Promise<Final> {
  process.kill(app.pid, 'SIGUSR2');
  return waitFor(() => {
    const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
    return line ? (JSON.parse(line.slice(6)) as Final) : undefined;
  }, 10_000, 'the final counts');
}

function exportWarnings(app: Tracked): string[] {
  return app.stderr().split('\n').filter((line) => line.includes('export failed') || line.includes('export threw'));
}

describe('faults', () => {
  it('collector down at start, up later: no throw, no blocking, bounded memory, one warning, every count delivered', async () => {
    const httpPort = await freePort();
    const app = startSteadyApp(`http://127.0.0.1:${httpPort}`);
    await waitFor(() => app.output().includes('STARTED') || undefined, 15_000, 'the app');
    await sleep(5_000); // ten failed exports
    const collector = await startCollector({ allowlist: ['ws-1', 'ws-2'], ports: { http: httpPort } });
    const prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
    try {
      await sleep(2_000);
      const final = await finish(app);
      await waitFor(async () => (await prometheus.scalar('sum(action_executions_total)')) === final.recorded || undefined, 30_000, `${final.recorded} recordings in Prometheus`);
      expect(await prometheus.scalar('sum(action_executions_by_workspace_total)')).toBe(final.recorded);
      console.log(`collector-down-at-start: recorded=${final.recorded} thrown=${final.thrown} meanCall=${final.meanCallMicros}µs slowestCall=${final.slowestCallMicros}µs heapGrowth=${(final.heapGrowthBytes / 1e6).toFixed(1)}MB exportWarnings=${exportWarnings(app).length}`);
      expect(final.thrown).toBe(0);
      expect(final.recorded).toBeGreaterThan(10_000);
      // A blocking export would stall a record call for the export timeout (1 s).
      expect(final.slowestCallMicros).toBeLessThan(100_000);
      expect(final.heapGrowthBytes).toBeLessThan(30e6);
      // Ten failed exports in five seconds: one warning line (rate-limited per minute).
      expect(exportWarnings(app)).toHaveLength(1);
    } finally {
      await app.stop();
      await prometheus.stop();
      await collector.stop();
    }
  });

  it('collector SIGKILLed and restarted, Prometheus restarted: totals equal recordings, no counter resets', async () => {
    let collector = await startCollector({ allowlist: ['ws-1'] });
    const ports = collector.ports;
    // An explicit data dir survives the Prometheus restart (a temp one is removed on stop).
    const dataDir = mkdtempSync(join(tmpdir(), 'owm-prom-restart-'));
    let prometheus = await startPrometheus({ targets: [collector.prometheusTarget], dataDir });
    const promPort = prometheus.port;
    const app = startSteadyApp(collector.httpEndpoint);
    try {
      await waitFor(async () => (await prometheus.scalar('sum(action_executions_total)')) > 0 || undefined, 20_000, 'first data');
      await sleep(3_000);
      await collector.stop('SIGKILL');
      await sleep(1_500);
      collector = await startCollector({ allowlist: ['ws-1'], ports });
      await sleep(1_500);
      await prometheus.stop();
      prometheus = await startPrometheus({ targets: [collector.prometheusTarget], dataDir, port: promPort });
      await sleep(3_000);
      const final = await finish(app);
      await waitFor(async () => (await prometheus.scalar('sum(action_executions_total)')) === final.recorded || undefined, 30_000, `${final.recorded} recordings after restarts`);
      expect(await prometheus.scalar('sum(action_executions_by_workspace_total)')).toBe(final.recorded);
      expect(await prometheus.scalar('sum(resets(action_executions_total[10m]))')).toBe(0);
      expect(await prometheus.scalar('sum(resets(action_executions_by_workspace_total[10m]))')).toBe(0);
      // increase() over the whole run sees (roughly, by extrapolation) the recordings, never a negative or doubled jump.
      const increase = await prometheus.scalar('sum(increase(action_executions_total[10m]))');
      // Samples from before the restarts are still there (the TSDB survived), so increase() spans the whole run.
      expect(await prometheus.scalar('min(count_over_time(action_executions_total[10m]))')).toBeGreaterThan(5);
      expect(increase).toBeGreaterThan(final.recorded * 0.5);
      expect(increase).toBeLessThan(final.recorded * 1.5);
      console.log(`collector-killed: recorded=${final.recorded} prometheus=${final.recorded} resets=0 increase10m=${increase.toFixed(0)}`);
    } finally {
      await app.stop();
      await prometheus.stop();
      await collector.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a collector that accepts but never answers: memory bounded, shutdown within the export timeout', async () => {
    const sockets = new Set<Socket>();
    const blackhole = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined); // read and never answer
      socket.on('close', () => sockets.delete(socket));
    });
    const port = await new Promise<number>((resolve) => blackhole.listen(0, '127.0.0.1', () => resolve((blackhole.address() as { port: number }).port)));
    const app = startSteadyApp(`http://127.0.0.1:${port}`);
    try {
      await waitFor(() => app.output().includes('STARTED') || undefined, 15_000, 'the app');
      await sleep(6_000);
      const final = await finish(app);
      expect(final.thrown).toBe(0);
      expect(final.slowestCallMicros).toBeLessThan(100_000);
      expect(final.heapGrowthBytes).toBeLessThan(30e6);
      const started = Date.now();
      process.kill(app.pid, 'SIGTERM');
      const exit = await app.exited;
      const shutdownMs = Date.now() - started;
      console.log(`slow-collector: recorded=${final.recorded} heapGrowth=${(final.heapGrowthBytes / 1e6).toFixed(1)}MB openSockets=${sockets.size} shutdown=${shutdownMs}ms exit=${JSON.stringify(exit)}`);
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      // Export timeout is 1 s (the shutdown budget is the export timeout); allow process start-up noise.
      expect(shutdownMs).toBeLessThan(3_000);
    } finally {
      await app.stop();
      for (const socket of sockets) socket.destroy();
      blackhole.close();
    }
  });
});
