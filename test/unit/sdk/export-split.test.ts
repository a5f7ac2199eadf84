/**
 * OTLP requests that fit (src/sdk/export-split.ts) and failed requests counted
 * by reason (src/sdk/export-failures.ts). Sizes are checked with the real
 * serializers the exporters use; collections come from a real MeterProvider.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MeterProvider, MetricReader, type ResourceMetrics, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ExportResult } from '@opentelemetry/core';
import { DEFAULT_MAX_REQUEST_BYTES, requestSizer, splitCollection } from '../../../src/sdk/export-split';
import { ExportFailure, ExportFailures, failureReason } from '../../../src/sdk/export-failures';
import { KitOtlpExporter } from '../../../src/sdk/readers';
import { resetLogWindows, setLogSink } from '../../../src/log';
import { readConfig } from '../../../src/config/env';
import { prometheusName } from '../../../src/model/types';
import { exportFailures } from '../../../src/catalogue/self';
import { KIT_EXPORT_FAILURES, KIT_EXPORT_FAILURE_LABELS } from '../../../src/ops/rules-export';

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A real collection: `metrics` counters with `series` series each (scope a), and a histogram with `histogramSeries` series (scope b). */
async function collection(metrics: number, series: number, histogramSeries = 0): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ 'service.name': 'split-test', 'service.instance.id': 'i-1' }),
    views: [{ instrumentName: '*', aggregationCardinalityLimit: 1_000_000 }],
  });
  const a = provider.getMeter('scope-a', '1.0.0');
  for (let m = 0; m < metrics; m++) {
    const counter = a.createCounter(`split.counter_${m}`, { unit: '{event}' });
    for (let s = 0; s < series; s++) counter.add(s + 1, { workspace_id: `ws-${s}`, provider: 'slack', status: 'ok' });
  }
  if (histogramSeries > 0) {
    const histogram = provider.getMeter('scope-b').createHistogram('split.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
    for (let s = 0; s < histogramSeries; s++) histogram.record(s % 20, { workspace_id: `ws-${s}` });
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

/** Every data point as `scope/metric/attributes=value`, in order. */
function points(requests: readonly ResourceMetrics[]): string[] {
  return requests.flatMap((request) =>
    request.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        (metric.dataPoints as { attributes: object; value: unknown }[]).map(
          (point) => `${scope.scope.name}@${scope.scope.version ?? ''}/${metric.descriptor.name}/${JSON.stringify(point.attributes)}=${JSON.stringify(point.value)}`,
        ),
      ),
    ),
  );
}

const protoBytes = (rm: ResourceMetrics) => ProtobufMetricsSerializer.serializeRequest(rm)!.byteLength;
const jsonBytes = (rm: ResourceMetrics) => JsonMetricsSerializer.serializeRequest(rm)!.byteLength;

describe('splitCollection', () => {
  it('a collection that fits goes out untouched, as one request', async () => {
    const rm = await collection(5, 10);
    const plan = splitCollection(rm, DEFAULT_MAX_REQUEST_BYTES, requestSizer('http/protobuf'));
    expect(plan.requests).toHaveLength(1);
    expect(plan.requests[0]).toBe(rm);
  });

  it('splits at metric boundaries: every request within the limit, every point once, in order, resource and scope on each', async () => {
    const rm = await collection(40, 50, 200);
    const whole = protoBytes(rm);
    const limit = 32 * 1024;
    expect(whole).toBeGreaterThan(4 * limit);
    const plan = splitCollection(rm, limit, requestSizer('grpc'));
    expect(plan.oversized).toEqual([]);
    expect(plan.requests.length).toBeGreaterThanOrEqual(Math.ceil(whole / limit));
    for (const request of plan.requests) {
      expect(protoBytes(request)).toBeLessThanOrEqual(limit);
      expect(request.resource).toBe(rm.resource);
      for (const scope of request.scopeMetrics) expect(rm.scopeMetrics.map((s) => s.scope)).toContain(scope.scope);
    }
    expect(points(plan.requests)).toEqual(points([rm]));
    // Counters are whole metrics per request (each fits alone): no counter spans two requests.
    const seen = plan.requests.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name))).filter((n) => n.startsWith('split.counter'));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('cuts one metric too large alone at data-point boundaries, keeping its descriptor (protobuf and JSON)', async () => {
    const rm = await collection(1, 5_000);
    for (const [protocol, bytes] of [['http/protobuf', protoBytes], ['http/json', jsonBytes]] as const) {
      const limit = 64 * 1024;
      expect(bytes(rm)).toBeGreaterThan(3 * limit);
      const plan = splitCollection(rm, limit, requestSizer(protocol));
      expect(plan.requests.length).toBeGreaterThan(3);
      for (const request of plan.requests) {
        expect(bytes(request)).toBeLessThanOrEqual(limit);
        const [metric] = request.scopeMetrics[0]!.metrics;
        expect(metric!.descriptor).toBe(rm.scopeMetrics[0]!.metrics[0]!.descriptor);
        expect(metric!.aggregationTemporality).toBe(rm.scopeMetrics[0]!.metrics[0]!.aggregationTemporality);
      }
      expect(points(plan.requests)).toEqual(points([rm]));
    }
  });

  it('is deterministic: the same collection gives the same requests', async () => {
    const rm = await collection(10, 300, 300);
    const a = splitCollection(rm, 20_000, requestSizer('http/protobuf')).requests;
    const b = splitCollection(rm, 20_000, requestSizer('http/protobuf')).requests;
    expect(a.map((r) => points([r]))).toEqual(b.map((r) => points([r])));
    expect(a.length).toBeGreaterThan(1);
  });

  it('a data point no request can hold is reported, not sent', async () => {
    const rm = await collection(1, 3);
    const huge = rm.scopeMetrics[0]!.metrics[0]!.dataPoints[1]!;
    (huge.attributes as Record<string, string>).note = 'x'.repeat(40_000);
    const plan = splitCollection(rm, 16_384, requestSizer('http/protobuf'));
    expect(plan.oversized).toHaveLength(1);
    expect(plan.oversized[0]!.metric).toBe('split.counter_0');
    expect(points(plan.requests)).toHaveLength(2);
  });
});

