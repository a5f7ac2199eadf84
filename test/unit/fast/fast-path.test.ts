/**
 * The fast recording path (src/fast/) exports exactly what the views path
 * exports for the same recordings: names, descriptors, scopes, attributes,
 * values, buckets, min/max, overflow series and self-metrics (timestamps
 * aside), collection after collection; and its data reaches every reader.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { metrics, type Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { activeKit, counter, declareMetrics, histogram, recordActionExecution, recordQueueJob, start, type Kit, type MetricDeclaration } from '../../../src/index';
import { BUILTIN_METRICS } from '../../../src/exports/catalogue';
import { parseExposition } from '../../../src/exposition/parse';
import { FastCounter, FastHistogram } from '../../../src/fast/index';
import { freePort } from '../../helpers/processes';

/** Test-only families: a small cardinality limit to drive the SDK's overflow series. */
const tinyCounter: MetricDeclaration = {
  name: 'fastpath.test.requests',
  kind: 'counter',
  unit: '{request}',
  description: 'Test counter with a tiny cardinality limit.',
  labels: ['route', 'code'],
  workspaceStream: true,
  cardinalityLimit: 5,
};
const tinyHistogram: MetricDeclaration = {
  name: 'fastpath.test.latency',
  kind: 'histogram',
  unit: 'ms',
  description: 'Test histogram with a tiny cardinality limit.',
  labels: ['route'],
  buckets: [1, 2, 5, 10],
  workspaceStream: true,
  cardinalityLimit: 4,
};
const unlabelled: MetricDeclaration = {
  name: 'fastpath.test.ticks',
  kind: 'counter',
  unit: '{tick}',
  description: 'Test counter without labels.',
  labels: [],
};
declareMetrics(tinyCounter, tinyHistogram, unlabelled);

const HOSTILE: unknown[] = ['a",x="1', 'new\nline', 'x'.repeat(10_000), '\u202Eacme', '', ' ', 42, null, undefined, {}, ['acme'], 'ACME ', 'Team-A/WS-9', 'team-a/ws-1', 'team-b/x', 'a/b/c'];

afterEach(async () => {
  await activeKit()?.shutdown();
  delete process.env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE;
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
});

interface Started {
  kit: Kit;
  /** Collect through the first reader (or the second: each reader keeps its own cumulative state). */
  collect(readerIndex?: number): Promise<ResourceMetrics>;
}

/** Starts the kit with two in-memory readers. */
function startWith(env: Record<string, string>, temporality = AggregationTemporality.CUMULATIVE): Started {
  const exporters = [new InMemoryMetricExporter(temporality), new InMemoryMetricExporter(temporality)];
  const readers = exporters.map((exporter) => new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 }));
  // Runtime metrics differ from one collection to the next by nature: off, so the two paths can be compared exactly.
  const kit = start({ env: { OTEL_METRICS_EXPORTER: 'none', METRICS_RUNTIME: 'off', ...env }, readers, httpServerMetrics: false });
  if (kit === undefined) throw new Error('kit did not start');
  return {
    kit,
    async collect(readerIndex = 0) {
      const exporter = exporters[readerIndex]!;
      exporter.reset();
      await readers[readerIndex]!.forceFlush();
      const all = exporter.getMetrics();
      return all[all.length - 1]!;
    },
  };
}

/** The SDK's attribute hash: sorted keys, JSON. */
function hash(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((key) => [key, attributes[key]]));
}

