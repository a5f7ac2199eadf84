/**
 * Runtime: the Node.js processes behind the services, per job and instance —
 * event loop, V8 heap and GC, process CPU, memory, threads and descriptors
 * (the runtime and process families of src/catalogue/runtime.ts).
 */
import {
  EVENT_LOOP_DELAY_METRICS,
  activeResources,
  eventLoopTime,
  eventLoopUtilization,
  gcDuration,
  heapSizeLimit,
  heapSpaceAvailable,
  heapSpacePhysical,
  heapSpaceSize,
  heapUsed,
  processContextSwitches,
  processCpuTime,
  processFileDescriptors,
  processMemoryUsage,
  processPagingFaults,
  processThreadCount,
  processUptime,
} from '../../catalogue/runtime';
import type { MetricDeclaration } from '../../model/types';
import { series, sum } from '../metrics';
import { maxBy, rate, selector, sumBy } from '../promql';
import { runtimeRecorded } from '../rules-runtime';
import { JOB, RATE_INTERVAL, type DashboardContext, type DashboardSpec, type PanelSpec, type Unit } from './panels';

const INSTANCE = ['job', 'instance'];
const LEGEND = '{{job}} {{instance}}';

/** One series per instance: the gauge's value (max, so a duplicate scrape never adds up). */
function gaugePanel(title: string, description: string, decl: MetricDeclaration, S: readonly string[], unit: Unit): PanelSpec {
  return { title, description, unit, targets: [{ expr: maxBy(INSTANCE, selector(series(decl), S)), legend: LEGEND }] };
}

/** One series per instance: the counter's rate. */
function ratePanel(title: string, description: string, decl: MetricDeclaration, S: readonly string[], unit: Unit, extra: readonly string[]): PanelSpec {
  const labels = [...INSTANCE, ...extra];
  const legend = [LEGEND, ...extra.map((label) => `{{${label}}}`)].join(' ');
  return { title, description, unit, targets: [{ expr: sumBy(labels, rate(selector(series(decl), S), RATE_INTERVAL)), legend }] };
}

/** One series per instance: a runtime recording rule (src/ops/rules-runtime.ts), the value its alert compares. */
function recordedPanel(title: string, alert: string | undefined, record: string, unit: Unit): PanelSpec {
  const alerting = alert === undefined ? '' : `; alert: ${alert}`;
  return { title, description: `Per instance (recording rule ${record}${alerting}).`, unit, targets: [{ expr: selector(record, [JOB]), legend: LEGEND }] };
}

