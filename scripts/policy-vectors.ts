/**
 * The shared policy vectors: what the TypeScript WorkspacePolicy and list
 * parsers answer for ≥ 10,000 workspace values (hostile, non-ASCII, Kelvin
 * sign, over-long, hierarchical) at several allowlists and sample rates, and
 * for allowlist texts in the env and file formats. The committed JSON
 * (otel-collector/processor/workspacepolicyprocessor/testdata/policy-vectors.json)
 * is read by the Go processor's tests and by test/unit/scripts/policy-vectors.test.ts,
 * which fails when regenerating would change it.
 *
 *   npm run policy:vectors     (rewrites the JSON)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkspacePolicy, sampleHash, sampleThreshold } from '../src/policy/workspace-policy';
import { canonicalWorkspacePath } from '../src/model/canonical';
import { canonicalEntries, splitAllowlistText } from '../src/policy/allowlist-sources';
import { parseAllowlist } from '../src/config/env';
import { prng } from '../test/helpers/prng';

export const VECTORS_PATH = join(__dirname, '..', 'otel-collector', 'processor', 'workspacepolicyprocessor', 'testdata', 'policy-vectors.json');
/** From dist-bench/scripts/ the repo root is two levels further up. */
const ROOT_FROM_DIST = join(__dirname, '..', '..');

const HOSTILE: string[] = [
  '', ' ', '\t', 'acme', 'ACME', ' acme ', '\tAcMe\r\n', '\u00a0acme', 'acme\u00a0', '\u212Aacme', '\u212A', 'k\u212A',
  '\u0130stanbul', 'caf\u00e9', 'ws-\u00fcn\u00ef', '\u6f22\u5b57', '\u200bacme', 'ac\u200bme', '\ufeffacme', '\u0085acme', 'acme\u0085',
  '\ud800', 'a\udc00b', '\ud83d\ude00', '\u202eemca', 'a\u0301', '"', '\\', 'ws"1', "ws'1", 'ws\\1', '../etc/passwd', '/a', 'a/', '//',
  'a//b', 'a/b/c', 'team-a/', '/ws', 'team-a//ws', 'team-a/ws/x', 'team-a / ws', ' team-a/ws ', 'TEAM-A/WS-1', '__other__', '__OTHER__',
  ' __other__ ', 'team-a/__other__', 'TEAM-A/__OTHER__ ', 'team-z/__other__', 'team-a/__other__x', 'team-a/__Other__', '__other__/x',
  '*', 'team-a/*', 'acme/*', '-acme', '.acme', '_acme', 'acme-', 'acme.', 'a', '0', '9z', 'a'.repeat(64), 'a'.repeat(65),
  'b'.repeat(64) + '/' + 'c'.repeat(64), 'b'.repeat(65) + '/c', 'x'.repeat(256), 'x'.repeat(257), ' '.repeat(100) + 'acme' + ' '.repeat(152),
  ' '.repeat(100) + 'acme' + ' '.repeat(153), 'a'.repeat(10_000), 'acme\n', 'ac me', 'ac\tme', 'acme\v', '\facme', 'acme\0', 'ws_1', 'ws.1',
  "'; DROP TABLE metrics; --", '{{7*7}}', '${env:HOME}', '$${env:HOME}', '%2e%2e', 'ws-1,ws-2', 'ws-1#x', 'ws-1 # c', 'null', 'undefined',
  'NaN', 'true', 'team-b/api', 'team-b/API', 'team-b/web', 'team-c/x', 'beta', 'Beta ', 'ws-7', 'ws-42', 'ws-1',
];

function randomId(next: () => number): string {
  const first = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const rest = first + '._-';
  const upper = next() < 0.1;
  const length = 1 + Math.floor(next() * (next() < 0.05 ? 80 : 20));
  let id = first[Math.floor(next() * first.length)]!;
  for (let i = 1; i < length; i++) id += rest[Math.floor(next() * rest.length)]!;
  if (upper) id = id.toUpperCase();
  if (next() < 0.05) id = ` ${id}\t`;
  return id;
}

function ids(): string[] {
  const next = prng(0x5eed);
  const out = [...HOSTILE];
  for (let i = 0; i < 100; i++) out.push(`ws-${i}`);
  for (let i = 0; i < 6500; i++) out.push(randomId(next));
  const teams = ['team-a', 'team-b', 'team-c', 'acme', 'beta', 'other-team'];
  for (let i = 0; i < 3300; i++) {
    const team = teams[Math.floor(next() * teams.length)]!;
    const r = next();
    out.push(r < 0.05 ? `${team}/__other__` : r < 0.1 ? `${team.toUpperCase()}/${randomId(next).trim()}` : `${team}/${randomId(next).trim()}`);
  }
  return out;
}

