/**
 * `otel-workspace-metrics/policy`: the workspace label policy (docs/POLICY.md)
 * for your own SDK setup: views, the policy, canonical ids, allowlist sources,
 * sampling, and the HTTP route and method labels (templates only, never a path).
 */
export { buildViews, viewsFor, type ViewPolicy } from '../policy/views';
export type { ValueRules } from '../policy/attributes-processors';
export {
  WorkspacePolicy,
  isSampled,
  sampleHash,
  sampleThreshold,
  sampleThresholdHex,
  type FoldCounter,
  type WorkspacePolicyOptions,
} from '../policy/workspace-policy';
export {
  canonicalWorkspaceId,
  isCanonicalWorkspaceId,
  canonicalWorkspacePath,
  canonicalAllowlistEntry,
  OVERFLOW_VALUE,
  CANONICAL_WORKSPACE_PATTERN,
  HIERARCHICAL_WORKSPACE_PATTERN,
  WORKSPACE_LABEL_VALUE_PATTERN,
} from '../model/canonical';
export {
  DynamicAllowlist,
  fileAllowlistSource,
  staticAllowlistSource,
  splitAllowlistText,
  AllowlistSourceError,
  type AllowlistSource,
  type DynamicAllowlistOptions,
  type FileSourceOptions,
  type LoadContext,
  type LoadedEntries,
} from '../policy/allowlist-sources';
export { normalizeMethod, routeTemplate } from '../http/route';
