/**
 * Prometheus recording rules and alerts, built from the catalogue
 * declarations. Naming: recording rules follow `level:metric:operations`
 * (https://prometheus.io/docs/practices/rules/): the level lists the labels
 * kept (`workspace` is the workspace label, whatever its name), the metric is
 * the family without `_total`, the operations say what was applied
 * (`rate5m`, `ratio_rate5m`, `p95_5m` = histogram_quantile(0.95) over 5m).
 * Alerts follow the monitoring-mixin conventions: CamelCase names, a
 * `severity` label, a static `summary`, a templated `description` and a
 * `runbook_url` to a section of docs/RUNBOOK.md.
 */
import { httpServerRequestDuration, HTTP_ATTRIBUTES } from '../catalogue/http';
import { cacheOperations } from '../catalogue/cache';
import { circuitBreakerState, deadLetterQueueSize } from '../catalogue/resilience';
import { workerHealth } from '../catalogue/workers';
import { allowlistReloadErrors, workspaceFolded } from '../catalogue/self';
import { BUILTIN_METRICS } from '../catalogue/index';
import { prometheusName, prometheusType } from '../model/types';
import { type OpsOptions, type OpsThresholds, runbookAnchor } from './options';
import { customFamilies, type CustomFamily } from './custom';
import { num, pascalCase, percent, serviceSeries, type ServiceSeries } from './format';
import {
  ACTION_FAMILY,
  COLLECTOR_METRICS,
  EXECUTION_FAMILIES,
  FAILURE_MATCHER,
  QUEUE_JOB_FAMILY,
  WORKFLOW_FAMILY,
  bucket,
  count,
  counting,
  ruleMetric,
  series,
  type ExecutionFamily,
} from './metrics';
import { increase, maxBy, minBy, quantile, rate, rateRatio, sumBy } from './promql';
import { queueAlerts, queueRecordingRules } from './rules-queues';
import { exportAlertGroup } from './rules-export';
import { runtimeAlertGroup, runtimeRecordingRuleGroup } from './rules-runtime';

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  /** Static one-liner. */
  readonly summary: string;
  /** Go template over `$labels` and `$value`. */
  readonly description: string;
}

export interface RuleGroup<R> {
  readonly name: string;
  readonly rules: readonly R[];
}

/** Quantiles recorded for every latency histogram. */
export const QUANTILES = [0.5, 0.95, 0.99] as const;
export const RULE_WINDOW = '5m';

/** `p95_5m` for 0.95 over 5m. */
export function quantileOperation(q: number, window = RULE_WINDOW): string {
  return `p${Math.round(q * 100)}_${window}`;
}

/** Recording-rule names, so dashboards and alerts refer to them through one function. */
export const recorded = {
  rate: (level: string, family: ExecutionFamily) => `${level}:${ruleMetric(family.counter)}:rate${RULE_WINDOW}`,
  failureRatio: (level: string, family: ExecutionFamily) => `${level}:${ruleMetric(family.counter)}_failed:ratio_rate${RULE_WINDOW}`,
  quantile: (level: string, family: ExecutionFamily, q: number) => `${level}:${ruleMetric(family.histogram)}:${quantileOperation(q)}`,
  httpRate: () => `job:${ruleMetric(httpServerRequestDuration).replace(/_duration_seconds$/, 's')}:rate${RULE_WINDOW}`,
  httpErrorRatio: () => `job:${ruleMetric(httpServerRequestDuration).replace(/_duration_seconds$/, '_errors')}:ratio_rate${RULE_WINDOW}`,
  httpQuantile: (q: number) => `job:${ruleMetric(httpServerRequestDuration)}:${quantileOperation(q)}`,
  cacheHitRatio: () => `job_cache:${ruleMetric(cacheOperations).replace(/_operations$/, '_hits')}:ratio_rate${RULE_WINDOW}`,
  workspaceFoldedRatio: () => `job_metric:workspace_folded:ratio_rate${FOLD_WINDOW}`,
  customRate: (level: string, family: CustomFamily) => `${level}:${family.ruleMetric}:rate${RULE_WINDOW}`,
  customFailureRatio: (level: string, family: CustomFamily) => `${level}:${family.ruleMetric}_failed:ratio_rate${RULE_WINDOW}`,
  customQuantile: (level: string, family: CustomFamily, q: number) => `${level}:${family.ruleMetric}:${quantileOperation(q)}`,
} as const;

