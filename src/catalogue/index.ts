/**
 * The metric catalogue: every declaration the kit knows, built-in families
 * first, then the ones an application declares through `declareMetrics`.
 */
import type { MetricDeclaration } from './types';
import { ACTION_METRICS } from './actions';
import { QUEUE_JOB_METRICS } from './queue';
import { HTTP_METRICS } from './http';

export const BUILTIN_METRICS: readonly MetricDeclaration[] = [...ACTION_METRICS, ...QUEUE_JOB_METRICS, ...HTTP_METRICS];

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
    declared.push(decl);
  }
}

export function catalogue(): readonly MetricDeclaration[] {
  return [...BUILTIN_METRICS, ...declared];
}
