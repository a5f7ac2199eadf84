/**
 * Recording rules and alerts on the runtime and process families
 * (src/catalogue/runtime.ts), per process: `job` is the service, `instance`
 * one process. Through the collector `instance` is `service.instance.id`,
 * a new random id per process unless OTEL_RESOURCE_ATTRIBUTES sets a stable
 * one; on the embedded endpoint it is the scrape target, stable across
 * restarts. Restarts show inside one series only where `instance` is stable
 * (docs/RUNBOOK.md, ProcessRestarting).
 */
import { EVENT_LOOP_DELAY_METRICS, gcDuration, heapSizeLimit, heapUsed, processCpuTime, processMemoryUsage, processUptime } from '../catalogue/runtime';
import type { OpsOptions } from './options';
import type { AlertRule, RecordingRule, RuleGroup } from './rules';
import { num, percent, serviceSeries } from './format';
import { ruleMetric, series, sum } from './metrics';
import { maxBy, rate, sumBy } from './promql';

const PROCESS = ['job', 'instance'] as const;
const WINDOW = '5m';
/** Restarts are counted over a longer window: a crash loop restarts every few minutes. */
export const RESTART_WINDOW = '30m';

export const RUNTIME_RULE_GROUP = 'otel-workspace-metrics.runtime.rules';
export const RUNTIME_ALERT_GROUP = 'otel-workspace-metrics.runtime.alerts';

const eventLoopDelayP99 = EVENT_LOOP_DELAY_METRICS.find((decl) => decl.name === 'nodejs.eventloop.delay.p99')!;

/** The runtime recording rules' names (dashboards and alerts refer to them through these). */
export const runtimeRecorded = {
  /** p99 event loop delay (s) of each collection, averaged over 5 minutes. */
  eventLoopDelayP99: `job_instance:${series(eventLoopDelayP99)}:avg${WINDOW}`,
  /** V8 heap used (all spaces) over the heap size limit. */
  heapUsedRatio: `job_instance:${series(heapUsed)}:ratio_limit`,
  /** Seconds of GC pause per second: the share of time in GC. */
  gcTimeRatio: `job_instance:${ruleMetric(gcDuration)}:ratio_rate${WINDOW}`,
  /** CPU seconds per second (1 = one core), user and system together. */
  cpu: `job_instance:${ruleMetric(processCpuTime)}:rate${WINDOW}`,
  /** Resident set size (bytes). */
  rss: `job_instance:${series(processMemoryUsage)}:max`,
  /** Restarts (drops of the uptime) within 30 minutes. */
  restarts: `job_instance:process_restarts:resets${RESTART_WINDOW}`,
} as const;

export function runtimeRecordingRuleGroup(options: OpsOptions): RuleGroup<RecordingRule> {
  const sel = serviceSeries(options);
  return {
    name: RUNTIME_RULE_GROUP,
    rules: [
      { record: runtimeRecorded.eventLoopDelayP99, expr: maxBy(PROCESS, `avg_over_time(${sel(series(eventLoopDelayP99))}[${WINDOW}])`) },
      { record: runtimeRecorded.heapUsedRatio, expr: `${sumBy(PROCESS, sel(series(heapUsed)))}\n/\n${maxBy(PROCESS, sel(series(heapSizeLimit)))}` },
      { record: runtimeRecorded.gcTimeRatio, expr: sumBy(PROCESS, rate(sel(sum(gcDuration)), WINDOW)) },
      { record: runtimeRecorded.cpu, expr: sumBy(PROCESS, rate(sel(series(processCpuTime)), WINDOW)) },
      { record: runtimeRecorded.rss, expr: maxBy(PROCESS, sel(series(processMemoryUsage))) },
      // process.uptime only grows while a process lives: each drop is a restart
      { record: runtimeRecorded.restarts, expr: sumBy(PROCESS, `resets(${sel(series(processUptime))}[${RESTART_WINDOW}])`) },
    ],
  };
}

/** `1073741824` → `1 GiB`, `536870912` → `512 MiB`, other values in bytes (summaries). */
export function bytesText(bytes: number): string {
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  return `${bytes} bytes`;
}

export function runtimeAlertGroup(options: OpsOptions): RuleGroup<AlertRule> {
  const t = options.thresholds;
  return {
    name: RUNTIME_ALERT_GROUP,
    rules: [
      {
        alert: 'ProcessMemoryHigh',
        expr: `${runtimeRecorded.rss} > ${num(t.processMemoryBytes)}`,
        for: '15m',
        severity: 'warning',
        summary: `A process uses more than ${bytesText(t.processMemoryBytes)} of resident memory (RSS).`,
        description: `{{ $labels.instance }} of {{ $labels.job }} uses {{ $value | humanize1024 }}B of resident memory (threshold ${bytesText(t.processMemoryBytes)}).`,
      },
      {
        alert: 'NodejsHeapNearLimit',
        expr: `${runtimeRecorded.heapUsedRatio} > ${num(t.heapUsedRatio)}`,
        for: '10m',
        severity: 'warning',
        summary: `A process uses more than ${percent(t.heapUsedRatio)}% of its V8 heap limit: it is close to running out of memory.`,
        description: '{{ $labels.instance }} of {{ $labels.job }} uses {{ $value | humanizePercentage }} of its V8 heap size limit (--max-old-space-size).',
      },
      {
        alert: 'NodejsEventLoopDelayHigh',
        expr: `${runtimeRecorded.eventLoopDelayP99} > ${num(t.eventLoopDelayP99Seconds)}`,
        for: '10m',
        severity: 'warning',
        summary: `The p99 event loop delay of a process is above ${num(t.eventLoopDelayP99Seconds)}s.`,
        description: 'The p99 event loop delay of {{ $labels.instance }} of {{ $labels.job }} averaged {{ $value | humanizeDuration }} over the last 5 minutes: callbacks and requests wait that long.',
      },
      {
        alert: 'NodejsGcTimeHigh',
        expr: `${runtimeRecorded.gcTimeRatio} > ${num(t.gcTimeRatio)}`,
        for: '15m',
        severity: 'warning',
        summary: `A process spends more than ${percent(t.gcTimeRatio)}% of its time in garbage collection pauses.`,
        description: '{{ $labels.instance }} of {{ $labels.job }} spent {{ $value | humanizePercentage }} of the last 5 minutes in GC pauses.',
      },
      {
        alert: 'ProcessRestarting',
        expr: `${runtimeRecorded.restarts} > ${num(t.processRestarts)}`,
        for: '5m',
        severity: 'warning',
        summary: `A process restarted more than ${num(t.processRestarts)} times in 30 minutes.`,
        description: '{{ $labels.instance }} of {{ $labels.job }} restarted {{ $value }} times in the last 30 minutes.',
      },
    ],
  };
}
