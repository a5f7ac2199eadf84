import { describe, expect, it } from 'vitest';
import { CANONICAL_WORKSPACE_PATTERN, HIERARCHICAL_WORKSPACE_PATTERN, OVERFLOW_VALUE, WORKSPACE_LABEL_VALUE_PATTERN, WorkspacePolicy, canonicalAllowlistEntry, canonicalWorkspaceId, canonicalWorkspacePath, isSampled } from '../../../src/exports/policy';

describe('canonicalWorkspacePath', () => {
  it.each([
    ['acme', 'acme'],
    ['  Team-Eng/Workspace-API ', 'team-eng/workspace-api'],
    ['a/b', 'a/b'],
    [`${'a'.repeat(64)}/${'b'.repeat(64)}`, `${'a'.repeat(64)}/${'b'.repeat(64)}`],
  ])('keeps %j as %j', (input, expected) => {
    expect(canonicalWorkspacePath(input)).toBe(expected);
  });

  it.each([
    ['a/b/c'],
    ['/b'],
    ['a/'],
    ['a//b'],
    ['a / b'],
    ['a/-b'],
    ['a/__other__'],
    ['__other__'],
    ['a/*'],
    [`${'a'.repeat(65)}/b`],
    [`a/${'b'.repeat(65)}`],
    ['a\\b'],
    [''],
    [7],
    [undefined],
  ])('rejects %j', (input) => {
    expect(canonicalWorkspacePath(input)).toBeUndefined();
  });

  it('leaves the single-part pattern (the collector) and canonicalWorkspaceId unchanged', () => {
    expect(CANONICAL_WORKSPACE_PATTERN).toBe('^[a-z0-9][a-z0-9._-]{0,63}$');
    expect(canonicalWorkspaceId('a/b')).toBeUndefined();
    expect(new RegExp(HIERARCHICAL_WORKSPACE_PATTERN).test('a/b')).toBe(true);
    expect(new RegExp(HIERARCHICAL_WORKSPACE_PATTERN).test('a/b/c')).toBe(false);
  });

  it('describes every value the policy can export', () => {
    const valuePattern = new RegExp(WORKSPACE_LABEL_VALUE_PATTERN);
    for (const value of ['acme', 'team/ws', OVERFLOW_VALUE, `team/${OVERFLOW_VALUE}`]) expect(valuePattern.test(value), value).toBe(true);
    for (const value of [`${OVERFLOW_VALUE}/x`, 'Team', 'a/b/c', '', 'team/*']) expect(valuePattern.test(value), value).toBe(false);
  });
});

describe('canonicalAllowlistEntry', () => {
  it.each([
    ['Acme', 'acme'],
    ['team/ws', 'team/ws'],
    [' Team/* ', 'team/*'],
  ])('accepts %j as %j', (input, expected) => {
    expect(canonicalAllowlistEntry(input)).toBe(expected);
  });
  it.each([['*'], ['/*'], ['team/*/x'], ['team/ws/*'], ['*/ws'], ['team/w*'], ['Bad Id!'], ['__other__']])('rejects %j', (input) => {
    expect(canonicalAllowlistEntry(input)).toBeUndefined();
  });
});

