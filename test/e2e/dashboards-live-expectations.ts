/**
 * What each dashboard panel and each recording rule must show for the
 * workload of test/fixtures/ops-app.cjs (job `ops-app`), written from the
 * fixture, not from src/ops. One fixture round records, among others:
 * 5 executions per family (statuses ok, ok, ok, error, timeout: 2 of 5 fail),
 * 1 bus message, 3 cache operations (users get: 3 hits in 4; sessions get: 1
 * hit in 2), 4 HTTP requests (200, 201, 404, 500). Rates are stated per round
 * and compared with the round rate R (bus messages per second) measured over
 * the same window, so a query that counts a stream twice reads 2× and fails.
 * Durations cycle through fixed values, so quantiles follow from the values
 * and the declared buckets.
 */
import { DURATION_BUCKETS_SECONDS } from '../../src/model/types';
import { DATABASE_DURATION_BUCKETS_SECONDS } from '../../src/catalogue/database';
import { RATE_LIMITER_DELAY_BUCKETS_SECONDS } from '../../src/catalogue/resilience';

export type Expectation =
  /** The sum over the result's series is `perRound` × R (within the rate tolerance). */
  | { kind: 'rate'; perRound: number }
  /** Every series is `perRound` × R. */
  | { kind: 'eachRate'; perRound: number }
  /** Every series equals `value` (within `tolerance`, absolute). */
  | { kind: 'value'; value: number; tolerance: number }
  /** Series by one label: exact values. */
  | { kind: 'byLabel'; label: string; values: Readonly<Record<string, number>>; tolerance: number }
  /** Every series is the `q` quantile of `values` in `buckets` (within the quantiles at rank q ± 0.1, ± 5 %). */
  | { kind: 'quantile'; q: number; values: readonly number[]; buckets: readonly number[] }
  /** Every series lies in [min, max] (values the fixture does not fix: latency of real requests, growing ages). */
  | { kind: 'between'; min: number; max: number }
  /** Series by one label: each within its [min, max]. */
  | { kind: 'byLabelBetween'; label: string; ranges: Readonly<Record<string, readonly [number, number]>> }
  /**
   * Exactly these series, keyed by their `labels` values joined with `/`
   * (`emails/QUEUED`): a value is exact, a pair a [min, max] range. A series
   * not listed, or a listed one missing, is a problem.
   */
  | { kind: 'exactSeries'; labels: readonly string[]; values: Readonly<Record<string, number | readonly [number, number]>> };

const rate = (perRound: number): Expectation => ({ kind: 'rate', perRound });
const eachRate = (perRound: number): Expectation => ({ kind: 'eachRate', perRound });
const value = (v: number, tolerance = 0.02): Expectation => ({ kind: 'value', value: v, tolerance });
const byLabel = (label: string, values: Record<string, number>, tolerance = 0): Expectation => ({ kind: 'byLabel', label, values, tolerance });
const quantile = (q: number, values: readonly number[], buckets: readonly number[]): Expectation => ({ kind: 'quantile', q, values, buckets });
const between = (min: number, max: number): Expectation => ({ kind: 'between', min, max });
const byLabelBetween = (label: string, ranges: Record<string, readonly [number, number]>): Expectation => ({ kind: 'byLabelBetween', label, ranges });
const exactSeries = (labels: readonly string[], values: Record<string, number | readonly [number, number]>): Expectation => ({ kind: 'exactSeries', labels, values });
const perQueue = (values: Record<string, number | readonly [number, number]>): Expectation => exactSeries(['queue'], values);

/**
 * The queue fixture (the runs table of dashboards-live.test.ts, read with its
 * queue column): queue emails holds 3 QUEUED runs (2 due, the oldest queued 10
 * minutes before the test, 1 scheduled in an hour), 2 RUNNING (1 lease
 * expired, 1 active) and 1 DONE; queue reports holds 1 QUEUED run (due,
 * queued 1 minute before), 1 RUNNING (active lease) and QUEUE_FAILED_BEFORE
 * FAILED, and gets QUEUE_FAILED_ADDED more FAILED runs 10 s after Prometheus
 * has seen the first ones.
 * Every value is per queue; ages grow while the test runs.
 */
