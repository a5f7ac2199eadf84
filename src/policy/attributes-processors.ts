/**
 * SDK attribute processors for the two streams of a metric: the baseline keeps
 * only declared keys; the workspace stream keeps them plus the workspace label,
 * resolved by the policy (always present, `__other__` when missing).
 */
import type { Attributes } from '@opentelemetry/api';
import type { IAttributesProcessor } from '@opentelemetry/sdk-metrics';
import type { WorkspacePolicy } from './workspace-policy';

export function keyAllowlistProcessor(keys: readonly string[]): IAttributesProcessor {
  return {
    process(incoming: Attributes): Attributes {
      const out: Attributes = {};
      for (const key of keys) {
        const value = incoming[key];
        if (value !== undefined) out[key] = value;
      }
      return out;
    },
  };
}

export function workspaceStreamProcessor(keys: readonly string[], policy: WorkspacePolicy): IAttributesProcessor {
  const label = policy.labelName;
  return {
    process(incoming: Attributes): Attributes {
      const out: Attributes = {};
      for (const key of keys) {
        const value = incoming[key];
        if (value !== undefined) out[key] = value;
      }
      out[label] = policy.resolve(incoming[label]);
      return out;
    },
  };
}
