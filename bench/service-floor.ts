/**
 * The `floor` variant of the service benchmark (bench/service.ts), loaded
 * with `--require`: the least any in-process recorder that measures request
 * durations from Node's diagnostics channels does per request, and nothing
 * else. It subscribes to `http.server.request.start` and
 * `http.server.response.finish` (so node:http builds and publishes both
 * messages), keeps the start time on the response under its own symbol and
 * sums the durations, as src/http/server-metrics.ts does before it records
 * into a histogram. The kit's cost above this floor is what its own code
 * (labels, three histograms, the SDK, runtime metrics, the endpoint) adds.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

const START = Symbol('bench.floor.start');
type Timed = ServerResponse & { [START]?: number };
let requests = 0;
let seconds = 0;

diagnosticsChannel.subscribe('http.server.request.start', (message) => {
  ((message as { response: Timed }).response)[START] = performance.now();
});
diagnosticsChannel.subscribe('http.server.response.finish', (message) => {
  const response = (message as { response: Timed }).response;
  const start = response[START];
  if (start === undefined) return;
  response[START] = undefined;
  requests++;
  seconds += (performance.now() - start) / 1000;
});
// The sums are read (and printed) on SIGUSR2 with service-app's own count, so none of the work above is dead code.
process.on('SIGUSR2', () => console.log(`FLOOR ${requests} ${seconds.toFixed(3)}`));
