/**
 * The generated promtool cases (prometheus/tests/*.test.yaml) of the queue
 * health rules and alerts (./rules-queues.ts): two queues of one job read by
 * two replicas, and a table read without a queue column. The hand-written
 * boundary cases are in prometheus/tests/alerts-boundaries-queues.yaml.
 */
import { humanizeDuration, num } from './format';
import { QUEUE_HEALTH } from './metrics';
import type { OpsOptions } from './options';
import { queueRecorded } from './rules-queues';
import type { AlertTestSpec, InputSeries, RecordingTestCase } from './rule-tests';

function labelString(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length === 0 ? '' : `{${parts.join(', ')}}`;
}

/** A series held at `value` (or from `value` growing by `perMinute`) for `steps` 1m steps. */
function input(name: string, labels: Readonly<Record<string, string>>, value: number, steps: number, perMinute = 0): InputSeries {
  return { series: `${name}${labelString(labels)}`, values: `${value}+${perMinute}x${steps}` };
}

const STEPS = 20;
/** A full 15m failed-jobs window of samples (delta exact, no extrapolation). */
const EVAL = '20m';

/**
 * Job `worker`, replicas `worker-1` and `worker-2`, queues `emails` and
 * `reports`; a replica lagging one collection behind reads a little less.
 * Job `cron` reads a table without a queue column: its series have no
 * `queue` label, and neither do its recorded series.
 */
export function queueRecordingTestCase(): RecordingTestCase {
  const at = (instance: string, queue?: string) => ({ job: 'worker', instance, ...(queue === undefined ? {} : { queue }) });
  const both = (name: string, emails: [number, number], reports: [number, number], perMinute = 0): InputSeries[] => [
    input(name, at('worker-1', 'emails'), emails[0], STEPS, perMinute),
    input(name, at('worker-2', 'emails'), emails[1], STEPS, perMinute),
    input(name, at('worker-1', 'reports'), reports[0], STEPS),
    input(name, at('worker-2', 'reports'), reports[1], STEPS),
  ];
  const cron = { job: 'cron', instance: 'cron-1' };
  const table = (name: string, value: number, labels: Record<string, string> = {}) => input(name, { ...cron, ...labels }, value, STEPS);
  const perQueue = (expr: string, emails: number, reports: number, cronValue: number) => ({
    expr,
    evalTime: EVAL,
    samples: [
      { labels: `${expr}{job="worker", queue="emails"}`, value: emails },
      { labels: `${expr}{job="worker", queue="reports"}`, value: reports },
      { labels: `${expr}{job="cron"}`, value: cronValue },
    ],
  });
  return {
    name: 'recording rules: queue health per job and queue (max over replicas; no queue label stays none)',
    input: [
      ...both(QUEUE_HEALTH.ready, [120, 118], [3, 3]),
      ...both(QUEUE_HEALTH.future, [7, 7], [0, 0]),
      ...both(QUEUE_HEALTH.oldestReadyAge, [600, 540], [30, 30]),
      ...both(QUEUE_HEALTH.expiredLeases, [1, 1], [0, 0]),
      ...both(QUEUE_HEALTH.activeLeases, [4, 4], [0, 0]),
      // failed jobs: emails grows by 2 a minute (worker-2 one minute behind), reports holds 9; the cron table's FAILED grows by 1 a minute
      input(QUEUE_HEALTH.depth, { ...at('worker-1', 'emails'), status: 'failed' }, 2, STEPS, 2),
      input(QUEUE_HEALTH.depth, { ...at('worker-2', 'emails'), status: 'failed' }, 0, STEPS, 2),
      input(QUEUE_HEALTH.depth, { ...at('worker-1', 'reports'), status: 'failed' }, 9, STEPS),
      input(QUEUE_HEALTH.depth, { ...at('worker-1', 'reports'), status: 'waiting' }, 5, STEPS, 3),
      input(QUEUE_HEALTH.depth, { ...at('worker-2', 'reports'), status: 'waiting' }, 2, STEPS, 3),
      table(QUEUE_HEALTH.ready, 4),
      table(QUEUE_HEALTH.future, 1),
      table(QUEUE_HEALTH.oldestReadyAge, 90),
      table(QUEUE_HEALTH.expiredLeases, 0),
      table(QUEUE_HEALTH.activeLeases, 2),
      input(QUEUE_HEALTH.depth, { ...cron, status: 'FAILED' }, 0, STEPS, 1),
    ],
    exprTests: [
      perQueue(queueRecorded.ready(), 120, 3, 4),
      perQueue(queueRecorded.future(), 7, 0, 1),
      perQueue(queueRecorded.oldestReadyAge(), 600, 30, 90),
      perQueue(queueRecorded.expiredLeases(), 1, 0, 0),
      perQueue(queueRecorded.activeLeases(), 4, 0, 2),
      perQueue(queueRecorded.failedGrowth(), 30, 0, 15),
      {
        expr: queueRecorded.depth(),
        evalTime: EVAL,
        samples: [
          { labels: `${queueRecorded.depth()}{job="worker", queue="emails", status="failed"}`, value: 42 },
          { labels: `${queueRecorded.depth()}{job="worker", queue="reports", status="failed"}`, value: 9 },
          { labels: `${queueRecorded.depth()}{job="worker", queue="reports", status="waiting"}`, value: 65 },
          { labels: `${queueRecorded.depth()}{job="cron", status="FAILED"}`, value: 20 },
        ],
      },
    ],
  };
}