interface PolicyCase {
  name: string;
  allowlist: string[];
  sampleRate: number;
  /** sampleThreshold(sampleRate): sampled ⇔ sampleHash(id) < threshold. */
  threshold: number;
  /** resolve(ids[i]) for every id. */
  expected: string[];
}

const LIST_TEXTS: string[] = [
  '', ' ', ',', ',,,', 'acme', 'acme,beta', ' acme , beta ', 'ACME', 'acme\nbeta', 'acme\r\nbeta', 'acme\rbeta', 'acme,,beta,',
  '# comment\nacme', 'acme # trailing comment\nbeta', '#acme', ' #acme', 'acme#beta', 'a,#b,c', '\ufeffacme', 'acme,\ufeffbeta',
  '\u00a0acme\u00a0', '\u0085acme', '\u2028acme', 'acme\u3000', 'team-a/*', 'team-a/ws', 'TEAM-A/*', 'team-a/**', '*', '/*', 'a/b/c',
  '\u212Aacme', 'caf\u00e9,acme', 'ws"1,acme', 'a'.repeat(64), 'a'.repeat(65), 'x'.repeat(300) + ',acme', 'acme,acme,ACME, acme',
  'ws-1\nws-2,ws-3\n\n# the end\n', 'ws 1,ws-2', 'only-invalid-\u00e9', '\u00e9,\u00fc', '__other__', 'team-a/__other__', 'acme\tbeta',
  '\tacme\t', '\v acme', 'acme\f', '${env:X}', 'a,b\rc#d\ne',
];

export interface Vectors {
  comment: string;
  ids: string[];
  /** sampleHash(canonical path) as a number, or null when the id has no canonical path. */
  hashes: (number | null)[];
  nonStrings: { type: 'int' | 'double' | 'bool'; value: number | boolean; expected: string }[];
  policies: PolicyCase[];
  envLists: { text: string; entries: string[]; invalidCount: number }[];
  fileLists: { text: string; raw: string[]; entries: string[]; invalidCount: number }[];
}

export function policyVectors(): Vectors {
  const all = ids();
  const listedFromIds = all.filter((_, i) => i % 97 === 0 && i > HOSTILE.length).map((id) => id.trim());
  const lists: [string, string[], number[]][] = [
    ['empty', [], [0, 0.1]],
    ['mixed', ['acme', ' ws-1 ', 'WS-42', 'team-a/*', 'team-b/api', 'beta', 'team-c/x', 'not valid', '\u212Aacme', ...listedFromIds], [0, 0.1, 0.5, 1]],
    ['teams-only', ['team-a/*', 'team-b/*', 'team-c/*', 'other-team/*'], [0, 0.5]],
  ];
  const policies: PolicyCase[] = [];
  for (const [listName, allowlist, rates] of lists) {
    for (const sampleRate of rates) {
      const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist, sampleRate });
      policies.push({
        name: `${listName} @ ${sampleRate}`,
        allowlist,
        sampleRate,
        threshold: sampleThreshold(sampleRate),
        expected: all.map((id) => policy.resolve(id)),
      });
    }
  }
  const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'team-a/*'] });
  const nonStrings: Vectors['nonStrings'] = [
    { type: 'int', value: 1 },
    { type: 'int', value: -7 },
    { type: 'int', value: 0 },
    { type: 'double', value: 1.5 },
    { type: 'bool', value: true },
    { type: 'bool', value: false },
  ].map((v) => ({ ...(v as { type: 'int' | 'double' | 'bool'; value: number | boolean }), expected: policy.resolve(v.value) }));
  return {
    comment: 'Generated by scripts/policy-vectors.ts (npm run policy:vectors) from the TypeScript policy; do not edit.',
    ids: all,
    hashes: all.map((id) => {
      const canonical = canonicalWorkspacePath(id);
      return canonical === undefined ? null : sampleHash(canonical);
    }),
    nonStrings,
    policies,
    envLists: LIST_TEXTS.map((text) => {
      const problems: string[] = [];
      const entries = parseAllowlist(text, 'METRICS_WORKSPACE_ALLOWLIST', problems);
      return { text, entries, invalidCount: problems.length };
    }),
    fileLists: LIST_TEXTS.map((text) => {
      const raw = splitAllowlistText(text);
      const { entries, invalid } = canonicalEntries(raw);
      return { text, raw, entries, invalidCount: invalid.length };
    }),
  };
}

/** The committed text: stable JSON, one id or expected value per line would be too long, so compact arrays. */
export function vectorsText(): string {
  return JSON.stringify(policyVectors()) + '\n';
}

if (require.main === module) {
  const out = join(ROOT_FROM_DIST, 'otel-collector', 'processor', 'workspacepolicyprocessor', 'testdata', 'policy-vectors.json');
  writeFileSync(out, vectorsText());
  process.stdout.write(`wrote ${out}\n`);
}
