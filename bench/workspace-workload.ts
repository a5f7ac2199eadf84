/**
 * The workload of the series, load and export benchmarks: `workspaces`
 * workspaces (`ws-0` …), each with every label tuple (4 action executions,
 * 2 queue jobs). Returns how many of each it recorded.
 */
import { recordActionExecution, recordQueueJob } from '../src/index';

export function recordWorkspaceWorkload(workspaces: number): { actions: number; jobs: number } {
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
  return { actions, jobs };
}