/** The fold share looks at a longer window: allowlist problems are slow. */
export const FOLD_WINDOW = '30m';

const STATUS_CODE = HTTP_ATTRIBUTES.statusCode.replace(/\./g, '_');
export const HTTP_SERVER_ERROR_MATCHER = `${STATUS_CODE}=~"5.."`;

function executionRules(sel: ServiceSeries, level: string, labels: readonly string[], family: ExecutionFamily, stream: 'baseline' | 'workspace'): RecordingRule[] {
  const executions = series(family.counter, stream);
  const buckets = bucket(family.histogram, stream);
  return [
    { record: recorded.rate(level, family), expr: sumBy(labels, rate(sel(executions), RULE_WINDOW)) },
    {
      record: recorded.failureRatio(level, family),
      expr: rateRatio(labels, sel(executions, [FAILURE_MATCHER]), sel(executions), RULE_WINDOW),
    },
    ...QUANTILES.map((q) => ({ record: recorded.quantile(level, family, q), expr: quantile(q, labels, sel(buckets), RULE_WINDOW) })),
  ];
}

/** A custom family's rules at one level: rate of recordings, failure ratio (with `status`), quantiles (histograms). */
function customRules(sel: ServiceSeries, level: string, labels: readonly string[], family: CustomFamily, stream: 'baseline' | 'workspace'): RecordingRule[] {
  const counting = family.counting?.[stream];
  if (counting === undefined) return [];
  const rules: RecordingRule[] = [{ record: recorded.customRate(level, family), expr: sumBy(labels, rate(sel(counting), RULE_WINDOW)) }];
  if (family.hasStatus) {
    rules.push({ record: recorded.customFailureRatio(level, family), expr: rateRatio(labels, sel(counting, [FAILURE_MATCHER]), sel(counting), RULE_WINDOW) });
  }
  const buckets = family.buckets?.[stream];
  if (buckets !== undefined) rules.push(...QUANTILES.map((q) => ({ record: recorded.customQuantile(level, family, q), expr: quantile(q, labels, sel(buckets), RULE_WINDOW) })));
  return rules;
}

/**
 * The fold share per `_by_workspace` family: recordings the SDK folded into
 * `__other__` (self-metric, labelled with the family's name) over all
 * recordings of that family. The denominator is built from the catalogue:
 * one `label_replace` per workspace stream, so a new family is covered.
 */
function foldRatioExpr(sel: ServiceSeries, options: OpsOptions): string {
  const folded = series(workspaceFolded);
  const families = [...BUILTIN_METRICS, ...options.metrics].filter((decl) => decl.workspaceStream);
  const totals = families.map((decl) => {
    const family = prometheusName(decl, 'workspace');
    const recordings = prometheusType(decl) === 'histogram' ? `${family}_count` : family;
    return `label_replace(${sumBy(['job'], rate(sel(recordings), FOLD_WINDOW))}, "metric", "${family}", "", "")`;
  });
  return [
    sumBy(['job', 'metric'], rate(sel(folded), FOLD_WINDOW)),
    '/ on (job, metric)',
    '(',
    totals.map((line, i) => (i === 0 ? `  ${line}` : `  or ${line}`)).join('\n'),
    ')',
  ].join('\n');
}

