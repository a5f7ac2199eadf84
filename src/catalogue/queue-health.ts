/**
 * Queue & lease health: what a Postgres-backed run queue looks like
 * right now. The values come from `startQueueHealthCollector`
 * (src/postgres/queue-health.ts), which queries the table on its own timer;
 * these observable gauges report its last successful snapshot, and nothing at
 * all while the database cannot be read (never a stale value).
 */
import type { MetricDeclaration } from '../model/types';

export const queueDepth: MetricDeclaration = {
  name: 'queue.depth',
  kind: 'observableGauge',
  unit: '{run}',
  description: 'Runs in the queue table, by status (every status present in the table, 0 once seen and gone).',
  labels: ['status'],
};

export const queueReadyDepth: MetricDeclaration = {
  name: 'queue.ready.depth',
  kind: 'observableGauge',
  unit: '{run}',
  description: 'Queued runs that are due now (run_at <= now): work waiting for a worker.',
  labels: [],
};

export const queueFutureDepth: MetricDeclaration = {
  name: 'queue.future.depth',
  kind: 'observableGauge',
  unit: '{run}',
  description: 'Queued runs scheduled for later (run_at > now).',
  labels: [],
};

export const queueOldestReadyAge: MetricDeclaration = {
  name: 'queue.oldest_ready.age',
  kind: 'observableGauge',
  unit: 's',
  description: 'Seconds since the oldest due queued run was queued (now - min(queued_at)); 0 when none is due.',
  labels: [],
};

export const queueRunningExpiredLease: MetricDeclaration = {
  name: 'queue.running.expired_lease',
  kind: 'observableGauge',
  unit: '{run}',
  description: 'Running runs whose lease has expired (lease_expires_at < now): their worker probably died. Should be 0.',
  labels: [],
};

export const queueRunningActiveLease: MetricDeclaration = {
  name: 'queue.running.active_lease',
  kind: 'observableGauge',
  unit: '{run}',
  description: 'Running runs holding a live lease (lease_expires_at >= now): work in progress.',
  labels: [],
};

/** Why a collection failed; a closed set, so the label stays bounded. */
export const QUEUE_HEALTH_ERROR_REASONS = ['connect', 'timeout', 'permission', 'query'] as const;
export type QueueHealthErrorReason = (typeof QUEUE_HEALTH_ERROR_REASONS)[number];

export const queueHealthCollectorErrors: MetricDeclaration = {
  name: 'queue_health.collector.errors',
  kind: 'counter',
  unit: '{error}',
  description: 'Queue health collections that failed, by reason (connect, timeout, permission, query).',
  labels: ['reason'],
};

export const QUEUE_HEALTH_GAUGES = [
  queueDepth,
  queueReadyDepth,
  queueFutureDepth,
  queueOldestReadyAge,
  queueRunningExpiredLease,
  queueRunningActiveLease,
] as const;

export const QUEUE_HEALTH_METRICS = [...QUEUE_HEALTH_GAUGES, queueHealthCollectorErrors] as const;
