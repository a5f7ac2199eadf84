/**
 * Metric readers chosen by OTEL_METRICS_EXPORTER: OTLP push (periodic, in
 * requests that fit METRICS_OTLP_MAX_REQUEST_BYTES, export failures counted
 * and logged rate-limited, never thrown) here; the embedded Prometheus
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
import { combineResults, requestSizer, splitCollection, type RequestSizer, type SplitPlan } from './export-split';
import { ExportFailure, exporterLabel, failureReason, type ExportFailures, type ExporterLabel } from './export-failures';

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

/**
 * The kit's OTLP exporter around the protocol's own: each collection goes out
 * as requests that fit METRICS_OTLP_MAX_REQUEST_BYTES (export-split.ts), sent
 * one after the other; each failed request is counted by reason and logged
 * (export-failures.ts), never thrown. The collection's result is success only
 * when every request succeeded.
 */
/** A request the inner exporter has not answered after this long counts as timed out. */
const REQUEST_GUARD_MILLIS = 5 * 60_000;

export class KitOtlpExporter implements PushMetricExporter {
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];
  private readonly secrets = otlpHeaderSecrets();
  private readonly label: string;
  private readonly exporter: ExporterLabel;
  private readonly size: RequestSizer;

  constructor(
    private readonly inner: PushMetricExporter,
    private readonly config: Pick<KitConfig, 'otlp'>,
    private readonly failures?: ExportFailures,
  ) {
    const innerSelect = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregationTemporality = gaugeAwareTemporality(innerSelect ?? (() => AggregationTemporality.CUMULATIVE));
    this.selectAggregation = inner.selectAggregation?.bind(inner);
    this.label = `OTLP (${config.otlp.protocol})`;
    this.exporter = exporterLabel(config.otlp.protocol);
    this.size = requestSizer(config.otlp.protocol);
  }

  /** A collection's requests are still going out (the reader may have given up waiting: OTEL_METRIC_EXPORT_TIMEOUT). */
  private sending = false;

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.sending) {
      // One collection at a time: requests of two collections would pile up on a slow receiver. The
      // next collection carries the same cumulative values, so skipping this one loses nothing.
      warnRateLimited(`export-busy:${this.exporter}`, `${this.label}: the previous collection's requests are still being sent (over OTEL_METRIC_EXPORT_TIMEOUT); this collection is skipped, the next one carries its values`);
      resultCallback({ code: 1, error: new Error('the previous collection is still being sent') });
      return;
    }
    let plan: SplitPlan;
    try {
      plan = splitCollection(metrics, this.config.otlp.maxRequestBytes, this.size);
    } catch (error) {
      resultCallback(this.failed(error));
      return;
    }
    const results: ExportResult[] = plan.oversized.map(({ metric, bytes }) =>
      this.failed(new ExportFailure(`a data point of ${metric} needs a ${bytes}-byte request, over METRICS_OTLP_MAX_REQUEST_BYTES=${this.config.otlp.maxRequestBytes}; not sent`, 'too_large')),
    );
    this.sending = true;
    const next = (index: number): void => {
      if (index >= plan.requests.length) {
        this.sending = false;
        resultCallback(combineResults(results));
        return;
      }
      let done = false;
      // The exporters always answer (their own timeout, OTEL_EXPORTER_OTLP_TIMEOUT); should one never
      // do so, this request counts as timed out and the next collection is not held back for ever.
      const guard = setTimeout(() => finish({ code: 1, error: new ExportFailure('no answer from the exporter within 5 minutes', 'timeout') }), REQUEST_GUARD_MILLIS);
      guard.unref();
      const finish = (result: ExportResult): void => {
        if (done) return;
        done = true;
        clearTimeout(guard);
        results.push(result.code === 0 ? result : this.failed(result.error));
        next(index + 1);
      };
      try {
        this.inner.export(plan.requests[index]!, finish);
      } catch (error) {
        finish({ code: 1, error: error as Error });
      }
    };
    next(0);
  }

  /** Count and log one failed request; its result. */
  private failed(error: unknown): ExportResult {
    const reason = failureReason(error);
    this.failures?.record(this.exporter, reason, this.label, safeExportMessage((error as Error | undefined)?.message, this.secrets));
    if (this.failures === undefined) warnRateLimited(`export:${this.exporter}|${reason}`, `${this.label} export failed [reason=${reason}] (${safeExportMessage((error as Error | undefined)?.message, this.secrets)})`);
    return { code: 1, error: error instanceof Error ? error : new Error(String(error)) };
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

export function createOtlpReader(config: KitConfig, metricProducers: MetricProducer[] = [], failures?: ExportFailures): IMetricReader {
  const exporter = new KitOtlpExporter(createOtlpExporter(config), config, failures);
  logInfo(`OTLP metrics export every ${config.exportIntervalMillis} ms over ${config.otlp.protocol}, in requests of at most ${config.otlp.maxRequestBytes} bytes`);
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.exportIntervalMillis,
    exportTimeoutMillis: config.exportTimeoutMillis,
    metricProducers,
  });
}
