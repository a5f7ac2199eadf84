/**
 * How a metric is declared, once: the SDK views, the Prometheus names, the
 * README catalogue, the collector allowlist, rules and dashboards all derive
 * from (or are tested against) these declarations.
 */

export type InstrumentKind =
  | 'counter'
  | 'updowncounter'
  | 'histogram'
  | 'gauge'
  | 'observableGauge'
  | 'observableCounter'
  | 'observableUpDownCounter';

export interface MetricDeclaration {
  /** OTel instrument name, dotted (`action.executions`). */
  readonly name: string;
  readonly kind: InstrumentKind;
  /** UCUM unit: `s`, `By`, or an annotation like `{execution}` (which adds no Prometheus suffix). */
  readonly unit: string;
  readonly description: string;
  /** The only attribute keys the baseline stream keeps. */
  readonly labels: readonly string[];
  /** Explicit histogram bucket boundaries (histograms only). */
  readonly buckets?: readonly number[];
  /** Whether a second `_by_workspace` stream with the workspace label exists. */
  readonly workspaceStream?: boolean;
  /** Series cap for the baseline stream (SDK overflow series beyond it). */
  readonly cardinalityLimit?: number;
}

export const DEFAULT_CARDINALITY_LIMIT = 1_000;
/** Cap for a `_by_workspace` stream: label tuples × (allowlisted + overflow) fits easily. */
export const DEFAULT_WORKSPACE_CARDINALITY_LIMIT = 20_000;

export const WORKSPACE_STREAM_SUFFIX = 'by_workspace';

/** Seconds buckets for latencies from 5 ms to 5 min (OTel's default ms buckets, in seconds, plus long tails). */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300,
];

/** Unit → Prometheus suffix, the same table the collector's translator applies (annotations add none). */
const UNIT_SUFFIXES: Record<string, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  d: 'days',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  '%': 'percent',
  // Dimensionless gauges (utilizations): the collector's translator adds `_ratio`.
  '1': 'ratio',
};

export function unitSuffix(unit: string): string | undefined {
  return UNIT_SUFFIXES[unit];
}

function isMonotonicSum(kind: InstrumentKind): boolean {
  return kind === 'counter' || kind === 'observableCounter';
}

export type StreamKind = 'baseline' | 'workspace';

/**
 * The SDK stream name for a declaration: the Prometheus base name (dots to
 * underscores, `_by_workspace` infix, unit suffix last). Naming the stream so
 * makes both export paths agree: the embedded exporter adds `_total` only, the
 * collector adds `_total` and a unit suffix unless the name already has it.
 */
export function streamName(decl: MetricDeclaration, stream: StreamKind): string {
  const parts = [decl.name.replace(/[^a-zA-Z0-9_]/g, '_')];
  if (stream === 'workspace') parts.push(WORKSPACE_STREAM_SUFFIX);
  const suffix = unitSuffix(decl.unit);
  if (suffix !== undefined && !parts[0]!.split('_').includes(suffix)) parts.push(suffix);
  return parts.join('_');
}

/** The metric family name Prometheus shows (histograms add `_bucket`/`_sum`/`_count` to it). */
export function prometheusName(decl: MetricDeclaration, stream: StreamKind = 'baseline'): string {
  const base = streamName(decl, stream);
  return isMonotonicSum(decl.kind) ? `${base}_total` : base;
}

export function prometheusType(decl: MetricDeclaration): 'counter' | 'gauge' | 'histogram' {
  if (decl.kind === 'histogram') return 'histogram';
  return isMonotonicSum(decl.kind) ? 'counter' : 'gauge';
}

/** Every Prometheus family a declaration yields when the workspace stream is on. */
export function prometheusNames(decl: MetricDeclaration, workspaceOn: boolean): string[] {
  const names = [prometheusName(decl, 'baseline')];
  if (workspaceOn && decl.workspaceStream) names.push(prometheusName(decl, 'workspace'));
  return names;
}
