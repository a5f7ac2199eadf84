/** Generated promtool cases (firing and silent) of the export-failure alerts of src/ops/rules-export.ts. */
import type { OpsOptions } from './options';
import { COLLECTOR_METRICS } from './metrics';
import { KIT_EXPORT_FAILURES } from './rules-export';
import { growing, type AlertTestSpec } from './rule-tests';

export function exportAlertTestSpecs(options: OpsOptions): Record<string, AlertTestSpec> {
  const service = { job: 'api', instance: 'api-1', exporter: 'otlp' };
  const failures = (perMinute: number) => [
    growing(KIT_EXPORT_FAILURES, { ...service, reason: 'payload_too_large' }, perMinute, 30),
    growing(KIT_EXPORT_FAILURES, { ...service, reason: 'unavailable' }, 0, 30),
  ];
  const collector = { job: options.jobs.collectorTelemetry, instance: 'collector:8888', receiver: 'otlp' };
  const refused = (perMinute: number) => [
    growing(COLLECTOR_METRICS.receiverRefused, { ...collector, transport: 'http' }, perMinute, 30),
    growing(COLLECTOR_METRICS.receiverRefused, { ...collector, transport: 'grpc' }, 0, 30),
  ];
  return {
    MetricsExportFailing: {
      firing: {
        input: failures(1),
        evalTime: '20m',
        alerts: [
          {
            labels: { ...service, reason: 'payload_too_large' },
            description: 'api-1 of api failed 5 otlp exports in 5 minutes (reason payload_too_large), and has kept failing for 10 minutes.',
          },
        ],
      },
      quiet: { input: failures(0), evalTime: '20m' },
    },
    OtelCollectorRefusingMetricPoints: {
      firing: {
        input: refused(600),
        evalTime: '20m',
        alerts: [
          {
            labels: { ...collector, transport: 'http' },
            description: 'Receiver otlp (http) of collector:8888 refuses 10 metric points per second: the pipeline behind it returns errors.',
          },
        ],
      },
      quiet: { input: refused(0), evalTime: '20m' },
    },
  };
}
