/**
 * SDK attribute processors for the two streams of a metric: the baseline keeps
 * only declared keys; the workspace stream keeps them plus the workspace label,
 * resolved by the policy (always present, `__other__` when missing).
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
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

/**
 * Rules for the values of some declared keys, applied in every stream of
 * the metric: the rule's result replaces the value, undefined removes the
 * key. For attributes other code records on the same instrument (e.g.
 * instrumentation-http's `http.route`).
 */
export type ValueRules = Readonly<Record<string, (value: unknown) => AttributeValue | undefined>>;

/**
 * `attributes` with the rules applied: the same object when no rule changes
 * a value (no allocation: the usual case on hot paths), else a copy.
 */
export function withRules(attributes: Attributes, rules: ValueRules | undefined): Attributes {
  // Stryker disable next-line ConditionalExpression: shortcut; for-in over undefined runs no iteration, and the same object is returned
  if (rules === undefined) return attributes;
  let out: Attributes | undefined;
  for (const key in rules) {
    const value = attributes[key];
    if (value === undefined) continue;
    const ruled = rules[key]!(value);
    if (ruled === value) continue;
    out ??= { ...attributes };
    if (ruled === undefined) delete out[key];
    else out[key] = ruled;
  }
  return out ?? attributes;
}

function applyRules(out: Attributes, rules: ValueRules | undefined): Attributes {
  if (rules === undefined) return out;
  for (const key of Object.keys(rules)) {
    if (out[key] === undefined) continue;
    const value = rules[key]!(out[key]);
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

export function keyAllowlistProcessor(keys: readonly string[], rules?: ValueRules): IAttributesProcessor {
  return {
    process(incoming: Attributes): Attributes {
      return applyRules(pickDeclared(keys, incoming), rules);
    },
  };
}

/**
 * `metric` names the stream's Prometheus family (e.g.
 * `action_executions_by_workspace_total`): recordings that fold are counted
 * under it for the `otel_workspace_metrics_workspace_folded_total{metric}`
 * self-metric. Without it they count only in the policy's total.
 */
export function workspaceStreamProcessor(keys: readonly string[], policy: WorkspacePolicy, metric?: string, rules?: ValueRules): IAttributesProcessor {
  const label = policy.labelName;
  const counter = metric === undefined ? undefined : policy.foldCounter(metric);
  return {
    process(incoming: Attributes): Attributes {
      const out = applyRules(pickDeclared(keys, incoming), rules);
      out[label] = policy.resolve(incoming[label], counter);
      return out;
    },
  };
}
