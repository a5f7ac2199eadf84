/**
 * A small YAML emitter for the operations artifacts (rule files, promtool
 * tests, Grafana provisioning): block mappings and sequences, plain scalars
 * where YAML reads them back as the same string, double-quoted (JSON-escaped,
 * which YAML accepts) otherwise, and literal blocks for multi-line strings
 * such as PromQL expressions. Key order is insertion order. No anchors, no
 * tags, no flow collections except `[]` and `{}` for empty ones.
 */

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined };

/** Plain scalars YAML 1.1/1.2 would read as something other than a string. */
const RESERVED = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|\.inf|\.Inf|\.INF|-\.inf|-\.Inf|-\.INF|\.nan|\.NaN|\.NAN)$/;
const NUMBER_LIKE = /^[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:[eE][-+]?\d+)?$|^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?\d+(?::\d+)+$/;
/** Characters that change meaning at the start of a plain scalar (YAML indicators, signs, spaces). */
const BAD_FIRST = /^[-?:,[\]{}#&*!|>'"%@`+\s]/;

function isPlainSafe(text: string): boolean {
  if (text === '' || text !== text.trim() || BAD_FIRST.test(text)) return false;
  if (RESERVED.test(text) || NUMBER_LIKE.test(text)) return false;
  // control characters, and "host:port"-like values some parsers read as base-60 numbers
  if (/[\u0000-\u001f\u007f]/.test(text) || /^\d[\d.]*:/.test(text)) return false;
  // ": " and " #" change meaning inside a plain scalar; so does a trailing ":".
  return !/:\s|\s#|:$/.test(text);
}

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} to YAML`);
    return String(value);
  }
  return isPlainSafe(value) ? value : JSON.stringify(value);
}

function isScalar(value: YamlValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function isMultiline(value: YamlValue): value is string {
  return typeof value === 'string' && value.includes('\n');
}

/** `|` keeps one final newline, `|-` none; lines are indented under the key. */
function literalBlock(text: string, indent: string): string {
  const chomp = text.endsWith('\n') ? '|' : '|-';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (/^\s/.test(body)) throw new Error('literal block must not start with whitespace');
  const lines = body.split('\n').map((line) => (line === '' ? '' : indent + line.replace(/\s+$/, '')));
  return `${chomp}\n${lines.join('\n')}`;
}

function key(name: string): string {
  return isPlainSafe(name) && !name.includes(' ') ? name : JSON.stringify(name);
}

function entries(value: { readonly [key: string]: YamlValue | undefined }): [string, YamlValue][] {
  return Object.entries(value).filter((entry): entry is [string, YamlValue] => entry[1] !== undefined);
}

function emit(value: YamlValue, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value as readonly YamlValue[]) {
      if (isScalar(item)) out.push(`${indent}- ${scalar(item)}`);
      else if (isMultiline(item)) out.push(`${indent}- ${literalBlock(item, indent + '  ')}`);
      else if (Array.isArray(item)) {
        if (item.length === 0) out.push(`${indent}- []`);
        else {
          out.push(`${indent}-`);
          emit(item, indent + '  ', out);
        }
      } else {
        const inner: string[] = [];
        emit(item, indent + '  ', inner);
        if (inner.length === 0) out.push(`${indent}- {}`);
        else out.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
      }
    }
    return;
  }
  for (const [name, item] of entries(value as { readonly [key: string]: YamlValue | undefined })) {
    const k = key(name);
    if (isMultiline(item)) out.push(`${indent}${k}: ${literalBlock(item, indent + '  ')}`);
    else if (isScalar(item)) out.push(`${indent}${k}: ${scalar(item)}`);
    else if (Array.isArray(item)) {
      if (item.length === 0) out.push(`${indent}${k}: []`);
      else {
        out.push(`${indent}${k}:`);
        emit(item, indent + '  ', out);
      }
    } else if (entries(item as { readonly [key: string]: YamlValue | undefined }).length === 0) out.push(`${indent}${k}: {}`);
    else {
      out.push(`${indent}${k}:`);
      emit(item, indent + '  ', out);
    }
  }
}

/** YAML text for `value` (a mapping or a sequence), with `#` comment lines first. */
export function toYaml(value: YamlValue, comments: readonly string[] = []): string {
  if (isScalar(value)) throw new Error('top-level YAML value must be a mapping or a sequence');
  const out = comments.map((line) => (line === '' ? '#' : `# ${line}`));
  emit(value, '', out);
  return out.join('\n') + '\n';
}
