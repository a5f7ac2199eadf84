/**
 * Family names for rules and dashboards, and the application's own families,
 * against names written here: the refusals of a wrong stream or kind, and a
 * custom family's streams, status handling and panel labels.
 */
import { describe, expect, it } from 'vitest';
import { bucket, count, counting, series, sum } from '../../../src/ops/metrics';
import { customFamilies, customFamily, declaredMetrics } from '../../../src/ops/custom';
import { BUILTIN_METRICS, catalogue, declareMetrics } from '../../../src/catalogue/index';
import { opsOptions } from '../../../src/ops/options';
import type { MetricDeclaration } from '../../../src/model/types';

const counter: MetricDeclaration = { name: 'billing.invoices', kind: 'counter', unit: '{invoice}', description: 'Invoices.', labels: ['status', 'plan.tier'], workspaceStream: true };
const histogram: MetricDeclaration = { name: 'billing.latency', kind: 'histogram', unit: 's', description: 'Latency.', labels: ['status'], buckets: [1] };
const gauge: MetricDeclaration = { name: 'billing.backlog', kind: 'observableGauge', unit: '{invoice}', description: 'Backlog.', labels: ['status', 'region'] };

describe('family names', () => {
  it('names counter, histogram and workspace streams', () => {
    expect(series(counter)).toBe('billing_invoices_total');
    expect(series(counter, 'workspace')).toBe('billing_invoices_by_workspace_total');
    expect(counting(counter)).toBe('billing_invoices_total');
    expect(counting(histogram)).toBe('billing_latency_seconds_count');
    expect([bucket(histogram), count(histogram), sum(histogram)]).toStrictEqual(['billing_latency_seconds_bucket', 'billing_latency_seconds_count', 'billing_latency_seconds_sum']);
  });

  it('refuses a stream the family does not have, and the wrong part of a kind', () => {
    expect(() => series(histogram)).toThrow('billing.latency is a histogram: use bucket/count/sum');
    expect(() => series(gauge, 'workspace')).toThrow('billing.backlog has no workspace stream');
    expect(() => bucket(counter)).toThrow('billing.invoices is not a histogram');
    expect(() => count(histogram, 'workspace')).toThrow('billing.latency has no workspace stream');
    expect(() => counting(histogram, 'workspace')).toThrow('billing.latency has no workspace stream');
  });
});

describe('custom families', () => {
  it('a counter with a workspace stream: status apart, other labels as Prometheus spells them', () => {
    expect(customFamily(counter)).toStrictEqual({
      decl: counter,
      type: 'counter',
      ruleMetric: 'billing_invoices',
      hasStatus: true,
      labels: ['plan_tier'],
      counting: { baseline: 'billing_invoices_total', workspace: 'billing_invoices_by_workspace_total' },
    });
  });

  it('a histogram without a workspace stream, and a gauge (whose status is just a label)', () => {
    expect(customFamily(histogram)).toStrictEqual({
      decl: histogram,
      type: 'histogram',
      ruleMetric: 'billing_latency_seconds',
      hasStatus: true,
      labels: [],
      counting: { baseline: 'billing_latency_seconds_count' },
      buckets: { baseline: 'billing_latency_seconds_bucket' },
    });
    expect(customFamily({ ...histogram, workspaceStream: true }).buckets).toStrictEqual({
      baseline: 'billing_latency_seconds_bucket',
      workspace: 'billing_latency_by_workspace_seconds_bucket',
    });
    expect(customFamily(gauge)).toStrictEqual({ decl: gauge, type: 'gauge', ruleMetric: 'billing_backlog', hasStatus: false, labels: ['region'], gauge: 'billing_backlog' });
    expect(customFamily({ ...counter, labels: ['plan'] }).hasStatus).toBe(false);
  });

  it('refuses a built-in family and a family listed twice', () => {
    expect(customFamilies(opsOptions({ metrics: [counter, gauge] })).map((f) => f.ruleMetric)).toStrictEqual(['billing_invoices', 'billing_backlog']);
    expect(() => customFamilies(opsOptions({ metrics: [counter, counter] }))).toThrow('ops metrics: billing.invoices is listed twice');
    expect(() => customFamilies(opsOptions({ metrics: [{ ...counter, name: 'action.executions' }] }))).toThrow('ops metrics: action.executions is a built-in family; list only your own');
  });

  it('declaredMetrics: the declared families of this process, without the built-in ones, in declaration order', () => {
    expect(declaredMetrics()).toStrictEqual([]);
    declareMetrics(counter, gauge);
    expect(catalogue().length).toBe(BUILTIN_METRICS.length + 2);
    expect(declaredMetrics()).toStrictEqual([counter, gauge]);
  });
});
