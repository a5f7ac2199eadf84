/** Queue & lease health: the Postgres run queue, queue jobs and worker pools. */
import { workerActive, workerHealth, workerRestarts } from '../../catalogue/workers';
import { QUEUE_HEALTH, QUEUE_JOB_FAMILY, series } from '../metrics';
import { maxBy, minBy, rate, selector, sumBy } from '../promql';
import { JOB, RATE_INTERVAL, executionsPanel, failureRatioPanel, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

export function queueDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  return {
    uid: ctx.uid('queue'),
    title: ctx.title('Queue & lease health'),
    description: 'The Postgres run queue (queue-health collector), queue jobs and worker pools.',
    file: 'queue.json',
    variables: ['job'],
    rows: [
      {
        title: 'Queue',
        panels: [
          {
            title: 'Runs by status',
            description: 'Runs in the queue table per status (every replica running the collector reports the same table: max, not sum).',
            unit: 'short',
            targets: [{ expr: maxBy(['status'], selector(QUEUE_HEALTH.depth, S)), legend: '{{status}}' }],
          },
          {
            title: 'Ready and scheduled runs',
            description: 'Queued runs due now (waiting for a worker) and scheduled for later.',
            unit: 'short',
            targets: [
              { expr: maxBy(['job'], selector(QUEUE_HEALTH.ready, S)), legend: 'ready {{job}}' },
              { expr: maxBy(['job'], selector(QUEUE_HEALTH.future, S)), legend: 'scheduled {{job}}' },
            ],
          },
          {
            title: 'Oldest ready run',
            description: 'How long the oldest due run has waited (alert: QueueOldestReadyRunTooOld).',
            unit: 's',
            type: 'stat',
            targets: [{ expr: maxBy(['job'], selector(QUEUE_HEALTH.oldestReadyAge, S)), legend: '{{job}}' }],
          },
        ],
      },
      {
        title: 'Leases',
        panels: [
          {
            title: 'Running runs with an expired lease',
            description: 'Their worker probably died; should be 0 (alert: QueueExpiredLeases).',
            unit: 'short',
            type: 'stat',
            targets: [{ expr: maxBy(['job'], selector(QUEUE_HEALTH.expiredLeases, S)), legend: '{{job}}' }],
          },
          {
            title: 'Running runs with an active lease',
            description: 'Work in progress; 0 with ready runs means no worker takes work (alert: QueueNoActiveWorkers).',
            unit: 'short',
            targets: [{ expr: maxBy(['job'], selector(QUEUE_HEALTH.activeLeases, S)), legend: '{{job}}' }],
          },
          {
            title: 'Queue backend reachable',
            description: '1 while the last collection of the queue\'s backend (Redis, PostgreSQL) succeeded, 0 when it failed.',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: minBy(['job', 'backend'], selector(QUEUE_HEALTH.up, S)), legend: '{{job}} {{backend}}' }],
          },
          {
            title: 'Queue-health collection errors per second',
            description: 'Failed collections by reason; the queue gauges are withheld while collections fail.',
            unit: 'ops',
            targets: [{ expr: sumBy(['job', 'reason'], rate(selector(QUEUE_HEALTH.collectorErrors, S), RATE_INTERVAL)), legend: '{{job}} {{reason}}' }],
          },
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'baseline', S, ['job_type', 'status'], '{{job_type}} {{status}}'),
          quantileByPanel('Queue jobs: duration by job type', 'p50 and p95 job run time per job type.', QUEUE_JOB_FAMILY.histogram, 'baseline', S, ['job_type'], '{{job_type}}', 's', [0.5, 0.95]),
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
