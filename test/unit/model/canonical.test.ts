import { describe, expect, it } from 'vitest';
import { canonicalWorkspaceId, OVERFLOW_VALUE, WorkspacePolicy, isSampled } from '../../../src/exports/policy';

describe('canonicalWorkspaceId', () => {
  it.each([
    ['acme', 'acme'],
    ['  ACME  ', 'acme'],
    ['ws-001', 'ws-001'],
    ['team.alpha_1', 'team.alpha_1'],
    ['a'.repeat(64), 'a'.repeat(64)],
  ])('keeps %j as %j', (input, expected) => {
    expect(canonicalWorkspaceId(input)).toBe(expected);
  });

  it.each([
    [''],
    ['   '],
    ['-leading-dash'],
    ['a'.repeat(65)],
    ['x'.repeat(10_000)],
    ['a",x="1'],
    ['line\nbreak'],
    ['tab\there'],
    ['café'],
    ['аcme'], // Cyrillic а: a confusable
    ['\u202Eacme'],
    ['\u212A8s'], // Kelvin sign: lower-cases to an ASCII k
    ['\u00A0acme'], // non-ASCII whitespace is not trimmed (the collector trims ASCII only)
    ['nul\u0000'],
    ['a/b'],
    ['back\\slash'],
    [42],
    [null],
    [undefined],
    [{ toString: () => 'acme' }],
    [['acme']],
  ])('rejects %j', (input) => {
    expect(canonicalWorkspaceId(input)).toBeUndefined();
  });
});

describe('WorkspacePolicy', () => {
  const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'globex'] });

  it('keeps allowlisted ids in canonical form and folds everything else', () => {
    expect(policy.resolve('acme')).toBe('acme');
    expect(policy.resolve(' GLOBEX ')).toBe('globex');
    expect(policy.resolve('initech')).toBe(OVERFLOW_VALUE);
    expect(policy.resolve('')).toBe(OVERFLOW_VALUE);
    expect(policy.resolve(undefined)).toBe(OVERFLOW_VALUE);
    expect(policy.resolve(7)).toBe(OVERFLOW_VALUE);
    expect(policy.resolve('acme",evil="1')).toBe(OVERFLOW_VALUE);
  });

  it('swaps the allowlist atomically', () => {
    const p = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['a1'] });
    expect(p.resolve('b2')).toBe(OVERFLOW_VALUE);
    p.setAllowlist(['b2']);
    expect(p.resolve('b2')).toBe('b2');
    expect(p.resolve('a1')).toBe(OVERFLOW_VALUE);
  });

  it('passes raw values through only in passthrough mode', () => {
    const p = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [], mode: 'passthrough' });
    expect(p.resolve('Raw Value')).toBe('Raw Value');
  });

  it('samples deterministically at roughly the configured rate', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `ws-${i}`);
    const first = ids.filter((id) => isSampled(id, 0.1));
    const second = ids.filter((id) => isSampled(id, 0.1));
    expect(first).toEqual(second);
    expect(first.length).toBeGreaterThan(850);
    expect(first.length).toBeLessThan(1150);
    expect(ids.filter((id) => isSampled(id, 0)).length).toBe(0);
    expect(ids.filter((id) => isSampled(id, 1)).length).toBe(ids.length);
    const sampling = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['keep-me'], sampleRate: 0.1 });
    expect(sampling.resolve('keep-me')).toBe('keep-me');
    for (const id of first.slice(0, 50)) expect(sampling.resolve(id)).toBe(id);
  });
});
