/**
 * `otel-workspace-metrics audit <url|file|->`: a cardinality audit of any
 * Prometheus text exposition (ours, or any exporter's). Per metric family:
 * series count, label keys, the top label values by series, and the labels
 * that look unbounded. Readable table by default, `--json` for machines.
 *
 * "Looks unbounded" heuristics (per label key; `le` and `quantile` excluded):
 *   - id-shaped values: at least 3 distinct values and at least half of them
 *     look like one kind of id (uuid, ulid, email, hex hash ≥ 16, numeric id
 *     ≥ 5 digits, IP address, URL/path with an id segment, timestamp);
 *   - near-unique: at least 20 distinct values and at least one distinct
 *     value per two label sets of the family (a per-request/per-user label);
 *   - many values: at least 100 distinct values, whatever they look like.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseExposition, parseSampleLine, type Family } from '../exposition/parse';
import { EXIT, UsageError, type CliIo } from './io';

export const AUDIT_USAGE = `usage: otel-workspace-metrics audit <url|file|-> [--json] [--top N] [--flagged] [--fail-on-unbounded]
                                                [--timeout SECONDS]

Reads a Prometheus text exposition (an http(s) URL such as
http://127.0.0.1:9464/metrics, a file, or - for standard input) and prints,
per metric family (most series first): type, series, label sets, label keys
with their distinct values, the top values by series, and the labels that
look unbounded (id-shaped values, near-unique per series, or very many values).

  --json            machine-readable report
  --top N           top values shown per label (default 5)
  --flagged         only families with a label that looks unbounded
  --fail-on-unbounded  exit 1 when a label looks unbounded (for CI)
  --timeout S       HTTP timeout in seconds (default 10)
`;

/** Labels that are bounded by construction (bucket bounds, quantiles). */
const STRUCTURAL_LABELS = new Set(['le', 'quantile']);

export const THRESHOLDS = {
  /** Id-shaped values flag a label from this many distinct values. */
  shapeMinDistinct: 3,
  /** ...when at least this fraction of its distinct values have one shape. */
  shapeMinFraction: 0.5,
  /** Near-unique: from this many distinct values... */
  uniqueMinDistinct: 20,
  /** ...and at least this many distinct values per label set. */
  uniqueMinRatio: 0.5,
  /** Many values, whatever they look like. */
  manyValues: 100,
} as const;

const SHAPES: readonly { name: string; test: (value: string) => boolean }[] = [
  { name: 'uuids', test: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v) },
  { name: 'ulids', test: (v) => /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i.test(v) && /\d/.test(v) },
  { name: 'emails', test: (v) => /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(v) },
  { name: 'hex hashes', test: (v) => /^(?:(?:sha\d*|md5):)?[0-9a-f]{16,}$/i.test(v) },
  { name: 'numeric ids', test: (v) => /^\d{5,}$/.test(v) },
  { name: 'IP addresses', test: (v) => /^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$/.test(v) || /^\[?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\]?(?::\d+)?$/i.test(v) },
  {
    name: 'timestamps',
    test: (v) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v),
  },
  {
    name: 'URLs or paths with ids',
    test: (v) =>
      (v.startsWith('/') || v.includes('://')) &&
      v.split(/[/?&=]/).some((segment) => /^\d{2,}$/.test(segment) || /^[0-9a-f-]{16,}$/i.test(segment)),
  },
];

export interface LabelReport {
  name: string;
  /** Distinct values among the family's series. */
  distinct: number;
  /** Most frequent values, by number of series carrying them. */
  top: { value: string; series: number }[];
  unbounded: boolean;
  reasons: string[];
}

export interface FamilyReport {
  name: string;
  type: string;
  help: string;
  /** Samples, i.e. series Prometheus stores (each histogram bucket is one). */
  series: number;
  /** Distinct label sets without `le`/`quantile` (a histogram's buckets count once). */
  labelSets: number;
  labels: LabelReport[];
  unbounded: boolean;
}

export interface AuditReport {
  source: string;
  families: FamilyReport[];
  totals: { families: number; series: number; flaggedFamilies: number; flaggedLabels: number; skippedLines: number };
}

/** The shape most of `values` have, when at least `minFraction` of them have it. */
function dominantShape(values: readonly string[], minFraction: number): string | undefined {
  for (const shape of SHAPES) {
    let matched = 0;
    for (const value of values) if (shape.test(value)) matched++;
    if (matched > 0 && matched >= minFraction * values.length) return shape.name;
  }
  return undefined;
}

