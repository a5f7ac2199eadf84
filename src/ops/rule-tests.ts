/**
 * `promtool test rules` cases for every recording rule and every alert,
 * rendered to prometheus/tests/*.yaml. Input series use the catalogue's
 * names; expected values are worked out by hand from the inputs (counters
 * grow by a fixed amount per 1m step, so rates are exact, and histogram
 * buckets are 0.25 wide with power-of-two rates, so quantiles are exact).
 * Every alert has a case where it fires (with its labels and rendered
 * annotations) and a case with healthy input where it stays silent.
 */
import { httpServerRequestDuration, HTTP_ATTRIBUTES } from '../catalogue/http';
import { cacheOperations } from '../catalogue/cache';
import { circuitBreakerState, deadLetterQueueSize } from '../catalogue/resilience';
import { workerHealth } from '../catalogue/workers';
import { allowlistReloadErrors, workspaceFolded } from '../catalogue/self';
import { prometheusName, prometheusType, type MetricDeclaration } from '../model/types';
import { BUILTIN_METRICS } from '../catalogue/index';
import { OVERFLOW_VALUE } from '../model/canonical';
import type { OpsOptions } from './options';
import { ACTION_FAMILY, COLLECTOR_METRICS, EXECUTION_FAMILIES, QUEUE_JOB_FAMILY, WORKFLOW_FAMILY, bucket, count, series, type ExecutionFamily } from './metrics';
import { QUANTILES, alertGroups, alertRuleYaml, recorded, recordingRuleGroups, type AlertRule } from './rules';
import { customFamilies, type CustomFamily } from './custom';
import { humanizeDuration, humanizePercentage, num, pascalCase } from './format';
import type { OpsThresholds } from './options';
import { queueAlertTestSpecs, queueRecordingTestCase } from './rule-tests-queues';
import { exportAlertTestSpecs } from './rule-tests-export';
import { runtimeAlertTestSpecs, runtimeRecordingTestCases } from './rule-tests-runtime';
import { KIT_EXPORT_FAILURES } from './rules-export';

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface ExpectedSample {
  readonly labels: string;
  readonly value: number;
}

export interface ExprTest {
  readonly expr: string;
  readonly evalTime: string;
  readonly samples: readonly ExpectedSample[];
}

export interface RecordingTestCase {
  readonly name: string;
  readonly input: readonly InputSeries[];
  readonly exprTests: readonly ExprTest[];
}

export interface FiringAlert {
  /** Labels from the expression (the rule adds `severity` and `alertname`). */
  readonly labels: Readonly<Record<string, string>>;
  /** The description as Prometheus renders it. */
  readonly description: string;
}

export interface AlertCase {
  readonly input: readonly InputSeries[];
  readonly evalTime: string;
}

export interface AlertTestSpec {
  /** Input where the alert fires at evalTime with exactly these alerts. */
  readonly firing: AlertCase & { readonly alerts: readonly FiringAlert[] };
  /** Healthy input: no alert at evalTime. */
  readonly quiet: AlertCase;
}

const INTERVAL = '1m';

function labelString(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length === 0 ? '' : `{${parts.join(', ')}}`;
}

export function sample(name: string, labels: Readonly<Record<string, string>> = {}): string {
  return `${name}${labelString(labels)}`;
}

/** A counter that grows by `perMinute` every 1m step for `steps` steps. */
export function growing(name: string, labels: Readonly<Record<string, string>>, perMinute: number, steps: number): InputSeries {
  return { series: sample(name, labels), values: `0+${perMinute}x${steps}` };
}

export function constant(name: string, labels: Readonly<Record<string, string>>, value: number, steps: number): InputSeries {
  return { series: sample(name, labels), values: `${value}+0x${steps}` };
}

/** Histogram buckets growing by `perMinute[le]` per step (cumulative counts, `+Inf` last). */
function buckets(name: string, labels: Readonly<Record<string, string>>, perMinute: readonly [string, number][], steps: number): InputSeries[] {
  return perMinute.map(([le, n]) => growing(name, { ...labels, le }, n, steps));
}

/** Prometheus's bucketQuantile (linear interpolation inside the bucket), for finite rates given as [upper bound, cumulative rate]. */
export function bucketQuantile(q: number, cumulative: readonly [number, number][]): number {
  const total = cumulative[cumulative.length - 1]![1];
  let rank = q * total;
  const b = cumulative.findIndex(([, c]) => c >= rank);
  if (b === cumulative.length - 1) return cumulative[cumulative.length - 2]![0];
  let bucketStart = 0;
  const bucketEnd = cumulative[b]![0];
  let n = cumulative[b]![1];
  if (b > 0) {
    bucketStart = cumulative[b - 1]![0];
    n -= cumulative[b - 1]![1];
    rank -= cumulative[b - 1]![1];
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / n);
}

