/**
 * Generated promtool cases of the runtime rules of src/ops/rules-runtime.ts:
 * expected samples of every recording rule (inputs whose results are exact in
 * binary floating point), and per alert a firing and a silent case built
 * around the configured threshold.
 */
import { EVENT_LOOP_DELAY_METRICS, gcDuration, heapSizeLimit, heapUsed, processCpuTime, processMemoryUsage, processUptime } from '../catalogue/runtime';
import type { OpsOptions } from './options';
import { g4, humanize1024, humanizeDuration, humanizePercentage, num } from './format';
import { series, sum } from './metrics';
import { constant, growing, sample, type AlertTestSpec, type InputSeries, type RecordingTestCase } from './rule-tests';
import { bytesText, runtimeRecorded } from './rules-runtime';

const P99 = series(EVENT_LOOP_DELAY_METRICS.find((decl) => decl.name === 'nodejs.eventloop.delay.p99')!);
const HEAP_USED = series(heapUsed);
const HEAP_LIMIT = series(heapSizeLimit);
const GC_SUM = sum(gcDuration);
const CPU = series(processCpuTime);
const RSS = series(processMemoryUsage);
const UPTIME = series(processUptime);

const first = { job: 'api', instance: 'api-1' };
const second = { job: 'api', instance: 'api-2' };

/** Prometheus's `humanizeDuration`, sub-second values included (ms). */
function duration(seconds: number): string {
  return seconds >= 1 ? humanizeDuration(seconds) : `${g4(seconds * 1000)}ms`;
}

/** An uptime series (s, 1m steps, `steps + 1` samples) that drops to 30 s at each minute of `restarts`. */
export function uptime(labels: Readonly<Record<string, string>>, restarts: readonly number[], steps: number): InputSeries {
  const values: number[] = [];
  let up = 600;
  for (let minute = 0; minute <= steps; minute++) {
    up = restarts.includes(minute) ? 30 : minute === 0 ? up : up + 60;
    values.push(up);
  }
  return { series: sample(UPTIME, labels), values: values.join(' ') };
}

export function runtimeRecordingTestCases(): RecordingTestCase[] {
  const steps = 20;
  // p99 alternates 0.125 s and 0.375 s: the 5m average (6 samples) is 0.25 s
  const alternating = Array.from({ length: steps + 1 }, (_, i) => (i % 2 === 0 ? 0.125 : 0.375)).join(' ');
  const at = '20m';
  return [
    {
      name: 'recording rules: runtime and process, per instance',
      input: [
        { series: sample(P99, first), values: alternating },
        constant(P99, second, 0.5, steps),
        constant(HEAP_USED, { ...first, v8js_heap_space_name: 'new_space' }, 16 * 1024 ** 2, steps),
        constant(HEAP_USED, { ...first, v8js_heap_space_name: 'old_space' }, 48 * 1024 ** 2, steps),
        constant(HEAP_LIMIT, first, 256 * 1024 ** 2, steps),
        growing(GC_SUM, { ...first, v8js_gc_type: 'minor' }, 7.5, steps),
        growing(GC_SUM, { ...first, v8js_gc_type: 'major' }, 3.75, steps),
        growing(CPU, { ...first, cpu_mode: 'user' }, 30, steps),
        growing(CPU, { ...first, cpu_mode: 'system' }, 15, steps),
        constant(RSS, first, 123456789, steps),
        uptime(first, [5, 10], steps),
        uptime(second, [], steps),
      ],
      exprTests: [
        { expr: runtimeRecorded.eventLoopDelayP99, evalTime: at, samples: [{ labels: sample(runtimeRecorded.eventLoopDelayP99, first), value: 0.25 }, { labels: sample(runtimeRecorded.eventLoopDelayP99, second), value: 0.5 }] },
        { expr: runtimeRecorded.heapUsedRatio, evalTime: at, samples: [{ labels: sample(runtimeRecorded.heapUsedRatio, first), value: 0.25 }] },
        // 7.5 + 3.75 s of GC per minute
        { expr: runtimeRecorded.gcTimeRatio, evalTime: at, samples: [{ labels: sample(runtimeRecorded.gcTimeRatio, first), value: 0.1875 }] },
        { expr: runtimeRecorded.cpu, evalTime: at, samples: [{ labels: sample(runtimeRecorded.cpu, first), value: 0.75 }] },
        { expr: runtimeRecorded.rss, evalTime: at, samples: [{ labels: sample(runtimeRecorded.rss, first), value: 123456789 }] },
        { expr: runtimeRecorded.restarts, evalTime: at, samples: [{ labels: sample(runtimeRecorded.restarts, first), value: 2 }, { labels: sample(runtimeRecorded.restarts, second), value: 0 }] },
      ],
    },
  ];
}

