/**
 * Living beside another OpenTelemetry SDK in one process (README: "Using it
 * with the OpenTelemetry Node SDK"): the OTel API keeps one global
 * MeterProvider and the first registration wins. What the runtime needs to
 * tell who registered first, which instrumentations record through the
 * kit's provider, when an application-built provider took the kit's
 * readers, and the lines it says about it.
 */
import { createNoopMeter, metrics } from '@opentelemetry/api';
import { MeterProvider, type IMetricReader, type MeterProviderOptions } from '@opentelemetry/sdk-metrics';
import type { KitConfig } from '../config/env';
import { logError, logInfo } from '../log';

/** The one line said when another MeterProvider was registered before the kit's. */
export const FOREIGN_PROVIDER_ERROR =
  'another OpenTelemetry MeterProvider was registered before otel-workspace-metrics (e.g. --require @opentelemetry/auto-instrumentations-node/register placed first, or NodeSDK started before the kit): ' +
  "the kit's metrics go to the kit's own readers only, and that provider's instruments (instrumentation-http, runtime, database) export through its readers without the workspace policy and are absent from METRICS_PORT; " +
  'fix: load otel-workspace-metrics/register first (NODE_OPTIONS="--require otel-workspace-metrics/register --require @opentelemetry/auto-instrumentations-node/register"), ' +
  'or give NodeSDK the kit\'s views and readers (README: "Using it with the OpenTelemetry Node SDK")';

/** The kit's MeterProvider: tells the kit which instrumentation scopes record through it. */
export class KitMeterProvider extends MeterProvider {
  constructor(
    options: MeterProviderOptions,
    private readonly onMeter: (name: string) => void,
  ) {
    super(options);
  }

  override getMeter(...args: Parameters<MeterProvider['getMeter']>): ReturnType<MeterProvider['getMeter']> {
    this.onMeter(args[0]);
    return super.getMeter(...args);
  }
}

/** Calls `then` when a MeterProvider takes `reader` (IMetricReader.setMetricProducer, called by its constructor). */
export function onReaderBound(reader: IMetricReader, then: () => void): void {
  const setMetricProducer = reader.setMetricProducer.bind(reader);
  reader.setMetricProducer = (producer) => {
    setMetricProducer(producer);
    then();
  };
}

const saidOnce = new WeakMap<object, Set<string>>();
function once(owner: object, key: string): boolean {
  let said = saidOnce.get(owner);
  if (said === undefined) saidOnce.set(owner, (said = new Set()));
  if (said.has(key)) return false;
  said.add(key);
  return true;
}
export function logErrorOnce(owner: object, message: string): void {
  if (once(owner, 'error')) logError(message);
}
export function logInfoOnce(owner: object, message: string): void {
  if (once(owner, 'info')) logInfo(message);
}

/** Meter names of the OpenTelemetry JS instrumentations (`@opentelemetry/instrumentation-http`, …). */
export const INSTRUMENTATION_SCOPE_PREFIX = '@opentelemetry/instrumentation-';

/** Said once when instrumentations record through the kit's provider (it was registered first). */
export function instrumentationsNote(config: KitConfig): string {
  const exporters = config.exporters.length === 0 ? 'none' : config.exporters.join(',');
  return (
    `OpenTelemetry instrumentations record through the kit's MeterProvider (registered first): their metrics leave through the kit's readers (OTEL_METRICS_EXPORTER=${exporters}) under the kit's views; ` +
    "another SDK's own metric readers (NodeSDK's) receive nothing"
  );
}

/** Whether any MeterProvider (not the API's no-op one) is registered globally. */
export function globalProviderRegistered(): boolean {
  return metrics.getMeterProvider().getMeter('otel-workspace-metrics.probe') !== createNoopMeter();
}
