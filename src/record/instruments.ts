/**
 * The typed helpers' access to instruments: each call goes to the current
 * runtime's instrument table (src/record/runtime.ts), so a kit's instruments
 * and observations end with the kit.
 */
import type { Counter, Gauge, Histogram, UpDownCounter } from '@opentelemetry/api';
import type { MetricDeclaration } from '../model/types';
import { currentRuntime, type Observation } from './runtime';

export { METER_NAME, type Observation } from './runtime';

/** True when no MeterProvider is registered: helpers then skip even input checks (zero overhead when off). */
export function isNoop(): boolean {
  return currentRuntime().instruments.isNoop();
}

export function counter(decl: MetricDeclaration): Counter {
  return currentRuntime().instruments.sync(decl) as Counter;
}
export function upDownCounter(decl: MetricDeclaration): UpDownCounter {
  return currentRuntime().instruments.sync(decl) as UpDownCounter;
}
export function histogram(decl: MetricDeclaration): Histogram {
  return currentRuntime().instruments.sync(decl) as Histogram;
}
export function gauge(decl: MetricDeclaration): Gauge {
  return currentRuntime().instruments.sync(decl) as Gauge;
}

/**
 * Report an observable declaration's current value(s) at every collection of
 * the current runtime (a kit's registrations end with its shutdown).
 * Returns a function that stops reporting.
 */
export function registerObservation(decl: MetricDeclaration, observation: Observation): () => void {
  return currentRuntime().instruments.register(decl, observation);
}
