/**
 * Starting and stopping the kit: config → policy → views → readers →
 * MeterProvider, registered globally so the recording helpers (and any code
 * using the OTel metrics API) record through it. Never throws into the host.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { readConfig, type Env, type KitConfig } from '../config/env';
import { catalogue, declareMetrics } from '../catalogue/index';
import type { MetricDeclaration } from '../catalogue/types';
import { WorkspacePolicy } from '../policy/workspace-policy';
import { buildViews } from './views';
import { buildResource } from './resource';
import { createEmbeddedEndpoint, createOtlpReader, type EmbeddedEndpoint } from './readers';
import { rebind } from '../record/instruments';
import { setWorkspaceLabelName } from '../record/workspace-attribute';
import { startHttpServerMetrics, stopHttpServerMetrics, ignoreServer } from '../http/server-metrics';
import { logError } from '../log';

export interface StartOptions {
  /** Defaults to process.env. */
  env?: Env;
  /** Application metrics to add to the catalogue before views are built. */
  metrics?: MetricDeclaration[];
  /** Extra readers (e.g. an in-memory reader in tests), besides the ones OTEL_METRICS_EXPORTER selects. */
  readers?: IMetricReader[];
  /** Record HTTP server request durations (default true). */
  httpServerMetrics?: boolean;
}

export interface Kit {
  readonly config: KitConfig;
  readonly provider: MeterProvider;
  /** Present when the workspace label is on. */
  readonly workspacePolicy: WorkspacePolicy | undefined;
  /** The embedded endpoint's bound port once listening (undefined when off or failed). */
  readonly embeddedPort: Promise<number | undefined>;
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

  const readers: IMetricReader[] = [...(options.readers ?? [])];
  let embedded: EmbeddedEndpoint | undefined;
  if (config.exporters.includes('prometheus')) {
    embedded = createEmbeddedEndpoint(config);
    ignoreServer(embedded.server);
    readers.push(embedded.reader);
  }
  if (config.exporters.includes('otlp')) readers.push(createOtlpReader(config));

  const provider = new MeterProvider({
    resource: buildResource(),
    views: buildViews(catalogue(), { workspace: workspacePolicy }),
    readers,
  });
  metrics.setGlobalMeterProvider(provider);
  rebind();
  if (options.httpServerMetrics !== false) startHttpServerMetrics();

  let stopped: Promise<void> | undefined;
  const kit: Kit = {
    config,
    provider,
    workspacePolicy,
    embeddedPort: embedded?.listening ?? Promise.resolve(undefined),
    forceFlush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () =>
      (stopped ??= (async () => {
        stopHttpServerMetrics();
        await provider.shutdown().catch(() => undefined);
        embedded?.server.close();
        metrics.disable();
        rebind();
        if (active === kit) active = undefined;
      })()),
  };
  return kit;
}