export function runtimeAlertTestSpecs(options: OpsOptions): Record<string, AlertTestSpec> {
  const t = options.thresholds;
  const steps = 30;
  const heap = (ratio: number) => [constant(HEAP_USED, { ...first, v8js_heap_space_name: 'old_space' }, ratio * 1024 ** 3, steps), constant(HEAP_LIMIT, first, 1024 ** 3, steps)];
  const gc = { firing: (1 + t.gcTimeRatio) / 2, quiet: t.gcTimeRatio / 2 };
  const heapRatio = { firing: (1 + t.heapUsedRatio) / 2, quiet: t.heapUsedRatio / 2 };
  // restarts every 2 minutes from minute 12: one more than the threshold fires 5 minutes (for:) after the last one
  const restarts = (n: number) => Array.from({ length: n }, (_, i) => 12 + 2 * i);
  const restartEval = 12 + 2 * t.processRestarts + 6;
  if (restartEval - 30 > 11) throw new Error(`thresholds.processRestarts ${t.processRestarts}: too many restarts for the generated 30-minute case (at most 11)`);
  return {
    ProcessMemoryHigh: {
      firing: {
        input: [constant(RSS, first, 2 * t.processMemoryBytes, steps)],
        evalTime: '20m',
        alerts: [{ labels: first, description: `api-1 of api uses ${humanize1024(2 * t.processMemoryBytes)}B of resident memory (threshold ${bytesText(t.processMemoryBytes)}).` }],
      },
      quiet: { input: [constant(RSS, first, Math.floor(t.processMemoryBytes / 2), steps)], evalTime: '20m' },
    },
    NodejsHeapNearLimit: {
      firing: {
        input: heap(heapRatio.firing),
        evalTime: '20m',
        alerts: [{ labels: first, description: `api-1 of api uses ${humanizePercentage(heapRatio.firing)} of its V8 heap size limit (--max-old-space-size).` }],
      },
      quiet: { input: heap(heapRatio.quiet), evalTime: '20m' },
    },
    NodejsEventLoopDelayHigh: {
      firing: {
        input: [constant(P99, first, 2 * t.eventLoopDelayP99Seconds, steps)],
        evalTime: '20m',
        alerts: [
          {
            labels: first,
            description: `The p99 event loop delay of api-1 of api averaged ${duration(2 * t.eventLoopDelayP99Seconds)} over the last 5 minutes: callbacks and requests wait that long.`,
          },
        ],
      },
      quiet: { input: [constant(P99, first, t.eventLoopDelayP99Seconds / 2, steps)], evalTime: '20m' },
    },
    NodejsGcTimeHigh: {
      firing: {
        input: [growing(GC_SUM, { ...first, v8js_gc_type: 'major' }, Number(num(gc.firing * 60)), steps)],
        evalTime: '25m',
        alerts: [{ labels: first, description: `api-1 of api spent ${humanizePercentage(gc.firing)} of the last 5 minutes in GC pauses.` }],
      },
      quiet: { input: [growing(GC_SUM, { ...first, v8js_gc_type: 'major' }, Number(num(gc.quiet * 60)), steps)], evalTime: '25m' },
    },
    ProcessRestarting: {
      firing: {
        input: [uptime(first, restarts(t.processRestarts + 1), restartEval)],
        evalTime: `${restartEval}m`,
        alerts: [{ labels: first, description: `api-1 of api restarted ${t.processRestarts + 1} times in the last 30 minutes.` }],
      },
      // exactly the threshold: not above it
      quiet: { input: [uptime(first, restarts(t.processRestarts), restartEval)], evalTime: `${restartEval}m` },
    },
  };
}
