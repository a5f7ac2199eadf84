/**
 * The SDK's workspace policy as an OTTL recipe for stock otelcol-contrib: the SHIPPED
 * `transform/workspace_allowlist` stage of otel-collector/config.contrib.yaml, run by
 * the real custom collector, exports exactly what WorkspacePolicy.resolve
 * exports, for every id: allowlist, deterministic sampling (10,000 ids at four
 * rates), hierarchical ids and team folds, invalid, non-ASCII (the Kelvin
 * sign, NBSP...), overlong and non-string values. Raw ids are sent as
 * OTLP/JSON, as a service in `METRICS_WORKSPACE_POLICY=passthrough` mode (or a
 * non-kit SDK) would send them; the kit's already-resolved values pass through
 * unchanged.
 *
 * There is no copy of the statements here (nor in docs/POLICY.md): the
 * collector loads config.contrib.yaml itself, plus a small overlay that only routes
 * the pipeline through that stage into the debug exporter and makes OTTL
 * errors fail the request (error_mode: propagate). A test below checks, with
 * the collector's own print-config, that the overlay leaves the stage's
 * statements exactly as shipped.
 *
 * Mutation checks: OTELCOL_ALLOWLIST_TEST_CONFIG=/path/to/edited-config.yaml
 * runs the same cases against another base config.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { OVERFLOW_VALUE, WorkspacePolicy, isSampled, sampleThresholdHex } from '../../src/exports/policy';
import { collectorBinary } from '../helpers/binaries';
import { startCollector } from '../helpers/collector';

const CONFIG_DIR = join(__dirname, '..', '..', 'otel-collector');
const SHIPPED = process.env.OTELCOL_ALLOWLIST_TEST_CONFIG ? resolve(process.env.OTELCOL_ALLOWLIST_TEST_CONFIG) : join(CONFIG_DIR, 'config.contrib.yaml');
const STAGE = 'transform/workspace_allowlist';

const dir = mkdtempSync(join(tmpdir(), 'owm-recipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Only the stage, errors fail the request, every datapoint printed. Maps merge, lists are replaced. */
const OVERLAY = join(dir, 'overlay.yaml');
writeFileSync(
  OVERLAY,
  [
    'processors:',
    `  ${STAGE}:`,
    '    error_mode: propagate',
    'exporters:',
    '  debug:',
    '    verbosity: detailed',
    'service:',
    '  pipelines:',
    '    metrics:',
    `      processors: [${STAGE}]`,
    '      exporters: [debug]',
    '',
  ].join('\n'),
);

/** A raw workspace attribute value: strings as stringValue, integers as intValue, other numbers as doubleValue, booleans as boolValue. */
type Raw = string | number | boolean;

function otlpValue(value: Raw): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

/**
 * The value the shipped stage gives each raw id, in input order: a string
 * value as is, any other type as `Type(value)` (the debug exporter's form),
 * so a non-string that survives the stage cannot equal the SDK's answer.
 */
