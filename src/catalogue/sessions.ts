/**
 * Sessions: how many are open, how long they lasted, and
 * why they were refreshed (the documented reasons are `proactive`, `api_forced`
 * and `browser_error`; any bounded reason is accepted).
 */
import type { MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { CurrentValues, defineObserver } from '../record/current-value';
import { LabelCap, defineRecorder, nonNegative, required } from '../record/validate';

/** Sessions last seconds to a day. */
export const SESSION_DURATION_BUCKETS_SECONDS: readonly number[] = [
  1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400,
];

export const sessionActive: MetricDeclaration = {
  name: 'session.active',
  kind: 'observableGauge',
  unit: '{session}',
  description: 'Sessions currently open.',
  labels: [],
};

export const sessionDuration: MetricDeclaration = {
  name: 'session.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Session lifetime in seconds, recorded when a session ends.',
  labels: [],
  buckets: SESSION_DURATION_BUCKETS_SECONDS,
};

export const sessionRefreshes: MetricDeclaration = {
  name: 'session.refreshes',
  kind: 'counter',
  unit: '{refresh}',
  description: 'Session refreshes by reason.',
  labels: ['reason'],
};

export const SESSION_METRICS = [sessionActive, sessionDuration, sessionRefreshes] as const;

/** The documented refresh reasons (the label accepts other bounded values too). */
export const SESSION_REFRESH_REASONS = ['proactive', 'api_forced', 'browser_error'] as const;

export interface ActiveSessions {
  count: number;
}
export interface SessionEnded {
  durationSeconds: number;
}
export interface SessionRefresh {
  reason: (typeof SESSION_REFRESH_REASONS)[number] | (string & {});
}

const reasons = new LabelCap(50);
const active = new CurrentValues(sessionActive);

export const setActiveSessions = defineRecorder<ActiveSessions>('setActiveSessions', (input) => {
  active.set([{ value: required(nonNegative(input.count), 'count must be a finite number >= 0'), attributes: {} }]);
});

const observeActive = defineObserver<Record<string, never>, number>('observeActiveSessions', sessionActive, () => ({}), (returned, attributes) => [
  { value: required(nonNegative(returned), 'callback must return a finite number >= 0'), attributes },
]);

/** Report open sessions from a callback read at each collection; returns a function that stops it. */
export function observeActiveSessions(callback: () => number): () => void {
  return observeActive({}, callback);
}

/** Record a finished session's lifetime (works with `startTimer(recordSessionDuration)`). */
export const recordSessionDuration = defineRecorder<SessionEnded>('recordSessionDuration', (input) => {
  histogram(sessionDuration).record(required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0'), {});
});

export const recordSessionRefresh = defineRecorder<SessionRefresh>('recordSessionRefresh', (input) => {
  counter(sessionRefreshes).add(1, { reason: required(reasons.value(input.reason), 'reason is missing') });
});
