/**
 * Ops generation with a user's options: `ops generate --config` (JSON or
 * YAML, validated), thresholds, the service selector, the workspace label,
 * dashboard options, and families declared with `declareMetrics`, which get
 * recording rules, an alert, promtool tests and a dashboard like the
 * built-in ones. Every check parses what it reads (YAML, JSON).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_METRICS, declareMetrics } from '../../../src/catalogue/index';
import type { MetricDeclaration } from '../../../src/model/types';
import { run } from '../../../src/cli/main';
import type { CliIo } from '../../../src/cli/io';
import { declaredMetrics } from '../../../src/ops/custom';
import { DASHBOARD_DIR, RULE_FILES, RULE_TEST_FILES, renderArtifacts } from '../../../src/ops/generate';
import { opsOptions, opsOptionsFromConfig } from '../../../src/ops/options';
import { recordingTestsYaml, serviceLabels } from '../../../src/ops/rule-tests';
import { promtoolBinary } from '../../helpers/binaries';
import { catalogueSeries, nameProblems } from './rules-promql';

const ROOT = join(__dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'owm-ops-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const invoiceRenders: MetricDeclaration = {
  name: 'invoice.renders',
  kind: 'counter',
  unit: '{render}',
  description: 'Invoice renders by template and outcome status.',
  labels: ['template', 'status'],
  workspaceStream: true,
};
const invoiceRenderDuration: MetricDeclaration = {
  name: 'invoice.render.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Invoice render time in seconds, by template and outcome status.',
  labels: ['template', 'status'],
  buckets: [0.1, 0.5, 1, 2, 5, 10],
  workspaceStream: true,
};
const invoiceQueueDepth: MetricDeclaration = {
  name: 'invoice.queue.depth',
  kind: 'observableGauge',
  unit: '{invoice}',
  description: 'Invoices waiting to be rendered.',
  labels: ['priority'],
};
declareMetrics(invoiceRenders, invoiceRenderDuration, invoiceQueueDepth);

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface Dashboard {
  uid: string;
  title: string;
  refresh: string;
  time: { from: string };
  tags: string[];
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; query?: string }[] };
}

function io(): CliIo & { out: string; err: string } {
  const captured = { out: '', err: '' };
  return Object.assign(captured, {
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
    env: {},
    stdin: async () => '',
  });
}

const rules = (dir: string, file: string): Rule[] => (parse(readFileSync(join(dir, file), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
const alert = (list: Rule[], name: string): Rule => {
  const found = list.find((r) => r.alert === name);
  if (!found) throw new Error(`no alert ${name}`);
  return found;
};

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(promtoolBinary(), args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const YAML_CONFIG = `# an ops config in YAML
workspaceLabel: tenant_id
runbookUrl: https://runbooks.example.com/RUNBOOK.md
jobs:
  collector: otelcol
thresholds:
  failureRatioHigh: 0.1
  failureRatioCritical: 0.4
  actionP95Seconds: 45
  queueReadyDepth: 250
  httpP95Seconds: 2.5
selectors:
  service: namespace="prod"
dashboards:
  uidPrefix: acme-
  titlePrefix: Acme
  refresh: 1m
  timeFrom: now-6h
metrics:
  - name: billing.charges
    kind: counter
    unit: "{charge}"
    description: Card charges by provider and outcome status.
    labels: [provider, status]
`;

describe('ops generate --config', () => {
  it('renders a YAML config: thresholds, job names, selector, label, runbook, dashboard options and its own families', async () => {
    const config = join(tmp, 'ops.yaml');
    writeFileSync(config, YAML_CONFIG);
    const out = join(tmp, 'yaml-out');
    const cli = io();
    expect(await run(['ops', 'generate', '--config', config, '--out', out], cli), cli.err).toBe(0);
    expect(cli.out).toContain('wrote prometheus/rules/alerts.yml');

    const alerts = rules(out, RULE_FILES.alerts);
    expect(alert(alerts, 'ActionFailureRateHigh').expr).toBe('job:action_executions_failed:ratio_rate5m > 0.1');
    expect(alert(alerts, 'ActionFailureRateHigh').annotations!.summary).toBe('More than 10% of action executions fail.');
    expect(alert(alerts, 'ActionFailureRateCritical').expr).toBe('job:action_executions_failed:ratio_rate5m > 0.4');
    expect(alert(alerts, 'ActionExecutionsSlow').expr).toBe('job:action_duration_seconds:p95_5m > 45');
    expect(alert(alerts, 'QueueBacklog').expr).toBe('job_queue:queue_ready_depth:max > 250');
    expect(alert(alerts, 'QueueBacklogCritical').expr).toBe('job_queue:queue_ready_depth:max > 1000');
    expect(alert(alerts, 'QueueBackendDown').expr).toBe('min by (job, instance, queue, backend) (queue_health_up{namespace="prod"}) == 0');
    expect(alert(alerts, 'HttpLatencyHigh').expr).toBe('job:http_server_request_duration_seconds:p95_5m > 2.5');
    expect(alert(alerts, 'OtelCollectorDown').expr).toBe('up{job="otelcol"} == 0');
    expect(alert(alerts, 'ActionFailureRateHigh').annotations!.runbook_url).toBe('https://runbooks.example.com/RUNBOOK.md#actionfailureratehigh');
    // unchanged defaults stay
    expect(alert(alerts, 'WorkflowExecutionsSlow').expr).toBe('job:workflow_duration_seconds:p95_5m > 120');
    // the config's own family: a failure-rate alert at the configured threshold
    expect(alert(alerts, 'BillingChargesFailureRateHigh')).toMatchObject({
      expr: 'job:billing_charges_failed:ratio_rate5m > 0.1',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: 'More than 10% of billing.charges recordings fail.', runbook_url: 'https://runbooks.example.com/RUNBOOK.md#billingchargesfailureratehigh' },
    });

    const recording = rules(out, RULE_FILES.recording);
    const byName = new Map(recording.map((r) => [r.record!, r.expr]));
    expect(byName.get('workspace:action_executions:rate5m')).toBe('sum by (tenant_id) (rate(action_executions_by_workspace_total{namespace="prod"}[5m]))');
    expect(byName.get('job:billing_charges:rate5m')).toBe('sum by (job) (rate(billing_charges_total{namespace="prod"}[5m]))');
    expect(byName.get('job:billing_charges_failed:ratio_rate5m')).toContain('billing_charges_total{status=~"error|timeout", namespace="prod"}');
    expect(byName.get('job_queue:queue_ready_depth:max')).toBe('max by (job, queue) (queue_ready_depth{namespace="prod"})');
    expect(byName.get('job_queue:queue_depth_failed:delta15m')).toBe('max by (job, queue) (delta(queue_depth{status=~"(?i)failed", namespace="prod"}[15m]))');
    // every raw series a rule reads carries the selector
    for (const rule of recording) for (const m of rule.expr.matchAll(/(?<!["a-z_])([a-z_]+(?:_total|_bucket|_count))\b(\{[^}]*\})?/g)) expect(m[2] ?? '', `${rule.record}: ${m[0]}`).toContain('namespace="prod"');

    const overview = JSON.parse(readFileSync(join(out, DASHBOARD_DIR, 'overview.json'), 'utf8')) as Dashboard;
    expect(overview).toMatchObject({ uid: 'acme-overview', title: 'Acme / Overview', refresh: '1m', time: { from: 'now-6h' }, tags: ['otel-workspace-metrics'] });
    expect(overview.templating.list.find((v) => v.name === 'job')!.query).toBe('label_values(target_info{namespace="prod"}, job)');
    const workspace = JSON.parse(readFileSync(join(out, DASHBOARD_DIR, 'workspace.json'), 'utf8')) as Dashboard;
    expect(workspace.templating.list.find((v) => v.name === 'workspace')!.query).toBe('label_values(action_executions_by_workspace_total{namespace="prod"}, tenant_id)');
    const custom = JSON.parse(readFileSync(join(out, DASHBOARD_DIR, 'custom.json'), 'utf8')) as Dashboard;
    expect(custom.uid).toBe('acme-custom');
    expect(custom.panels.filter((p) => p.type !== 'row').map((p) => p.title)).toEqual(['billing.charges per second', 'billing.charges: failure ratio']);

    // what it wrote passes promtool: config, rules, and the generated tests of the thresholds it was given
    expect(promtool(['check', 'rules', RULE_FILES.recording, RULE_FILES.alerts], out).status).toBe(0);
    const tested = promtool(['test', 'rules', RULE_TEST_FILES.recording, RULE_TEST_FILES.alerts], out);
    expect(tested.status, tested.output).toBe(0);

    // --check: up to date, then one edited file
    const check = io();
    expect(await run(['ops', 'generate', '--config', config, '--out', out, '--check'], check), check.err).toBe(0);
    writeFileSync(join(out, RULE_FILES.alerts), readFileSync(join(out, RULE_FILES.alerts), 'utf8').replace('> 0.1', '> 0.2'));
    const stale = io();
    expect(await run(['ops', 'generate', '--config', config, '--out', out, '--check'], stale)).toBe(1);
    expect(stale.err).toContain(RULE_FILES.alerts);
  }, 400_000);

  it('reads the same options from JSON', async () => {
    const json = join(tmp, 'ops.json');
    writeFileSync(json, JSON.stringify({ thresholds: { httpErrorRatio: 0.02 }, jobs: { embedded: 'apps' } }));
    const out = join(tmp, 'json-out');
    const cli = io();
    expect(await run(['ops', 'generate', '--config', json, '--out', out], cli), cli.err).toBe(0);
    const alerts = rules(out, RULE_FILES.alerts);
    expect(alert(alerts, 'HttpErrorRateHigh').expr).toBe('job:http_server_request_errors:ratio_rate5m > 0.02');
    expect(alert(alerts, 'HttpErrorRateHigh').annotations!.summary).toBe('More than 2% of HTTP requests end in a 5xx response.');
    expect(alert(alerts, 'MetricsEndpointDown').expr).toBe('up{job="apps"} == 0');
  });

  it('refuses an invalid config with one line per problem, naming the field, and writes nothing', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'thresholds:',
        '  failureRatioHigh: 1.5',
        '  queueReadyDepth: -1',
        '  latencyP99: 3',
        'selectors:',
        '  service: "{namespace=prod}"',
        'dashboards:',
        '  uidPrefix: "Bad Prefix"',
        'workspaceLabel: tenant-id',
        'metrics:',
        '  - name: x.y',
        '    kind: sum',
        '    unit: ""',
        '    description: ""',
        '    labels: []',
      ].join('\n'),
    );
    const out = join(tmp, 'bad-out');
    const cli = io();
    expect(await run(['ops', 'generate', '--config', bad, '--out', out], cli)).toBe(1);
    for (const field of ['thresholds.failureRatioHigh', 'thresholds.queueReadyDepth', 'thresholds', 'selectors.service', 'dashboards.uidPrefix', 'workspaceLabel', 'metrics.0.kind']) {
      expect(cli.err, field).toMatch(new RegExp(`^  ${field.replace(/\./g, '\\.')}: `, 'm'));
    }
    expect(cli.err).toContain('latencyP99');
    expect(() => readFileSync(join(out, RULE_FILES.alerts))).toThrow();
    // the critical threshold must stay above the high one
    expect(() => opsOptionsFromConfig({ thresholds: { failureRatioHigh: 0.3 } })).toThrow(/failureRatioCritical: must be above failureRatioHigh \(0.3\)/);
    expect(() => opsOptionsFromConfig({ thresholds: { queueReadyDepth: 2000 } })).toThrow(/queueReadyDepthCritical: must be above queueReadyDepth \(2000\)/);
    expect(opsOptionsFromConfig({ thresholds: { queueReadyDepth: 2000, queueReadyDepthCritical: 2001 } }).thresholds.queueReadyDepthCritical).toBe(2001);
    // not YAML at all
    writeFileSync(bad, 'thresholds: [unclosed');
    expect(await run(['ops', 'generate', '--config', bad, '--out', out], io())).toBe(1);
    // bad command lines are usage errors
    expect(await run(['ops', 'generate', '--bogus'], io())).toBe(2);
    expect(await run(['ops', 'render'], io())).toBe(2);
    expect(await run(['ops'], io())).toBe(2);
  });

  it('--require loads modules whose declareMetrics families get rules, alerts and panels (the built CLI, as users run it)', () => {
    const out = join(tmp, 'require-out');
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'ops', 'generate', '--require', 'test/fixtures/ops-metrics.cjs', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const alerts = rules(out, RULE_FILES.alerts).map((r) => r.alert);
    expect(alerts).toContain('InvoiceRendersFailureRateHigh');
    expect(alerts).toContain('InvoiceRenderDurationFailureRateHigh');
    const custom = JSON.parse(readFileSync(join(out, DASHBOARD_DIR, 'custom.json'), 'utf8')) as Dashboard;
    expect(custom.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['invoice.renders', 'invoice.render.duration']);
  });

  it('checks the committed artifacts: `ops generate --check` in the repository is clean', async () => {
    const cli = io();
    expect(await run(['ops', 'generate', '--out', ROOT, '--check'], cli), cli.err).toBe(0);
  });
});

describe('families declared with declareMetrics', () => {
  const options = opsOptions({ metrics: declaredMetrics() });
  const files = renderArtifacts(options);
  const file = (path: string) => files.get(path)!;

  it('are the declared ones, not the built-in ones', () => {
    expect(declaredMetrics().map((d) => d.name)).toEqual(['invoice.renders', 'invoice.render.duration', 'invoice.queue.depth']);
  });

  it('get recording rules per job and per workspace, an alert, and rules that read only what the catalogue produces', () => {
    const recording = (parse(file(RULE_FILES.recording)) as RuleFile).groups.find((g) => g.name === 'otel-workspace-metrics.custom.rules')!.rules;
    expect(recording.map((r) => r.record)).toEqual([
      'job:invoice_renders:rate5m',
      'job:invoice_renders_failed:ratio_rate5m',
      'workspace:invoice_renders:rate5m',
      'workspace:invoice_renders_failed:ratio_rate5m',
      'job:invoice_render_duration_seconds:rate5m',
      'job:invoice_render_duration_seconds_failed:ratio_rate5m',
      'job:invoice_render_duration_seconds:p50_5m',
      'job:invoice_render_duration_seconds:p95_5m',
      'job:invoice_render_duration_seconds:p99_5m',
      'workspace:invoice_render_duration_seconds:rate5m',
      'workspace:invoice_render_duration_seconds_failed:ratio_rate5m',
      'workspace:invoice_render_duration_seconds:p50_5m',
      'workspace:invoice_render_duration_seconds:p95_5m',
      'workspace:invoice_render_duration_seconds:p99_5m',
    ]);
    expect(recording[0]!.expr).toBe('sum by (job) (rate(invoice_renders_total[5m]))');
    expect(recording[7]!.expr).toBe('histogram_quantile(0.95, sum by (job, le) (rate(invoice_render_duration_seconds_bucket[5m])))');
    const alerts = (parse(file(RULE_FILES.alerts)) as RuleFile).groups.find((g) => g.name === 'otel-workspace-metrics.custom.alerts')!.rules;
    expect(alerts.map((a) => [a.alert, a.expr])).toEqual([
      ['InvoiceRendersFailureRateHigh', 'job:invoice_renders_failed:ratio_rate5m > 0.05'],
      ['InvoiceRenderDurationFailureRateHigh', 'job:invoice_render_duration_seconds_failed:ratio_rate5m > 0.05'],
    ]);
    // the fold share covers their workspace streams
    const fold = (parse(file(RULE_FILES.recording)) as RuleFile).groups.flatMap((g) => g.rules).find((r) => r.record === 'job_metric:workspace_folded:ratio_rate30m')!;
    expect(fold.expr).toContain('label_replace(sum by (job) (rate(invoice_renders_by_workspace_total[30m])), "metric", "invoice_renders_by_workspace_total", "", "")');
    expect(fold.expr).toContain('rate(invoice_render_duration_by_workspace_seconds_count[30m])');
    const known = {
      series: catalogueSeries(options.workspaceLabel, [...BUILTIN_METRICS, ...declaredMetrics()]),
      recorded: new Set((parse(file(RULE_FILES.recording)) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.record!))),
      workspaceLabel: options.workspaceLabel,
    };
    const problems = [...recording, ...alerts].flatMap((r) => nameProblems(r.expr, known));
    expect(problems).toEqual([]);
  });

  it('get a custom metrics dashboard with a row per family', () => {
    const custom = JSON.parse(file(`${DASHBOARD_DIR}/custom.json`)) as Dashboard;
    expect(custom.uid).toBe('owm-custom');
    expect(custom.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['invoice.renders', 'invoice.render.duration', 'invoice.queue.depth']);
    const exprs = custom.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs).toEqual([
      'sum by (status) (rate(invoice_renders_total{job=~"$job"}[$__rate_interval]))',
      'job:invoice_renders_failed:ratio_rate5m{job=~"$job"}',
      'sum by (status) (rate(invoice_render_duration_seconds_count{job=~"$job"}[$__rate_interval]))',
      'job:invoice_render_duration_seconds_failed:ratio_rate5m{job=~"$job"}',
      'job:invoice_render_duration_seconds:p50_5m{job=~"$job"}',
      'job:invoice_render_duration_seconds:p95_5m{job=~"$job"}',
      'job:invoice_render_duration_seconds:p99_5m{job=~"$job"}',
      'max by (job, priority) (invoice_queue_depth{job=~"$job"})',
    ]);
  });

  it('get promtool tests of their rules and alert, which pass (and fail on a wrong expectation)', () => {
    const dir = join(tmp, 'declared');
    for (const [path, content] of files) {
      if (!path.startsWith('prometheus/')) continue;
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    // only the custom families' cases (the built-in ones are run by rules.test.ts)
    const keep = (name: string) => /invoice|Invoice/.test(name);
    for (const path of Object.values(RULE_TEST_FILES)) {
      const tests = parse(file(path)) as { tests: { name: string }[] };
      tests.tests = tests.tests.filter((t) => keep(t.name));
      expect(tests.tests.length, path).toBeGreaterThan(0);
      writeFileSync(join(dir, path), JSON.stringify(tests));
    }
    const ok = promtool(['test', 'rules', ...Object.values(RULE_TEST_FILES)], dir);
    expect(ok.status, ok.output).toBe(0);
    const alerts = parse(file(RULE_TEST_FILES.alerts)) as { tests: { name: string }[] };
    expect(alerts.tests.filter((t) => keep(t.name)).map((t) => t.name)).toEqual([
      'InvoiceRendersFailureRateHigh fires',
      'InvoiceRendersFailureRateHigh stays silent on healthy input',
      'InvoiceRenderDurationFailureRateHigh fires',
      'InvoiceRenderDurationFailureRateHigh stays silent on healthy input',
    ]);
    // a wrong threshold in the rules makes them fail
    writeFileSync(join(dir, RULE_FILES.alerts), file(RULE_FILES.alerts).replace('job:invoice_renders_failed:ratio_rate5m > 0.05', 'job:invoice_renders_failed:ratio_rate5m > 0.5'));
    const broken = promtool(['test', 'rules', RULE_TEST_FILES.alerts], dir);
    expect(broken.status).not.toBe(0);
  }, 300_000);
});

describe('promtool inputs under a service selector (selectors.service)', () => {
  const labels = (service: string) => serviceLabels(opsOptions({ selectors: { service } }));

  it.each([
    ['', {}],
    ['namespace="prod"', { namespace: 'prod' }],
    ['namespace = "prod", team="a-1"', { namespace: 'prod', team: 'a-1' }],
    ['k8s_cluster2="eu/west:1"', { k8s_cluster2: 'eu/west:1' }],
    ['_x="y"', { _x: 'y' }],
    ['env=~"prod|staging"', { env: 'prod' }],
    ['env=~"prod"', { env: 'prod' }],
    ['env =~ "prod|staging", region="eu"', { env: 'prod', region: 'eu' }],
    ['env!="dev"', {}], // matched by series without the label
    ['env!~"dev|test"', {}],
    ['note="a \\"quoted\\" b"', { note: 'a \\"quoted\\" b' }],
    ['a="1",b!="2",c=~"3|4",d!~"5"', { a: '1', c: '3' }],
  ])('%s gives %j', (service, expected) => {
    expect(labels(service)).toEqual(expected);
  });

  it('refuses a regex whose first alternative is not a plain value, naming the matcher', () => {
    expect(() => labels('env=~"prod.*"')).toThrow('selectors.service: cannot build promtool inputs for env=~"prod.*" (use = or a plain first alternative)');
    expect(() => labels('env=~"(a|b)"')).toThrow('selectors.service: cannot build promtool inputs for env=~"(a|b)"');
    expect(labels('env=~"|prod"')).toEqual({ env: '' }); // an empty first alternative is a plain value
  });

  it('adds the labels to catalogue series only, histogram parts included, and leaves others as written', () => {
    const plain = recordingTestsYaml(opsOptions(), []).tests.flatMap((t) => t.input_series);
    const scoped = recordingTestsYaml(opsOptions({ selectors: { service: 'namespace="prod", env=~"a|b"' } }), []).tests.flatMap((t) => t.input_series);
    expect(scoped).toHaveLength(plain.length);
    let changed = 0;
    scoped.forEach((s, i) => {
      const before = plain[i]!;
      expect(s.values).toBe(before.values);
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(before.series)![0];
      const fromCatalogue = catalogueSeries('workspace_id').has(name) || name === 'otel_workspace_metrics_export_failures_total';
      if (!fromCatalogue) return expect(s.series).toBe(before.series);
      changed++;
      const rest = before.series.slice(name.length);
      expect(s.series).toBe(rest.startsWith('{') ? `${name}{namespace="prod", env="a", ${rest.slice(1)}` : `${name}{namespace="prod", env="a"}`);
    });
    expect(changed).toBeGreaterThan(0);
    expect(scoped.some((s) => /_bucket\{namespace="prod", env="a", /.test(s.series))).toBe(true);
  });
});