/** Example values for the labels a family declares (besides `status`). */
const LABEL_VALUES: Readonly<Record<string, string>> = {
  provider: 'google',
  action: 'gmail.send',
  job_type: 'sync',
  workflow: 'onboarding',
  step_type: 'http',
};

function familyLabels(decl: MetricDeclaration): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of decl.labels) if (key !== 'status') labels[key] = LABEL_VALUES[key] ?? 'example';
  return labels;
}

const STEPS = 20;
const EVAL = '10m';

// ---- recording rules -----------------------------------------------------

/**
 * One family, two levels. Per workspace (rates per second):
 *   ws-a: 1.5 ok + 0.5 error, durations in (0.25, 0.5]
 *   ws-b: 1 ok, durations in (0, 0.25];  ws-c: the same
 * The baseline stream (job "svc") holds their sum: 3.5 ok + 0.5 error,
 * 2/s at or below 0.25 s and 4/s at or below 0.5 s.
 */
function familyCase(family: ExecutionFamily, options: OpsOptions): RecordingTestCase {
  const W = options.workspaceLabel;
  const executionsWs = series(family.counter, 'workspace');
  const executions = series(family.counter);
  const bucketWs = bucket(family.histogram, 'workspace');
  const bucketBase = bucket(family.histogram);
  const extra = familyLabels(family.counter);
  const ws = (id: string, status?: string) => ({ ...extra, ...(status ? { status } : {}), [W]: id, job: 'svc' });
  const input: InputSeries[] = [
    growing(executionsWs, ws('ws-a', 'ok'), 90, STEPS),
    growing(executionsWs, ws('ws-a', 'error'), 30, STEPS),
    growing(executionsWs, ws('ws-b', 'ok'), 60, STEPS),
    growing(executionsWs, ws('ws-c', 'ok'), 60, STEPS),
    growing(executions, { ...extra, status: 'ok', job: 'svc' }, 210, STEPS),
    growing(executions, { ...extra, status: 'error', job: 'svc' }, 30, STEPS),
    ...buckets(bucketWs, ws('ws-a', 'ok'), [['0.25', 0], ['0.5', 120], ['+Inf', 120]], STEPS),
    ...buckets(bucketWs, ws('ws-b', 'ok'), [['0.25', 60], ['0.5', 60], ['+Inf', 60]], STEPS),
    ...buckets(bucketWs, ws('ws-c', 'ok'), [['0.25', 60], ['0.5', 60], ['+Inf', 60]], STEPS),
    ...buckets(bucketBase, { ...extra, status: 'ok', job: 'svc' }, [['0.25', 120], ['0.5', 240], ['+Inf', 240]], STEPS),
  ];
  const wsRate: Record<string, number> = { 'ws-a': 2, 'ws-b': 1, 'ws-c': 1 };
  const wsFailure: Record<string, number> = { 'ws-a': 0.25, 'ws-b': 0, 'ws-c': 0 };
  const wsBuckets: Record<string, [number, number][]> = {
    'ws-a': [[0.25, 0], [0.5, 2], [Infinity, 2]],
    'ws-b': [[0.25, 1], [0.5, 1], [Infinity, 1]],
    'ws-c': [[0.25, 1], [0.5, 1], [Infinity, 1]],
  };
  const jobBuckets: [number, number][] = [[0.25, 2], [0.5, 4], [Infinity, 4]];
  const perWorkspace = (record: string, value: (id: string) => number): ExprTest => ({
    expr: record,
    evalTime: EVAL,
    samples: Object.keys(wsRate).map((id) => ({ labels: sample(record, { [W]: id }), value: value(id) })),
  });
  const perJob = (record: string, value: number): ExprTest => ({ expr: record, evalTime: EVAL, samples: [{ labels: sample(record, { job: 'svc' }), value }] });
  return {
    name: `recording rules: ${family.noun} per workspace and per job`,
    input,
    exprTests: [
      perWorkspace(recorded.rate('workspace', family), (id) => wsRate[id]!),
      perWorkspace(recorded.failureRatio('workspace', family), (id) => wsFailure[id]!),
      ...QUANTILES.map((q) => perWorkspace(recorded.quantile('workspace', family, q), (id) => bucketQuantile(q, wsBuckets[id]!))),
      perJob(recorded.rate('job', family), 4),
      perJob(recorded.failureRatio('job', family), 0.125),
      ...QUANTILES.map((q) => perJob(recorded.quantile('job', family, q), bucketQuantile(q, jobBuckets))),
    ],
  };
}

