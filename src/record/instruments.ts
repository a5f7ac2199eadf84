/**
 * Binds catalogue declarations to OTel instruments on whatever MeterProvider
 * is global right now. Without the preload that is the API's no-op provider,
 * so every recording helper is a cheap no-op; when a provider is registered
 * later, the next recording rebinds (and observable callbacks re-attach).
 */
import {
  createNoopMeter,
  metrics,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableResult,
  type UpDownCounter,
  type Attributes,
} from '@opentelemetry/api';
import type { MetricDeclaration } from '../catalogue/types';
import { isUnenforced } from '../catalogue/enforcement';
import { warnRateLimited } from '../log';

export const METER_NAME = 'otel-workspace-metrics';

type SyncInstrument = Counter | UpDownCounter | Histogram | Gauge;

/** Reports current values for an observable declaration at collection time. */
export type Observation = (observe: (value: number, attributes?: Attributes) => void) => void;

interface Registration {
  decl: MetricDeclaration;
  observation: Observation;
}

let boundProvider: MeterProvider | undefined;
let meter: Meter | undefined;
let syncInstruments = new Map<MetricDeclaration, SyncInstrument>();
const registrations: Registration[] = [];

function currentMeter(): Meter {
  const provider = metrics.getMeterProvider();
  if (provider !== boundProvider || meter === undefined) {
    boundProvider = provider;
    meter = provider.getMeter(METER_NAME);
    syncInstruments = new Map();
    for (const registration of registrations) attachObservation(meter, registration);
  }
  return meter;
}

const NOOP_METER = createNoopMeter();

/** True when no MeterProvider is registered: helpers then skip even input checks (zero overhead when off). */
export function isNoop(): boolean {
  return currentMeter() === NOOP_METER;
}

/** Re-check the global provider now (called by start/stop so observables attach without waiting for a recording). */
export function rebind(): void {
  currentMeter();
}

function createSync(m: Meter, decl: MetricDeclaration): SyncInstrument {
  const options = { unit: decl.unit, description: decl.description };
  switch (decl.kind) {
    case 'counter':
      return m.createCounter(decl.name, options);
    case 'updowncounter':
      return m.createUpDownCounter(decl.name, options);
    case 'histogram':
      return m.createHistogram(decl.name, options);
    case 'gauge':
      return m.createGauge(decl.name, options);
    default:
      throw new Error(`${decl.name} is observable; register an observation instead`);
  }
}

/**
 * Where `counter()`/`histogram()` may get instruments other than the SDK's:
 * the fast recording path (src/fast/), installed by start() for its provider.
 */
export interface InstrumentSource {
  /** The MeterProvider these instruments report through; ignored while another provider is global. */
  readonly provider: MeterProvider;
  /** An instrument for `decl`, or undefined to create the SDK's. */
  instrument(decl: MetricDeclaration): SyncInstrument | undefined;
}

let instrumentSource: InstrumentSource | undefined;

/** Install (or remove, with undefined) the instrument source; instruments are re-resolved at their next use. */
export function setInstrumentSource(source: InstrumentSource | undefined): void {
  instrumentSource = source;
  syncInstruments = new Map();
}

function sync(decl: MetricDeclaration): SyncInstrument {
  // No view covers a late declaration: record nothing rather than unfiltered attributes.
  const m = isUnenforced(decl) ? NOOP_METER : currentMeter();
  let instrument = syncInstruments.get(decl);
  if (instrument === undefined) {
    const source = instrumentSource;
    instrument = (source !== undefined && source.provider === boundProvider ? source.instrument(decl) : undefined) ?? createSync(m, decl);
    syncInstruments.set(decl, instrument);
  }
  return instrument;
}

export function counter(decl: MetricDeclaration): Counter {
  return sync(decl) as Counter;
}
export function upDownCounter(decl: MetricDeclaration): UpDownCounter {
  return sync(decl) as UpDownCounter;
}
export function histogram(decl: MetricDeclaration): Histogram {
  return sync(decl) as Histogram;
}
export function gauge(decl: MetricDeclaration): Gauge {
  return sync(decl) as Gauge;
}

function attachObservation(m: Meter, registration: Registration): void {
  const { decl, observation } = registration;
  const options = { unit: decl.unit, description: decl.description };
  const instrument =
    decl.kind === 'observableCounter'
      ? m.createObservableCounter(decl.name, options)
      : decl.kind === 'observableUpDownCounter'
        ? m.createObservableUpDownCounter(decl.name, options)
        : m.createObservableGauge(decl.name, options);
  const callback: ObservableCallback = (result: ObservableResult) => {
    try {
      observation((value, attributes) => {
        if (Number.isFinite(value)) result.observe(value, attributes);
      });
    } catch {
      // A user callback that throws must not break the collection of every other metric.
      warnRateLimited(`observe:${decl.name}`, `observation callback for ${decl.name} threw; skipped this collection`);
    }
  };
  instrument.addCallback(callback);
}

/**
 * Report an observable declaration's current value(s) at every collection.
 * Returns a function that stops reporting.
 */
export function registerObservation(decl: MetricDeclaration, observation: Observation): () => void {
  if (!decl.kind.startsWith('observable')) throw new Error(`${decl.name} is not an observable instrument`);
  if (isUnenforced(decl)) return () => undefined;
  let active = true;
  const registration: Registration = {
    decl,
    observation: (observe) => {
      if (active) observation(observe);
    },
  };
  registrations.push(registration);
  if (meter !== undefined && metrics.getMeterProvider() === boundProvider) attachObservation(meter, registration);
  else currentMeter();
  return () => {
    active = false;
    const index = registrations.indexOf(registration);
    if (index >= 0) registrations.splice(index, 1);
  };
}
