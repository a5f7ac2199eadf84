/**
 * Queue & lease health: what a job queue looks like right now. The values come
 * from a queue health collector (src/queues/: a `runs`-style table, BullMQ,
 * pg-boss or graphile-worker), which reads the queue on its own timer; these
 * observable gauges report its last successful snapshot, and nothing at all
 * while the backend cannot be read (never a stale value). `queue` is the
 * queue's name, bounded by the collector's queue label policy
 * (src/queues/queue-label.ts); a table without a queue column has none.
 */
import type { MetricDeclaration } from '../model/types';

export const queueDepth: MetricDeclaration = {
  name: 'queue.depth',
  kind: 'observableGauge',
  unit: '{job}',
  description: 'Jobs in the queue, by queue and by status as the queue library names it (every status seen, 0 once seen and gone).',
  labels: ['queue', 'status'],
};

export const queueReadyDepth: MetricDeclaration = {
  name: 'queue.ready.depth',
  kind: 'observableGauge',
  unit: '{job}',
  description: 'Jobs due now and waiting for a worker (per source: docs/QUEUE-HEALTH.md).',
  labels: ['queue'],
};

export const queueFutureDepth: MetricDeclaration = {
  name: 'queue.future.depth',
  kind: 'observableGauge',
  unit: '{job}',
  description: 'Jobs scheduled for later (delayed, run_at or start_after in the future).',
  labels: ['queue'],
};

export const queueOldestReadyAge: MetricDeclaration = {
  name: 'queue.oldest_ready.age',
  kind: 'observableGauge',
  unit: 's',
  description: 'Seconds the oldest ready job has waited (table: since queued_at; BullMQ, pg-boss, graphile-worker: since it became due); 0 when none is ready.',
  labels: ['queue'],
};

export const queueRunningExpiredLease: MetricDeclaration = {
  name: 'queue.running.expired_lease',
  kind: 'observableGauge',
  unit: '{job}',
  description: 'Running jobs whose lease or lock has expired (BullMQ: stalled): their worker probably died. Should be 0.',
  labels: ['queue'],
};

export const queueRunningActiveLease: MetricDeclaration = {
  name: 'queue.running.active_lease',
  kind: 'observableGauge',
  unit: '{job}',
  description: 'Running jobs holding a live lease or lock: work in progress.',
  labels: ['queue'],
};

export const queueHealthUp: MetricDeclaration = {
  name: 'queue_health.up',
  kind: 'observableGauge',
  unit: '{up}',
  description: 'Whether the last collection of this queue\'s backend (redis or postgres) succeeded: 1, else 0. Never withheld.',
  labels: ['queue', 'backend'],
};

/** Where a queue health collector reads from. */
export const QUEUE_HEALTH_BACKENDS = ['postgres', 'redis'] as const;
export type QueueHealthBackend = (typeof QUEUE_HEALTH_BACKENDS)[number];

/** Why a collection failed; a closed set, so the label stays bounded. */
export const QUEUE_HEALTH_ERROR_REASONS = ['connect', 'timeout', 'permission', 'query'] as const;
export type QueueHealthErrorReason = (typeof QUEUE_HEALTH_ERROR_REASONS)[number];

export const queueHealthCollectorErrors: MetricDeclaration = {
  name: 'queue_health.collector.errors',
  kind: 'counter',
  unit: '{error}',
  description: 'Queue health collections that failed, by backend (postgres, redis) and reason (connect, timeout, permission, query).',
  labels: ['backend', 'reason'],
};

export const QUEUE_HEALTH_GAUGES = [
  queueDepth,
  queueReadyDepth,
  queueFutureDepth,
  queueOldestReadyAge,
  queueRunningExpiredLease,
  queueRunningActiveLease,
] as const;

export const QUEUE_HEALTH_METRICS = [...QUEUE_HEALTH_GAUGES, queueHealthUp, queueHealthCollectorErrors] as const;
