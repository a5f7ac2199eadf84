/**
 * Metric readers chosen by OTEL_METRICS_EXPORTER: the embedded Prometheus
 * endpoint (our own unref'd HTTP server, so it never keeps the app alive) and
 * OTLP push (periodic, export failures logged rate-limited, never thrown).
 */
import { createServer, type Server } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ExportResult } from '@opentelemetry/core';
import type { KitConfig } from '../config/env';
import { logError, logInfo, warnRateLimited } from '../log';

export interface EmbeddedEndpoint {
  reader: PrometheusExporter;
  server: Server;
  /** Resolves with the bound port, or undefined when listening failed (logged). */
  listening: Promise<number | undefined>;
}

export function createEmbeddedEndpoint(config: KitConfig): EmbeddedEndpoint {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] === '/metrics') {
      reader.getMetricsRequestHandler(request, response);
    } else {
      response.statusCode = 404;
      response.end('not found: metrics are at /metrics\n');
    }
  });
  const { host, port } = config.prometheus;
  const listening = new Promise<number | undefined>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      logError(`METRICS_PORT=${port} METRICS_HOST=${host}: embedded endpoint could not listen (${error.code ?? error.message}); it stays off, recording continues`);
      resolve(undefined);
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
  server.unref();
  return { reader, server, listening };
}

/** Wraps an exporter so failures become one rate-limited warning line, not silence or an exception. */
class LoggingExporter implements PushMetricExporter {
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];

  constructor(
    private readonly inner: PushMetricExporter,
    private readonly label: string,
  ) {
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(metrics, (result) => {
        if (result.code !== 0) {
          warnRateLimited(`export:${this.label}`, `${this.label} export failed (${result.error?.message ?? 'unknown error'}); values are kept and sent at the next interval`);
        }
        resultCallback(result);
      });
    } catch (error) {
      warnRateLimited(`export:${this.label}`, `${this.label} export threw (${(error as Error).message})`);
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

function createOtlpExporter(config: KitConfig): PushMetricExporter {
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

export function createOtlpReader(config: KitConfig): IMetricReader {
  const exporter = new LoggingExporter(createOtlpExporter(config), `OTLP (${config.otlp.protocol})`);
  logInfo(`OTLP metrics export every ${config.exportIntervalMillis} ms over ${config.otlp.protocol}`);
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.exportIntervalMillis,
    exportTimeoutMillis: config.exportTimeoutMillis,
  });
}
