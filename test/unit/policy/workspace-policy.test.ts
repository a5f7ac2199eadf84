/**
 * WorkspacePolicy and its parts at their edges: published hash vectors, the
 * sampling threshold's limits, pass-through mode, allowlist swaps and their
 * clock, the distinct sketch's registers and estimator ranges, the window
 * rotation at its exact boundaries, and the attribute processors and views
 * built from the policy.
 */
import { describe, expect, it } from 'vitest';
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { HyperLogLog, WindowedDistinct, mix32 } from '../../../src/policy/distinct-sketch';
import { WorkspacePolicy, fnv1a32, isSampled, sampleHash, sampleThreshold, sampleThresholdHex } from '../../../src/policy/workspace-policy';
import { keyAllowlistProcessor, pickDeclared, withRules, workspaceStreamProcessor } from '../../../src/policy/attributes-processors';
import { buildViews, rulesFor, viewsFor } from '../../../src/policy/views';
import type { MetricDeclaration } from '../../../src/model/types';

describe('hashes', () => {
  it('fnv1a32 is FNV-1a 32 bit (published vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('mix32 is murmur3’s fmix32', () => {
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).toBe(0x514e28b7);
    expect(mix32(-1)).toBe(mix32(0xffffffff)); // read as unsigned
    expect(mix32(0xffffffff)).toBe(0x81f16f39);
  });
});

describe('sampling threshold at its limits', () => {
  it('samples nothing at a rate ≤ 0 or NaN, everything at ≥ 1, and at least one hash at any positive rate', () => {
    for (const rate of [0, -0.5, NaN]) expect(sampleThreshold(rate)).toBe(0);
    for (const rate of [1, 1.5, Infinity]) expect(sampleThreshold(rate)).toBe(2 ** 32);
    expect(sampleThreshold(1e-12)).toBe(1);
    expect(sampleThreshold(1 - 2 ** -40)).toBe(2 ** 32);
    expect(sampleThresholdHex(1e-12)).toBe('00000001');
    expect(sampleThresholdHex(0.75)).toBe('c0000000');
    expect(sampleThresholdHex(1.5)).toBeUndefined();
    expect(isSampled('acme', 0)).toBe(false);
    expect(isSampled('acme', -1)).toBe(false);
    expect(isSampled('acme', 1)).toBe(true);
    expect(isSampled('acme', 2)).toBe(true);
  });

  it('a policy at rate 1 keeps every canonical id and folds nothing; invalid ids still fold', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [], sampleRate: 1 });
    expect(policy.sampleRate).toBe(1);
    for (let i = 0; i < 50; i++) expect(policy.resolve(`ws-${i}`)).toBe(`ws-${i}`);
    expect(policy.folded).toBe(0);
    expect(policy.unlistedEstimate()).toBe(0);
    expect(policy.resolve('Bad Id!')).toBe('__other__');
    expect(policy.folded).toBe(1);
  });
});

