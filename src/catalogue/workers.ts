/**
 * Worker pools: how many workers of a pool are busy,
 * whether the pool is healthy, and why its workers restarted. The `worker`
 * label names the POOL (`email-sender`), never a worker instance or pod: per
 * instance series explode under autoscaling, and the process is already
 * identified by the resource (`service.instance.id` on `target_info`).
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricDeclaration } from '../model/types';
import { counter } from '../record/instruments';
import { CurrentValues, defineObserver } from '../record/current-value';
import { LabelCap, defineRecorder, nonNegative, required } from '../record/validate';

export const workerActive: MetricDeclaration = {
  name: 'worker.active',
  kind: 'observableGauge',
  unit: '{worker}',
  description: 'Workers currently busy, per worker pool.',
  labels: ['worker'],
};

export const workerHealth: MetricDeclaration = {
  name: 'worker.health',
  kind: 'observableGauge',
  unit: '{healthy}',
  description: 'Worker pool health: 1 when healthy, 0 when not.',
  labels: ['worker'],
};

export const workerRestarts: MetricDeclaration = {
  name: 'worker.restarts',
  kind: 'counter',
  unit: '{restart}',
  description: 'Worker restarts, per worker pool and reason.',
  labels: ['worker', 'reason'],
};

export const WORKER_METRICS = [workerActive, workerHealth, workerRestarts] as const;

export interface WorkerPool {
  /** The pool's name, not an instance id. */
  worker: string;
}
export interface ActiveWorkers extends WorkerPool {
  count: number;
}
export interface WorkerHealth extends WorkerPool {
  /** `true`/`1` healthy, `false`/`0` unhealthy. */
  healthy: boolean | 0 | 1;
}
export interface WorkerRestart extends WorkerPool {
  /** Why (`crash`, `oom`, `deploy`, `health_check`...): bounded, like every free-form label. */
  reason: string;
}

const pools = new LabelCap(100);
const reasons = new LabelCap(50);

function poolAttributes(input: Record<string, unknown>): Attributes {
  return { worker: required(pools.value(input.worker), 'worker is missing') };
}

function healthValue(value: unknown): number | undefined {
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  return undefined;
}

const active = new CurrentValues(workerActive);
const health = new CurrentValues(workerHealth);

/** Set the number of busy workers of a pool (kept until set again). */
export const setActiveWorkers = defineRecorder<ActiveWorkers>('setActiveWorkers', (input) => {
  const value = required(nonNegative(input.count), 'count must be a finite number >= 0');
  active.set([{ value, attributes: poolAttributes(input) }]);
});

/** Report a pool's busy workers from a callback read at each collection; returns a function that stops it. */
export const observeActiveWorkers = defineObserver<WorkerPool, number>('observeActiveWorkers', workerActive, poolAttributes, (returned, attributes) => [
  { value: required(nonNegative(returned), 'callback must return a finite number >= 0'), attributes },
]);

export const setWorkerHealth = defineRecorder<WorkerHealth>('setWorkerHealth', (input) => {
  const value = required(healthValue(input.healthy), 'healthy must be a boolean (or 1/0)');
  health.set([{ value, attributes: poolAttributes(input) }]);
});

export const observeWorkerHealth = defineObserver<WorkerPool, boolean | 0 | 1>('observeWorkerHealth', workerHealth, poolAttributes, (returned, attributes) => [
  { value: required(healthValue(returned), 'callback must return a boolean (or 1/0)'), attributes },
]);

export const recordWorkerRestart = defineRecorder<WorkerRestart>('recordWorkerRestart', (input) => {
  counter(workerRestarts).add(1, {
    ...poolAttributes(input),
    reason: required(reasons.value(input.reason), 'reason is missing'),
  });
});
