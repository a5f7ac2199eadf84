/** A metric declared after start has no view: it must record nothing rather than unfiltered attributes. */
import { afterEach, describe, expect, it } from 'vitest';
import { activeKit, counter, declareMetrics, setLogSink, type MetricDeclaration } from '../../../src/index';
import { startInMemory } from '../../helpers/in-memory';

afterEach(async () => {
  await activeKit()?.shutdown();
});

const widgets = (name: string): MetricDeclaration => ({
  name,
  kind: 'counter',
  unit: '{widget}',
  description: 'Widgets.',
  labels: ['color'],
  workspaceStream: true,
});

describe('declaring metrics', () => {
  it('before start: the views enforce the policy', async () => {
    const early = widgets('early.widgets');
    declareMetrics(early);
    const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'acme' });
    counter(early).add(1, { color: 'red', workspace_id: 'raw-tenant-123', run_id: 'r-1' });
    const exported = await collect();
    expect(exported.get('early_widgets')!.dataPoints.map((p) => p.attributes)).toEqual([{ color: 'red' }]);
    expect(exported.get('early_widgets_by_workspace')!.dataPoints.map((p) => p.attributes)).toEqual([{ color: 'red', workspace_id: '__other__' }]);
  });

  it('after start: refused with one error line, nothing exported, not even raw attributes', async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const { collect } = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'acme' });
      const late = widgets('late.widgets');
      declareMetrics(late);
      counter(late).add(1, { color: 'red', workspace_id: 'raw-tenant-123', run_id: 'r-1' });
      const exported = await collect();
      expect([...exported.keys()].filter((name) => name.startsWith('late'))).toEqual([]);
      expect(lines.filter((line) => line.includes('late.widgets'))).toHaveLength(1);
      expect(lines.join('\n')).toContain('declared after the kit started');
    } finally {
      setLogSink(previous);
    }
  });
});
