/**
 * Resilience: circuit breakers, retries, dead-letter
 * queues and rate limiters.
 *
 * The breaker state is ONE series per state (`state="closed|open|half_open"`),
 * 1 for the current state and 0 for the others, so it aggregates and alerts
 * cleanly (`max by (breaker) (circuit_breaker_state{state="open"}) == 1`)
 * instead of encoding the state as a magic number.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { CurrentValues, defineObserver, type Point } from '../record/current-value';
import { LabelCap, defineRecorder, nonNegative, required, status, type Status } from '../record/validate';

export const circuitBreakerState: MetricDeclaration = {
  name: 'circuit_breaker.state',
  kind: 'observableGauge',
  unit: '{state}',
  description: 'Circuit breaker state: one series per state, 1 for the current state and 0 for the others.',
  labels: ['breaker', 'state'],
};

export const circuitBreakerTransitions: MetricDeclaration = {
  name: 'circuit_breaker.transitions',
  kind: 'counter',
  unit: '{transition}',
  description: 'Circuit breaker state transitions, per breaker, from state and to state.',
  labels: ['breaker', 'from', 'to'],
};

export const circuitBreakerTrips: MetricDeclaration = {
  name: 'circuit_breaker.trips',
  kind: 'counter',
  unit: '{trip}',
  description: 'Circuit breaker trips (transitions to open), per breaker.',
  labels: ['breaker'],
};

export const retryAttempts: MetricDeclaration = {
  name: 'retry.attempts',
  kind: 'counter',
  unit: '{attempt}',
  description: 'Retry attempts (not counting first tries), per operation.',
  labels: ['operation'],
};

export const retrySuccesses: MetricDeclaration = {
  name: 'retry.successes',
  kind: 'counter',
  unit: '{success}',
  description: 'Operations that succeeded after at least one retry, per operation.',
  labels: ['operation'],
};

export const deadLetterQueueSize: MetricDeclaration = {
  name: 'dead_letter_queue.size',
  kind: 'observableGauge',
  unit: '{message}',
  description: 'Messages currently in a dead-letter queue.',
  labels: ['queue'],
};

export const deadLetterQueueReplays: MetricDeclaration = {
  name: 'dead_letter_queue.replays',
  kind: 'counter',
  unit: '{replay}',
  description: 'Dead-letter messages replayed, per queue and outcome status.',
  labels: ['queue', 'status'],
};

/** Rate limiter waits are coarse (half a second to 16 s), hence coarse buckets. */
export const RATE_LIMITER_DELAY_BUCKETS_SECONDS: readonly number[] = [0.5, 1, 2, 4, 8, 16];

export const rateLimiterDelay: MetricDeclaration = {
  name: 'rate_limiter.delay',
  kind: 'histogram',
  unit: 's',
  description: 'Time a call waited for the rate limiter, in seconds, per limiter.',
  labels: ['limiter'],
  buckets: RATE_LIMITER_DELAY_BUCKETS_SECONDS,
};

export const CIRCUIT_BREAKER_METRICS = [circuitBreakerState, circuitBreakerTransitions, circuitBreakerTrips] as const;
export const RETRY_METRICS = [retryAttempts, retrySuccesses] as const;
export const DEAD_LETTER_METRICS = [deadLetterQueueSize, deadLetterQueueReplays] as const;
export const RATE_LIMITER_METRICS = [rateLimiterDelay] as const;
export const RESILIENCE_METRICS = [...CIRCUIT_BREAKER_METRICS, ...RETRY_METRICS, ...DEAD_LETTER_METRICS, ...RATE_LIMITER_METRICS] as const;

// ---- circuit breakers ----------------------------------------------------

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** `half-open`, `halfOpen`, `HALF_OPEN` → `half_open`; anything else undefined. */
export function breakerState(value: unknown): BreakerState | undefined {
  if (typeof value !== 'string') return undefined;
  const normalized = value
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-\s]/g, '_');
  return (BREAKER_STATES as readonly string[]).includes(normalized) ? (normalized as BreakerState) : undefined;
}

export interface BreakerRef {
  breaker: string;
}
export interface BreakerStateInput extends BreakerRef {
  state: BreakerState | 'half-open';
}
export interface BreakerTransition extends BreakerRef {
  from: BreakerState | 'half-open';
  to: BreakerState | 'half-open';
}

const breakers = new LabelCap(200);
const STATE_REASON = `must be one of ${BREAKER_STATES.join(', ')}`;

function breakerAttributes(input: Record<string, unknown>): Attributes {
  return { breaker: required(breakers.value(input.breaker), 'breaker is missing') };
}