function httpAndCacheCase(): RecordingTestCase {
  const status = HTTP_ATTRIBUTES.statusCode.replace(/\./g, '_');
  const route = HTTP_ATTRIBUTES.route.replace(/\./g, '_');
  const method = HTTP_ATTRIBUTES.method.replace(/\./g, '_');
  const req = (code: string) => ({ job: 'api', [method]: 'GET', [route]: '/users/:id', [status]: code });
  const http = count(httpServerRequestDuration);
  const httpBuckets = bucket(httpServerRequestDuration);
  const cache = series(cacheOperations);
  const jobBuckets: [number, number][] = [[0.25, 2], [0.5, 4], [Infinity, 4]];
  const one = (record: string, labels: Record<string, string>, value: number): ExprTest => ({
    expr: record,
    evalTime: EVAL,
    samples: [{ labels: sample(record, labels), value }],
  });
  return {
    name: 'recording rules: HTTP server requests and cache hit ratio',
    input: [
      growing(http, req('200'), 210, STEPS),
      growing(http, req('500'), 30, STEPS),
      ...buckets(httpBuckets, req('200'), [['0.25', 120], ['0.5', 210], ['+Inf', 210]], STEPS),
      ...buckets(httpBuckets, req('500'), [['0.25', 0], ['0.5', 30], ['+Inf', 30]], STEPS),
      growing(cache, { job: 'api', cache: 'users', operation: 'get', result: 'hit' }, 90, STEPS),
      growing(cache, { job: 'api', cache: 'users', operation: 'get', result: 'miss' }, 30, STEPS),
      growing(cache, { job: 'api', cache: 'users', operation: 'set', result: 'ok' }, 60, STEPS),
      growing(cache, { job: 'api', cache: 'sessions', operation: 'get', result: 'miss' }, 60, STEPS),
    ],
    exprTests: [
      one(recorded.httpRate(), { job: 'api' }, 4),
      one(recorded.httpErrorRatio(), { job: 'api' }, 0.125),
      ...QUANTILES.map((q) => one(recorded.httpQuantile(q), { job: 'api' }, bucketQuantile(q, jobBuckets))),
      {
        expr: recorded.cacheHitRatio(),
        evalTime: EVAL,
        samples: [
          { labels: sample(recorded.cacheHitRatio(), { job: 'api', cache: 'sessions' }), value: 0 },
          { labels: sample(recorded.cacheHitRatio(), { job: 'api', cache: 'users' }), value: 0.75 },
        ],
      },
    ],
  };
}

/** Folded recordings over all recordings, per workspace family: 0.5/s of 2/s for actions, 0.25/s of 1/s for queue job durations. */
function foldCase(options: OpsOptions): RecordingTestCase {
  const W = options.workspaceLabel;
  const folded = series(workspaceFolded);
  const steps = 40;
  const actions = series(ACTION_FAMILY.counter, 'workspace');
  const jobDurations = count(QUEUE_JOB_FAMILY.histogram, 'workspace');
  const record = recorded.workspaceFoldedRatio();
  return {
    name: 'recording rules: share of workspace recordings folded into the overflow value',
    input: [
      growing(folded, { job: 'api', metric: actions }, 30, steps),
      growing(folded, { job: 'api', metric: prometheusName(QUEUE_JOB_FAMILY.histogram, 'workspace') }, 15, steps),
      // a family with folds but no recordings of its own in the window has no share
      growing(folded, { job: 'api', metric: prometheusName(WORKFLOW_FAMILY.counter, 'workspace') }, 15, steps),
      growing(actions, { job: 'api', ...familyLabels(ACTION_FAMILY.counter), status: 'ok', [W]: 'ws-a' }, 60, steps),
      growing(actions, { job: 'api', ...familyLabels(ACTION_FAMILY.counter), status: 'ok', [W]: OVERFLOW_VALUE }, 60, steps),
      growing(jobDurations, { job: 'api', ...familyLabels(QUEUE_JOB_FAMILY.histogram), status: 'ok', [W]: OVERFLOW_VALUE }, 60, steps),
    ],
    exprTests: [
      {
        expr: record,
        evalTime: '40m',
        samples: [
          { labels: sample(record, { job: 'api', metric: actions }), value: 0.25 },
          { labels: sample(record, { job: 'api', metric: prometheusName(QUEUE_JOB_FAMILY.histogram, 'workspace') }), value: 0.25 },
        ],
      },
    ],
  };
}

/**
 * A custom family's rules, with the inputs of familyCase: per job (baseline)
 * 3.5 ok + 0.5 error per second; per workspace ws-a 1.5 ok + 0.5 error,
 * ws-b and ws-c 1 ok (without `status`, all of them count as recordings);
 * histogram buckets as in familyCase.
 */
