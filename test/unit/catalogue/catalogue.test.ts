/**
 * The built-in families on the EMBEDDED endpoint: every declaration is pinned
 * (Prometheus names, type, unit, labels, buckets), then recorded through its
 * typed helper and checked on /metrics, driven by the declarations: a renamed
 * metric, a changed label or bucket layout fails here.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpText } from '../../helpers/processes';
import { parseExposition, type Family, type Sample } from '../../../src/exposition/parse';
import {
  start,
  type Kit,
  type MetricDeclaration,
  // workflows
  recordWorkflowExecution,
  recordWorkflowStep,
  // workers
  setActiveWorkers,
  observeActiveWorkers,
  setWorkerHealth,
  observeWorkerHealth,
  recordWorkerRestart,
  // cache
  recordCacheOperation,
  setCacheSize,
  observeCacheSize,
  recordCacheEviction,
  // resilience
  setCircuitBreakerState,
  observeCircuitBreakerState,
  recordCircuitBreakerTransition,
  recordRetryAttempt,
  recordRetrySuccess,
  setDeadLetterQueueSize,
  observeDeadLetterQueueSize,
  recordDeadLetterReplay,
  recordRateLimiterDelay,
  // sessions
  setActiveSessions,
  recordSessionDuration,
  recordSessionRefresh,
  // database
  recordDatabaseOperation,
  // messaging
  recordBusMessage,
  recordBusMessageProcessing,
  setBusQueueDepth,
  observeBusQueueDepth,
  DURATION_BUCKETS_SECONDS,
} from '../../../src/index';
import { BUILTIN_METRICS, prometheusName, prometheusNames, prometheusType } from '../../../src/exports/catalogue';
import { WORKFLOW_METRICS } from '../../../src/catalogue/workflows';
import { WORKER_METRICS } from '../../../src/catalogue/workers';
import { CACHE_METRICS } from '../../../src/catalogue/cache';
import { RESILIENCE_METRICS } from '../../../src/catalogue/resilience';
import { SESSION_METRICS } from '../../../src/catalogue/sessions';
import { DATABASE_METRICS } from '../../../src/catalogue/database';
import { MESSAGING_METRICS } from '../../../src/catalogue/messaging';
import { HTTP_SIZE_METRICS } from '../../../src/catalogue/http-sizes';

const FAMILIES: Record<string, readonly MetricDeclaration[]> = {
  workflows: WORKFLOW_METRICS,
  workers: WORKER_METRICS,
  cache: CACHE_METRICS,
  resilience: RESILIENCE_METRICS,
  sessions: SESSION_METRICS,
  database: DATABASE_METRICS,
  messaging: MESSAGING_METRICS,
  'http sizes': HTTP_SIZE_METRICS,
};
const DECLS = Object.values(FAMILIES).flat();

interface Pinned {
  names: string[];
  type: 'counter' | 'gauge' | 'histogram';
  unit: string;
  labels: string[];
  buckets?: number[];
}

const BYTES = [0, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const HTTP_LABELS = ['http.request.method', 'http.route', 'http.response.status_code'];

/** The public contract: dashboards, rules and alerts use these names. Change them on purpose only. */
const PINNED: Record<string, Pinned> = {
  'workflow.executions': { names: ['workflow_executions_total', 'workflow_executions_by_workspace_total'], type: 'counter', unit: '{execution}', labels: ['workflow', 'status'] },
  'workflow.duration': { names: ['workflow_duration_seconds', 'workflow_duration_by_workspace_seconds'], type: 'histogram', unit: 's', labels: ['workflow', 'status'], buckets: [...DURATION_BUCKETS_SECONDS] },
  'workflow.step.executions': { names: ['workflow_step_executions_total', 'workflow_step_executions_by_workspace_total'], type: 'counter', unit: '{execution}', labels: ['workflow', 'step_type', 'status'] },
  'workflow.step.duration': { names: ['workflow_step_duration_seconds', 'workflow_step_duration_by_workspace_seconds'], type: 'histogram', unit: 's', labels: ['workflow', 'step_type', 'status'], buckets: [...DURATION_BUCKETS_SECONDS] },
  'worker.active': { names: ['worker_active'], type: 'gauge', unit: '{worker}', labels: ['worker'] },
  'worker.health': { names: ['worker_health'], type: 'gauge', unit: '{healthy}', labels: ['worker'] },
  'worker.restarts': { names: ['worker_restarts_total'], type: 'counter', unit: '{restart}', labels: ['worker', 'reason'] },
  'cache.operations': { names: ['cache_operations_total'], type: 'counter', unit: '{operation}', labels: ['cache', 'operation', 'result'] },
  'cache.size': { names: ['cache_size'], type: 'gauge', unit: '{entry}', labels: ['cache'] },
  'cache.evictions': { names: ['cache_evictions_total'], type: 'counter', unit: '{eviction}', labels: ['cache', 'reason'] },
  'circuit_breaker.state': { names: ['circuit_breaker_state'], type: 'gauge', unit: '{state}', labels: ['breaker', 'state'] },
  'circuit_breaker.transitions': { names: ['circuit_breaker_transitions_total'], type: 'counter', unit: '{transition}', labels: ['breaker', 'from', 'to'] },
  'circuit_breaker.trips': { names: ['circuit_breaker_trips_total'], type: 'counter', unit: '{trip}', labels: ['breaker'] },
  'retry.attempts': { names: ['retry_attempts_total'], type: 'counter', unit: '{attempt}', labels: ['operation'] },
  'retry.successes': { names: ['retry_successes_total'], type: 'counter', unit: '{success}', labels: ['operation'] },
  'dead_letter_queue.size': { names: ['dead_letter_queue_size'], type: 'gauge', unit: '{message}', labels: ['queue'] },
  'dead_letter_queue.replays': { names: ['dead_letter_queue_replays_total'], type: 'counter', unit: '{replay}', labels: ['queue', 'status'] },
  'rate_limiter.delay': { names: ['rate_limiter_delay_seconds'], type: 'histogram', unit: 's', labels: ['limiter'], buckets: [0.5, 1, 2, 4, 8, 16] },
  'session.active': { names: ['session_active'], type: 'gauge', unit: '{session}', labels: [] },
  'session.duration': { names: ['session_duration_seconds'], type: 'histogram', unit: 's', labels: [], buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400] },
  'session.refreshes': { names: ['session_refreshes_total'], type: 'counter', unit: '{refresh}', labels: ['reason'] },
  'database.operation.duration': { names: ['database_operation_duration_seconds'], type: 'histogram', unit: 's', labels: ['operation', 'table', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  'database.errors': { names: ['database_errors_total'], type: 'counter', unit: '{error}', labels: ['operation', 'table', 'error_type'] },
  'message_bus.messages': { names: ['message_bus_messages_total'], type: 'counter', unit: '{message}', labels: ['from', 'to', 'type'] },
  'message_bus.processing.duration': { names: ['message_bus_processing_duration_seconds'], type: 'histogram', unit: 's', labels: ['to', 'type', 'status'], buckets: [...DURATION_BUCKETS_SECONDS] },
  'message_bus.queue.depth': { names: ['message_bus_queue_depth'], type: 'gauge', unit: '{message}', labels: ['queue'] },
  'http.server.request.body.size': { names: ['http_server_request_body_size_bytes'], type: 'histogram', unit: 'By', labels: HTTP_LABELS, buckets: BYTES },
  'http.server.response.body.size': { names: ['http_server_response_body_size_bytes'], type: 'histogram', unit: 'By', labels: HTTP_LABELS, buckets: BYTES },
};

const WORKSPACE_LABEL = 'workspace_id';
const SCOPE_LABEL = 'otel_scope_name';
const ALLOWLIST = ['acme', 'globex'];
/** Workspace ids recorded for every workspace family: listed, unlisted, non-canonical, none. */
const WORKSPACE_IDS: (string | undefined)[] = ['acme', 'globex', 'initech', 'Bad Id!', undefined, 'ACME '];

let kit: Kit;
let port: number;
let families: Map<string, Family>;
let raw: string;
let app: Server;
const unsubscribe: (() => void)[] = [];

/** Labels as sanitized on the endpoint (dots → underscores). */
function promLabel(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

function family(name: string): Family {
  const found = families.get(name);
  if (found === undefined) throw new Error(`no family ${name} on /metrics; families: ${[...families.keys()].join(', ')}`);
  return found;
}

function withoutLe(labels: Record<string, string>): string {
  const { le: _le, ...rest } = labels;
  return JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
}

function total(samples: Sample[], sampleName: string): number {
  return samples.filter((s) => s.name === sampleName).reduce((sum, s) => sum + s.value, 0);
}

async function serveHttp(): Promise<number> {
  app = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/whole') response.end('hello world'); // Node computes Content-Length: 11
      else if (request.url === '/declared') {
        response.setHeader('content-length', '3');
        response.end('abc');
      } else if (request.url === '/streamed') {
        response.write('abc');
        response.end('de'); // chunked: size unknown, not recorded
      } else {
        response.statusCode = 204;
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const address = app.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function exercise(): void {
  for (const workspaceId of WORKSPACE_IDS) {
    recordWorkflowExecution({ workflow: 'onboarding', status: 'ok', durationSeconds: 1.5, workspaceId });
    recordWorkflowExecution({ workflow: 'onboarding', status: 'failure', durationSeconds: 0.2, workspaceId });
    recordWorkflowStep({ workflow: 'onboarding', stepType: 'http', status: 'ok', durationSeconds: 0.3, workspaceId });
    recordWorkflowStep({ workflow: 'onboarding', stepType: 'llm', status: 'timeout', durationSeconds: 40, workspaceId });
  }

  setActiveWorkers({ worker: 'email-sender', count: 3 });
  unsubscribe.push(observeActiveWorkers({ worker: 'crm-sync' }, () => 5));
  setWorkerHealth({ worker: 'email-sender', healthy: true });
  unsubscribe.push(observeWorkerHealth({ worker: 'crm-sync' }, () => false));
  recordWorkerRestart({ worker: 'email-sender', reason: 'oom' });

  recordCacheOperation({ cache: 'users', operation: 'get', result: 'hit' });
  recordCacheOperation({ cache: 'users', operation: 'get', result: 'hit' });
  recordCacheOperation({ cache: 'users', operation: 'get', result: 'miss' });
  recordCacheOperation({ cache: 'users', operation: 'set', result: 'ok' });
  setCacheSize({ cache: 'users', entries: 42 });
  unsubscribe.push(observeCacheSize({ cache: 'orchestrator' }, () => 7));
  recordCacheEviction({ cache: 'users', reason: 'capacity', count: 4 });
  recordCacheEviction({ cache: 'users', reason: 'ttl' });

  setCircuitBreakerState({ breaker: 'crm', state: 'closed' });
  recordCircuitBreakerTransition({ breaker: 'crm', from: 'closed', to: 'open' });
  recordCircuitBreakerTransition({ breaker: 'crm', from: 'open', to: 'half-open' });
  unsubscribe.push(observeCircuitBreakerState({ breaker: 'gmail' }, () => 'half-open'));
  recordRetryAttempt({ operation: 'crm.sync' });
  recordRetryAttempt({ operation: 'crm.sync' });
  recordRetrySuccess({ operation: 'crm.sync' });
  setDeadLetterQueueSize({ queue: 'emails', size: 2 });
  unsubscribe.push(observeDeadLetterQueueSize({ queue: 'webhooks' }, () => 9));
  recordDeadLetterReplay({ queue: 'emails', status: 'ok' });
  for (const seconds of [0, 0.7, 3, 20]) recordRateLimiterDelay({ limiter: 'ancestry-api', durationSeconds: seconds });

  setActiveSessions({ count: 4 });
  recordSessionDuration({ durationSeconds: 1800 });
  for (const reason of ['proactive', 'api_forced', 'browser_error']) recordSessionRefresh({ reason });

  recordDatabaseOperation({ operation: 'select', table: 'users', status: 'ok', durationSeconds: 0.002 });
  recordDatabaseOperation({ operation: 'insert', table: 'users', status: 'error', durationSeconds: 0.01, errorType: 'unique_violation' });
  recordDatabaseOperation({ operation: 'insert', table: 'users', status: 'timeout', durationSeconds: 30 });

  recordBusMessage({ from: 'orchestrator', to: 'sizing', type: 'task.assign' });
  recordBusMessageProcessing({ to: 'sizing', type: 'task.assign', status: 'ok', durationSeconds: 0.4 });
  setBusQueueDepth({ queue: 'sizing', depth: 6 });
  unsubscribe.push(observeBusQueueDepth({ queue: 'crm' }, () => 1));
}

beforeAll(async () => {
  port = await freePort();
  const started = start({
    env: {
      OTEL_METRICS_EXPORTER: 'prometheus',
      METRICS_PORT: String(port),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
    },
  });
  if (started === undefined) throw new Error('kit did not start');
  kit = started;
  expect(await kit.embeddedPort).toBe(port);
  exercise();

  const appPort = await serveHttp();
  for (const path of ['/whole', '/declared', '/streamed', '/empty']) {
    const response = await fetch(`http://127.0.0.1:${appPort}${path}`, { method: 'POST', body: 'x'.repeat(300) });
    await response.text();
  }
  // The finish event can trail the client's last byte by a tick.
  await new Promise((resolve) => setTimeout(resolve, 50));

  raw = await httpText(`http://127.0.0.1:${port}/metrics`);
  families = parseExposition(raw);
});

afterAll(async () => {
  for (const stop of unsubscribe) stop();
  await new Promise((resolve) => app?.close(resolve));
  await kit?.shutdown();
});

describe('declarations are pinned', () => {
  it('every family is in the built-in catalogue, once', () => {
    for (const decl of DECLS) expect(BUILTIN_METRICS.filter((d) => d.name === decl.name)).toEqual([decl]);
    const names = BUILTIN_METRICS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('the pinned table lists exactly the declared metrics', () => {
    expect(Object.keys(PINNED).sort()).toEqual(DECLS.map((d) => d.name).sort());
  });

  for (const decl of DECLS) {
    it(`${decl.name}: names, type, unit, labels, buckets`, () => {
      const pinned = PINNED[decl.name]!;
      expect(prometheusNames(decl, true)).toEqual(pinned.names);
      expect(prometheusType(decl)).toBe(pinned.type);
      expect(decl.unit).toBe(pinned.unit);
      expect([...decl.labels]).toEqual(pinned.labels);
      expect(decl.buckets === undefined ? undefined : [...decl.buckets]).toEqual(pinned.buckets);
      // Never unit `1` (the collector would add `_ratio`); counts use annotations.
      expect(decl.unit).not.toBe('1');
      if (pinned.type !== 'histogram') expect(decl.unit).toMatch(/^\{[a-z_]+\}$/);
      expect(decl.description.length).toBeGreaterThan(10);
    });
  }
});

describe('on the embedded endpoint', () => {
  for (const [familyName, decls] of Object.entries(FAMILIES)) {
    describe(familyName, () => {
      for (const decl of decls) {
        for (const name of prometheusNames(decl, true)) {
          const workspace = name !== prometheusName(decl, 'baseline');
          it(`${name}: # TYPE, # UNIT, samples, label keys${decl.buckets ? ', le layout' : ''}`, () => {
            const fam = family(name);
            expect(fam.type).toBe(prometheusType(decl));
            expect(raw).toContain(`# UNIT ${name} ${decl.unit}\n`);
            if (!workspace) expect(fam.help).toBe(decl.description);
            expect(fam.samples.length).toBeGreaterThan(0);

            const keys = [...decl.labels.map(promLabel), SCOPE_LABEL, ...(workspace ? [WORKSPACE_LABEL] : [])].sort();
            if (decl.kind === 'histogram') {
              expect(new Set(fam.samples.map((s) => s.name))).toEqual(new Set([`${name}_bucket`, `${name}_sum`, `${name}_count`]));
              const les = new Map<string, string[]>();
              for (const sample of fam.samples) {
                if (sample.name === `${name}_bucket`) {
                  expect(Object.keys(sample.labels).sort()).toEqual([...keys, 'le'].sort());
                  const series = withoutLe(sample.labels);
                  les.set(series, [...(les.get(series) ?? []), sample.labels.le!]);
                } else {
                  expect(Object.keys(sample.labels).sort()).toEqual(keys);
                }
              }
              expect(les.size).toBeGreaterThan(0);
              for (const layout of les.values()) expect(layout).toEqual([...decl.buckets!.map(String), '+Inf']);
              // Cumulative buckets: +Inf equals _count per series.
              for (const sample of fam.samples.filter((s) => s.name === `${name}_count`)) {
                const inf = fam.samples.find((s) => s.name === `${name}_bucket` && s.labels.le === '+Inf' && withoutLe(s.labels) === withoutLe(sample.labels));
                expect(inf?.value).toBe(sample.value);
              }
            } else {
              for (const sample of fam.samples) {
                expect(sample.name).toBe(name);
                expect(Object.keys(sample.labels).sort()).toEqual(keys);
              }
            }
          });
        }

        if (decl.workspaceStream) {
          it(`${prometheusName(decl, 'workspace')}: unlisted ids fold into __other__, sums equal the baseline`, () => {
            const baseline = family(prometheusName(decl, 'baseline'));
            const perWorkspace = family(prometheusName(decl, 'workspace'));
            const values = new Set(perWorkspace.samples.map((s) => s.labels[WORKSPACE_LABEL]));
            expect(values).toEqual(new Set([...ALLOWLIST, '__other__']));
            for (const sample of baseline.samples) expect(sample.labels).not.toHaveProperty(WORKSPACE_LABEL);
            const suffixes = decl.kind === 'histogram' ? ['_count', '_sum'] : [''];
            for (const suffix of suffixes) {
              const base = total(baseline.samples, baseline.name + suffix);
              expect(base).toBeGreaterThan(0);
              expect(total(perWorkspace.samples, perWorkspace.name + suffix)).toBeCloseTo(base, 9);
            }
            // `ACME ` canonicalizes to `acme`: 2 of the 6 recordings per call site are acme's, 3 fold.
            const count = decl.kind === 'histogram' ? `${perWorkspace.name}_count` : perWorkspace.name;
            const of = (id: string) => total(perWorkspace.samples.filter((s) => s.labels[WORKSPACE_LABEL] === id), count);
            expect(of('acme')).toBe(2 * of('globex'));
            expect(of('__other__')).toBe(3 * of('globex'));
          });
        }
      }
    });
  }
});

describe('recorded values', () => {
  const value = (name: string, labels: Record<string, string>): number | undefined =>
    family(name.replace(/_(bucket|sum|count)$/, '')).samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.value;

  it('workflows: statuses normalized, one series per status', () => {
    expect(value('workflow_executions_total', { workflow: 'onboarding', status: 'ok' })).toBe(WORKSPACE_IDS.length);
    expect(value('workflow_executions_total', { workflow: 'onboarding', status: 'error' })).toBe(WORKSPACE_IDS.length);
    expect(value('workflow_step_duration_seconds_count', { step_type: 'llm', status: 'timeout' })).toBe(WORKSPACE_IDS.length);
  });

  it('workers: set and observed gauges per pool, restarts by reason', () => {
    expect(value('worker_active', { worker: 'email-sender' })).toBe(3);
    expect(value('worker_active', { worker: 'crm-sync' })).toBe(5);
    expect(value('worker_health', { worker: 'email-sender' })).toBe(1);
    expect(value('worker_health', { worker: 'crm-sync' })).toBe(0);
    expect(value('worker_restarts_total', { worker: 'email-sender', reason: 'oom' })).toBe(1);
  });

  it('cache: hits and misses as results of one counter, sizes, evictions with counts', () => {
    expect(value('cache_operations_total', { cache: 'users', operation: 'get', result: 'hit' })).toBe(2);
    expect(value('cache_operations_total', { cache: 'users', operation: 'get', result: 'miss' })).toBe(1);
    expect(families.has('cache_hit_ratio')).toBe(false);
    expect(value('cache_size', { cache: 'users' })).toBe(42);
    expect(value('cache_size', { cache: 'orchestrator' })).toBe(7);
    expect(value('cache_evictions_total', { cache: 'users', reason: 'capacity' })).toBe(4);
    expect(value('cache_evictions_total', { cache: 'users', reason: 'ttl' })).toBe(1);
  });

  it('circuit breakers: one series per state, 1 for the current one; transitions and trips', () => {
    expect(value('circuit_breaker_state', { breaker: 'crm', state: 'half_open' })).toBe(1);
    expect(value('circuit_breaker_state', { breaker: 'crm', state: 'open' })).toBe(0);
    expect(value('circuit_breaker_state', { breaker: 'crm', state: 'closed' })).toBe(0);
    expect(value('circuit_breaker_state', { breaker: 'gmail', state: 'half_open' })).toBe(1);
    expect(family('circuit_breaker_state').samples.filter((s) => s.labels.breaker === 'gmail')).toHaveLength(3);
    expect(value('circuit_breaker_transitions_total', { breaker: 'crm', from: 'closed', to: 'open' })).toBe(1);
    expect(value('circuit_breaker_transitions_total', { breaker: 'crm', from: 'open', to: 'half_open' })).toBe(1);
    expect(value('circuit_breaker_trips_total', { breaker: 'crm' })).toBe(1);
  });

  it('retries, dead letters, rate limiter', () => {
    expect(value('retry_attempts_total', { operation: 'crm.sync' })).toBe(2);
    expect(value('retry_successes_total', { operation: 'crm.sync' })).toBe(1);
    expect(value('dead_letter_queue_size', { queue: 'emails' })).toBe(2);
    expect(value('dead_letter_queue_size', { queue: 'webhooks' })).toBe(9);
    expect(value('dead_letter_queue_replays_total', { queue: 'emails', status: 'ok' })).toBe(1);
    expect(value('rate_limiter_delay_seconds_bucket', { limiter: 'ancestry-api', le: '0.5' })).toBe(1);
    expect(value('rate_limiter_delay_seconds_bucket', { limiter: 'ancestry-api', le: '1' })).toBe(2);
    expect(value('rate_limiter_delay_seconds_bucket', { limiter: 'ancestry-api', le: '16' })).toBe(3);
    expect(value('rate_limiter_delay_seconds_bucket', { limiter: 'ancestry-api', le: '+Inf' })).toBe(4);
  });

  it('sessions: active, duration, the documented refresh reasons', () => {
    expect(value('session_active', {})).toBe(4);
    expect(value('session_duration_seconds_sum', {})).toBe(1800);
    for (const reason of ['proactive', 'api_forced', 'browser_error']) expect(value('session_refreshes_total', { reason })).toBe(1);
  });

  it('database: duration by status, errors by type (timeout by default for timeouts)', () => {
    expect(value('database_operation_duration_seconds_count', { operation: 'select', table: 'users', status: 'ok' })).toBe(1);
    expect(value('database_errors_total', { operation: 'insert', table: 'users', error_type: 'unique_violation' })).toBe(1);
    expect(value('database_errors_total', { operation: 'insert', table: 'users', error_type: 'timeout' })).toBe(1);
    expect(family('database_errors_total').samples.filter((s) => s.labels.operation === 'select')).toHaveLength(0);
  });

  it('message bus: messages, processing, depth', () => {
    expect(value('message_bus_messages_total', { from: 'orchestrator', to: 'sizing', type: 'task.assign' })).toBe(1);
    expect(value('message_bus_processing_duration_seconds_count', { to: 'sizing', type: 'task.assign', status: 'ok' })).toBe(1);
    expect(value('message_bus_queue_depth', { queue: 'sizing' })).toBe(6);
    expect(value('message_bus_queue_depth', { queue: 'crm' })).toBe(1);
  });

  it('HTTP body sizes: request Content-Length; response Content-Length or Node-computed; chunked not recorded', () => {
    const requestSizes = family('http_server_request_body_size_bytes').samples.filter((s) => s.name.endsWith('_sum'));
    expect(requestSizes.reduce((sum, s) => sum + s.value, 0)).toBe(4 * 300);
    const response = (route: string, suffix: string) =>
      value(`http_server_response_body_size_bytes${suffix}`, { http_route: route, http_request_method: 'POST' });
    expect(response('/whole', '_sum')).toBe(11);
    expect(response('/declared', '_sum')).toBe(3);
    expect(response('/empty', '_sum')).toBe(0);
    expect(response('/empty', '_count')).toBe(1);
    expect(response('/streamed', '_count')).toBeUndefined();
    // The duration histogram still saw all four.
    expect(total(family('http_server_request_duration_seconds').samples, 'http_server_request_duration_seconds_count')).toBe(4);
  });

  it('build info comes from the resource, as target_info', () => {
    const info = family('target_info').samples[0]!;
    expect(info.value).toBe(1);
    expect(info.labels.service_name).toBe('otel-workspace-metrics');
    expect(info.labels.service_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.labels.service_instance_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