function statePoints(current: BreakerState, attributes: Attributes): Point[] {
  return BREAKER_STATES.map((state) => ({ value: state === current ? 1 : 0, attributes: { ...attributes, state } }));
}

const states = new CurrentValues(circuitBreakerState);

/** Set a breaker's current state: writes all three state series (1 for `state`, 0 for the others). */
export const setCircuitBreakerState = defineRecorder<BreakerStateInput>('setCircuitBreakerState', (input) => {
  const attributes = breakerAttributes(input);
  states.set(statePoints(required(breakerState(input.state), `state ${STATE_REASON}`), attributes));
});

/** Report a breaker's state from a callback read at each collection (`observeCircuitBreakerState({ breaker: 'crm' }, () => cb.state)`). */
export const observeCircuitBreakerState = defineObserver<BreakerRef, BreakerState | 'half-open'>(
  'observeCircuitBreakerState',
  circuitBreakerState,
  breakerAttributes,
  (returned, attributes) => statePoints(required(breakerState(returned), `callback must return a state that ${STATE_REASON}`), attributes),
);

/**
 * Record a state change: counts the transition, counts a trip when `to` is
 * `open`, and sets the state gauge to `to`. One call per state change is all
 * a breaker needs (hook it to the breaker library's state-change event).
 */
export const recordCircuitBreakerTransition = defineRecorder<BreakerTransition>('recordCircuitBreakerTransition', (input) => {
  const attributes = breakerAttributes(input);
  const from = required(breakerState(input.from), `from ${STATE_REASON}`);
  const to = required(breakerState(input.to), `to ${STATE_REASON}`);
  counter(circuitBreakerTransitions).add(1, { ...attributes, from, to });
  if (to === 'open') counter(circuitBreakerTrips).add(1, attributes);
  states.set(statePoints(to, attributes));
});

// ---- retries -------------------------------------------------------------

export interface RetryInput {
  /** What is retried (`crm.sync`, `gmail.send`): bounded. */
  operation: string;
}

const retriedOperations = new LabelCap(200);

function operationAttributes(input: Record<string, unknown>): Attributes {
  return { operation: required(retriedOperations.value(input.operation), 'operation is missing') };
}

/** Count one retry (call it before each attempt after the first). */
export const recordRetryAttempt = defineRecorder<RetryInput>('recordRetryAttempt', (input) => {
  counter(retryAttempts).add(1, operationAttributes(input));
});

/** Count an operation that succeeded after at least one retry. */
export const recordRetrySuccess = defineRecorder<RetryInput>('recordRetrySuccess', (input) => {
  counter(retrySuccesses).add(1, operationAttributes(input));
});

// ---- dead-letter queues --------------------------------------------------

export interface DeadLetterQueueRef {
  queue: string;
}
export interface DeadLetterQueueSize extends DeadLetterQueueRef {
  size: number;
}
export interface DeadLetterReplay extends DeadLetterQueueRef {
  status: Status | 'success' | 'failure';
}

const deadLetterQueues = new LabelCap(100);

function queueAttributes(input: Record<string, unknown>): Attributes {
  return { queue: required(deadLetterQueues.value(input.queue), 'queue is missing') };
}

const deadLetterSizes = new CurrentValues(deadLetterQueueSize);

export const setDeadLetterQueueSize = defineRecorder<DeadLetterQueueSize>('setDeadLetterQueueSize', (input) => {
  const value = required(nonNegative(input.size), 'size must be a finite number >= 0');
  deadLetterSizes.set([{ value, attributes: queueAttributes(input) }]);
});

export const observeDeadLetterQueueSize = defineObserver<DeadLetterQueueRef, number>(
  'observeDeadLetterQueueSize',
  deadLetterQueueSize,
  queueAttributes,
  (returned, attributes) => [{ value: required(nonNegative(returned), 'callback must return a finite number >= 0'), attributes }],
);

export const recordDeadLetterReplay = defineRecorder<DeadLetterReplay>('recordDeadLetterReplay', (input) => {
  counter(deadLetterQueueReplays).add(1, {
    ...queueAttributes(input),
    status: required(status(input.status), 'status is not a known status'),
  });
});

// ---- rate limiters -------------------------------------------------------

export interface RateLimiterDelay {
  /** The limiter's name (`ancestry-api`): bounded. */
  limiter: string;
  /** How long the call waited (0 when it went straight through). */
  durationSeconds: number;
}

const limiters = new LabelCap(50);

export const recordRateLimiterDelay = defineRecorder<RateLimiterDelay>('recordRateLimiterDelay', (input) => {
  const attributes = { limiter: required(limiters.value(input.limiter), 'limiter is missing') };
  histogram(rateLimiterDelay).record(required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0'), attributes);
});
