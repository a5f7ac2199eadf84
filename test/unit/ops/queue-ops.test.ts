/**
 * The per-queue ops artifacts (src/ops/rules-queues.ts, the Queue & lease
 * health dashboard): every queue rule keeps `job` and `queue`, every queue
 * alert reads them (or keeps `instance` where connectivity is per process),
 * thresholds come from OpsOptions, and every queue panel whose series carry a
 * `queue` label is filtered by `$queue`. Promtool boundary cases:
 * prometheus/tests/alerts-boundaries-queues.yaml (run by rules-boundaries.test.ts);
 * live values: test/e2e/dashboards-live.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, renderArtifacts } from '../../../src/ops/generate';
import { opsOptions, opsOptionsFromConfig } from '../../../src/ops/options';
import { alertGroups, recordingRuleGroups } from '../../../src/ops/rules';

const QUEUE_ALERTS = [
  'QueueBacklog',
  'QueueBacklogCritical',
  'QueueOldestReadyRunTooOld',
  'QueueExpiredLeases',
  'QueueNoActiveWorkers',
  'QueueFailedJobsGrowing',
  'QueueBackendDown',
  'QueueHealthCollectorFailing',
];

interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[]; panels?: unknown[] }[];
  templating: { list: { name: string; query?: string; includeAll?: boolean; allValue?: string }[] };
}

describe('queue rules and alerts', () => {
  it('record each queue gauge per job and queue, the max over replicas', () => {
    const group = recordingRuleGroups(opsOptions()).find((g) => g.name === 'otel-workspace-metrics.queue.rules')!;
    expect(group.rules.map((r) => r.record)).toEqual([
      'job_queue_status:queue_depth:max',
      'job_queue:queue_ready_depth:max',
      'job_queue:queue_future_depth:max',
      'job_queue:queue_oldest_ready_age_seconds:max',
      'job_queue:queue_running_expired_lease:max',
      'job_queue:queue_running_active_lease:max',
      'job_queue:queue_depth_failed:delta15m',
    ]);
    for (const rule of group.rules) expect(rule.expr, rule.record).toMatch(/^max by \(job, queue(, status)?\) \(/);
  });

  it('are one set per queue, replacing the per-job queue alerts (no parallel duplicates)', () => {
    const group = alertGroups(opsOptions()).find((g) => g.name === 'otel-workspace-metrics.queue.alerts')!;
    expect(group.rules.map((r) => r.alert)).toEqual([...QUEUE_ALERTS, 'WorkerPoolUnhealthy']);
    const byName = new Map(group.rules.map((r) => [r.alert, r]));
    // every gauge alert reads a per-queue recording rule; nothing groups by job alone
    for (const name of QUEUE_ALERTS.slice(0, 6)) expect(byName.get(name)!.expr, name).toMatch(/^job_queue:/);
    for (const rule of group.rules) expect(rule.expr, rule.alert).not.toMatch(/by \(job\)/);
    expect(byName.get('QueueBackendDown')!.expr).toBe('min by (job, instance, queue, backend) (queue_health_up) == 0');
    expect(byName.get('QueueHealthCollectorFailing')!.expr).toBe('sum by (job, instance, backend, reason) (increase(queue_health_collector_errors_total[5m])) > 0');
    // a series without a queue label reads "the queue"
    for (const name of QUEUE_ALERTS.filter((n) => n !== 'QueueHealthCollectorFailing')) {
      expect(byName.get(name)!.description, name).toContain('{{ with $labels.queue }}queue {{ . }}{{ else }}the queue{{ end }}');
    }
  });

  it('take their thresholds from OpsOptions (defaults and a config file)', () => {
    const expr = (options: ReturnType<typeof opsOptions>, alert: string) => alertGroups(options).flatMap((g) => g.rules).find((r) => r.alert === alert)!;
    const defaults = opsOptions();
    expect(expr(defaults, 'QueueBacklog').expr).toBe('job_queue:queue_ready_depth:max > 100');
    expect(expr(defaults, 'QueueBacklogCritical').expr).toBe('job_queue:queue_ready_depth:max > 1000');
    expect(expr(defaults, 'QueueOldestReadyRunTooOld').expr).toBe('job_queue:queue_oldest_ready_age_seconds:max > 300');
    expect(expr(defaults, 'QueueFailedJobsGrowing').expr).toBe('job_queue:queue_depth_failed:delta15m > 10');
    const custom = opsOptionsFromConfig({ thresholds: { queueReadyDepth: 40, queueReadyDepthCritical: 400, queueOldestReadySeconds: 90, queueFailedJobsGrowth: 0 } });
    expect(expr(custom, 'QueueBacklog')).toMatchObject({ expr: 'job_queue:queue_ready_depth:max > 40', summary: 'More than 40 jobs of a queue are due and waiting for a worker.' });
    expect(expr(custom, 'QueueBacklogCritical').expr).toBe('job_queue:queue_ready_depth:max > 400');
    expect(expr(custom, 'QueueOldestReadyRunTooOld')).toMatchObject({ expr: 'job_queue:queue_oldest_ready_age_seconds:max > 90', summary: 'The oldest ready job of a queue has waited more than 1.5 minutes.' });
    expect(expr(custom, 'QueueFailedJobsGrowing').expr).toBe('job_queue:queue_depth_failed:delta15m > 0');
    // refused: critical at or below the warning threshold, fractional or negative counts
    expect(() => opsOptionsFromConfig({ thresholds: { queueReadyDepth: 500, queueReadyDepthCritical: 500 } })).toThrow(/queueReadyDepthCritical: must be above queueReadyDepth \(500\)/);
    expect(() => opsOptionsFromConfig({ thresholds: { queueFailedJobsGrowth: -1 } })).toThrow(/thresholds\.queueFailedJobsGrowth/);
    expect(() => opsOptionsFromConfig({ thresholds: { queueReadyDepthCritical: 2.5 } })).toThrow(/thresholds\.queueReadyDepthCritical/);
  });
});

describe('the Queue & lease health dashboard', () => {
  const dashboard = JSON.parse(renderArtifacts(opsOptions()).get(`${DASHBOARD_DIR}/queue.json`)!) as Dashboard;
  const targets = dashboard.panels.flatMap((p) => (p.type === 'row' ? (p.panels as Dashboard['panels']) : [p])).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('has a $queue variable listing the queues of the health collectors and the job-outcome hooks, within $job', () => {
    const queue = dashboard.templating.list.find((v) => v.name === 'queue')!;
    expect(queue).toMatchObject({ query: 'label_values({__name__=~"queue_health_up|queue_jobs_total", job=~"$job"}, queue)', includeAll: true, allValue: '.*' });
  });

  it('filters every panel whose series carry a queue label by $queue, and no other', () => {
    const perQueue = /\b(queue_depth|queue_ready_depth|queue_future_depth|queue_oldest_ready_age_seconds|queue_running_(expired|active)_lease|queue_health_up|queue_jobs_total|queue_job_duration_seconds_bucket|job_queue(_status)?:[a-z_]+:[a-z0-9]+)\{/;
    const filtered = targets.filter((t) => t.expr.includes('queue=~"$queue"'));
    for (const target of targets) expect(target.expr.includes('queue=~"$queue"'), `${target.panel}: ${target.expr}`).toBe(perQueue.test(target.expr));
    expect(filtered.length).toBe(11);
  });
});