function customCase(family: CustomFamily, options: OpsOptions): RecordingTestCase | undefined {
  if (family.counting === undefined) return undefined;
  const W = options.workspaceLabel;
  const extra: Record<string, string> = {};
  for (const key of family.labels) extra[key] = 'example';
  const st = (status: string): Record<string, string> => (family.hasStatus ? { status } : {});
  const input: InputSeries[] = [
    growing(family.counting.baseline, { ...extra, ...st('ok'), job: 'svc' }, family.hasStatus ? 210 : 240, STEPS),
    ...(family.hasStatus ? [growing(family.counting.baseline, { ...extra, ...st('error'), job: 'svc' }, 30, STEPS)] : []),
  ];
  const tests: ExprTest[] = [];
  const perJob = (record: string, value: number): ExprTest => ({ expr: record, evalTime: EVAL, samples: [{ labels: sample(record, { job: 'svc' }), value }] });
  tests.push(perJob(recorded.customRate('job', family), 4));
  if (family.hasStatus) tests.push(perJob(recorded.customFailureRatio('job', family), 0.125));
  const jobBuckets: [number, number][] = [[0.25, 2], [0.5, 4], [Infinity, 4]];
  if (family.buckets) {
    input.push(...buckets(family.buckets.baseline, { ...extra, ...st('ok'), job: 'svc' }, [['0.25', 120], ['0.5', 240], ['+Inf', 240]], STEPS));
    tests.push(...QUANTILES.map((q) => perJob(recorded.customQuantile('job', family, q), bucketQuantile(q, jobBuckets))));
  }
  const ws = family.counting.workspace;
  if (ws !== undefined) {
    const at = (id: string, status: string) => ({ ...extra, ...st(status), [W]: id, job: 'svc' });
    input.push(
      growing(ws, at('ws-a', 'ok'), family.hasStatus ? 90 : 120, STEPS),
      ...(family.hasStatus ? [growing(ws, at('ws-a', 'error'), 30, STEPS)] : []),
      growing(ws, at('ws-b', 'ok'), 60, STEPS),
    );
    const perWorkspace = (record: string, values: Record<string, number>): ExprTest => ({
      expr: record,
      evalTime: EVAL,
      samples: Object.entries(values).map(([id, value]) => ({ labels: sample(record, { [W]: id }), value })),
    });
    tests.push(perWorkspace(recorded.customRate('workspace', family), { 'ws-a': 2, 'ws-b': 1 }));
    if (family.hasStatus) tests.push(perWorkspace(recorded.customFailureRatio('workspace', family), { 'ws-a': 0.25, 'ws-b': 0 }));
    if (family.buckets?.workspace) {
      input.push(
        ...buckets(family.buckets.workspace, at('ws-a', 'ok'), [['0.25', 0], ['0.5', 120], ['+Inf', 120]], STEPS),
        ...buckets(family.buckets.workspace, at('ws-b', 'ok'), [['0.25', 60], ['0.5', 60], ['+Inf', 60]], STEPS),
      );
      const wsBuckets: Record<string, [number, number][]> = { 'ws-a': [[0.25, 0], [0.5, 2], [Infinity, 2]], 'ws-b': [[0.25, 1], [0.5, 1], [Infinity, 1]] };
      tests.push(
        ...QUANTILES.map((q) =>
          perWorkspace(recorded.customQuantile('workspace', family, q), { 'ws-a': bucketQuantile(q, wsBuckets['ws-a']!), 'ws-b': bucketQuantile(q, wsBuckets['ws-b']!) }),
        ),
      );
    }
  }
  return { name: `recording rules: custom family ${family.decl.name}`, input, exprTests: tests };
}

export function recordingTestCases(options: OpsOptions): RecordingTestCase[] {
  const custom = customFamilies(options).flatMap((family) => customCase(family, options) ?? []);
  return [...EXECUTION_FAMILIES.map((family) => familyCase(family, options)), httpAndCacheCase(), foldCase(options), queueRecordingTestCase(), ...custom, ...runtimeRecordingTestCases()];
}

// ---- alerts --------------------------------------------------------------

/** A baseline execution counter with `ok` and `error` outcomes growing per minute. */
function outcomes(family: ExecutionFamily, job: string, ok: number, error: number, steps: number): InputSeries[] {
  const extra = familyLabels(family.counter);
  return [
    growing(series(family.counter), { job, ...extra, status: 'ok' }, ok, steps),
    growing(series(family.counter), { job, ...extra, status: 'error' }, error, steps),
  ];
}

