/**
 * SDK attribute processors for the two streams of a metric: the baseline keeps
 * only declared keys; the workspace stream keeps them plus the workspace label,
 * resolved by the policy (always present, `__other__` when missing).
 */
import type { Attributes } from '@opentelemetry/api';
import type { IAttributesProcessor } from '@opentelemetry/sdk-metrics';
import type { WorkspacePolicy } from './workspace-policy';

/** The declared keys of `incoming`, in declared order, undefined values left out: the baseline stream's attributes. */
export function pickDeclared(keys: readonly string[], incoming: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of keys) {
    const value = incoming[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function keyAllowlistProcessor(keys: readonly string[]): IAttributesProcessor {
  return {
    process(incoming: Attributes): Attributes {
      return pickDeclared(keys, incoming);
    },
  };
}

/**
 * `metric` names the stream's Prometheus family (e.g.
 * `action_executions_by_workspace_total`): recordings that fold are counted
 * under it for the `otel_workspace_metrics_workspace_folded_total{metric}`
 * self-metric. Without it they count only in the policy's total.
 */
export function workspaceStreamProcessor(keys: readonly string[], policy: WorkspacePolicy, metric?: string): IAttributesProcessor {
  const label = policy.labelName;
  const counter = metric === undefined ? undefined : policy.foldCounter(metric);
  return {
    process(incoming: Attributes): Attributes {
      const out = pickDeclared(keys, incoming);
      out[label] = policy.resolve(incoming[label], counter);
      return out;
    },
  };
}
