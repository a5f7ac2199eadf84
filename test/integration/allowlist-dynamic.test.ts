/**
 * The allowlist changes while the service records (file edited, list swapped
 * in a loop): no count is ever lost. For every counter and histogram the
 * baseline total equals the sum over the `_by_workspace` series, which equals
 * the number of recordings; each series holds exactly the recordings made
 * while its value was the resolved one. Checked through an in-memory reader
 * and through the embedded Prometheus endpoint, with the self-metrics.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordActionExecution, recordQueueJob, start, type Kit } from '../../src/index';
import { OVERFLOW_VALUE } from '../../src/exports/policy';
import { parseExposition, sumSamples } from '../../src/exposition/parse';
import { labelValues, startInMemory, total } from '../helpers/in-memory';
import { freePort, httpText, waitFor } from '../helpers/processes';

const dir = mkdtempSync(join(tmpdir(), 'owm-allowlist-it-'));
const file = join(dir, 'allowlist.txt');
let kit: Kit | undefined;

afterEach(async () => {
  await kit?.shutdown();
  kit = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Raw ids as services pass them: listed, unlisted, team members, missing, hostile. */
const RAW_IDS = ['acme', 'GLOBEX', 'initech', 'ops/billing', 'ops/search', 'umbrella/x', undefined, 'Bad Id!', 'hooli'] as const;

interface Tally {
  recordings: number;
  byValue: Map<string, number>;
}

/** Record `rounds` × RAW_IDS actions and queue jobs; tally by the value the policy exports right now. */
function record(k: Kit, rounds: number, tally: Tally): void {
  for (let round = 0; round < rounds; round++) {
    for (const raw of RAW_IDS) {
      const expected = k.workspacePolicy!.resolve(raw); // what the view will export (same policy, same list)
      tally.byValue.set(expected, (tally.byValue.get(expected) ?? 0) + 1);
      tally.recordings++;
      recordActionExecution({ provider: 'google', action: 'gmail.send', status: round % 5 === 0 ? 'error' : 'ok', durationSeconds: 0.01 * round, workspaceId: raw });
      recordQueueJob({ jobType: 'sync', status: 'ok', durationSeconds: 0.5, workspaceId: raw });
    }
  }
}

let recordingPath = 'fast';

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    METRICS_RECORDING_PATH: recordingPath,
    METRICS_WORKSPACE_LABEL: 'on',
    METRICS_WORKSPACE_ALLOWLIST: 'acme,ops/*',
    METRICS_WORKSPACE_ALLOWLIST_FILE: file,
    METRICS_WORKSPACE_ALLOWLIST_POLL_INTERVAL: '1',
    ...extra,
  };
}

