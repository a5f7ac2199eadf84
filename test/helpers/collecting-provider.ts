/**
 * A real MeterProvider whose one reader is collected only on demand (its
 * export interval is an hour): the unit tests that drive a src/ layer over
 * the SDK read what a collection holds with `collect()`.
 */
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

export interface CollectingProvider {
  provider: MeterProvider;
  /** One collection's ResourceMetrics. */
  collectResource(): Promise<ResourceMetrics>;
  /** One collection's metrics, every scope. */
  collect(): Promise<MetricData[]>;
}

export function collectingProvider(temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE): CollectingProvider {
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(temporality), exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collectResource = async () => (await reader.collect()).resourceMetrics;
  return {
    provider,
    collectResource,
    collect: async () => (await collectResource()).scopeMetrics.flatMap((scope) => scope.metrics),
  };
}
