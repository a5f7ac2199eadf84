/**
 * Every dashboard query and every recording rule, against live data: a
 * service touching every metric family (test/fixtures/ops-app.cjs, with a
 * Postgres run queue) exports through the real collector; a second service
 * is scraped on its embedded endpoint; a real Prometheus runs the repo's
 * scrape configuration (prometheus/prometheus.yml, with this test's ports and
 * 1s intervals) and loads the rules. Each panel target, each variable query
 * and each recording rule must succeed, return data, AND show the value the
 * fixture's workload implies (dashboards-live-expectations.ts): ratios,
 * rates per fixture round, quantiles of the durations it cycles through,
 * exact gauges. The application also declares families of its own
 * (test/fixtures/ops-metrics.cjs): the rules and dashboards are rendered with
 * them (a "Custom metrics" dashboard, their rules and alerts), so they are
 * checked the same way.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsOptions } from '../../src/ops/options';
import { renderArtifacts } from '../../src/ops/generate';
import { PANEL_EXPECTATIONS, QUEUE_FAILED_ADDED, QUEUE_FAILED_BEFORE, forQueue, ruleExpectation, valueProblems } from './dashboards-live-expectations';
import { prometheusConfig } from '../../src/ops/prometheus-config';
import { recordingRuleGroups, alertGroups } from '../../src/ops/rules';
import { toYaml } from '../../src/ops/yaml';
import { DASHBOARD_DIR, RULE_FILES } from '../../src/ops/generate';
import type { MetricDeclaration } from '../../src/model/types';
import { prometheusBinary } from '../helpers/binaries';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { RUNS_TABLE, startPostgres, type PostgresCluster } from '../helpers/postgres';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { startTenantService, type Service } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');
// The families test/fixtures/ops-metrics.cjs declares (it is CommonJS: load it the way the fixture does).
const CUSTOM = createRequire(__filename)('../fixtures/ops-metrics.cjs') as { invoiceRenders: MetricDeclaration; invoiceRenderDuration: MetricDeclaration };
const OPTIONS = opsOptions({ metrics: [CUSTOM.invoiceRenders, CUSTOM.invoiceRenderDuration] });
/** The rules and dashboards under test: the repo's, rendered with the application's own families. */
const ARTIFACTS = renderArtifacts(OPTIONS);
/** The fixture service whose workload the values follow. */
const APP_JOB = 'ops-app';
const ALLOWLIST = ['ws-0000', 'ws-0001', 'ws-0002'];
/** The workspace substituted for `$workspace`: allowlisted, and recorded by the fixture. */
const WORKSPACE = 'ws-0001';
/** Rates need two samples in the window: 1s scrapes, 30s windows. */
const RATE_INTERVAL = '30s';

interface Target {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

interface ApiResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

interface Panel {
  type: string;
  title: string;
  targets?: { refId: string; expr: string }[];
}

interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

function dashboards(): Dashboard[] {
  return [...ARTIFACTS].filter(([path]) => path.startsWith(`${DASHBOARD_DIR}/`)).map(([, content]) => JSON.parse(content) as Dashboard);
}

/** Grafana's variables, as a user with `$workspace` = an allowlisted id and `$job`, `$queue` = All would see them. */
function substitute(expr: string, job = '.*', queue = '.*'): string {
  const out = expr
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replaceAll('$__range', '1h')
    .replaceAll('$__interval', '15s')
    .replaceAll('$workspace', WORKSPACE)
    .replaceAll('$job', job)
    .replaceAll('$queue', queue);
  if (out.includes('$')) throw new Error(`unsubstituted variable in ${expr}`);
  return out;
}

/** `label_values(metric, label)` → a PromQL query with the same answer set. */
function variableQuery(query: string): string {
  const match = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query.trim());
  if (!match) throw new Error(`unsupported variable query ${query}`);
  return `count by (${match[2]}) (${match[1]})`;
}

function hostPort(url: string): string {
  return new URL(url).host;
}

async function api(base: string, path: string): Promise<unknown> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  return response.json();
}

