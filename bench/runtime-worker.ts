/**
 * One runtime-metrics cost measurement in a fresh process:
 * `node runtime-worker.js <on|off>`. Starts the kit with METRICS_RUNTIME on or
 * off and the embedded endpoint, waits until the runtime family is live, then
 * measures (1) a scrape of the embedded endpoint (collection + serialization,
 * over loopback HTTP), (2) `collect()` of an in-process reader alone, and
 * (3) the typed helper's hot path. Prints `RESULT {...}`.
 */
import { request } from 'node:http';
import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';
import { recordActionExecution, start } from '../src/index';
import { envInt, median } from './common';

class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function get(port: number): Promise<{ ms: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes }));
    })
      .on('error', reject)
      .end();
  });
}

async function main(): Promise<void> {
  const mode = process.argv[2] === 'off' ? 'off' : 'on';
  const reader = new PullReader();
  const kit = start({
    env: { METRICS_RUNTIME: mode, METRICS_PORT: '0', METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'ws-1,ws-2' },
    readers: [reader],
    httpServerMetrics: false,
  });
  const port = await kit!.embeddedPort;
  if (port === undefined) throw new Error('embedded endpoint did not listen');
  // Some catalogue data, as a service has: 24 label tuples × 3 workspaces.
  for (let k = 0; k < 72; k++) recordActionExecution({ provider: `p${k % 3}`, action: `a${(k >> 2) % 4}`, status: k % 2 ? 'ok' : 'error', durationSeconds: k / 10, workspaceId: `ws-${k % 3}` });
  for (;;) {
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name));
    if (mode === 'off' || names.includes('nodejs_eventloop_delay_max_seconds')) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const samples = envInt('BENCH_RUNTIME_SCRAPES', 200);
  const scrapeMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const result = await get(port);
    scrapeMs.push(result.ms);
    bytes = result.bytes;
  }
  const collectMs: number[] = [];
  let series = 0;
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    const { resourceMetrics } = await reader.collect();
    collectMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    series = resourceMetrics.scopeMetrics.reduce((n, scope) => n + scope.metrics.reduce((m, metric) => m + metric.dataPoints.length, 0), 0);
  }

  const calls = envInt('BENCH_RUNTIME_CALLS', 1_000_000);
  const hotNs: number[] = [];
  for (let batch = 0; batch < 7; batch++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < calls; k++) {
      recordActionExecution({ provider: 'google', action: 'gmail.send', status: 'ok', durationSeconds: (k % 97) / 19, workspaceId: k % 2 ? 'ws-1' : 'ws-77' });
    }
    hotNs.push(Number(process.hrtime.bigint() - t0) / calls);
  }
  await kit!.shutdown();
  console.log('RESULT ' + JSON.stringify({ mode, scrapeMs: median(scrapeMs), collectMs: median(collectMs), bytes, series, hotNsPerCall: median(hotNs) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
