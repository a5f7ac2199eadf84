/**
 * docs/CATALOGUE.md is generated from the declarations and must equal the
 * rendered output exactly: editing a declaration without regenerating fails
 * here. Regenerate with REGENERATE_COMMAND (or UPDATE_CATALOGUE=1 on this test).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_METRICS, prometheusNames } from '../../../src/exports/catalogue';
import { REGENERATE_COMMAND, renderCatalogueMarkdown, renderCatalogueTable } from '../../../src/cli/catalogue-doc';
import type { MetricDeclaration } from '../../../src/model/types';

const DOC = join(__dirname, '../../../docs/CATALOGUE.md');

describe('docs/CATALOGUE.md', () => {
  it('equals the catalogue rendered from the declarations', () => {
    const rendered = renderCatalogueMarkdown(BUILTIN_METRICS);
    if (process.env.UPDATE_CATALOGUE === '1') writeFileSync(DOC, rendered);
    let current = '';
    try {
      current = readFileSync(DOC, 'utf8');
    } catch {
      // compared below, with the regeneration hint
    }
    if (current !== rendered) {
      expect.fail(
        `docs/CATALOGUE.md is out of date with src/catalogue/*.ts. Regenerate it:\n  ${REGENERATE_COMMAND}\n` +
          `or: UPDATE_CATALOGUE=1 node_modules/.bin/vitest run test/unit/cli/catalogue-doc.test.ts`,
      );
    }
  });

  it('lists every built-in declaration with all its Prometheus names', () => {
    const doc = renderCatalogueMarkdown(BUILTIN_METRICS);
    for (const decl of BUILTIN_METRICS) {
      expect(doc).toContain(`\`${decl.name}\``);
      for (const name of prometheusNames(decl, true)) expect(doc).toContain(`\`${name}\``);
    }
  });
});

describe('renderCatalogueTable', () => {
  const decl: MetricDeclaration = {
    name: 'demo.widgets',
    kind: 'counter',
    unit: '{widget}',
    description: 'Widgets | made\nhere.',
    labels: ['shape'],
    workspaceStream: true,
  };

  it('renders one escaped row per declaration', () => {
    const table = renderCatalogueTable([decl, { ...decl, name: 'demo.size', kind: 'histogram', unit: 'By', buckets: [1, 10], workspaceStream: false, labels: [] }]);
    expect(table.split('\n')).toEqual([
      '| Prometheus name(s) | OTel instrument | type | unit | labels | `_by_workspace` | buckets | description |',
      '|---|---|---|---|---|---|---|---|',
      '| `demo_widgets_total`<br>`demo_widgets_by_workspace_total` | `demo.widgets` (counter) | counter | `{widget}` | `shape` | yes |  | Widgets \\| made here. |',
      '| `demo_size_bytes` | `demo.size` (histogram) | histogram | `By` (bytes) | — | no | 1, 10 | Widgets \\| made here. |',
    ]);
  });
});
