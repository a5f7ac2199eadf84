/**
 * The metric catalogue: every declaration the kit knows, built-in families
 * first, then the ones an application declares through `declareMetrics`.
 */
import type { MetricDeclaration } from '../model/types';
import { currentRuntime } from '../record/runtime';
import { logError } from '../log';
import { ACTION_METRICS } from './actions';
import { QUEUE_JOB_METRICS } from './queue';
import { HTTP_METRICS } from './http';
import { HTTP_SIZE_METRICS } from './http-sizes';
import { WORKFLOW_METRICS } from './workflows';
import { WORKER_METRICS } from './workers';
import { CACHE_METRICS } from './cache';
import { RESILIENCE_METRICS } from './resilience';
import { SESSION_METRICS } from './sessions';
import { DATABASE_METRICS } from './database';
import { MESSAGING_METRICS } from './messaging';
import { QUEUE_HEALTH_METRICS } from './queue-health';
import { SELF_METRICS } from './self';
import { PROCESS_METRICS, RUNTIME_METRICS } from './runtime';

export const BUILTIN_METRICS: readonly MetricDeclaration[] = Object.freeze([
  ...ACTION_METRICS,
  ...QUEUE_JOB_METRICS,
  ...HTTP_METRICS,
  ...HTTP_SIZE_METRICS,
  ...WORKFLOW_METRICS,
  ...WORKER_METRICS,
  ...CACHE_METRICS,
  ...RESILIENCE_METRICS,
  ...SESSION_METRICS,
  ...DATABASE_METRICS,
  ...MESSAGING_METRICS,
  ...QUEUE_HEALTH_METRICS,
  ...SELF_METRICS,
  ...RUNTIME_METRICS,
  ...PROCESS_METRICS,
]);

/** The registry of application declarations: append-only, process-wide (declarations are code, not state of a kit). */
const declared: MetricDeclaration[] = [];

/**
 * Add application metrics to the catalogue, under the same label policy.
 * Call before the MeterProvider starts (with the preload: at the top of a
 * module loaded by `--require`, or pass them to `start({ metrics })`).
 */
export function declareMetrics(...decls: MetricDeclaration[]): void {
  for (const decl of decls) {
    if (catalogue().some((existing) => existing.name === decl.name)) {
      throw new Error(`metric ${decl.name} is already declared`);
    }
    const { enforcement } = currentRuntime();
    if (enforcement.started) {
      enforcement.markUnenforced(decl);
      logError(`declareMetrics: ${decl.name} was declared after the kit started, so no view enforces its label policy; its recordings are dropped until the next start (declare metrics before start, or pass them to start({ metrics }))`);
    }
    declared.push(decl);
  }
}

export function catalogue(): readonly MetricDeclaration[] {
  return [...BUILTIN_METRICS, ...declared];
}
