/**
 * A service for the series benchmark, run under the preload:
 * `node --require dist-bench/src/register.js series-app.js`. Records
 * BENCH_WORKSPACES workspaces (`ws-0` …), each with every label tuple (4 for
 * actions, 2 for queue jobs), prints `RESULT {actions, jobs}` and idles until
 * signalled.
 */
import { recordWorkspaceWorkload } from './workspace-workload';

const result = recordWorkspaceWorkload(Number(process.env.BENCH_WORKSPACES ?? '21'));
console.log('RESULT ' + JSON.stringify(result));
setInterval(() => undefined, 1 << 30);
