/** startTimer / timeAsync: outcome statuses, rethrow, return values, never throwing on bad input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInMemory, total, type InMemoryKit } from '../../helpers/in-memory';
import { resetLogWindows } from '../../../src/log';
import { recordActionExecution, recordDatabaseOperation, recordRateLimiterDelay, recordSessionDuration, startTimer, statusOfError, timeAsync, type ActionExecution, type DatabaseOperation } from '../../../src/index';
import { captureLogs } from '../../helpers/logs';

let memory: InMemoryKit;
const lines = captureLogs();

beforeAll(() => {
  memory = startInMemory({});
});

afterAll(async () => {
  await memory.kit.shutdown();
});

/** A fake recorder that keeps what it was given. */
function spy<I>(): { recorder: (input: I) => void; calls: I[] } {
  const calls: I[] = [];
  return { recorder: (input) => calls.push(input), calls };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startTimer', () => {
  it('records once through the recorder, with fixed fields, end fields and elapsed seconds', async () => {
    const { recorder, calls } = spy<ActionExecution>();
    const end = startTimer(recorder, { provider: 'google', action: 'gmail.send', workspaceId: 'acme' });
    await sleep(20);
    const seconds = end({ status: 'ok' });
    expect(seconds).toBeGreaterThanOrEqual(0.015);
    expect(seconds).toBeLessThan(5);
    expect(calls).toEqual([{ provider: 'google', action: 'gmail.send', workspaceId: 'acme', status: 'ok', durationSeconds: seconds }]);
  });

  it('end fields override fixed ones', () => {
    const { recorder, calls } = spy<ActionExecution>();
    const end = startTimer(recorder, { provider: 'google', action: 'a', status: 'ok' });
    end({ status: 'error' });
    expect(calls[0]?.status).toBe('error');
  });

  it('records into the real histogram', async () => {
    const end = startTimer(recordActionExecution, { provider: 'google', action: 'gmail.send' });
    end({ status: 'ok' });
    const metrics = await memory.collect();
    expect(total(metrics.get('action_executions'))).toBe(1);
    expect(total(metrics.get('action_duration_seconds'))).toBe(1);
  });

  it('a second end() does not record again, warns once, still returns the seconds', () => {
    const { recorder, calls } = spy<{ durationSeconds: number }>();
    const end = startTimer(recorder);
    end();
    const again = end();
    expect(calls).toHaveLength(1);
    expect(again).toBeGreaterThanOrEqual(calls[0]!.durationSeconds);
    expect(lines).toEqual([expect.stringContaining('end() called again')]);
  });

  it('without a recorder it is a plain stopwatch', async () => {
    const elapsed = startTimer();
    await sleep(10);
    expect(elapsed()).toBeGreaterThanOrEqual(0.005);
  });

  it('never throws: a throwing recorder, a non-function recorder, junk end fields', () => {
    const end = startTimer(() => {
      throw new Error('boom');
    });
    expect(() => end()).not.toThrow();
    expect(() => (startTimer as (r: unknown) => () => number)(42)()).not.toThrow();
    const { recorder, calls } = spy<{ durationSeconds: number }>();
    expect(() => (startTimer(recorder) as (extra: unknown) => number)('junk')).not.toThrow();
    expect(calls).toHaveLength(1);
    expect(lines.some((line) => line.includes('recorder passed to startTimer/timeAsync threw'))).toBe(true);
    expect(lines.some((line) => line.includes('the recorder is not a function'))).toBe(true);
  });

  it('a bad value from end() is refused by the recorder, not thrown', () => {
    const end = startTimer(recordActionExecution, { provider: 'google', action: 'a' });
    expect(() => end({ status: 'not-a-status' as never })).not.toThrow();
    expect(lines).toEqual([expect.stringContaining('recordActionExecution: recording refused: status is not a known status')]);
  });

  it('works with recorders that need nothing else (sessions, rate limiter)', async () => {
    startTimer(recordSessionDuration)();
    startTimer(recordRateLimiterDelay, { limiter: 'api' })();
    const metrics = await memory.collect();
    expect(total(metrics.get('session_duration_seconds'))).toBe(1);
    expect(total(metrics.get('rate_limiter_delay_seconds'))).toBe(1);
  });
});

