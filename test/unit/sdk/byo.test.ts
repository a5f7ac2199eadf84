/**
 * Bring your own SDK (`otel-workspace-metrics/sdk`), in process: a
 * MeterProvider the application builds from the kit's views and readers,
 * bound explicitly or by registering it globally; the fast path, the
 * self-metrics and the allowlist sources (file and a pluggable source) keep
 * working. And the kit started after another provider was registered: one
 * error line, its helpers never record into that provider.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { createWorkspaceMetrics, FOREIGN_PROVIDER_ERROR } from '../../../src/exports/sdk';
import { staticAllowlistSource } from '../../../src/exports/policy';
import { recordActionExecution, start } from '../../../src/index';
import { labelValues, total } from '../../../src/testing/in-memory';
import type { Kit } from '../../../src/sdk/start';
import { captureLogs } from '../../helpers/logs';

const logs = captureLogs();
let dir: string;
const stops: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'owm-byo-'));
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  metrics.disable();
  rmSync(dir, { recursive: true, force: true });
});

function memoryReader() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  return {
    reader,
    async collect(): Promise<Map<string, MetricData>> {
      exporter.reset();
      await reader.forceFlush();
      const out = new Map<string, MetricData>();
      for (const resourceMetrics of exporter.getMetrics()) {
        for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      }
      return out;
    },
  };
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  const file = join(dir, 'allowlist.txt');
  writeFileSync(file, 'acme\n');
  return { OTEL_METRICS_EXPORTER: 'none', METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST_FILE: file, ...extra };
}

function recordFor(ids: string[]): void {
  for (const workspaceId of ids) recordActionExecution({ provider: 'p', action: 'a', status: 'ok', durationSeconds: 0.1, workspaceId });
}

describe('createWorkspaceMetrics (bring your own SDK)', () => {
  it('an unregistered MeterProvider bound explicitly: fast path, policy, file and pluggable allowlist sources, self-metrics', async () => {
    const memory = memoryReader();
    const kit = createWorkspaceMetrics({ env: env(), readers: [memory.reader], allowlistSources: [staticAllowlistSource('static', ['globex'])], httpServerMetrics: false })!;
    await kit.allowlist!.start(); // the file is read in the background
    stops.push(() => kit.shutdown());
    const provider = new MeterProvider(kit.meterProviderOptions());
    stops.push(() => provider.shutdown());
    kit.bind(provider);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the pluggable source loads in the background
    expect(kit.recordingPath).toBe('fast');
    expect(kit.provider).toBeUndefined();
    recordFor(['acme', 'globex', 'initech', ' ACME ']);
    const data = await memory.collect();
    expect(total(data.get('action_executions'))).toBe(4);
    expect(total(data.get('action_executions_by_workspace'))).toBe(4);
    expect(labelValues(data.get('action_executions_by_workspace'), 'workspace_id')).toEqual(new Set(['acme', 'globex', '__other__']));
    expect(total(data.get('otel_workspace_metrics_allowlist_size'))).toBe(2);
    expect(logs.filter((line) => !/info: workspace allowlist reloaded: [12] entries/.test(line))).toEqual([]); // the two sources load in the background, one after the other
  });

  it('a provider registered globally (as NodeSDK.start() does) is bound on its own', async () => {
    const memory = memoryReader();
    const kit = createWorkspaceMetrics({ env: env(), readers: [memory.reader], httpServerMetrics: false })!;
    await kit.allowlist!.start(); // the file is read in the background
    stops.push(() => kit.shutdown());
    const provider = new MeterProvider(kit.meterProviderOptions());
    stops.push(() => provider.shutdown());
    metrics.setGlobalMeterProvider(provider);
    await Promise.resolve();
    recordFor(['acme', 'umbrella']);
    const data = await memory.collect();
    expect(total(data.get('action_executions_by_workspace'))).toBe(2);
    expect(labelValues(data.get('action_executions_by_workspace'), 'workspace_id')).toEqual(new Set(['acme', '__other__']));
  });

  it('nodeSdkOptions() hands over every view and reader, and the kit resource', () => {
    const memory = memoryReader();
    const kit = createWorkspaceMetrics({ env: env({ OTEL_METRICS_EXPORTER: 'otlp' }), readers: [memory.reader], httpServerMetrics: false })!;
    stops.push(() => kit.shutdown());
    const options = kit.nodeSdkOptions();
    expect(options.views).toEqual(kit.views);
    expect(options.views.some((view) => view.name === 'action_executions_by_workspace')).toBe(true);
    expect(options.metricReaders).toHaveLength(2); // yours, and OTLP from OTEL_METRICS_EXPORTER
    expect(options.metricReaders[0]).toBe(memory.reader);
    expect(options.resource.attributes['service.instance.id']).toBeTypeOf('string');
    expect(kit.metricProducer()).toBeDefined();
  });

  it('refuses to run beside a started kit, in one line', () => {
    const kit = start({ env: env(), httpServerMetrics: false })!;
    stops.push(() => kit.shutdown());
    expect(createWorkspaceMetrics({ env: env() })).toBeUndefined();
    const errors = logs.filter((line) => line.includes('error:'));
    expect(errors, logs.join('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(/createWorkspaceMetrics: the kit is already running/);
  });
});

describe('start() after another MeterProvider was registered', () => {
  it('keeps its own provider, says so in one line, and never records into the other one', async () => {
    const foreign = memoryReader();
    const foreignProvider = new MeterProvider({ readers: [foreign.reader] });
    stops.push(() => foreignProvider.shutdown());
    metrics.setGlobalMeterProvider(foreignProvider);
    const own = memoryReader();
    const kit: Kit = start({ env: env(), readers: [own.reader], httpServerMetrics: false })!;
    await kit.allowlist!.start(); // the file is read in the background
    stops.push(() => kit.shutdown());
    expect(kit.global).toBe(false);
    expect(metrics.getMeterProvider()).toBe(foreignProvider);
    expect(logs.filter((line) => line.includes('error:'))).toEqual([`[otel-workspace-metrics] error: ${FOREIGN_PROVIDER_ERROR}`]);
    recordFor(['acme', 'ws-raw-1', 'ws-raw-2']);
    const ownData = await own.collect();
    expect(total(ownData.get('action_executions_by_workspace'))).toBe(3);
    expect(labelValues(ownData.get('action_executions_by_workspace'), 'workspace_id')).toEqual(new Set(['acme', '__other__']));
    const foreignData = await foreign.collect();
    expect([...foreignData.keys()].filter((name) => name.startsWith('action'))).toEqual([]);
    // Shutting down the kit leaves the other provider registered.
    await kit.shutdown();
    expect(metrics.getMeterProvider()).toBe(foreignProvider);
  });
});