describe('WorkspacePolicy', () => {
  it('defaults to enforcing, without sampling', () => {
    const policy = new WorkspacePolicy({ labelName: 'tenant', allowlist: ['acme'] });
    expect([policy.labelName, policy.mode, policy.sampleRate]).toStrictEqual(['tenant', 'enforce', 0]);
    expect(policy.resolve('globex')).toBe('__other__');
    expect(policy.unlistedEstimate()).toBe(1);
  });

  it('passes raw strings through in pass-through mode (lone surrogates made well-formed), folds and counts non-strings', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme'], mode: 'passthrough' });
    const counter = policy.foldCounter('m');
    expect(policy.resolve('acme', counter)).toBe('acme');
    expect(policy.resolve(' Not Canonical! ', counter)).toBe(' Not Canonical! ');
    expect(policy.resolve('a\uD800b\uDC00c', counter)).toBe('a\uFFFDb\uFFFDc');
    expect(policy.resolve('pair \uD83D\uDE00', counter)).toBe('pair \uD83D\uDE00');
    expect(policy.resolve(42, counter)).toBe('__other__');
    expect(policy.resolve(undefined, counter)).toBe('__other__');
    expect([policy.folded, counter.count, policy.unlistedEstimate()]).toStrictEqual([2, 2, 0]); // the two non-strings folded
  });

  it('swaps the allowlist atomically and stamps the change with its clock', () => {
    let now = 1_000;
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'eng/*'], now: () => now });
    expect(policy.lastChangeMillis).toBe(1_000);
    expect(policy.resolve('eng/api')).toBe('eng/__other__');
    now = 5_000;
    policy.setAllowlist(['globex', ' GLOBEX ', 'Bad Id!', 'eng/api']);
    expect(policy.lastChangeMillis).toBe(5_000);
    expect(policy.allowlist).toStrictEqual(['eng/api', 'globex']);
    expect(policy.allowlistSize).toBe(2);
    expect(policy.resolve('acme')).toBe('__other__');
    expect(policy.resolve('globex')).toBe('globex');
    expect(policy.resolve('eng/api')).toBe('eng/api');
    expect(policy.resolve('eng/web')).toBe('__other__'); // an exact team/ws entry does not allowlist its team
  });

  it('lists each stream’s fold counter once, in creation order', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [] });
    const b = policy.foldCounter('b');
    const a = policy.foldCounter('a');
    expect(policy.foldCounter('b')).toBe(b);
    expect(policy.foldCounts()).toStrictEqual([b, a]);
    expect(b).toStrictEqual({ metric: 'b', count: 0 });
  });
});

describe('HyperLogLog registers and estimator', () => {
  const ALPHA = 0.7213 / (1 + 1.079 / 1024);

  it('indexes by the top 10 bits and ranks the first set bit of the other 22 (capped at 23)', () => {
    const sketch = new HyperLogLog();
    sketch.addHash(0); // register 0, no bit set: the sentinel caps the rank at 23
    sketch.addHash(0xffffffff); // register 1023, first bit set: rank 1
    sketch.addHash((5 << 22) | (1 << 21)); // register 5, rank 1
    sketch.addHash((6 << 22) | (1 << 20)); // register 6, rank 2
    sketch.addHash((6 << 22) | (1 << 21)); // register 6 keeps its maximum
    sketch.addHash((7 << 22) | 1); // register 7, last bit of 22: rank 22
    const set = [...sketch.registers.entries()].filter(([, rank]) => rank > 0);
    expect(set).toStrictEqual([
      [0, 23],
      [5, 1],
      [6, 2],
      [7, 22],
      [1023, 1],
    ]);
    sketch.clear();
    expect(sketch.registers.every((rank) => rank === 0)).toBe(true);
  });

  it('counts small sets linearly, exactly for distinct registers', () => {
    const sketch = new HyperLogLog();
    expect(HyperLogLog.estimate(sketch)).toBe(0);
    for (let i = 0; i < 20; i++) sketch.addHash(i << 22);
    expect(HyperLogLog.estimate(sketch)).toBe(Math.round(1024 * Math.log(1024 / 1004)));
  });

  it('uses the raw estimate once no register is zero, and the large-range correction above 2^32/30', () => {
    const sketch = new HyperLogLog();
    sketch.registers.fill(1); // no zero register, raw estimate ALPHA·m²/(m/2) = 2·ALPHA·m ≈ 1476 ≤ 2.5·m
    expect(HyperLogLog.estimate(sketch)).toBe(Math.round(ALPHA * 2048));
    sketch.registers.fill(20); // raw ALPHA·m·2^20 ≈ 7.7e8 > 2^32/30
    const raw = ALPHA * 1024 * 2 ** 20;
    expect(HyperLogLog.estimate(sketch)).toBe(Math.round(-(2 ** 32) * Math.log(1 - raw / 2 ** 32)));
    sketch.registers.fill(12); // raw ALPHA·m·2^12 ≈ 3.0e6: between the two corrections
    expect(HyperLogLog.estimate(sketch)).toBe(Math.round(ALPHA * 1024 * 2 ** 12));
  });

  it('estimates a union from the register-wise maximum', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    a.registers.fill(1);
    b.registers.fill(3, 0, 512);
    expect(HyperLogLog.estimate(a, b)).toBe(Math.round((ALPHA * 1024 * 1024) / (512 * 2 ** -3 + 512 * 2 ** -1)));
    expect(HyperLogLog.estimate(b, a)).toBe(HyperLogLog.estimate(a, b));
  });
});

