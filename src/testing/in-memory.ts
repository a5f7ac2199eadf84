/** Starts the kit with an in-memory exporter, for unit tests of views, policy and your own recording code. */
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { start, type Kit } from '../sdk/start';
import { gaugeAwareTemporality } from '../sdk/readers';

export interface InMemoryKit {
  kit: Kit;
  /** Flush and return the latest cumulative export, metric by stream name. */
  collect(): Promise<Map<string, MetricData>>;
}

export function startInMemory(env: Record<string, string>): InMemoryKit {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // As the kit's own readers: observable gauges report only what they observed at this collection.
  exporter.selectAggregationTemporality = gaugeAwareTemporality(() => AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const kit = start({ env: { OTEL_METRICS_EXPORTER: 'none', ...env }, readers: [reader], httpServerMetrics: false });
  if (kit === undefined) throw new Error('kit did not start');
  return {
    kit,
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      const out = new Map<string, MetricData>();
      for (const resourceMetrics of exporter.getMetrics()) {
        for (const scope of resourceMetrics.scopeMetrics) {
          for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
        }
      }
      return out;
    },
  };
}

/** Sum of a counter's values, or a histogram's counts, over all its data points. */
export function total(metric: MetricData | undefined): number {
  if (metric === undefined) return 0;
  let sum = 0;
  for (const point of metric.dataPoints) {
    sum += metric.dataPointType === DataPointType.HISTOGRAM ? (point.value as { count: number }).count : (point.value as number);
  }
  return sum;
}

export function labelValues(metric: MetricData | undefined, key: string): Set<unknown> {
  return new Set(metric?.dataPoints.map((point) => point.attributes[key]) ?? []);
}
