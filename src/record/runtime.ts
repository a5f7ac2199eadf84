/**
 * The recording side of the runtime: which MeterProvider the helpers record
 * through, their instruments, observable registrations, label caps and
 * current-value stores, the workspace label name and the enforcement of late
 * declarations. `start()` builds one runtime per kit (src/sdk/runtime.ts) and
 * installs it; `shutdown()` removes it, and everything it held goes with it.
 *
 * This module keeps the one mutable module-level value of the kit: which
 * runtime is current (as the OpenTelemetry API keeps which MeterProvider is
 * global). Without a kit, a detached runtime records through whatever
 * MeterProvider is global (the API's no-op one, or an application's own SDK).
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
import type { MetricDeclaration } from '../model/types';
import { Enforcement } from '../model/enforcement';
import { DEFAULT_WORKSPACE_LABEL } from '../model/canonical';
import { readConfig } from '../config/env';
import { warnRateLimited } from '../log';

export const METER_NAME = 'otel-workspace-metrics';

export type SyncInstrument = Counter | UpDownCounter | Histogram | Gauge;

/** Reports current values for an observable declaration at collection time. */
export type Observation = (observe: (value: number, attributes?: Attributes) => void) => void;

interface Registration {
  decl: MetricDeclaration;
  observation: Observation;
}

/**
 * How the typed helpers' counters and histograms record: through the SDK
 * (`views`) or the fast path (src/fast/), which hands out its own instruments.
 */
export interface RecordingPath {
  readonly kind: 'fast' | 'views';
  /** The MeterProvider this path's instruments report through; they are used only while it is global. */
  readonly provider: MeterProvider | undefined;
  /** An instrument for `decl`, or undefined to create the SDK's. */
  instrument(decl: MetricDeclaration): SyncInstrument | undefined;
}

/** The SDK path: every instrument comes from the global MeterProvider's meter. */
export const VIEWS_PATH: RecordingPath = Object.freeze({ kind: 'views', provider: undefined, instrument: () => undefined });

const NOOP_METER = createNoopMeter();

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
 * Binds declarations to OTel instruments on whatever MeterProvider is global
 * right now. Without a provider that is the API's no-op one, so every helper
 * is a cheap no-op; when a provider is registered later, the next recording
 * rebinds (and observable callbacks re-attach).
 */
export class InstrumentTable {
  private boundProvider: MeterProvider | undefined;
  private meter: Meter | undefined;
  private instruments = new Map<MetricDeclaration, SyncInstrument>();
  private readonly registrations: Registration[] = [];

  /**
   * `providerOf`: the MeterProvider to record through; by default whichever
   * is global. A kit binds its own, so its helpers never record into a
   * provider that lacks its views (another SDK registered first).
   */
  constructor(
    readonly path: RecordingPath,
    private readonly enforcement: Enforcement,
    private readonly providerOf: () => MeterProvider = () => metrics.getMeterProvider(),
  ) {}

  private currentMeter(): Meter {
    const provider = this.providerOf();
    if (provider !== this.boundProvider || this.meter === undefined) {
      this.boundProvider = provider;
      this.meter = provider.getMeter(METER_NAME);
      this.instruments = new Map();
      for (const registration of this.registrations) attachObservation(this.meter, registration);
    }
    return this.meter;
  }

  /** True when no MeterProvider is registered: helpers then skip even input checks (zero overhead when off). */
  isNoop(): boolean {
    return this.currentMeter() === NOOP_METER;
  }

  /** Re-check the global provider now (so observables attach without waiting for a recording). */
  rebind(): void {
    this.currentMeter();
  }

  sync(decl: MetricDeclaration): SyncInstrument {
    // No view covers a late declaration: record nothing rather than unfiltered attributes.
    const m = this.enforcement.isUnenforced(decl) ? NOOP_METER : this.currentMeter();
    let instrument = this.instruments.get(decl);
    if (instrument === undefined) {
      const path = this.path;
      instrument = (path.provider !== undefined && path.provider === this.boundProvider ? path.instrument(decl) : undefined) ?? createSync(m, decl);
      this.instruments.set(decl, instrument);
    }
    return instrument;
  }

  register(decl: MetricDeclaration, observation: Observation): () => void {
    if (!decl.kind.startsWith('observable')) throw new Error(`${decl.name} is not an observable instrument`);
    if (this.enforcement.isUnenforced(decl)) return () => undefined;
    let active = true;
    const registration: Registration = {
      decl,
      observation: (observe) => {
        if (active) observation(observe);
      },
    };
    this.add(registration);
    return () => {
      active = false;
      const index = this.registrations.indexOf(registration);
      if (index >= 0) this.registrations.splice(index, 1);
    };
  }

  private add(registration: Registration): void {
    this.registrations.push(registration);
    if (this.meter !== undefined && this.providerOf() === this.boundProvider) attachObservation(this.meter, registration);
    else this.currentMeter();
  }

  /** Take over the registrations made before a kit started (they stop with that kit). */
  adopt(other: InstrumentTable): void {
    for (const registration of other.registrations.splice(0)) this.add(registration);
  }
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

/** What the recording helpers need from the runtime. */
export interface RecordingRuntime {
  /** The attribute key the helpers put the raw workspace id under. */
  readonly labelName: string;
  readonly enforcement: Enforcement;
  readonly instruments: InstrumentTable;
  /** The configured collection interval, for collectors that poll (METRICS_COLLECTOR_INTERVAL). */
  readonly collectorIntervalMillis: number;
  /** Per-runtime state keyed by a (frozen, module-level) handle: label caps, current-value stores. */
  state<T>(key: object, create: () => T): T;
}

/** State store shared by every runtime implementation. */
export class RuntimeState {
  private readonly values = new Map<object, unknown>();

  get<T>(key: object, create: () => T): T {
    let value = this.values.get(key) as T | undefined;
    if (value === undefined) {
      value = create();
      this.values.set(key, value);
    }
    return value;
  }
}

/** The runtime without a kit: records through any global MeterProvider, with the default label name. */
class DetachedRuntime implements RecordingRuntime {
  readonly labelName = DEFAULT_WORKSPACE_LABEL;
  readonly enforcement = new Enforcement(false);
  readonly instruments = new InstrumentTable(VIEWS_PATH, this.enforcement);
  private readonly store = new RuntimeState();

  /** No kit, no config of its own: the environment's (read when a collector asks). */
  get collectorIntervalMillis(): number {
    return readConfig(process.env).config.collectorIntervalMillis;
  }

  state<T>(key: object, create: () => T): T {
    return this.store.get(key, create);
  }
}

let current: RecordingRuntime | undefined;
let detached = false;

/** The current runtime: the started kit's, else a detached one (created on first use). */
export function currentRuntime(): RecordingRuntime {
  if (current === undefined) {
    current = new DetachedRuntime();
    detached = true;
  }
  return current;
}

/** Make `runtime` current (start); registrations made before any kit started move to it. */
export function installRuntime(runtime: RecordingRuntime): void {
  if (current !== undefined && detached) runtime.instruments.adopt(current.instruments);
  current = runtime;
  detached = false;
}

/** Drop `runtime` if it is current (shutdown): the next recording starts from a fresh detached runtime. */
export function removeRuntime(runtime: RecordingRuntime): void {
  if (current === runtime) {
    current = undefined;
    // Stryker disable next-line BooleanLiteral: with no current runtime, `detached` is read only after currentRuntime() sets it again
    detached = false;
  }
}
