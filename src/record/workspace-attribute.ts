/**
 * Where the typed helpers put the raw workspace id: under the runtime's label
 * name, for the SDK view of the `_by_workspace` stream to resolve. The baseline
 * stream's view drops it.
 */
import type { Attributes } from '@opentelemetry/api';
import { currentRuntime } from './runtime';

export function workspaceLabelName(): string {
  return currentRuntime().labelName;
}

export function withWorkspace(attributes: Attributes, workspaceId: unknown): Attributes {
  // Only strings can be workspace ids: anything else is left out, and the view folds a missing id into __other__.
  if (typeof workspaceId === 'string') attributes[currentRuntime().labelName] = workspaceId;
  return attributes;
}
