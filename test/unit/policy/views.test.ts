/**
 * The label policy in SDK views, through an in-memory exporter: key allowlist,
 * workspace folding, flag off, and the invariant that the workspace stream
 * sums to the baseline for every counter and histogram.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { activeKit, recordActionExecution, recordQueueJob } from '../../../src/index';
import { BUILTIN_METRICS, actionDuration, actionExecutions, streamName } from '../../../src/exports/catalogue';
import { OVERFLOW_VALUE } from '../../../src/exports/policy';
import { labelValues, startInMemory, total } from '../../helpers/in-memory';

const HOSTILE = ['a",x="1', 'quote"', 'back\\slash', 'new\nline', 'x'.repeat(10_000), '\u202Eacme', 'аcme', 'nul\u0000', '', ' ', 42, null, undefined, {}, ['acme'], 'ACME '];

afterEach(async () => {
  await activeKit()?.shutdown();
});

describe('SDK views from the catalogue', () => {
  it('keeps only declared keys on the baseline stream (stray keys never become series)', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'acme' });
    // Raw OTel API users get the same policy: the view matches the instrument name.
    const raw = metrics.getMeter('someone-else').createCounter(actionExecutions.name);
    for (let i = 0; i < 100; i++) raw.add(1, { provider: 'p', action: 'a', status: 'ok', run_id: `run-${i}`, correlation_id: `c-${i}`, workspace_id: 'acme' });
    const exported = await collect();
    const baseline = exported.get(streamName(actionExecutions, 'baseline'))!;
    expect(baseline.dataPoints).toHaveLength(1);
    expect(Object.keys(baseline.dataPoints[0]!.attributes).sort()).toEqual(['action', 'provider', 'status']);
    const byWorkspace = exported.get(streamName(actionExecutions, 'workspace'))!;
    expect(byWorkspace.dataPoints).toHaveLength(1);
    expect(Object.keys(byWorkspace.dataPoints[0]!.attributes).sort()).toEqual(['action', 'provider', 'status', 'workspace_id']);
    expect(total(byWorkspace)).toBe(100);
  });

  it('folds unlisted, invalid and hostile ids into __other__ and keeps canonical allowlisted ones', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'acme,globex' });
    for (const id of [...HOSTILE, 'acme', 'globex', ' Globex', 'initech']) {
      recordActionExecution({ provider: 'google', action: 'gmail.send', status: 'ok', durationSeconds: 0.2, workspaceId: id as string });
    }
    const exported = await collect();
    const counter = exported.get(streamName(actionExecutions, 'workspace'))!;
    expect(labelValues(counter, 'workspace_id')).toEqual(new Set(['acme', 'globex', OVERFLOW_VALUE]));
    const count = (id: string) => counter.dataPoints.filter((p) => p.attributes.workspace_id === id).reduce((s, p) => s + (p.value as number), 0);
    expect(count('acme')).toBe(2); // 'acme' and 'ACME '
    expect(count('globex')).toBe(2);
    expect(count(OVERFLOW_VALUE)).toBe(HOSTILE.length - 1 + 1); // all hostile but 'ACME ', plus 'initech'
    expect(total(counter)).toBe(HOSTILE.length + 4);
  });

  it('exports no workspace stream at all when the flag is off (the default)', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_ALLOWLIST: 'acme' });
    recordActionExecution({ provider: 'google', action: 'gmail.send', status: 'ok', durationSeconds: 1, workspaceId: 'acme' });
    const exported = await collect();
    expect([...exported.keys()].filter((name) => name.includes('by_workspace'))).toEqual([]);
    expect(total(exported.get(streamName(actionExecutions, 'baseline')))).toBe(1);
    for (const point of exported.get(streamName(actionExecutions, 'baseline'))!.dataPoints) {
      expect(point.attributes).not.toHaveProperty('workspace_id');
    }
  });

  it('uses the declared histogram buckets on both streams', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on' });
    recordActionExecution({ provider: 'google', action: 'gmail.send', status: 'ok', durationSeconds: 1, workspaceId: 'x' });
    const exported = await collect();
    for (const stream of ['baseline', 'workspace'] as const) {
      const metric = exported.get(streamName(actionDuration, stream))!;
      expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
      const value = metric.dataPoints[0]!.value as { buckets: { boundaries: number[] } };
      expect(value.buckets.boundaries).toEqual(actionDuration.buckets);
    }
  });

  it('honours a custom workspace label name', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_LABEL_NAME: 'tenant_id', METRICS_WORKSPACE_ALLOWLIST: 'acme' });
    recordQueueJob({ jobType: 'sync', status: 'ok', durationSeconds: 1, workspaceId: 'acme' });
    const exported = await collect();
    const metric = exported.get('queue_jobs_by_workspace')!;
    expect(labelValues(metric, 'tenant_id')).toEqual(new Set(['acme']));
    expect(labelValues(metric, 'workspace_id')).toEqual(new Set([undefined]));
  });

  it('sums every workspace stream to its baseline, for every counter and histogram count', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'ws-1,ws-7' });
    let recorded = 0;
    for (let i = 0; i < 2_000; i++) {
      const workspaceId = i % 11 === 0 ? HOSTILE[i % HOSTILE.length] : `ws-${i % 40}`;
      recordActionExecution({ provider: `p${i % 3}`, action: 'run', status: i % 5 ? 'ok' : 'error', durationSeconds: (i % 17) / 3, workspaceId: workspaceId as string });
      recordQueueJob({ jobType: `t${i % 4}`, status: 'ok', durationSeconds: i % 9, workspaceId: workspaceId as string });
      recorded++;
    }
    const exported = await collect();
    const workspaceDecls = BUILTIN_METRICS.filter((d) => d.workspaceStream);
    expect(workspaceDecls.length).toBeGreaterThanOrEqual(4);
    for (const decl of workspaceDecls) {
      const baseline = exported.get(streamName(decl, 'baseline'));
      const byWorkspace = exported.get(streamName(decl, 'workspace'));
      if (baseline === undefined) continue; // a family this test does not drive
      expect(total(byWorkspace), decl.name).toBe(total(baseline));
    }
    expect(total(exported.get(streamName(actionExecutions, 'baseline')))).toBe(recorded);
    expect(total(exported.get('queue_jobs_by_workspace'))).toBe(recorded);
  });

  it('caps every stream with an explicit cardinality limit (SDK overflow series keeps totals)', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on' });
    for (let i = 0; i < 1_500; i++) {
      recordActionExecution({ provider: 'p', action: `action-${i}`, status: 'ok', durationSeconds: 1 });
    }
    const exported = await collect();
    const baseline = exported.get(streamName(actionExecutions, 'baseline'))!;
    // The action label keeps its first 500 values, the rest fold into one __other__ series: totals intact, series bounded.
    expect(baseline.dataPoints.length).toBe(501);
    expect(labelValues(baseline, 'action')).toEqual(new Set([...Array.from({ length: 500 }, (_, i) => `action-${i}`), '__other__']));
    const other = baseline.dataPoints.find((point) => point.attributes.action === '__other__');
    expect(other?.value).toBe(1_000);
    expect(total(baseline)).toBe(1_500);
  });
});

describe('pass-through limits: one service cannot flood the pipeline', () => {
  const queueJobsByWorkspace = 'queue_jobs_by_workspace';
  const record = (ids: readonly string[]) => {
    for (const workspaceId of ids) recordQueueJob({ jobType: 'sync', status: 'ok', durationSeconds: 0.1, workspaceId });
  };

  it('sends the first 2,000 distinct raw workspace ids (the default) as they are; the 2,001st on fold into __other__ with their other labels, sums exact', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_POLICY: 'passthrough', METRICS_WORKSPACE_ALLOWLIST: 'listed' });
    const ids = Array.from({ length: 2_010 }, (_, i) => `Raw-${i}`);
    record(ids);
    record(ids.slice(0, 3)); // admitted ids stay raw
    record(['listed', 'listed']); // allowlisted ids pass whatever the budget
    const stream = (await collect()).get(queueJobsByWorkspace)!;
    const values = labelValues(stream, 'workspace_id');
    expect(values.size).toBe(2_000 + 2);
    expect(values.has('Raw-1999')).toBe(true);
    expect(values.has('Raw-2000')).toBe(false);
    expect(values.has('listed')).toBe(true);
    const other = stream.dataPoints.filter((p) => p.attributes.workspace_id === OVERFLOW_VALUE);
    expect(other).toHaveLength(1);
    expect(other[0]!.attributes).toEqual({ workspace_id: OVERFLOW_VALUE, job_type: 'sync', status: 'ok' });
    expect(other[0]!.value).toBe(10);
    expect(total(stream)).toBe(2_010 + 3 + 2);
    expect(activeKit()!.workspacePolicy!.foldCounts().find((c) => c.metric === 'queue_jobs_by_workspace_total')?.count).toBe(10);
  });

  it('METRICS_WORKSPACE_PASSTHROUGH_LIMIT sets the budget exactly', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_POLICY: 'passthrough', METRICS_WORKSPACE_PASSTHROUGH_LIMIT: '5' });
    record(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const stream = (await collect()).get(queueJobsByWorkspace)!;
    expect(labelValues(stream, 'workspace_id')).toEqual(new Set(['a', 'b', 'c', 'd', 'e', OVERFLOW_VALUE]));
    expect(total(stream)).toBe(7);
  });

  it('a _by_workspace stream holds at most 20,000 series: the SDK overflow series carries the rest, sums exact', async () => {
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_POLICY: 'passthrough', METRICS_WORKSPACE_PASSTHROUGH_LIMIT: '1000000' });
    record(Array.from({ length: 20_005 }, (_, i) => `w-${i}`));
    const stream = (await collect()).get(queueJobsByWorkspace)!;
    expect(stream.dataPoints).toHaveLength(20_000);
    const overflow = stream.dataPoints.filter((p) => p.attributes['otel.metric.overflow'] === true);
    expect(overflow).toHaveLength(1);
    // 19,999 own series, the overflow series the other 6 recordings.
    expect(overflow[0]!.value).toBe(6);
    expect(total(stream)).toBe(20_005);
  });
});