/** Firing and silent cases of every queue alert, at the thresholds of `options`. */
export function queueAlertTestSpecs(options: OpsOptions): Record<string, AlertTestSpec> {
  const t = options.thresholds;
  const replica = { job: 'worker', instance: 'worker-1' };
  const emails = { ...replica, queue: 'emails' };
  const fires = { job: 'worker', queue: 'emails' };
  /** An alert on one gauge: emails held at `firing` fires with `description`; reports held at `quiet` does not. */
  const gauge = (name: string, levels: { firing: number; quiet: number }, evalTime: string, description: string): AlertTestSpec => ({
    firing: {
      input: [input(name, emails, levels.firing, STEPS), input(name, { ...replica, queue: 'reports' }, levels.quiet, STEPS)],
      evalTime,
      alerts: [{ labels: fires, description }],
    },
    quiet: { input: [input(name, emails, levels.quiet, STEPS)], evalTime },
  });
  const backlog = (threshold: number) => ({ firing: Math.ceil(threshold * 1.5) + 1, quiet: Math.floor(threshold / 5) });
  const warning = backlog(t.queueReadyDepth);
  const critical = backlog(t.queueReadyDepthCritical);
  const failedPerMinute = Math.floor(t.queueFailedJobsGrowth / 15) + 1;
  const errors = (perMinute: number) =>
    ['connect', 'timeout', 'permission', 'query'].map((reason) => input(QUEUE_HEALTH.collectorErrors, { ...replica, backend: 'redis', reason }, 0, 30, reason === 'connect' ? perMinute : 0));
  return {
    QueueBacklog: gauge(QUEUE_HEALTH.ready, warning, '10m', `${warning.firing} jobs are ready in queue emails read by worker (threshold ${num(t.queueReadyDepth)}).`),
    QueueBacklogCritical: gauge(QUEUE_HEALTH.ready, critical, '15m', `${critical.firing} jobs are ready in queue emails read by worker (threshold ${num(t.queueReadyDepthCritical)}).`),
    // constant inputs: the generated files set no group order, so an alert may read the recorded value of the previous evaluation
    QueueOldestReadyRunTooOld: gauge(
      QUEUE_HEALTH.oldestReadyAge,
      { firing: 2 * t.queueOldestReadySeconds, quiet: Math.floor(t.queueOldestReadySeconds / 60) },
      '10m',
      `The oldest ready job in queue emails read by worker has waited ${humanizeDuration(2 * t.queueOldestReadySeconds)}.`,
    ),
    QueueExpiredLeases: gauge(QUEUE_HEALTH.expiredLeases, { firing: 2, quiet: 0 }, '5m', '2 running jobs in queue emails read by worker have an expired lease or lock.'),
    QueueNoActiveWorkers: {
      firing: {
        input: [input(QUEUE_HEALTH.activeLeases, emails, 0, STEPS), input(QUEUE_HEALTH.ready, emails, 5, STEPS)],
        evalTime: '10m',
        alerts: [{ labels: fires, description: 'The jobs ready in queue emails read by worker wait while no running job holds an active lease: no worker is taking work.' }],
      },
      quiet: { input: [input(QUEUE_HEALTH.activeLeases, emails, 3, STEPS), input(QUEUE_HEALTH.ready, emails, 5, STEPS)], evalTime: '10m' },
    },
    QueueFailedJobsGrowing: {
      firing: {
        input: [input(QUEUE_HEALTH.depth, { ...emails, status: 'failed' }, 0, 40, failedPerMinute)],
        evalTime: '30m',
        alerts: [{ labels: fires, description: `${15 * failedPerMinute} more failed jobs in queue emails read by worker than 15 minutes ago (threshold ${num(t.queueFailedJobsGrowth)}).` }],
      },
      // as many failed jobs as ever, and a growing waiting list: silent
      quiet: { input: [input(QUEUE_HEALTH.depth, { ...emails, status: 'failed' }, 7, 40), input(QUEUE_HEALTH.depth, { ...emails, status: 'waiting' }, 0, 40, 5)], evalTime: '30m' },
    },
    QueueBackendDown: {
      firing: {
        input: [input(QUEUE_HEALTH.up, { ...emails, backend: 'redis' }, 0, 10), input(QUEUE_HEALTH.up, { ...replica, queue: 'reports', backend: 'postgres' }, 1, 10)],
        evalTime: '5m',
        alerts: [{ labels: { ...emails, backend: 'redis' }, description: 'worker-1 of worker has not read queue emails from redis for 2 minutes; its queue gauges are withheld.' }],
      },
      quiet: { input: [input(QUEUE_HEALTH.up, { ...emails, backend: 'redis' }, 1, 10)], evalTime: '5m' },
    },
    QueueHealthCollectorFailing: {
      firing: {
        input: errors(12),
        evalTime: '20m',
        alerts: [{ labels: { ...replica, backend: 'redis', reason: 'connect' }, description: 'worker-1 of worker failed 60 queue-health collections on redis in 5 minutes (connect errors).' }],
      },
      quiet: { input: errors(0), evalTime: '20m' },
    },
  };
}
