/**
 * The hand-written alert boundary tests (prometheus/tests/alerts-boundaries*.yaml,
 * and test/fixtures/ops-thresholds*.test.yaml for non-default thresholds) pass
 * on the generated rules, cover every alert, and catch wrong rules: each
 * mutation of the table below, applied to a copy of the generated rule files,
 * makes promtool fail a case of the alert it touches.
 *
 *   npx vitest run test/unit/ops/rules-boundaries.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULE_FILES, renderArtifacts } from '../../../src/ops/generate';
import { loadOpsConfig, opsOptions } from '../../../src/ops/options';
import { toYaml } from '../../../src/ops/yaml';
import { promtoolBinary } from '../../helpers/binaries';

const ROOT = join(__dirname, '..', '..', '..');
const BOUNDARIES = 'prometheus/tests/alerts-boundaries.yaml';
/** Every hand-written boundary file: alerts-boundaries.yaml and its siblings (alerts-boundaries-export.yaml, ...), run as one. */
const BOUNDARY_FILES = readdirSync(join(ROOT, 'prometheus', 'tests'))
  .filter((file) => /^alerts-boundaries.*\.yaml$/.test(file))
  .sort()
  .map((file) => `prometheus/tests/${file}`);
const NON_DEFAULT_CONFIG = 'test/fixtures/ops-thresholds.yaml';
const NON_DEFAULT_TESTS = 'test/fixtures/ops-thresholds.test.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'owm-boundaries-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[];
}
interface TestFile {
  rule_files: string[];
  group_eval_order?: string[];
  tests: { name: string; alert_rule_test: AlertCheck[] }[];
}

/** The boundary files as one: their cases, and their group orders joined, recording groups first (each lists the groups its cases depend on). */
function joinTests(files: readonly TestFile[]): TestFile {
  const order = [...new Set(files.flatMap((file) => file.group_eval_order ?? []))];
  // recording groups first, whichever file listed them: an alert reads the rule of the same evaluation
  const recordingFirst = [...order.filter((group) => group.endsWith('.rules')), ...order.filter((group) => !group.endsWith('.rules'))];
  return { ...files[0]!, group_eval_order: recordingFirst, tests: files.flatMap((file) => file.tests) };
}
const boundaries = joinTests(BOUNDARY_FILES.map((file) => parse(readFileSync(join(ROOT, file), 'utf8')) as TestFile));
const generated = renderArtifacts(opsOptions());
const alertNames = (parse(generated.get(RULE_FILES.alerts)!) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.alert!));

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(promtoolBinary(), args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Runs `tests` (a boundary test file, possibly filtered) against the given rule files in a fresh directory; returns promtool's answer. */
function runAgainst(rules: { recording: string; alerts: string }, tests: TestFile, name: string): { status: number | null; output: string } {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'tests'), { recursive: true });
  writeFileSync(join(dir, 'rules', 'recording.yml'), rules.recording);
  writeFileSync(join(dir, 'rules', 'alerts.yml'), rules.alerts);
  writeFileSync(join(dir, 'tests', 'boundaries.yaml'), toYaml(tests));
  return promtool(['test', 'rules', 'tests/boundaries.yaml'], dir);
}

/** The boundary cases of some alerts (a case belongs to the alert its name starts with). */
function casesOf(file: TestFile, keep: (name: string) => boolean): TestFile {
  return { ...file, tests: file.tests.filter((t) => keep(t.name)) };
}
const ofAlert = (alert: string) => (name: string) => name.startsWith(`${alert}:`);

// ---- the mutations -------------------------------------------------------------

interface Mutation {
  /** What is changed, as the issue lists it. */
  readonly name: string;
  /** The rule files after the change. */
  apply(rules: { recording: string; alerts: string }): { recording: string; alerts: string };
  /** The boundary cases that must catch it. */
  readonly cases: (name: string) => boolean;
}

function editRule(text: string, pick: (rule: Rule) => boolean, edit: (rule: Rule) => void): string {
  const file = parse(text) as RuleFile;
  let edited = 0;
  for (const group of file.groups) {
    for (const rule of group.rules) {
      if (!pick(rule)) continue;
      const before = JSON.stringify(rule);
      edit(rule);
      if (JSON.stringify(rule) === before) throw new Error(`mutation left ${rule.alert ?? rule.record} unchanged`);
      edited++;
    }
  }
  if (edited === 0) throw new Error('mutation matched no rule');
  return toYaml(file);
}

