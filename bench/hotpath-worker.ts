/**
 * One hot-path measurement in a fresh process: `node hotpath-worker.js <variant>`.
 * Prints `RESULT {"variant", "nsPerOp", "batches"}`. Every variant records the
 * same inputs: 3 providers × 4 actions × 2 statuses, 50 workspaces cycling
 * (20 of them allowlisted), a fresh attribute object per call.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import * as prom from 'prom-client';
import { DURATION_BUCKETS_SECONDS, counter, histogram, recordActionExecution, start } from '../src/index';
import { actionDuration, actionExecutions } from '../src/exports/catalogue';
import { WorkspacePolicy } from '../src/exports/policy';
import { envInt } from './common';

const PROVIDERS = ['google', 'slack', 'github'];
const ACTIONS = ['gmail.send', 'calendar.create', 'chat.post', 'issue.open'];
const STATUSES = ['ok', 'error'];
export const WORKSPACES = Array.from({ length: 50 }, (_, i) => `ws-${String(i).padStart(2, '0')}`);
export const ALLOWLIST = WORKSPACES.slice(0, 20);

const N = 1200; // 24 label tuples × 50 workspaces: every combination recurs
const P: string[] = [];
const A: string[] = [];
const S: string[] = [];
const W: string[] = [];
const D: number[] = [];
for (let k = 0; k < N; k++) {
  P.push(PROVIDERS[k % 3]!);
  A.push(ACTIONS[Math.floor(k / 3) % 4]!);
  S.push(STATUSES[Math.floor(k / 12) % 2]!);
  W.push(WORKSPACES[k % 50]!);
  D.push((k % 97) / 19);
}

type Op = (k: number) => void;

function kit(path: 'fast' | 'views'): void {
  const started = start({
    env: {
      OTEL_METRICS_EXPORTER: 'none',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
      METRICS_RECORDING_PATH: path,
    },
    readers: [new PrometheusExporter({ preventServerStart: true })],
    httpServerMetrics: false,
  });
  if (started?.recordingPath !== path) throw new Error(`kit did not start on the ${path} path`);
}

function rawOtel() {
  const provider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
  const meter = provider.getMeter('bench');
  return {
    counter: meter.createCounter('action.executions', { unit: '{execution}' }),
    histogram: meter.createHistogram('action.duration', { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] } }),
  };
}

function promClient() {
  const registry = new prom.Registry();
  const labelNames = ['provider', 'action', 'status', 'workspace_id'] as const;
  return {
    counter: new prom.Counter({ name: 'action_executions_total', help: 'h', labelNames, registers: [registry] }),
    histogram: new prom.Histogram({ name: 'action_duration_seconds', help: 'h', labelNames, buckets: [...DURATION_BUCKETS_SECONDS], registers: [registry] }),
  };
}

let sink: unknown;

function setup(variant: string): Op {
  switch (variant) {
    case 'noop':
      // The loop, the input lookup and a fresh attribute object: the floor under every variant.
      return (k) => {
        sink = { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] };
      };
    case 'kit-off-helper':
      // The typed helper with no provider registered: a no-op by design.
      return (k) => recordActionExecution({ provider: P[k]!, action: A[k]!, status: S[k] as 'ok', durationSeconds: D[k]!, workspaceId: W[k] });
    case 'otel-counter': {
      const { counter: c } = rawOtel();
      return (k) => c.add(1, { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] });
    }
    case 'otel-histogram': {
      const { histogram: h } = rawOtel();
      return (k) => h.record(D[k]!, { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] });
    }
    case 'otel-both': {
      const { counter: c, histogram: h } = rawOtel();
      return (k) => {
        const attributes = { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] };
        c.add(1, attributes);
        h.record(D[k]!, attributes);
      };
    }
    case 'prom-counter': {
      const { counter: c } = promClient();
      return (k) => c.inc({ provider: P[k], action: A[k], status: S[k], workspace_id: W[k] });
    }
    case 'prom-histogram': {
      const { histogram: h } = promClient();
      return (k) => h.observe({ provider: P[k], action: A[k], status: S[k], workspace_id: W[k] }, D[k]!);
    }
    case 'prom-both': {
      const { counter: c, histogram: h } = promClient();
      return (k) => {
        const labels = { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] };
        c.inc(labels);
        h.observe(labels, D[k]!);
      };
    }
    case 'views-counter':
    case 'fast-counter':
      kit(variant.startsWith('fast') ? 'fast' : 'views');
      return (k) => counter(actionExecutions).add(1, { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] });
    case 'views-histogram':
    case 'fast-histogram':
      kit(variant.startsWith('fast') ? 'fast' : 'views');
      return (k) => histogram(actionDuration).record(D[k]!, { provider: P[k], action: A[k], status: S[k], workspace_id: W[k] });
    case 'views-helper':
    case 'fast-helper':
      kit(variant.startsWith('fast') ? 'fast' : 'views');
      return (k) => recordActionExecution({ provider: P[k]!, action: A[k]!, status: S[k] as 'ok', durationSeconds: D[k]!, workspaceId: W[k] });
    case 'resolve-listed':
    case 'resolve-unlisted': {
      const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ALLOWLIST });
      const fold = policy.foldCounter('bench');
      const ids = variant === 'resolve-listed' ? ALLOWLIST : WORKSPACES.slice(20);
      return (k) => {
        sink = policy.resolve(ids[k % ids.length], fold);
      };
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

function main(): void {
  const variant = process.argv[2] ?? 'noop';
  const op = setup(variant);
  // Time-based batches: ~BENCH_HOTPATH_BATCH_MS each (slow variants run fewer iterations, not for longer).
  const batchMs = envInt('BENCH_HOTPATH_BATCH_MS', 150);
  const batches = envInt('BENCH_HOTPATH_BATCHES', 7);
  let k = 0;
  const loop = (n: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      op(k);
      if (++k === N) k = 0;
    }
    return Number(process.hrtime.bigint() - t0);
  };
  const probe = loop(20_000) / 20_000;
  const perBatch = Math.max(20_000, Math.min(2_000_000, Math.round((batchMs * 1e6) / probe)));
  loop(perBatch * 2); // warm-up
  const results: number[] = [];
  for (let b = 0; b < batches; b++) results.push(loop(perBatch) / perBatch);
  results.sort((a, b) => a - b);
  void sink;
  void metrics;
  console.log('RESULT ' + JSON.stringify({ variant, nsPerOp: results[results.length >> 1], batches: results }));
  process.exit(0);
}

main();