export function recordingRuleGroups(options: OpsOptions): RuleGroup<RecordingRule>[] {
  const sel = serviceSeries(options);
  const workspace = options.workspaceLabel;
  const httpCount = count(httpServerRequestDuration);
  const cache = series(cacheOperations);
  const custom = customFamilies(options);
  const groups: RuleGroup<RecordingRule>[] = [
    {
      name: 'otel-workspace-metrics.workspace.rules',
      rules: EXECUTION_FAMILIES.flatMap((family) => executionRules(sel, 'workspace', [workspace], family, 'workspace')),
    },
    {
      name: 'otel-workspace-metrics.job.rules',
      rules: [
        ...EXECUTION_FAMILIES.flatMap((family) => executionRules(sel, 'job', ['job'], family, 'baseline')),
        { record: recorded.httpRate(), expr: sumBy(['job'], rate(sel(httpCount), RULE_WINDOW)) },
        { record: recorded.httpErrorRatio(), expr: rateRatio(['job'], sel(httpCount, [HTTP_SERVER_ERROR_MATCHER]), sel(httpCount), RULE_WINDOW) },
        ...QUANTILES.map((q) => ({ record: recorded.httpQuantile(q), expr: quantile(q, ['job'], sel(bucket(httpServerRequestDuration)), RULE_WINDOW) })),
        {
          record: recorded.cacheHitRatio(),
          expr: rateRatio(['job', 'cache'], sel(cache, ['result="hit"']), sel(cache, ['result=~"hit|miss"']), RULE_WINDOW),
        },
      ],
    },
    {
      name: 'otel-workspace-metrics.policy.rules',
      rules: [{ record: recorded.workspaceFoldedRatio(), expr: foldRatioExpr(sel, options) }],
    },
    queueRecordingRules(sel),
  ];
  if (custom.length > 0) {
    groups.push({
      name: 'otel-workspace-metrics.custom.rules',
      rules: custom.flatMap((family) => [...customRules(sel, 'job', ['job'], family, 'baseline'), ...customRules(sel, 'workspace', [workspace], family, 'workspace')]),
    });
  }
  // runtime and process: src/ops/rules-runtime.ts
  groups.push(runtimeRecordingRuleGroup(options));
  return groups;
}

// ---- alerts --------------------------------------------------------------


function failureAlerts(t: OpsThresholds, name: string, family: { readonly noun: string }, ratio: string, critical: boolean): AlertRule[] {
  const high: AlertRule = {
    alert: `${name}FailureRateHigh`,
    expr: `${ratio} > ${num(t.failureRatioHigh)}`,
    for: '10m',
    severity: 'warning',
    summary: `More than ${percent(t.failureRatioHigh)}% of ${family.noun} fail.`,
    description: `{{ $value | humanizePercentage }} of ${family.noun} in {{ $labels.job }} ended in error or timeout over the last 5 minutes.`,
  };
  if (!critical) return [high];
  return [
    high,
    {
      alert: `${name}FailureRateCritical`,
      expr: `${ratio} > ${num(t.failureRatioCritical)}`,
      for: '5m',
      severity: 'critical',
      summary: `More than ${percent(t.failureRatioCritical)}% of ${family.noun} fail.`,
      description: `{{ $value | humanizePercentage }} of ${family.noun} in {{ $labels.job }} ended in error or timeout over the last 5 minutes.`,
    },
  ];
}

function slowAlert(name: string, family: ExecutionFamily, seconds: number): AlertRule {
  return {
    alert: `${name}ExecutionsSlow`,
    expr: `${recorded.quantile('job', family, 0.95)} > ${num(seconds)}`,
    for: '15m',
    severity: 'warning',
    summary: `The 95th percentile of ${family.noun} durations is above ${num(seconds)}s.`,
    description: `95% of ${family.noun} in {{ $labels.job }} take up to {{ $value | humanizeDuration }} (threshold ${num(seconds)}s).`,
  };
}

