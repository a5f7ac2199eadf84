/**
 * Runtime and process metrics, with the OpenTelemetry semantic-convention
 * names. Nothing here is recorded by application code: the runtime family is
 * observed by `@opentelemetry/instrumentation-runtime-node` (event loop, V8
 * heap, GC), the process family by the kit's own observable instruments
 * (src/sdk/runtime-metrics.ts). They are declared here like every other metric
 * so the same views (label keys, GC buckets), catalogue table, rules, alerts
 * and dashboards apply to them. No workspace stream: they describe the process.
 */
import type { MetricDeclaration } from '../model/types';

function eventLoopDelay(stat: string, what: string): MetricDeclaration {
  return {
    name: `nodejs.eventloop.delay.${stat}`,
    kind: 'observableGauge',
    unit: 's',
    description: `Event loop ${what} delay, in seconds, since the previous collection.`,
    labels: [],
  };
}

export const EVENT_LOOP_DELAY_METRICS: readonly MetricDeclaration[] = [
  eventLoopDelay('min', 'minimum'),
  eventLoopDelay('max', 'maximum'),
  eventLoopDelay('mean', 'mean'),
  eventLoopDelay('stddev', 'standard deviation of the'),
  eventLoopDelay('p50', '50th percentile'),
  eventLoopDelay('p90', '90th percentile'),
  eventLoopDelay('p99', '99th percentile'),
];

export const eventLoopUtilization: MetricDeclaration = {
  name: 'nodejs.eventloop.utilization',
  kind: 'observableGauge',
  unit: '1',
  description: 'Event loop utilization: the fraction of time the event loop was busy since the previous collection (0 to 1).',
  labels: [],
};

export const eventLoopTime: MetricDeclaration = {
  name: 'nodejs.eventloop.time',
  kind: 'observableCounter',
  unit: 's',
  description: 'Cumulative time the event loop spent in each state (active, idle).',
  labels: ['nodejs.eventloop.state'],
};

/** V8's heap spaces are a fixed, small set (new_space, old_space, code_space, ...). */
const HEAP_SPACE = ['v8js.heap.space.name'] as const;

export const heapUsed: MetricDeclaration = {
  name: 'v8js.memory.heap.used',
  kind: 'observableGauge',
  unit: 'By',
  description: 'V8 heap memory used, per heap space.',
  labels: HEAP_SPACE,
};

export const heapSpaceSize: MetricDeclaration = {
  name: 'v8js.memory.heap.space.size',
  kind: 'observableUpDownCounter',
  unit: 'By',
  description: 'V8 heap memory pre-allocated for each heap space.',
  labels: HEAP_SPACE,
};

export const heapSpaceAvailable: MetricDeclaration = {
  name: 'v8js.memory.heap.space.available_size',
  kind: 'observableGauge',
  unit: 'By',
  description: 'V8 heap memory still available in each heap space.',
  labels: HEAP_SPACE,
};

export const heapSpacePhysical: MetricDeclaration = {
  name: 'v8js.memory.heap.space.physical_size',
  kind: 'observableGauge',
  unit: 'By',
  description: 'V8 heap memory committed (physical) for each heap space.',
  labels: HEAP_SPACE,
};

/**
 * The semantic conventions have no name for V8's total heap limit
 * (`--max-old-space-size`, `v8.getHeapStatistics().heap_size_limit`), which an
 * alert needs to say "the heap is near its limit": a kit-defined name in the
 * nodejs namespace, documented as such.
 */
export const heapSizeLimit: MetricDeclaration = {
  name: 'nodejs.heap.size_limit',
  kind: 'observableGauge',
  unit: 'By',
  description: 'The V8 heap size limit (v8.getHeapStatistics().heap_size_limit; set by --max-old-space-size). Not a semantic-convention metric.',
  labels: [],
};

export const GC_DURATION_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const gcDuration: MetricDeclaration = {
  name: 'v8js.gc.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Garbage collection pause duration, by kind (major, minor, incremental, weakcb).',
  labels: ['v8js.gc.type'],
  // GC pauses are mostly sub-millisecond: the instrumentation's advice starts at 5 ms.
  buckets: GC_DURATION_BUCKETS_SECONDS,
};

export const activeResources: MetricDeclaration = {
  name: 'v8js.resource.active',
  kind: 'observableGauge',
  unit: '{resource}',
  description: 'Active libuv resources keeping the event loop alive, by type (TCPWRAP, Timeout, FSReqCallback, ...).',
  labels: ['v8js.resource.type'],
  cardinalityLimit: 100,
};

export const RUNTIME_METRICS: readonly MetricDeclaration[] = [
  ...EVENT_LOOP_DELAY_METRICS,
  eventLoopUtilization,
  eventLoopTime,
  heapUsed,
  heapSpaceSize,
  heapSpaceAvailable,
  heapSpacePhysical,
  heapSizeLimit,
  gcDuration,
  activeResources,
];

export const processCpuTime: MetricDeclaration = {
  name: 'process.cpu.time',
  kind: 'observableCounter',
  unit: 's',
  description: 'CPU time used by the process, by mode (user, system).',
  labels: ['cpu.mode'],
};

export const processMemoryUsage: MetricDeclaration = {
  name: 'process.memory.usage',
  kind: 'observableUpDownCounter',
  unit: 'By',
  description: 'Resident set size (RSS) of the process.',
  labels: [],
};

export const processThreadCount: MetricDeclaration = {
  name: 'process.thread.count',
  kind: 'observableUpDownCounter',
  unit: '{thread}',
  description: 'Operating-system threads of the process (main, libuv pool, V8, worker threads). Linux only.',
  labels: [],
};

export const processFileDescriptors: MetricDeclaration = {
  name: 'process.unix.file_descriptor.count',
  kind: 'observableUpDownCounter',
  unit: '{file_descriptor}',
  description: 'File descriptors open in the process. Linux only.',
  labels: [],
};

export const processContextSwitches: MetricDeclaration = {
  name: 'process.context_switches',
  kind: 'observableCounter',
  unit: '{context_switch}',
  description: 'Context switches of the process, by type (voluntary, involuntary).',
  labels: ['process.context_switch.type'],
};

export const processPagingFaults: MetricDeclaration = {
  name: 'process.paging.faults',
  kind: 'observableCounter',
  unit: '{fault}',
  description: 'Page faults of the process, by type (major, minor).',
  labels: ['system.paging.fault.type'],
};

export const processUptime: MetricDeclaration = {
  name: 'process.uptime',
  kind: 'observableGauge',
  unit: 's',
  description: 'Time since the process started. A drop means the process restarted.',
  labels: [],
};

export const PROCESS_METRICS: readonly MetricDeclaration[] = [
  processCpuTime,
  processMemoryUsage,
  processThreadCount,
  processFileDescriptors,
  processContextSwitches,
  processPagingFaults,
  processUptime,
];
