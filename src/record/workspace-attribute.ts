/**
 * Where the typed helpers put the raw workspace id: under the configured label
 * name, for the SDK view of the `_by_workspace` stream to resolve. The baseline
 * stream's view drops it.
 */
import type { Attributes } from '@opentelemetry/api';

let labelName = 'workspace_id';

export function setWorkspaceLabelName(name: string): void {
  labelName = name;
}

export function workspaceLabelName(): string {
  return labelName;
}

export function withWorkspace(attributes: Attributes, workspaceId: unknown): Attributes {
  // Only strings can be workspace ids: anything else is left out, and the view folds a missing id into __other__.
  if (typeof workspaceId === 'string') attributes[labelName] = workspaceId;
  return attributes;
}