export function alertGroups(options: OpsOptions): RuleGroup<AlertRule>[] {
  const t = options.thresholds;
  const sel = serviceSeries(options);
  const executionFailures = (name: string, family: ExecutionFamily, critical: boolean) => failureAlerts(t, name, family, recorded.failureRatio('job', family), critical);
  const custom = customFamilies(options).filter((family) => family.hasStatus);
  const groups: RuleGroup<AlertRule>[] = [
    {
      name: 'otel-workspace-metrics.executions.alerts',
      rules: [
        ...executionFailures('Action', ACTION_FAMILY, true),
        slowAlert('Action', ACTION_FAMILY, t.actionP95Seconds),
        ...executionFailures('Workflow', WORKFLOW_FAMILY, true),
        slowAlert('Workflow', WORKFLOW_FAMILY, t.workflowP95Seconds),
        ...executionFailures('QueueJob', QUEUE_JOB_FAMILY, false),
      ],
    },
    {
      name: 'otel-workspace-metrics.queue.alerts',
      rules: [
        ...queueAlerts(t, sel),
        {
          alert: 'WorkerPoolUnhealthy',
          expr: `${minBy(['job', 'worker'], sel(series(workerHealth)))} == 0`,
          for: '5m',
          severity: 'warning',
          summary: 'A worker pool reports itself unhealthy.',
          description: 'Worker pool {{ $labels.worker }} of {{ $labels.job }} has reported unhealthy for 5 minutes.',
        },
      ],
    },
    {
      name: 'otel-workspace-metrics.http.alerts',
      rules: [
        {
          alert: 'HttpErrorRateHigh',
          expr: `${recorded.httpErrorRatio()} > ${num(t.httpErrorRatio)}`,
          for: '10m',
          severity: 'warning',
          summary: `More than ${percent(t.httpErrorRatio)}% of HTTP requests end in a 5xx response.`,
          description: '{{ $value | humanizePercentage }} of HTTP requests served by {{ $labels.job }} ended in a 5xx response over the last 5 minutes.',
        },
        {
          alert: 'HttpLatencyHigh',
          expr: `${recorded.httpQuantile(0.95)} > ${num(t.httpP95Seconds)}`,
          for: '10m',
          severity: 'warning',
          summary: `The 95th percentile of HTTP request durations is above ${num(t.httpP95Seconds)}s.`,
          description: '95% of HTTP requests served by {{ $labels.job }} take up to {{ $value | humanizeDuration }}.',
        },
      ],
    },
    {
      name: 'otel-workspace-metrics.resilience.alerts',
      rules: [
        {
          alert: 'CircuitBreakerOpen',
          expr: `${maxBy(['job', 'breaker'], sel(series(circuitBreakerState), ['state="open"']))} == 1`,
          for: '5m',
          severity: 'warning',
          summary: 'A circuit breaker has been open for 5 minutes.',
          description: 'Circuit breaker {{ $labels.breaker }} of {{ $labels.job }} is open: calls to its dependency are short-circuited.',
        },
        {
          alert: 'DeadLetterQueueGrowing',
          expr: `${maxBy(['job', 'queue'], `delta(${sel(series(deadLetterQueueSize))}[15m])`)} > 0`,
          for: '15m',
          severity: 'warning',
          summary: 'A dead-letter queue keeps growing.',
          description: 'Dead-letter queue {{ $labels.queue }} of {{ $labels.job }} grew by {{ $value }} messages in the last 15 minutes, and has kept growing for 15 minutes.',
        },
      ],
    },
    {
      name: 'otel-workspace-metrics.policy.alerts',
      rules: [
        {
          alert: 'WorkspaceOverflowGrowing',
          expr: [
            `${recorded.workspaceFoldedRatio()} > ${num(t.overflowRatio)}`,
            'and',
            `${recorded.workspaceFoldedRatio()} > ${num(t.overflowGrowth)} * (${recorded.workspaceFoldedRatio()} offset 1h)`,
          ].join('\n'),
          for: '30m',
          severity: 'warning',
          summary: `More than ${percent(t.overflowRatio)}% of workspace recordings fold into __other__, ${num(t.overflowGrowth)} times the share of an hour ago.`,
          description: `{{ $value | humanizePercentage }} of {{ $labels.metric }} recordings in {{ $labels.job }} fold into __other__ (${options.workspaceLabel} not allowlisted), more than ${num(t.overflowGrowth)} times the share of an hour ago.`,
        },
        {
          alert: 'WorkspaceAllowlistDiverged',
          expr: `${recorded.workspaceFoldedRatio()} > ${num(t.allowlistDivergedRatio)}`,
          for: '1h',
          severity: 'warning',
          summary: 'Most workspace recordings fold into __other__: the allowlist misses the workspaces that make the traffic.',
          description: `{{ $value | humanizePercentage }} of {{ $labels.metric }} recordings in {{ $labels.job }} have folded into __other__ for an hour (${options.workspaceLabel} not allowlisted).`,
        },
        {
          alert: 'WorkspaceAllowlistReloadFailing',
          expr: `${sumBy(['job', 'source'], increase(sel(series(allowlistReloadErrors)), '15m'))} > 0`,
          for: '15m',
          severity: 'warning',
          summary: 'A workspace allowlist source fails to load; its last good list is used.',
          description: 'Allowlist source {{ $labels.source }} of {{ $labels.job }} failed {{ $value }} times in 15 minutes: the allowlist may be stale.',
        },
      ],
    },
    {
      name: 'otel-workspace-metrics.pipeline.alerts',
      rules: [
        {
          alert: 'OtelCollectorDown',
          expr: `up{job="${options.jobs.collector}"} == 0`,
          for: '5m',
          severity: 'critical',
          summary: 'Prometheus cannot scrape the OpenTelemetry Collector: no service metrics arrive.',
          description: 'Scraping {{ $labels.instance }} (job {{ $labels.job }}) has failed for 5 minutes.',
        },
        {
          alert: 'OtelCollectorExportFailing',
          expr: `${sumBy(['job', 'instance', 'exporter'], rate(COLLECTOR_METRICS.exporterSendFailed, '5m'))} > 0`,
          for: '10m',
          severity: 'warning',
          summary: 'The OpenTelemetry Collector fails to export metric points.',
          description: 'Exporter {{ $labels.exporter }} of {{ $labels.instance }} fails to send {{ $value | humanize }} metric points per second.',
        },
        {
          alert: 'MetricsEndpointDown',
          expr: `up{job="${options.jobs.embedded}"} == 0`,
          for: '5m',
          severity: 'warning',
          summary: "Prometheus cannot scrape a service's embedded metrics endpoint.",
          description: 'Scraping {{ $labels.instance }} (job {{ $labels.job }}) has failed for 5 minutes.',
        },
      ],
    },
  ];
  if (custom.length > 0) {
    groups.push({
      name: 'otel-workspace-metrics.custom.alerts',
      rules: custom.flatMap((family) => failureAlerts(t, pascalCase(family.decl.name), { noun: `${family.decl.name} recordings` }, recorded.customFailureRatio('job', family), false)),
    });
  }
  // export failures: src/ops/rules-export.ts
  groups.push(exportAlertGroup(options));
  // runtime and process: src/ops/rules-runtime.ts
  groups.push(runtimeAlertGroup(options));
  return groups;
}

/** Every alert, with the labels and annotations the rule file gives it. */
export function alertRuleYaml(rule: AlertRule, options: OpsOptions) {
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { severity: rule.severity },
    annotations: {
      summary: rule.summary,
      description: rule.description,
      runbook_url: `${options.runbookUrl}#${runbookAnchor(rule.alert)}`,
    },
  };
}

export function recordingRulesYaml(options: OpsOptions) {
  return { groups: recordingRuleGroups(options).map((group) => ({ name: group.name, rules: group.rules.map((rule) => ({ record: rule.record, expr: rule.expr })) })) };
}

export function alertRulesYaml(options: OpsOptions) {
  return { groups: alertGroups(options).map((group) => ({ name: group.name, rules: group.rules.map((rule) => alertRuleYaml(rule, options)) })) };
}
