/**
 * The rules, alerts and dashboard row of an application's own families
 * (OpsOptions.metrics), rendered in-process and compared whole against
 * expressions written here: a counter with status and a workspace stream, a
 * histogram in seconds with status, one in bytes, one in another unit with a
 * workspace stream, and gauges with and without labels besides `status`.
 * Their generated promtool cases pass, families without `status` included
 * (rules-options.test.ts renders families with status through `ops generate`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { MetricDeclaration } from '../../../src/model/types';
import { dashboardSpecs } from '../../../src/ops/dashboards';
import { RULE_TEST_FILES, renderArtifacts } from '../../../src/ops/generate';
import { opsOptions } from '../../../src/ops/options';
import { alertGroups, recordingRuleGroups } from '../../../src/ops/rules';
import { promtoolBinary } from '../../helpers/binaries';

const invoices: MetricDeclaration = { name: 'billing.invoices', kind: 'counter', unit: '{invoice}', description: 'Invoices.', labels: ['status', 'plan.tier'], workspaceStream: true };
const latency: MetricDeclaration = { name: 'billing.latency', kind: 'histogram', unit: 's', description: 'Latency.', labels: ['status'], buckets: [1] };
const payload: MetricDeclaration = { name: 'billing.payload', kind: 'histogram', unit: 'By', description: 'Payload.', labels: ['kind'], buckets: [1024] };
const pages: MetricDeclaration = { name: 'billing.pages', kind: 'histogram', unit: '{page}', description: 'Pages.', labels: [], buckets: [1], workspaceStream: true };
const backlog: MetricDeclaration = { name: 'billing.backlog', kind: 'observableGauge', unit: '{invoice}', description: 'Backlog.', labels: ['status', 'region'] };
const open: MetricDeclaration = { name: 'billing.open', kind: 'observableGauge', unit: '{invoice}', description: 'Open.', labels: [] };

const OPTIONS = opsOptions({ metrics: [invoices, latency, payload, pages, backlog, open], workspaceLabel: 'tenant_id', thresholds: { failureRatioHigh: 0.08 } });

const rate = (by: string, series: string, matcher = '') => `sum by (${by}) (rate(${series}${matcher}[5m]))`;
const ratio = (by: string, series: string) => ['(', `  ${rate(by, series, '{status=~"error|timeout"}')}`, 'or', `  ${rate(by, series)} * 0`, ')', '/', rate(by, series)].join('\n');
const quantiles = (level: string, by: string, metric: string, buckets: string) =>
  ['0.5', '0.95', '0.99'].map((q) => ({ record: `${level}:${metric}:p${Math.round(Number(q) * 100)}_5m`, expr: `histogram_quantile(${q}, sum by (${by}, le) (rate(${buckets}[5m])))` }));

describe('custom families', () => {
  it('get rates per job and per workspace, failure ratios with status, quantiles of histograms; gauges get none', () => {
    const group = recordingRuleGroups(OPTIONS).find((g) => g.name === 'otel-workspace-metrics.custom.rules');
    expect(group?.rules).toStrictEqual([
      { record: 'job:billing_invoices:rate5m', expr: rate('job', 'billing_invoices_total') },
      { record: 'job:billing_invoices_failed:ratio_rate5m', expr: ratio('job', 'billing_invoices_total') },
      { record: 'workspace:billing_invoices:rate5m', expr: rate('tenant_id', 'billing_invoices_by_workspace_total') },
      { record: 'workspace:billing_invoices_failed:ratio_rate5m', expr: ratio('tenant_id', 'billing_invoices_by_workspace_total') },
      { record: 'job:billing_latency_seconds:rate5m', expr: rate('job', 'billing_latency_seconds_count') },
      { record: 'job:billing_latency_seconds_failed:ratio_rate5m', expr: ratio('job', 'billing_latency_seconds_count') },
      ...quantiles('job', 'job', 'billing_latency_seconds', 'billing_latency_seconds_bucket'),
      { record: 'job:billing_payload_bytes:rate5m', expr: rate('job', 'billing_payload_bytes_count') },
      ...quantiles('job', 'job', 'billing_payload_bytes', 'billing_payload_bytes_bucket'),
      { record: 'job:billing_pages:rate5m', expr: rate('job', 'billing_pages_count') },
      ...quantiles('job', 'job', 'billing_pages', 'billing_pages_bucket'),
      { record: 'workspace:billing_pages:rate5m', expr: rate('tenant_id', 'billing_pages_by_workspace_count') },
      ...quantiles('workspace', 'tenant_id', 'billing_pages', 'billing_pages_by_workspace_bucket'),
    ]);
  });

  it('get one FailureRateHigh alert per family with status, at the configured threshold', () => {
    const group = alertGroups(OPTIONS).find((g) => g.name === 'otel-workspace-metrics.custom.alerts');
    const alert = (name: string, family: string, metric: string) => ({
      alert: `${name}FailureRateHigh`,
      expr: `job:${metric}_failed:ratio_rate5m > 0.08`,
      for: '10m',
      severity: 'warning',
      summary: `More than 8% of ${family} recordings fail.`,
      description: `{{ $value | humanizePercentage }} of ${family} recordings in {{ $labels.job }} ended in error or timeout over the last 5 minutes.`,
    });
    expect(group?.rules).toStrictEqual([alert('BillingInvoices', 'billing.invoices', 'billing_invoices'), alert('BillingLatency', 'billing.latency', 'billing_latency_seconds')]);
  });

  it('without families: no custom rule group, alert group or dashboard', () => {
    const options = opsOptions();
    expect(recordingRuleGroups(options).map((g) => g.name)).not.toContain('otel-workspace-metrics.custom.rules');
    expect(alertGroups(options).map((g) => g.name)).not.toContain('otel-workspace-metrics.custom.alerts');
    expect(dashboardSpecs(options).map((d) => d.file)).not.toContain('custom.json');
  });

  it('get a row each on the Custom metrics dashboard: rate by status (or job), failure ratio, percentiles in their unit, gauges by their labels', () => {
    const spec = dashboardSpecs(OPTIONS).find((d) => d.file === 'custom.json');
    expect(spec && { ...spec, rows: undefined }).toStrictEqual({
      uid: 'owm-custom',
      title: 'Workspace metrics / Custom metrics',
      description: 'The metric families this application declares itself (declareMetrics), per service.',
      file: 'custom.json',
      variables: ['job'],
      rows: undefined,
    });
    const perSecond = (name: string, description: string, by: string, series: string) => ({
      title: `${name} per second`,
      description: `${description} Recordings per second by ${by} (${series}).`,
      unit: 'ops',
      targets: [{ expr: `sum by (${by}) (rate(${series}{job=~"$job"}[$__rate_interval]))`, legend: `{{${by}}}` }],
    });
    const failureRatio = (name: string, metric: string) => ({
      title: `${name}: failure ratio`,
      description: `Share of ${name} recordings with status error or timeout over 5 minutes (recording rule job:${metric}_failed:ratio_rate5m).`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [{ expr: `job:${metric}_failed:ratio_rate5m{job=~"$job"}`, legend: '{{job}}' }],
    });
    const percentiles = (name: string, metric: string, unit: string) => ({
      title: `${name}: percentiles`,
      description: `p50, p95 and p99 over 5 minutes (recording rules job:${metric}:p95_5m and siblings).`,
      unit,
      targets: ['p50', 'p95', 'p99'].map((p) => ({ expr: `job:${metric}:${p}_5m{job=~"$job"}`, legend: `${p} {{job}}` })),
    });
    expect(spec?.rows).toStrictEqual([
      {
        title: 'billing.invoices',
        panels: [perSecond('billing.invoices', 'Invoices.', 'status', 'billing_invoices_total'), failureRatio('billing.invoices', 'billing_invoices')],
      },
      {
        title: 'billing.latency',
        panels: [
          perSecond('billing.latency', 'Latency.', 'status', 'billing_latency_seconds_count'),
          failureRatio('billing.latency', 'billing_latency_seconds'),
          percentiles('billing.latency', 'billing_latency_seconds', 's'),
        ],
      },
      { title: 'billing.payload', panels: [perSecond('billing.payload', 'Payload.', 'job', 'billing_payload_bytes_count'), percentiles('billing.payload', 'billing_payload_bytes', 'bytes')] },
      { title: 'billing.pages', panels: [perSecond('billing.pages', 'Pages.', 'job', 'billing_pages_count'), percentiles('billing.pages', 'billing_pages', 'short')] },
      {
        title: 'billing.backlog',
        panels: [
          {
            title: 'billing.backlog',
            description: 'Backlog. (billing_backlog; the highest replica per job, region).',
            unit: 'short',
            targets: [{ expr: 'max by (job, region) (billing_backlog{job=~"$job"})', legend: '{{job}} {{region}}' }],
          },
        ],
      },
      {
        title: 'billing.open',
        panels: [{ title: 'billing.open', description: 'Open. (billing_open; the highest replica per job).', unit: 'short', targets: [{ expr: 'max by (job) (billing_open{job=~"$job"})', legend: '{{job}}' }] }],
      },
    ]);
  });

  it('fold into the workspace fold share: one label_replace per custom workspace stream', () => {
    const fold = recordingRuleGroups(OPTIONS)
      .flatMap((g) => g.rules)
      .find((r) => r.record === 'job_metric:workspace_folded:ratio_rate30m')!.expr;
    const lines = fold.split('\n');
    expect(lines.slice(-3)).toStrictEqual([
      '  or label_replace(sum by (job) (rate(billing_invoices_by_workspace_total[30m])), "metric", "billing_invoices_by_workspace_total", "", "")',
      '  or label_replace(sum by (job) (rate(billing_pages_by_workspace_count[30m])), "metric", "billing_pages_by_workspace", "", "")',
      ')',
    ]);
    expect(fold).not.toMatch(/billing_(latency|payload|backlog|open)/);
  });

  it('get promtool cases of their rules and alerts that pass, families without status included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'owm-custom-ops-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const files = renderArtifacts(OPTIONS);
    for (const [path, content] of files) {
      if (!path.startsWith('prometheus/')) continue;
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    // only the custom families' cases (the built-in ones are run by rules.test.ts)
    const names: Record<string, string[]> = {};
    for (const [kind, path] of Object.entries(RULE_TEST_FILES)) {
      const tests = parse(files.get(path)!) as { tests: { name: string }[] };
      tests.tests = tests.tests.filter((t) => /billing|Billing/.test(t.name));
      names[kind] = tests.tests.map((t) => t.name);
      writeFileSync(join(dir, path), JSON.stringify(tests));
    }
    expect(names).toStrictEqual({
      recording: ['billing.invoices', 'billing.latency', 'billing.payload', 'billing.pages'].map((name) => `recording rules: custom family ${name}`),
      alerts: ['BillingInvoices', 'BillingLatency'].flatMap((name) => [`${name}FailureRateHigh fires`, `${name}FailureRateHigh stays silent on healthy input`]),
    });
    const result = spawnSync(promtoolBinary(), ['test', 'rules', ...Object.values(RULE_TEST_FILES)], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  }, 180_000);
});
