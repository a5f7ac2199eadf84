import { describe, expect, it } from 'vitest';
import { HyperLogLog, WindowedDistinct, mix32 } from '../../../src/policy/distinct-sketch';
import { fnv1a32, WorkspacePolicy } from '../../../src/policy/workspace-policy';

const hashOf = (id: string): number => mix32(fnv1a32(id));

describe('HyperLogLog', () => {
  it.each([0, 1, 10, 100, 1_000, 10_000, 200_000])('estimates %i distinct ids within 10 percent (or 2)', (n) => {
    const sketch = new HyperLogLog();
    for (let repeat = 0; repeat < 2; repeat++) for (let i = 0; i < n; i++) sketch.addHash(hashOf(`workspace-${i}`));
    const estimate = HyperLogLog.estimate(sketch);
    expect(Math.abs(estimate - n)).toBeLessThanOrEqual(Math.max(2, n * 0.1));
  });

  it('estimates the union of two sketches', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 5_000; i++) a.addHash(hashOf(`ws-${i}`));
    for (let i = 2_500; i < 7_500; i++) b.addHash(hashOf(`ws-${i}`));
    expect(Math.abs(HyperLogLog.estimate(a, b) - 7_500)).toBeLessThan(750);
  });

  it('stays at a fixed size', () => {
    expect(new HyperLogLog().registers.byteLength).toBe(1024);
  });
});

describe('WindowedDistinct', () => {
  it('covers the current and the previous window, then forgets', () => {
    let now = 1_000_000;
    const window = new WindowedDistinct(60_000, () => now);
    for (let i = 0; i < 50; i++) window.addHash(hashOf(`a-${i}`));
    expect(Math.abs(window.estimate() - 50)).toBeLessThanOrEqual(2);
    now += 60_000; // a collection reads the estimate: rotation, the 50 move to the previous window
    expect(Math.abs(window.estimate() - 50)).toBeLessThanOrEqual(2);
    for (let i = 0; i < 30; i++) window.addHash(hashOf(`b-${i}`));
    expect(Math.abs(window.estimate() - 80)).toBeLessThanOrEqual(3);
    now += 60_000; // the a-* window is dropped
    expect(Math.abs(window.estimate() - 30)).toBeLessThanOrEqual(1);
    now += 60_000;
    expect(window.estimate()).toBe(0);
  });

  it('after a long unread gap keeps what was added as one window, never counts it twice', () => {
    let now = 0;
    const window = new WindowedDistinct(1_000, () => now);
    for (let i = 0; i < 20; i++) window.addHash(hashOf(`x-${i}`));
    now = 10_000;
    expect(window.estimate()).toBe(20);
    now = 11_000;
    expect(window.estimate()).toBe(0);
  });

  it("is the policy's unlisted estimate window", () => {
    let now = 0;
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [], unlistedWindowMillis: 1_000, now: () => now });
    for (let i = 0; i < 10; i++) policy.resolve(`ws-${i}`);
    expect(policy.unlistedEstimate()).toBe(10);
    now = 2_500; // a collection reads the estimate (and rotates) about once per window
    expect(policy.unlistedEstimate()).toBe(10);
    for (let i = 0; i < 3; i++) policy.resolve(`ws-${i}`);
    now = 3_600;
    expect(policy.unlistedEstimate()).toBe(3);
  });
});