function durations(family: ExecutionFamily, job: string, lower: number, upper: number, steps: number): InputSeries[] {
  const extra = { job, ...familyLabels(family.histogram), status: 'ok' };
  return buckets(bucket(family.histogram), extra, [[String(lower), 0], [String(upper), 60], ['+Inf', 60]], steps);
}

/** Whole percentages around a ratio threshold: twice it (capped at 99) fires, half of it (rounded down) does not. */
function around(threshold: number): { firing: number; quiet: number } {
  return { firing: Math.min(99, Math.round(threshold * 200)), quiet: Math.floor(threshold * 50) };
}

function failureSpecs(t: OpsThresholds, family: ExecutionFamily, job: string, critical: boolean): [AlertTestSpec, AlertTestSpec?] {
  const h = around(t.failureRatioHigh);
  const high: AlertTestSpec = {
    firing: {
      input: outcomes(family, job, 100 - h.firing, h.firing, 30),
      evalTime: '20m',
      alerts: [{ labels: { job }, description: `${h.firing}% of ${family.noun} in ${job} ended in error or timeout over the last 5 minutes.` }],
    },
    quiet: { input: outcomes(family, job, 100 - h.quiet, h.quiet, 30), evalTime: '20m' },
  };
  if (!critical) return [high];
  const c = around(t.failureRatioCritical);
  return [
    high,
    {
      firing: {
        input: outcomes(family, job, 100 - c.firing, c.firing, 30),
        evalTime: '20m',
        alerts: [{ labels: { job }, description: `${c.firing}% of ${family.noun} in ${job} ended in error or timeout over the last 5 minutes.` }],
      },
      quiet: { input: outcomes(family, job, 100 - c.quiet, c.quiet, 30), evalTime: '20m' },
    },
  ];
}

/** A family's slow alert: durations in (lower, upper] that make it fire with `description`, and healthy ones. */
function slowSpec(family: ExecutionFamily, job: string, firing: [lower: number, upper: number], quiet: [lower: number, upper: number], description: string): AlertTestSpec {
  return {
    firing: { input: durations(family, job, ...firing, 30), evalTime: '25m', alerts: [{ labels: { job }, description }] },
    quiet: { input: durations(family, job, ...quiet, 30), evalTime: '25m' },
  };
}

/** A scrape target's `up == 0` alert: down it fires, up it stays silent. */
function targetDownSpec(job: string, instance: string): AlertTestSpec {
  return {
    firing: {
      input: [constant('up', { job, instance }, 0, 10)],
      evalTime: '6m',
      alerts: [{ labels: { job, instance }, description: `Scraping ${instance} (job ${job}) has failed for 5 minutes.` }],
    },
    quiet: { input: [constant('up', { job, instance }, 1, 10)], evalTime: '6m' },
  };
}