/** Everything but timestamps, in a deterministic order (series sorted by attribute hash, metrics by scope and name). */
function normalize(resourceMetrics: ResourceMetrics, ignore: (name: string) => boolean = () => false): unknown[] {
  const out: { key: string; metric: unknown }[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics as MetricData[]) {
      if (ignore(metric.descriptor.name)) continue;
      const points = metric.dataPoints
        .map((point) => ({ attributes: point.attributes, value: point.value }))
        .sort((a, b) => (hash(a.attributes) < hash(b.attributes) ? -1 : hash(a.attributes) > hash(b.attributes) ? 1 : 0));
      out.push({
        key: `${scope.scope.name}@${scope.scope.version ?? ''}/${metric.descriptor.name}`,
        metric: {
          scope: { name: scope.scope.name, version: scope.scope.version, schemaUrl: scope.scope.schemaUrl },
          descriptor: metric.descriptor,
          aggregationTemporality: metric.aggregationTemporality,
          dataPointType: metric.dataPointType,
          isMonotonic: 'isMonotonic' in metric ? metric.isMonotonic : undefined,
          points,
        },
      });
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((entry) => entry.metric);
}

/** The last-reload gauge is a wall-clock timestamp: the one value that may differ between two runs. */
const wallClock = (name: string): boolean => name.includes('last_reload');

/** Attribute values for a declaration's labels, from a few deliberately tricky shapes. */
function attributesFor(decl: MetricDeclaration, i: number, workspace: unknown): Attributes {
  const shapes: unknown[] = [`v${i % 7}`, i % 5, i % 2 === 0, undefined, null, Number.NaN, [`a${i % 2}`, 1], `V${i % 3}`];
  const out: Record<string, unknown> = { stray_key: `run-${i}` };
  decl.labels.forEach((label, k) => {
    out[label] = i % 13 === 0 ? shapes[(i + k) % shapes.length] : `${label}-${(i + k) % 4}`;
  });
  if (workspace !== undefined) out.workspace_id = workspace;
  return out as Attributes;
}

/**
 * One deterministic workload in phases; `collect` runs between phases so the
 * per-collection cardinality limits and cumulative merging are exercised.
 */
async function runWorkload(started: Started): Promise<unknown[][]> {
  const snapshots: unknown[][] = [];
  let collections = 0;
  // Both readers collect, interleaved unevenly: the second one every other time.
  const snap = async () => {
    snapshots.push(normalize(await started.collect(0), wallClock));
    if (collections++ % 2 === 1) snapshots.push(normalize(await started.collect(1), wallClock));
  };
  const workspace = (i: number): unknown => (i % 9 === 0 ? HOSTILE[i % HOSTILE.length] : i % 4 === 0 ? ` WS-${i % 30} ` : `ws-${i % 30}`);
  const families = [...BUILTIN_METRICS, tinyCounter, tinyHistogram, unlabelled].filter((d) => d.kind === 'counter' || d.kind === 'histogram');

  // Phase 1: typed helpers (validation, bounded labels) and every catalogue counter/histogram directly.
  for (let i = 0; i < 600; i++) {
    recordActionExecution({ provider: `p${i % 4}`, action: `a${i % 6}`, status: i % 7 ? 'ok' : 'failure', durationSeconds: (i % 37) / 4, workspaceId: workspace(i) as string });
    recordQueueJob({ jobType: `t${i % 3}`, status: i % 5 ? 'success' : 'timeout', durationSeconds: i % 11, workspaceId: workspace(i + 1) as string });
    for (const decl of families) {
      const attributes = attributesFor(decl, i, workspace(i + 2));
      if (decl.kind === 'counter') counter(decl).add(i % 3, attributes);
      else histogram(decl).record(((i * 7) % 50) / 3, attributes);
    }
  }
  // Edge values: negative and non-numbers are dropped, NaN and Infinity as the SDK treats them.
  counter(tinyCounter).add(-1, { route: 'r0' });
  histogram(tinyHistogram).record(-1, { route: 'r0' });
  counter(tinyCounter).add('3' as unknown as number, { route: 'r0' });
  counter(tinyCounter).add(Number.NaN, { route: 'nan-route' });
  histogram(tinyHistogram).record(Number.NaN, { route: 'nan-route' });
  histogram(tinyHistogram).record(Number.POSITIVE_INFINITY, { route: 'inf-route' });
  histogram(tinyHistogram).record(0, { route: 'zero' });
  counter(unlabelled).add(2);
  counter(unlabelled).add(1, undefined);
  await snap();

  // Phase 2: a new cycle: old series, new ones beyond the limit, an allowlist change at runtime.
  started.kit.workspacePolicy?.setAllowlist(['ws-3', 'ws-4', 'team-a/*', 'ws-29']);
  for (let i = 0; i < 300; i++) {
    const attributes = { route: `r${(i * 3) % 11}`, code: i % 2 ? 200 : '200', workspace_id: workspace(i) } as Attributes;
    counter(tinyCounter).add(1, attributes);
    histogram(tinyHistogram).record(i % 12, attributes);
    recordActionExecution({ provider: 'p1', action: 'a1', status: 'ok', durationSeconds: i / 100, workspaceId: workspace(i) as string });
  }
  await snap();

  // Phase 3: nothing recorded, then only series that overflowed before.
  await snap();
  for (let i = 0; i < 50; i++) counter(tinyCounter).add(1, { route: `r${10 - (i % 3)}`, code: 404 });
  await snap();
  snapshots.push(normalize(await started.collect(1), wallClock));
  return snapshots;
}

const POLICY_ENV = { METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'ws-1,ws-2,ws-3,team-a/ws-1,team-b/*', METRICS_RUNTIME: 'off' };

describe('fast recording path', () => {
  it('is the default, and serves catalogue counters and histograms with OTel-API-shaped instruments', () => {
    const { kit } = startWith(POLICY_ENV);
    expect(kit.recordingPath).toBe('fast');
    expect(counter(tinyCounter)).toBeInstanceOf(FastCounter);
    expect(histogram(tinyHistogram)).toBeInstanceOf(FastHistogram);
  });

  for (const [label, env] of [
    ['workspace label on, enforcing', POLICY_ENV],
    ['workspace label on, pass-through', { ...POLICY_ENV, METRICS_WORKSPACE_POLICY: 'passthrough' }],
    ['workspace label on, custom name and sampling', { ...POLICY_ENV, METRICS_WORKSPACE_LABEL_NAME: 'tenant_id', METRICS_WORKSPACE_SAMPLE_RATE: '0.3' }],
    ['workspace label off', { METRICS_WORKSPACE_ALLOWLIST: 'ws-1' }],
  ] as const) {
    it(`exports exactly what the views path exports, collection after collection (${label})`, async () => {
      const fast = startWith({ ...env, METRICS_RECORDING_PATH: 'fast' });
      expect(fast.kit.recordingPath).toBe('fast');
      const viaFast = await runWorkload(fast);
      const foldsFast = fast.kit.workspacePolicy?.foldCounts().map((c) => ({ ...c }));
      await fast.kit.shutdown();

      const views = startWith({ ...env, METRICS_RECORDING_PATH: 'views' });
      expect(views.kit.recordingPath).toBe('views');
      const viaViews = await runWorkload(views);
      const foldsViews = views.kit.workspacePolicy?.foldCounts().map((c) => ({ ...c }));

      expect(viaFast).toHaveLength(7);
      for (let i = 0; i < viaViews.length; i++) expect(viaFast[i], `collection #${i + 1}`).toStrictEqual(viaViews[i]);
      expect(foldsFast).toStrictEqual(foldsViews);

      // The workload did reach the interesting cases.
      const last = viaViews[viaViews.length - 1] as { descriptor: { name: string }; points: { attributes: Attributes }[] }[];
      const names = last.map((m) => m.descriptor.name);
      expect(names).toContain('action_executions');
      expect(names).toContain('fastpath_test_requests');
      const overflowing = last.find((m) => m.descriptor.name === 'fastpath_test_requests')!;
      expect(overflowing.points.some((p) => p.attributes['otel.metric.overflow'] === true)).toBe(true);
      if (env.METRICS_WORKSPACE_LABEL === 'on') expect(names).toContain('action_executions_by_workspace');
    });
  }

  it('feeds the embedded Prometheus endpoint and the OTLP reader alike', async () => {
    const bodies: string[] = [];
    const otlp = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        bodies.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve));
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`;
      const kit = start({
        env: { ...POLICY_ENV, OTEL_METRICS_EXPORTER: 'prometheus,otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', METRICS_PORT: String(await freePort()), OTEL_METRIC_EXPORT_INTERVAL: '3600000' },
        httpServerMetrics: false,
      })!;
      expect(kit.recordingPath).toBe('fast');
      for (let i = 0; i < 10; i++) recordActionExecution({ provider: 'google', action: 'gmail.send', status: 'ok', durationSeconds: 0.3, workspaceId: i % 2 ? 'ws-1' : 'other' });
      const port = await kit.embeddedPort;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const families = parseExposition(text);
      const byWorkspace = families.get('action_executions_by_workspace_total')!;
      expect(byWorkspace.samples.map((s) => [s.labels.workspace_id, s.value]).sort()).toEqual([['__other__', 5], ['ws-1', 5]]);
      expect(families.get('action_duration_seconds')!.samples.find((s) => s.name === 'action_duration_seconds_count')!.value).toBe(10);

      await kit.forceFlush();
      const sent = bodies.join('\n');
      expect(sent).toContain('"action_executions_by_workspace"');
      expect(sent).toContain('"action_duration_by_workspace_seconds"');
      expect(sent).toContain('"ws-1"');
    } finally {
      await activeKit()?.shutdown();
      await new Promise((resolve) => otlp.close(resolve));
    }
  });

  it('serves the same Prometheus text as the views path', async () => {
    const scrape = async (path: 'fast' | 'views') => {
      const kit = start({ env: { ...POLICY_ENV, METRICS_RECORDING_PATH: path, METRICS_PORT: String(await freePort()) }, httpServerMetrics: false })!;
      expect(kit.recordingPath).toBe(path);
      for (let i = 0; i < 200; i++) {
        recordActionExecution({ provider: `p${i % 3}`, action: 'run', status: i % 4 ? 'ok' : 'error', durationSeconds: (i % 23) / 7, workspaceId: `ws-${i % 5}` });
        recordQueueJob({ jobType: 'sync', status: 'ok', durationSeconds: i % 3, workspaceId: i % 2 ? 'ws-2' : undefined });
      }
      const text = await (await fetch(`http://127.0.0.1:${await kit.embeddedPort}/metrics`)).text();
      await kit.shutdown();
      return text
        .split('\n')
        .filter((line) => line !== '' && !line.includes('last_reload'))
        .map((line) => line.replace(/service_instance_id="[^"]*"/, 'service_instance_id="…"'))
        .sort();
    };
    const fast = await scrape('fast');
    const views = await scrape('views');
    expect(fast).toEqual(views);
    expect(fast.some((line) => line.startsWith('action_duration_by_workspace_seconds_bucket{'))).toBe(true);
  });

  it('falls back to the views path when a reader wants delta temporality', async () => {
    const deltaReader = startWith(POLICY_ENV, AggregationTemporality.DELTA);
    expect(deltaReader.kit.recordingPath).toBe('views');
    recordActionExecution({ provider: 'google', action: 'gmail.send', status: 'ok', durationSeconds: 1, workspaceId: 'ws-1' });
    const exported = (await deltaReader.collect()).scopeMetrics.flatMap((s) => s.metrics);
    const stream = exported.find((m) => m.descriptor.name === 'action_executions_by_workspace')!;
    expect(stream.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    await deltaReader.kit.shutdown();

    // An OTLP endpoint that accepts everything, so shutting down does not wait on retries.
    const sink = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      process.env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE = 'lowmemory';
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
      const kit = start({ env: { ...POLICY_ENV, OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '3600000' }, httpServerMetrics: false })!;
      expect(kit.recordingPath).toBe('views');
      await kit.shutdown();
    } finally {
      await new Promise((resolve) => sink.close(resolve));
    }
  });

  it('leaves raw OTel API instruments on the SDK views path', async () => {
    const { collect } = startWith(POLICY_ENV);
    const raw = metrics.getMeter('someone-else').createCounter(tinyCounter.name);
    raw.add(2, { route: 'x', code: 1, run_id: 'r', workspace_id: 'ws-1' });
    counter(tinyCounter).add(3, { route: 'x', code: 1, workspace_id: 'ws-1' });
    const exported = await collect();
    const found = exported.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === 'fastpath_test_requests_by_workspace').map((m) => [s.scope.name, m.dataPoints[0]!.value]));
    expect(found.sort()).toEqual([['otel-workspace-metrics', 3], ['someone-else', 2]]);
  });

  it('keeps fold counts, and sees allowlist changes at once (no stale resolution)', async () => {
    const { kit, collect } = startWith({ METRICS_WORKSPACE_LABEL: 'on', METRICS_WORKSPACE_ALLOWLIST: 'ws-1' });
    const record = (id: string) => counter(tinyCounter).add(1, { route: 'r', code: 1, workspace_id: id });
    record('ws-1');
    record('ws-2');
    kit.workspacePolicy!.setAllowlist(['ws-2']);
    record('ws-1');
    record('ws-2');
    const exported = (await collect()).scopeMetrics.flatMap((s) => s.metrics);
    const stream = exported.find((m) => m.descriptor.name === 'fastpath_test_requests_by_workspace')!;
    const values = Object.fromEntries(stream.dataPoints.map((p) => [p.attributes.workspace_id, p.value]));
    expect(values).toEqual({ 'ws-1': 1, 'ws-2': 1, __other__: 2 });
    const folds = kit.workspacePolicy!.foldCounts().find((c) => c.metric.startsWith('fastpath_test_requests_by_workspace'));
    expect(folds?.count).toBe(2);
    expect(stream.dataPointType).toBe(DataPointType.SUM);
  });
});
