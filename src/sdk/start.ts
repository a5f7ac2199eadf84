/**
 * Starting and stopping the kit: config → runtime (policy → views → readers →
 * MeterProvider, src/sdk/runtime.ts), registered globally so the recording
 * helpers (and any code using the OTel metrics API) record through it. Never
 * throws into the host.
 */
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { readConfig, type Env } from '../config/env';
import { catalogue, declareMetrics } from '../catalogue/index';
import type { MetricDeclaration } from '../model/types';
import type { AllowlistSource } from '../policy/allowlist-sources';
import { currentRuntime } from '../record/runtime';
import { KitRuntime, type Kit, type WorkspaceMetrics } from './runtime';
import { applyLogLevel } from './diag';
import { logError } from '../log';

export type { Kit, WorkspaceMetrics, NodeSdkMetricsOptions } from './runtime';

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

/** The started kit, until its shutdown. */
export function activeKit(): Kit | undefined {
  const runtime = currentRuntime();
  return runtime instanceof KitRuntime ? runtime : undefined;
}

/** Start with the given options; returns undefined when disabled by config or when starting failed (logged). */
export function start(options: StartOptions = {}): Kit | undefined {
  const active = activeKit();
  if (active !== undefined) return active;
  return build(options, 'own');
}

/**
 * Bring your own SDK: the kit without a MeterProvider of its own. Build
 * yours from it (`new NodeSDK({ ...kit.nodeSdkOptions(), instrumentations })`
 * or `new MeterProvider(kit.meterProviderOptions())`): its views carry the
 * policy, its readers (OTEL_METRICS_EXPORTER's, plus `readers`) carry the
 * fast path's data; the helpers record through that provider once it took
 * the readers. Returns undefined when disabled by config, when starting
 * failed, or when a kit is already running (each logged).
 */
export function createWorkspaceMetrics(options: StartOptions = {}): WorkspaceMetrics | undefined {
  if (activeKit() !== undefined) {
    logError('createWorkspaceMetrics: the kit is already running (the otel-workspace-metrics/register preload, or start()); use one or the other');
    return undefined;
  }
  return build(options, 'app');
}

/** Config → runtime, for start() (`own` provider) and createWorkspaceMetrics() (`app`); never throws. */
function build(options: StartOptions, providerMode: 'own' | 'app'): KitRuntime | undefined {
  try {
    const { config, problems } = readConfig(options.env ?? process.env);
    for (const problem of problems) logError(problem);
    if (!config.enabled) return undefined;
    applyLogLevel(config.logLevel);
    if (options.metrics) declareMetrics(...options.metrics);
    return new KitRuntime({
      config,
      decls: catalogue(),
      readers: options.readers ?? [],
      httpServerMetrics: options.httpServerMetrics !== false,
      allowlistSources: options.allowlistSources ?? [],
      providerMode,
    });
  } catch (error) {
    logError(`could not start (${(error as Error).message}); metrics are off, the application continues`);
    return undefined;
  }
}

/** Stop the started kit (flushes its readers); resolves at once when none is running. */
export function shutdown(): Promise<void> {
  return activeKit()?.shutdown() ?? Promise.resolve();
}
