/**
 * The kit's runtime: ONE object built by `start()` and dropped by its
 * `shutdown()`. It owns everything mutable of a running kit: the catalogue
 * snapshot its views were built from, the workspace label name, the
 * enforcement of late declarations, the instrument table and the recording
 * path (SDK views or the fast path, behind `RecordingPath`), the workspace
 * policy and its allowlist sources, the MeterProvider and its readers, the
 * HTTP server metrics and the per-runtime state of the helpers (label caps,
 * current values). Two runtimes never share any of it.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type IMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { KitConfig, RecordingPath as RecordingPathName } from '../config/env';
import type { MetricDeclaration } from '../model/types';
import { Enforcement } from '../model/enforcement';
import { WorkspacePolicy } from '../policy/workspace-policy';
import { DynamicAllowlist, fileAllowlistSource, type AllowlistSource } from '../policy/allowlist-sources';
import { registerSelfMetrics } from '../policy/self-metrics';
import { buildViews } from '../policy/views';
import { METER_NAME, InstrumentTable, RuntimeState, VIEWS_PATH, installRuntime, removeRuntime, type RecordingPath, type RecordingRuntime } from '../record/runtime';
import { FastPath, attachProducer, firstNonCumulativeReader } from '../fast/index';
import { HttpServerMetrics } from '../http/server-metrics';
import { buildResource } from './resource';
import { createOtlpReader } from './readers';
import { createEmbeddedEndpoint, type EmbeddedEndpoint } from './embedded-endpoint';
import { logInfo } from '../log';

export interface Kit {
  readonly config: KitConfig;
  readonly provider: MeterProvider;
  /** Present when the workspace label is on. */
  readonly workspacePolicy: WorkspacePolicy | undefined;
  /** The allowlist's sources and reloads; present when the workspace label is on. */
  readonly allowlist: DynamicAllowlist | undefined;
  /** How typed-helper counters and histograms record: `fast` (src/fast/) or through the SDK `views`. */
  readonly recordingPath: RecordingPathName;
  /** The embedded endpoint's bound port once listening (undefined when off or failed). */
  readonly embeddedPort: Promise<number | undefined>;
  /**
   * The fast path's cumulative data, collected synchronously (present when
   * recording on the fast path and exporting OTLP): what the exit flush sends.
   */
  readonly exitSnapshot: (() => ResourceMetrics) | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface KitRuntimeOptions {
  config: KitConfig;
  /** The catalogue at start: the views (and the fast path) cover exactly these. */
  decls: readonly MetricDeclaration[];
  readers: IMetricReader[];
  httpServerMetrics: boolean;
  allowlistSources: AllowlistSource[];
}

export class KitRuntime implements Kit, RecordingRuntime {
  readonly config: KitConfig;
  readonly catalogue: readonly MetricDeclaration[];
  readonly labelName: string;
  readonly enforcement = new Enforcement(true);
  readonly instruments: InstrumentTable;
  readonly provider: MeterProvider;
  readonly workspacePolicy: WorkspacePolicy | undefined;
  readonly allowlist: DynamicAllowlist | undefined;
  readonly recordingPath: RecordingPathName;
  readonly embeddedPort: Promise<number | undefined>;
  readonly exitSnapshot: (() => ResourceMetrics) | undefined;
  private readonly store = new RuntimeState();
  private readonly http: HttpServerMetrics | undefined;
  private readonly embedded: EmbeddedEndpoint | undefined;
  private readonly stopSelfMetrics: (() => void) | undefined;
  private stopped: Promise<void> | undefined;

  constructor(options: KitRuntimeOptions) {
    const { config } = options;
    this.config = config;
    this.catalogue = Object.freeze([...options.decls]);
    this.labelName = config.workspace.labelName;
    const workspacePolicy = config.workspace.enabled
      ? new WorkspacePolicy({
          labelName: config.workspace.labelName,
          allowlist: config.workspace.allowlist,
          sampleRate: config.workspace.sampleRate,
          mode: config.workspace.mode,
        })
      : undefined;
    this.workspacePolicy = workspacePolicy;
    this.allowlist =
      workspacePolicy === undefined
        ? undefined
        : new DynamicAllowlist({
            policy: workspacePolicy,
            staticEntries: config.workspace.allowlist,
            sources: [
              ...(config.workspace.allowlistFile === undefined
                ? []
                : [fileAllowlistSource(config.workspace.allowlistFile, { pollMillis: config.workspace.allowlistPollMillis })]),
              ...options.allowlistSources,
            ],
          });
    // Every source loads in the background (the file too: nothing here blocks the host's event loop).
    void this.allowlist?.start();

    const resource = buildResource();
    // The fast recording path (docs/PERFORMANCE.md): its MetricProducer feeds every reader.
    const fast =
      config.recordingPath === 'fast'
        ? new FastPath({ decls: this.catalogue, workspace: workspacePolicy, scope: { name: METER_NAME, version: '', schemaUrl: undefined }, resource })
        : undefined;
    const producers = () => (fast === undefined ? [] : [fast.producer()]); // one per reader
    const readers: IMetricReader[] = [...options.readers];
    if (fast !== undefined) for (const reader of readers) attachProducer(reader, fast.producer());
    this.http = options.httpServerMetrics ? new HttpServerMetrics() : undefined;
    if (config.exporters.includes('prometheus')) {
      this.embedded = createEmbeddedEndpoint(config, { metricProducers: producers() });
      this.http?.ignoreServer(this.embedded.server);
      readers.push(this.embedded.reader);
    }
    if (config.exporters.includes('otlp')) readers.push(createOtlpReader(config, producers()));
    const deltaReader = fast === undefined ? undefined : firstNonCumulativeReader(readers);
    if (fast !== undefined && deltaReader !== undefined) {
      // The fast path aggregates cumulatively only (e.g. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta or lowmemory).
      fast.disable();
      logInfo(`METRICS_RECORDING_PATH=fast: ${deltaReader.constructor.name} asks for delta temporality, which the fast path does not produce; recording through the SDK views instead`);
    }

    this.provider = new MeterProvider({
      resource,
      views: buildViews(this.catalogue, { workspace: workspacePolicy }),
      readers,
    });
    const provider = this.provider;
    const path: RecordingPath = fast?.enabled ? { kind: 'fast', provider, instrument: (decl) => fast.instrument(decl) } : VIEWS_PATH;
    this.instruments = new InstrumentTable(path, this.enforcement);
    this.recordingPath = path.kind;
    // A synchronous view of the fast path's data, for the OTLP flush at process.exit().
    const exitProducer = fast?.enabled && config.exporters.includes('otlp') ? fast.syncProducer() : undefined;
    this.exitSnapshot = exitProducer && (() => exitProducer.collect().resourceMetrics);
    this.embeddedPort = this.embedded?.listening ?? Promise.resolve(undefined);

    metrics.setGlobalMeterProvider(provider);
    installRuntime(this);
    this.instruments.rebind();
    this.http?.start();
    this.stopSelfMetrics = workspacePolicy === undefined ? undefined : registerSelfMetrics(workspacePolicy, this.allowlist);
  }

  get collectorIntervalMillis(): number {
    return this.config.collectorIntervalMillis;
  }

  state<T>(key: object, create: () => T): T {
    return this.store.get(key, create);
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush().catch(() => undefined);
  }

  shutdown(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.http?.stop();
      await this.provider.shutdown().catch(() => undefined);
      this.stopSelfMetrics?.();
      await this.allowlist?.stop().catch(() => undefined);
      this.embedded?.close();
      metrics.disable();
      removeRuntime(this);
    })());
  }
}
