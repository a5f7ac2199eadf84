/** The Prometheus text parser the audit CLI and the tests rely on. */
import { describe, expect, it } from 'vitest';
import { parseExposition, parseSampleLine, sumSamples } from '../../../src/exposition/parse';

describe('parseExposition', () => {
  const text = [
    '# HELP jobs_total Jobs.',
    '# TYPE jobs_total counter',
    'jobs_total{status="ok",note="a \\"quoted\\" \\\\ value\\nnext"} 3',
    'jobs_total{status="error"} 2 1700000000000',
    '# TYPE latency_seconds histogram',
    'latency_seconds_bucket{le="0.5"} 1',
    'latency_seconds_bucket{le="+Inf"} 4',
    'latency_seconds_sum 2.5',
    'latency_seconds_count 4',
    'untyped_thing NaN',
  ].join('\n');

  it('groups samples into families with their types and unescapes label values', () => {
    const families = parseExposition(text);
    expect(families.get('jobs_total')!.type).toBe('counter');
    expect(families.get('jobs_total')!.samples[0]!.labels.note).toBe('a "quoted" \\ value\nnext');
    expect(families.get('latency_seconds')!.samples.map((s) => s.name)).toEqual([
      'latency_seconds_bucket',
      'latency_seconds_bucket',
      'latency_seconds_sum',
      'latency_seconds_count',
    ]);
    expect(sumSamples(families, 'jobs_total')).toBe(5);
    expect(Number.isNaN(families.get('untyped_thing')!.samples[0]!.value)).toBe(true);
  });

  it('keeps labels named like Object.prototype members as plain data', () => {
    const sample = parseSampleLine('m{__proto__="x",constructor="y"} 1');
    expect(Object.keys(sample.labels).sort()).toEqual(['__proto__', 'constructor']);
    expect(sample.labels.__proto__).toBe('x');
  });

  it('rejects malformed lines', () => {
    expect(() => parseSampleLine('m{a="unterminated} 1')).toThrow();
    expect(() => parseSampleLine('9bad 1')).toThrow();
    expect(() => parseSampleLine('m{a="x"} notanumber')).toThrow();
  });
});
