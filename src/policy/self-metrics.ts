/**
 * Reports the policy's self-metrics (declared in src/catalogue/self.ts) at
 * collection time. Nothing here runs on the recording path: `resolve` only
 * bumps integers and one sketch register; these callbacks read them.
 */
import {
  allowlistLastReload,
  allowlistReloadErrors,
  allowlistSize,
  workspaceFolded,
  workspaceUnlistedEstimate,
} from '../catalogue/self';
import { registerObservation } from '../record/instruments';
import type { DynamicAllowlist } from './allowlist-sources';
import type { WorkspacePolicy } from './workspace-policy';

/** Start reporting; returns a function that stops. */
export function registerSelfMetrics(policy: WorkspacePolicy, allowlist?: DynamicAllowlist): () => void {
  const stops = [
    registerObservation(workspaceFolded, (observe) => {
      for (const counter of policy.foldCounts()) observe(counter.count, { metric: counter.metric });
    }),
    registerObservation(workspaceUnlistedEstimate, (observe) => observe(policy.unlistedEstimate())),
    registerObservation(allowlistSize, (observe) => observe(policy.allowlistSize)),
    registerObservation(allowlistLastReload, (observe) =>
      observe(Math.floor((allowlist?.lastReloadMillis ?? policy.lastChangeMillis) / 1000)),
    ),
    registerObservation(allowlistReloadErrors, (observe) => {
      for (const { source, errors } of allowlist?.errorCounts() ?? []) observe(errors, { source });
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