export function alertTestSpecs(options: OpsOptions): Record<string, AlertTestSpec> {
  const W = options.workspaceLabel;
  const t = options.thresholds;
  const [actionHigh, actionCritical] = failureSpecs(t, ACTION_FAMILY, 'checkout', true);
  const [workflowHigh, workflowCritical] = failureSpecs(t, WORKFLOW_FAMILY, 'engine', true);
  const [queueJobHigh] = failureSpecs(t, QUEUE_JOB_FAMILY, 'worker', false);
  /** Durations in (threshold/3, 2 threshold] (p95 = 1.6 threshold) fire; in (threshold/10, threshold/5] they do not. */
  const slow = (family: ExecutionFamily, job: string, threshold: number) =>
    slowSpec(
      family,
      job,
      [threshold / 3, threshold * 2],
      [threshold / 10, threshold / 5],
      `95% of ${family.noun} in ${job} take up to ${humanizeDuration(bucketQuantile(0.95, [[threshold / 3, 0], [threshold * 2, 1], [Infinity, 1]]))} (threshold ${num(threshold)}s).`,
    );
  const httpErrors = around(t.httpErrorRatio);
  const fold = {
    /** WorkspaceOverflowGrowing: a share above overflowRatio, after one below it divided by twice the growth factor. */
    after: (1 + t.overflowRatio) / 2,
    before: (1 + t.overflowRatio) / 2 / (2 * t.overflowGrowth),
    /** WorkspaceAllowlistDiverged: above and below its ratio. */
    diverged: (1 + t.allowlistDivergedRatio) / 2,
    healthy: t.allowlistDivergedRatio / 2,
  };
  const httpLabels = (code: string) => ({
    job: 'api',
    [HTTP_ATTRIBUTES.method.replace(/\./g, '_')]: 'GET',
    [HTTP_ATTRIBUTES.route.replace(/\./g, '_')]: '/users/:id',
    [HTTP_ATTRIBUTES.statusCode.replace(/\./g, '_')]: code,
  });
  const httpCount = count(httpServerRequestDuration);
  const httpBucket = bucket(httpServerRequestDuration);
  const breaker = (name: string, current: string) =>
    ['closed', 'open', 'half_open'].map((state) => constant(series(circuitBreakerState), { job: 'api', breaker: name, state }, state === current ? 1 : 0, 20));
  const folded = series(workspaceFolded);
  const actionsWs = series(ACTION_FAMILY.counter, 'workspace');
  const actionsWsInput = (steps: number) => [
    growing(actionsWs, { job: 'api', ...familyLabels(ACTION_FAMILY.counter), status: 'ok', [W]: 'ws-a' }, 60, steps),
    growing(actionsWs, { job: 'api', ...familyLabels(ACTION_FAMILY.counter), status: 'ok', [W]: OVERFLOW_VALUE }, 60, steps),
  ];
  return {
    ActionFailureRateHigh: actionHigh,
    ActionFailureRateCritical: actionCritical!,
    ActionExecutionsSlow: slow(ACTION_FAMILY, 'checkout', t.actionP95Seconds),
    WorkflowFailureRateHigh: workflowHigh,
    WorkflowFailureRateCritical: workflowCritical!,
    WorkflowExecutionsSlow: slow(WORKFLOW_FAMILY, 'engine', t.workflowP95Seconds),
    QueueJobFailureRateHigh: queueJobHigh,
    ...queueAlertTestSpecs(options),
    WorkerPoolUnhealthy: {
      firing: {
        input: [constant(series(workerHealth), { job: 'worker', worker: 'email' }, 0, 20), constant(series(workerHealth), { job: 'worker', worker: 'sms' }, 1, 20)],
        evalTime: '10m',
        alerts: [{ labels: { job: 'worker', worker: 'email' }, description: 'Worker pool email of worker has reported unhealthy for 5 minutes.' }],
      },
      quiet: { input: [constant(series(workerHealth), { job: 'worker', worker: 'email' }, 1, 20)], evalTime: '10m' },
    },
    HttpErrorRateHigh: {
      firing: {
        input: [
          growing(httpCount, httpLabels('200'), 100 - httpErrors.firing - Math.min(50, 100 - httpErrors.firing), 30),
          growing(httpCount, httpLabels('404'), Math.min(50, 100 - httpErrors.firing), 30),
          growing(httpCount, httpLabels('500'), httpErrors.firing, 30),
        ],
        evalTime: '20m',
        alerts: [{ labels: { job: 'api' }, description: `${humanizePercentage(httpErrors.firing / 100)} of HTTP requests served by api ended in a 5xx response over the last 5 minutes.` }],
      },
      // 4xx responses are the clients' errors, not the service's: half of the requests are 404s
      quiet: {
        input: [growing(httpCount, httpLabels('200'), 50 - httpErrors.quiet, 30), growing(httpCount, httpLabels('404'), 50, 30), growing(httpCount, httpLabels('500'), httpErrors.quiet, 30)],
        evalTime: '20m',
      },
    },
    HttpLatencyHigh: {
      firing: {
        input: buckets(httpBucket, httpLabels('200'), [[num(t.httpP95Seconds), 0], [num(t.httpP95Seconds * 2.5), 60], ['+Inf', 60]], 30),
        evalTime: '20m',
        alerts: [{ labels: { job: 'api' }, description: `95% of HTTP requests served by api take up to ${humanizeDuration(t.httpP95Seconds * 2.425)}.` }],
      },
      quiet: { input: buckets(httpBucket, httpLabels('200'), [[num(t.httpP95Seconds / 10), 0], [num(t.httpP95Seconds / 4), 60], ['+Inf', 60]], 30), evalTime: '20m' },
    },
    CircuitBreakerOpen: {
      firing: {
        input: [...breaker('crm', 'open'), ...breaker('gmail', 'closed')],
        evalTime: '10m',
        alerts: [
          { labels: { job: 'api', breaker: 'crm' }, description: 'Circuit breaker crm of api is open: calls to its dependency are short-circuited.' },
        ],
      },
      quiet: { input: [...breaker('crm', 'half_open'), ...breaker('gmail', 'closed')], evalTime: '10m' },
    },
    DeadLetterQueueGrowing: {
      firing: {
        input: [{ series: sample(series(deadLetterQueueSize), { job: 'api', queue: 'emails' }), values: '0+2x60' }],
        evalTime: '40m',
        alerts: [
          {
            labels: { job: 'api', queue: 'emails' },
            description: 'Dead-letter queue emails of api grew by 30 messages in the last 15 minutes, and has kept growing for 15 minutes.',
          },
        ],
      },
      quiet: { input: [constant(series(deadLetterQueueSize), { job: 'api', queue: 'emails' }, 5, 60)], evalTime: '40m' },
    },
    WorkspaceOverflowGrowing: {
      firing: {
        // of 2/s, fold.before for 90 minutes, then fold.after
        input: [
          { series: sample(folded, { job: 'api', metric: actionsWs }), values: `0+${num(fold.before * 120)}x90 ${num(fold.before * 120 * 90 + fold.after * 120)}+${num(fold.after * 120)}x60` },
          ...actionsWsInput(150),
        ],
        evalTime: '150m',
        alerts: [
          {
            labels: { job: 'api', metric: actionsWs },
            description: `${humanizePercentage(fold.after)} of ${actionsWs} recordings in api fold into __other__ (${W} not allowlisted), more than ${num(t.overflowGrowth)} times the share of an hour ago.`,
          },
        ],
      },
      // a steady high share (fold.after): not growing
      quiet: { input: [growing(folded, { job: 'api', metric: actionsWs }, fold.after * 120, 150), ...actionsWsInput(150)], evalTime: '150m' },
    },
    WorkspaceAllowlistDiverged: {
      firing: {
        input: [growing(folded, { job: 'api', metric: actionsWs }, fold.diverged * 120, 100), ...actionsWsInput(100)],
        evalTime: '100m',
        alerts: [
          {
            labels: { job: 'api', metric: actionsWs },
            description: `${humanizePercentage(fold.diverged)} of ${actionsWs} recordings in api have folded into __other__ for an hour (${W} not allowlisted).`,
          },
        ],
      },
      quiet: { input: [growing(folded, { job: 'api', metric: actionsWs }, fold.healthy * 120, 100), ...actionsWsInput(100)], evalTime: '100m' },
    },
    WorkspaceAllowlistReloadFailing: {
      firing: {
        input: [growing(series(allowlistReloadErrors), { job: 'api', instance: 'api-1', source: 'file' }, 1, 40)],
        evalTime: '35m',
        alerts: [{ labels: { job: 'api', source: 'file' }, description: 'Allowlist source file of api failed 15 times in 15 minutes: the allowlist may be stale.' }],
      },
      quiet: { input: [growing(series(allowlistReloadErrors), { job: 'api', instance: 'api-1', source: 'file' }, 0, 40)], evalTime: '35m' },
    },
    OtelCollectorDown: targetDownSpec(options.jobs.collector, 'collector:8889'),
    OtelCollectorExportFailing: {
      firing: {
        input: [
          growing(COLLECTOR_METRICS.exporterSendFailed, { job: options.jobs.collectorTelemetry, instance: 'collector:8888', exporter: 'prometheus_remote_write' }, 600, 30),
          growing(COLLECTOR_METRICS.exporterSendFailed, { job: options.jobs.collectorTelemetry, instance: 'collector:8888', exporter: 'prometheus' }, 0, 30),
        ],
        evalTime: '20m',
        alerts: [
          {
            labels: { job: options.jobs.collectorTelemetry, instance: 'collector:8888', exporter: 'prometheus_remote_write' },
            description: 'Exporter prometheus_remote_write of collector:8888 fails to send 10 metric points per second.',
          },
        ],
      },
      quiet: {
        input: [growing(COLLECTOR_METRICS.exporterSendFailed, { job: options.jobs.collectorTelemetry, instance: 'collector:8888', exporter: 'prometheus' }, 0, 30)],
        evalTime: '20m',
      },
    },
    MetricsEndpointDown: targetDownSpec(options.jobs.embedded, '10.0.0.5:9464'),
    ...Object.fromEntries(customFamilies(options).filter((f) => f.hasStatus).map((family) => [`${pascalCase(family.decl.name)}FailureRateHigh`, customFailureSpec(t, family)])),
    // export failures: src/ops/rule-tests-export.ts
    ...exportAlertTestSpecs(options),
    // runtime and process: src/ops/rule-tests-runtime.ts
    ...runtimeAlertTestSpecs(options),
  };
}

