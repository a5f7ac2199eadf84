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
  if (workspaceId !== undefined && workspaceId !== null) {
    // Non-string ids are passed as their string form; the policy folds whatever is not canonical.
    attributes[labelName] = typeof workspaceId === 'string' ? workspaceId : String(workspaceId);
  }
  return attributes;
}