describe('WindowedDistinct rotation at its boundaries', () => {
  const ids = (prefix: number, n: number) => Array.from({ length: n }, (_, i) => ((prefix * 64 + i) << 22) >>> 0);

  it('rotates when exactly one window has elapsed, and drops the window before the previous one', () => {
    let now = 0;
    const window = new WindowedDistinct(1_000, () => now);
    expect(window.windowMillis).toBe(1_000);
    for (const hash of ids(0, 20)) window.addHash(hash);
    now = 999;
    expect(window.estimate()).toBe(20);
    now = 1_000; // rotates: the 20 are the previous window
    expect(window.estimate()).toBe(20);
    for (const hash of ids(1, 5)) window.addHash(hash);
    now = 1_999;
    expect(window.estimate()).toBe(25);
    now = 2_000; // rotates again: the 20 are gone
    expect(window.estimate()).toBe(5);
  });

  it('after exactly two windows unread, restarts the window at the read', () => {
    let now = 0;
    const window = new WindowedDistinct(1_000, () => now);
    for (const hash of ids(0, 20)) window.addHash(hash);
    now = 2_000; // two windows: the window restarts now, the 20 are the previous window
    expect(window.estimate()).toBe(20);
    for (const hash of ids(1, 5)) window.addHash(hash);
    now = 2_999; // less than a window since the restart: no rotation
    expect(window.estimate()).toBe(25);
    now = 3_000;
    expect(window.estimate()).toBe(5);
  });

  it('reads its clock at construction', () => {
    let now = 10_000;
    const window = new WindowedDistinct(1_000, () => now);
    for (const hash of ids(0, 3)) window.addHash(hash);
    now = 10_999;
    expect(window.estimate()).toBe(3);
    now = 12_000; // two windows since construction: the window restarts here, the 3 as the previous one
    for (const hash of ids(1, 2)) window.addHash(hash);
    expect(window.estimate()).toBe(5);
  });
});