/** A custom family's failure-rate alert: twice the threshold fires, half of it stays silent. */
function customFailureSpec(t: OpsThresholds, family: CustomFamily): AlertTestSpec {
  const h = around(t.failureRatioHigh);
  const counting = family.counting!.baseline;
  const extra: Record<string, string> = {};
  for (const key of family.labels) extra[key] = 'example';
  const input = (ok: number, error: number) => [growing(counting, { job: 'svc', ...extra, status: 'ok' }, ok, 30), growing(counting, { job: 'svc', ...extra, status: 'error' }, error, 30)];
  return {
    firing: {
      input: input(100 - h.firing, h.firing),
      evalTime: '20m',
      alerts: [{ labels: { job: 'svc' }, description: `${h.firing}% of ${family.decl.name} recordings in svc ended in error or timeout over the last 5 minutes.` }],
    },
    quiet: { input: input(100 - h.quiet, h.quiet), evalTime: '20m' },
  };
}

// ---- rendering -----------------------------------------------------------

/**
 * Labels an input series needs to match the user's service selector
 * (OpsOptions.selectors.service): `a="b"` gives a="b", `a=~"b|c"` gives
 * a="b" (its first alternative, when that is a plain value); `!=`/`!~`
 * match series without the label.
 */
export function serviceLabels(options: OpsOptions): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of options.selectors.service.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    const [, name, op, value] = m as unknown as [string, string, string, string];
    if (op === '=') labels[name] = value;
    else if (op === '=~') {
      const first = value.split('|')[0]!;
      if (!/^[A-Za-z0-9_.:/-]*$/.test(first)) throw new Error(`selectors.service: cannot build promtool inputs for ${name}=~"${value}" (use = or a plain first alternative)`);
      labels[name] = first;
    }
  }
  return labels;
}

