/**
 * Catalogue + policy → SDK views. Each declaration gets a baseline view
 * (declared keys only) and, when the workspace label is on and the metric has
 * one, a `_by_workspace` view on the same instrument, so services record once.
 */
import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';
import {
  DEFAULT_CARDINALITY_LIMIT,
  DEFAULT_WORKSPACE_CARDINALITY_LIMIT,
  prometheusName,
  streamName,
  type MetricDeclaration,
} from '../model/types';
import { keyAllowlistProcessor, workspaceStreamProcessor, type ValueRules } from '../policy/attributes-processors';
import type { WorkspacePolicy } from '../policy/workspace-policy';

export interface ViewPolicy {
  /** Present only when the workspace label is on. */
  workspace: WorkspacePolicy | undefined;
  /**
   * Value rules by label key, for every metric that declares the key (the
   * kit passes its route policy for `http.route`, which other recorders of
   * the same instrument, such as instrumentation-http, may set).
   */
  values?: ValueRules;
}

/** The value rules that apply to `decl`'s declared keys (undefined: none). */
export function rulesFor(decl: MetricDeclaration, policy: ViewPolicy): ValueRules | undefined {
  if (policy.values === undefined) return undefined;
  const own = Object.entries(policy.values).filter(([key]) => decl.labels.includes(key));
  return own.length === 0 ? undefined : Object.fromEntries(own);
}

function aggregationFor(decl: MetricDeclaration): ViewOptions['aggregation'] {
  if (decl.kind !== 'histogram') return undefined;
  return {
    type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
    options: { boundaries: [...(decl.buckets ?? [])], recordMinMax: true },
  };
}

export function viewsFor(decl: MetricDeclaration, policy: ViewPolicy): ViewOptions[] {
  const aggregation = aggregationFor(decl);
  const select = { instrumentName: decl.name };
  const rules = rulesFor(decl, policy);
  const views: ViewOptions[] = [
    {
      ...select,
      name: streamName(decl, 'baseline'),
      attributesProcessors: [keyAllowlistProcessor(decl.labels, rules)],
      aggregationCardinalityLimit: decl.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT,
      ...(aggregation ? { aggregation } : {}),
    },
  ];
  if (decl.workspaceStream && policy.workspace !== undefined) {
    views.push({
      ...select,
      name: streamName(decl, 'workspace'),
      description: `${decl.description} Per workspace (allowlisted ids; others as __other__).`,
      attributesProcessors: [workspaceStreamProcessor(decl.labels, policy.workspace, prometheusName(decl, 'workspace'), rules)],
      aggregationCardinalityLimit: DEFAULT_WORKSPACE_CARDINALITY_LIMIT,
      ...(aggregation ? { aggregation } : {}),
    });
  }
  return views;
}

export function buildViews(decls: readonly MetricDeclaration[], policy: ViewPolicy): ViewOptions[] {
  return decls.flatMap((decl) => viewsFor(decl, policy));
}