describe('WorkspacePolicy with hierarchical ids', () => {
  const policy = new WorkspacePolicy({
    labelName: 'workspace_id',
    allowlist: ['acme', 'eng/api', 'ops/*', 'Bad Id!'],
  });

  // [raw, exported]: the rules of docs/POLICY.md, in order.
  it.each([
    // 1. an exact entry (flat or team/ws) keeps the id
    ['acme', 'acme'],
    [' ACME ', 'acme'],
    ['eng/api', 'eng/api'],
    ['ENG/API', 'eng/api'],
    // 2. an unlisted workspace of an allowlisted team keeps its team: `team/*`, or a flat entry `team`
    ['ops/billing', `ops/${OVERFLOW_VALUE}`],
    ['acme/billing', `acme/${OVERFLOW_VALUE}`],
    // ...but `team/*` does not allowlist the flat id `ops`
    ['ops', OVERFLOW_VALUE],
    // an exact team/ws entry does not make its team allowlisted
    ['eng/web', OVERFLOW_VALUE],
    ['eng', OVERFLOW_VALUE],
    // 3. everything else folds into __other__
    ['initech', OVERFLOW_VALUE],
    ['initech/api', OVERFLOW_VALUE],
    ['ops/a/b', OVERFLOW_VALUE],
    ['ops/', OVERFLOW_VALUE],
    ['ops/*', OVERFLOW_VALUE],
    // the policy's own output maps to itself: `team/__other__` stays only while the team is allowlisted
    [`ops/${OVERFLOW_VALUE}`, `ops/${OVERFLOW_VALUE}`],
    [` OPS/${OVERFLOW_VALUE}`, `ops/${OVERFLOW_VALUE}`],
    [`eng/${OVERFLOW_VALUE}`, OVERFLOW_VALUE],
    [`zzz/${OVERFLOW_VALUE}`, OVERFLOW_VALUE],
    [OVERFLOW_VALUE, OVERFLOW_VALUE],
    [undefined, OVERFLOW_VALUE],
    ['', OVERFLOW_VALUE],
  ])('%j → %j', (raw, exported) => {
    expect(policy.resolve(raw)).toBe(exported);
  });

  it('is idempotent: resolving an exported value gives it back', () => {
    const sampling = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'eng/api', 'ops/*'], sampleRate: 0.3 });
    const raws = ['acme', 'eng/api', 'eng/x', 'ops/a', 'ops/b', 'x', 'Bad!', undefined, ...Array.from({ length: 200 }, (_, i) => `t${i % 4}/w${i}`)];
    for (const raw of raws) {
      const once = sampling.resolve(raw);
      expect(sampling.resolve(once), String(raw)).toBe(once);
    }
  });

  it('keeps the canonical entries only, sorted', () => {
    expect(policy.allowlist).toEqual(['acme', 'eng/api', 'ops/*']);
    expect(policy.allowlistSize).toBe(3);
  });

  it('samples over the whole canonical id, before the team fold', () => {
    const sampling = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['ops/*'], sampleRate: 0.2 });
    const ids = Array.from({ length: 500 }, (_, i) => `ops/ws-${i}`);
    const sampled = ids.filter((id) => isSampled(id, 0.2));
    expect(sampled.length).toBeGreaterThan(50);
    for (const id of ids) expect(sampling.resolve(id)).toBe(sampled.includes(id) ? id : `ops/${OVERFLOW_VALUE}`);
  });

  it('counts folds per stream counter, and in total', () => {
    const p = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'ops/*'] });
    const a = p.foldCounter('a_by_workspace_total');
    const b = p.foldCounter('b_by_workspace_seconds');
    expect(p.foldCounter('a_by_workspace_total')).toBe(a);
    p.resolve('acme', a);
    p.resolve('x', a);
    p.resolve('ops/x', a);
    p.resolve(undefined, b);
    expect(a.count).toBe(2);
    expect(b.count).toBe(1);
    expect(p.folded).toBe(3);
    expect(p.foldCounts().map((c) => [c.metric, c.count])).toEqual([
      ['a_by_workspace_total', 2],
      ['b_by_workspace_seconds', 1],
    ]);
  });

  it('estimates distinct unlisted canonical ids (invalid ones are not workspaces)', () => {
    const p = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme'] });
    for (let round = 0; round < 3; round++) for (let i = 0; i < 100; i++) p.resolve(`ws-${i}`);
    p.resolve('acme');
    p.resolve('Bad Id!');
    p.resolve(undefined);
    expect(p.unlistedEstimate()).toBeGreaterThanOrEqual(95);
    expect(p.unlistedEstimate()).toBeLessThanOrEqual(105);
  });
});