describe('timeAsync', () => {
  it('resolves with the value and records ok', async () => {
    const { recorder, calls } = spy<ActionExecution>();
    const value = await timeAsync(recorder, { provider: 'p', action: 'a' }, async () => {
      await sleep(5);
      return { id: 7 };
    });
    expect(value).toEqual({ id: 7 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ provider: 'p', action: 'a', status: 'ok' });
    expect(calls[0]!.durationSeconds).toBeGreaterThan(0);
  });

  it('accepts a synchronous function', async () => {
    const { recorder, calls } = spy<ActionExecution>();
    await expect(timeAsync(recorder, { provider: 'p', action: 'a' }, () => 5)).resolves.toBe(5);
    expect(calls[0]?.status).toBe('ok');
  });

  it('records error and rethrows the original error object (rejection)', async () => {
    const { recorder, calls } = spy<ActionExecution>();
    const original = new Error('upstream failed');
    const caught = await timeAsync(recorder, { provider: 'p', action: 'a' }, async () => {
      throw original;
    }).catch((error: unknown) => error);
    expect(caught).toBe(original);
    expect(calls[0]?.status).toBe('error');
  });

  it('records error and rethrows for a synchronous throw, and for non-Error throws', async () => {
    const { recorder, calls } = spy<ActionExecution>();
    const thrown = { code: 42 };
    const caught = await timeAsync(recorder, { provider: 'p', action: 'a' }, () => {
      throw thrown;
    }).catch((error: unknown) => error);
    expect(caught).toBe(thrown);
    await expect(timeAsync(recorder, { provider: 'p', action: 'a' }, () => Promise.reject(undefined))).rejects.toBeUndefined();
    expect(calls.map((c) => c.status)).toEqual(['error', 'error']);
  });

  it('classifies timeouts and aborts', async () => {
    const { recorder, calls } = spy<ActionExecution>();
    const controller = new AbortController();
    controller.abort();
    await timeAsync(recorder, { provider: 'p', action: 'a' }, async () => controller.signal.throwIfAborted()).catch(() => undefined);
    const timeout = AbortSignal.timeout(1);
    await sleep(20);
    await timeAsync(recorder, { provider: 'p', action: 'a' }, async () => timeout.throwIfAborted()).catch(() => undefined);
    expect(calls.map((c) => c.status)).toEqual(['cancelled', 'timeout']);
    expect(statusOfError(new Error('x'))).toBe('error');
    expect(statusOfError('a string')).toBe('error');
  });

  it('onError adds fields from the error (database error type)', async () => {
    const { recorder, calls } = spy<DatabaseOperation>();
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    await timeAsync(recorder, { operation: 'insert', table: 'users' }, () => Promise.reject(error), {
      onError: (e) => ({ errorType: (e as { code?: string }).code }),
    }).catch(() => undefined);
    expect(calls[0]).toMatchObject({ operation: 'insert', table: 'users', status: 'error', errorType: '23505' });
  });

  it('a throwing onError still records the failure and rethrows the original', async () => {
    const { recorder, calls } = spy<DatabaseOperation>();
    const original = new Error('db down');
    const caught = await timeAsync(recorder, { operation: 'select', table: 't' }, () => Promise.reject(original), {
      onError: () => {
        throw new Error('classifier bug');
      },
    }).catch((e: unknown) => e);
    expect(caught).toBe(original);
    expect(calls[0]?.status).toBe('error');
    expect(lines).toEqual([expect.stringContaining('onError threw')]);
  });

  it('records into the real families end to end', async () => {
    await timeAsync(recordDatabaseOperation, { operation: 'select', table: 'users' }, async () => 1);
    await timeAsync(recordDatabaseOperation, { operation: 'insert', table: 'users' }, async () => {
      throw Object.assign(new Error('dup'), { code: 'unique_violation' });
    }, { onError: (e) => ({ errorType: (e as { code: string }).code }) }).catch(() => undefined);
    const metrics = await memory.collect();
    const durations = metrics.get('database_operation_duration_seconds')!;
    expect(durations.dataPoints.map((p) => p.attributes.status).sort()).toEqual(['error', 'ok']);
    const errors = metrics.get('database_errors')!;
    expect(errors.dataPoints.map((p) => p.attributes.error_type)).toEqual(['unique_violation']);
  });

  it('a throwing recorder neither replaces the result nor the error', async () => {
    const throwing = (): void => {
      throw new Error('recorder bug');
    };
    await expect(timeAsync(throwing, {}, async () => 'value')).resolves.toBe('value');
    const original = new Error('the real one');
    await expect(timeAsync(throwing, {}, async () => { throw original; })).rejects.toBe(original);
  });
});

