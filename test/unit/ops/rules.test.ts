/**
 * The Prometheus artifacts under prometheus/: generated from the catalogue
 * and up to date, valid for promtool, unit-tested by promtool (every alert
 * firing and silent, every recording rule with expected samples), named by
 * the conventions, linked to an existing runbook section, and referring only
 * to metrics the catalogue produces.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promtoolBinary } from '../../helpers/binaries';
import { opsOptions, runbookAnchor } from '../../../src/ops/options';
import { PROMETHEUS_CONFIG_FILE, REGENERATE_OPS_COMMAND, RULE_FILES, RULE_TEST_FILES, renderArtifacts } from '../../../src/ops/generate';
import { alertGroups, recordingRuleGroups } from '../../../src/ops/rules';
import { alertTestSpecs, alertTestsYaml, recordingTestsYaml } from '../../../src/ops/rule-tests';
import { toYaml } from '../../../src/ops/yaml';
import { parse } from 'yaml';
import { staleArtifacts } from '../../helpers/artifacts';
import { catalogueSeries, nameProblems, references, type KnownNames } from './rules-promql';

const ROOT = join(__dirname, '..', '..', '..');
const OPTIONS = opsOptions();
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface RuleEntry {
  kind: 'record' | 'alert';
  name: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Rules of a rule file, parsed. */
function ruleEntries(text: string): RuleEntry[] {
  const file = parse(text) as { groups: { rules: { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] };
  return file.groups.flatMap((g) =>
    g.rules.map((r) => ({ kind: r.record !== undefined ? ('record' as const) : ('alert' as const), name: (r.record ?? r.alert)!, expr: r.expr, for: r.for, labels: r.labels, annotations: r.annotations })),
  );
}

interface PromtoolTests {
  tests: {
    name: string;
    alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[] }[];
    promql_expr_test?: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[];
  }[];
}