async function runThroughCollector(ids: readonly Raw[], allowlist: readonly string[], threshold: string | undefined): Promise<string[]> {
  const collector = await startCollector({
    allowlist: [...allowlist],
    configs: [relative(CONFIG_DIR, SHIPPED), relative(CONFIG_DIR, OVERLAY)],
    // undefined: the variable is not set, the config's default (00000000, no sampling) applies
    env: threshold === undefined ? {} : { METRICS_WORKSPACE_SAMPLE_THRESHOLD: threshold },
  });
  try {
    const now = `${Date.now()}000000`;
    const body = JSON.stringify({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'policy.check',
                  gauge: {
                    dataPoints: ids.map((id, i) => ({
                      attributes: [
                        { key: 'workspace_id', value: otlpValue(id) },
                        { key: 'i', value: { intValue: String(i) } },
                      ],
                      asInt: '1',
                      timeUnixNano: now,
                    })),
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const response = await fetch(`${collector.httpEndpoint}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    // error_mode: propagate, so an OTTL error in any statement fails the request
    if (!response.ok) throw new Error(`OTLP POST -> ${response.status} ${await response.text()}\n${collector.logs().slice(-4000)}`);
    const exported = new Array<string | undefined>(ids.length);
    const deadline = Date.now() + 15_000;
    for (;;) {
      let seen = 0;
      // one block per datapoint; its attributes may come in any order, and the merge group may reorder datapoints
      for (const block of collector.logs().split(/NumberDataPoints #\d+/).slice(1)) {
        const index = /-> i: Int\((\d+)\)/.exec(block);
        const value = /-> workspace_id: (\w+)\((.*)\)$/m.exec(block);
        if (index === null || value === null) continue;
        exported[Number(index[1])] = value[1] === 'Str' ? value[2]! : `${value[1]}(${value[2]})`;
        seen++;
      }
      if (seen >= ids.length) break;
      if (Date.now() > deadline) throw new Error(`the debug exporter printed ${seen} of ${ids.length} datapoints\n${collector.logs().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return exported.map((value) => value ?? '<missing>');
  } finally {
    await collector.stop();
  }
}

interface PrintedConfig {
  processors: Record<string, { error_mode: string; metric_statements: unknown[] }>;
}

/** The collector's own reading of a config (env expanded), as JSON. */
function printConfig(files: string[], env: Record<string, string>): PrintedConfig {
  const r = spawnSync(collectorBinary(), ['print-config', '--mode', 'unredacted', '--format', 'json', ...files.flatMap((f) => ['--config', f])], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`print-config exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PrintedConfig;
}

describe('the shipped collector stage reproduces the SDK policy exactly', () => {
  it('runs the statements exactly as shipped in config.contrib.yaml (the overlay only changes error_mode and the pipeline)', () => {
    const env = { METRICS_WORKSPACE_ALLOWLIST: 'acme,ops/*', METRICS_WORKSPACE_SAMPLE_THRESHOLD: '1999999a' };
    const shipped = printConfig([SHIPPED], env).processors[STAGE]!;
    const tested = printConfig([SHIPPED, OVERLAY], env).processors[STAGE]!;
    expect(tested.metric_statements).toEqual(shipped.metric_statements);
    expect(tested.error_mode).toBe('propagate');
    // the statements read both variables (so the runs below exercise the shipped env wiring)
    const text = JSON.stringify(shipped.metric_statements);
    expect(text).toContain('set(datapoint.cache[\\"allowlist\\"], \\"acme,ops/*\\")');
    expect(text).toContain('< \\"1999999a\\"');
    expect(text).toContain('aggregate_on_attributes');
  });

  it.each([
    [0, undefined],
    [0.1, sampleThresholdHex(0.1)],
    [0.37, sampleThresholdHex(0.37)],
    [1, 'g'], // sampleThresholdHex(1) is undefined; "g" sorts after every hex string
  ] as const)('sampling at rate %s (threshold %s)', async (rate, threshold) => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `ws-${i}`);
    const allowlist = ['ws-1', 'ws-2'];
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist, sampleRate: rate });
    const expected = ids.map((id) => policy.resolve(id));
    expect(await runThroughCollector(ids, allowlist, threshold)).toEqual(expected);
    const kept = expected.filter((value) => value !== OVERFLOW_VALUE).length;
    expect(kept).toBe(ids.filter((id) => allowlist.includes(id) || isSampled(id, rate)).length);
    if (rate > 0) expect(kept).toBeGreaterThan(rate * ids.length * 0.7);
  });

  it('hierarchical ids, team folds, invalid, non-ASCII, overlong and non-string values; and SDK output passes through unchanged', async () => {
    // entries as someone might type them: both sides canonicalize them (trim, lower-case)
    const allowlist = [' ACME', 'eng/api', 'OPS/*', 'k8s\t', '42'];
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist, sampleRate: 0.2 });
    const raw: Raw[] = [
      'acme', ' ACME ', '\tacme\r\n', 'K8S', 'eng/api', 'ENG/API', 'eng/web', 'eng', 'ops', 'ops/*', 'ops/', '/ops', 'ops//x', 'Ops/WS-1',
      'ops/__other__', 'OPS/__OTHER__', 'zzz/__other__', '__other__', 'acme/__other__', 'eng/__other__', 'a/b/c', 'a / b', 'Bad Id!', '', ' ',
      'a"b', 'a\\b', 'x'.repeat(64), 'x'.repeat(65), `ops/${'x'.repeat(64)}`, `ops/${'x'.repeat(65)}`,
      // non-ASCII: rejected before lower-casing, never trimmed
      'café', '\u212A8s', '\u212Acme', 'ops/\u212A', 'eng/\u212Api', '\u00a0acme', 'acme\u00a0', '\u00a0', 'acme\u200b', '\ufeffacme',
      '\u2028acme', '\u3000acme', 'ＡＣＭＥ', 'İacme', 'acme😀', '\ud800acme',
      // other ASCII control characters are not trimmed either
      'acme\f', '\vacme', 'acme\u0000',
      // length: more than 256 raw characters is rejected before trimming
      `${' '.repeat(252)}acme`, `${' '.repeat(253)}acme`, `k8s${' '.repeat(254)}`, `ops/a${' '.repeat(300)}`,
      // non-strings: never ids, even when their text is allowlisted
      42, '42', 42.5, true, 0,
    ];
    for (let i = 0; i < 60; i++) raw.push(`ops/ws-${i}`, `acme/ws-${i}`, `eng/ws-${i}`, `other-${i}`, `team-${i % 5}/ws-${i}`);
    const expected = raw.map((value) => policy.resolve(value));
    expect(await runThroughCollector(raw, allowlist, sampleThresholdHex(0.2))).toEqual(expected);
    // The kit's own output is already resolved: the collector leaves it as it is.
    expect(await runThroughCollector(expected, allowlist, sampleThresholdHex(0.2))).toEqual(expected);
    // the corpus covers every outcome
    const outcomes = new Set(expected);
    for (const value of ['acme', 'eng/api', 'k8s', '42', 'ops/__other__', 'acme/__other__', OVERFLOW_VALUE]) expect(outcomes).toContain(value);
    expect(expected.some((value, i) => value === raw[i] && value.includes('/') && value !== 'eng/api')).toBe(true); // a sampled team/ws
    expect(expected.filter((value, i) => typeof raw[i] === 'string' && /[^\x00-\x7f]/.test(raw[i] as string)).every((value) => value === OVERFLOW_VALUE)).toBe(true);
  });

  // Fails closed (a malformed list folds everything) and splits as the SDK does (',' and newline, spaces around entries).
  it.each([
    ['acme\nops/*', false],
    [' acme , ops/* ', false],
    ['acme,,ops/*,', false],
    ['acme,bad id', true],
    ['acme,caf\u00e9', true],
    ['acme,\u212Acme', true],
    ['acme # a comment', true],
  ] as const)('allowlist %j (folds everything: %s)', async (list, foldsAll) => {
    const raw: Raw[] = ['acme', 'ACME ', 'kcme', 'ops/x', 'ops/__other__', 'other', 'bad id'];
    const entries = list.split(/[,\n]/);
    const expected = foldsAll ? raw.map(() => OVERFLOW_VALUE) : raw.map((value) => new WorkspacePolicy({ labelName: 'workspace_id', allowlist: entries }).resolve(value));
    if (!foldsAll) expect(expected).toContain('acme');
    expect(await runThroughCollector(raw, [list], undefined)).toEqual(expected);
  });

  it('docs/POLICY.md points at config.contrib.yaml and holds no copy of the statements (nothing to drift)', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'POLICY.md'), 'utf8');
    expect(doc).toContain('otel-collector/config.contrib.yaml');
    expect(doc).not.toMatch(/datapoint\.attributes\["workspace_id"\]/);
    expect(doc).not.toMatch(/Murmur3Hash\(datapoint/);
  });
});