async function instant(base: string, expr: string): Promise<ApiResult> {
  return (await api(base, `/api/v1/query?query=${encodeURIComponent(expr)}`)) as ApiResult;
}

/** Non-empty, and not only NaN (a quantile over no observations). */
function hasData(result: ApiResult): boolean {
  if (result.status !== 'success' || !result.data) return false;
  if (result.data.resultType === 'scalar') return Number.isFinite(Number((result.data.result as unknown as [number, string])[1]));
  return result.data.result.some((sample) => !Number.isNaN(Number(sample.value[1])));
}

describe('dashboards and recording rules on live data', () => {
  let postgres: PostgresCluster;
  let collector: RunningCollector;
  let prometheus: Tracked;
  let promUrl: string;
  let app: Tracked;
  let embedded: Service;
  let tmp: string;
  const targets: Target[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'owm-ops-'));
    for (const [path, content] of ARTIFACTS) {
      if (!path.startsWith('prometheus/rules/')) continue;
      mkdirSync(join(tmp, 'rules'), { recursive: true });
      writeFileSync(join(tmp, 'rules', path.split('/').pop()!), content);
    }
    postgres = await startPostgres();
    await postgres.query(`${RUNS_TABLE}
      INSERT INTO runs (status, run_at, queued_at, lease_expires_at) VALUES
        ('QUEUED',  now() - interval '1 minute', now() - interval '10 minutes', NULL),
        ('QUEUED',  now() - interval '1 minute', now() - interval '2 minutes',  NULL),
        ('QUEUED',  now() + interval '1 hour',   now(),                         NULL),
        ('RUNNING', now() - interval '5 minutes', now() - interval '6 minutes', now() - interval '1 minute'),
        ('RUNNING', now() - interval '1 minute', now() - interval '2 minutes',  now() + interval '5 minutes'),
        ('DONE',    now() - interval '1 hour',   now() - interval '1 hour',     NULL);
      -- a queue column: the rows above are queue emails; queue reports (see QUEUE_EXPECTATIONS)
      ALTER TABLE runs ADD COLUMN queue text NOT NULL DEFAULT 'emails';
      INSERT INTO runs (queue, status, run_at, queued_at, lease_expires_at) VALUES
        ('reports', 'QUEUED',  now() - interval '1 minute', now() - interval '1 minute', NULL),
        ('reports', 'RUNNING', now() - interval '1 minute', now() - interval '1 minute', now() + interval '1 hour');
      INSERT INTO runs (queue, status, run_at, queued_at) SELECT 'reports', 'FAILED', now() - interval '1 hour', now() - interval '1 hour' FROM generate_series(1, ${QUEUE_FAILED_BEFORE});
    `);

    // Remote write to an endpoint nobody listens on: the collector's export-failure metrics are live.
    const deadPort = await freePort();
    collector = await startCollector({
      allowlist: ALLOWLIST,
      configs: ['config.yaml', 'config.remotewrite.yaml'],
      env: { OTELCOL_REMOTE_WRITE_URL: `http://127.0.0.1:${deadPort}/api/v1/write` },
    });
    const embeddedPort = await freePort();

    // The repo's scrape configuration with this test's targets, 1s intervals and the repo's rule files.
    const config = prometheusConfig(OPTIONS, {
      targets: {
        collector: [collector.prometheusTarget],
        collectorTelemetry: [hostPort(collector.telemetryUrl)],
        embedded: [`127.0.0.1:${embeddedPort}`],
      },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles: [join(tmp, 'rules', RULE_FILES.recording.split('/').pop()!), join(tmp, 'rules', RULE_FILES.alerts.split('/').pop()!)],
    });
    writeFileSync(join(tmp, 'prometheus.yml'), toYaml(config));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawnTracked(
      prometheusBinary(),
      [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { cwd: tmp },
    );
    await waitFor(() => httpText(`${promUrl}/-/ready`), 30_000, 'Prometheus to be ready').catch((error: Error) => {
      throw new Error(`${error.message}\n${prometheus.output().slice(-4000)}`);
    });

    const allowlistFile = join(tmp, 'allowlist.txt');
    writeFileSync(allowlistFile, `# the same ids as the env list\n${ALLOWLIST.join('\n')}\n`);
    app = spawnTracked(process.execPath, ['--require', join(ROOT, 'test', 'fixtures', 'ops-metrics.cjs'), '--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'ops-app.cjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        OTEL_SERVICE_NAME: 'ops-app',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
        METRICS_WORKSPACE_ALLOWLIST_FILE: allowlistFile,
        FIXTURE_WORKSPACES: [...ALLOWLIST, 'ws-9001', 'ws-9002'].join(','),
        FIXTURE_PG_URL: postgres.url(),
        FIXTURE_PG_QUEUE_COLUMN: 'queue',
        FIXTURE_CUSTOM_METRICS: '1',
      },
    });
    await waitFor(
      () => {
        if (app.child.exitCode !== null) throw new Error(`ops-app exited ${app.child.exitCode}:\n${app.output()}`);
        return app.output().includes('READY ') || undefined;
      },
      30_000,
      'the ops fixture to start',
    );
    embedded = await startTenantService({
      OTEL_SERVICE_NAME: 'embedded-tenant-app',
      OTEL_METRICS_EXPORTER: 'prometheus',
      METRICS_PORT: String(embeddedPort),
      METRICS_WORKSPACE_LABEL: 'on',
      // only ws-0000: its start-up burst of ws-0001 recordings folds into __other__, so ws-0001 holds ops-app's workload alone
      METRICS_WORKSPACE_ALLOWLIST: 'ws-0000',
      FIXTURE_WORKSPACES: '50',
    });

    // Failed jobs pile up in queue reports 10 s after Prometheus holds the first ones (QueueFailedJobsGrowing, the 15m delta rule).
    const failedSeries = `queue_depth{job="${APP_JOB}", queue="reports", status="FAILED"}`;
    await waitFor(async () => (await instant(promUrl, `${failedSeries} == ${QUEUE_FAILED_BEFORE}`)).data?.result.length || undefined, 60_000, 'Prometheus to hold the first failed runs');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await postgres.query(`INSERT INTO runs (queue, status, run_at, queued_at) SELECT 'reports', 'FAILED', now(), now() FROM generate_series(1, ${QUEUE_FAILED_ADDED})`);
    await waitFor(async () => (await instant(promUrl, `job_queue_status:queue_depth:max{job="${APP_JOB}", queue="reports", status="FAILED"} == ${QUEUE_FAILED_BEFORE + QUEUE_FAILED_ADDED}`)).data?.result.length || undefined, 60_000, 'the added failed runs to be recorded');

    for (const dashboard of dashboards()) {
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) targets.push({ dashboard: dashboard.uid, panel: panel.title, refId: target.refId, expr: target.expr });
      }
    }
    // Wait until every panel has data (rates need a few scrapes), then the tests look once more.
    await waitFor(
      async () => {
        for (const target of targets) if (!hasData(await instant(promUrl, substitute(target.expr)))) return undefined;
        return true;
      },
      90_000,
      'every dashboard query to return data',
    ).catch(() => undefined);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([app?.stop(), embedded?.process.stop()]);
    await prometheus?.stop();
    await collector?.stop();
    await postgres?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('answers every dashboard panel target with data', async () => {
    expect(targets.length).toBeGreaterThan(60);
    const failures: string[] = [];
    for (const target of targets) {
      const expr = substitute(target.expr);
      const result = await instant(promUrl, expr);
      if (result.status !== 'success') failures.push(`${target.dashboard} / ${target.panel}: ${result.error}\n  ${expr}`);
      else if (!hasData(result)) failures.push(`${target.dashboard} / ${target.panel}: no data\n  ${expr}`);
    }
    console.log(`dashboards: ${targets.length} panel targets checked against live Prometheus, ${failures.length} failed`);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('answers every dashboard variable query with values, $workspace including the allowlisted id', async () => {
    let checked = 0;
    for (const dashboard of dashboards()) {
      for (const variable of dashboard.templating.list) {
        if (variable.type !== 'query') continue;
        const query = typeof variable.query === 'string' ? variable.query : variable.query!.query;
        const result = await instant(promUrl, variableQuery(substitute(query)));
        expect(result.status, `${dashboard.uid} $${variable.name}`).toBe('success');
        // label_values lists the label's values: series without the label (queue jobs recorded without a queue) add none
        const values = result.data!.result.map((r) => Object.values(r.metric)[0]).filter((value) => value !== undefined);
        expect(values.length, `${dashboard.uid} $${variable.name}: ${query}`).toBeGreaterThan(0);
        if (variable.name === 'workspace') {
          expect(values).toContain(WORKSPACE);
          for (const value of values) expect([...ALLOWLIST, '__other__'], 'workspace values stay within the allowlist').toContain(value);
        }
        if (variable.name === 'job') expect(values).toEqual(expect.arrayContaining(['ops-app', OPTIONS.jobs.embedded]));
        if (variable.name === 'queue') expect(values.sort()).toEqual(['emails', 'reports']);
        checked++;
      }
    }
    console.log(`dashboards: ${checked} variable queries checked`);
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('loads the repo rule files: every rule healthy, every recording rule expression and recorded series with data', async () => {
    const body = (await api(promUrl, '/api/v1/rules')) as {
      data: { groups: { name: string; file: string; rules: { type: string; name: string; query: string; health: string; lastError?: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    const recording = rules.filter((r) => r.type === 'recording');
    const alerting = rules.filter((r) => r.type === 'alerting');
    expect(recording.map((r) => r.name).sort()).toEqual(recordingRuleGroups(OPTIONS).flatMap((g) => g.rules.map((r) => r.record)).sort());
    expect(alerting.map((r) => r.name).sort()).toEqual(alertGroups(OPTIONS).flatMap((g) => g.rules.map((r) => r.alert)).sort());
    for (const rule of rules) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');

    const failures: string[] = [];
    for (const rule of recording) {
      const expression = await instant(promUrl, rule.query);
      if (!hasData(expression)) failures.push(`${rule.name}: expression ${expression.status} ${expression.error ?? 'no data'}`);
      const recorded = await instant(promUrl, rule.name);
      if (!hasData(recorded)) failures.push(`${rule.name}: no recorded series`);
    }
    console.log(`recording rules: ${recording.length} expressions and ${recording.length} recorded series checked live; ${alerting.length} alerts loaded healthy`);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('matches live series with the alert expressions whose condition the fixture creates', async () => {
    const body = (await api(promUrl, '/api/v1/rules?type=alert')) as { data: { groups: { rules: { name: string; query: string }[] }[] } };
    const queries = new Map(body.data.groups.flatMap((g) => g.rules.map((r) => [r.name, r.query] as const)));
    // 2 of 5 outcomes fail; 1 of 4 requests is a 500; a run of queue emails holds an expired lease; its oldest ready run waits 10 min;
    // 12 runs of queue reports failed;
    // breaker "gmail" stays open; the dead-letter queue grows; remote write fails.
    const expected: Record<string, Record<string, string>> = {
      ActionFailureRateHigh: { job: 'ops-app' },
      ActionFailureRateCritical: { job: 'ops-app' },
      WorkflowFailureRateHigh: { job: 'ops-app' },
      WorkflowFailureRateCritical: { job: 'ops-app' },
      QueueJobFailureRateHigh: { job: 'ops-app' },
      HttpErrorRateHigh: { job: 'ops-app' },
      QueueExpiredLeases: { job: 'ops-app', queue: 'emails' },
      QueueOldestReadyRunTooOld: { job: 'ops-app', queue: 'emails' },
      QueueFailedJobsGrowing: { job: 'ops-app', queue: 'reports' },
      CircuitBreakerOpen: { job: 'ops-app', breaker: 'gmail' },
      DeadLetterQueueGrowing: { job: 'ops-app', queue: 'emails' },
      OtelCollectorExportFailing: { job: OPTIONS.jobs.collectorTelemetry, exporter: 'prometheus_remote_write' },
    };
    for (const [alert, labels] of Object.entries(expected)) {
      const query = queries.get(alert);
      expect(query, alert).toBeDefined();
      const result = await waitFor(
        async () => {
          const answer = await instant(promUrl, query!);
          return answer.data?.result.length ? answer : undefined;
        },
        30_000,
        `${alert} to match live series`,
      );
      expect(result.data!.result.map((r) => r.metric), alert).toContainEqual(expect.objectContaining(labels));
    }
    console.log(`alerts: ${Object.keys(expected).length} alert expressions matched live series`);
  });

  it('keeps the services\' own job labels through the collector (honor_labels) and scrapes every job of the configuration', async () => {
    const jobs = (await instant(promUrl, 'count by (job) (action_executions_total)')).data!.result.map((r) => r.metric.job);
    expect(jobs).toContain('ops-app');
    expect(jobs).toContain(OPTIONS.jobs.embedded);
    expect(jobs).not.toContain(OPTIONS.jobs.collector);
    const up = (await instant(promUrl, 'up')).data!.result.map((r) => [r.metric.job, r.value[1]]);
    expect(up.sort()).toEqual(
      [
        [OPTIONS.jobs.collector, '1'],
        [OPTIONS.jobs.collectorTelemetry, '1'],
        [OPTIONS.jobs.embedded, '1'],
      ].sort(),
    );
  });

  /** Rounds of the fixture per second over `window` (it sends one bus message per round). */
  async function roundRate(window: string): Promise<number> {
    const result = await instant(promUrl, `sum(rate(message_bus_messages_total{job="${APP_JOB}"}[${window}]))`);
    return Number(result.data!.result[0]!.value[1]);
  }

  async function panelProblems(target: Target, expr: string): Promise<string[]> {
    const expectations = PANEL_EXPECTATIONS[`${target.dashboard} / ${target.panel}`];
    const expected = expectations?.[target.refId.charCodeAt(0) - 65];
    if (!expected) return [`no expectation for ${target.dashboard} / ${target.panel} ${target.refId}`];
    // the round rate over the panel's window ($__rate_interval, or the 5m of a recording rule it shows),
    // measured right before and after the panel's query: a fixture round may land in between
    const recordedRate = /:rate5m\b/.test(expr);
    const window = recordedRate ? '5m' : RATE_INTERVAL;
    // A 5m window still holds the moment the fixture's series were created: each series' first
    // increment is lost to rate(), by how much depends on when each series appeared (12.3% seen once).
    const tolerance = recordedRate ? 0.15 : 0.06;
    const before = await roundRate(window);
    const result = await instant(promUrl, substitute(expr, APP_JOB));
    const after = await roundRate(window);
    if (result.status !== 'success') return [`${result.error}`];
    const series = result.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    const first = valueProblems(series, expected, before, tolerance);
    return first.length === 0 ? [] : valueProblems(series, expected, after, tolerance);
  }

  it('shows in every panel the value the fixture workload implies ($job = ops-app, $workspace = ws-0001)', async () => {
    const failures: string[] = [];
    for (const target of targets) {
      const problems = await panelProblems(target, target.expr);
      for (const problem of problems) failures.push(`${target.dashboard} / ${target.panel} ${target.refId}: ${problem}\n  ${substitute(target.expr, APP_JOB)}`);
    }
    // every expectation belongs to a panel that exists
    const panels = new Set(targets.map((t) => `${t.dashboard} / ${t.panel}`));
    for (const key of Object.keys(PANEL_EXPECTATIONS)) if (!panels.has(key)) failures.push(`expectation for a panel that does not exist: ${key}`);
    console.log(`dashboards: ${targets.length} panel targets compared with the fixture workload, ${failures.length} failed`);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 300_000);

  it('fails a panel that counts a stream twice, or a ratio whose numerator counts twice', async () => {
    const executions = targets.find((t) => t.dashboard === 'owm-overview' && t.panel === 'Action executions per second')!;
    const twice = executions.expr.replace('action_executions_total{', '{__name__=~"action_executions_total|action_executions_by_workspace_total", ');
    expect(twice).not.toBe(executions.expr);
    const problems = await panelProblems(executions, twice);
    expect(problems.join('\n')).toMatch(/sum .* ≠ 5 per round/);
    const ratio = targets.find((t) => t.dashboard === 'owm-overview' && t.panel === 'Action executions: failure ratio')!;
    expect(await panelProblems(ratio, `2 * ${ratio.expr}`)).not.toEqual([]);
    const queue = targets.find((t) => t.dashboard === 'owm-queue' && t.panel === 'Jobs by queue and status')!;
    // the queue table counted once per status and once more: emails QUEUED 6, not 3
    expect(await panelProblems(queue, `${queue.expr} + ${queue.expr}`)).not.toEqual([]);
  });

  it('shows each queue its own values with $queue = reports (and queue emails with $queue = emails)', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const queue of ['reports', 'emails']) {
      for (const target of targets.filter((t) => t.dashboard === 'owm-queue' && t.expr.includes('$queue'))) {
        const expected = forQueue(PANEL_EXPECTATIONS[`${target.dashboard} / ${target.panel}`]![target.refId.charCodeAt(0) - 65]!, queue);
        if (expected === undefined) continue;
        const expr = substitute(target.expr, APP_JOB, queue);
        const result = await instant(promUrl, expr);
        const series = (result.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
        // a queue without such series (no failed runs in emails) shows nothing
        const problems = Object.keys(expected.kind === 'exactSeries' ? expected.values : {}).length === 0 ? series.map((s) => `unexpected ${JSON.stringify(s.metric)}`) : valueProblems(series, expected, 0);
        for (const problem of problems) failures.push(`${target.panel} ${target.refId} ($queue = ${queue}): ${problem}\n  ${expr}`);
        checked++;
      }
    }
    console.log(`dashboards: ${checked} queue panel targets compared per queue ($queue substituted), ${failures.length} failed`);
    expect(checked).toBeGreaterThanOrEqual(14);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('records in every recording rule the value the fixture workload implies (job ops-app, workspace ws-0001)', async () => {
    const rules = recordingRuleGroups(OPTIONS).flatMap((g) => g.rules.map((r) => r.record));
    const failures: string[] = [];
    const rate5m = await roundRate('5m');
    for (const record of rules) {
      const level = record.split(':')[0]!;
      const selector = level === 'workspace' ? `${OPTIONS.workspaceLabel}="${WORKSPACE}"` : `job="${APP_JOB}"`;
      const result = await instant(promUrl, `${record}{${selector}}`);
      const series = (result.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
      // 0.15: the 5m window still holds the series' creation (see the panel check above).
      for (const problem of valueProblems(series, ruleExpectation(record), rate5m, 0.15)) failures.push(`${record}{${selector}}: ${problem}`);
    }
    console.log(`recording rules: ${rules.length} recorded series compared with the fixture workload, ${failures.length} failed`);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('runtime rules and alerts: recorded RSS and heap ratio equal the raw series at the rule\'s timestamp; no runtime alert condition holds for the fixture processes, and each one with its threshold at 0 selects them', async () => {
    const jobs = [APP_JOB, OPTIONS.jobs.embedded];
    const at = async (expr: string, time?: string) => {
      const path = `/api/v1/query?query=${encodeURIComponent(expr)}${time === undefined ? '' : `&time=${time}`}`;
      const result = (await api(promUrl, path)) as ApiResult;
      expect(result.status, `${expr}: ${result.error ?? ''}`).toBe('success');
      return result.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    };
    const comparisons: [record: string, raw: string][] = [
      ['job_instance:process_memory_usage_bytes:max', 'max by (job, instance) (process_memory_usage_bytes)'],
      ['job_instance:v8js_memory_heap_used_bytes:ratio_limit', 'sum by (job, instance) (v8js_memory_heap_used_bytes) / max by (job, instance) (nodejs_heap_size_limit_bytes)'],
    ];
    for (const [record, raw] of comparisons) {
      for (const job of jobs) {
        // the sample's own timestamp: the raw expression at that instant is what the rule evaluated
        const stamped = await at(`timestamp(${record}{job="${job}"})`);
        expect(stamped.length, `${record}{job="${job}"}`).toBeGreaterThan(0);
        const time = String(stamped[0]!.value);
        const recordedValues = await at(`${record}{job="${job}"}`, time);
        const rawExpr = raw.replace(/\(([a-z0-9_]+)\)/g, `($1{job="${job}"})`);
        const rawValues = await at(rawExpr, time);
        // A scrape stamped before the rule's evaluation but written after it: the rule saw the
        // scrape before (1 s earlier), the query at its timestamp sees the newer one.
        const rawBefore = await at(rawExpr, String(Number(time) - 1));
        expect(rawValues.length, raw).toBe(recordedValues.length);
        for (const sample of recordedValues) {
          const match = rawValues.find((r) => r.metric.instance === sample.metric.instance);
          expect(match, `${record} ${sample.metric.instance}`).toBeDefined();
          const before = rawBefore.find((r) => r.metric.instance === sample.metric.instance);
          const off = (value: number | undefined) => (value === undefined ? Number.POSITIVE_INFINITY : Math.abs(value - sample.value) / sample.value);
          expect(Math.min(off(match!.value), off(before?.value)), `${record}{job="${job}", instance="${sample.metric.instance}"}: ${sample.value} vs ${raw}: ${match!.value} (1 s before: ${before?.value})`).toBeLessThan(0.02);
        }
      }
    }
    const body = (await api(promUrl, '/api/v1/rules?type=alert')) as { data: { groups: { name: string; rules: { name: string; query: string; health: string }[] }[] } };
    const runtimeAlerts = body.data.groups.find((g) => g.name === 'otel-workspace-metrics.runtime.alerts')!.rules;
    expect(runtimeAlerts.map((r) => r.name).sort()).toEqual(['NodejsEventLoopDelayHigh', 'NodejsGcTimeHigh', 'NodejsHeapNearLimit', 'ProcessMemoryHigh', 'ProcessRestarting']);
    for (const rule of runtimeAlerts) {
      expect(rule.health, rule.name).toBe('ok');
      // healthy processes: the condition holds for none of them
      expect(await at(rule.query), `${rule.name}: ${rule.query}`).toEqual([]);
      // the same expression with its threshold at 0 selects every process of both jobs (restarts: 0 >= 0)
      const open = rule.query.replace(/ > [0-9.e+]+$/, ' >= 0');
      expect(open, rule.name).not.toBe(rule.query);
      const selected = await at(open);
      for (const job of jobs) expect(selected.map((s) => s.metric.job), `${rule.name}: ${open}`).toContain(job);
    }
    console.log(`runtime: ${comparisons.length} recorded series compared with their raw series for ${jobs.length} jobs; ${runtimeAlerts.length} alerts silent and selecting live processes`);
  });

  it('covers the application\'s own families: their rules, alert and dashboard are live', async () => {
    expect(targets.filter((t) => t.dashboard === 'owm-custom').length).toBe(7);
    const body = (await api(promUrl, '/api/v1/rules?type=alert')) as { data: { groups: { rules: { name: string; query: string; health: string }[] }[] } };
    const alerts = body.data.groups.flatMap((g) => g.rules);
    const invoice = alerts.find((r) => r.name === 'InvoiceRendersFailureRateHigh')!;
    expect(invoice.health).toBe('ok');
    // 40 % of invoice renders fail: the alert's condition holds for ops-app
    const result = await instant(promUrl, invoice.query);
    expect(result.data!.result.map((r) => r.metric.job)).toContain(APP_JOB);
  });
});
