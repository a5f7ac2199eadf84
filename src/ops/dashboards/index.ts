/**
 * Grafana dashboards, built from the catalogue declarations and the
 * recording-rule names, one file per dashboard: overview, workspace
 * drill-down, queue & lease health, HTTP, resilience, dependencies (caches,
 * database, message bus, sessions), runtime (event loop, heap, GC, process) and, when the application declares
 * families of its own, custom metrics. Conventions: a fixed `uid` per
 * dashboard, a `$datasource` variable of type datasource (no `${DS_...}`
 * import inputs), every panel and target on `${datasource}`, a unit on every
 * panel, `$__rate_interval` in every rate.
 */
import type { OpsOptions } from '../options';
import { customDashboard } from './custom';
import { dependenciesDashboard } from './dependencies';
import { dashboardJson, type GrafanaDashboard } from './grafana';
import { httpDashboard } from './http';
import { overviewDashboard } from './overview';
import { dashboardContext, type DashboardSpec } from './panels';
import { queueDashboard } from './queue';
import { resilienceDashboard } from './resilience';
import { runtimeDashboard } from './runtime';
import { workspaceDashboard } from './workspace';

export type { DashboardSpec, PanelSpec, RowSpec, TargetSpec } from './panels';
export type { GrafanaDashboard } from './grafana';

export function dashboardSpecs(options: OpsOptions): DashboardSpec[] {
  const ctx = dashboardContext(options);
  const custom = customDashboard(ctx);
  return [
    overviewDashboard(ctx),
    workspaceDashboard(ctx),
    queueDashboard(ctx),
    httpDashboard(ctx),
    resilienceDashboard(ctx),
    dependenciesDashboard(ctx),
    runtimeDashboard(ctx),
    ...(custom ? [custom] : []),
  ];
}

/** Every dashboard: file name → Grafana dashboard model. */
export function dashboards(options: OpsOptions): Map<string, GrafanaDashboard> {
  const ctx = dashboardContext(options);
  return new Map(dashboardSpecs(options).map((spec) => [spec.file, dashboardJson(spec, ctx)]));
}
