/**
 * Renders the metric catalogue as markdown, from the declarations themselves,
 * so docs/CATALOGUE.md cannot drift: a unit test compares the file with this
 * output. Regenerate after changing a declaration:
 *
 *   npm run build && node dist/cli/catalogue-doc.js > docs/CATALOGUE.md
 */
import { BUILTIN_METRICS } from '../catalogue/index';
import {
  DURATION_BUCKETS_SECONDS,
  prometheusNames,
  prometheusType,
  unitSuffix,
  type MetricDeclaration,
} from '../model/types';

export const REGENERATE_COMMAND = 'npm run build && node dist/cli/catalogue-doc.js > docs/CATALOGUE.md';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return '`' + text + '`';
}

/** Label keys as Prometheus shows them: OTel attribute dots become underscores. */
function prometheusLabel(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function bucketsCell(decl: MetricDeclaration): string {
  if (decl.kind !== 'histogram') return '';
  const buckets = decl.buckets ?? [];
  if (sameNumbers(buckets, DURATION_BUCKETS_SECONDS)) return 'default seconds (0.005 … 300)';
  return buckets.join(', ');
}

function unitCell(decl: MetricDeclaration): string {
  const suffix = unitSuffix(decl.unit);
  return suffix === undefined ? code(decl.unit) : `${code(decl.unit)} (${suffix})`;
}

function instrumentCell(decl: MetricDeclaration): string {
  return decl.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** One row per declaration: Prometheus name(s), OTel instrument, type, unit, labels, workspace stream, buckets, description. */
export function renderCatalogueTable(decls: readonly MetricDeclaration[]): string {
  const lines = [
    '| Prometheus name(s) | OTel instrument | type | unit | labels | `_by_workspace` | buckets | description |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const decl of decls) {
    const names = prometheusNames(decl, true).map(code).join('<br>');
    const labels = decl.labels.length === 0 ? '—' : decl.labels.map((label) => code(prometheusLabel(label))).join(', ');
    lines.push(
      '| ' +
        [
          names,
          `${code(decl.name)} (${instrumentCell(decl)})`,
          prometheusType(decl),
          unitCell(decl),
          labels,
          decl.workspaceStream ? 'yes' : 'no',
          bucketsCell(decl),
          cell(decl.description),
        ].join(' | ') +
        ' |',
    );
  }
  return lines.join('\n');
}

/** The whole of docs/CATALOGUE.md. */
export function renderCatalogueMarkdown(decls: readonly MetricDeclaration[] = BUILTIN_METRICS): string {
  return `# Metric catalogue

<!-- GENERATED from the declarations in src/catalogue/*.ts by src/cli/catalogue-doc.ts. Do not edit by hand. -->
<!-- Regenerate: ${REGENERATE_COMMAND} -->

Every built-in metric, declared once in \`src/catalogue/\`. Names are those of the
embedded endpoint and of the collector's Prometheus exporter (both derive from the
same stream names). Histograms also expose \`_bucket\` (with \`le\`), \`_sum\` and
\`_count\`; the embedded endpoint adds an \`otel_scope_name\` label to every series.
Labels are shown as Prometheus keys (the OTel attribute \`http.route\` is \`http_route\`).
A \`_by_workspace\` stream exists only when \`METRICS_WORKSPACE_LABEL=on\`: it has
the same labels plus the workspace label (allowlisted ids, everything else folded
into \`__other__\`), so its sum over workspaces equals the baseline.

${renderCatalogueTable(decls)}

## Notes

- **Build and system info** is not a metric: the resource carries
  \`service.name\`, \`service.version\` (from the app's package.json unless
  \`OTEL_SERVICE_NAME\` / \`OTEL_RESOURCE_ATTRIBUTES\` say otherwise),
  \`service.instance.id\` and any \`deployment.environment\` given in
  \`OTEL_RESOURCE_ATTRIBUTES\`. Prometheus sees them as the labels of
  \`target_info\` (value 1); join on \`job\`/\`instance\` to attach them, e.g.
  \`sum by (service_version) (rate(action_executions_total[5m]) * on (job, instance) group_left (service_version) target_info)\`.
- **Current-value gauges** (\`cache_size\`, \`worker_active\`, \`worker_health\`,
  \`dead_letter_queue_size\`, \`message_bus_queue_depth\`, \`session_active\`,
  \`circuit_breaker_state\`) are observable gauges with two helpers each: a setter
  (\`setCacheSize({ cache, entries })\`, last value kept) and an observer
  (\`observeCacheSize({ cache }, () => lru.size)\`, read at collection time,
  returns an unsubscribe function). Use one style per series.
- **Ratios are computed in PromQL**, never exported: cache hit ratio is
  \`sum by (cache) (rate(cache_operations_total{result="hit"}[5m])) / sum by (cache) (rate(cache_operations_total{result=~"hit|miss"}[5m]))\`.
- **Circuit breaker state** is one series per state (\`closed\`, \`open\`,
  \`half_open\`), 1 for the current one; \`recordCircuitBreakerTransition\` counts
  the transition, counts a trip when the breaker opens, and sets the state.
- **HTTP body sizes** come from \`Content-Length\` (the request header; the
  response header, or the length Node computed for \`end(body)\`); chunked bodies
  of unknown size are not recorded, so their \`_count\` may be below the duration's.
- **Counts use annotation units** (\`{execution}\`), which add no suffix; no metric
  uses unit \`1\` (the collector would append \`_ratio\`).
- Your own families: see [CUSTOM-METRICS.md](CUSTOM-METRICS.md).
`;
}

export const README_START = '<!-- catalogue:start (generated by src/cli/catalogue-doc.ts; npm run catalogue:doc) -->';
export const README_END = '<!-- catalogue:end -->';

/** `readme` with the text between the catalogue markers replaced by the rendered table. */
export function withReadmeCatalogue(readme: string, decls: readonly MetricDeclaration[] = BUILTIN_METRICS): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error('README.md has no catalogue markers');
  return readme.slice(0, start + README_START.length) + '\n' + renderCatalogueTable(decls) + '\n' + readme.slice(end);
}

if (require.main === module) {
  // `catalogue-doc.js --readme README.md` rewrites README's table in place; otherwise print docs/CATALOGUE.md.
  const readmeIndex = process.argv.indexOf('--readme');
  if (readmeIndex > 0 && process.argv[readmeIndex + 1]) {
    const { readFileSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
    const path = process.argv[readmeIndex + 1]!;
    writeFileSync(path, withReadmeCatalogue(readFileSync(path, 'utf8')));
  } else {
    process.stdout.write(renderCatalogueMarkdown());
  }
}
