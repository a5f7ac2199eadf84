/**
 * `otel-workspace-metrics ops generate`: renders the Prometheus rules,
 * alerts, promtool tests, scrape config and Grafana dashboards from the
 * catalogue, with the options of a config file (JSON or YAML, validated;
 * see OpsOptions in src/ops/options.ts).
 *
 *   ops generate                              the defaults, into the current directory
 *   ops generate --config ops.yaml --out DIR  your thresholds, selectors, label, dashboards, families
 *   ops generate --check                      exit 1 when the files under --out differ from generation
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOpsConfig, opsOptions } from '../ops/options';
import { renderArtifacts, staleArtifacts, writeArtifacts } from '../ops/generate';
import { declaredMetrics } from '../ops/custom';
import { EXIT, UsageError, type CliIo } from './io';

export const OPS_USAGE = `usage: otel-workspace-metrics ops generate [--config FILE] [--require MODULE]... [--out DIR] [--check]

Renders prometheus/ (scrape config, recording rules, alerts, promtool tests)
and grafana/ (dashboards, provisioning) from the metric catalogue.

  --config FILE   JSON or YAML options: workspaceLabel, runbookUrl, jobs, thresholds,
                  selectors, dashboards, metrics (your own families); validated
  --require MODULE  load MODULE first (repeatable): the families it passes to
                  declareMetrics get rules, alerts and panels too
  --out DIR       where prometheus/ and grafana/ go (default: the current directory)
  --check         write nothing; exit 1 and list the files under DIR that differ
`;

export function runOps(argv: string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        require: { type: 'string', multiple: true, default: [] },
        out: { type: 'string', default: '.' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(OPS_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1 || positionals[0] !== 'generate') {
    throw new UsageError(positionals.length === 0 ? 'missing subcommand (generate)' : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`);
  }
  let options;
  try {
    const before = new Set(declaredMetrics().map((decl) => decl.name));
    for (const module of values.require) require(resolve(module));
    const base = values.config === undefined ? opsOptions() : loadOpsConfig(values.config);
    // the families the --require modules declared (not the config's, not earlier ones)
    const declared = declaredMetrics().filter((decl) => !before.has(decl.name) && !base.metrics.some((m) => m.name === decl.name));
    options = declared.length === 0 ? base : { ...base, metrics: [...base.metrics, ...declared] };
  } catch (error) {
    io.stderr(`ops generate: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const out = resolve(values.out);
  const files = renderArtifacts(options);
  if (values.check) {
    const stale = staleArtifacts(out, files);
    if (stale.length === 0) {
      io.stdout(`ops generate --check: ${files.size} files up to date in ${out}\n`);
      return EXIT.ok;
    }
    io.stderr(`ops generate --check: ${stale.length} of ${files.size} files differ from generation:\n${stale.map((p) => `  ${p}\n`).join('')}`);
    return EXIT.failed;
  }
  for (const path of writeArtifacts(out, files)) io.stdout(`wrote ${path}\n`);
  return EXIT.ok;
}