export function auditFamily(family: Family, top = 5): FamilyReport {
  const labelSets = new Set<string>();
  const perKey = new Map<string, Map<string, number>>();
  const setsPerKey = new Map<string, Set<string>>();
  for (const sample of family.samples) {
    const keys = Object.keys(sample.labels)
      .filter((key) => !STRUCTURAL_LABELS.has(key))
      .sort();
    const setKey = JSON.stringify(keys.map((key) => [key, sample.labels[key]]));
    labelSets.add(setKey);
    for (const key of keys) {
      const value = sample.labels[key]!;
      let counts = perKey.get(key);
      if (counts === undefined) perKey.set(key, (counts = new Map()));
      counts.set(value, (counts.get(value) ?? 0) + 1);
      let sets = setsPerKey.get(key);
      if (sets === undefined) setsPerKey.set(key, (sets = new Set()));
      sets.add(setKey);
    }
  }
  const labels: LabelReport[] = [...perKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, counts]) => {
      const values = [...counts.keys()];
      const distinct = values.length;
      const reasons: string[] = [];
      const shape = distinct >= THRESHOLDS.shapeMinDistinct ? dominantShape(values, THRESHOLDS.shapeMinFraction) : undefined;
      if (shape !== undefined) reasons.push(`values look like ${shape}`);
      const sets = setsPerKey.get(name)!.size;
      if (distinct >= THRESHOLDS.uniqueMinDistinct && distinct >= THRESHOLDS.uniqueMinRatio * sets) {
        reasons.push(`${distinct} distinct values in ${sets} label sets`);
      } else if (distinct >= THRESHOLDS.manyValues) {
        reasons.push(`${distinct} distinct values`);
      }
      const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return {
        name,
        distinct,
        top: sorted.slice(0, top).map(([value, series]) => ({ value, series })),
        unbounded: reasons.length > 0,
        reasons,
      };
    });
  return {
    name: family.name,
    type: family.type,
    help: family.help,
    series: family.samples.length,
    labelSets: labelSets.size,
    labels,
    unbounded: labels.some((label) => label.unbounded),
  };
}

/** Parse leniently: a malformed sample line is skipped and counted, not fatal. */
export function auditExposition(text: string, source: string, top = 5): AuditReport {
  let skippedLines = 0;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      try {
        parseSampleLine(trimmed);
      } catch {
        skippedLines++;
        continue;
      }
    }
    kept.push(line);
  }
  const families = [...parseExposition(kept.join('\n')).values()]
    .filter((family) => family.samples.length > 0)
    .map((family) => auditFamily(family, top))
    .sort((a, b) => b.series - a.series || a.name.localeCompare(b.name));
  return {
    source,
    families,
    totals: {
      families: families.length,
      series: families.reduce((sum, family) => sum + family.series, 0),
      flaggedFamilies: families.filter((family) => family.unbounded).length,
      flaggedLabels: families.reduce((sum, family) => sum + family.labels.filter((label) => label.unbounded).length, 0),
      skippedLines,
    },
  };
}

/**
 * Text from the exposition (or the server) made safe for a terminal: C0 and C1
 * control characters (escape sequences), line and paragraph separators and
 * bidirectional overrides become \\u escapes.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON whose strings carry no raw C1 controls, separators or bidi overrides (JSON.stringify escapes only C0). */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A label value as shown in the terminal: printable ASCII as is (shortened), anything else escaped. */
export function displayValue(value: string, max = 40): string {
  const short = value.length > max ? value.slice(0, max - 1) + '…' : value;
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) ? short : printable(JSON.stringify(short));
}

function pad(text: string, width: number, right = false): string {
  const gap = Math.max(0, width - [...text].length);
  return right ? ' '.repeat(gap) + text : text + ' '.repeat(gap);
}

function clip(text: string, width: number): string {
  return [...text].length > width ? [...text].slice(0, width - 1).join('') + '…' : text;
}