describe('types', () => {
  it('require the fields the recorder needs (compile-time checks)', () => {
    const end = startTimer(recordActionExecution, { provider: 'p', action: 'a' });
    // @ts-expect-error status is still required
    expect(() => end()).not.toThrow();
    // @ts-expect-error not a status
    end({ status: 'great' });
    const endSession = startTimer(recordSessionDuration);
    endSession(); // nothing else needed
    // @ts-expect-error provider is required at start for timeAsync
    void timeAsync(recordActionExecution, { action: 'a' }, async () => 1).catch(() => undefined);
    const typed: Promise<number> = timeAsync(recordActionExecution, { provider: 'p', action: 'a' }, async () => 1);
    return typed;
  });
});

describe('timing edges', () => {
  it('a plain stopwatch never warns, however often it is read', () => {
    const elapsed = startTimer();
    expect(elapsed()).toBeGreaterThanOrEqual(0);
    expect(elapsed()).toBeGreaterThanOrEqual(0);
    expect(lines).toStrictEqual([]);
  });

  it('takes fields only from plain objects: a string, an array or null adds none', () => {
    const { recorder, calls } = spy<Record<string, unknown>>();
    startTimer(recorder as never, 'ab' as never)(['x'] as never);
    startTimer(recorder as never, null as never)(null as never);
    startTimer(recorder as never, ['y'] as never)('cd' as never);
    expect(calls.map((call) => Object.keys(call))).toStrictEqual([['durationSeconds'], ['durationSeconds'], ['durationSeconds']]);
  });

  it('timeAsync: fixed fields only from a plain object; a thrown null is rethrown as it is and recorded as an error', async () => {
    const { recorder, calls } = spy<Record<string, unknown>>();
    await timeAsync(recorder as never, 'ab' as never, () => 1);
    await expect(timeAsync(recorder as never, {} as never, () => Promise.reject(null))).rejects.toBeNull();
    const named = function TimeoutError() {}; // a function named like a timeout is not an error object
    await expect(
      timeAsync(recorder as never, {} as never, () => {
        throw named;
      }),
    ).rejects.toBe(named);
    expect(calls.map(({ durationSeconds: _d, ...rest }) => rest)).toStrictEqual([{ status: 'ok' }, { status: 'error' }, { status: 'error' }]);
  });

  it('says exactly what went wrong, once per kind', async () => {
    const end = startTimer(() => {
      throw new Error('custom recorder bug');
    });
    end();
    end();
    startTimer(42 as never)();
    await timeAsync(42 as never, {} as never, () => 1);
    await expect(
      timeAsync(spy().recorder as never, {} as never, () => Promise.reject(new Error('x')), {
        onError: () => {
          throw new Error('onError bug');
        },
      }),
    ).rejects.toThrow('x');
    expect(lines).toStrictEqual([
      '[otel-workspace-metrics] warn: a recorder passed to startTimer/timeAsync threw; the measurement was dropped',
      '[otel-workspace-metrics] warn: startTimer: end() called again; the first call already recorded',
      '[otel-workspace-metrics] warn: startTimer: the recorder is not a function; nothing recorded',
      '[otel-workspace-metrics] warn: timeAsync: onError threw; recorded the failure without its fields',
    ]);
    resetLogWindows();
    lines.length = 0;
    await timeAsync(42 as never, {} as never, () => 1);
    expect(lines).toStrictEqual(['[otel-workspace-metrics] warn: timeAsync: the recorder is not a function; nothing recorded']);
  });
});