describe.each(['fast', 'views'])('changing the allowlist never loses counts (METRICS_RECORDING_PATH=%s)', (path) => {
  beforeAll(() => {
    recordingPath = path;
  });

  it('in-memory reader: file edited between two phases', async () => {
    writeFileSync(file, '# phase 1\nglobex\n');
    const mem = startInMemory(env());
    kit = mem.kit;
    await kit.allowlist!.start(); // the file is read in the background
    expect(kit.workspacePolicy!.allowlist).toEqual(['acme', 'globex', 'ops/*']);

    const tally: Tally = { recordings: 0, byValue: new Map() };
    record(kit, 40, tally);
    writeFileSync(file, '# phase 2: globex out, initech in\ninitech\n');
    await waitFor(() => (kit!.workspacePolicy!.allowlist.includes('initech') ? true : undefined), 10_000, 'the file reload');
    expect(kit.workspacePolicy!.allowlist).toEqual(['acme', 'initech', 'ops/*']);
    record(kit, 60, tally);

    const metrics = await mem.collect();
    const totals = {
      actions: total(metrics.get('action_executions')),
      actionsByWorkspace: total(metrics.get('action_executions_by_workspace')),
      durations: total(metrics.get('action_duration_seconds')),
      durationsByWorkspace: total(metrics.get('action_duration_by_workspace_seconds')),
      jobs: total(metrics.get('queue_jobs')),
      jobsByWorkspace: total(metrics.get('queue_jobs_by_workspace')),
      jobDurationsByWorkspace: total(metrics.get('queue_job_duration_by_workspace_seconds')),
    };
    for (const [name, value] of Object.entries(totals)) expect(value, name).toBe(tally.recordings);

    // Each series holds exactly the recordings made while its value was exported.
    const byWorkspace = metrics.get('action_executions_by_workspace')!;
    const seen = new Map<string, number>();
    for (const point of byWorkspace.dataPoints) {
      const value = String(point.attributes.workspace_id);
      seen.set(value, (seen.get(value) ?? 0) + (point.value as number));
    }
    expect(seen).toEqual(tally.byValue);
    expect([...labelValues(byWorkspace, 'workspace_id')].sort()).toEqual(['__other__', 'acme', 'globex', 'initech', 'ops/__other__']);
    expect(seen.get('globex')).toBe(40); // phase 1 only
    expect(seen.get('initech')).toBe(60); // phase 2 only

    // Self-metrics: folds per family, allowlist state.
    const folded = metrics.get('otel_workspace_metrics_workspace_folded')!;
    const foldedFor = (metric: string): number =>
      folded.dataPoints.filter((p) => p.attributes.metric === metric).reduce((sum, p) => sum + (p.value as number), 0);
    const expectedFolds = tally.byValue.get(OVERFLOW_VALUE)! + tally.byValue.get(`ops/${OVERFLOW_VALUE}`)!;
    for (const family of ['action_executions_by_workspace_total', 'action_duration_by_workspace_seconds', 'queue_jobs_by_workspace_total', 'queue_job_duration_by_workspace_seconds']) {
      expect(foldedFor(family), family).toBe(expectedFolds);
    }
    expect(total(metrics.get('otel_workspace_metrics_allowlist_size'))).toBe(3);
    // globex, initech (phase 1), ops/billing, ops/search, umbrella/x, hooli: 6 distinct canonical ids folded at some point
    expect(total(metrics.get('otel_workspace_metrics_workspace_unlisted_estimate'))).toBe(6);
    const reload = total(metrics.get('otel_workspace_metrics_allowlist_last_reload_timestamp_seconds'));
    expect(Math.abs(reload - Date.now() / 1000)).toBeLessThan(30);
    const errors = metrics.get('otel_workspace_metrics_allowlist_reload_errors')!;
    expect(errors.dataPoints.map((p) => [p.attributes.source, p.value])).toEqual([['file', 0]]);
  });

  it('in-memory reader: the list swapped every few recordings, concurrently with timers', async () => {
    writeFileSync(file, '');
    const mem = startInMemory(env({ METRICS_WORKSPACE_ALLOWLIST: '' }));
    kit = mem.kit;
    const policy = kit.workspacePolicy!;
    const lists = [['acme'], ['globex', 'ops/*'], [], ['acme', 'initech', 'hooli', 'umbrella/*']];
    const tally: Tally = { recordings: 0, byValue: new Map() };
    for (let step = 0; step < 200; step++) {
      policy.setAllowlist(lists[step % lists.length]!);
      record(kit, 1, tally);
      if (step % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const metrics = await mem.collect();
    expect(total(metrics.get('action_executions'))).toBe(tally.recordings);
    expect(total(metrics.get('action_executions_by_workspace'))).toBe(tally.recordings);
    expect(total(metrics.get('queue_job_duration_by_workspace_seconds'))).toBe(tally.recordings);
    const seen = new Map<string, number>();
    for (const point of metrics.get('queue_jobs_by_workspace')!.dataPoints) {
      const value = String(point.attributes.workspace_id);
      seen.set(value, (seen.get(value) ?? 0) + (point.value as number));
    }
    expect(seen).toEqual(tally.byValue);
  });

  it('embedded endpoint: exposition totals and the self-metric names', async () => {
    writeFileSync(file, 'globex\n');
    const port = await freePort();
    kit = start({ env: { ...env(), OTEL_METRICS_EXPORTER: 'prometheus', METRICS_PORT: String(port) }, httpServerMetrics: false });
    expect(kit).toBeDefined();
    expect(kit!.recordingPath).toBe(path);
    await kit!.embeddedPort;
    await kit!.allowlist!.start(); // the file is read in the background
    const tally: Tally = { recordings: 0, byValue: new Map() };
    record(kit!, 25, tally);
    writeFileSync(file, 'hooli\ninitech\n');
    await waitFor(() => (kit!.workspacePolicy!.allowlist.includes('hooli') ? true : undefined), 10_000, 'the file reload');
    record(kit!, 25, tally);

    const families = parseExposition(await httpText(`http://127.0.0.1:${port}/metrics`));
    for (const [baseline, byWorkspace] of [
      ['action_executions_total', 'action_executions_by_workspace_total'],
      ['action_duration_seconds_count', 'action_duration_by_workspace_seconds_count'],
      ['queue_jobs_total', 'queue_jobs_by_workspace_total'],
      ['queue_job_duration_seconds_count', 'queue_job_duration_by_workspace_seconds_count'],
    ] as const) {
      expect(sumSamples(families, baseline), baseline).toBe(tally.recordings);
      expect(sumSamples(families, byWorkspace), byWorkspace).toBe(tally.recordings);
    }
    for (const [value, count] of tally.byValue) {
      expect(sumSamples(families, 'action_executions_by_workspace_total', (l) => l.workspace_id === value), value).toBe(count);
    }

    expect(families.get('otel_workspace_metrics_workspace_folded_total')?.type).toBe('counter');
    expect(families.get('otel_workspace_metrics_workspace_unlisted_estimate')?.type).toBe('gauge');
    expect(families.get('otel_workspace_metrics_allowlist_size')?.type).toBe('gauge');
    expect(families.get('otel_workspace_metrics_allowlist_last_reload_timestamp_seconds')?.type).toBe('gauge');
    expect(families.get('otel_workspace_metrics_allowlist_reload_errors_total')?.type).toBe('counter');
    const folds = tally.byValue.get(OVERFLOW_VALUE)! + tally.byValue.get(`ops/${OVERFLOW_VALUE}`)!;
    expect(sumSamples(families, 'otel_workspace_metrics_workspace_folded_total', (l) => l.metric === 'action_executions_by_workspace_total')).toBe(folds);
    expect(sumSamples(families, 'otel_workspace_metrics_allowlist_size')).toBe(4);
    expect(sumSamples(families, 'otel_workspace_metrics_allowlist_reload_errors_total', (l) => l.source === 'file')).toBe(0);
  });

  it('a broken file keeps the last good list and counts the error', async () => {
    writeFileSync(file, 'globex\n');
    const mem = startInMemory(env());
    kit = mem.kit;
    await kit.allowlist!.start(); // the file is read in the background
    rmSync(file);
    await waitFor(() => (kit!.allowlist!.errorCounts()[0]!.errors > 0 ? true : undefined), 10_000, 'the reload error');
    expect(kit.workspacePolicy!.allowlist).toEqual(['acme', 'globex', 'ops/*']);
    const metrics = await mem.collect();
    expect(metrics.get('otel_workspace_metrics_allowlist_reload_errors')!.dataPoints.map((p) => [p.attributes.source, p.value])).toEqual([['file', 1]]);
  });
});