function known(): KnownNames {
  const recorded = new Set(ruleEntries(read(RULE_FILES.recording)).map((r) => r.name));
  const series = catalogueSeries(OPTIONS.workspaceLabel);
  return { series, recorded, workspaceLabel: OPTIONS.workspaceLabel };
}

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(promtoolBinary(), args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('prometheus/ artifacts', () => {
  it('are the generated output of src/ops (regenerate after changing the catalogue or the rules)', () => {
    const rendered = renderArtifacts(OPTIONS);
    const files = [...rendered.keys()].filter((path) => path.startsWith('prometheus/'));
    expect(files.sort()).toEqual([PROMETHEUS_CONFIG_FILE, RULE_FILES.alerts, RULE_FILES.recording, RULE_TEST_FILES.alerts, RULE_TEST_FILES.recording].sort());
    if (process.env.UPDATE_OPS === '1') for (const path of files) writeFileSync(join(ROOT, path), rendered.get(path)!);
    const stale = staleArtifacts(rendered, files);
    expect(stale, `out of date with the catalogue/src/ops; regenerate: ${REGENERATE_OPS_COMMAND}`).toEqual([]);
  });

  it('pass `promtool check config` and `promtool check rules`', () => {
    const config = promtool(['check', 'config', 'prometheus.yml'], join(ROOT, 'prometheus'));
    expect(config.status, config.output).toBe(0);
    expect(config.output).toMatch(/SUCCESS: 2 rule files found/);
    const rules = promtool(['check', 'rules', ...Object.values(RULE_FILES)], ROOT);
    expect(rules.status, rules.output).toBe(0);
    const total = recordingRuleGroups(OPTIONS).flatMap((g) => g.rules).length + alertGroups(OPTIONS).flatMap((g) => g.rules).length;
    const found = [...rules.output.matchAll(/SUCCESS: (\d+) rules found/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(found).toBe(total);
  });

  it('pass their `promtool test rules` unit tests', () => {
    const result = promtool(['test', 'rules', ...Object.values(RULE_TEST_FILES)], ROOT);
    expect(result.status, result.output).toBe(0);
    expect(result.output.match(/SUCCESS/g)?.length).toBe(Object.keys(RULE_TEST_FILES).length);
  }, 300_000);

  it('promtool tests fail on a wrong expectation (the harness can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'owm-rules-'));
    try {
      cpSync(join(ROOT, 'prometheus', 'rules'), join(dir, 'rules'), { recursive: true });
      mkdirSync(join(dir, 'tests'));
      // a recording rule expected one sample too high, an alert expected with the wrong description
      const recording = recordingTestsYaml(OPTIONS, ['../rules/recording.yml']);
      recording.tests = recording.tests.slice(0, 1);
      const firstSample = recording.tests[0]!.promql_expr_test[0]!.exp_samples[0]!;
      firstSample.value += 1;
      writeFileSync(join(dir, 'tests', 'recording.yaml'), toYaml(recording));
      const alerts = alertTestsYaml(OPTIONS, ['../rules/recording.yml', '../rules/alerts.yml']);
      alerts.tests = alerts.tests.slice(0, 2);
      const firing = alerts.tests[0]!.alert_rule_test[0]!.exp_alerts[0]!;
      firing.exp_annotations.description += ' (wrong)';
      writeFileSync(join(dir, 'tests', 'alerts.yaml'), toYaml(alerts));
      const result = promtool(['test', 'rules', 'tests/recording.yaml', 'tests/alerts.yaml'], dir);
      expect(result.status).not.toBe(0);
      expect(result.output.match(/FAILED/g)?.length).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cover every alert with a firing and a silent promtool case, and every recording rule with expected samples', () => {
    const alerts = ruleEntries(read(RULE_FILES.alerts)).filter((r) => r.kind === 'alert');
    const records = ruleEntries(read(RULE_FILES.recording)).filter((r) => r.kind === 'record');
    expect(alerts.length).toBe(alertGroups(OPTIONS).flatMap((g) => g.rules).length);
    expect(records.length).toBe(recordingRuleGroups(OPTIONS).flatMap((g) => g.rules).length);

    // Test cases, parsed: per alert, a case that expects it (with labels and annotations) and one that expects nothing.
    const cases = (parse(read(RULE_TEST_FILES.alerts)) as PromtoolTests).tests.flatMap((t) => t.alert_rule_test ?? []);
    const firing = new Set(cases.filter((c) => c.exp_alerts.length > 0 && c.exp_alerts.every((a) => a.exp_labels && a.exp_annotations)).map((c) => c.alertname));
    const silent = new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname));
    for (const alert of alerts) {
      expect(firing, `${alert.name}: no promtool case where it fires`).toContain(alert.name);
      expect(silent, `${alert.name}: no promtool case where it stays silent`).toContain(alert.name);
    }
    const exprTests = (parse(read(RULE_TEST_FILES.recording)) as PromtoolTests).tests.flatMap((t) => t.promql_expr_test ?? []);
    for (const rule of records) {
      const test = exprTests.find((t) => t.expr === rule.name);
      expect(test, `${rule.name}: no promql_expr_test`).toBeDefined();
      expect(test!.exp_samples.length, `${rule.name}: no expected samples`).toBeGreaterThan(0);
      for (const sample of test!.exp_samples) expect(sample.labels.startsWith(`${rule.name}{`), sample.labels).toBe(true);
    }
    // and the specs behind them: exactly the alerts that exist
    expect(Object.keys(alertTestSpecs(OPTIONS)).sort()).toEqual(alerts.map((a) => a.name).sort());
  });

  it('follow the naming conventions: level:metric:operations records, CamelCase alerts with severity, summary, description, runbook_url', () => {
    const records = ruleEntries(read(RULE_FILES.recording));
    const alerts = ruleEntries(read(RULE_FILES.alerts));
    expect(new Set(records.map((r) => r.name)).size).toBe(records.length);
    expect(new Set(alerts.map((r) => r.name)).size).toBe(alerts.length);
    for (const record of records) expect(record.name).toMatch(/^[a-z]+(?:_[a-z]+)*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/);
    expect(records.map((r) => r.name)).toContain('workspace:action_executions:rate5m');
    for (const alert of alerts) {
      expect(alert.name).toMatch(/^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/);
      expect(['critical', 'warning', 'info'], alert.name).toContain(alert.labels?.severity);
      expect(alert.for, alert.name).toMatch(/^\d+[smh]$/);
      const summary = alert.annotations?.summary ?? '';
      const description = alert.annotations?.description ?? '';
      expect(summary, `${alert.name} summary`).not.toBe('');
      expect(summary, `${alert.name}: the summary is static`).not.toMatch(/\{\{/);
      expect(description, `${alert.name}: the description is templated`).toMatch(/\{\{ \$(labels|value)/);
      expect(alert.annotations?.runbook_url, alert.name).toBe(`${OPTIONS.runbookUrl}#${runbookAnchor(alert.name)}`);
    }
  });

  it('link every alert to an existing section of docs/RUNBOOK.md, and the runbook documents no alert that does not exist', () => {
    const runbook = read('docs/RUNBOOK.md');
    const anchors = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => runbookAnchor(m[1]!)));
    const alerts = ruleEntries(read(RULE_FILES.alerts));
    for (const alert of alerts) {
      const url = alert.annotations!.runbook_url!;
      const anchor = url.split('#')[1]!;
      expect(anchors, `${alert.name}: ${url} has no section in docs/RUNBOOK.md`).toContain(anchor);
    }
    const documented = [...runbook.matchAll(/^### ([A-Z][A-Za-z0-9]+)$/gm)].map((m) => m[1]!);
    expect(documented.sort()).toEqual(alerts.map((a) => a.name).sort());
  });

  it('refer only to metrics the catalogue produces (with their declared labels), recording rules, or Prometheus/collector series', () => {
    const names = known();
    const problems: string[] = [];
    let checked = 0;
    for (const file of Object.values(RULE_FILES)) {
      for (const rule of ruleEntries(read(file))) {
        expect(rule.expr, `${rule.name} has an expr`).not.toBe('');
        for (const problem of nameProblems(rule.expr, names)) problems.push(`${file} ${rule.name}: ${problem}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(50);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('the name check fails on a renamed metric, a wrong label, an unknown function and rate() over a gauge', () => {
    const names = known();
    expect(nameProblems('sum by (job) (rate(action_execution_total[5m]))', names)).toEqual([
      'action_execution_total is neither produced by the catalogue nor a recording rule',
    ]);
    expect(nameProblems('sum(rate(action_executions_total{integration="google"}[5m]))', names)[0]).toMatch(/has no label integration/);
    expect(nameProblems('sum by (tenant) (rate(action_executions_total[5m]))', names)).toEqual(['no metric has a label tenant']);
    expect(nameProblems('rate(queue_ready_depth[5m])', names)).toEqual(['rate() over gauge queue_ready_depth']);
    expect(nameProblems('histogramquantile(0.9, x_bucket)', names)).toContain('unknown function histogramquantile()');
    expect(nameProblems('job:action_executions:rate9m > 1', names)).toEqual(['job:action_executions:rate9m is neither produced by the catalogue nor a recording rule']);
    // and reads what it must: functions, keywords, offsets, strings and numbers are not metrics
    expect(
      references('label_replace(sum by (job) (rate(x_total{a="b"}[5m] offset 1h)), "metric", "y_total", "", "") > 1.5 * scalar(time())').metrics,
    ).toEqual(['x_total']);
  });

  it('render a workspace label other than workspace_id (METRICS_WORKSPACE_LABEL_NAME) into every per-workspace rule', () => {
    const tenant = opsOptions({ workspaceLabel: 'tenant_id' });
    const records = recordingRuleGroups(tenant).flatMap((g) => g.rules).filter((r) => r.record.startsWith('workspace:'));
    expect(records.length).toBeGreaterThan(0);
    for (const rule of records) {
      expect(rule.expr).toContain('by (tenant_id');
      expect(rule.expr).not.toContain('workspace_id');
    }
    const dir = mkdtempSync(join(tmpdir(), 'owm-tenant-'));
    try {
      const rendered = renderArtifacts(tenant);
      for (const [path, content] of rendered) {
        if (!path.startsWith('prometheus/')) continue;
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      const result = promtool(['test', 'rules', ...Object.values(RULE_TEST_FILES)], dir);
      expect(result.status, result.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