export const QUEUE_FAILED_BEFORE = 6;
export const QUEUE_FAILED_ADDED = 12;
export const QUEUE_EXPECTATIONS = {
  depth: exactSeries(['queue', 'status'], {
    'emails/QUEUED': 3,
    'emails/RUNNING': 2,
    'emails/DONE': 1,
    'reports/QUEUED': 1,
    'reports/RUNNING': 1,
    'reports/FAILED': QUEUE_FAILED_BEFORE + QUEUE_FAILED_ADDED,
  }),
  ready: perQueue({ emails: 2, reports: 1 }),
  future: perQueue({ emails: 1, reports: 0 }),
  oldestReadyAge: perQueue({ emails: [600, 1500], reports: [60, 900] }),
  expiredLeases: perQueue({ emails: 1, reports: 0 }),
  activeLeases: perQueue({ emails: 1, reports: 1 }),
  // delta over 15m of a series younger than the window: the step, extrapolated by half a scrape interval before
  // the first sample and up to the evaluation after the last one; the series is at least 10 s old when the runs are
  // added (up to 1.2 ×). The 6 failed runs held before are not growth: a rule reading the depth itself shows 18.
  failedGrowth: perQueue({ reports: [QUEUE_FAILED_ADDED, QUEUE_FAILED_ADDED * 1.25] }),
  up: exactSeries(['queue', 'backend'], { 'emails/postgres': 1, 'reports/postgres': 1 }),
} as const;

/** An exactSeries expectation restricted to one queue (what the panel shows with `$queue` = that queue); other kinds: undefined. */
export function forQueue(expected: Expectation, queue: string): Expectation | undefined {
  if (expected.kind !== 'exactSeries') return undefined;
  const at = expected.labels.indexOf('queue');
  if (at < 0) return undefined;
  return { ...expected, values: Object.fromEntries(Object.entries(expected.values).filter(([key]) => key.split('/')[at] === queue)) };
}

/** The values a fixture duration cycles through. */
const range = (n: number, f: (k: number) => number): number[] => Array.from({ length: n }, (_, k) => f(k));
export const ACTION_DURATIONS = range(10, (k) => 0.05 + k / 20);
export const QUEUE_DURATIONS = ACTION_DURATIONS.map((d) => d * 2);
export const WORKFLOW_DURATIONS = ACTION_DURATIONS.map((d) => d * 5);
export const INVOICE_DURATIONS = ACTION_DURATIONS.map((d) => d * 4);
export const INVOICE_BUCKETS = [0.1, 0.5, 1, 2, 5, 10];
const BUS_DURATIONS = range(5, (k) => 0.1 + k / 10);
const LIMITER_DELAYS = range(8, (k) => k / 2);
const DB_SELECT = range(5, (k) => 0.002 * (1 + k));

/** Prometheus's histogram_quantile for observations `values` (equally often) in `buckets` (upper bounds, +Inf implied). */
export function expectedQuantile(q: number, values: readonly number[], buckets: readonly number[]): number {
  const bounds = [...buckets, Infinity];
  const cumulative = bounds.map((le) => values.filter((v) => v <= le).length);
  const total = values.length;
  const rank = q * total;
  const b = cumulative.findIndex((c) => c >= rank);
  if (bounds[b] === Infinity) return bounds[bounds.length - 2]!;
  const start = b === 0 ? 0 : bounds[b - 1]!;
  const below = b === 0 ? 0 : cumulative[b - 1]!;
  return start + (bounds[b]! - start) * ((rank - below) / (cumulative[b]! - below));
}