/** Replace `from` by `to` in one alert's expression. */
function alertExpr(alert: string, from: string, to: string): Mutation {
  return {
    name: `${alert}: ${from} → ${to}`,
    apply: (r) => ({ ...r, alerts: editRule(r.alerts, (rule) => rule.alert === alert, (rule) => (rule.expr = rule.expr.replace(from, to))) }),
    cases: ofAlert(alert),
  };
}

/** Change one alert's `for:`. */
function alertFor(alert: string, to: string): Mutation {
  return {
    name: `${alert}: for → ${to}`,
    apply: (r) => ({ ...r, alerts: editRule(r.alerts, (rule) => rule.alert === alert, (rule) => (rule.for = to)) }),
    // the case with the for: boundary (pending one evaluation before it fires)
    cases: (name) => ofAlert(alert)(name) && name.includes('pending at'),
  };
}

/** A change to every rule (recording rules and alerts). */
function everywhere(name: string, from: RegExp, to: string, cases: (name: string) => boolean): Mutation {
  const edit = (text: string) => editRule(text, (rule) => from.test(rule.expr), (rule) => (rule.expr = rule.expr.replace(new RegExp(from.source, 'g'), to)));
  return { name, apply: (r) => ({ recording: edit(r.recording), alerts: edit(r.alerts) }), cases };
}

/** A change to every recording rule matching `pick`. */
function recording(name: string, from: string, to: string, cases: (name: string) => boolean): Mutation {
  return {
    name,
    apply: (r) => ({ ...r, recording: editRule(r.recording, (rule) => rule.expr.includes(from), (rule) => (rule.expr = rule.expr.split(from).join(to))) }),
    cases,
  };
}

const FORS: Record<string, string> = Object.fromEntries(
  (parse(generated.get(RULE_FILES.alerts)!) as RuleFile).groups.flatMap((g) => g.rules.map((r) => [r.alert!, r.for!] as const)),
);
/** `10m` → `9m` and `11m` (one evaluation shorter and longer); `1h` → `59m` and `61m`. */
function neighbours(duration: string): [string, string] {
  const m = /^(\d+)([mh])$/.exec(duration)!;
  const minutes = Number(m[1]) * (m[2] === 'h' ? 60 : 1);
  return [`${minutes - 1}m`, `${minutes + 1}m`];
}