/** The catalogue series names, and the kit's export-failure counter (the rules add the service selector to these, and to no other). */
function catalogueNames(options: OpsOptions): Set<string> {
  const names = new Set<string>([KIT_EXPORT_FAILURES]);
  for (const decl of [...BUILTIN_METRICS, ...options.metrics]) {
    for (const stream of ['baseline', 'workspace'] as const) {
      if (stream === 'workspace' && !decl.workspaceStream) continue;
      const name = prometheusName(decl, stream);
      if (prometheusType(decl) === 'histogram') for (const part of ['bucket', 'count', 'sum']) names.add(`${name}_${part}`);
      else names.add(name);
    }
  }
  return names;
}

function inputYaml(input: readonly InputSeries[], options: OpsOptions) {
  const extra = Object.entries(serviceLabels(options));
  const names = extra.length === 0 ? new Set<string>() : catalogueNames(options);
  return input.map((s) => {
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s.series)![0];
    if (!names.has(name)) return { series: s.series, values: s.values };
    const added = extra.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
    const rest = s.series.slice(name.length);
    const series = rest.startsWith('{') ? `${name}{${added}, ${rest.slice(1)}` : `${name}{${added}}`;
    return { series, values: s.values };
  });
}

export function recordingTestsYaml(options: OpsOptions, ruleFiles: readonly string[]) {
  const known = new Set(recordingRuleGroups(options).flatMap((g) => g.rules.map((r) => r.record)));
  return {
    rule_files: [...ruleFiles],
    evaluation_interval: INTERVAL,
    tests: recordingTestCases(options).map((test) => {
      for (const t of test.exprTests) if (!known.has(t.expr)) throw new Error(`no recording rule ${t.expr}`);
      return {
        name: test.name,
        interval: INTERVAL,
        input_series: inputYaml(test.input, options),
        promql_expr_test: test.exprTests.map((t) => ({
          expr: t.expr,
          eval_time: t.evalTime,
          exp_samples: t.samples.map((s) => ({ labels: s.labels, value: s.value })),
        })),
      };
    }),
  };
}

export function alertTestsYaml(options: OpsOptions, ruleFiles: readonly string[]) {
  const specs = alertTestSpecs(options);
  const rules = alertGroups(options).flatMap((g) => g.rules);
  const byName = new Map<string, AlertRule>(rules.map((r) => [r.alert, r]));
  for (const name of Object.keys(specs)) if (!byName.has(name)) throw new Error(`test for unknown alert ${name}`);
  const tests = rules.flatMap((rule) => {
    const spec = specs[rule.alert];
    if (spec === undefined) throw new Error(`alert ${rule.alert} has no test`);
    const annotations = alertRuleYaml(rule, options).annotations;
    return [
      {
        name: `${rule.alert} fires`,
        interval: INTERVAL,
        input_series: inputYaml(spec.firing.input, options),
        alert_rule_test: [
          {
            eval_time: spec.firing.evalTime,
            alertname: rule.alert,
            exp_alerts: spec.firing.alerts.map((alert) => ({
              exp_labels: { severity: rule.severity, ...alert.labels },
              exp_annotations: { summary: annotations.summary, description: alert.description, runbook_url: annotations.runbook_url },
            })),
          },
        ],
      },
      {
        name: `${rule.alert} stays silent on healthy input`,
        interval: INTERVAL,
        input_series: inputYaml(spec.quiet.input, options),
        alert_rule_test: [{ eval_time: spec.quiet.evalTime, alertname: rule.alert, exp_alerts: [] }],
      },
    ];
  });
  return { rule_files: [...ruleFiles], evaluation_interval: INTERVAL, tests };
}
