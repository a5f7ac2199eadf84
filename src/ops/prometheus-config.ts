/**
 * The Prometheus server configuration (prometheus/prometheus.yml): three
 * scrape jobs and the rule files. The end-to-end test renders the same
 * configuration with its own ports and intervals and loads it into a real
 * Prometheus.
 */
import type { OpsOptions } from './options';

export interface ScrapeTargets {
  /** host:port of the collector's Prometheus exporter (OTELCOL_PROMETHEUS_ENDPOINT). */
  readonly collector: readonly string[];
  /** host:port of the collector's own telemetry (OTELCOL_TELEMETRY_HOST/PORT). */
  readonly collectorTelemetry: readonly string[];
  /** host:port of services' embedded endpoints (METRICS_HOST/METRICS_PORT). */
  readonly embedded: readonly string[];
}

export interface PrometheusConfigOptions {
  readonly targets: ScrapeTargets;
  readonly scrapeInterval: string;
  readonly evaluationInterval: string;
  /** Relative paths resolve against the configuration file's directory. */
  readonly ruleFiles: readonly string[];
}

/** The defaults of otel-collector/config.yaml and of the embedded endpoint. */
export const DEFAULT_PROMETHEUS_CONFIG: PrometheusConfigOptions = {
  targets: { collector: ['127.0.0.1:8889'], collectorTelemetry: ['127.0.0.1:8888'], embedded: ['127.0.0.1:9464'] },
  scrapeInterval: '15s',
  evaluationInterval: '15s',
  ruleFiles: ['rules/*.yml'],
};

export const PROMETHEUS_CONFIG_COMMENTS = [
  'Prometheus configuration for otel-workspace-metrics.',
  '',
  'Jobs:',
  '  otel-collector            the collector\'s Prometheus exporter. honor_labels keeps the job',
  '                            (service.name) and instance (service.instance.id) the collector',
  '                            sets on every series instead of overwriting them with the target\'s.',
  '  otel-collector-telemetry  the collector\'s own metrics (otelcol_*): exporter send failures,',
  '                            refused points, queue sizes.',
  '  embedded-metrics          services scraped directly on their embedded endpoint',
  '                            (OTEL_METRICS_EXPORTER=prometheus, METRICS_PORT, default 9464).',
  '                            Replace the static target with your service discovery; keep',
  '                            each service on ONE path (collector or embedded), or its series',
  '                            are counted twice.',
  '',
  'Keep scrape_interval in step with Grafana\'s datasource timeInterval',
  '(grafana/provisioning/datasources/prometheus.yaml): $__rate_interval relies on it.',
];

export function prometheusConfig(options: OpsOptions, config: PrometheusConfigOptions = DEFAULT_PROMETHEUS_CONFIG) {
  return {
    global: { scrape_interval: config.scrapeInterval, evaluation_interval: config.evaluationInterval },
    rule_files: [...config.ruleFiles],
    scrape_configs: [
      {
        job_name: options.jobs.collector,
        honor_labels: true,
        static_configs: [{ targets: [...config.targets.collector] }],
      },
      {
        job_name: options.jobs.collectorTelemetry,
        static_configs: [{ targets: [...config.targets.collectorTelemetry] }],
      },
      {
        job_name: options.jobs.embedded,
        static_configs: [{ targets: [...config.targets.embedded] }],
      },
    ],
  };
}
