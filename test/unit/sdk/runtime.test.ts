/**
 * One runtime per kit: everything a kit holds (current values, label caps,
 * observations, the workspace label name, the enforcement of late
 * declarations, its policy) is built by start() and dropped by shutdown(), so
 * two kits in one process never see each other's state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { activeKit, counter, declareMetrics, registerObservation, setCacheSize, recordWorkerRestart, setLogSink, withWorkspace, type MetricDeclaration } from '../../../src/index';
import { cacheSize, workerRestarts } from '../../../src/exports/catalogue';
import { streamName } from '../../../src/model/types';
import { OVERFLOW_VALUE } from '../../../src/model/canonical';
import { labelValues, startInMemory, total } from '../../helpers/in-memory';

afterEach(async () => {
  await activeKit()?.shutdown();
});

const late: MetricDeclaration = {
  name: 'runtime_test.late',
  kind: 'counter',
  unit: '{event}',
  description: 'Declared while kit A runs.',
  labels: ['kind'],
};

const observed: MetricDeclaration = {
  name: 'runtime_test.observed',
  kind: 'observableGauge',
  unit: '{item}',
  description: 'Observed while kit A runs.',
  labels: [],
};
declareMetrics(observed);

describe('two kits in one process', () => {
  it('the second kit sees none of the first one’s state', async () => {
    const lines: string[] = [];
    const previousSink = setLogSink((line) => lines.push(line));
    try {
      // Kit A: a custom label name, a current value, a saturated label cap, an observation, a late declaration.
      const a = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_LABEL_NAME: 'tenant' });
      expect(withWorkspace({}, 'acme')).toEqual({ tenant: 'acme' });
      setCacheSize({ cache: 'users', entries: 7 });
      for (let i = 0; i < 100; i++) recordWorkerRestart({ worker: `pool-${i}`, reason: 'crash' });
      recordWorkerRestart({ worker: 'pool-late', reason: 'crash' });
      registerObservation(observed, (observe) => observe(42));
      declareMetrics(late);
      counter(late).add(1, { kind: 'a' });
      const exportedA = await a.collect();
      expect(exportedA.get(streamName(cacheSize, 'baseline'))?.dataPoints.map((p) => p.value)).toEqual([7]);
      const poolsA = labelValues(exportedA.get(streamName(workerRestarts, 'baseline')), 'worker');
      expect(poolsA.size).toBe(101);
      expect(poolsA.has(OVERFLOW_VALUE)).toBe(true);
      expect(poolsA.has('pool-late')).toBe(false);
      expect(exportedA.get(streamName(observed, 'baseline'))?.dataPoints.map((p) => p.value)).toEqual([42]);
      expect(exportedA.has(streamName(late, 'baseline'))).toBe(false); // no view covers it in A: dropped
      await a.kit.shutdown();
      expect(activeKit()).toBeUndefined();

      // Kit B: fresh state throughout.
      const b = startInMemory({ METRICS_WORKSPACE_LABEL: 'on' });
      expect(b.kit).not.toBe(a.kit);
      expect(b.kit.workspacePolicy).not.toBe(a.kit.workspacePolicy);
      expect(withWorkspace({}, 'acme')).toEqual({ workspace_id: 'acme' });
      recordWorkerRestart({ worker: 'pool-late', reason: 'crash' });
      counter(late).add(2, { kind: 'b' });
      const exportedB = await b.collect();
      expect(exportedB.has(streamName(cacheSize, 'baseline'))).toBe(false);
      expect(exportedB.has(streamName(observed, 'baseline'))).toBe(false);
      expect([...labelValues(exportedB.get(streamName(workerRestarts, 'baseline')), 'worker')]).toEqual(['pool-late']);
      expect(total(exportedB.get(streamName(late, 'baseline')))).toBe(2); // B's views cover it
      // Shutting A down again leaves B running.
      await a.kit.shutdown();
      expect(activeKit()).toBe(b.kit);
    } finally {
      setLogSink(previousSink);
    }
  });
});