export function formatReport(report: AuditReport, onlyFlagged = false): string {
  const out: string[] = [];
  const families = onlyFlagged ? report.families.filter((family) => family.unbounded) : report.families;
  const { totals } = report;
  out.push(
    `${printable(report.source)}: ${totals.families} families, ${totals.series} series; ` +
      `${totals.flaggedLabels} label(s) in ${totals.flaggedFamilies} families look unbounded` +
      (totals.skippedLines > 0 ? `; ${totals.skippedLines} malformed line(s) skipped` : ''),
    '',
  );
  if (families.length === 0) {
    out.push(onlyFlagged ? 'no family has a label that looks unbounded' : 'no samples');
    return out.join('\n') + '\n';
  }

  const nameWidth = Math.min(60, Math.max(6, ...families.map((family) => printable(family.name).length)));
  const header = `${pad('FAMILY', nameWidth)}  ${pad('TYPE', 9)}  ${pad('SERIES', 7, true)}  ${pad('SETS', 6, true)}  LABELS (distinct values; ! = looks unbounded)`;
  out.push(header, '-'.repeat(Math.min(120, header.length + 10)));
  for (const family of families) {
    const labels = family.labels.map((label) => `${label.unbounded ? '!' : ''}${printable(label.name)}(${label.distinct})`).join(' ') || '—';
    out.push(
      `${pad(clip(printable(family.name), nameWidth), nameWidth)}  ${pad(printable(family.type), 9)}  ${pad(String(family.series), 7, true)}  ${pad(String(family.labelSets), 6, true)}  ${labels}`,
    );
  }

  const flagged = families.flatMap((family) => family.labels.filter((label) => label.unbounded).map((label) => ({ family, label })));
  if (flagged.length > 0) {
    out.push('', 'LABELS THAT LOOK UNBOUNDED');
    for (const { family, label } of flagged) {
      out.push(`  ${printable(family.name)} {${printable(label.name)}}: ${label.reasons.join('; ')}`);
      out.push(`      e.g. ${label.top.slice(0, 3).map((entry) => displayValue(entry.value)).join(', ')}`);
    }
  }

  out.push('', 'TOP LABEL VALUES BY SERIES');
  for (const family of families) {
    if (family.labels.length === 0) continue;
    out.push(`  ${printable(family.name)}`);
    const keyWidth = Math.min(40, Math.max(...family.labels.map((label) => printable(label.name).length)));
    for (const label of family.labels) {
      const values = label.top.map((entry) => `${displayValue(entry.value)} (${entry.series})`).join(', ');
      const more = label.distinct > label.top.length ? `, … ${label.distinct - label.top.length} more` : '';
      out.push(`    ${label.unbounded ? '!' : ' '} ${pad(clip(printable(label.name), keyWidth), keyWidth)}  ${values}${more}`);
    }
  }
  return out.join('\n') + '\n';
}

/** A response larger than this is refused (an exposition of a million series is about 100 MB). */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/**
 * GET `url` following redirects within its origin only (at most 5), reading
 * the body up to `maxBytes`: a larger or endless answer is cut off and refused.
 */
export async function fetchExposition(url: string, timeoutMillis: number, maxBytes = MAX_RESPONSE_BYTES): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMillis);
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, {
      // The classic text format: what parse.ts reads (no protobuf, no OpenMetrics).
      headers: { accept: 'text/plain;version=0.0.4;q=1.0, */*;q=0.1' },
      signal,
      redirect: 'manual',
    });
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      const next = new URL(response.headers.get('location')!, current);
      if (next.origin !== current.origin) throw new Error(`HTTP ${response.status}: refused a redirect to another origin (${printable(next.origin)})`);
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      current = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} ${response.statusText}`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new Error(`the response is ${declared} bytes, more than the ${maxBytes} allowed`);
    }
    const decoder = new TextDecoder();
    let text = '';
    let bytes = 0;
    if (response.body === null) return text;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel();
        throw new Error(`the response is larger than the ${maxBytes} bytes allowed; stopped reading`);
      }
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  }
}

async function readSource(source: string, timeoutMillis: number, io: CliIo): Promise<string> {
  if (source === '-') return io.stdin();
  if (/^https?:\/\//i.test(source)) return fetchExposition(source, timeoutMillis);
  return readFile(source, 'utf8');
}

export async function runAudit(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        top: { type: 'string', default: '5' },
        flagged: { type: 'boolean', default: false },
        'fail-on-unbounded': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '10' },
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
    io.stdout(AUDIT_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('audit takes exactly one URL, file or -');
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 100) throw new UsageError('--top must be an integer from 1 to 100');
  const timeout = Number(values.timeout);
  if (!(timeout > 0 && timeout <= 600)) throw new UsageError('--timeout must be a number of seconds from 0 to 600');

  const source = positionals[0]!;
  let text: string;
  try {
    text = await readSource(source, timeout * 1000, io);
  } catch (error) {
    io.stderr(`audit: cannot read ${printable(source)}: ${printable((error as Error).message)}\n`);
    return EXIT.failed;
  }
  const report = auditExposition(text, source, top);
  if (values.json) {
    const shown = values.flagged ? { ...report, families: report.families.filter((family) => family.unbounded) } : report;
    io.stdout(printableJson(shown) + '\n');
  } else {
    io.stdout(formatReport(report, values.flagged));
  }
  return values['fail-on-unbounded'] && report.totals.flaggedLabels > 0 ? EXIT.failed : EXIT.ok;
}
