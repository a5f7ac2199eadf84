/**
 * One copy of each @opentelemetry/* package (what `npm ls` shows): two
 * copies of the API or of sdk-metrics split the global MeterProvider and the
 * views from the instruments. The lockfile is what `npm ci` installs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; link?: boolean }> };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('dependencies', () => {
  it('installs exactly one version of each @opentelemetry/* package', () => {
    const versions = new Map<string, Set<string>>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      const match = /(?:^|\/)node_modules\/(@opentelemetry\/[^/]+)$/.exec(path);
      if (match === null || entry.version === undefined) continue;
      const name = match[1]!;
      if (!versions.has(name)) versions.set(name, new Set());
      versions.get(name)!.add(entry.version);
    }
    expect(versions.size).toBeGreaterThan(10);
    const duplicated = [...versions].filter(([, set]) => set.size > 1).map(([name, set]) => `${name}: ${[...set].join(', ')}`);
    expect(duplicated).toEqual([]);
  });

  it('takes @opentelemetry/api as a caret-range peer (one copy, the app\'s), and tests with a pinned copy', () => {
    expect(pkg.dependencies['@opentelemetry/api']).toBeUndefined();
    expect(pkg.peerDependencies['@opentelemetry/api']).toMatch(/^\^1\.\d+\.\d+$/);
    expect(pkg.devDependencies['@opentelemetry/api']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