export function runtimeDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  const delay = (stat: string) => EVENT_LOOP_DELAY_METRICS.find((decl) => decl.name.endsWith(`.${stat}`))!;
  return {
    uid: ctx.uid('runtime'),
    title: ctx.title('Runtime'),
    description: 'Node.js runtime and process metrics per instance: event loop, heap, GC, CPU, memory. System info is target_info.',
    file: 'runtime.json',
    variables: ['job'],
    rows: [
      {
        title: 'As the alerts see it (recording rules)',
        panels: [
          recordedPanel('RSS per instance (recorded)', 'ProcessMemoryHigh', runtimeRecorded.rss, 'bytes'),
          { ...recordedPanel('Heap used / heap limit', 'NodejsHeapNearLimit', runtimeRecorded.heapUsedRatio, 'percentunit'), min: 0, max: 1 },
          recordedPanel('Event loop delay p99, 5m average', 'NodejsEventLoopDelayHigh', runtimeRecorded.eventLoopDelayP99, 's'),
          { ...recordedPanel('Share of time in GC pauses (5m)', 'NodejsGcTimeHigh', runtimeRecorded.gcTimeRatio, 'percentunit'), min: 0 },
          recordedPanel('CPU (5m)', undefined, runtimeRecorded.cpu, 'percentunit'),
          recordedPanel('Restarts in 30 minutes', 'ProcessRestarting', runtimeRecorded.restarts, 'short'),
        ],
      },
      {
        title: 'Event loop',
        panels: [
          {
            title: 'Event loop delay percentiles',
            description: 'Delay of timers behind schedule since the previous collection: p50, p90 and p99.',
            unit: 's',
            targets: ['p50', 'p90', 'p99'].map((stat) => ({ expr: maxBy(INSTANCE, selector(series(delay(stat)), S)), legend: `${LEGEND} ${stat}` })),
          },
          {
            title: 'Event loop delay: min, mean, max, standard deviation',
            description: 'The spread of the event loop delay since the previous collection.',
            unit: 's',
            targets: ['min', 'mean', 'max', 'stddev'].map((stat) => ({ expr: maxBy(INSTANCE, selector(series(delay(stat)), S)), legend: `${LEGEND} ${stat}` })),
          },
          { ...gaugePanel('Event loop utilization', 'Share of time the event loop was busy since the previous collection.', eventLoopUtilization, S, 'percentunit'), min: 0, max: 1 },
          ratePanel('Event loop time by state', 'Seconds per second the event loop spent active and idle.', eventLoopTime, S, 'percentunit', ['nodejs_eventloop_state']),
        ],
      },
      {
        title: 'Heap and GC',
        panels: [
          {
            title: 'Heap used and heap limit',
            description: 'V8 heap in use (all spaces) against the heap size limit (--max-old-space-size).',
            unit: 'bytes',
            targets: [
              { expr: sumBy(INSTANCE, selector(series(heapUsed), S)), legend: `${LEGEND} used` },
              { expr: maxBy(INSTANCE, selector(series(heapSizeLimit), S)), legend: `${LEGEND} limit` },
            ],
          },
          {
            title: 'Heap spaces',
            description: 'Per heap space, summed over instances: size, available and committed (physical) memory.',
            unit: 'bytes',
            targets: [
              { expr: sumBy(['job', 'v8js_heap_space_name'], selector(series(heapSpaceSize), S)), legend: '{{job}} {{v8js_heap_space_name}} size' },
              { expr: sumBy(['job', 'v8js_heap_space_name'], selector(series(heapSpaceAvailable), S)), legend: '{{job}} {{v8js_heap_space_name}} available' },
              { expr: sumBy(['job', 'v8js_heap_space_name'], selector(series(heapSpacePhysical), S)), legend: '{{job}} {{v8js_heap_space_name}} physical' },
            ],
          },
          {
            title: 'Time in GC',
            description: 'Seconds of GC pause per second, by GC kind.',
            unit: 'percentunit',
            targets: [{ expr: sumBy([...INSTANCE, 'v8js_gc_type'], rate(selector(sum(gcDuration), S), RATE_INTERVAL)), legend: `${LEGEND} {{v8js_gc_type}}` }],
          },
          {
            title: 'Active resources',
            description: 'libuv handles and requests keeping the event loop alive, by type.',
            unit: 'short',
            targets: [{ expr: sumBy(['job', 'v8js_resource_type'], selector(series(activeResources), S)), legend: '{{job}} {{v8js_resource_type}}' }],
          },
        ],
      },
      {
        title: 'Process',
        panels: [
          ratePanel('CPU', 'CPU seconds per second (1 = one core), user and system.', processCpuTime, S, 'percentunit', ['cpu_mode']),
          gaugePanel('Resident memory (RSS)', 'Resident set size of the process.', processMemoryUsage, S, 'bytes'),
          gaugePanel('Threads', 'Operating-system threads (main, libuv pool, V8, worker threads).', processThreadCount, S, 'short'),
          gaugePanel('Open file descriptors', 'File descriptors open in the process.', processFileDescriptors, S, 'short'),
          ratePanel('Context switches per second', 'Voluntary (waiting) and involuntary (preempted) switches.', processContextSwitches, S, 'ops', ['process_context_switch_type']),
          ratePanel('Page faults per second', 'Major faults read from disk; minor ones do not.', processPagingFaults, S, 'ops', ['system_paging_fault_type']),
          gaugePanel('Uptime', 'Time since the process started; a drop is a restart.', processUptime, S, 's'),
        ],
      },
    ],
  };
}
