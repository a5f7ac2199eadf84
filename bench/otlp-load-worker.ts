/**
 * OTLP/HTTP load generator for the collector benchmark, in its own process:
 * `node otlp-load-worker.js <url> <seconds> <maxRequests> <concurrency> <workspaces> <enforce|passthrough>`.
 * Builds one real export request with the kit (the workload of series-app
 * over <workspaces> workspaces, the SDK policy in the given mode), then POSTs
 * it to <url> on loopback with <concurrency> requests in flight, until
 * <seconds> have passed or <maxRequests> were sent. Prints `RESULT {...}`.
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { activeKit, start } from '../src/index';
import { recordWorkspaceWorkload } from './workspace-workload';

async function payload(workspaces: number, mode: string): Promise<{ body: Uint8Array; datapoints: number }> {
  const reader = new PrometheusExporter({ preventServerStart: true });
  start({
    env: {
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_SERVICE_NAME: 'bench-load',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: Array.from({ length: 20 }, (_, i) => `ws-${i}`).join(','),
      METRICS_WORKSPACE_POLICY: mode,
    },
    readers: [reader],
    httpServerMetrics: false,
  });
  recordWorkspaceWorkload(workspaces);
  const { resourceMetrics } = await reader.collect();
  // Only the recorded families (not the kit's self-metrics), as one request.
  resourceMetrics.scopeMetrics = resourceMetrics.scopeMetrics.map((scope) => ({
    ...scope,
    metrics: scope.metrics.filter((metric) => !metric.descriptor.name.startsWith('otel_workspace_metrics')),
  }));
  let datapoints = 0;
  for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) datapoints += metric.dataPoints.length;
  const body = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
  if (body === undefined) throw new Error('could not serialize');
  await activeKit()?.shutdown();
  return { body, datapoints };
}

async function main(): Promise<void> {
  const [url, secondsArg, maxArg, concurrencyArg, workspacesArg, mode] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  const maxRequests = Number(maxArg);
  const concurrency = Number(concurrencyArg);
  const { body, datapoints } = await payload(Number(workspacesArg), mode ?? 'enforce');
  let sent = 0;
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && sent < maxRequests) {
      sent++;
      try {
        const response = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (response.ok) ok++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  console.log('RESULT ' + JSON.stringify({ requests: ok, errors, datapointsPerRequest: datapoints, datapoints: ok * datapoints, seconds: elapsed, bytes: body.length }));
  process.exit(0);
}

void main();
