/**
 * What the dashboards are made of: panel, row and dashboard specs (the
 * queries and how to show them), the context each dashboard is built in
 * (options, matchers, uid and title), and the panel builders the dashboards
 * share. grafana.ts turns specs into Grafana's typed dashboard model.
 */
import type { MetricDeclaration } from '../../model/types';
import type { OpsOptions } from '../options';
import { bucket, series, type ExecutionFamily } from '../metrics';
import { quantile, rate, selector, sumBy } from '../promql';
import { QUANTILES, recorded } from '../rules';

export const RATE_INTERVAL = '$__rate_interval';
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Grafana unit ids used by the panels. */
export type Unit = 'ops' | 'reqps' | 'percentunit' | 's' | 'short' | 'bytes';

export interface TargetSpec {
  readonly expr: string;
  readonly legend: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: Unit;
  readonly targets: readonly TargetSpec[];
  readonly type?: 'timeseries' | 'stat' | 'table';
  readonly width?: number;
  readonly min?: number;
  readonly max?: number;
  /** Links to other dashboards (their short names: `runtime` → the Runtime dashboard), keeping the time range and `$job`. */
  readonly links?: readonly PanelLink[];
}

export interface PanelLink {
  readonly title: string;
  /** The dashboard's short name (DashboardContext.uid of it is the target). */
  readonly dashboard: string;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export type VariableName = 'job' | 'queue' | 'workspace';

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly file: string;
  readonly variables: readonly VariableName[];
  readonly rows: readonly RowSpec[];
}

/** The `$job` variable as a matcher. */
export const JOB = 'job=~"$job"';
/** The `$queue` variable as a matcher; its All value (`.*`) also matches series without a queue label. */
export const QUEUE = 'queue=~"$queue"';
export const pct = (q: number) => `p${Math.round(q * 100)}`;

/** What every dashboard is built from. */
export interface DashboardContext {
  readonly options: OpsOptions;
  /** Matchers for raw service series: `$job` and the user's service selector (OpsOptions.selectors.service). */
  readonly series: readonly string[];
  /** A dashboard's uid from its short name (`overview` → `owm-overview`). */
  uid(name: string): string;
  /** A dashboard's title from its short title (`Overview` → `Workspace metrics / Overview`). */
  title(name: string): string;
}

export function dashboardContext(options: OpsOptions): DashboardContext {
  const service = options.selectors.service.trim();
  return {
    options,
    series: service === '' ? [JOB] : [JOB, service],
    uid: (name) => `${options.dashboards.uidPrefix}${name}`,
    title: (name) => `${options.dashboards.titlePrefix} / ${name}`,
  };
}

// ---- shared panel builders ---------------------------------------------------

export function executionsPanel(family: ExecutionFamily, stream: 'baseline' | 'workspace', matchers: readonly string[], groupBy: string[], legend: string): PanelSpec {
  return {
    title: `${capitalize(family.noun)} per second`,
    description: `${capitalize(family.noun)} per second by ${groupBy.join(', ')} (${series(family.counter, stream)}).`,
    unit: 'ops',
    targets: [{ expr: sumBy(groupBy, rate(selector(series(family.counter, stream), matchers), RATE_INTERVAL)), legend }],
  };
}

export function failureRatioPanel(family: ExecutionFamily, level: 'job' | 'workspace', matcher: string, legend: string): PanelSpec {
  return {
    title: `${capitalize(family.noun)}: failure ratio`,
    description: `Share of ${family.noun} ending in error or timeout over 5 minutes (recording rule ${recorded.failureRatio(level, family)}).`,
    unit: 'percentunit',
    min: 0,
    max: 1,
    targets: [{ expr: selector(recorded.failureRatio(level, family), [matcher]), legend }],
  };
}

export function percentilesPanel(family: ExecutionFamily, level: 'job' | 'workspace', matcher: string, legendSuffix: string): PanelSpec {
  return {
    title: `${capitalize(family.noun)}: duration percentiles`,
    description: `p50, p95 and p99 of ${family.noun} durations over 5 minutes (recording rules ${recorded.quantile(level, family, 0.95)} and siblings).`,
    unit: 's',
    targets: QUANTILES.map((q) => ({ expr: selector(recorded.quantile(level, family, q), [matcher]), legend: `${pct(q)}${legendSuffix}` })),
  };
}

export function quantileByPanel(title: string, description: string, decl: MetricDeclaration, stream: 'baseline' | 'workspace', matchers: readonly string[], groupBy: string[], legend: string, unit: Unit = 's', quantiles: readonly number[] = [0.95]): PanelSpec {
  return {
    title,
    description,
    unit,
    targets: quantiles.map((q) => ({
      expr: quantile(q, groupBy, selector(bucket(decl, stream), matchers), RATE_INTERVAL),
      legend: quantiles.length > 1 ? `${pct(q)} ${legend}`.trim() : legend,
    })),
  };
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
