/**
 * One memory run in a fresh process (`node --expose-gc memory-worker.js <variant>`):
 * 1,000,000 distinct workspace ids recorded (counter + histogram each), a
 * collection every BENCH_MEMORY_INTERVAL recordings (as a periodic reader
 * would), heap after a full GC and exported series at checkpoints.
 */
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { DURATION_BUCKETS_SECONDS, activeKit, recordActionExecution, start } from '../src/index';
import { envInt } from './common';

const PROVIDERS = ['google', 'slack', 'github'];
const ACTIONS = ['gmail.send', 'calendar.create', 'chat.post', 'issue.open'];
const STATUSES = ['ok', 'error'] as const;
const ALLOWLIST = Array.from({ length: 20 }, (_, i) => `tenant-${i}`);

const gc = (globalThis as { gc?: () => void }).gc;

function heapMB(): number {
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function series(reader: MetricReader): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let points = 0;
  for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) points += metric.dataPoints.length;
  return points;
}

async function main(): Promise<void> {
  const variant = process.argv[2] ?? 'kit-fast';
  const total = envInt('BENCH_MEMORY_IDS', 1_000_000);
  const interval = envInt('BENCH_MEMORY_INTERVAL', 50_000);
  const checkpoints = new Set([10_000, 100_000, total].filter((n) => n <= total));
  const reader = new PrometheusExporter({ preventServerStart: true });

  let record: (i: number, workspaceId: string) => void;
  if (variant === 'sdk-stock') {
    // Stock SDK: no views, only its default cardinality limit (2,000 per collection cycle).
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('bench');
    const c = meter.createCounter('action.executions', { unit: '{execution}' });
    const h = meter.createHistogram('action.duration', { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] } });
    record = (i, workspaceId) => {
      const attributes = { provider: PROVIDERS[i % 3], action: ACTIONS[(i >> 2) % 4], status: STATUSES[(i >> 4) % 2], workspace_id: workspaceId };
      c.add(1, attributes);
      h.record((i % 97) / 19, attributes);
    };
  } else {
    const path = variant === 'kit-views' ? 'views' : 'fast';
    const kit = start({
      env: { OTEL_METRICS_EXPORTER: 'none', METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','), METRICS_RECORDING_PATH: path },
      readers: [reader],
      httpServerMetrics: false,
    });
    if (kit?.recordingPath !== path) throw new Error(`kit did not start on the ${path} path`);
    record = (i, workspaceId) =>
      recordActionExecution({ provider: PROVIDERS[i % 3]!, action: ACTIONS[(i >> 2) % 4]!, status: STATUSES[(i >> 4) % 2]!, durationSeconds: (i % 97) / 19, workspaceId });
  }

  await series(reader);
  const baseline = heapMB();
  const points: { recorded: number; heapMB: number; growthMB: number; series: number; seconds: number }[] = [];
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    record(i, `tenant-${i}`);
    const recorded = i + 1;
    if (recorded % interval === 0 || checkpoints.has(recorded)) {
      const exported = await series(reader);
      if (checkpoints.has(recorded)) {
        const heap = heapMB();
        points.push({ recorded, heapMB: heap, growthMB: heap - baseline, series: exported, seconds: (Date.now() - t0) / 1000 });
      }
    }
  }
  await activeKit()?.shutdown();
  console.log('RESULT ' + JSON.stringify({ variant, baselineMB: baseline, points }));
  process.exit(0);
}

void main();