const D = DURATION_BUCKETS_SECONDS;
const FAIL = 0.4;
const percentiles = (values: readonly number[], buckets: readonly number[]) => [quantile(0.5, values, buckets), quantile(0.95, values, buckets), quantile(0.99, values, buckets)];

/**
 * The runtime recording rules per process of ops-app: what any live Node
 * process shows. The heap is in use and below its limit (0 < ratio < 1), GC
 * takes some but not all of the time, the process uses CPU and tens of MB of
 * RSS, and it never restarted during the test. (The recorded RSS and heap
 * ratio are also compared with the raw series at the rule's own timestamp
 * in dashboards-live.test.ts.)
 */
const RUNTIME_RULES: Readonly<Record<string, Expectation>> = {
  'job_instance:nodejs_eventloop_delay_p99_seconds:avg5m': between(1e-6, 5),
  'job_instance:v8js_memory_heap_used_bytes:ratio_limit': between(1e-4, 0.999),
  'job_instance:v8js_gc_duration_seconds:ratio_rate5m': between(0, 0.999),
  'job_instance:process_cpu_time_seconds:rate5m': between(1e-4, 2.05),
  'job_instance:process_memory_usage_bytes:max': between(1e7, 8e9),
  'job_instance:process_restarts:resets30m': value(0, 0),
};

const RUNTIME_RECORDED_PANELS: Readonly<Record<string, readonly Expectation[]>> = {
  'owm-overview / Highest resident memory (RSS)': [between(1e7, 8e9)],
  'owm-overview / Highest heap used / heap limit': [between(1e-4, 0.999)],
  'owm-overview / Worst event loop delay (p99, 5m average)': [between(1e-6, 5)],
  'owm-overview / Process restarts in 30 minutes': [value(0, 0)],
  'owm-runtime / RSS per instance (recorded)': [between(1e7, 8e9)],
  'owm-runtime / Heap used / heap limit': [between(1e-4, 0.999)],
  'owm-runtime / Event loop delay p99, 5m average': [between(1e-6, 5)],
  'owm-runtime / Share of time in GC pauses (5m)': [between(0, 0.999)],
  'owm-runtime / CPU (5m)': [between(1e-4, 2.05)],
  'owm-runtime / Restarts in 30 minutes': [value(0, 0)],
};

