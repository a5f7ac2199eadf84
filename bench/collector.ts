/**
 * Part 4, the collector's workspace policy overhead: the same OTLP/HTTP load
 * (loopback, bounded in time and count) into the repo's pipeline
 * (memory_limiter → workspacepolicy → batch → prometheus) and into the same
 * pipeline without it (bench/collector-passthrough.yaml); BENCH_COLLECTOR_CONTRIB=1
 * adds the OTTL recipe for stock otelcol-contrib (otel-collector/config.contrib.yaml).
 * Collector CPU from /proc/<pid>/stat (utime + stime) over the measured
 * window; a fresh collector per run; rounds alternate the order.
 */
import { envInt, median, printTable, runChild, sleep } from './common';
import { collectorConfig, cpuSeconds, ensureCollectorBinary, startCollector } from './stack';

const ALLOWLIST = Array.from({ length: 20 }, (_, i) => `ws-${i}`);

interface Load {
  requests: number;
  errors: number;
  datapointsPerRequest: number;
  datapoints: number;
  seconds: number;
  bytes: number;
}

interface Run {
  pipeline: string;
  payload: string;
  datapointsPerSecond: number;
  cpuSeconds: number;
  cpuMicrosPerDatapoint: number;
  errors: number;
  datapointsPerRequest: number;
  bytes: number;
}

const PIPELINES: [string, string][] = [
  ['allowlist', 'otel-collector/config.yaml'],
  ['pass-through', 'bench/collector-passthrough.yaml'],
  ...(process.env.BENCH_COLLECTOR_CONTRIB ? [['contrib recipe', 'otel-collector/config.contrib.yaml'] as [string, string]] : []),
  ...(process.env.BENCH_COLLECTOR_LEAN ? [['lean', 'bench/collector-allowlist-lean.yaml'] as [string, string]] : []),
];

/** Payloads: what an enforcing SDK sends (21 workspace values) and what a pass-through SDK sends (500 raw ids). */
const PAYLOADS: [string, number, 'enforce' | 'passthrough'][] = [
  ['SDK enforcing (21 values)', 500, 'enforce'],
  ['SDK pass-through (500 raw ids)', 500, 'passthrough'],
];

async function run(pipeline: string, config: string, payload: [string, number, string], seconds: number, maxRequests: number, concurrency: number): Promise<Run> {
  const collector = await startCollector({ allowlist: ALLOWLIST, configs: [collectorConfig(config)] });
  try {
    const url = `${collector.httpEndpoint}/v1/metrics`;
    // Warm-up (not measured): connections, first allocations.
    await runChild<Load>('otlp-load-worker.js', [url, '1', String(maxRequests), String(concurrency), String(payload[1]), payload[2]]);
    await sleep(300);
    const before = cpuSeconds(collector.process.pid);
    const load = await runChild<Load>('otlp-load-worker.js', [url, String(seconds), String(maxRequests), String(concurrency), String(payload[1]), payload[2]]);
    await sleep(400); // the batch processor's 200 ms timeout: let the last batch reach the exporter
    const cpu = cpuSeconds(collector.process.pid) - before;
    return {
      pipeline,
      payload: payload[0],
      datapointsPerSecond: load.datapoints / load.seconds,
      cpuSeconds: cpu,
      cpuMicrosPerDatapoint: (cpu * 1e6) / load.datapoints,
      errors: load.errors,
      datapointsPerRequest: load.datapointsPerRequest,
      bytes: load.bytes,
    };
  } finally {
    await collector.stop();
  }
}

export async function collector(): Promise<{ cpuRatio: number; ratios: Record<string, number> }> {
  ensureCollectorBinary();
  const rounds = envInt('BENCH_COLLECTOR_ROUNDS', 3);
  const seconds = envInt('BENCH_COLLECTOR_SECONDS', 8);
  const maxRequests = envInt('BENCH_COLLECTOR_MAX_REQUESTS', 20_000);
  const concurrency = envInt('BENCH_COLLECTOR_CONCURRENCY', 2);
  console.log(`\n## 4. Collector workspace policy overhead (OTLP/HTTP protobuf on loopback, ${seconds} s or ${maxRequests.toLocaleString('en-US')} requests per run, ${concurrency} in flight, ${rounds} alternating rounds, fresh collector per run)`);
  const runs: Run[] = [];
  const ratioRuns = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const payload of PAYLOADS) {
      const order = round % 2 === 0 ? PIPELINES : [...PIPELINES].reverse();
      const pair = new Map<string, Run>();
      for (const [pipeline, config] of order) {
        const result = await run(pipeline, config, payload, seconds, maxRequests, concurrency);
        runs.push(result);
        pair.set(pipeline, result);
      }
      const ratio = pair.get('allowlist')!.cpuMicrosPerDatapoint / pair.get('pass-through')!.cpuMicrosPerDatapoint;
      if (!ratioRuns.has(payload[0])) ratioRuns.set(payload[0], []);
      ratioRuns.get(payload[0])!.push(ratio);
    }
    process.stdout.write(`  round ${round + 1}/${rounds} done\n`);
  }
  const rows: (string | number)[][] = [];
  for (const [payloadName] of PAYLOADS) {
    for (const [pipeline] of PIPELINES) {
      const these = runs.filter((r) => r.payload === payloadName && r.pipeline === pipeline);
      rows.push([
        payloadName,
        pipeline,
        these[0]!.datapointsPerRequest,
        Math.round(median(these.map((r) => r.datapointsPerSecond))),
        median(these.map((r) => r.cpuSeconds)),
        median(these.map((r) => r.cpuMicrosPerDatapoint)),
        these.reduce((sum, r) => sum + r.errors, 0),
      ]);
    }
  }
  printTable(
    'Collector: throughput and CPU per datapoint (medians over rounds)',
    ['payload', 'pipeline', 'datapoints/request', 'datapoints/s', 'collector CPU s', 'CPU µs/datapoint', 'failed requests'],
    rows,
  );
  const ratios: Record<string, number> = {};
  printTable(
    'Collector: CPU per datapoint, allowlist (workspacepolicy) / pass-through, same round (target <= 1.1×)',
    ['payload', 'median', 'min', 'max'],
    [...ratioRuns].map(([payloadName, values]) => {
      ratios[payloadName] = median(values);
      return [payloadName, `${median(values).toFixed(2)}×`, `${Math.min(...values).toFixed(2)}×`, `${Math.max(...values).toFixed(2)}×`];
    }),
  );
  return { cpuRatio: Math.max(...Object.values(ratios)), ratios };
}