describe('attribute processors', () => {
  it('pickDeclared keeps declared keys in declared order and leaves undefined values out', () => {
    const picked = pickDeclared(['b', 'a', 'c'], { a: 1, b: 'x', c: undefined, d: true });
    expect(picked).toStrictEqual({ b: 'x', a: 1 });
    expect(Object.keys(picked)).toStrictEqual(['b', 'a']);
  });

  it('withRules returns the same object when nothing changes, else a copy with the rules applied', () => {
    const attributes = { route: '/a', code: 200 };
    expect(withRules(attributes, undefined)).toBe(attributes);
    const calls: unknown[] = [];
    const same = { route: (value: unknown) => (calls.push(value), value as string), missing: (value: unknown) => (calls.push(value), 'x') };
    expect(withRules(attributes, same)).toBe(attributes);
    expect(calls).toStrictEqual(['/a']); // a rule runs only for a present key
    const upper = withRules(attributes, { route: (value) => String(value).toUpperCase() });
    expect(upper).toStrictEqual({ route: '/A', code: 200 });
    expect(attributes).toStrictEqual({ route: '/a', code: 200 });
    const dropped = withRules(attributes, { route: () => undefined, code: (value) => Number(value) + 1 });
    expect(dropped).toStrictEqual({ code: 201 });
    expect('route' in dropped).toBe(false);
  });

  it('the baseline processor keeps declared keys and applies the rules; the workspace processor adds the resolved label', () => {
    const rules = { route: (value: unknown) => (value === '/secret' ? undefined : String(value)) };
    expect(keyAllowlistProcessor(['route'], rules).process({ route: '/a', stray: 1 }, undefined as never)).toStrictEqual({ route: '/a' });
    expect(keyAllowlistProcessor(['route'], rules).process({ route: '/secret' }, undefined as never)).toStrictEqual({});
    expect(keyAllowlistProcessor(['route']).process({ route: '/secret' }, undefined as never)).toStrictEqual({ route: '/secret' });

    const policy = new WorkspacePolicy({ labelName: 'ws', allowlist: ['acme'] });
    const processor = workspaceStreamProcessor(['route'], policy, 'm_by_workspace_total', rules);
    expect(processor.process({ route: '/a', ws: 'acme', stray: 1 }, undefined as never)).toStrictEqual({ route: '/a', ws: 'acme' });
    expect(processor.process({ route: '/secret', ws: 'globex' }, undefined as never)).toStrictEqual({ ws: '__other__' });
    expect(policy.foldCounter('m_by_workspace_total').count).toBe(1);
    // Without a metric name, folds count in the policy's total only.
    workspaceStreamProcessor(['route'], policy).process({ route: '/a' }, undefined as never);
    expect(policy.folded).toBe(2);
    expect(policy.foldCounts().map((c) => [c.metric, c.count])).toStrictEqual([['m_by_workspace_total', 1]]);
  });
});

describe('views', () => {
  const counter: MetricDeclaration = { name: 'jobs.done', kind: 'counter', unit: '{job}', description: 'Jobs done.', labels: ['queue'], workspaceStream: true };
  const histogram: MetricDeclaration = {
    name: 'jobs.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Job duration.',
    labels: ['queue', 'route'],
    buckets: [1, 2],
    cardinalityLimit: 50,
  };
  const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [] });

  it('gives each declaration a baseline view, and a workspace view only when both the declaration and the policy have one', () => {
    const [base, ws, ...rest] = viewsFor(counter, { workspace: policy });
    expect(rest).toHaveLength(0);
    expect(base).toMatchObject({ instrumentName: 'jobs.done', name: 'jobs_done', aggregationCardinalityLimit: 1_000 });
    expect(base!.description).toBeUndefined();
    expect('aggregation' in base!).toBe(false);
    expect(ws).toMatchObject({
      instrumentName: 'jobs.done',
      name: 'jobs_done_by_workspace',
      description: 'Jobs done. Per workspace (allowlisted ids; others as __other__).',
      aggregationCardinalityLimit: 20_000,
    });
    expect('aggregation' in ws!).toBe(false);
    expect(viewsFor(counter, { workspace: undefined })).toHaveLength(1);
    expect(viewsFor(histogram, { workspace: policy })).toHaveLength(1);
    expect(buildViews([counter, histogram], { workspace: policy }).map((v) => v.name)).toStrictEqual(['jobs_done', 'jobs_done_by_workspace', 'jobs_duration_seconds']);
  });

  it('declares histograms with their own buckets (a copy) and min/max, and the declared limit', () => {
    const [view] = viewsFor(histogram, { workspace: undefined });
    expect(view!.aggregationCardinalityLimit).toBe(50);
    expect(view!.aggregation).toStrictEqual({ type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 2], recordMinMax: true } });
    const options = (view!.aggregation as { options: { boundaries: number[] } }).options;
    expect(options.boundaries).not.toBe(histogram.buckets);
    expect((viewsFor({ ...histogram, buckets: undefined }, { workspace: undefined })[0]!.aggregation as { options: { boundaries: number[] } }).options.boundaries).toStrictEqual([]);
  });

  it('applies only the value rules of declared keys, in the views’ processors', () => {
    const rule = (value: unknown) => `<${String(value)}>`;
    expect(rulesFor(counter, { workspace: undefined })).toBeUndefined();
    expect(rulesFor(counter, { workspace: undefined, values: { route: rule } })).toBeUndefined();
    expect(Object.keys(rulesFor(histogram, { workspace: undefined, values: { route: rule, other: rule } })!)).toStrictEqual(['route']);
    const [view] = viewsFor(histogram, { workspace: undefined, values: { route: rule } });
    expect(view!.attributesProcessors![0]!.process({ route: '/a', queue: 'q', x: 1 }, undefined as never)).toStrictEqual({ queue: 'q', route: '</a>' });
    const [, ws] = viewsFor(counter, { workspace: policy, values: { queue: rule } });
    expect(ws!.attributesProcessors![0]!.process({ queue: 'q' }, undefined as never)).toStrictEqual({ queue: '<q>', workspace_id: '__other__' });
    expect(policy.foldCounter('jobs_done_by_workspace_total').count).toBe(1);
  });
});

