/**
 * Starting and stopping the kit: config → policy → views → readers →
 * MeterProvider, registered globally so the recording helpers (and any code
 * using the OTel metrics API) record through it. Never throws into the host.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type IMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { readConfig, type Env, type KitConfig, type RecordingPath } from '../config/env';
import { catalogue, declareMetrics } from '../catalogue/index';
import { markCatalogueStarted } from '../catalogue/enforcement';
import type { MetricDeclaration } from '../catalogue/types';
import { WorkspacePolicy } from '../policy/workspace-policy';
import { DynamicAllowlist, fileAllowlistSource, type AllowlistSource } from '../policy/allowlist-sources';
import { registerSelfMetrics } from '../policy/self-metrics';
import { buildViews } from './views';
import { buildResource } from './resource';
import { createOtlpReader } from './readers';
import { createEmbeddedEndpoint, type EmbeddedEndpoint } from './embedded-endpoint';
import { METER_NAME, rebind, setInstrumentSource } from '../record/instruments';
import { FastPath, attachProducer, firstNonCumulativeReader } from '../fast/index';
import { setWorkspaceLabelName } from '../record/workspace-attribute';
import { startHttpServerMetrics, stopHttpServerMetrics, ignoreServer } from '../http/server-metrics';
import { logError, logInfo } from '../log';

export interface StartOptions {
  /** Defaults to process.env. */
  env?: Env;
  /** Application metrics to add to the catalogue before views are built. */
  metrics?: MetricDeclaration[];
  /** Extra readers (e.g. an in-memory reader in tests), besides the ones OTEL_METRICS_EXPORTER selects. */
  readers?: IMetricReader[];
  /** Record HTTP server request durations (default true). */
  httpServerMetrics?: boolean;
  /**
   * Dynamic allowlist sources (e.g. postgresAllowlistSource), besides
   * METRICS_WORKSPACE_ALLOWLIST and METRICS_WORKSPACE_ALLOWLIST_FILE; the
   * effective list is the union. Ignored while the workspace label is off.
   */
  allowlistSources?: AllowlistSource[];
}

export interface Kit {
  readonly config: KitConfig;
  readonly provider: MeterProvider;
  /** Present when the workspace label is on. */
  readonly workspacePolicy: WorkspacePolicy | undefined;
  /** The allowlist's sources and reloads; present when the workspace label is on. */
  readonly allowlist: DynamicAllowlist | undefined;
  /** How typed-helper counters and histograms record: `fast` (src/fast/) or through the SDK `views`. */
  readonly recordingPath: RecordingPath;
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

let active: Kit | undefined;

export function activeKit(): Kit | undefined {
  return active;
}

/** Start with the given options; returns undefined when disabled by config or when starting failed (logged). */
export function start(options: StartOptions = {}): Kit | undefined {
  if (active !== undefined) return active;
  try {
    const { config, problems } = readConfig(options.env ?? process.env);
    for (const problem of problems) logError(problem);
    if (!config.enabled) return undefined;
    if (options.metrics) declareMetrics(...options.metrics);
    return (active = build(config, options));
  } catch (error) {
    logError(`could not start (${(error as Error).message}); metrics are off, the application continues`);
    return undefined;
  }
}

function build(config: KitConfig, options: StartOptions): Kit {
  const workspacePolicy = config.workspace.enabled
    ? new WorkspacePolicy({
        labelName: config.workspace.labelName,
        allowlist: config.workspace.allowlist,
        sampleRate: config.workspace.sampleRate,
        mode: config.workspace.mode,
      })
    : undefined;
  setWorkspaceLabelName(config.workspace.labelName);
  const allowlist =
    workspacePolicy === undefined
      ? undefined
      : new DynamicAllowlist({
          policy: workspacePolicy,
          staticEntries: config.workspace.allowlist,
          sources: [
            ...(config.workspace.allowlistFile === undefined
              ? []
              : [fileAllowlistSource(config.workspace.allowlistFile, { pollMillis: config.workspace.allowlistPollMillis })]),
            ...(options.allowlistSources ?? []),
          ],
        });
  // Every source loads in the background (the file too: nothing here blocks the host's event loop).
  void allowlist?.start();

  const decls = catalogue();
  markCatalogueStarted(true);
  const resource = buildResource();
  // The fast recording path (docs/PERFORMANCE.md): its MetricProducer feeds every reader.
  const fast =
    config.recordingPath === 'fast'
      ? new FastPath({ decls, workspace: workspacePolicy, scope: { name: METER_NAME, version: '', schemaUrl: undefined }, resource })
      : undefined;
  const producers = () => (fast === undefined ? [] : [fast.producer()]); // one per reader
  const readers: IMetricReader[] = [...(options.readers ?? [])];
  if (fast !== undefined) for (const reader of readers) attachProducer(reader, fast.producer());
  let embedded: EmbeddedEndpoint | undefined;
  if (config.exporters.includes('prometheus')) {
    embedded = createEmbeddedEndpoint(config, { metricProducers: producers() });
    ignoreServer(embedded.server);
    readers.push(embedded.reader);
  }
  if (config.exporters.includes('otlp')) readers.push(createOtlpReader(config, producers()));
  const deltaReader = fast === undefined ? undefined : firstNonCumulativeReader(readers);
  if (fast !== undefined && deltaReader !== undefined) {
    // The fast path aggregates cumulatively only (e.g. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta or lowmemory).
    fast.disable();
    logInfo(`METRICS_RECORDING_PATH=fast: ${deltaReader.constructor.name} asks for delta temporality, which the fast path does not produce; recording through the SDK views instead`);
  }

  const provider = new MeterProvider({
    resource,
    views: buildViews(decls, { workspace: workspacePolicy }),
    readers,
  });
  setInstrumentSource(fast?.enabled ? { provider, instrument: (decl) => fast.instrument(decl) } : undefined);
  // A synchronous view of the fast path's data, for the OTLP flush at process.exit().
  const exitProducer = fast?.enabled && config.exporters.includes('otlp') ? fast.syncProducer() : undefined;
  metrics.setGlobalMeterProvider(provider);
  rebind();
  if (options.httpServerMetrics !== false) startHttpServerMetrics();
  const stopSelfMetrics = workspacePolicy === undefined ? undefined : registerSelfMetrics(workspacePolicy, allowlist);

  let stopped: Promise<void> | undefined;
  const kit: Kit = {
    config,
    provider,
    workspacePolicy,
    allowlist,
    recordingPath: fast?.enabled ? 'fast' : 'views',
    embeddedPort: embedded?.listening ?? Promise.resolve(undefined),
    exitSnapshot: exitProducer && (() => exitProducer.collect().resourceMetrics),
    forceFlush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () =>
      (stopped ??= (async () => {
        stopHttpServerMetrics();
        await provider.shutdown().catch(() => undefined);
        stopSelfMetrics?.();
        await allowlist?.stop().catch(() => undefined);
        embedded?.close();
        metrics.disable();
        markCatalogueStarted(false);
        setInstrumentSource(undefined);
        rebind();
        if (active === kit) active = undefined;
      })()),
  };
  return kit;
}
