/**
 * The Grafana artifacts under grafana/: generated and up to date, every
 * dashboard structurally sound (fixed unique uid, title, a datasource
 * variable, every panel and target on `${datasource}`, a unit on every
 * panel, `$__rate_interval` in every range, no `${DS_...}` import inputs),
 * every query referring only to metrics the catalogue produces or recording
 * rules defined in the repo, and provisioning files that point at them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionDuration } from '../../../src/catalogue/actions';
import { dashboards } from '../../../src/ops/dashboards';
import { quantileByPanel } from '../../../src/ops/dashboards/panels';
import { opsOptions } from '../../../src/ops/options';
import { DASHBOARD_DIR, GRAFANA_DASHBOARD_PATH, GRAFANA_DASHBOARD_PROVIDER_FILE, GRAFANA_DATASOURCE_FILE, REGENERATE_OPS_COMMAND, RULE_FILES, renderArtifacts } from '../../../src/ops/generate';
import { DEFAULT_PROMETHEUS_CONFIG } from '../../../src/ops/prometheus-config';
import { staleArtifacts } from '../../helpers/artifacts';
import { catalogueSeries, nameProblems, references } from './rules-promql';

const ROOT = join(__dirname, '..', '..', '..');
const OPTIONS = opsOptions();
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  definition?: string;
  datasource?: { type?: string; uid?: string };
}
interface Dashboard {
  uid?: string;
  title?: string;
  id?: unknown;
  panels?: Panel[];
  templating?: { list?: Variable[] };
  __inputs?: unknown;
}

function dashboardFiles(): [string, Dashboard][] {
  const dir = join(ROOT, DASHBOARD_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Dashboard]);
}

function dataPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

/** The structural rules of this repo's dashboards; returns what breaks them (empty when sound). */
function dashboardProblems(dashboard: Dashboard, raw: string): string[] {
  const problems: string[] = [];
  if (typeof dashboard.uid !== 'string' || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(dashboard.uid)) problems.push(`uid ${String(dashboard.uid)} is not a fixed short id`);
  if (typeof dashboard.title !== 'string' || dashboard.title === '') problems.push('no title');
  if (dashboard.id !== null && dashboard.id !== undefined) problems.push('id must be null (Grafana assigns it)');
  if (dashboard.__inputs !== undefined || raw.includes('${DS_')) problems.push('uses ${DS_...} import inputs instead of the $datasource variable');
  const variables = dashboard.templating?.list ?? [];
  const datasource = variables.find((v) => v.name === 'datasource');
  if (!datasource || datasource.type !== 'datasource' || datasource.query !== 'prometheus') problems.push('no $datasource variable of type datasource (prometheus)');
  for (const variable of variables) {
    if (variable.type === 'query' && variable.datasource?.uid !== '${datasource}') problems.push(`variable $${variable.name} is not on \${datasource}`);
  }
  const defined = new Set(variables.map((v) => v.name));
  const ids = new Set<number>();
  const cells = new Set<string>();
  for (const panel of dashboard.panels ?? []) {
    if (typeof panel.id !== 'number' || ids.has(panel.id)) problems.push(`panel "${panel.title}" has a missing or duplicate id`);
    else ids.add(panel.id);
    const g = panel.gridPos;
    if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) problems.push(`panel "${panel.title}" has a bad gridPos`);
    else
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          if (cells.has(cell)) problems.push(`panel "${panel.title}" overlaps another at ${cell}`);
          cells.add(cell);
        }
  }
  const panels = dataPanels(dashboard);
  if (panels.length === 0) problems.push('no panels');
  for (const panel of panels) {
    const name = `panel "${panel.title}"`;
    if (!panel.title) problems.push('a panel has no title');
    const unit = panel.fieldConfig?.defaults?.unit;
    if (typeof unit !== 'string' || unit === '') problems.push(`${name} has no unit (fieldConfig.defaults.unit)`);
    if (panel.datasource?.uid !== '${datasource}' || panel.datasource?.type !== 'prometheus') problems.push(`${name} is not on \${datasource}`);
    if (!panel.targets || panel.targets.length === 0) problems.push(`${name} has no targets`);
    const refIds = new Set<string>();
    for (const target of panel.targets ?? []) {
      if (target.datasource?.uid !== '${datasource}') problems.push(`${name} target ${target.refId} is not on \${datasource}`);
      if (!target.refId || refIds.has(target.refId)) problems.push(`${name} has a missing or duplicate refId`);
      refIds.add(target.refId ?? '');
      const expr = target.expr ?? '';
      if (expr.trim() === '') problems.push(`${name} target ${target.refId} has no expr`);
      // no fixed windows: they are wrong at some zoom level or scrape interval
      for (const m of expr.matchAll(/\[([^\]]*)\]/g)) if (!['$__rate_interval', '$__range'].includes(m[1]!)) problems.push(`${name}: range [${m[1]}] instead of [$__rate_interval]`);
      for (const m of expr.matchAll(/\b(i?rate|increase)\s*\([^[]*\[([^\]]*)\]/g)) if (m[2] !== '$__rate_interval') problems.push(`${name}: ${m[1]}() over [${m[2]}] instead of [$__rate_interval]`);
      for (const m of expr.matchAll(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)/g)) {
        if (!m[1]!.startsWith('__') && !defined.has(m[1]!)) problems.push(`${name} uses $${m[1]} but the dashboard defines no such variable`);
      }
    }
  }
  return problems;
}

