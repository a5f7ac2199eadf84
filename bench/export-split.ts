/**
 * Part `export`: what splitting a collection into OTLP requests of at most
 * METRICS_OTLP_MAX_REQUEST_BYTES costs (src/sdk/export-split.ts). A real
 * collection from the kit in pass-through (BENCH_EXPORT_WORKSPACES raw
 * workspaces, 4 action and 2 queue-job label tuples each, capped by the
 * pass-through budget) is planned (every metric serialized alone, metrics too
 * large cut and serialized again) and then serialized as the exporter does,
 * request by request; the baseline is one serialization of the whole
 * collection, which is what an exporter without splitting does.
 */
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { start } from '../src/sdk/start';
import { recordWorkspaceWorkload } from './workspace-workload';
import { DEFAULT_MAX_REQUEST_BYTES, requestSizer, splitCollection } from '../src/sdk/export-split';
import { envInt, printTable } from './common';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function collectionOf(workspaces: number): Promise<ResourceMetrics> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const kit = start({
    env: { OTEL_METRICS_EXPORTER: 'none', METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_POLICY: 'passthrough', METRICS_RUNTIME: 'off' },
    readers: [reader],
    httpServerMetrics: false,
  });
  recordWorkspaceWorkload(workspaces);
  await reader.forceFlush();
  const collected = exporter.getMetrics().at(-1)!;
  await kit?.shutdown();
  return collected;
}

export async function exportSplit(): Promise<{ ratio: number }> {
  const workspaces = envInt('BENCH_EXPORT_WORKSPACES', 100_000);
  const rounds = envInt('BENCH_EXPORT_ROUNDS', 7);
  console.log(`\n## Export split: planning requests of at most ${DEFAULT_MAX_REQUEST_BYTES} bytes (pass-through, ${workspaces} workspaces, median of ${rounds} rounds)`);
  const rm = await collectionOf(workspaces);
  const size = requestSizer('http/protobuf');
  const whole: number[] = [];
  const plan: number[] = [];
  const send: number[] = [];
  let requests = 0;
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    let t = process.hrtime.bigint();
    bytes = ProtobufMetricsSerializer.serializeRequest(rm)!.byteLength;
    whole.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    const { requests: parts } = splitCollection(rm, DEFAULT_MAX_REQUEST_BYTES, size);
    plan.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    for (const part of parts) ProtobufMetricsSerializer.serializeRequest(part);
    send.push(Number(process.hrtime.bigint() - t) / 1e6);
    requests = parts.length;
  }
  const ratio = (median(plan) + median(send)) / median(whole);
  printTable(
    'Export split: CPU per collection (ms, median)',
    ['data points', 'protobuf bytes', 'requests', 'one serialization (no split)', 'plan (sizes)', 'serialize the requests', 'split total / no split'],
    [[rm.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, metric) => m + metric.dataPoints.length, 0), 0), bytes, requests, median(whole), median(plan), median(send), `${ratio.toFixed(2)}×`]],
  );
  return { ratio };
}
