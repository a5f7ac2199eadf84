/**
 * Metric readers chosen by OTEL_METRICS_EXPORTER: OTLP push (periodic, export
 * failures logged rate-limited, never thrown) here; the embedded Prometheus
 * endpoint is in embedded-endpoint.ts.
 */
import {
  AggregationTemporality,
  InstrumentType,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
  type MetricProducer,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ExportResult } from '@opentelemetry/core';
import type { KitConfig } from '../config/env';
import { logInfo, warnRateLimited } from '../log';

/**
 * Observable gauges export only what their callbacks observed at this
 * collection. The spec asks for that, but sdk-metrics keeps every attribute
 * set ever observed under CUMULATIVE temporality, with its last value,
 * forever: a gauge whose source failed (the Postgres collector), or a series
 * whose pool or queue is gone, would keep reporting a stale value. Gauges
 * carry no temporality on the wire (Prometheus and OTLP alike), so DELTA
 * changes nothing else for them.
 */
export function gaugeAwareTemporality(
  fallback: (instrumentType: InstrumentType) => AggregationTemporality,
): (instrumentType: InstrumentType) => AggregationTemporality {
  return (instrumentType) => (instrumentType === InstrumentType.OBSERVABLE_GAUGE ? AggregationTemporality.DELTA : fallback(instrumentType));
}

/**
 * Header values the OTLP exporters send (from OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_EXPORTER_OTLP_METRICS_HEADERS), raw and URL-decoded, and each of their
 * words (the token of `Bearer <token>`): never to be printed.
 */
export function otlpHeaderSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = new Set<string>();
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    for (const entry of (env[name] ?? '').split(',')) {
      const eq = entry.indexOf('=');
      if (eq < 0) continue;
      const raw = entry.slice(eq + 1).split(';')[0]!.trim();
      let decoded = raw;
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        // the exporter drops such a header; still never print it
      }
      for (const value of [raw, decoded, ...decoded.split(/\s+/)]) if (value.length >= 4 && !/^(bearer|basic)$/i.test(value)) secrets.add(value);
    }
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

/**
 * An exporter's error message made fit for one log line: the endpoint chose
 * (part of) that text, so configured header values are cut out, control and
 * line-separator characters become spaces, and the length is capped.
 */
export function safeExportMessage(message: unknown, secrets: readonly string[]): string {
  let text = typeof message === 'string' && message !== '' ? message : 'unknown error';
  for (const secret of secrets) text = text.split(secret).join('[REDACTED]');
  text = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Wraps an exporter so failures become one rate-limited warning line, not silence or an exception. */
class LoggingExporter implements PushMetricExporter {
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];
  private readonly secrets = otlpHeaderSecrets();

  constructor(
    private readonly inner: PushMetricExporter,
    private readonly label: string,
  ) {
    const innerSelect = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregationTemporality = gaugeAwareTemporality(innerSelect ?? (() => AggregationTemporality.CUMULATIVE));
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(metrics, (result) => {
        if (result.code !== 0) {
          warnRateLimited(`export:${this.label}`, `${this.label} export failed (${safeExportMessage(result.error?.message, this.secrets)}); values are kept and sent at the next interval`);
        }
        resultCallback(result);
      });
    } catch (error) {
      warnRateLimited(`export:${this.label}`, `${this.label} export threw (${safeExportMessage((error as Error)?.message, this.secrets)})`);
      resultCallback({ code: 1, error: error as Error });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export function createOtlpExporter(config: Pick<KitConfig, 'otlp'>): PushMetricExporter {
  // Loaded on demand: the gRPC stack is heavy and most services use one protocol.
  switch (config.otlp.protocol) {
    case 'grpc': {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc');
      return new OTLPMetricExporter();
    }
    case 'http/json': {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
      return new OTLPMetricExporter();
    }
    default: {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto');
      return new OTLPMetricExporter();
    }
  }
}

export function createOtlpReader(config: KitConfig, metricProducers: MetricProducer[] = []): IMetricReader {
  const exporter = new LoggingExporter(createOtlpExporter(config), `OTLP (${config.otlp.protocol})`);
  logInfo(`OTLP metrics export every ${config.exportIntervalMillis} ms over ${config.otlp.protocol}`);
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.exportIntervalMillis,
    exportTimeoutMillis: config.exportTimeoutMillis,
    metricProducers,
  });
}
