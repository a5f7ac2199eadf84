/**
 * A user-declared family (the docs/CUSTOM-METRICS.md example) gets the same
 * views as the built-ins: only declared keys in the baseline, the workspace
 * stream folding unlisted ids, declared buckets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelValues, startInMemory, total, type InMemoryKit } from '../../helpers/in-memory';
import { BoundedLabel, counter, declareMetrics, defineRecorder, histogram, nonNegative, registerObservation, required, status, timeAsync, withWorkspace, type MetricDeclaration, type Status } from '../../../src/index';
import { catalogue } from '../../../src/exports/catalogue';

// ---- the example from docs/CUSTOM-METRICS.md, verbatim apart from imports ----
const invoiceRenders: MetricDeclaration = {
  name: 'invoice.renders',
  kind: 'counter',
  unit: '{render}',
  description: 'Invoice renders by template and outcome status.',
  labels: ['template', 'status'],
  workspaceStream: true,
};

const invoiceRenderDuration: MetricDeclaration = {
  name: 'invoice.render.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Invoice render time in seconds, by template and outcome status.',
  labels: ['template', 'status'],
  buckets: [0.1, 0.5, 1, 2, 5, 10],
  workspaceStream: true,
};

const invoiceQueueDepth: MetricDeclaration = {
  name: 'invoice.queue.depth',
  kind: 'observableGauge',
  unit: '{invoice}',
  description: 'Invoices waiting to be rendered.',
  labels: ['priority'],
};

declareMetrics(invoiceRenders, invoiceRenderDuration, invoiceQueueDepth);

interface InvoiceRender {
  template: string;
  status: Status;
  durationSeconds: number;
  workspaceId?: string;
}

const templates = new BoundedLabel(50);

const recordInvoiceRender = defineRecorder<InvoiceRender>('recordInvoiceRender', (input) => {
  const attributes = withWorkspace(
    {
      template: required(templates.value(input.template), 'template is missing'),
      status: required(status(input.status), 'status is not a known status'),
    },
    input.workspaceId,
  );
  const seconds = required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0');
  counter(invoiceRenders).add(1, attributes);
  histogram(invoiceRenderDuration).record(seconds, attributes);
});
// ---- end of the example ----

let memory: InMemoryKit;

beforeAll(() => {
  memory = startInMemory({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'acme' });
});

afterAll(async () => {
  await memory.kit.shutdown();
});

describe('a user-declared family', () => {
  it('joins the catalogue, once', () => {
    expect(catalogue().filter((d) => d.name.startsWith('invoice.'))).toEqual([invoiceRenders, invoiceRenderDuration, invoiceQueueDepth]);
    expect(() => declareMetrics({ ...invoiceRenders })).toThrow(/already declared/);
  });

  it('gets the views: only declared keys in the baseline; the workspace stream folds unlisted ids; sums agree', async () => {
    for (const workspaceId of ['acme', 'unlisted', 'Not Canonical!', undefined]) {
      await timeAsync(recordInvoiceRender, { template: 'monthly', workspaceId }, async () => 'pdf');
    }
    // Raw instrument use with undeclared keys (a high-cardinality id) is filtered by the view too.
    counter(invoiceRenders).add(1, { template: 'monthly', status: 'ok', invoice_id: 'inv-123', workspace_id: 'acme' });

    const metrics = await memory.collect();
    const baseline = metrics.get('invoice_renders')!;
    const perWorkspace = metrics.get('invoice_renders_by_workspace')!;
    for (const point of baseline.dataPoints) expect(Object.keys(point.attributes).sort()).toEqual(['status', 'template']);
    for (const point of perWorkspace.dataPoints) expect(Object.keys(point.attributes).sort()).toEqual(['status', 'template', 'workspace_id']);
    expect(labelValues(perWorkspace, 'workspace_id')).toEqual(new Set(['acme', '__other__']));
    expect(total(baseline)).toBe(5);
    expect(total(perWorkspace)).toBe(5);
    const acme = perWorkspace.dataPoints.find((p) => p.attributes.workspace_id === 'acme')!;
    expect(acme.value).toBe(2);

    const duration = metrics.get('invoice_render_duration_seconds')!;
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = duration.dataPoints[0]!;
    expect((point.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([0.1, 0.5, 1, 2, 5, 10]);
    expect(total(metrics.get('invoice_render_duration_by_workspace_seconds'))).toBe(total(duration));
  });

  it('an observable custom gauge reports through registerObservation', async () => {
    const stop = registerObservation(invoiceQueueDepth, (observe) => {
      observe(3, { priority: 'high', invoice_id: 'dropped-by-the-view' });
    });
    const metrics = await memory.collect();
    const depth = metrics.get('invoice_queue_depth')!;
    expect(depth.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ priority: 'high' }, 3]]);
    stop();
  });

  it('the documented example is the one tested here', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/CUSTOM-METRICS.md'), 'utf8');
    for (const decl of [invoiceRenders, invoiceRenderDuration, invoiceQueueDepth]) {
      expect(doc).toContain(`name: '${decl.name}'`);
      expect(doc).toContain(`unit: '${decl.unit}'`);
      expect(doc).toContain(`description: '${decl.description}'`);
      expect(doc).toContain(`labels: [${decl.labels.map((l) => `'${l}'`).join(', ')}]`);
    }
    expect(doc).toContain("buckets: [0.1, 0.5, 1, 2, 5, 10]");
    expect(doc).toContain("defineRecorder<InvoiceRender>('recordInvoiceRender'");
  });
});
