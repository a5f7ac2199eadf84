/**
 * Timing helpers over any recording helper that takes `durationSeconds`:
 *
 *   const end = startTimer(recordActionExecution, { provider: 'google', action: 'gmail.send', workspaceId });
 *   ...
 *   end({ status: 'ok' });            // records once, returns the seconds
 *
 *   const sent = await timeAsync(recordActionExecution, { provider, action, workspaceId }, () => gmail.send(message));
 *   // status `ok` when it resolves; `error` (or `timeout`/`cancelled`) when it
 *   // rejects or throws, and then the original error is rethrown unchanged
 *
 * Like the recorders, neither ever throws into the caller because of metrics.
 */
import { warnRateLimited } from '../log';

/** A recording helper (`recordActionExecution`...). */
export type Recorder<I> = (input: I) => void;

/** A recorder's fields besides the measured duration. */
export type TimedFields<I> = Omit<I, 'durationSeconds'>;

/** What `end()` must still supply: the fields not fixed at start (fixed ones may be overridden). */
export type TimerRemaining<I, F> = Omit<TimedFields<I>, keyof F> & Partial<TimedFields<I>>;

/**
 * Ends a timer: records once with the elapsed seconds, returns them. The
 * argument is optional when the fields given at start were enough.
 */
export type TimerEnd<I, F> = {} extends TimerRemaining<I, F>
  ? (extra?: TimerRemaining<I, F>) => number
  : (extra: TimerRemaining<I, F>) => number;

function now(): bigint {
  return process.hrtime.bigint();
}

function secondsSince(start: bigint): number {
  return Number(now() - start) / 1e9;
}

function safeRecord<I>(recorder: Recorder<I>, input: I): void {
  try {
    recorder(input);
  } catch {
    // The built-in recorders never throw; a custom one must not break the caller either.
    warnRateLimited('timing:recorder-threw', 'a recorder passed to startTimer/timeAsync threw; the measurement was dropped');
  }
}

/** A plain stopwatch: `end()` returns the seconds elapsed since start. */
export function startTimer(): () => number;
/** A timer that records through `recorder` when ended, with `fixed` fields plus the ones given to `end`. */
export function startTimer<I extends { durationSeconds: number }, F extends Partial<TimedFields<I>> = {}>(
  recorder: Recorder<I>,
  fixed?: F,
): TimerEnd<I, F>;
export function startTimer(recorder?: Recorder<Record<string, unknown>>, fixed?: Record<string, unknown>): (extra?: Record<string, unknown>) => number {
  const start = now();
  if (recorder === undefined) return () => secondsSince(start);
  let ended = false;
  return (extra?: Record<string, unknown>): number => {
    const seconds = secondsSince(start);
    if (ended) {
      warnRateLimited('timing:ended-twice', 'startTimer: end() called again; the first call already recorded');
      return seconds;
    }
    ended = true;
    if (typeof recorder !== 'function') {
      warnRateLimited('timing:not-a-recorder', 'startTimer: the recorder is not a function; nothing recorded');
      return seconds;
    }
    safeRecord(recorder, { ...(isObject(fixed) ? fixed : {}), ...(isObject(extra) ? extra : {}), durationSeconds: seconds });
    return seconds;
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The statuses `timeAsync` records. */
export type TimedStatus = 'ok' | 'error' | 'timeout' | 'cancelled';

/**
 * The status for a failure: `timeout` for a `TimeoutError` (what
 * `AbortSignal.timeout()` rejects with), `cancelled` for an `AbortError`,
 * else `error`.
 */
export function statusOfError(error: unknown): TimedStatus {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError') return 'cancelled';
  return 'error';
}

export interface TimeAsyncOptions<I> {
  /**
   * Extra fields for a failed run, from its error: e.g.
   * `(error) => ({ errorType: (error as { code?: string }).code })` for
   * `recordDatabaseOperation`. May override `status`. If it throws, the
   * failure is recorded without them.
   */
  onError?: (error: unknown) => Partial<TimedFields<I>> | undefined;
}

/**
 * Times `fn`, records through `recorder` with `fixed` plus `durationSeconds`
 * and a status from the outcome, and returns what `fn` returned (awaited). A
 * rejection or a synchronous throw is recorded, then rethrown unchanged (the
 * same error object).
 */
export async function timeAsync<I extends { durationSeconds: number; status: string }, T>(
  recorder: Recorder<I>,
  fixed: Omit<I, 'durationSeconds' | 'status'>,
  fn: () => T | PromiseLike<T>,
  options: TimeAsyncOptions<I> = {},
): Promise<Awaited<T>> {
  const start = now();
  const base = isObject(fixed) ? fixed : {};
  let value: Awaited<T>;
  try {
    value = await fn();
  } catch (error) {
    let extra: Record<string, unknown> = {};
    try {
      const fromError = options.onError?.(error);
      if (isObject(fromError)) extra = fromError;
    } catch {
      warnRateLimited('timing:onError-threw', 'timeAsync: onError threw; recorded the failure without its fields');
    }
    record(recorder, { ...base, status: statusOfError(error), ...extra, durationSeconds: secondsSince(start) });
    throw error;
  }
  record(recorder, { ...base, status: 'ok', durationSeconds: secondsSince(start) });
  return value;
}

function record<I>(recorder: Recorder<I>, input: Record<string, unknown>): void {
  if (typeof recorder !== 'function') {
    warnRateLimited('timing:not-a-recorder', 'timeAsync: the recorder is not a function; nothing recorded');
    return;
  }
  safeRecord(recorder, input as I);
}
