/**
 * A service for the series benchmark, run under the preload:
 * `node --require dist-bench/src/register.js series-app.js`. Records
 * BENCH_WORKSPACES workspaces (`ws-0` …), each with every label tuple (4 for
 * actions, 2 for queue jobs), prints `RESULT {actions, jobs}` and idles until
 * signalled.
 */
import { recordActionExecution, recordQueueJob } from '../src/index';

const workspaces = Number(process.env.BENCH_WORKSPACES ?? '21');
let actions = 0;
let jobs = 0;
for (let w = 0; w < workspaces; w++) {
  const workspaceId = `ws-${w}`;
  for (const provider of ['google', 'slack']) {
    for (const status of ['ok', 'error'] as const) {
      recordActionExecution({ provider, action: 'send', status, durationSeconds: (w % 40) / 8, workspaceId });
      actions++;
    }
  }
  for (const jobType of ['sync', 'digest']) {
    recordQueueJob({ jobType, status: 'ok', durationSeconds: (w % 9) / 3, workspaceId });
    jobs++;
  }
}
console.log('RESULT ' + JSON.stringify({ actions, jobs }));
setInterval(() => undefined, 1 << 30);
