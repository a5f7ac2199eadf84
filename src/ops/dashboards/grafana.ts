/**
 * Dashboard specs → Grafana dashboard JSON, typed by Grafana's own model
 * (`@grafana/grafana-foundation-sdk`, generated from Grafana's schema): the
 * dashboard, rows, variables and links are `dashboard.*` types, each panel's
 * options and field config are the plugin's own types (`timeseries`, `stat`,
 * `table`), and targets are `prometheus.Dataquery`. A misspelt or misplaced
 * field is a compile error (object literals are checked for excess fields).
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { OpsOptions } from '../options';
import { ACTION_FAMILY, QUEUE_HEALTH, QUEUE_JOB_FAMILY, series } from '../metrics';
import { DATASOURCE, JOB, type DashboardContext, type DashboardSpec, type PanelSpec, type VariableName } from './panels';

/** A Prometheus query as the panel JSON holds it (the SDK's marker method is not data). */
export type PrometheusTarget = Omit<prometheus.Dataquery, '_implementsDataqueryVariant'>;

/** A panel whose options and field config are those of one panel plugin. */
export type TypedPanel<Type extends string, Options, Custom> = Omit<dashboard.Panel, 'type' | 'targets' | 'options' | 'fieldConfig'> & {
  readonly type: Type;
  readonly targets: PrometheusTarget[];
  readonly options: Options;
  readonly fieldConfig: { defaults: Omit<dashboard.FieldConfig, 'custom'> & { custom?: Custom }; overrides: dashboard.FieldConfigSource['overrides'] };
  readonly transformations?: dashboard.DataTransformerConfig[];
};

export type TimeseriesPanel = TypedPanel<'timeseries', timeseries.Options, timeseries.FieldConfig>;
export type StatPanel = TypedPanel<'stat', stat.Options, never>;
export type TablePanel = TypedPanel<'table', table.Options, never>;
export type DataPanel = TimeseriesPanel | StatPanel | TablePanel;

/** The dashboard model with typed panels. */
export type GrafanaDashboard = Omit<dashboard.Dashboard, 'panels'> & { panels: (DataPanel | dashboard.RowPanel)[] };

type GridPos = dashboard.GridPos;

/** A query variable refreshed with the time range; `all`: several values and an All option (`.*`). */
function queryVariable(name: VariableName, label: string, description: string, query: string, all = true): dashboard.VariableModel {
  return {
    name,
    label,
    description,
    type: dashboard.VariableType.Query,
    datasource: DATASOURCE,
    definition: query,
    query,
    refresh: dashboard.VariableRefresh.OnTimeRangeChanged,
    includeAll: all,
    multi: all,
    ...(all ? { allValue: '.*' } : {}),
    options: [],
    regex: '',
    sort: dashboard.VariableSort.AlphabeticalAsc,
    hide: dashboard.VariableHide.DontHide,
  };
}

function variableJson(name: VariableName, options: OpsOptions, ctx: DashboardContext): dashboard.VariableModel {
  const service = ctx.series.slice(1).join(', ');
  if (name === 'job') {
    const query = `label_values(${service === '' ? 'target_info' : `target_info{${service}}`}, job)`;
    return queryVariable('job', 'Service (job)', 'Services: the collector sets job from service.name; embedded endpoints use their scrape job.', query);
  }
  if (name === 'queue') {
    // Queues of the health collectors and of the job-outcome hooks (a service may run either alone).
    const names = [QUEUE_HEALTH.up, series(QUEUE_JOB_FAMILY.counter)].join('|');
    const query = `label_values({__name__=~"${names}", ${[JOB, service].filter((m) => m !== '').join(', ')}}, queue)`;
    return queryVariable(
      'queue',
      'Queue',
      'Queues the queue-health collectors and job-outcome hooks report (the queue label policy keeps listed names; __other__ folds the rest).',
      query,
    );
  }
  const stream = series(ACTION_FAMILY.counter, 'workspace');
  const query = `label_values(${service === '' ? stream : `${stream}{${service}}`}, ${options.workspaceLabel})`;
  return queryVariable('workspace', 'Workspace', 'Allowlisted workspaces (and __other__, the fold of every other workspace).', query, false);
}

function targetsJson(panel: PanelSpec, instant: boolean): PrometheusTarget[] {
  return panel.targets.map((target, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    editorMode: prometheus.QueryEditorMode.Code,
    expr: target.expr,
    legendFormat: target.legend,
    range: !instant,
    instant,
    ...(instant ? { format: prometheus.PromQueryFormat.Table } : {}),
  }));
}

function fieldDefaults(panel: PanelSpec): Omit<dashboard.FieldConfig, 'custom'> {
  // A min or max left undefined is dropped by JSON.stringify: the written field config has only the ones the panel sets.
  return { unit: panel.unit, min: panel.min, max: panel.max };
}

