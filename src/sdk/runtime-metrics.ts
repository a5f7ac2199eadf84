/**
 * Runtime and process metrics (catalogue: src/catalogue/runtime.ts).
 *
 * - Runtime (event loop, V8 heap spaces, GC, active resources):
 *   `@opentelemetry/instrumentation-runtime-node`, the package made for this,
 *   so the names and attributes are the semantic conventions' and match what
 *   auto-instrumentations users already see.
 * - Process (CPU time, RSS, threads, file descriptors, context switches, page
 *   faults, uptime, heap limit): a few observable instruments read in one batch
 *   callback per collection. `@opentelemetry/host-metrics` was the candidate,
 *   but it reports only process CPU and memory next to a dozen system-wide
 *   families (host CPU, network, memory) a service's metrics should not carry,
 *   and reads them through `systeminformation` on a timer; here
 *   `process.resourceUsage()` and two /proc reads answer everything, only when
 *   a reader collects.
 *
 * One instance per process: when `@opentelemetry/auto-instrumentations-node`
 * (which enables runtime-node by default) or another copy of runtime-node is
 * loaded, the runtime family is left to it — two instances would record every
 * GC pause twice into the same histogram.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import type { BatchObservableResult, MeterProvider, Observable } from '@opentelemetry/api';
import {
  heapSizeLimit,
  processContextSwitches,
  processCpuTime,
  processFileDescriptors,
  processMemoryUsage,
  processPagingFaults,
  processThreadCount,
  processUptime,
} from '../catalogue/runtime';
import type { MetricDeclaration } from '../model/types';

export const RUNTIME_NODE_PACKAGE = '@opentelemetry/instrumentation-runtime-node';
const AUTO_INSTRUMENTATIONS_PACKAGE = '@opentelemetry/auto-instrumentations-node';

export type Env = Record<string, string | undefined>;

type ModuleCache = Record<string, { parent?: { filename?: string | null } | null } | undefined>;

/**
 * Whether `pkg` was loaded by anyone but this file (the kit's own earlier
 * start): some module of the package whose first requirer lies outside it.
 */
function loaded(pkg: string, cache: ModuleCache): boolean {
  const marker = `/node_modules/${pkg}/`;
  // A preload's parent has no file name (null): typeof, not undefined, decides.
  const inside = (path: string | null | undefined) => typeof path === 'string' && path.replace(/\\/g, '/').includes(marker);
  return Object.entries(cache).some(([path, module]) => {
    if (!inside(path)) return false;
    const parent = module?.parent?.filename;
    return !inside(parent) && parent !== __filename;
  });
}

/** Whether auto-instrumentations enable runtime-node, per their OTEL_NODE_(EN|DIS)ABLED_INSTRUMENTATIONS variables. */
function autoInstrumentationsRunRuntimeNode(env: Env): boolean {
  const list = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  if (enabled.length > 0 && !enabled.includes('runtime-node')) return false;
  return !list('OTEL_NODE_DISABLED_INSTRUMENTATIONS').includes('runtime-node');
}

/**
 * Who else already runs runtime-node in this process, if anyone: checked once
 * every preload and the main module's synchronous code have run.
 */
export function runtimeNodeElsewhere(env: Env = process.env, cache: ModuleCache = require.cache as ModuleCache): string | undefined {
  if (loaded(AUTO_INSTRUMENTATIONS_PACKAGE, cache) && autoInstrumentationsRunRuntimeNode(env)) return AUTO_INSTRUMENTATIONS_PACKAGE;
  if (loaded(RUNTIME_NODE_PACKAGE, cache)) return RUNTIME_NODE_PACKAGE;
  return undefined;
}

/** /proc/self/stat field 20 (num_threads); undefined off Linux. */
function threadCount(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const threads = Number(fields[17]);
    return Number.isInteger(threads) && threads > 0 ? threads : undefined;
  } catch {
    return undefined;
  }
}

function fileDescriptorCount(): number | undefined {
  try {
    // readdir opens one descriptor of its own for the listing.
    return Math.max(0, readdirSync('/proc/self/fd').length - 1);
  } catch {
    return undefined;
  }
}

function create(meter: ReturnType<MeterProvider['getMeter']>, decl: MetricDeclaration): Observable {
  const options = { unit: decl.unit, description: decl.description };
  switch (decl.kind) {
    case 'observableCounter':
      return meter.createObservableCounter(decl.name, options);
    case 'observableUpDownCounter':
      return meter.createObservableUpDownCounter(decl.name, options);
    default:
      return meter.createObservableGauge(decl.name, options);
  }
}

/** Process-wide values: registered on the main thread only (a worker thread would report the same process twice). */
function startProcessMetrics(provider: MeterProvider, meterName: string): () => void {
  const meter = provider.getMeter(meterName);
  const [cpu, rss, threads, fds, switches, faults, uptime, heapLimit] = [
    processCpuTime,
    processMemoryUsage,
    processThreadCount,
    processFileDescriptors,
    processContextSwitches,
    processPagingFaults,
    processUptime,
    heapSizeLimit,
  ].map((decl) => create(meter, decl)) as [Observable, Observable, Observable, Observable, Observable, Observable, Observable, Observable];
  const callback = (result: BatchObservableResult): void => {
    const usage = process.resourceUsage();
    result.observe(cpu, usage.userCPUTime / 1e6, { 'cpu.mode': 'user' });
    result.observe(cpu, usage.systemCPUTime / 1e6, { 'cpu.mode': 'system' });
    result.observe(rss, process.memoryUsage.rss());
    result.observe(switches, usage.voluntaryContextSwitches, { 'process.context_switch.type': 'voluntary' });
    result.observe(switches, usage.involuntaryContextSwitches, { 'process.context_switch.type': 'involuntary' });
    result.observe(faults, usage.majorPageFault, { 'system.paging.fault.type': 'major' });
    result.observe(faults, usage.minorPageFault, { 'system.paging.fault.type': 'minor' });
    result.observe(uptime, process.uptime());
    result.observe(heapLimit, getHeapStatistics().heap_size_limit);
    const threadTotal = threadCount();
    if (threadTotal !== undefined) result.observe(threads, threadTotal);
    const fdTotal = fileDescriptorCount();
    if (fdTotal !== undefined) result.observe(fds, fdTotal);
  };
  const observables = [cpu, rss, threads, fds, switches, faults, uptime, heapLimit];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}

export interface RuntimeMetrics {
  /** Who provides the runtime family: the kit's own runtime-node instance, or the package that already runs one. */
  readonly runtimeSource: 'kit' | string;
  stop(): void;
}

/**
 * Starts both families on `provider`. `meterName` scopes the process family
 * (the runtime family keeps runtime-node's own scope).
 */
export function startRuntimeMetrics(provider: MeterProvider, meterName: string, env: Env = process.env): RuntimeMetrics {
  const stops: Array<() => void> = [];
  if (isMainThread) stops.push(startProcessMetrics(provider, meterName));
  const elsewhere = runtimeNodeElsewhere(env);
  if (elsewhere === undefined) {
    // Loaded here, on demand: nothing of it is paid for when METRICS_RUNTIME=off.
    const { RuntimeNodeInstrumentation } = require(RUNTIME_NODE_PACKAGE) as typeof import('@opentelemetry/instrumentation-runtime-node');
    const instrumentation = new RuntimeNodeInstrumentation({ enabled: false });
    instrumentation.setMeterProvider(provider);
    instrumentation.enable();
    stops.push(() => instrumentation.disable());
  }
  let stopped = false;
  return {
    runtimeSource: elsewhere ?? 'kit',
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const stop of stops) stop();
    },
  };
}
