/**
 * A parser for the Prometheus text exposition format (0.0.4), enough for
 * reading any exporter's /metrics: families with HELP/TYPE, samples with
 * escaped label values. Used by the audit CLI and the tests.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count', '_created'];

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string, line: string): Record<string, string> {
  // No prototype: a label named `__proto__` or `constructor` is data like any other.
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while (consumed < text.length && (match = pattern.exec(text)) !== null) {
    labels[match[1]!] = unescapeLabel(match[2]!);
    consumed = pattern.lastIndex;
  }
  if (consumed !== text.length && text.slice(consumed).trim() !== '') throw new Error(`malformed labels in line: ${line}`);
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`malformed value ${JSON.stringify(text)}`);
  return value;
}

export function parseSampleLine(line: string): Sample {
  const brace = line.indexOf('{');
  let name: string;
  let labels: Record<string, string> = {};
  let rest: string;
  if (brace >= 0 && brace < (line.indexOf(' ') === -1 ? Infinity : line.indexOf(' '))) {
    name = line.slice(0, brace);
    // The closing brace is the last one not inside a quoted value.
    let i = brace + 1;
    let inQuote = false;
    for (; i < line.length; i++) {
      const c = line[i];
      if (inQuote && c === '\\') i++;
      else if (c === '"') inQuote = !inQuote;
      else if (c === '}' && !inQuote) break;
    }
    if (i >= line.length) throw new Error(`unterminated labels in line: ${line}`);
    labels = parseLabels(line.slice(brace + 1, i), line);
    rest = line.slice(i + 1).trim();
  } else {
    const space = line.indexOf(' ');
    name = line.slice(0, space);
    rest = line.slice(space + 1).trim();
  }
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`malformed metric name in line: ${line}`);
  return { name, labels, value: parseValue(rest.split(/\s+/)[0] ?? '') };
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (sampleName.endsWith(suffix)) {
      const family = families.get(sampleName.slice(0, -suffix.length));
      if (family) return family;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const ensure = (name: string): Family => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { name, type: 'untyped', help: '', samples: [] }));
    return family;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (meta) {
        const family = ensure(meta[2]!);
        if (meta[1] === 'TYPE') family.type = meta[3]!.trim();
        else family.help = meta[3]!;
      }
      continue;
    }
    const sample = parseSampleLine(line);
    (familyOf(sample.name, families) ?? ensure(sample.name)).samples.push(sample);
  }
  return families;
}

/** Sum of sample values named `sampleName` across all label sets. */
export function sumSamples(families: Map<string, Family>, sampleName: string, filter?: (labels: Record<string, string>) => boolean): number {
  let total = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === sampleName && (!filter || filter(sample.labels))) total += sample.value;
    }
  }
  return total;
}