/** A panel's links to other dashboards: same time range, same `$job`. */
function panelLinks(panel: PanelSpec, ctx: DashboardContext): { links?: dashboard.DashboardLink[] } {
  if (!panel.links?.length) return {};
  return {
    links: panel.links.map((link) => ({
      title: link.title,
      type: dashboard.DashboardLinkType.Link,
      icon: 'dashboard',
      tooltip: '',
      url: `/d/${ctx.uid(link.dashboard)}?\${__url_time_range}&\${job:queryparam}`,
      tags: [],
      asDropdown: false,
      targetBlank: false,
      includeVars: false,
      keepTime: false,
    })),
  };
}

function panelJson(panel: PanelSpec, id: number, gridPos: GridPos, ctx: DashboardContext): DataPanel {
  const common_ = { id, title: panel.title, description: panel.description, datasource: DATASOURCE, gridPos, ...panelLinks(panel, ctx) };
  if (panel.type === 'stat') {
    const stat: StatPanel = {
      ...common_,
      type: 'stat',
      fieldConfig: { defaults: fieldDefaults(panel), overrides: [] },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: common.BigValueColorMode.Value,
        graphMode: common.BigValueGraphMode.Area,
        justifyMode: common.BigValueJustifyMode.Auto,
        orientation: common.VizOrientation.Auto,
        textMode: common.BigValueTextMode.Auto,
        wideLayout: true,
        showPercentChange: false,
        percentChangeColorMode: common.PercentChangeColorMode.Standard,
      },
      targets: targetsJson(panel, false),
    };
    return stat;
  }
  if (panel.type === 'table') {
    const tablePanel: TablePanel = {
      ...common_,
      type: 'table',
      fieldConfig: { defaults: fieldDefaults(panel), overrides: [] },
      options: { frameIndex: 0, showHeader: true, cellHeight: common.TableCellHeight.Sm, footer: { show: false, reducer: ['sum'], countRows: false } },
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }],
      targets: targetsJson(panel, true),
    };
    return tablePanel;
  }
  const timeseriesPanel: TimeseriesPanel = {
    ...common_,
    type: 'timeseries',
    fieldConfig: {
      defaults: {
        ...fieldDefaults(panel),
        custom: { drawStyle: common.GraphDrawStyle.Line, lineWidth: 1, fillOpacity: 10, showPoints: common.VisibilityMode.Never, spanNulls: false },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: common.LegendDisplayMode.List, placement: common.LegendPlacement.Bottom, showLegend: true, calcs: [] },
      tooltip: { mode: common.TooltipDisplayMode.Multi, sort: common.SortOrder.Descending },
    },
    targets: targetsJson(panel, false),
  };
  return timeseriesPanel;
}

/** Panels flow left to right in rows of 24 columns, 8 high; each row spec starts with a row panel. */
function layout(spec: DashboardSpec, ctx: DashboardContext): (DataPanel | dashboard.RowPanel)[] {
  const panels: (DataPanel | dashboard.RowPanel)[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    const h = 8;
    const defaultWidth = row.panels.length === 4 ? 6 : row.panels.length === 2 ? 12 : 8;
    for (const panel of row.panels) {
      const w = panel.width ?? defaultWidth;
      if (x + w > 24) {
        x = 0;
        y += h;
      }
      panels.push(panelJson(panel, id++, { x, y, w, h }, ctx));
      x += w;
    }
    y += h;
  }
  return panels;
}

export function dashboardJson(spec: DashboardSpec, ctx: DashboardContext): GrafanaDashboard {
  const { options } = ctx;
  const tag = options.dashboards.tag;
  const datasourceVariable: dashboard.VariableModel = {
    name: 'datasource',
    label: 'Data source',
    type: dashboard.VariableType.Datasource,
    query: 'prometheus',
    options: [],
    regex: '',
    refresh: dashboard.VariableRefresh.OnDashboardLoad,
    hide: dashboard.VariableHide.DontHide,
    includeAll: false,
    multi: false,
  };
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: spec.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: dashboard.DashboardCursorSync.Crosshair,
    id: null,
    links: [
      {
        asDropdown: true,
        icon: 'external link',
        includeVars: true,
        keepTime: true,
        tags: [tag],
        targetBlank: false,
        title: options.dashboards.titlePrefix,
        tooltip: '',
        type: dashboard.DashboardLinkType.Dashboards,
      },
    ],
    panels: layout(spec, ctx),
    refresh: options.dashboards.refresh,
    schemaVersion: 39,
    tags: [tag],
    templating: { list: [datasourceVariable, ...spec.variables.map((name) => variableJson(name, options, ctx))] },
    time: { from: options.dashboards.timeFrom, to: 'now' },
    timepicker: {},
    timezone: '',
    title: spec.title,
    uid: spec.uid,
    version: 1,
    weekStart: '',
  };
}
