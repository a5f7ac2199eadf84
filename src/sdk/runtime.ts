/**
 * The kit's runtime: ONE object built by `start()` and dropped by its
 * `shutdown()`. It owns everything mutable of a running kit: the catalogue
 * snapshot its views were built from, the workspace label name, the
 * enforcement of late declarations, the instrument table and the recording
 * path (SDK views or the fast path, behind `RecordingPath`), the workspace
 * policy and its allowlist sources, the MeterProvider and its readers (and,
 * under node:cluster, the primary's aggregation), the HTTP server metrics and the per-runtime state of the helpers (label caps,
 * current values). Two runtimes never share any of it.
 */
import { metrics, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import type { MeterProvider, IMetricReader, MeterProviderOptions, MetricProducer, ResourceMetrics, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
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
import { INSTRUMENTATION_HTTP, bypassEmitInstrumentation, emitIsInstrumented, policyRoute } from '../http/instrumentation-http';
import { HTTP_ATTRIBUTES } from '../catalogue/http';
import { buildResource } from './resource';
import { RUNTIME_NODE_PACKAGE, startRuntimeMetrics, type RuntimeMetrics } from './runtime-metrics';
import { createOtlpReader } from './readers';
import { ExportFailures, exporterLabel } from './export-failures';
import { exportFailures as exportFailuresDecl } from '../catalogue/self';
import { registerObservation } from '../record/instruments';
import { createEmbeddedEndpoint, type EmbeddedEndpoint } from './embedded-endpoint';
import { ClusterPrimary, ClusterWorkerReader, distinctWorkerResource, isClusterWorker } from './cluster';
import { createConsoleReader } from './console-reader';
import {
  FOREIGN_PROVIDER_ERROR,
  INSTRUMENTATION_SCOPE_PREFIX,
  KitMeterProvider,
  globalProviderRegistered,
  instrumentationsNote,
  logErrorOnce,
  logInfoOnce,
  onReaderBound,
} from './coexist';
import { logError, logInfo } from '../log';

/**
 * Whose MeterProvider the kit's readers are on: `own` (start(): the kit
 * builds one and registers it globally, or keeps it to itself when another
 * was registered first) or `app` (the application builds it from the kit's
 * views and readers: NodeSDK or its own MeterProvider).
 */
export type ProviderMode = 'own' | 'app';

/** The route policy also governs an `http.route` other recorders (instrumentation-http) put on the same instrument. */
const VALUE_RULES = Object.freeze({ [HTTP_ATTRIBUTES.route]: policyRoute });

export interface Kit {
  readonly config: KitConfig;
  /** The kit's MeterProvider; undefined when the application builds it (`otel-workspace-metrics/sdk`). */
  readonly provider: MeterProvider | undefined;
  /**
   * Whether the kit's provider is the global one: false when another was
   * registered first (the kit then records through its own readers only, and
   * said so in one error line), or when the application owns the provider.
   */
  readonly global: boolean;
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

/** What NodeSDK takes for metrics (its `views`, `metricReaders` and `resource` options). */
export interface NodeSdkMetricsOptions {
  /** The policy's views (both streams of every catalogue metric, the route policy on `http.route`). */
  views: ViewOptions[];
  /** The kit's readers, each reading the fast path's data too. */
  metricReaders: IMetricReader[];
  /** The kit's resource. */
  resource: Resource;
}

/** The kit for an application-built MeterProvider (`createWorkspaceMetrics`, `otel-workspace-metrics/sdk`). */
export interface WorkspaceMetrics extends Kit {
  /** The policy's views: give them all to the provider. */
  readonly views: ViewOptions[];
  /** The kit's readers (OTEL_METRICS_EXPORTER's and yours), each already reading the fast path. */
  readonly readers: readonly IMetricReader[];
  /** The kit's resource (service name and version from package.json, unique service.instance.id, OTEL_* env). */
  readonly resource: Resource;
  /** For NodeSDK: `new NodeSDK({ ...kit.nodeSdkOptions(), instrumentations })`. */
  nodeSdkOptions(): NodeSdkMetricsOptions;
  /** For your own MeterProvider: `new MeterProvider(kit.meterProviderOptions())`. */
  meterProviderOptions(): MeterProviderOptions;
  /**
   * A MetricProducer of the fast path's data for a reader you build
   * yourself (`metricProducers: [kit.metricProducer()]`, one per reader);
   * undefined when the kit records through the SDK views only.
   */
  metricProducer(): MetricProducer | undefined;
  /** Record through `provider` (default: the global one). Automatic once a provider took the kit's readers. */
  bind(provider?: ApiMeterProvider): void;
}

export interface KitRuntimeOptions {
  config: KitConfig;
  /** The catalogue at start: the views (and the fast path) cover exactly these. */
  decls: readonly MetricDeclaration[];
  readers: IMetricReader[];
  httpServerMetrics: boolean;
  allowlistSources: AllowlistSource[];
  /** Default `own`. */
  providerMode?: ProviderMode;
}

export class KitRuntime implements WorkspaceMetrics, RecordingRuntime {
  readonly config: KitConfig;
  readonly catalogue: readonly MetricDeclaration[];
  readonly labelName: string;
  readonly enforcement = new Enforcement(true);
  readonly instruments: InstrumentTable;
  readonly provider: MeterProvider | undefined;
  readonly global: boolean;
  /** For an application-built provider: the views, readers and resource to build it from. */
  readonly views: ViewOptions[];
  readonly readers: readonly IMetricReader[];
  readonly resource: Resource;
  /** The application's provider, once bound (`app` mode). */
  private appProvider: ApiMeterProvider | undefined;
  private readonly fast: FastPath | undefined;
  /** instrumentation-http asked the kit's provider for its meter: it records through the kit's views. */
  private httpInstrumentationOnKit = false;
  readonly workspacePolicy: WorkspacePolicy | undefined;
  readonly allowlist: DynamicAllowlist | undefined;
  readonly recordingPath: RecordingPathName;
  readonly embeddedPort: Promise<number | undefined>;
  readonly exitSnapshot: (() => ResourceMetrics) | undefined;
  private readonly store = new RuntimeState();
  private readonly http: HttpServerMetrics | undefined;
  private readonly embedded: EmbeddedEndpoint | undefined;
  private readonly clusterPrimary: ClusterPrimary | undefined;
  private readonly stopSelfMetrics: (() => void) | undefined;
  /** Failed OTLP export requests by exporter and reason (present when exporting OTLP). */
  readonly exportFailures: ExportFailures | undefined;
  private readonly stopExportFailures: (() => void) | undefined;
  private readonly runtimeStart: NodeJS.Immediate | undefined;
  private runtimeMetrics: RuntimeMetrics | undefined;
  private startingRuntimeMetrics = false;
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
          passthroughLimit: config.workspace.passthroughLimit,
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

    const resource = distinctWorkerResource(buildResource(process.cwd(), config.resourceDetectors));
    this.resource = resource;
    const mode = options.providerMode ?? 'own';
    // The fast recording path (docs/PERFORMANCE.md): its MetricProducer feeds every reader.
    const fast =
      config.recordingPath === 'fast'
        ? new FastPath({ decls: this.catalogue, workspace: workspacePolicy, values: VALUE_RULES, scope: { name: METER_NAME, version: '', schemaUrl: undefined }, resource })
        : undefined;
    this.fast = fast;
    const producers = () => (fast === undefined ? [] : [fast.producer()]); // one per reader
    const readers: IMetricReader[] = [...options.readers];
    if (fast !== undefined) for (const reader of readers) attachProducer(reader, fast.producer());
    this.http = options.httpServerMetrics ? new HttpServerMetrics({ defersTo: (server) => this.instrumentationHttpServes(server) }) : undefined;
    if (config.exporters.includes('prometheus')) {
      if (isClusterWorker()) {
        // node:cluster: the primary serves METRICS_PORT for the whole group (src/sdk/cluster.ts).
        readers.push(new ClusterWorkerReader(resource, producers()));
      } else {
        const clusterPrimary = (this.clusterPrimary = new ClusterPrimary(resource));
        this.embedded = createEmbeddedEndpoint(config, { metricProducers: producers(), scrapeCollect: (local) => clusterPrimary.collect(local) });
        // A primary that cannot serve does not acknowledge workers, so they say they are not served.
        void this.embedded.listening.then((port) => port === undefined && clusterPrimary.stop());
        this.http?.ignoreServer(this.embedded.server);
        bypassEmitInstrumentation(this.embedded.server);
        readers.push(this.embedded.reader);
      }
    }
    this.exportFailures = config.exporters.includes('otlp') ? new ExportFailures([exporterLabel(config.otlp.protocol)]) : undefined;
    if (config.exporters.includes('otlp')) readers.push(createOtlpReader(config, producers(), this.exportFailures));
    if (config.exporters.includes('console')) readers.push(createConsoleReader(config, producers()));
    const deltaReader = fast === undefined ? undefined : firstNonCumulativeReader(readers);
    if (fast !== undefined && deltaReader !== undefined) {
      // The fast path aggregates cumulatively only (e.g. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta or lowmemory).
      fast.disable();
      logInfo(`METRICS_RECORDING_PATH=fast: ${deltaReader.constructor.name} asks for delta temporality, which the fast path does not produce; recording through the SDK views instead`);
    }
    this.readers = readers;
    this.views = buildViews(this.catalogue, { workspace: workspacePolicy, values: VALUE_RULES });

    let global = false;
    if (mode === 'own') {
      const foreign = globalProviderRegistered();
      this.provider = new KitMeterProvider({ resource, views: this.views, readers }, (name) => {
        if (name === INSTRUMENTATION_HTTP) this.httpInstrumentationOnKit = true;
        // The kit's own runtime-node instance (startRuntimeMetrics) is no other instrumentation to tell about.
        if (name.startsWith(INSTRUMENTATION_SCOPE_PREFIX) && !(this.startingRuntimeMetrics && name === RUNTIME_NODE_PACKAGE)) logInfoOnce(this, instrumentationsNote(config));
      });
      // First registration wins (OTel API): when another provider is global, the kit keeps its own and says so.
      global = !foreign && metrics.setGlobalMeterProvider(this.provider);
      if (!global) logError(FOREIGN_PROVIDER_ERROR);
    } else {
      this.provider = undefined;
      // The application builds the provider from these readers; once it has (and registered it), bind to it.
      const foreignAtStart = globalProviderRegistered();
      const onBound = (): void =>
        queueMicrotask(() => {
          if (this.appProvider !== undefined || this.stopped !== undefined) return;
          // A provider registered before the kit keeps the global slot: the app's provider cannot take it.
          if (foreignAtStart) logErrorOnce(this, FOREIGN_PROVIDER_ERROR);
          else if (globalProviderRegistered()) this.bind();
        });
      for (const reader of readers) onReaderBound(reader, onBound);
    }
    this.global = global;
    const fastProvider = (): ApiMeterProvider | undefined => this.provider ?? this.appProvider;
    const path: RecordingPath = fast?.enabled
      ? {
          kind: 'fast',
          get provider() {
            return fastProvider();
          },
          instrument: (decl) => fast.instrument(decl),
        }
      : VIEWS_PATH;
    // The helpers record through the kit's provider whoever is global (never into one without the kit's views).
    this.instruments = new InstrumentTable(path, this.enforcement, () => this.provider ?? this.appProvider ?? metrics.getMeterProvider());
    this.recordingPath = path.kind;
    // A synchronous view of the fast path's data, for the OTLP flush at process.exit().
    const exitProducer = fast?.enabled && config.exporters.includes('otlp') ? fast.syncProducer() : undefined;
    this.exitSnapshot = exitProducer && (() => exitProducer.collect().resourceMetrics);
    this.embeddedPort = this.embedded?.listening ?? Promise.resolve(undefined);

    installRuntime(this);
    this.instruments.rebind();
    this.http?.start();
    this.stopSelfMetrics = workspacePolicy === undefined ? undefined : registerSelfMetrics(workspacePolicy, this.allowlist);
    const failures = this.exportFailures;
    this.stopExportFailures =
      failures === undefined
        ? undefined
        : registerObservation(exportFailuresDecl, (observe) => {
            for (const { exporter, reason, count } of failures.snapshot()) observe(count, { exporter, reason });
          });
    // Runtime and process metrics start once every preload and the main module's
    // synchronous code have run, so an auto-instrumentations preload loaded after
    // this one is seen and its runtime-node instance stays the only one. The
    // immediate is ref'd on purpose: an unref'd one waits for the loop's next
    // event (a 200 ms timer, say) before it runs.
    this.runtimeStart = config.runtimeMetrics ? setImmediate(() => this.startRuntimeMetrics()) : undefined;
  }

  private startRuntimeMetrics(): void {
    this.startingRuntimeMetrics = true;
    try {
      // The kit's provider, or in `app` mode the application's (which has the kit's views).
      this.runtimeMetrics = startRuntimeMetrics(this.provider ?? this.appProvider ?? metrics.getMeterProvider(), METER_NAME);
      const source = this.runtimeMetrics.runtimeSource;
      if (source !== 'kit') logInfo(`runtime metrics (event loop, heap, GC) come from ${source}, already running in this process; the kit adds the process metrics only`);
    } catch (error) {
      logError(`runtime metrics could not start (${(error as Error).message}); METRICS_RUNTIME=off silences this, the rest continues`);
    } finally {
      this.startingRuntimeMetrics = false;
    }
  }

  nodeSdkOptions(): NodeSdkMetricsOptions {
    return { views: [...this.views], metricReaders: [...this.readers], resource: this.resource };
  }

  meterProviderOptions(): MeterProviderOptions {
    return { views: [...this.views], readers: [...this.readers], resource: this.resource };
  }

  metricProducer(): MetricProducer | undefined {
    return this.fast?.enabled ? this.fast.producer() : undefined;
  }

  /**
   * `app` mode: record through `provider` (default: the global one, e.g. the
   * one NodeSDK.start() registered). Called by itself once the application's
   * provider took the kit's readers; call it for a provider you keep unregistered.
   */
  bind(provider: ApiMeterProvider = metrics.getMeterProvider()): void {
    if (this.provider !== undefined || this.stopped !== undefined) return;
    this.appProvider = provider;
    this.instruments.rebind();
  }

  /**
   * Whether instrumentation-http serves this server's requests with the kit's
   * views: it wrapped the server, and it records through the kit's provider
   * (or through a provider the kit cannot see: then the kit still stands
   * down, so no request is counted twice).
   */
  private instrumentationHttpServes(server: Parameters<typeof emitIsInstrumented>[0]): boolean {
    return emitIsInstrumented(server) && (this.httpInstrumentationOnKit || !this.global);
  }

  get collectorIntervalMillis(): number {
    return this.config.collectorIntervalMillis;
  }

  state<T>(key: object, create: () => T): T {
    return this.store.get(key, create);
  }

  forceFlush(): Promise<void> {
    return Promise.all(this.readers.map((reader) => reader.forceFlush().catch(() => undefined))).then(() => undefined);
  }

  shutdown(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.http?.stop();
      if (this.runtimeStart !== undefined) clearImmediate(this.runtimeStart);
      this.runtimeMetrics?.stop();
      // An application-built provider is the application's to shut down (NodeSDK.shutdown()).
      await this.provider?.shutdown().catch(() => undefined);
      this.stopSelfMetrics?.();
      this.stopExportFailures?.();
      await this.allowlist?.stop().catch(() => undefined);
      this.embedded?.close();
      this.clusterPrimary?.stop();
      if (this.global) metrics.disable();
      removeRuntime(this);
    })());
  }
}
