/**
 * The policy's self-metrics over a real MeterProvider: each instrument reports
 * exactly what the policy and the dynamic allowlist hold at collection time,
 * and nothing once stopped.
 */
import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSelfMetrics } from '../../../src/policy/self-metrics';
import { WorkspacePolicy } from '../../../src/policy/workspace-policy';
import { DynamicAllowlist, staticAllowlistSource, type AllowlistSource } from '../../../src/policy/allowlist-sources';
import { removeRuntime, currentRuntime } from '../../../src/record/runtime';
import { resetLogWindows, setLogSink } from '../../../src/log';
import { collectingProvider } from '../../helpers/collecting-provider';

afterEach(() => {
  metrics.disable();
  removeRuntime(currentRuntime());
});

function sdk(): () => Promise<Record<string, Array<{ value: unknown; attributes: unknown }>>> {
  const { provider, collect } = collectingProvider();
  metrics.setGlobalMeterProvider(provider);
  return async () =>
    Object.fromEntries(
      (await collect())
        .filter((metric) => metric.dataPoints.length > 0)
        .map((metric) => [metric.descriptor.name, metric.dataPoints.map((point) => ({ value: point.value, attributes: point.attributes }))]),
    );
}

describe('registerSelfMetrics', () => {
  it('reports folds per stream, the unlisted estimate, the allowlist size, the last change and no errors without a dynamic allowlist', async () => {
    const collect = sdk();
    let clock = 1_700_000_123_456;
    const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: ['acme', 'globex'], now: () => clock });
    const a = policy.foldCounter('a_by_workspace_total');
    const b = policy.foldCounter('b_by_workspace_total');
    for (const id of ['u1', 'u2', 'u3']) policy.resolve(id, a);
    policy.resolve('u1', b);
    policy.resolve('acme', b);
    const stop = registerSelfMetrics(policy);
    expect(await collect()).toEqual({
      'otel_workspace_metrics.workspace.folded': [
        { value: 3, attributes: { metric: 'a_by_workspace_total' } },
        { value: 1, attributes: { metric: 'b_by_workspace_total' } },
      ],
      'otel_workspace_metrics.workspace.unlisted_estimate': [{ value: 3, attributes: {} }],
      'otel_workspace_metrics.allowlist.size': [{ value: 2, attributes: {} }],
      'otel_workspace_metrics.allowlist.last_reload_timestamp': [{ value: 1_700_000_123, attributes: {} }],
    });
    clock += 10_999;
    policy.setAllowlist(['acme']);
    const second = await collect();
    expect(second['otel_workspace_metrics.allowlist.size']).toEqual([{ value: 1, attributes: {} }]);
    expect(second['otel_workspace_metrics.allowlist.last_reload_timestamp']).toEqual([{ value: 1_700_000_134, attributes: {} }]);
    stop();
    // once stopped, nothing new is observed (the SDK keeps reporting the last cumulative points)
    policy.setAllowlist(['a', 'b', 'c']);
    policy.resolve('u9', a);
    const after = await collect();
    expect(after['otel_workspace_metrics.allowlist.size']).toEqual([{ value: 1, attributes: {} }]);
    expect(after['otel_workspace_metrics.workspace.folded']![0]).toEqual({ value: 3, attributes: { metric: 'a_by_workspace_total' } });
  });

  it('reports the dynamic allowlist’s last reload and its errors per source', async () => {
    const collect = sdk();
    const previous = setLogSink(() => undefined);
    resetLogWindows();
    try {
      let clock = 2_000_000_000_999;
      const policy = new WorkspacePolicy({ labelName: 'workspace_id', allowlist: [], now: () => 5_000 });
      const broken: AllowlistSource = {
        name: 'broken',
        load: async () => {
          throw new Error('down');
        },
      };
      const dynamic = new DynamicAllowlist({ policy, sources: [staticAllowlistSource('fixed', ['acme']), broken], now: () => clock });
      await dynamic.start();
      await dynamic.reload('broken');
      clock = 2_000_000_001_000;
      const stop = registerSelfMetrics(policy, dynamic);
      const data = await collect();
      expect(data['otel_workspace_metrics.allowlist.reload_errors']).toEqual([
        { value: 0, attributes: { source: 'fixed' } },
        { value: 2, attributes: { source: 'broken' } },
      ]);
      // the last successful load (the static source's, at start), not the policy's clock
      expect(data['otel_workspace_metrics.allowlist.last_reload_timestamp']).toEqual([{ value: 2_000_000_000, attributes: {} }]);
      expect(data['otel_workspace_metrics.allowlist.size']).toEqual([{ value: 1, attributes: {} }]);
      stop();
      await dynamic.stop();
    } finally {
      setLogSink(previous);
    }
  });
});