describe('grafana/ artifacts', () => {
  it('are the generated output of src/ops (regenerate after changing the catalogue or the dashboards)', () => {
    const rendered = renderArtifacts(OPTIONS);
    const files = [...rendered.keys()].filter((path) => path.startsWith('grafana/'));
    const onDisk = readdirSync(join(ROOT, DASHBOARD_DIR)).map((f) => `${DASHBOARD_DIR}/${f}`);
    expect(onDisk.sort(), 'a dashboard file that is not generated').toEqual(files.filter((f) => f.startsWith(DASHBOARD_DIR)).sort());
    const stale = staleArtifacts(rendered, files);
    expect(stale, `out of date with the catalogue/src/ops; regenerate: ${REGENERATE_OPS_COMMAND}`).toEqual([]);
  });

  it('are structurally sound dashboards with unique fixed uids and titles', () => {
    const files = dashboardFiles();
    expect(files.map(([, d]) => d.uid).sort()).toEqual(['owm-dependencies', 'owm-http', 'owm-overview', 'owm-queue', 'owm-resilience', 'owm-runtime', 'owm-workspace']);
    expect(new Set(files.map(([, d]) => d.title)).size).toBe(files.length);
    let panels = 0;
    let targets = 0;
    for (const [file, dashboard] of files) {
      expect(dashboardProblems(dashboard, read(`${DASHBOARD_DIR}/${file}`)), file).toEqual([]);
      panels += dataPanels(dashboard).length;
      targets += dataPanels(dashboard).flatMap((p) => p.targets ?? []).length;
    }
    console.log(`dashboards: ${files.length} dashboards, ${panels} panels, ${targets} targets`);
    expect(panels).toBeGreaterThanOrEqual(60);
  });

  it('the structural check fails on a panel without a unit, a fixed range, a ${DS_} input and a foreign datasource', () => {
    const [file, dashboard] = dashboardFiles()[0]!;
    const raw = read(`${DASHBOARD_DIR}/${file}`);
    const broken = JSON.parse(raw) as Dashboard;
    const panel = dataPanels(broken)[0]!;
    delete panel.fieldConfig!.defaults!.unit;
    panel.targets![0]!.expr = 'sum(rate(action_executions_total[5m]))';
    panel.targets![0]!.datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    const problems = dashboardProblems(broken, JSON.stringify(broken)).join('\n');
    expect(problems).toMatch(/has no unit/);
    expect(problems).toMatch(/range \[5m\] instead of \[\$__rate_interval\]/);
    expect(problems).toMatch(/DS_/);
    expect(problems).toMatch(/is not on \$\{datasource\}/);
    expect(dashboardProblems({ ...dashboard, uid: undefined }, raw)).toContain('uid undefined is not a fixed short id');
  });

  it('has a workspace drill-down with $workspace from label_values(action_executions_by_workspace_total, workspace_id)', () => {
    const workspace = dashboardFiles().find(([, d]) => d.uid === 'owm-workspace')![1];
    const variable = workspace.templating!.list!.find((v) => v.name === 'workspace')!;
    expect(variable.type).toBe('query');
    expect(typeof variable.query === 'string' ? variable.query : variable.query?.query).toBe('label_values(action_executions_by_workspace_total, workspace_id)');
    expect(variable.definition).toBe('label_values(action_executions_by_workspace_total, workspace_id)');
    const exprs = dataPanels(workspace).flatMap((p) => (p.targets ?? []).map((t) => t.expr!));
    expect(exprs.filter((e) => e.includes(`${OPTIONS.workspaceLabel}="$workspace"`)).length).toBeGreaterThanOrEqual(10);
  });

  it('query only metrics the catalogue produces (with their declared labels), recording rules of the repo, or Prometheus/collector series', () => {
    const recorded = new Set((parse(read(RULE_FILES.recording)) as { groups: { rules: { record: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.record)));
    expect(recorded.size).toBeGreaterThan(30);
    const known = { series: catalogueSeries(OPTIONS.workspaceLabel), recorded, workspaceLabel: OPTIONS.workspaceLabel };
    const problems: string[] = [];
    const used = new Set<string>();
    for (const [file, dashboard] of dashboardFiles()) {
      for (const panel of dataPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          for (const problem of nameProblems(target.expr!, known)) problems.push(`${file} "${panel.title}": ${problem}`);
          for (const metric of references(target.expr!).metrics) used.add(metric);
        }
      }
      for (const variable of dashboard.templating?.list ?? []) {
        const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
        const m = query ? /^label_values\((.+),\s*(\w+)\)$/.exec(query) : null;
        if (m) for (const problem of nameProblems(`count by (${m[2]}) (${m[1]})`, known)) problems.push(`${file} $${variable.name}: ${problem}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
    // Every family of the catalogue appears on some dashboard or in some rule (a new family needs panels).
    const strip = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    const families = new Set([...used].map(strip));
    const rulesText = read(RULE_FILES.recording) + read(RULE_FILES.alerts);
    const missing = [...catalogueSeries(OPTIONS.workspaceLabel).keys()]
      .map(strip)
      .filter((name) => !name.includes('_by_workspace') && !families.has(name) && !rulesText.includes(name));
    expect([...new Set(missing)], 'catalogue families shown on no dashboard and used by no recording rule').toEqual([]);
  });

  it('link panels only to dashboards that exist, keeping the time range and $job; the Overview links its Runtime row to the Runtime dashboard', () => {
    const files = dashboardFiles();
    const uids = new Set(files.map(([, d]) => (d as { uid?: string }).uid));
    const linked: [string, string, string][] = [];
    for (const [file, dashboard] of files) {
      for (const panel of dataPanels(dashboard)) {
        for (const link of (panel as { links?: { url?: string; type?: string }[] }).links ?? []) {
          const m = /^\/d\/([a-z0-9-]+)\?\$\{__url_time_range\}&\$\{job:queryparam\}$/.exec(link.url ?? '');
          expect(m, `${file} / ${panel.title}: ${link.url}`).not.toBeNull();
          expect(uids, `${file} / ${panel.title} links to ${m![1]}`).toContain(m![1]);
          linked.push([file, panel.title!, m![1]!]);
        }
      }
    }
    const overviewToRuntime = linked.filter(([file, , uid]) => file === 'overview.json' && uid === 'owm-runtime').map(([, title]) => title);
    expect(overviewToRuntime.sort()).toEqual(['Highest heap used / heap limit', 'Highest resident memory (RSS)', 'Process restarts in 30 minutes', 'Worst event loop delay (p99, 5m average)']);
  });

  it('provisions a Prometheus datasource and the dashboards directory', () => {
    const datasource = parse(read(GRAFANA_DATASOURCE_FILE)) as { apiVersion: number; datasources: { type: string; uid: string; jsonData: { timeInterval: string } }[] };
    expect(datasource.apiVersion).toBe(1);
    expect(datasource.datasources).toHaveLength(1);
    expect(datasource.datasources[0]).toMatchObject({ type: 'prometheus', jsonData: { timeInterval: DEFAULT_PROMETHEUS_CONFIG.scrapeInterval } });
    const provider = parse(read(GRAFANA_DASHBOARD_PROVIDER_FILE)) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers).toHaveLength(1);
    expect(provider.providers[0]).toMatchObject({ type: 'file', options: { path: GRAFANA_DASHBOARD_PATH } });
  });

  it('put the service selector (OpsOptions.selectors.service, trimmed) into the variables and every raw series query; a blank one is no selector', () => {
    const prod = dashboards(opsOptions({ selectors: { service: '  namespace="prod"  ' } }));
    const query = (file: string, name: string, rendered = prod) => {
      const variable = (rendered.get(file) as Dashboard).templating!.list!.find((v) => v.name === name)!;
      return typeof variable.query === 'string' ? variable.query : variable.query?.query;
    };
    expect(query('overview.json', 'job')).toBe('label_values(target_info{namespace="prod"}, job)');
    expect(query('queue.json', 'queue')).toBe('label_values({__name__=~"queue_health_up|queue_jobs_total", job=~"$job", namespace="prod"}, queue)');
    expect(query('workspace.json', 'workspace')).toBe('label_values(action_executions_by_workspace_total{namespace="prod"}, workspace_id)');
    const overview = dataPanels(prod.get('overview.json') as Dashboard);
    expect(overview.find((p) => p.title === 'Slowest actions (p95)')!.targets![0]!.expr).toBe(
      'histogram_quantile(0.95, sum by (provider, action, le) (rate(action_duration_seconds_bucket{job=~"$job", namespace="prod"}[$__rate_interval])))',
    );
    // recording rules carry no service labels: their panels are not narrowed
    expect(overview.find((p) => p.title === 'Action executions: failure ratio')!.targets![0]!.expr).toBe('job:action_executions_failed:ratio_rate5m{job=~"$job"}');
    // without a selector the queue variable lists $job alone
    const plain = dashboards(opsOptions());
    expect(query('queue.json', 'queue', plain)).toBe('label_values({__name__=~"queue_health_up|queue_jobs_total", job=~"$job"}, queue)');
    expect(JSON.stringify([...dashboards(opsOptions({ selectors: { service: ' \t ' } }))])).toBe(JSON.stringify([...plain]));
  });

  it('quantile panels with several quantiles prefix each legend with its percentile, without a trailing space when the legend is empty', () => {
    const panel = quantileByPanel('Actions', 'p50 and p95.', actionDuration, 'baseline', ['job=~"$job"'], ['job'], '', 's', [0.5, 0.95]);
    expect(panel.targets.map((t) => t.legend)).toStrictEqual(['p50', 'p95']);
    expect(quantileByPanel('Actions', 'p95.', actionDuration, 'baseline', [], [], '').targets).toStrictEqual([
      { expr: 'histogram_quantile(0.95, sum by (le) (rate(action_duration_seconds_bucket[$__rate_interval])))', legend: '' },
    ]);
  });
});