describe('METRICS_OTLP_MAX_REQUEST_BYTES', () => {
  it('defaults to 3 MiB and takes 16 KiB to 1 GiB', () => {
    expect(readConfig({}).config.otlp.maxRequestBytes).toBe(3 * 1024 * 1024);
    expect(readConfig({ METRICS_OTLP_MAX_REQUEST_BYTES: '16384' }).config.otlp.maxRequestBytes).toBe(16_384);
    const low = readConfig({ METRICS_OTLP_MAX_REQUEST_BYTES: '16383' });
    expect(low.config.otlp.maxRequestBytes).toBe(3 * 1024 * 1024);
    expect(low.problems).toEqual(['METRICS_OTLP_MAX_REQUEST_BYTES="16383" is invalid (expected an integer from 16384 to 1073741824); using 3145728']);
  });
});

describe('failureReason', () => {
  const http = (status: number, data = '') => Object.assign(new Error('x'), { name: 'OTLPExporterError', code: status, data });
  const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  it.each([
    [http(413), 'too_large'],
    [http(400, 'http: request body too large'), 'too_large'],
    [http(400, 'proto: cannot parse invalid wire-format data'), 'refused'],
    [http(401), 'refused'],
    [http(404), 'refused'],
    [http(408), 'timeout'],
    [http(500), 'unavailable'],
    [grpc(8, 'Received message larger than max (5000000 vs. 4194304)'), 'too_large'],
    [grpc(8, 'data refused due to high memory usage'), 'unavailable'],
    [grpc(14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1'), 'network'],
    [grpc(14, 'data refused'), 'unavailable'],
    [grpc(4, 'Deadline exceeded'), 'timeout'],
    [grpc(3, 'bad data'), 'refused'],
    [grpc(16, 'no token'), 'refused'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'network'],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'timeout'],
    [Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'network'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'network'],
    [new Error('Request timed out'), 'timeout'],
    [new Error('Export failed with retryable status'), 'unavailable'],
    [new ExportFailure('too big', 'too_large'), 'too_large'],
    [new Error('Concurrent export limit reached'), 'other'],
    [undefined, 'other'],
  ] as const)('#%# → %s', (error, reason) => {
    expect(failureReason(error)).toBe(reason);
  });
});

/** An inner exporter that records each request and answers from a script (a unit-test double; the real exporters run in test/e2e/export-limits.test.ts). */
function scripted(answers: ((rm: ResourceMetrics) => ExportResult)[]): PushMetricExporter & { sent: ResourceMetrics[] } {
  const sent: ResourceMetrics[] = [];
  return {
    sent,
    export(rm, callback) {
      const answer = answers[sent.length % answers.length]!;
      sent.push(rm);
      setImmediate(() => callback(answer(rm)));
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
}

describe('KitOtlpExporter', () => {
  afterEach(() => resetLogWindows());

  it('sends the requests one after the other; success only when all succeed; each failed request counted by reason; one log line per reason', async () => {
    const rm = await collection(20, 100);
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const ok: () => ExportResult = () => ({ code: 0 });
      const tooLarge: () => ExportResult = () => ({ code: 1, error: Object.assign(new Error('Bad Request'), { code: 400, data: 'request body too large' }) });
      const inner = scripted([ok, tooLarge, ok, tooLarge]);
      const failures = new ExportFailures(['otlp_http']);
      const config = { otlp: { protocol: 'http/protobuf' as const, maxRequestBytes: 32 * 1024 } };
      const exporter = new KitOtlpExporter(inner, config, failures);
      const result = await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
      const parts = inner.sent.length;
      expect(parts).toBeGreaterThanOrEqual(4);
      expect(points(inner.sent)).toEqual(points([rm]));
      const failed = Math.floor(parts / 2);
      expect(result.code).toBe(1);
      expect(result.error?.message).toMatch(new RegExp(`^${failed} of ${parts} requests of a split export failed`));
      const counts = Object.fromEntries(failures.snapshot().map((s) => [`${s.exporter}/${s.reason}`, s.count]));
      expect(counts).toEqual({ 'otlp_http/too_large': failed, 'otlp_http/refused': 0, 'otlp_http/unavailable': 0, 'otlp_http/timeout': 0, 'otlp_http/network': 0, 'otlp_http/other': 0 });
      // A second collection: the same reason is not logged again within the minute.
      await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
      const warnings = lines.filter((l) => l.includes('export failed'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('OTLP (http/protobuf) export failed [reason=too_large] (Bad Request)');
      // Another reason gets its own line at once.
      const refusing = new KitOtlpExporter(scripted([() => ({ code: 1, error: Object.assign(new Error('Unauthorized'), { code: 401 }) })]), config, failures);
      const refused = await new Promise<ExportResult>((resolve) => refusing.export(rm, resolve));
      expect(refused.code).toBe(1);
      expect(lines.filter((l) => l.includes('export failed'))).toHaveLength(2);
    } finally {
      setLogSink(previous);
    }
  });

  it('all requests succeed: success, nothing counted', async () => {
    const rm = await collection(20, 100);
    const failures = new ExportFailures(['otlp_grpc']);
    const inner = scripted([() => ({ code: 0 })]);
    const exporter = new KitOtlpExporter(inner, { otlp: { protocol: 'grpc', maxRequestBytes: 32 * 1024 } }, failures);
    const result = await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
    expect(result).toEqual({ code: 0 });
    expect(inner.sent.length).toBeGreaterThan(1);
    expect(failures.snapshot().reduce((sum, s) => sum + s.count, 0)).toBe(0);
  });
});

describe('KitOtlpExporter, one collection at a time', () => {
  afterEach(() => resetLogWindows());

  it('skips a collection while the previous one is still being sent (the reader gave up waiting), says so once, counts no request', async () => {
    const rm = await collection(20, 100);
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const pending: (() => void)[] = [];
      const sent: ResourceMetrics[] = [];
      const slow: PushMetricExporter = {
        export(part, callback) {
          sent.push(part);
          pending.push(() => callback({ code: 0 }));
        },
        forceFlush: async () => undefined,
        shutdown: async () => undefined,
      };
      const failures = new ExportFailures(['otlp_http']);
      const exporter = new KitOtlpExporter(slow, { otlp: { protocol: 'http/protobuf', maxRequestBytes: 32 * 1024 } }, failures);
      /** Answer the slow receiver's requests one by one until `result` settles. */
      const drain = async (result: Promise<ExportResult>): Promise<ExportResult> => {
        let settled: ExportResult | undefined;
        void result.then((r) => (settled = r));
        while (settled === undefined) {
          pending.shift()?.();
          await new Promise((resolve) => setImmediate(resolve));
        }
        return settled;
      };
      const first = new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
      const second = await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
      expect(second.code).toBe(1);
      expect(second.error?.message).toBe('the previous collection is still being sent');
      expect(sent).toHaveLength(1);
      expect((await drain(first)).code).toBe(0);
      expect(sent.length).toBeGreaterThan(1);
      expect(points(sent)).toEqual(points([rm]));
      expect(failures.snapshot().reduce((sum, s) => sum + s.count, 0)).toBe(0);
      expect(lines.filter((l) => l.includes('still being sent'))).toHaveLength(1);
      // Once done, the next collection goes out.
      const third = drain(new Promise<ExportResult>((resolve) => exporter.export(rm, resolve)));
      expect((await third).code).toBe(0);
    } finally {
      setLogSink(previous);
    }
  });
});

describe('the export failure counter', () => {
  it('comes out in Prometheus under the name the MetricsExportFailing alert reads, with its labels', () => {
    expect(prometheusName(exportFailures, 'baseline')).toBe('otel_workspace_metrics_export_failures_total');
    expect(prometheusName(exportFailures, 'baseline')).toBe(KIT_EXPORT_FAILURES);
    expect(exportFailures.labels).toEqual([...KIT_EXPORT_FAILURE_LABELS]);
  });
});

describe('KitOtlpExporter, an exporter that never answers', () => {
  afterEach(() => {
    vi.useRealTimers();
    resetLogWindows();
  });

  it('counts the request as timed out after 5 minutes and lets the next collection go', async () => {
    const rm = await collection(2, 10);
    vi.useFakeTimers();
    const previous = setLogSink(() => undefined);
    try {
      const silent: PushMetricExporter = { export: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined };
      const failures = new ExportFailures(['otlp_grpc']);
      const exporter = new KitOtlpExporter(silent, { otlp: { protocol: 'grpc', maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES } }, failures);
      let result: ExportResult | undefined;
      exporter.export(rm, (r) => (result = r));
      vi.advanceTimersByTime(5 * 60_000 - 1);
      expect(result).toBeUndefined();
      vi.advanceTimersByTime(1);
      expect(result?.code).toBe(1);
      expect(failures.snapshot().find((s) => s.reason === 'timeout')?.count).toBe(1);
      let next: ExportResult | undefined;
      exporter.export(rm, (r) => (next = r));
      expect(next).toBeUndefined(); // sent, not skipped as "still being sent"
    } finally {
      setLogSink(previous);
    }
  });
});
