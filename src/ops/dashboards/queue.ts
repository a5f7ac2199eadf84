/** Queue & lease health per queue (`$queue`): the queue-health collectors' gauges, queue jobs and worker pools. */
import { workerActive, workerHealth, workerRestarts } from '../../catalogue/workers';
import { QUEUE_HEALTH, QUEUE_JOB_FAMILY, series } from '../metrics';
import { minBy, rate, selector, sumBy } from '../promql';
import { queueRecorded } from '../rules-queues';
import { JOB, QUEUE, RATE_INTERVAL, executionsPanel, failureRatioPanel, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

export function queueDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  /** Raw series: `$job`, the service selector and `$queue`. */
  const SQ = [...S, QUEUE];
  /** Recorded series (./rules-queues.ts; the rules applied the service selector). */
  const recordedSeries = (name: string) => selector(name, [JOB, QUEUE]);
  return {
    uid: ctx.uid('queue'),
    title: ctx.title('Queue & lease health'),
    description: 'Queue health per queue (BullMQ, pg-boss, graphile-worker or a run table, from the queue-health collectors), queue jobs and worker pools.',
    file: 'queue.json',
    variables: ['job', 'queue'],
    rows: [
      {
        title: 'Queue',
        panels: [
          {
            title: 'Jobs by queue and status',
            description: `Jobs per queue and status, in the queue library's words (every replica running a collector reports the same queue: max, not sum; recording rule ${queueRecorded.depth()}).`,
            unit: 'short',
            targets: [{ expr: recordedSeries(queueRecorded.depth()), legend: '{{queue}} {{status}} ({{job}})' }],
          },
          {
            title: 'Ready and scheduled jobs',
            description: 'Jobs due now and waiting for a worker (alerts: QueueBacklog, QueueBacklogCritical), and jobs scheduled for later, per queue.',
            unit: 'short',
            targets: [
              { expr: recordedSeries(queueRecorded.ready()), legend: 'ready {{queue}} ({{job}})' },
              { expr: recordedSeries(queueRecorded.future()), legend: 'scheduled {{queue}} ({{job}})' },
            ],
          },
          {
            title: 'Oldest ready job',
            description: 'How long the oldest ready job of each queue has waited (alert: QueueOldestReadyRunTooOld).',
            unit: 's',
            type: 'stat',
            targets: [{ expr: recordedSeries(queueRecorded.oldestReadyAge()), legend: '{{queue}} ({{job}})' }],
          },
          {
            title: 'Failed jobs added in 15 minutes',
            description: 'Growth of each queue\'s failed jobs over 15 minutes (negative when failed jobs are retried or removed; alert: QueueFailedJobsGrowing).',
            unit: 'short',
            targets: [{ expr: recordedSeries(queueRecorded.failedGrowth()), legend: '{{queue}} ({{job}})' }],
          },
        ],
      },
      {
        title: 'Leases and connectivity',
        panels: [
          {
            title: 'Running jobs with an expired lease (stalled)',
            description: 'Their worker probably died; should be 0 (alert: QueueExpiredLeases).',
            unit: 'short',
            type: 'stat',
            targets: [{ expr: recordedSeries(queueRecorded.expiredLeases()), legend: '{{queue}} ({{job}})' }],
          },
          {
            title: 'Running jobs with an active lease',
            description: 'Work in progress; 0 with ready jobs means no worker takes work (alert: QueueNoActiveWorkers).',
            unit: 'short',
            targets: [{ expr: recordedSeries(queueRecorded.activeLeases()), legend: '{{queue}} ({{job}})' }],
          },
          {
            title: 'Queue backend reachable',
            description: "1 while the last collection of the queue's backend (Redis, PostgreSQL) succeeded, 0 when it failed: connectivity lost (alert: QueueBackendDown).",
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: minBy(['job', 'queue', 'backend'], selector(QUEUE_HEALTH.up, SQ)), legend: '{{queue}} {{backend}} ({{job}})' }],
          },
          {
            title: 'Queue-health collection errors per second',
            description: 'Failed collections by backend and reason (per collector, not per queue); the queue gauges are withheld while collections fail (alert: QueueHealthCollectorFailing).',
            unit: 'ops',
            targets: [{ expr: sumBy(['job', 'backend', 'reason'], rate(selector(QUEUE_HEALTH.collectorErrors, S), RATE_INTERVAL)), legend: '{{job}} {{backend}} {{reason}}' }],
          },
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'baseline', SQ, ['queue', 'job_type', 'status'], '{{queue}} {{job_type}} {{status}}'),
          quantileByPanel('Queue jobs: duration by job type', 'p50 and p95 job run time per queue and job type.', QUEUE_JOB_FAMILY.histogram, 'baseline', SQ, ['queue', 'job_type'], '{{queue}} {{job_type}}', 's', [0.5, 0.95]),
          failureRatioPanel(QUEUE_JOB_FAMILY, 'job', JOB, '{{job}}'),
        ],
      },
      {
        title: 'Workers',
        panels: [
          {
            title: 'Busy workers',
            description: 'Workers currently busy, per pool.',
            unit: 'short',
            targets: [{ expr: sumBy(['worker'], selector(series(workerActive), S)), legend: '{{worker}}' }],
          },
          {
            title: 'Worker pool health',
            description: '1 healthy, 0 unhealthy (the worst replica of each pool; alert: WorkerPoolUnhealthy).',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: minBy(['worker'], selector(series(workerHealth), S)), legend: '{{worker}}' }],
          },
          {
            title: 'Worker restarts per second',
            description: 'Restarts per pool and reason.',
            unit: 'ops',
            targets: [{ expr: sumBy(['worker', 'reason'], rate(selector(series(workerRestarts), S), RATE_INTERVAL)), legend: '{{worker}} {{reason}}' }],
          },
        ],
      },
    ],
  };
}