const MUTATIONS: Mutation[] = [
  // thresholds, each nudged past the boundary case
  alertExpr('ActionFailureRateHigh', '> 0.05', '> 0.09'),
  alertExpr('WorkflowFailureRateHigh', '> 0.05', '> 0.09'),
  alertExpr('QueueJobFailureRateHigh', '> 0.05', '> 0.09'),
  alertExpr('ActionFailureRateCritical', '> 0.25', '> 0.45'),
  alertExpr('WorkflowFailureRateCritical', '> 0.25', '> 0.45'),
  alertExpr('ActionExecutionsSlow', '> 30', '> 55'),
  alertExpr('WorkflowExecutionsSlow', '> 120', '> 130'),
  // queue alerts (src/ops/rules-queues.ts; cases in prometheus/tests/alerts-boundaries-queues.yaml)
  alertExpr('QueueBacklog', '> 100', '>= 100'),
  alertExpr('QueueBacklogCritical', '> 1000', '>= 1000'),
  alertExpr('QueueOldestReadyRunTooOld', '> 300', '>= 300'),
  alertExpr('QueueExpiredLeases', '> 0', '> 1'),
  alertExpr('QueueNoActiveWorkers', '== 0', '< 0'),
  alertExpr('QueueNoActiveWorkers', '> 0', '>= 0'),
  alertExpr('QueueFailedJobsGrowing', '> 10', '>= 10'),
  alertExpr('QueueBackendDown', '== 0', '< 0'),
  alertExpr('QueueBackendDown', 'by (job, instance, queue, backend)', 'by (job, queue, backend)'),
  alertExpr('QueueBackendDown', 'by (job, instance, queue, backend)', 'by (job, instance, backend)'),
  alertExpr('QueueHealthCollectorFailing', 'by (job, instance, backend, reason)', 'by (job, instance, reason)'),
  ...['queue_ready_depth', 'queue_oldest_ready_age_seconds', 'queue_running_expired_lease'].flatMap((gauge) => [
    recording(`queue rules: ${gauge} by (job, queue) → by (job)`, `max by (job, queue) (${gauge})`, `max by (job) (${gauge})`, (name) => name.includes('for emails only')),
    recording(`queue rules: ${gauge} max → sum over replicas`, `max by (job, queue) (${gauge})`, `sum by (job, queue) (${gauge})`, (name) => name.includes('two replicas')),
  ]),
  recording('queue rules: queue_running_active_lease by (job, queue) → by (job)', 'max by (job, queue) (queue_running_active_lease)', 'max by (job) (queue_running_active_lease)', ofAlert('QueueNoActiveWorkers')),
  recording('queue rules: failed jobs by (job, queue) → by (job)', 'max by (job, queue) (delta(', 'max by (job) (delta(', (name) => name.includes('for emails only')),
  recording('queue rules: failed jobs max → sum over replicas', 'max by (job, queue) (delta(', 'sum by (job, queue) (delta(', (name) => name.includes('two replicas')),
  recording('queue rules: failed jobs over [15m] → [5m]', '[15m]', '[5m]', (name) => /QueueFailedJobsGrowing: .*burst/.test(name)),
  recording('queue rules: failed jobs delta → idelta', 'max by (job, queue) (delta(', 'max by (job, queue) (idelta(', (name) => /QueueFailedJobsGrowing: .*burst/.test(name)),
  recording('queue rules: failed statuses matched case-sensitively ((?i)failed → failed)', '(?i)failed', 'failed', (name) => /QueueFailedJobsGrowing: .*table/.test(name)),
  recording('queue rules: failed jobs of every status (status matcher dropped)', '{status=~"(?i)failed"}', '', (name) => /QueueFailedJobsGrowing: .*table/.test(name)),
  alertExpr('WorkerPoolUnhealthy', 'min by', 'max by'),
  alertExpr('HttpErrorRateHigh', '> 0.05', '> 0.09'),
  alertExpr('HttpLatencyHigh', '> 1', '> 2.4'),
  alertExpr('CircuitBreakerOpen', 'state="open"', 'state="half_open"'),
  alertExpr('DeadLetterQueueGrowing', '> 0', '> 15'),
  alertExpr('WorkspaceOverflowGrowing', '> 0.25', '> 0.27'),
  alertExpr('WorkspaceOverflowGrowing', '> 1.5 *', '> 1.6 *'),
  alertExpr('WorkspaceAllowlistDiverged', '> 0.5', '> 0.52'),
  alertExpr('QueueHealthCollectorFailing', '> 0', '> 5'),
  alertExpr('WorkspaceAllowlistReloadFailing', '> 0', '> 15'),
  alertExpr('OtelCollectorExportFailing', '> 0', '> 1'),
  alertExpr('OtelCollectorDown', 'job="otel-collector"', 'job=~".+"'),
  alertExpr('MetricsEndpointDown', 'job="embedded-metrics"', 'job=~".+"'),
  // every for:, one evaluation shorter (0m too) and one longer
  ...alertNames.flatMap((alert) => {
    const [shorter, longer] = neighbours(FORS[alert]!);
    return [alertFor(alert, '0m'), alertFor(alert, shorter), alertFor(alert, longer)];
  }),
  // windows and functions, everywhere
  everywhere('rate → irate everywhere', /\brate\(/, 'irate(', (name) => /burst/.test(name)),
  everywhere('[5m] → [1m] everywhere', /\[5m\]/, '[1m]', (name) => /burst|failure every 5 minutes/.test(name)),
  // failure statuses: timeout dropped
  recording('failure statuses: timeout dropped (status=~"error|timeout" → status="error")', 'status=~"error|timeout"', 'status="error"', (name) => /time out/.test(name)),
  // HTTP: 4xx counted as server errors
  recording('HTTP errors: 5xx → 4xx or 5xx', '=~"5.."', '=~"[45].."', ofAlert('HttpErrorRateHigh')),
  // export failures (src/ops/rules-export.ts; cases in prometheus/tests/alerts-boundaries-export.yaml)
  alertExpr('MetricsExportFailing', '> 0', '>= 0'),
  alertExpr('MetricsExportFailing', '> 0', '> 1'),
  alertExpr('MetricsExportFailing', '[5m]', '[1m]'),
  alertExpr('MetricsExportFailing', 'exporter, reason)', 'exporter)'),
  alertExpr('OtelCollectorRefusingMetricPoints', '> 0', '>= 0'),
  alertExpr('OtelCollectorRefusingMetricPoints', '> 0', '> 1'),
  alertExpr('OtelCollectorRefusingMetricPoints', 'rate(', 'irate('),
  alertExpr('OtelCollectorRefusingMetricPoints', 'receiver, transport)', 'receiver)'),
  alertExpr('OtelCollectorExportFailing', 'rate(', 'irate('),
  // runtime and process (src/ops/rules-runtime.ts; cases in prometheus/tests/alerts-boundaries-runtime.yaml)
  alertExpr('ProcessMemoryHigh', '> 1073741824', '>= 1073741824'),
  alertExpr('ProcessMemoryHigh', '> 1073741824', '> 1073741825'),
  recording('RSS: max per instance → sum per job', 'max by (job, instance) (process_memory_usage_bytes)', 'sum by (job) (process_memory_usage_bytes)', ofAlert('ProcessMemoryHigh')),
  alertExpr('NodejsHeapNearLimit', '> 0.9', '>= 0.9'),
  alertExpr('NodejsHeapNearLimit', '> 0.9', '> 0.9000001'),
  recording('heap used: sum over spaces → largest space', 'sum by (job, instance) (v8js_memory_heap_used_bytes)', 'max by (job, instance) (v8js_memory_heap_used_bytes)', ofAlert('NodejsHeapNearLimit')),
  alertExpr('NodejsEventLoopDelayHigh', '> 0.25', '>= 0.25'),
  alertExpr('NodejsEventLoopDelayHigh', '> 0.25', '> 0.27'),
  recording('event loop delay: 5m average → 1m', 'nodejs_eventloop_delay_p99_seconds[5m]', 'nodejs_eventloop_delay_p99_seconds[1m]', ofAlert('NodejsEventLoopDelayHigh')),
  recording('event loop delay: average → worst of the window', 'avg_over_time(', 'max_over_time(', ofAlert('NodejsEventLoopDelayHigh')),
  alertExpr('NodejsGcTimeHigh', '> 0.1', '> 0.09'),
  alertExpr('NodejsGcTimeHigh', '> 0.1', '> 0.11'),
  recording('GC time: rate → irate', 'rate(v8js_gc_duration_seconds_sum', 'irate(v8js_gc_duration_seconds_sum', ofAlert('NodejsGcTimeHigh')),
  recording('GC time: [5m] → [1m]', 'v8js_gc_duration_seconds_sum[5m]', 'v8js_gc_duration_seconds_sum[1m]', ofAlert('NodejsGcTimeHigh')),
  alertExpr('ProcessRestarting', '> 2', '>= 2'),
  alertExpr('ProcessRestarting', '> 2', '> 3'),
  recording('restarts: [30m] → [1h]', 'process_uptime_seconds[30m]', 'process_uptime_seconds[1h]', ofAlert('ProcessRestarting')),
  recording('restarts: resets → changes', 'resets(process_uptime_seconds', 'changes(process_uptime_seconds', ofAlert('ProcessRestarting')),
];

describe('alert boundary tests', () => {
  const rules = { recording: generated.get(RULE_FILES.recording)!, alerts: generated.get(RULE_FILES.alerts)! };

  it('pass on the generated rules (and the committed copy runs against the committed rules)', () => {
    const result = runAgainst(rules, boundaries, 'generated');
    expect(result.status, result.output).toBe(0);
    expect(BOUNDARY_FILES).toContain(BOUNDARIES);
    expect(BOUNDARY_FILES).toContain('prometheus/tests/alerts-boundaries-queues.yaml');
    const committed = promtool(['test', 'rules', ...BOUNDARY_FILES], ROOT);
    expect(committed.status, committed.output).toBe(0);
  }, 300_000);

  it('cover every alert: a case firing with literal labels and annotations, a silent case, and the for: boundary (silent one evaluation before it fires)', () => {
    for (const alert of alertNames) {
      const cases = boundaries.tests.filter((t) => ofAlert(alert)(t.name));
      const checks = cases.flatMap((t) => t.alert_rule_test.filter((c) => c.alertname === alert));
      expect(checks.some((c) => c.exp_alerts.length > 0), `${alert}: no case where it fires`).toBe(true);
      expect(cases.some((t) => t.alert_rule_test.every((c) => c.exp_alerts.length === 0)), `${alert}: no case where it stays silent`).toBe(true);
      const forBoundary = cases.some((t) => {
        const [before, after] = t.alert_rule_test;
        return before && after && before.exp_alerts.length === 0 && after.exp_alerts.length > 0 && minutes(after.eval_time) - minutes(before.eval_time) === 1;
      });
      expect(forBoundary, `${alert}: no case silent one evaluation before it fires`).toBe(true);
    }
    // and nothing for alerts that do not exist
    for (const test of boundaries.tests) expect(alertNames.some((alert) => ofAlert(alert)(test.name)), test.name).toBe(true);
  });

  it.each(MUTATIONS.map((m) => [m.name, m] as const))('catch the mutation %s', (_name, mutation) => {
    const mutated = mutation.apply(rules);
    const subset = casesOf(boundaries, mutation.cases);
    expect(subset.tests.length, 'cases that must catch it').toBeGreaterThan(0);
    const result = runAgainst(mutated, subset, `m-${MUTATIONS.indexOf(mutation)}`);
    expect(result.status, `promtool passed on the mutated rules:\n${result.output}`).not.toBe(0);
    expect(result.output).toMatch(/FAILED/);
  }, 300_000);
});

describe('non-default thresholds', () => {
  it('the boundary cases of test/fixtures/ops-thresholds.test.yaml pass on rules generated with test/fixtures/ops-thresholds.yaml, and fail on the default rules', () => {
    const options = loadOpsConfig(join(ROOT, NON_DEFAULT_CONFIG));
    // every settable threshold differs from its default
    const defaults = opsOptions().thresholds as unknown as Record<string, number>;
    for (const [key, value] of Object.entries(options.thresholds)) expect(value, key).not.toBe(defaults[key]);
    const files = renderArtifacts(options);
    const tests = parse(readFileSync(join(ROOT, NON_DEFAULT_TESTS), 'utf8')) as TestFile;
    const custom = runAgainst({ recording: files.get(RULE_FILES.recording)!, alerts: files.get(RULE_FILES.alerts)! }, tests, 'non-default');
    expect(custom.status, custom.output).toBe(0);
    // the same cases against the default rules: every alert with a settable threshold fails somewhere
    const defaultRun = runAgainst(rules(), tests, 'non-default-on-defaults');
    expect(defaultRun.status).not.toBe(0);
    const failedAlerts = new Set([...defaultRun.output.matchAll(/alertname: (\w+), time/g)].map((m) => m[1]));
    expect([...failedAlerts].sort()).toEqual(
      [
        'ActionExecutionsSlow',
        'ActionFailureRateCritical',
        'ActionFailureRateHigh',
        'HttpErrorRateHigh',
        'HttpLatencyHigh',
        'QueueBacklog',
        'QueueBacklogCritical',
        'QueueFailedJobsGrowing',
        'QueueJobFailureRateHigh',
        'QueueOldestReadyRunTooOld',
        'WorkflowExecutionsSlow',
        'WorkflowFailureRateHigh',
        'WorkspaceAllowlistDiverged',
        'WorkspaceOverflowGrowing',
      ].sort(),
    );
  }, 300_000);
});

describe('non-default runtime thresholds', () => {
  it('the cases of test/fixtures/ops-thresholds-runtime.test.yaml pass on rules generated with test/fixtures/ops-thresholds.yaml, and fail on the default rules for each runtime alert', () => {
    const files = renderArtifacts(loadOpsConfig(join(ROOT, NON_DEFAULT_CONFIG)));
    const tests = parse(readFileSync(join(ROOT, 'test/fixtures/ops-thresholds-runtime.test.yaml'), 'utf8')) as TestFile;
    const custom = runAgainst({ recording: files.get(RULE_FILES.recording)!, alerts: files.get(RULE_FILES.alerts)! }, tests, 'non-default-runtime');
    expect(custom.status, custom.output).toBe(0);
    const defaultRun = runAgainst(rules(), tests, 'non-default-runtime-on-defaults');
    expect(defaultRun.status).not.toBe(0);
    const failedAlerts = new Set([...defaultRun.output.matchAll(/alertname: (\w+), time/g)].map((m) => m[1]));
    expect([...failedAlerts].sort()).toEqual(['NodejsEventLoopDelayHigh', 'NodejsGcTimeHigh', 'NodejsHeapNearLimit', 'ProcessMemoryHigh', 'ProcessRestarting']);
  }, 300_000);
});

function rules(): { recording: string; alerts: string } {
  return { recording: generated.get(RULE_FILES.recording)!, alerts: generated.get(RULE_FILES.alerts)! };
}

function minutes(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/(\d+)([hm])/g)) total += Number(m[1]) * (m[2] === 'h' ? 60 : 1);
  return total;
}
