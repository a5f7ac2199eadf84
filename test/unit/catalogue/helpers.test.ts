/**
 * The built-in families' typed helpers: bad input is refused with a rate-limited
 * warning that names the helper and field (never the value), nothing throws,
 * free-form labels stay bounded, and the set/observe gauge styles behave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelValues, startInMemory, total, type InMemoryKit } from '../../helpers/in-memory';
import { resetLogWindows } from '../../../src/log';
import * as api from '../../../src/index';
import { captureLogs } from '../../helpers/logs';

const SECRET = 'secret-token-do-not-log';

let memory: InMemoryKit;
const lines = captureLogs();

beforeAll(() => {
  memory = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'acme' });
});

afterAll(async () => {
  await memory.kit.shutdown();
});

type AnyHelper = (input: unknown) => void;

/** Every setter/recorder with one valid input, to derive bad ones from. */
const HELPERS: Record<string, [AnyHelper, Record<string, unknown>]> = {
  recordWorkflowExecution: [api.recordWorkflowExecution as AnyHelper, { workflow: 'w', status: 'ok', durationSeconds: 1 }],
  recordWorkflowStep: [api.recordWorkflowStep as AnyHelper, { workflow: 'w', stepType: 'http', status: 'ok', durationSeconds: 1 }],
  setActiveWorkers: [api.setActiveWorkers as AnyHelper, { worker: 'pool', count: 1 }],
  setWorkerHealth: [api.setWorkerHealth as AnyHelper, { worker: 'pool', healthy: true }],
  recordWorkerRestart: [api.recordWorkerRestart as AnyHelper, { worker: 'pool', reason: 'crash' }],
  recordCacheOperation: [api.recordCacheOperation as AnyHelper, { cache: 'c', operation: 'get', result: 'hit' }],
  setCacheSize: [api.setCacheSize as AnyHelper, { cache: 'c', entries: 1 }],
  recordCacheEviction: [api.recordCacheEviction as AnyHelper, { cache: 'c', reason: 'ttl' }],
  setCircuitBreakerState: [api.setCircuitBreakerState as AnyHelper, { breaker: 'b', state: 'open' }],
  recordCircuitBreakerTransition: [api.recordCircuitBreakerTransition as AnyHelper, { breaker: 'b', from: 'open', to: 'closed' }],
  recordRetryAttempt: [api.recordRetryAttempt as AnyHelper, { operation: 'op' }],
  recordRetrySuccess: [api.recordRetrySuccess as AnyHelper, { operation: 'op' }],
  setDeadLetterQueueSize: [api.setDeadLetterQueueSize as AnyHelper, { queue: 'q', size: 1 }],
  recordDeadLetterReplay: [api.recordDeadLetterReplay as AnyHelper, { queue: 'q', status: 'ok' }],
  recordRateLimiterDelay: [api.recordRateLimiterDelay as AnyHelper, { limiter: 'l', durationSeconds: 1 }],
  setActiveSessions: [api.setActiveSessions as AnyHelper, { count: 1 }],
  recordSessionDuration: [api.recordSessionDuration as AnyHelper, { durationSeconds: 1 }],
  recordSessionRefresh: [api.recordSessionRefresh as AnyHelper, { reason: 'proactive' }],
  recordDatabaseOperation: [api.recordDatabaseOperation as AnyHelper, { operation: 'select', table: 't', status: 'ok', durationSeconds: 1 }],
  recordBusMessage: [api.recordBusMessage as AnyHelper, { from: 'a', to: 'b', type: 't' }],
  recordBusMessageProcessing: [api.recordBusMessageProcessing as AnyHelper, { to: 'b', type: 't', status: 'ok', durationSeconds: 1 }],
  setBusQueueDepth: [api.setBusQueueDepth as AnyHelper, { queue: 'q', depth: 1 }],
};

/** Values no field accepts (empty/missing, wrong type, negative or non-finite numbers). */
const BAD_VALUES: unknown[] = [undefined, null, '', -1, Number.NaN, Infinity, { nested: SECRET }, [SECRET]];

