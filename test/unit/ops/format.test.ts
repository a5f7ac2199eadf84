/**
 * The small builders under the generated rules and dashboards, against values
 * written here: Prometheus's humanizeDuration/humanizePercentage output (Go's
 * `%.4g`, ties to even), number spelling, PromQL builders, option merging and
 * the config file's validation at its boundaries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanize1024, humanizeDuration, humanizePercentage, num, pascalCase, percent, serviceSeries } from '../../../src/ops/format';
import { by, increase, maxBy, minBy, quantile, rate, rateRatio, selector, sumBy } from '../../../src/ops/promql';
import { DEFAULT_OPS_OPTIONS, loadOpsConfig, opsOptions, opsOptionsFromConfig, runbookAnchor } from '../../../src/ops/options';
import { toYaml } from '../../../src/ops/yaml';

describe('Prometheus template functions', () => {
  it.each([
    [0, '0s'],
    [1, '1s'],
    [1.5, '1.5s'],
    [59.99, '59.99s'],
    [12.3456, '12.35s'],
    [1.0625, '1.062s'], // an exact binary tie: Go rounds to even
    [1.1875, '1.188s'],
    [12.125, '12.12s'], // a tie two digits before the point: the scale follows the exponent
    [-12.125, '-12.12s'],
    [60, '1m 0s'],
    [61.9, '1m 1s'],
    [3599, '59m 59s'],
    [3600, '1h 0m 0s'],
    [86_399, '23h 59m 59s'],
    [86_400, '1d 0h 0m 0s'],
    [90_061, '1d 1h 1m 1s'],
    [-61, '-1m 1s'],
    [-1.5, '-1.5s'],
  ])('humanizeDuration(%j) = %j', (seconds, text) => {
    expect(humanizeDuration(seconds)).toBe(text);
  });

  it('humanizeDuration refuses sub-second values (not needed, and formatted differently)', () => {
    expect(() => humanizeDuration(0.5)).toThrow('humanizeDuration: sub-second values are not needed here');
    expect(() => humanizeDuration(-0.999)).toThrow();
  });

  // Prometheus: `humanize1024` divides by 1024 while |v| >= 1024 (prefixes ki … Ei), then prints `%.4g`.
  it.each([
    [0, '0'],
    [1, '1'],
    [1023, '1023'],
    [1023.99, '1024'], // %.4g rounds, the prefix was chosen before
    [1024, '1ki'],
    [1536, '1.5ki'],
    [1025, '1.001ki'],
    [1024 ** 2 - 1, '1024ki'],
    [1024 ** 2, '1Mi'],
    [2.5 * 1024 ** 2, '2.5Mi'],
    [1024 ** 3, '1Gi'],
    [3 * 1024 ** 4, '3Ti'],
    [1024 ** 5, '1Pi'],
    [1024 ** 6, '1Ei'],
    [2048 * 1024 ** 6, '2048Ei'], // no prefix past Ei
    [1.0625 * 1024 ** 3, '1.062Gi'], // an exact tie: Go rounds to even
    [-1536, '-1.5ki'],
  ])('humanize1024(%j) = %j', (value, text) => {
    expect(humanize1024(value)).toBe(text);
  });

  it.each([
    [0, '0%'],
    [0.05, '5%'],
    [0.5, '50%'],
    [0.123456, '12.35%'],
    [1, '100%'],
    [0.000123456, '0.01235%'],
    [-0.5, '-50%'],
  ])('humanizePercentage(%j) = %j', (ratio, text) => {
    expect(humanizePercentage(ratio)).toBe(text);
  });
});

describe('number and name spelling', () => {
  it('percent and num drop float noise', () => {
    expect(percent(0.07)).toBe('7');
    expect(percent(0.333)).toBe('33.3');
    expect(percent(0.05)).toBe('5');
    expect(num(0.1 + 0.2)).toBe('0.3');
    expect(num(2.425)).toBe('2.425');
    expect(num(300)).toBe('300');
  });

  it('pascalCase', () => {
    expect(pascalCase('billing.invoices')).toBe('BillingInvoices');
    expect(pascalCase('http_server.request-duration')).toBe('HttpServerRequestDuration');
    expect(pascalCase('..a..b')).toBe('AB');
    expect(pascalCase('')).toBe('');
  });

  it('runbookAnchor is GitHub’s heading anchor', () => {
    expect(runbookAnchor('ActionFailureRateHigh')).toBe('actionfailureratehigh');
    expect(runbookAnchor('  Queue: oldest run (ready) too_old!  ')).toBe('queue-oldest-run-ready-too_old');
    expect(runbookAnchor('a  b')).toBe('a--b');
  });
});

describe('PromQL builders', () => {
  it('spell selectors, rates and aggregations', () => {
    expect(selector('up')).toBe('up');
    expect(selector('up', ['', 'job="a"', ''])).toBe('up{job="a"}');
    expect(selector('up', ['job="a"', 'x!="y"'])).toBe('up{job="a", x!="y"}');
    expect(rate('m', '5m')).toBe('rate(m[5m])');
    expect(increase('m', '1h')).toBe('increase(m[1h])');
    expect(by(['a', 'b'])).toBe('by (a, b)');
    expect(sumBy([], 'x')).toBe('sum(x)');
    expect(sumBy(['job'], 'x')).toBe('sum by (job) (x)');
    expect(maxBy([], 'x')).toBe('max(x)');
    expect(maxBy(['job', 'queue'], 'x')).toBe('max by (job, queue) (x)');
    expect(minBy([], 'x')).toBe('min(x)');
    expect(minBy(['job'], 'x')).toBe('min by (job) (x)');
    expect(quantile(0.95, ['job'], 'h_bucket', '5m')).toBe('histogram_quantile(0.95, sum by (job, le) (rate(h_bucket[5m])))');
  });

  it('a rate ratio is 0, not absent, when the part has no series', () => {
    expect(rateRatio(['job'], 'fail', 'all', '5m')).toBe(
      ['(', '  sum by (job) (rate(fail[5m]))', 'or', '  sum by (job) (rate(all[5m])) * 0', ')', '/', 'sum by (job) (rate(all[5m]))'].join('\n'),
    );
  });

  it('service series carry the configured matchers after the rule’s own', () => {
    expect(serviceSeries(opsOptions())('up', ['job="a"'])).toBe('up{job="a"}');
    expect(serviceSeries(opsOptions())('up')).toBe('up');
    const scoped = serviceSeries(opsOptions({ selectors: { service: '  namespace="prod" ' } }));
    expect(scoped('up', ['job="a"'])).toBe('up{job="a", namespace="prod"}');
    expect(scoped('up')).toBe('up{namespace="prod"}');
  });
});

describe('options', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'owm-ops-format-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('merges partial overrides into the defaults, nested objects field by field', () => {
    const options = opsOptions({ thresholds: { actionP95Seconds: 5 }, jobs: { embedded: 'svc' }, dashboards: { tag: 't' }, workspaceLabel: 'tenant' });
    expect(options.thresholds).toStrictEqual({ ...DEFAULT_OPS_OPTIONS.thresholds, actionP95Seconds: 5 });
    expect(options.jobs).toStrictEqual({ ...DEFAULT_OPS_OPTIONS.jobs, embedded: 'svc' });
    expect(options.dashboards).toStrictEqual({ ...DEFAULT_OPS_OPTIONS.dashboards, tag: 't' });
    expect(options.selectors).toStrictEqual({ service: '' });
    expect(options.workspaceLabel).toBe('tenant');
    expect(options.metrics).toStrictEqual([]);
    expect(opsOptions()).toStrictEqual(DEFAULT_OPS_OPTIONS);
  });

  it('validates a config: the critical failure ratio must be strictly above the high one', () => {
    expect(opsOptionsFromConfig(null)).toStrictEqual(DEFAULT_OPS_OPTIONS);
    expect(opsOptionsFromConfig({ thresholds: { failureRatioHigh: 0.2, failureRatioCritical: 0.2000001 } }).thresholds.failureRatioCritical).toBe(0.2000001);
    expect(() => opsOptionsFromConfig({ thresholds: { failureRatioHigh: 0.2, failureRatioCritical: 0.2 } }, 'ops.yaml')).toThrow(
      new Error('ops.yaml is not a valid ops config:\n  thresholds.failureRatioCritical: must be above failureRatioHigh (0.2)'),
    );
  });

  it('names every problem on its own line, the path or “(top level)”', () => {
    let message = '';
    try {
      opsOptionsFromConfig({ thresholds: { failureRatioHigh: 1 }, nope: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('config is not a valid ops config:');
    expect(lines.slice(1).map((line) => line.split(':')[0]).sort()).toStrictEqual(['  (top level)', '  thresholds.failureRatioHigh']);
    expect(() => opsOptionsFromConfig('text')).toThrow(/^config is not a valid ops config:\n {2}\(top level\): /);
  });

  it('loads JSON and YAML files, and says which file is not either', () => {
    const yaml = join(tmp, 'ops.yaml');
    writeFileSync(yaml, 'thresholds:\n  queueReadyDepth: 7\n');
    expect(loadOpsConfig(yaml).thresholds.queueReadyDepth).toBe(7);
    const json = join(tmp, 'ops.json');
    writeFileSync(json, '{"workspaceLabel": "tenant"}');
    expect(loadOpsConfig(json).workspaceLabel).toBe('tenant');
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(broken, 'a: [1, 2\n');
    expect(() => loadOpsConfig(broken)).toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON or YAML: `));
    const invalid = join(tmp, 'invalid.yaml');
    writeFileSync(invalid, 'thresholds:\n  queueReadyDepth: -1\n');
    expect(() => loadOpsConfig(invalid)).toThrow(`${invalid} is not a valid ops config:\n  thresholds.queueReadyDepth: `);
  });
});

describe('toYaml', () => {
  it('writes YAML 1.1 strings quoted, PromQL as literal blocks, comment lines first (an empty one as a blank line)', () => {
    expect(toYaml({ a: 'on', b: 'x\ny', c: 1 }, ['first', '', 'last'])).toBe('# first\n\n# last\n\na: "on"\nb: |-\n  x\n  y\nc: 1\n');
    expect(toYaml({ a: 'plain' })).toBe('a: plain\n');
  });
});
