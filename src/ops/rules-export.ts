/**
 * Alerts on metric points that leave a service or reach the collector and
 * are not delivered: the kit's failed OTLP exports and the collector's
 * refused points. (The collector's own exporter failures,
 * OtelCollectorExportFailing, sit with the other pipeline alerts in rules.ts.)
 */
import type { OpsOptions } from './options';
import type { AlertRule, RuleGroup } from './rules';
import { serviceSeries } from './format';
import { COLLECTOR_METRICS, series } from './metrics';
import { exportFailures } from '../catalogue/self';
import { increase, rate, sumBy } from './promql';

/**
 * The kit's counter of failed and refused OTLP exports, by `exporter` and
 * `reason` (one increment per failed export request), as Prometheus names it:
 * from its catalogue declaration (`otel_workspace_metrics_export_failures_total`).
 */
export const KIT_EXPORT_FAILURES = series(exportFailures);

/** The labels KIT_EXPORT_FAILURES carries besides job and instance. */
export const KIT_EXPORT_FAILURE_LABELS = ['exporter', 'reason'] as const;

export const EXPORT_ALERT_GROUP = 'otel-workspace-metrics.export.alerts';

export function exportAlertGroup(options: OpsOptions): RuleGroup<AlertRule> {
  const sel = serviceSeries(options);
  return {
    name: EXPORT_ALERT_GROUP,
    rules: [
      {
        // A failure in each 5 minutes, for 10 minutes: a collector restart or
        // one lost request stays silent (the next cumulative export carries
        // the totals), a service that cannot deliver does not.
        alert: 'MetricsExportFailing',
        expr: `${sumBy(['job', 'instance', ...KIT_EXPORT_FAILURE_LABELS], increase(sel(KIT_EXPORT_FAILURES), '5m'))} > 0`,
        for: '10m',
        severity: 'warning',
        summary: "A service's OTLP metric exports keep failing: its metrics do not reach the collector.",
        description:
          '{{ $labels.instance }} of {{ $labels.job }} failed {{ $value | humanize }} {{ $labels.exporter }} exports in 5 minutes (reason {{ $labels.reason }}), and has kept failing for 10 minutes.',
      },
      {
        alert: 'OtelCollectorRefusingMetricPoints',
        expr: `${sumBy(['job', 'instance', 'receiver', 'transport'], rate(COLLECTOR_METRICS.receiverRefused, '5m'))} > 0`,
        for: '5m',
        severity: 'warning',
        summary: 'The OpenTelemetry Collector refuses metric points it received: they are not exported.',
        description:
          'Receiver {{ $labels.receiver }} ({{ $labels.transport }}) of {{ $labels.instance }} refuses {{ $value | humanize }} metric points per second: the pipeline behind it returns errors.',
      },
    ],
  };
}