describe('bad input is refused, never thrown', () => {
  for (const [name, [helper, valid]] of Object.entries(HELPERS)) {
    it(`${name}: non-object arguments`, () => {
      for (const input of [undefined, null, 42, SECRET, [valid]]) {
        expect(() => helper(input)).not.toThrow();
        resetLogWindows();
      }
      expect(lines.length).toBe(5);
      for (const line of lines) {
        expect(line).toContain(`${name}: recording refused: expected an object argument`);
        expect(line).not.toContain(SECRET);
      }
    });

    it(`${name}: each field with a bad value`, () => {
      for (const field of Object.keys(valid)) {
        for (const bad of BAD_VALUES) {
          // Some fields legitimately accept a value here (a label accepts -1 as "-1"): only no-throw is universal.
          expect(() => helper({ ...valid, [field]: bad })).not.toThrow();
          resetLogWindows();
        }
      }
      expect(lines.join('\n')).not.toContain(SECRET);
      expect(lines.some((line) => line.includes(`${name}: recording refused`))).toBe(true);
    });
  }

  it('specific refusals name the field', () => {
    api.recordCacheOperation({ cache: 'c', operation: 'get', result: 'bogus' as never });
    api.setCircuitBreakerState({ breaker: 'b', state: 'exploded' as never });
    api.setWorkerHealth({ worker: 'pool', healthy: 'yes' as never });
    api.setCacheSize({ cache: 'c', entries: -3 });
    api.recordWorkflowStep({ workflow: 'w', stepType: 'http', status: 'weird' as never, durationSeconds: 1 });
    expect(lines).toEqual([
      expect.stringContaining('recordCacheOperation: recording refused: result must be one of hit, miss, ok, error'),
      expect.stringContaining('setCircuitBreakerState: recording refused: state must be one of closed, open, half_open'),
      expect.stringContaining('setWorkerHealth: recording refused: healthy must be a boolean (or 1/0)'),
      expect.stringContaining('setCacheSize: recording refused: entries must be a finite number >= 0'),
      expect.stringContaining('recordWorkflowStep: recording refused: status is not a known status'),
    ]);
  });

  it('refusals are rate-limited per helper and reason', () => {
    for (let i = 0; i < 100; i++) api.recordRetryAttempt({ operation: '' });
    expect(lines).toHaveLength(1);
  });

  it('a refused recording records nothing', async () => {
    const before = total((await memory.collect()).get('retry_attempts'));
    api.recordRetryAttempt({ operation: undefined as never });
    expect(total((await memory.collect()).get('retry_attempts'))).toBe(before);
  });
});

describe('bounded labels', () => {
  it('workflow: the first 200 distinct values are kept, later ones fold into __other__', async () => {
    for (let i = 0; i < 250; i++) api.recordWorkflowExecution({ workflow: `wf-${i}`, status: 'ok', durationSeconds: 0 });
    api.recordWorkflowExecution({ workflow: 'contains spaces!', status: 'ok', durationSeconds: 0 });
    const values = labelValues((await memory.collect()).get('workflow_executions'), 'workflow');
    // `w` took one of the 200 places (recordWorkflowStep recorded it in the refusal tests above; the
    // workflow label's cap is shared by both helpers): wf-0..wf-198 take the rest.
    const expected = new Set([...Array.from({ length: 199 }, (_, i) => `wf-${i}`), '__other__']);
    expect(values).toEqual(expected);
    expect(values.size).toBe(200);
  });

  it('breaker states accept common spellings', async () => {
    api.setCircuitBreakerState({ breaker: 'spelling', state: 'HALF_OPEN' as never });
    const points = (await memory.collect()).get('circuit_breaker_state')!.dataPoints.filter((p) => p.attributes.breaker === 'spelling');
    expect(Object.fromEntries(points.map((p) => [p.attributes.state, p.value]))).toEqual({ closed: 0, open: 0, half_open: 1 });
  });
});

