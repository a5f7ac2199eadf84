/**
 * The queue label policy, Redis failure reasons and the BullMQ outcome rules,
 * at their boundaries (the integration tests run them against the real parts).
 */
import { describe, expect, it } from 'vitest';
import { QueueLabel, DEFAULT_MAX_QUEUES } from '../../../src/queues/queue-label';
import { classifyRedisError } from '../../../src/queues/redis';
import { bullmqFailureStatus } from '../../../src/queues/job-outcomes';
import { readingsFromGroupedRows } from '../../../src/queues/collector';

describe('QueueLabel', () => {
  it('with an allowlist: exactly the listed names, everything else (prototype names, non-strings) __other__', () => {
    const label = new QueueLabel({ queues: ['emails', 'reports'] });
    expect(['emails', 'reports', 'emails-acme', 'Emails', '', '__proto__', 'constructor', 42, null, undefined].map((q) => label.value(q))).toEqual([
      'emails', 'reports', '__other__', '__other__', '__other__', '__other__', '__other__', '__other__', '__other__', '__other__',
    ]);
    expect(label.listed).toEqual(['emails', 'reports']);
  });

  it('without one: the first maxQueues well-formed names, then __other__ (a name already kept stays kept)', () => {
    const label = new QueueLabel({ maxQueues: 2 });
    expect(['a', 'b', 'c', 'a', 'has space', 'x'.repeat(128), 'y'.repeat(129)].map((q) => label.value(q))).toEqual(['a', 'b', '__other__', 'a', '__other__', '__other__', '__other__']);
    expect(new QueueLabel().listed).toEqual([]);
    const fresh = new QueueLabel();
    const values = Array.from({ length: DEFAULT_MAX_QUEUES + 1 }, (_, i) => fresh.value(`q${i}`));
    expect(values.at(-2)).toBe(`q${DEFAULT_MAX_QUEUES - 1}`);
    expect(values.at(-1)).toBe('__other__');
  });

  it('refuses an allowlist entry that could not be a label value, and a bad cap', () => {
    expect(() => new QueueLabel({ queues: ['ok', 'not ok'] })).toThrow(/not a valid queue label value/);
    expect(() => new QueueLabel({ queues: 'emails' as never })).toThrow(/array/);
    expect(() => new QueueLabel({ maxQueues: 0 })).toThrow(/maxQueues/);
  });
});

describe('classifyRedisError', () => {
  const error = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);
  it.each([
    [error('connect ECONNREFUSED 127.0.0.1:6379', { code: 'ECONNREFUSED' }), 'connect'],
    [error("Stream isn't writeable and enableOfflineQueue options is false"), 'connect'],
    [error('Connection is closed.'), 'connect'],
    [error('Reached the max retries per request limit (which is 0).', { name: 'MaxRetriesPerRequestError' }), 'connect'],
    [error('LOADING Redis is loading the dataset in memory'), 'connect'],
    [error('Command timed out'), 'timeout'],
    [error('BUSY Redis is busy running a script.'), 'timeout'],
    [error('NOAUTH Authentication required.'), 'permission'],
    [error('WRONGPASS invalid username-password pair'), 'permission'],
    [error("NOPERM this user has no permissions to run the 'eval' command"), 'permission'],
    [error('ERR Error running script: attempt to compare nil with number'), 'query'],
    ['a string', 'query'],
  ])('%s → %s', (input, reason) => {
    expect(classifyRedisError(input)).toBe(reason);
  });
});

describe('bullmqFailureStatus', () => {
  const job = (attemptsMade: number, attempts?: number) => ({ name: 'j', attemptsMade, opts: attempts === undefined ? {} : { attempts } });
  const named = (name: string) => Object.assign(new Error('x'), { name });
  it('retry while attempts are left, error on the last one (attemptsMade counts earlier failures)', () => {
    expect(bullmqFailureStatus(job(0, 3), new Error('x'))).toBe('retry');
    expect(bullmqFailureStatus(job(1, 3), new Error('x'))).toBe('retry');
    expect(bullmqFailureStatus(job(2, 3), new Error('x'))).toBe('error');
    expect(bullmqFailureStatus(job(0), new Error('x'))).toBe('error');
  });
  it('UnrecoverableError is final, deferrals are retries, aborts are timeouts', () => {
    expect(bullmqFailureStatus(job(0, 3), named('UnrecoverableError'))).toBe('error');
    for (const name of ['DelayedError', 'WaitingChildrenError', 'WaitingError', 'RateLimitError']) expect(bullmqFailureStatus(job(5, 1), named(name))).toBe('retry');
    for (const name of ['TimeoutError', 'AbortError']) expect(bullmqFailureStatus(job(0, 3), named(name))).toBe('timeout');
  });
});

describe('readingsFromGroupedRows', () => {
  it('sums rows per queue, keeps the oldest age, reads known empty queues as 0, and never trusts a negative or bogus number', () => {
    const readings = readingsFromGroupedRows(
      [
        { queue: 'a', status: 'created', n: '3', ready: '2', future: '1', oldest_ready_age: 5.5, expired: '0', active: '0' },
        { queue: 'a', status: 'active', n: '2', ready: '0', future: '0', oldest_ready_age: null, expired: '1', active: '1' },
        { queue: 'a', status: 'retry', n: '1', ready: '1', future: '0', oldest_ready_age: 9, expired: '0', active: '0' },
        { queue: 'b', status: 'created', n: '-4', ready: 'NaN', future: '0', oldest_ready_age: -3, expired: '0', active: '0' },
      ],
      ['c'],
    );
    expect(readings.map((r) => ({ ...r, depth: Object.fromEntries(r.depth) }))).toEqual([
      { queue: 'c', depth: {}, ready: 0, future: 0, oldestReadyAgeSeconds: 0, expiredLeases: 0, activeLeases: 0 },
      { queue: 'a', depth: { created: 3, active: 2, retry: 1 }, ready: 3, future: 1, oldestReadyAgeSeconds: 9, expiredLeases: 1, activeLeases: 1 },
      { queue: 'b', depth: { created: 0 }, ready: 0, future: 0, oldestReadyAgeSeconds: 0, expiredLeases: 0, activeLeases: 0 },
    ]);
  });
});
