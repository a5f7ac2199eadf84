/**
 * Queue health rules and alerts, per queue (docs/QUEUE-HEALTH.md): the gauges
 * of the queue health collectors (src/queues/: BullMQ, pg-boss,
 * graphile-worker, a `runs` table) carry a `queue` label; a table read without
 * a queue column has none. Every rule groups `by (job, queue)`, so a labelled
 * queue gets its own series and alert, and unlabelled series (table mode
 * without a queue column) group into one series per job, as before the label.
 *
 * Every replica running a collector reports the same queue: the recording
 * rules take the `max` over replicas (a sum would count the queue once per
 * replica). Connectivity (`queue_health_up`) and collection errors are per
 * process: they keep `instance`.
 */
import { num, type ServiceSeries } from './format';
import { QUEUE_HEALTH } from './metrics';
import type { OpsThresholds } from './options';
import { increase, maxBy, minBy, sumBy } from './promql';
import type { AlertRule, RecordingRule, RuleGroup } from './rules';

/** The failed-jobs window: failed jobs pile up slowly, and a 15m window spans a few collector intervals of any setting. */
export const FAILED_WINDOW = '15m';

/**
 * `queue_depth` statuses that hold failed jobs: BullMQ's, pg-boss's and
 * graphile-worker's `failed`, a `runs` table's `FAILED` (any case).
 */
export const FAILED_STATUS_MATCHER = 'status=~"(?i)failed"';

/** Recording-rule names of the queue gauges (`level:metric:operations`, as in ./rules.ts). */
export const queueRecorded = {
  depth: () => `job_queue_status:${QUEUE_HEALTH.depth}:max`,
  ready: () => `job_queue:${QUEUE_HEALTH.ready}:max`,
  future: () => `job_queue:${QUEUE_HEALTH.future}:max`,
  oldestReadyAge: () => `job_queue:${QUEUE_HEALTH.oldestReadyAge}:max`,
  expiredLeases: () => `job_queue:${QUEUE_HEALTH.expiredLeases}:max`,
  activeLeases: () => `job_queue:${QUEUE_HEALTH.activeLeases}:max`,
  failedGrowth: () => `job_queue:${QUEUE_HEALTH.depth}_failed:delta${FAILED_WINDOW}`,
} as const;

const PER_QUEUE = ['job', 'queue'] as const;

export function queueRecordingRules(sel: ServiceSeries): RuleGroup<RecordingRule> {
  const maxPerQueue = (name: string) => maxBy([...PER_QUEUE], sel(name));
  return {
    name: 'otel-workspace-metrics.queue.rules',
    rules: [
      { record: queueRecorded.depth(), expr: maxBy([...PER_QUEUE, 'status'], sel(QUEUE_HEALTH.depth)) },
      { record: queueRecorded.ready(), expr: maxPerQueue(QUEUE_HEALTH.ready) },
      { record: queueRecorded.future(), expr: maxPerQueue(QUEUE_HEALTH.future) },
      { record: queueRecorded.oldestReadyAge(), expr: maxPerQueue(QUEUE_HEALTH.oldestReadyAge) },
      { record: queueRecorded.expiredLeases(), expr: maxPerQueue(QUEUE_HEALTH.expiredLeases) },
      { record: queueRecorded.activeLeases(), expr: maxPerQueue(QUEUE_HEALTH.activeLeases) },
      // delta, not increase: the failed set is a gauge (retried or removed jobs leave it).
      { record: queueRecorded.failedGrowth(), expr: maxBy([...PER_QUEUE], `delta(${sel(QUEUE_HEALTH.depth, [FAILED_STATUS_MATCHER])}[${FAILED_WINDOW}])`) },
    ],
  };
}

/** `queue emails`, or `the queue` for a series without a queue label (a table read without a queue column). */
const QUEUE = '{{ with $labels.queue }}queue {{ . }}{{ else }}the queue{{ end }}';

export function queueAlerts(t: OpsThresholds, sel: ServiceSeries): AlertRule[] {
  const backlog = (alert: string, threshold: number, forDuration: string, severity: 'warning' | 'critical'): AlertRule => ({
    alert,
    expr: `${queueRecorded.ready()} > ${num(threshold)}`,
    for: forDuration,
    severity,
    summary: `More than ${num(threshold)} jobs of a queue are due and waiting for a worker.`,
    description: `{{ $value }} jobs are ready in ${QUEUE} read by {{ $labels.job }} (threshold ${num(threshold)}).`,
  });
  return [
    backlog('QueueBacklog', t.queueReadyDepth, '5m', 'warning'),
    backlog('QueueBacklogCritical', t.queueReadyDepthCritical, '10m', 'critical'),
    {
      alert: 'QueueOldestReadyRunTooOld',
      expr: `${queueRecorded.oldestReadyAge()} > ${num(t.queueOldestReadySeconds)}`,
      for: '5m',
      severity: 'warning',
      summary: `The oldest ready job of a queue has waited more than ${num(t.queueOldestReadySeconds / 60)} minutes.`,
      description: `The oldest ready job in ${QUEUE} read by {{ $labels.job }} has waited {{ $value | humanizeDuration }}.`,
    },
    {
      alert: 'QueueExpiredLeases',
      expr: `${queueRecorded.expiredLeases()} > 0`,
      for: '2m',
      severity: 'critical',
      summary: 'Running jobs hold expired leases or locks (stalled): their workers probably died.',
      description: `{{ $value }} running jobs in ${QUEUE} read by {{ $labels.job }} have an expired lease or lock.`,
    },
    {
      alert: 'QueueNoActiveWorkers',
      expr: `${queueRecorded.activeLeases()} == 0\nand\n${queueRecorded.ready()} > 0`,
      for: '5m',
      severity: 'critical',
      summary: 'Jobs are due but no worker holds an active lease.',
      description: `The jobs ready in ${QUEUE} read by {{ $labels.job }} wait while no running job holds an active lease: no worker is taking work.`,
    },
    {
      alert: 'QueueFailedJobsGrowing',
      expr: `${queueRecorded.failedGrowth()} > ${num(t.queueFailedJobsGrowth)}`,
      for: '10m',
      severity: 'warning',
      summary: `More than ${num(t.queueFailedJobsGrowth)} jobs of a queue failed within 15 minutes.`,
      description: `{{ $value }} more failed jobs in ${QUEUE} read by {{ $labels.job }} than 15 minutes ago (threshold ${num(t.queueFailedJobsGrowth)}).`,
    },
    {
      alert: 'QueueBackendDown',
      expr: `${minBy(['job', 'instance', 'queue', 'backend'], sel(QUEUE_HEALTH.up))} == 0`,
      for: '2m',
      severity: 'critical',
      summary: 'A queue-health collector cannot read its Redis or PostgreSQL: the connection is lost.',
      description: `{{ $labels.instance }} of {{ $labels.job }} has not read ${QUEUE} from {{ $labels.backend }} for 2 minutes; its queue gauges are withheld.`,
    },
    {
      alert: 'QueueHealthCollectorFailing',
      expr: `${sumBy(['job', 'instance', 'backend', 'reason'], increase(sel(QUEUE_HEALTH.collectorErrors), '5m'))} > 0`,
      for: '10m',
      severity: 'warning',
      summary: 'A queue-health collector keeps failing; queue gauges are withheld.',
      description: '{{ $labels.instance }} of {{ $labels.job }} failed {{ $value }} queue-health collections on {{ $labels.backend }} in 5 minutes ({{ $labels.reason }} errors).',
    },
  ];
}
