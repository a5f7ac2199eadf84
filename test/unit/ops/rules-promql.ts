/**
 * A deliberately simple PromQL reader for the artifact tests: which metric
 * names, functions and label names an expression (a rule or a Grafana panel
 * target) refers to, and whether each one is something the catalogue (or a
 * recording rule, or the collector/Prometheus itself) produces. Not a parser:
 * strings, matchers, grouping clauses and ranges are cut out first, then
 * every remaining identifier is either a function call, a keyword or a
 * metric name. Unknown functions are errors, so new syntax fails loudly
 * instead of being misread as a metric.
 */
import { BUILTIN_METRICS } from '../../../src/catalogue/index';
import { prometheusName, prometheusType, type MetricDeclaration } from '../../../src/model/types';

const FUNCTIONS = new Set([
  // aggregations
  'sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values',
  // functions
  'abs', 'absent', 'absent_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'day_of_month', 'day_of_week',
  'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'holt_winters', 'hour', 'idelta', 'increase',
  'irate', 'label_join', 'label_replace', 'ln', 'log2', 'log10', 'minute', 'month', 'predict_linear', 'rate', 'resets',
  'round', 'scalar', 'sgn', 'sort', 'sort_desc', 'sqrt', 'time', 'timestamp', 'vector', 'year', 'avg_over_time',
  'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'quantile_over_time', 'stddev_over_time',
  'stdvar_over_time', 'last_over_time', 'present_over_time',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);
/** Range functions over counters (a gauge here is a bug) and over gauges. */
const COUNTER_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'resets']);
const GAUGE_FUNCTIONS = new Set(['delta', 'idelta', 'deriv', 'predict_linear']);
/** Gauges that only grow while a process lives: resets() over them counts restarts (src/ops/rules-runtime.ts). */
const GROWING_GAUGES = new Set(['process_uptime_seconds']);

export interface Reference {
  metrics: string[];
  functions: string[];
  /** label names per selector: [metric name or '', labels] */
  selectors: [string, string[]][];
  /** label names in by/without/on/ignoring/group_left/group_right clauses */
  groupingLabels: string[];
  /** [function, metric] for range functions applied directly to a metric selector */
  rangeCalls: [string, string][];
}

export function references(expression: string): Reference {
  const out: Reference = { metrics: [], functions: [], selectors: [], groupingLabels: [], rangeCalls: [] };
  let expr = expression
    // strings (label values, label_replace arguments, Grafana variables inside them)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  for (const m of expr.matchAll(/\b([a-z_]+)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*\[/g)) out.rangeCalls.push([m[1]!, m[2]!]);
  expr = expr.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_all, name: string | undefined, body: string) => {
    const labels = [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    out.selectors.push([name ?? '', labels]);
    return name ? ` ${name} ` : ' ';
  });
  expr = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _kw: string, body: string) => {
    out.groupingLabels.push(...body.split(',').map((s) => s.trim()).filter(Boolean));
    return ' ';
  });
  expr = expr
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ')
    .replace(/(?<![a-zA-Z0-9_:.])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, ' ');
  for (const m of expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const name = m[0].replace(/\s*\($/, '');
    if (m[1]) out.functions.push(name);
    else if (!KEYWORDS.has(name)) out.metrics.push(name);
  }
  for (const [name] of out.selectors) if (name !== '' && !out.metrics.includes(name)) out.metrics.push(name);
  return out;
}

export interface KnownNames {
  /** Prometheus series names → the label keys they carry besides job/instance. */
  readonly series: ReadonlyMap<string, { labels: readonly string[]; type: 'counter' | 'gauge' | 'histogram-part' }>;
  /** Recording rule names defined in the repo. */
  readonly recorded: ReadonlySet<string>;
  readonly workspaceLabel: string;
}

const promLabel = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_');

/** Every series the catalogue produces (workspace streams on), with their labels. */
export function catalogueSeries(workspaceLabel: string, decls: readonly MetricDeclaration[] = BUILTIN_METRICS): Map<string, { labels: readonly string[]; type: 'counter' | 'gauge' | 'histogram-part' }> {
  const map = new Map<string, { labels: readonly string[]; type: 'counter' | 'gauge' | 'histogram-part' }>();
  for (const decl of decls) {
    const streams: ['baseline' | 'workspace', string[]][] = [['baseline', decl.labels.map(promLabel)]];
    if (decl.workspaceStream) streams.push(['workspace', [...decl.labels.map(promLabel), workspaceLabel]]);
    for (const [stream, labels] of streams) {
      const name = prometheusName(decl, stream);
      const type = prometheusType(decl);
      if (type === 'histogram') {
        map.set(`${name}_bucket`, { labels: [...labels, 'le'], type: 'histogram-part' });
        map.set(`${name}_count`, { labels, type: 'histogram-part' });
        map.set(`${name}_sum`, { labels, type: 'histogram-part' });
      } else map.set(name, { labels, type });
    }
  }
  return map;
}

/** Prometheus's own and the collector's series: names accepted without a catalogue declaration. */
export function isExternalSeries(name: string): boolean {
  return name === 'up' || name === 'target_info' || /^otelcol_[a-z_]+$/.test(name);
}

/** Labels a recording rule keeps, from its level (`job_cache` → job, cache; `workspace` → the workspace label). */
export function recordedLabels(record: string, workspaceLabel: string): string[] {
  const level = record.split(':')[0]!;
  return level.split('_').map((part) => (part === 'workspace' ? workspaceLabel : part));
}

/** Problems with the names an expression uses; empty when every name is produced by something in the repo. */
export function nameProblems(expression: string, known: KnownNames): string[] {
  const problems: string[] = [];
  let refs: Reference;
  try {
    refs = references(expression);
  } catch (error) {
    return [`cannot read: ${(error as Error).message}`];
  }
  for (const fn of refs.functions) if (!FUNCTIONS.has(fn)) problems.push(`unknown function ${fn}()`);
  const allLabels = new Set<string>(['job', 'instance', 'le', 'metric', 'exporter', 'receiver', 'transport', known.workspaceLabel]);
  for (const { labels } of known.series.values()) for (const l of labels) allLabels.add(l);
  for (const metric of refs.metrics) {
    if (known.series.has(metric) || known.recorded.has(metric) || isExternalSeries(metric)) continue;
    problems.push(`${metric} is neither produced by the catalogue nor a recording rule`);
  }
  for (const [name, labels] of refs.selectors) {
    const allowed = known.series.get(name)?.labels ?? (known.recorded.has(name) ? recordedLabels(name, known.workspaceLabel) : undefined);
    if (allowed === undefined) continue;
    for (const label of labels) {
      if (label === 'job' || label === 'instance' || label === '__name__') continue;
      if (!allowed.includes(label)) problems.push(`${name} has no label ${label} (it has ${allowed.join(', ') || 'none'})`);
    }
  }
  for (const label of refs.groupingLabels) if (!allLabels.has(label)) problems.push(`no metric has a label ${label}`);
  for (const [fn, metric] of refs.rangeCalls) {
    const type = known.series.get(metric)?.type;
    if (COUNTER_FUNCTIONS.has(fn) && type === 'gauge' && !(fn === 'resets' && GROWING_GAUGES.has(metric))) problems.push(`${fn}() over gauge ${metric}`);
    if (GAUGE_FUNCTIONS.has(fn) && (type === 'counter' || type === 'histogram-part')) problems.push(`${fn}() over counter ${metric}`);
  }
  return problems;
}