describe('gauges: set and observe', () => {
  it('a setter keeps the last value per series', async () => {
    api.setCacheSize({ cache: 'last', entries: 1 });
    api.setCacheSize({ cache: 'last', entries: 5 });
    const point = (await memory.collect()).get('cache_size')!.dataPoints.find((p) => p.attributes.cache === 'last');
    expect(point?.value).toBe(5);
  });

  it('an observer is read at each collection and stops when unsubscribed', async () => {
    let depth = 3;
    let reads = 0;
    const stop = api.observeBusQueueDepth({ queue: 'live' }, () => {
      reads++;
      return depth;
    });
    const find = async () => (await memory.collect()).get('message_bus_queue_depth')?.dataPoints.find((p) => p.attributes.queue === 'live')?.value;
    expect(await find()).toBe(3);
    depth = 8;
    expect(await find()).toBe(8);
    expect(reads).toBe(2);
    stop();
    await find();
    expect(reads).toBe(2);
  });

  it('observers refuse bad fields and non-function callbacks without registering', async () => {
    const stopA = api.observeCacheSize({ cache: '' }, () => 1);
    const stopB = api.observeCacheSize({ cache: 'no-callback' }, 'not a function' as never);
    expect(() => stopA()).not.toThrow();
    expect(() => stopB()).not.toThrow();
    expect(lines).toEqual([
      expect.stringContaining('observeCacheSize: recording refused: cache is missing'),
      expect.stringContaining('observeCacheSize: recording refused: callback must be a function'),
    ]);
    const caches = labelValues((await memory.collect()).get('cache_size'), 'cache');
    expect(caches.has('no-callback')).toBe(false);
  });

  it('a callback returning garbage or throwing is skipped with a warning; other metrics still collect', async () => {
    const stopA = api.observeDeadLetterQueueSize({ queue: 'garbage' }, () => -1);
    const stopB = api.observeDeadLetterQueueSize({ queue: 'throws' }, () => {
      throw new Error(SECRET);
    });
    const stopC = api.observeCircuitBreakerState({ breaker: 'garbage' }, () => 'exploded' as never);
    api.setDeadLetterQueueSize({ queue: 'fine', size: 4 });
    const metrics = await memory.collect();
    const queues = labelValues(metrics.get('dead_letter_queue_size'), 'queue');
    expect(queues.has('fine')).toBe(true);
    expect(queues.has('garbage')).toBe(false);
    expect(queues.has('throws')).toBe(false);
    expect(labelValues(metrics.get('circuit_breaker_state'), 'breaker').has('garbage')).toBe(false);
    expect(lines.some((line) => line.includes('observeDeadLetterQueueSize: recording refused: callback must return a finite number >= 0'))).toBe(true);
    expect(lines.some((line) => line.includes('observation callback for dead_letter_queue.size threw'))).toBe(true);
    expect(lines.some((line) => line.includes('observeCircuitBreakerState: recording refused'))).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
    stopA();
    stopB();
    stopC();
  });

  it('worker health observers accept booleans and 1/0', async () => {
    const stop = api.observeWorkerHealth({ worker: 'numeric' }, () => 1);
    const point = (await memory.collect()).get('worker_health')!.dataPoints.find((p) => p.attributes.worker === 'numeric');
    expect(point?.value).toBe(1);
    stop();
  });
});

describe('workspace stream on the built-in families', () => {
  it('workflow steps keep only declared keys in the baseline and fold unlisted ids', async () => {
    api.recordWorkflowStep({ workflow: 'ws', stepType: 'http', status: 'ok', durationSeconds: 1, workspaceId: 'acme' });
    api.recordWorkflowStep({ workflow: 'ws', stepType: 'http', status: 'ok', durationSeconds: 1, workspaceId: 'other-tenant' });
    const metrics = await memory.collect();
    const baseline = metrics.get('workflow_step_executions')!;
    const perWorkspace = metrics.get('workflow_step_executions_by_workspace')!;
    for (const point of baseline.dataPoints) expect(Object.keys(point.attributes).sort()).toEqual(['status', 'step_type', 'workflow']);
    expect(labelValues(perWorkspace, 'workspace_id')).toEqual(new Set(['acme', '__other__']));
    expect(total(perWorkspace)).toBe(total(baseline));
  });

  it('families without a workspace stream drop the workspace attribute entirely', async () => {
    const metrics = await memory.collect();
    expect(metrics.has('cache_operations_by_workspace')).toBe(false);
    expect(metrics.has('session_refreshes_by_workspace')).toBe(false);
  });
});