/** Panel targets: `${dashboard uid} / ${panel title}` → one expectation per target (refId A, B, ...). */
export const PANEL_EXPECTATIONS: Readonly<Record<string, readonly Expectation[]>> = {
  // overview ($job = ops-app)
  'owm-overview / Action executions per second': [rate(5)],
  'owm-overview / Action executions: failure ratio': [value(FAIL)],
  'owm-overview / Action executions: duration percentiles': percentiles(ACTION_DURATIONS, D),
  'owm-overview / Slowest actions (p95)': [quantile(0.95, ACTION_DURATIONS, D)],
  'owm-overview / Workflow executions per second': [rate(5)],
  'owm-overview / Workflow executions: failure ratio': [value(FAIL)],
  'owm-overview / Workflow executions: duration percentiles': percentiles(WORKFLOW_DURATIONS, D),
  'owm-overview / Workflow steps per second': [rate(5)],
  // step types cycle with tick + i, so each step type sees every duration
  'owm-overview / Workflow steps: p95 by step type': [quantile(0.95, ACTION_DURATIONS, D)],
  'owm-overview / Queue jobs per second': [rate(5)],
  'owm-overview / Queue jobs: failure ratio': [value(FAIL)],
  'owm-overview / Queue jobs: duration percentiles': percentiles(QUEUE_DURATIONS, D),
  'owm-overview / HTTP requests per second': [rate(4)],
  'owm-overview / HTTP 5xx ratio': [value(0.25)],
  'owm-overview / HTTP p95 latency': [between(0.0001, 2.5)],
  // 2 of the 5 workspaces (ws-9001, ws-9002) are not allowlisted: 40 % of every workspace stream folds
  'owm-overview / Share of workspace recordings folded into __other__': [value(FAIL)],
  'owm-overview / Folded recordings per second': [eachRate(2)],
  'owm-overview / Unlisted workspaces and allowlist size': [value(2, 0), value(3, 0)],
  'owm-overview / Allowlist reload errors per second': [value(0, 0)],
  'owm-overview / Time since the last allowlist reload': [between(0, 600)],
  // three jobs, one target each
  'owm-overview / Scrape targets up': [value(1, 0)],
  // the remote-write exporter points at a dead endpoint: it sends nothing and fails everything; the Prometheus exporter never fails
  'owm-overview / Collector: exported metric points per second': [
    byLabelBetween('exporter', { prometheus: [0.01, 1e6], prometheus_remote_write: [0, 0] }),
    byLabelBetween('exporter', { prometheus: [0, 0], prometheus_remote_write: [0.01, 1e6] }),
  ],
  'owm-overview / Collector: received metric points per second': [between(0.01, 1e6), value(0, 0)],
  // workspace drill-down ($workspace = ws-0001, recorded by ops-app only)
  'owm-workspace / Action executions per second': [rate(1)],
  'owm-workspace / Action executions: failure ratio': [value(FAIL, 0.03)],
  'owm-workspace / Action executions: duration percentiles': percentiles(ACTION_DURATIONS, D),
  'owm-workspace / Busiest actions': [rate(1)],
  'owm-workspace / Workflow executions per second': [rate(1)],
  'owm-workspace / Workflow executions: failure ratio': [value(FAIL, 0.03)],
  'owm-workspace / Workflow executions: duration percentiles': percentiles(WORKFLOW_DURATIONS, D),
  'owm-workspace / Workflow steps per second': [rate(1)],
  'owm-workspace / Workflow steps: p95 by step type': [between(ACTION_DURATIONS[0]!, 0.5)],
  'owm-workspace / Queue jobs per second': [rate(1)],
  'owm-workspace / Queue jobs: failure ratio': [value(FAIL, 0.03)],
  'owm-workspace / Queue jobs: duration percentiles': percentiles(QUEUE_DURATIONS, D),
  // ops-app's share is 1 of 5; the embedded service adds its own start-up burst under __other__
  'owm-workspace / Share of all action executions': [between(0.01, 0.22)],
  'owm-workspace / Busiest workspaces': [between(0, 1e6)],
  'owm-workspace / Highest action failure ratios': [between(0, 1)],
  // queue & lease health (the seeded Postgres rows, per queue: QUEUE_EXPECTATIONS)
  'owm-queue / Jobs by queue and status': [QUEUE_EXPECTATIONS.depth],
  'owm-queue / Ready and scheduled jobs': [QUEUE_EXPECTATIONS.ready, QUEUE_EXPECTATIONS.future],
  'owm-queue / Oldest ready job': [QUEUE_EXPECTATIONS.oldestReadyAge],
  'owm-queue / Failed jobs added in 15 minutes': [QUEUE_EXPECTATIONS.failedGrowth],
  'owm-queue / Running jobs with an expired lease (stalled)': [QUEUE_EXPECTATIONS.expiredLeases],
  'owm-queue / Running jobs with an active lease': [QUEUE_EXPECTATIONS.activeLeases],
  'owm-queue / Queue backend reachable': [QUEUE_EXPECTATIONS.up],
  'owm-queue / Queue-health collection errors per second': [value(0, 0)],
  'owm-queue / Queue jobs per second': [rate(5)],
  'owm-queue / Queue jobs: duration by job type': [quantile(0.5, QUEUE_DURATIONS, D), quantile(0.95, QUEUE_DURATIONS, D)],
  'owm-queue / Queue jobs: failure ratio': [value(FAIL)],
  'owm-queue / Busy workers': [byLabel('worker', { sms: 1 }, 0)],
  'owm-queue / Worker pool health': [byLabel('worker', { email: 1 }, 0)],
  'owm-queue / Worker restarts per second': [rate(1)],
  // HTTP
  'owm-http / Requests per second by status code': [eachRate(1)],
  'owm-http / Requests per second by route': [rate(4)],
  'owm-http / 5xx ratio': [value(0.25)],
  'owm-http / Client errors (4xx) by route': [rate(1)],
  'owm-http / Request duration percentiles': [between(0.0001, 2.5), between(0.0001, 2.5), between(0.0001, 2.5)],
  'owm-http / p95 by route': [between(0.0001, 2.5)],
  'owm-http / Slowest routes (p95)': [between(0.0001, 2.5)],
  'owm-http / Request body size (p95) by route': [between(0, 1e6)],
  'owm-http / Response body size (p95) by route': [between(0, 1e6)],
  // resilience
  'owm-resilience / Open circuit breakers': [byLabel('breaker', { gmail: 1 }, 0)],
  'owm-resilience / Breaker state': [between(0, 1)],
  'owm-resilience / Breaker transitions per second': [rate(1)],
  'owm-resilience / Breaker trips per second': [rate(1 / 3)],
  'owm-resilience / Retry attempts per second': [rate(1)],
  'owm-resilience / Successes after retrying per second': [rate(1 / 2)],
  'owm-resilience / Dead-letter queue size': [between(1, 1e6)],
  'owm-resilience / Dead-letter replays per second': [rate(1)],
  'owm-resilience / Rate-limiter delay': [quantile(0.5, LIMITER_DELAYS, RATE_LIMITER_DELAY_BUCKETS_SECONDS), quantile(0.95, LIMITER_DELAYS, RATE_LIMITER_DELAY_BUCKETS_SECONDS)],
  'owm-resilience / Calls through rate limiters per second': [rate(1)],
  // caches, database, bus, sessions
  'owm-dependencies / Cache hit ratio': [byLabel('cache', { users: 0.75, sessions: 0.5 }, 0.03)],
  'owm-dependencies / Cache operations per second': [rate(3)],
  'owm-dependencies / Cache entries': [between(10, 150)],
  'owm-dependencies / Cache evictions per second': [rate(1)],
  'owm-dependencies / Database operations per second': [rate(2)],
  'owm-dependencies / Database operation duration (p95)': [between(DB_SELECT[0]!, 0.025)],
  'owm-dependencies / Database errors per second': [rate(1 / 3)],
  'owm-dependencies / Messages per second': [rate(1)],
  'owm-dependencies / Message processing duration (p95)': [quantile(0.95, BUS_DURATIONS, D)],
  'owm-dependencies / Bus queue depth': [between(0, 6)],
  'owm-dependencies / Active sessions': [between(5, 8)],
  'owm-dependencies / Session duration': [between(30, 3600), between(30, 3600)],
  'owm-dependencies / Session refreshes per second': [rate(1)],
  // Runtime and process families: the fixture does not fix them, so each is checked within what a small Node process can show.
  'owm-runtime / Event loop delay percentiles': [between(0, 5), between(0, 5), between(0, 5)],
  'owm-runtime / Event loop delay: min, mean, max, standard deviation': [between(0, 5), between(0, 5), between(0, 5), between(0, 5)],
  'owm-runtime / Event loop utilization': [between(0, 1)],
  'owm-runtime / Event loop time by state': [between(0, 1.05)],
  'owm-runtime / Heap used and heap limit': [between(1e6, 4e9), between(1.6e7, 1.7e10)],
  'owm-runtime / Heap spaces': [between(0, 4e9), between(0, 4e9), between(0, 4e9)],
  'owm-runtime / Time in GC': [between(0, 1)],
  'owm-runtime / Active resources': [between(0, 10_000)],
  'owm-runtime / CPU': [between(0, 2.05)],
  'owm-runtime / Resident memory (RSS)': [between(1e7, 8e9)],
  'owm-runtime / Threads': [between(2, 1000)],
  'owm-runtime / Open file descriptors': [between(3, 100_000)],
  'owm-runtime / Context switches per second': [between(0, 1e6)],
  'owm-runtime / Page faults per second': [between(0, 1e7)],
  'owm-runtime / Uptime': [between(1, 86_400)],
  // runtime recording rules (src/ops/rules-runtime.ts) on the Overview and Runtime dashboards
  ...RUNTIME_RECORDED_PANELS,
  // the application's own families (test/fixtures/ops-metrics.cjs)
  'owm-custom / invoice.renders per second': [rate(5)],
  'owm-custom / invoice.renders: failure ratio': [value(FAIL)],
  'owm-custom / invoice.render.duration per second': [rate(5)],
  'owm-custom / invoice.render.duration: failure ratio': [value(FAIL)],
  'owm-custom / invoice.render.duration: percentiles': percentiles(INVOICE_DURATIONS, INVOICE_BUCKETS),
};

