/**
 * A host application for the scrape benchmark: the kit started in code with
 * one application counter of BENCH_SERIES series, the embedded endpoint on
 * METRICS_PORT, and the app's own HTTP server on BENCH_APP_PORT whose
 * `/ping` answers at once with the longest event-loop block since the last
 * `/ping?reset`: in wall time (`monitorEventLoopDelay`; includes time the
 * process was not scheduled, on a busy machine) and in CPU time of the main
 * thread between two turns of the loop (what the app's own code and the kit
 * held it for, whatever the machine's load). Prints `READY {...}` and serves
 * until killed.
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { counter, start, type MetricDeclaration } from '../src/index';

const series = Number(process.env.BENCH_SERIES ?? '1000');
const shards: MetricDeclaration = {
  name: 'bench.shard.operations',
  kind: 'counter',
  unit: '{operation}',
  description: 'Operations per shard.',
  labels: ['shard'],
  cardinalityLimit: series + 10,
};
const kit = start({ metrics: [shards], httpServerMetrics: false });
for (let i = 0; i < series; i++) counter(shards).add(i + 1, { shard: `s${i}` });

const delay = monitorEventLoopDelay({ resolution: 2 });
delay.enable();
let maxCpuBlockMs = 0;
let last = process.threadCpuUsage();
const turn = (): void => {
  const now = process.threadCpuUsage();
  maxCpuBlockMs = Math.max(maxCpuBlockMs, (now.user - last.user + now.system - last.system) / 1000);
  last = now;
  setTimeout(turn, 1).unref();
};
turn();
createServer((request, response) => {
  const maxBlockMs = delay.max / 1e6;
  const cpuBlockMs = maxCpuBlockMs;
  if (request.url?.includes('reset')) {
    delay.reset();
    maxCpuBlockMs = 0;
  }
  response.end(JSON.stringify({ maxBlockMs, maxCpuBlockMs: cpuBlockMs, rss: process.memoryUsage().rss }));
}).listen(Number(process.env.BENCH_APP_PORT), '127.0.0.1', () => {
  void kit?.embeddedPort.then((port) => console.log(`READY ${JSON.stringify({ port, series })}`));
});
