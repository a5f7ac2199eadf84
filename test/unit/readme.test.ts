/** README stays true to the code: every variable documented, every name in its tables real. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_METRICS, prometheusNames } from '../../src/exports/catalogue';
import { CONFIG_VARIABLES } from '../../src/exports/config';
import { withReadmeCatalogue } from '../../src/cli/catalogue-doc';

const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('README', () => {
  it('documents every configuration variable the code reads', () => {
    for (const name of CONFIG_VARIABLES) expect(readme, name).toContain(`\`${name}\``);
  });

  it('gives commands that exist', () => {
    for (const match of readme.matchAll(/`npm (?:run )?([a-z:]+)`/g)) {
      const script = match[1]!;
      if (['ci', 'install'].includes(script)) continue;
      expect(pkg.scripts, script).toHaveProperty(script);
    }
    expect(readme).toContain('`npm ci && npm start`');
    expect(readme).toContain('`npm ci && npm test`');
  });

  it('holds the catalogue table exactly as generated from the declarations', () => {
    expect(readme, 'README.md is out of date: npm run catalogue:doc').toBe(withReadmeCatalogue(readme));
    for (const decl of BUILTIN_METRICS) for (const name of prometheusNames(decl, true)) expect(readme).toContain(`\`${name}\``);
  });
});
