/**
 * Hostile input, in process (issue 7): property-based checks of the pieces
 * every recording goes through (status, bounded free-form labels, canonical
 * ids, the workspace policy), then the typed helpers end to end into an
 * in-memory reader, on both recording paths: no input ever throws into the
 * caller, and every exported attribute value is a plain, well-formed string
 * (anything else crashes or corrupts the Prometheus serializer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedLabel, STATUSES, recordActionExecution, recordQueueJob, status, type Kit } from '../../../src/index';
import { WorkspacePolicy, canonicalWorkspacePath, HIERARCHICAL_WORKSPACE_PATTERN, WORKSPACE_LABEL_VALUE_PATTERN } from '../../../src/exports/policy';
import { startInMemory } from '../../helpers/in-memory';

const FREE_FORM = /^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,127}$/;
/** Keys every plain object "has" through Object.prototype. */
const PROTOTYPE_KEYS = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__'];
const NUM_RUNS = 2_000;

const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(...PROTOTYPE_KEYS, 'a",x="1', 'line\nbreak', '\u0000', '\u202Eevil', '\u212Aacme', '\uD800', 'x'.repeat(10_000), ' WS-1 ', '__other__'),
);
const anyValue = fc.oneof(
  hostileString,
  fc.anything({ maxDepth: 2, withBigInt: true, withNullPrototype: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
  fc.double(),
  fc.string().map((s) => Symbol(s)),
  fc.constantFrom(null, undefined, NaN, Infinity, -Infinity, -0, ''),
);

const isWellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

describe('the building blocks, for any input', () => {
  it('status() returns a known status or undefined, never something inherited from Object.prototype', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.constantFrom(...PROTOTYPE_KEYS)), (value) => {
        const result = status(value);
        return result === undefined || (STATUSES as readonly string[]).includes(result);
      }),
      { numRuns: NUM_RUNS },
    );
    for (const key of PROTOTYPE_KEYS) expect(status(key), key).toBeUndefined();
  });

  it('BoundedLabel.value() returns undefined (missing), __other__ or a bounded-pattern string, within its cap, and never throws', () => {
    const label = new BoundedLabel(50);
    const seen = new Set<string>();
    fc.assert(
      fc.property(anyValue, (value) => {
        const result = label.value(value);
        if (result === undefined) return value === undefined || value === null || value === '';
        seen.add(result);
        return result === '__other__' || FREE_FORM.test(result);
      }),
      { numRuns: NUM_RUNS },
    );
    expect(seen.size).toBeLessThanOrEqual(51);
  });

  it('canonicalWorkspacePath() returns undefined or a canonical (ASCII, pattern-matching) id, and never throws', () => {
    const pattern = new RegExp(HIERARCHICAL_WORKSPACE_PATTERN);
    fc.assert(
      fc.property(anyValue, (value) => {
        const result = canonicalWorkspacePath(value);
        return result === undefined || (pattern.test(result) && /^[\x20-\x7e]*$/.test(result));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('WorkspacePolicy.resolve() (enforce) returns only allowlisted ids or overflow values', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['ws-1', 'acme', 'team-a/*', 'team-b/x'] });
    const allowed = new Set(['ws-1', 'acme', 'team-b/x', '__other__', 'ws-1/__other__', 'acme/__other__', 'team-a/__other__', 'team-b/__other__']);
    const pattern = new RegExp(WORKSPACE_LABEL_VALUE_PATTERN);
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.constantFrom('WS-1', ' acme ', 'team-a/q', 'team-b/x', 'TEAM-B/X ')), (value) => {
        const result = policy.resolve(value);
        return allowed.has(result) && pattern.test(result);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('WorkspacePolicy.resolve() (passthrough) returns a well-formed string for any string (lone surrogates would collide on the wire)', () => {
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [], mode: 'passthrough' });
    fc.assert(
      fc.property(hostileString, (value) => {
        const result = policy.resolve(value);
        return typeof result === 'string' && isWellFormed(result);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

const recordInput = (kind: 'action' | 'queue') => {
  const field = (valid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 2, arbitrary: anyValue }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) });
  const common = {
    status: field(fc.constantFrom(...STATUSES, 'success', 'FAILURE')),
    durationSeconds: field(fc.double({ min: 0, max: 100, noNaN: true })),
    workspaceId: field(fc.constantFrom('ws-1', 'acme', 'team-a/x')),
  };
  return kind === 'action'
    ? fc.record({ provider: field(fc.constantFrom('google', 'slack')), action: field(fc.constantFrom('gmail.send', 'chat.post')), ...common }, { requiredKeys: [] })
    : fc.record({ jobType: field(fc.constantFrom('email', 'sync')), ...common }, { requiredKeys: [] });
};

describe.each(['fast', 'views'] as const)('the typed helpers end to end (METRICS_RECORDING_PATH=%s)', (path) => {
  let collect: () => Promise<Map<string, import('@opentelemetry/sdk-metrics').MetricData>>;
  let kit: Kit;

  beforeAll(() => {
    const started = startInMemory({
      METRICS_RECORDING_PATH: path,
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: 'ws-1,acme,team-a/*',
    });
    kit = started.kit;
    collect = started.collect;
  });
  afterAll(async () => {
    await kit?.shutdown();
  });

  it('never throws into the caller, and exports only well-formed string attribute values', async () => {
    let thrown = 0;
    let calls = 0;
    const inputs = fc.sample(
      fc.oneof(
        { weight: 10, arbitrary: fc.tuple(fc.constant('action' as const), recordInput('action')) },
        { weight: 10, arbitrary: fc.tuple(fc.constant('queue' as const), recordInput('queue')) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('action' as const, 'queue' as const), anyValue) },
      ),
      { seed: 4242, numRuns: 5_000 },
    );
    for (const [kind, input] of inputs) {
      calls++;
      try {
        if (kind === 'action') recordActionExecution(input as never);
        else recordQueueJob(input as never);
      } catch {
        thrown++;
      }
    }
    // and the explicit ones
    for (const key of PROTOTYPE_KEYS) {
      recordActionExecution({ provider: 'google', action: 'gmail.send', status: key as never, durationSeconds: 1, workspaceId: 'ws-1' });
      recordQueueJob({ jobType: 'email', status: key as never, durationSeconds: 1, workspaceId: 'ws-1' });
      calls += 2;
    }
    const metrics = await collect();
    const bad: string[] = [];
    let points = 0;
    for (const [name, metric] of metrics) {
      for (const point of metric.dataPoints) {
        points++;
        for (const [key, value] of Object.entries(point.attributes)) {
          if (typeof value !== 'string' || !isWellFormed(value)) bad.push(`${name} ${key}=${typeof value}:${String(value).slice(0, 40)}`);
        }
      }
    }
    console.log(`typed helpers (${path}): ${calls} calls, ${thrown} thrown, ${points} exported points, ${bad.length} non-string attribute values`);
    expect(thrown).toBe(0);
    expect(points).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });
});
