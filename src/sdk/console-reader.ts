/** OTEL_METRICS_EXPORTER=console: the SDK's console exporter on a periodic reader, as NodeSDK sets it up. */
import { ConsoleMetricExporter, PeriodicExportingMetricReader, type IMetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { KitConfig } from '../config/env';

export function createConsoleReader(config: KitConfig, metricProducers: MetricProducer[] = []): IMetricReader {
  return new PeriodicExportingMetricReader({
    exporter: new ConsoleMetricExporter(),
    exportIntervalMillis: config.exportIntervalMillis,
    exportTimeoutMillis: config.exportTimeoutMillis,
    metricProducers,
  });
}