describe('policy edges (built inside each test, so mutation runs attribute them)', () => {
  it('a flat entry makes its team: an unlisted workspace of it keeps the team; a team/ws entry does not', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'eng/api'] });
    expect(policy.resolve('acme/billing')).toBe('acme/__other__');
    expect(policy.resolve('eng/web')).toBe('__other__');
    expect(policy.resolve('eng/api/__other__')).toBe('__other__');
  });

  it('samples an id exactly when its hash is below the threshold: an id whose hash is the threshold is not sampled', () => {
    const id = 'acme-sampled';
    const hash = sampleHash(id);
    const rate = hash / 2 ** 32; // threshold = ceil(rate · 2^32) = hash
    expect(sampleThreshold(rate)).toBe(hash);
    expect(isSampled(id, rate)).toBe(false);
    expect(isSampled(id, (hash + 1) / 2 ** 32)).toBe(true);
    expect(new WorkspacePolicy({ labelName: 'w', allowlist: [], sampleRate: rate }).resolve(id)).toBe('__other__');
    expect(new WorkspacePolicy({ labelName: 'w', allowlist: [], sampleRate: (hash + 1) / 2 ** 32 }).resolve(id)).toBe(id);
  });

  it('the value rules of a processor run only on keys present', () => {
    let calls = 0;
    const processor = keyAllowlistProcessor(['a', 'b'], {
      b: () => {
        calls++;
        return 'ruled';
      },
    });
    expect(processor.process({ a: 1 }, undefined as never)).toStrictEqual({ a: 1 });
    expect(calls).toBe(0);
    expect(processor.process({ a: 1, b: 'x' }, undefined as never)).toStrictEqual({ a: 1, b: 'ruled' });
  });
});

describe('the distinct sketch at its edges', () => {
  const ALPHA = 0.7213 / (1 + 1.079 / 1024);

  it('counts linearly only while the raw estimate is small: one zero register among large ones gives the raw estimate', () => {
    const sketch = new HyperLogLog();
    sketch.registers.fill(20);
    sketch.registers[0] = 0;
    const raw = (ALPHA * 1024 * 1024) / (1 + 1023 * 2 ** -20);
    expect(raw).toBeGreaterThan(2.5 * 1024);
    expect(raw).toBeLessThan(2 ** 32 / 30);
    expect(HyperLogLog.estimate(sketch)).toBe(Math.round(raw));
  });

  it('a read between one and two windows rotates to the window boundary, not to the read', () => {
    let now = 0;
    const ids = (prefix: number, n: number) => Array.from({ length: n }, (_, i) => ((prefix * 64 + i) << 22) >>> 0);
    const window = new WindowedDistinct(1_000, () => now);
    for (const hash of ids(0, 20)) window.addHash(hash);
    now = 1_500; // rotates; the window now started at 1,000
    expect(window.estimate()).toBe(20);
    for (const hash of ids(1, 5)) window.addHash(hash);
    now = 2_000; // a window since 1,000: rotates again, the 20 are gone
    expect(window.estimate()).toBe(5);
  });
});
