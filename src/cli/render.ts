/**
 * `otel-workspace-metrics render`: the allowlist the SDK policy would use
 * (METRICS_WORKSPACE_ALLOWLIST ∪ METRICS_WORKSPACE_ALLOWLIST_FILE), in the
 * form the collector config consumes: its transform stage reads the env
 * variable METRICS_WORKSPACE_ALLOWLIST, comma-separated canonical ids.
 *
 *   render                      METRICS_WORKSPACE_ALLOWLIST=a,b,c
 *   render --format list        a,b,c
 *   render --check FILE         exit 1 (and say what differs) unless FILE holds the same list
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllowlist, readConfig } from '../config/env';
import { sampleThresholdHex } from '../policy/workspace-policy';
import { canonicalEntries, splitAllowlistText } from '../policy/allowlist-sources';
import { EXIT, UsageError, type CliIo } from './io';

export const RENDER_USAGE = `usage: otel-workspace-metrics render [--format env|list] [--check FILE] [--output FILE]
                                     [--allowlist LIST] [--allowlist-file PATH]

Prints the effective workspace allowlist (METRICS_WORKSPACE_ALLOWLIST and the
file named by METRICS_WORKSPACE_ALLOWLIST_FILE, unioned, canonical, sorted)
for the collector, which reads the METRICS_WORKSPACE_ALLOWLIST variable.

  --format env        METRICS_WORKSPACE_ALLOWLIST=a,b,c   (default)
  --format list       a,b,c
  --check FILE        compare with FILE (an env file with a METRICS_WORKSPACE_ALLOWLIST=
                      line, or a bare list); exit 1 and list the differences if they differ
  --output FILE       write to FILE instead of standard output
  --allowlist LIST    use LIST instead of $METRICS_WORKSPACE_ALLOWLIST
  --allowlist-file P  use P instead of $METRICS_WORKSPACE_ALLOWLIST_FILE ('' for none)
`;

export const ALLOWLIST_VARIABLE = 'METRICS_WORKSPACE_ALLOWLIST';

export interface RenderedAllowlist {
  entries: string[];
  problems: string[];
}

/** The effective list from an env value and an optional file (canonical, de-duplicated, sorted). */
export function effectiveAllowlist(envValue: string | undefined, file: string | undefined): RenderedAllowlist {
  const problems: string[] = [];
  const union = new Set<string>(envValue === undefined ? [] : parseAllowlist(envValue, ALLOWLIST_VARIABLE, problems));
  if (file !== undefined && file !== '') {
    const text = readFileSync(file, 'utf8'); // a missing file is an error here: the CLI has no last good list
    const { entries, invalid } = canonicalEntries(splitAllowlistText(text));
    for (const entry of invalid) problems.push(`${file}: ${JSON.stringify(entry.slice(0, 40))} is not a canonical allowlist entry; skipped`);
    for (const entry of entries) union.add(entry);
  }
  return { entries: [...union].sort(), problems };
}

export function formatAllowlist(entries: readonly string[], format: 'env' | 'list'): string {
  const list = entries.join(',');
  return format === 'env' ? `${ALLOWLIST_VARIABLE}=${list}\n` : `${list}\n`;
}

/** The list a file holds: its last `METRICS_WORKSPACE_ALLOWLIST=` line (env file), or its whole text (bare list). */
export function allowlistInFile(text: string): { raw: string[]; fromVariable: boolean } {
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${ALLOWLIST_VARIABLE}\\s*=\\s*(.*?)\\s*$`);
  let value: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const match = pattern.exec(line);
    if (match) value = match[1]!;
  }
  if (value === undefined) return { raw: splitAllowlistText(text), fromVariable: false };
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return { raw: splitAllowlistText(quoted ? quoted[2]! : value), fromVariable: true };
}

export function runRender(argv: string[], io: CliIo): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        format: { type: 'string', default: 'env' },
        check: { type: 'string' },
        output: { type: 'string' },
        allowlist: { type: 'string' },
        'allowlist-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    io.stdout(RENDER_USAGE);
    return EXIT.ok;
  }
  const format = values.format;
  if (format !== 'env' && format !== 'list') throw new UsageError(`--format must be env or list, not ${JSON.stringify(format)}`);

  const envValue = values.allowlist ?? io.env[ALLOWLIST_VARIABLE];
  const file = values['allowlist-file'] ?? io.env.METRICS_WORKSPACE_ALLOWLIST_FILE?.trim();
  let rendered: RenderedAllowlist;
  try {
    rendered = effectiveAllowlist(envValue, file);
  } catch (error) {
    io.stderr(`render: cannot read the allowlist file ${JSON.stringify(file)}: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  for (const problem of rendered.problems) io.stderr(`render: warning: ${problem}\n`);
  // The collector's sampling threshold for the services' METRICS_WORKSPACE_SAMPLE_RATE (env format, only when sampling).
  const rate = readConfig(io.env).config.workspace.sampleRate;
  const output =
    formatAllowlist(rendered.entries, format) + (format === 'env' && rate > 0 ? `METRICS_WORKSPACE_SAMPLE_THRESHOLD=${sampleThresholdHex(rate) ?? 'g'}\n` : '');

  if (values.check !== undefined) return check(values.check, rendered.entries, io);
  if (values.output !== undefined) {
    writeFileSync(values.output, output);
    io.stderr(`render: wrote ${rendered.entries.length} entries to ${values.output}\n`);
  } else {
    io.stdout(output);
  }
  return EXIT.ok;
}

function check(path: string, expected: readonly string[], io: CliIo): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    io.stderr(`render --check: cannot read ${path}: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const { raw, fromVariable } = allowlistInFile(text);
  const { entries, invalid } = canonicalEntries(raw);
  const have = new Set(entries);
  const want = new Set(expected);
  const missing = expected.filter((entry) => !have.has(entry));
  const extra = entries.filter((entry) => !want.has(entry)).sort();
  if (missing.length === 0 && extra.length === 0 && invalid.length === 0) {
    io.stdout(`${path}: in sync (${expected.length} entries)\n`);
    return EXIT.ok;
  }
  io.stderr(`${path}: the collector's allowlist differs from the policy's\n`);
  if (missing.length > 0) io.stderr(`  missing from ${path} (${missing.length}): ${missing.join(', ')}\n`);
  if (extra.length > 0) io.stderr(`  only in ${path} (${extra.length}): ${extra.join(', ')}\n`);
  if (invalid.length > 0) io.stderr(`  not canonical in ${path} (${invalid.length}): ${invalid.map((v) => JSON.stringify(v.slice(0, 40))).join(', ')}\n`);
  io.stderr(`  regenerate it with: otel-workspace-metrics render${fromVariable ? '' : ' --format list'}\n`);
  return EXIT.failed;
}
