/**
 * The package's public surface, as an application loads it: the root exports
 * only what application code needs (counted exactly, so growing it is a
 * deliberate change), and every subpath export loads from CommonJS and from
 * ESM with the same names its TypeScript entry declares, and has types.
 * Loads dist/ through the package's own name (`npm test` builds first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as root from '../../../src/index';
import * as catalogue from '../../../src/exports/catalogue';
import * as policy from '../../../src/exports/policy';
import * as config from '../../../src/exports/config';
import * as postgres from '../../../src/exports/postgres';
import * as ops from '../../../src/exports/ops';
import * as testing from '../../../src/exports/testing';
import * as sdk from '../../../src/exports/sdk';
import * as queues from '../../../src/exports/queues';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };

/** Runtime names of each entry, as the TypeScript sources declare them. */
const SOURCES: Record<string, object> = {
  '.': root,
  './catalogue': catalogue,
  './policy': policy,
  './config': config,
  './postgres': postgres,
  './ops': ops,
  './testing': testing,
  './sdk': sdk,
  './queues': queues,
};

/** The application-facing root: start/shutdown, recording helpers, custom metrics, route and workspace tagging. */
const ROOT_RUNTIME_EXPORTS = 58;

function names(module: object): string[] {
  return Object.keys(module).filter((name) => name !== 'default' && name !== 'module.exports' && name !== '__esModule').sort();
}

function specifier(subpath: string): string {
  return subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
}

function loadNames(subpath: string, kind: 'cjs' | 'esm'): string[] {
  const code =
    kind === 'cjs'
      ? `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier(subpath))}))))`
      : `const m = await import(${JSON.stringify(specifier(subpath))}); console.log(JSON.stringify(Object.keys(m)))`;
  const args = kind === 'cjs' ? ['-e', code] : ['--input-type=module', '-e', code];
  const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  return names(Object.fromEntries((JSON.parse(out) as string[]).map((name) => [name, true])));
}

describe('public API', () => {
  it(`the root exports exactly ${ROOT_RUNTIME_EXPORTS} runtime names, none of them internals`, () => {
    const rootNames = names(root);
    console.log(`root runtime exports: ${rootNames.length}`);
    expect(rootNames).toHaveLength(ROOT_RUNTIME_EXPORTS);
    expect(rootNames).toEqual(expect.arrayContaining(['start', 'shutdown', 'declareMetrics', 'setHttpRoute', 'withWorkspace', 'recordActionExecution']));
    for (const internal of ['buildViews', 'sampleHash', 'renderCatalogueMarkdown', 'BUILTIN_METRICS', 'actionExecutions', 'WorkspacePolicy', 'readConfig', 'startQueueHealthCollector']) {
      expect(rootNames).not.toContain(internal);
    }
  });

  it('every entry point of package.json is one of the tested ones, with its declaration file', () => {
    const entries = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json' && subpath !== './register');
    expect(entries.sort()).toEqual(Object.keys(SOURCES).sort());
    for (const subpath of entries) {
      const target = pkg.exports[subpath] as { types: string; default: string };
      expect(existsSync(join(ROOT, target.types)), `${subpath} types`).toBe(true);
      expect(existsSync(join(ROOT, target.default)), `${subpath} code`).toBe(true);
    }
  });

  for (const [subpath, source] of Object.entries(SOURCES)) {
    it(`'${specifier(subpath)}' loads from CommonJS and ESM with the names of its entry`, () => {
      const expected = names(source);
      expect(expected.length).toBeGreaterThan(0);
      expect(loadNames(subpath, 'cjs')).toEqual(expected);
      expect(loadNames(subpath, 'esm')).toEqual(expected);
    });
  }
});
