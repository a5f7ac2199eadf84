/**
 * Deterministic sampling, and its exact reproduction in the collector: the
 * expected hex strings below were produced by the collector build of this
 * repo (otelcol-workspace, contrib v0.161.0) with the OTTL statement
 * `set(datapoint.attributes["h"], Murmur3Hash(datapoint.attributes["workspace_id"]))`.
 */
import { describe, expect, it } from 'vitest';
import { WorkspacePolicy, isSampled, sampleHash, sampleThreshold, sampleThresholdHex } from '../../../src/exports/policy';
import { murmur3x86_32 } from '../../../src/policy/workspace-policy';

describe('sampling hash', () => {
  it('is MurmurHash3 x86 32 (seed 0), as published', () => {
    expect(murmur3x86_32('')).toBe(0);
    expect(murmur3x86_32('a')).toBe(0x3c2569b2);
    expect(murmur3x86_32('hello')).toBe(0x248bfa47);
    expect(murmur3x86_32('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it.each([
    ['acme', 'd02c39a4'],
    ['ws-1', '4cdb755c'],
    ['team-eng/workspace-api', '8b5ae4d5'],
    ['a', 'b269253c'],
  ])("equals the collector's OTTL Murmur3Hash(%j) = %s", (id, ottl) => {
    expect(sampleHash(id).toString(16).padStart(8, '0')).toBe(ottl);
  });

  it('decides hash / 2^32 < rate, and the hex threshold orders the same way as strings', () => {
    expect(sampleThreshold(0)).toBe(0);
    expect(sampleThreshold(1)).toBe(2 ** 32);
    expect(sampleThreshold(0.5)).toBe(2 ** 31);
    expect(sampleThresholdHex(0.5)).toBe('80000000');
    expect(sampleThresholdHex(0.1)).toBe('1999999a');
    expect(sampleThresholdHex(0)).toBe('00000000');
    expect(sampleThresholdHex(1)).toBeUndefined();
    for (const rate of [0.001, 0.1, 0.25, 0.5, 0.9]) {
      const hex = sampleThresholdHex(rate)!;
      for (let i = 0; i < 2_000; i++) {
        const id = `ws-${i}`;
        const hash = sampleHash(id);
        const ottlDecision = hash.toString(16).padStart(8, '0') < hex; // Go compares strings bytewise, like this
        expect(isSampled(id, rate), `${id} @ ${rate}`).toBe(ottlDecision);
        expect(isSampled(id, rate)).toBe(hash / 2 ** 32 < rate);
      }
    }
  });

  it('samples a stable, nested fraction', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `tenant-${i}`);
    const at10 = ids.filter((id) => isSampled(id, 0.1));
    const at20 = new Set(ids.filter((id) => isSampled(id, 0.2)));
    expect(at10.length).toBeGreaterThan(1_800);
    expect(at10.length).toBeLessThan(2_200);
    // Raising the rate only adds workspaces: none of the 10% loses its label.
    for (const id of at10) expect(at20.has(id)).toBe(true);
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [], sampleRate: 0.1 });
    for (const id of ids.slice(0, 2_000)) expect(policy.resolve(id)).toBe(isSampled(id, 0.1) ? id : '__other__');
  });
});