/** Recording rules, for job ops-app and workspace ws-0001 (rates per round, as above). */
export function ruleExpectation(record: string): Expectation {
  const runtime = RUNTIME_RULES[record];
  if (runtime !== undefined) return runtime;
  const [level, metric, op] = record.split(':') as [string, string, string];
  const queueRule: Readonly<Record<string, Expectation>> = {
    'job_queue_status:queue_depth:max': QUEUE_EXPECTATIONS.depth,
    'job_queue:queue_ready_depth:max': QUEUE_EXPECTATIONS.ready,
    'job_queue:queue_future_depth:max': QUEUE_EXPECTATIONS.future,
    'job_queue:queue_oldest_ready_age_seconds:max': QUEUE_EXPECTATIONS.oldestReadyAge,
    'job_queue:queue_running_expired_lease:max': QUEUE_EXPECTATIONS.expiredLeases,
    'job_queue:queue_running_active_lease:max': QUEUE_EXPECTATIONS.activeLeases,
    'job_queue:queue_depth_failed:delta15m': QUEUE_EXPECTATIONS.failedGrowth,
  };
  if (queueRule[record] !== undefined) return queueRule[record]!;
  const workspace = level === 'workspace';
  const perFamily = workspace ? 1 : 5;
  const durations: Record<string, readonly number[]> = {
    action_duration_seconds: ACTION_DURATIONS,
    queue_job_duration_seconds: QUEUE_DURATIONS,
    workflow_duration_seconds: WORKFLOW_DURATIONS,
    invoice_render_duration_seconds: INVOICE_DURATIONS,
  };
  if (op.startsWith('ratio_rate')) {
    if (metric === 'http_server_request_errors') return value(0.25);
    if (metric === 'cache_hits') return byLabel('cache', { users: 0.75, sessions: 0.5 }, 0.03);
    if (metric === 'workspace_folded') return value(FAIL, 0.03);
    return value(FAIL, workspace ? 0.03 : 0.02);
  }
  if (op.startsWith('rate')) return metric === 'http_server_requests' ? rate(4) : rate(perFamily);
  const q = /^p(\d+)_/.exec(op);
  if (q) {
    const values = durations[metric];
    if (values === undefined) return between(0.0001, 2.5); // HTTP: real request latencies
    return quantile(Number(q[1]) / 100, values, metric.startsWith('invoice') ? INVOICE_BUCKETS : D);
  }
  throw new Error(`no expectation for recording rule ${record}`);
}

/**
 * `actual` against `expected`; R is the round rate (rounds per second) over
 * the same window, `rateTolerance` the relative tolerance of rates: 6 % on
 * panels (30 s windows, a round or two either side), 12 % on the 5m recording
 * rules, whose window still holds the series' start during the test (each
 * family's first scrape misses a different share of its first rounds, which
 * rate() extrapolates differently). Counting a stream twice reads 100 % off.
 * Returns what is wrong (empty when it matches).
 */
export function valueProblems(series: readonly { metric: Record<string, string>; value: number }[], expected: Expectation, roundRate: number, rateTolerance = 0.06): string[] {
  if (series.length === 0) return ['no series'];
  const problems: string[] = [];
  const label = (s: { metric: Record<string, string> }) => JSON.stringify(s.metric);
  const near = (actual: number, want: number, relative: number) => Math.abs(actual - want) <= relative * Math.abs(want) + 1e-9;
  switch (expected.kind) {
    case 'rate': {
      const sum = series.reduce((n, s) => n + s.value, 0);
      if (!near(sum, expected.perRound * roundRate, rateTolerance)) problems.push(`sum ${sum.toFixed(4)} ≠ ${expected.perRound} per round × ${roundRate.toFixed(4)} = ${(expected.perRound * roundRate).toFixed(4)}`);
      break;
    }
    case 'eachRate':
      for (const s of series) if (!near(s.value, expected.perRound * roundRate, rateTolerance)) problems.push(`${label(s)}: ${s.value.toFixed(4)} ≠ ${expected.perRound} per round (${(expected.perRound * roundRate).toFixed(4)})`);
      break;
    case 'value':
      for (const s of series) if (!(Math.abs(s.value - expected.value) <= expected.tolerance)) problems.push(`${label(s)}: ${s.value} ≠ ${expected.value} ± ${expected.tolerance}`);
      break;
    case 'byLabel': {
      const got = new Map(series.map((s) => [s.metric[expected.label], s.value]));
      for (const [key, want] of Object.entries(expected.values)) {
        const v = got.get(key);
        if (v === undefined || !(Math.abs(v - want) <= expected.tolerance)) problems.push(`${expected.label}=${key}: ${v} ≠ ${want} ± ${expected.tolerance}`);
      }
      break;
    }
    case 'quantile': {
      // A window holds whole duration cycles plus a partial one at each edge, which moves the
      // quantile's rank a little; where the expected value sits on a bucket bound (p50 here),
      // that small rank shift moves the interpolated value steeply. So the value must lie
      // between the quantiles at rank q ± 0.1 (and within 5 % of them), not at q exactly.
      const low = expectedQuantile(Math.max(0, expected.q - 0.1), expected.values, expected.buckets) * 0.95;
      const high = expectedQuantile(Math.min(1, expected.q + 0.1), expected.values, expected.buckets) * 1.05;
      const want = expectedQuantile(expected.q, expected.values, expected.buckets);
      for (const s of series) if (!(s.value >= low && s.value <= high)) problems.push(`${label(s)}: ${s.value} ≠ p${expected.q * 100} ${want.toFixed(4)} (rank ± 0.1: [${low.toFixed(4)}, ${high.toFixed(4)}])`);
      break;
    }
    case 'byLabelBetween': {
      const got = new Map(series.map((s) => [s.metric[expected.label], s.value]));
      for (const [key, [min, max]] of Object.entries(expected.ranges)) {
        const v = got.get(key);
        if (v === undefined || !(v >= min && v <= max)) problems.push(`${expected.label}=${key}: ${v} outside [${min}, ${max}]`);
      }
      break;
    }
    case 'exactSeries': {
      const seen = new Set<string>();
      for (const s of series) {
        const key = expected.labels.map((l) => s.metric[l] ?? '').join('/');
        seen.add(key);
        const want = expected.values[key];
        if (want === undefined) problems.push(`${label(s)}: a series the fixture does not have (${s.value})`);
        else if (typeof want === 'number' ? s.value !== want : !(s.value >= want[0] && s.value <= want[1])) problems.push(`${key}: ${s.value} ≠ ${JSON.stringify(want)}`);
      }
      for (const key of Object.keys(expected.values)) if (!seen.has(key)) problems.push(`${key}: missing`);
      break;
    }
    case 'between':
      for (const s of series) if (!(s.value >= expected.min && s.value <= expected.max)) problems.push(`${label(s)}: ${s.value} outside [${expected.min}, ${expected.max}]`);
      break;
  }
  return problems;
}
