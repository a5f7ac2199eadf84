/**
 * The kit's own HTTP recorder (src/http/server-metrics.ts) on a real
 * node:http server, on both recording paths: every request counted once,
 * under its normalised method, its route template (none without one, or for
 * a value that is not template-shaped) and its status code; body sizes from
 * Content-Length; durations measured; the same label sets recorded again
 * after a collection (its cached attributes and bound recorders) still add
 * up; its own metrics endpoint is never measured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { setHttpRoute, start, type Kit } from '../../../src/index';
import { freePort } from '../../helpers/processes';

let kit: Kit | undefined;
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await kit?.shutdown();
  kit = undefined;
});

interface Call {
  method: string;
  /** What the handler passes to setHttpRoute (none: no template). */
  route?: string;
  status: number;
  /** Request body (sent with Content-Length). */
  body?: string;
  /** Response body. */
  answer?: string;
}

function send(port: number, call: Call): Promise<void> {
  const query = new URLSearchParams({ status: String(call.status), answer: call.answer ?? '' });
  if (call.route !== undefined) query.set('route', call.route);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: call.method, path: `/workspaces/acme-corp/users/jane.doe?${query}`, headers: call.body === undefined ? {} : { 'content-length': Buffer.byteLength(call.body) } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(call.body);
  });
}

/** `count` of each series of a histogram, keyed by its attributes (sorted JSON). */
function counts(metric: MetricData | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of (metric as HistogramMetricData | undefined)?.dataPoints ?? []) {
    const key = JSON.stringify(Object.entries(point.attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
    out[key] = (out[key] ?? 0) + point.value.count;
  }
  return out;
}

function sums(metric: MetricData | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of (metric as HistogramMetricData | undefined)?.dataPoints ?? []) {
    out[JSON.stringify(Object.entries(point.attributes).sort(([a], [b]) => (a < b ? -1 : 1)))] = point.value.sum!;
  }
  return out;
}

const series = (method: string, status: number, route?: string): string =>
  JSON.stringify(
    Object.entries(route === undefined ? { 'http.request.method': method, 'http.response.status_code': status } : { 'http.request.method': method, 'http.response.status_code': status, 'http.route': route }).sort(
      ([a], [b]) => (a < b ? -1 : 1),
    ),
  );

const CALLS: [Call, number][] = [
  [{ method: 'GET', route: '/workspaces/:workspace/users/:user', status: 200, answer: 'hello' }, 5],
  [{ method: 'GET', route: '/workspaces/:workspace/users/:user', status: 404 }, 3],
  [{ method: 'POST', route: '/workspaces/:workspace/users/:user', status: 201, body: 'abc', answer: '{}' }, 2],
  // A method outside the semantic conventions' list: _OTHER.
  [{ method: 'PURGE', status: 200 }, 2],
  // No template: no http.route (never the path).
  [{ method: 'GET', status: 500 }, 2],
  // Not template-shaped (a person's name in it): no http.route either.
  [{ method: 'GET', route: '/u/jane doe', status: 200 }, 1],
  [{ method: 'DELETE', route: '/users/{id}', status: 204 }, 1],
];

describe.each(['fast', 'views'] as const)('the HTTP recorder (METRICS_RECORDING_PATH=%s)', (path) => {
  it('counts every request once by method, route template and status code, collection after collection', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const metricsPort = await freePort();
    kit = start({ env: { OTEL_METRICS_EXPORTER: 'prometheus', METRICS_PORT: String(metricsPort), METRICS_RUNTIME: 'off', METRICS_RECORDING_PATH: path }, readers: [reader], httpServerMetrics: true });
    expect(kit?.recordingPath).toBe(path);
    server = createServer((request, response) => {
      const query = new URL(request.url!, 'http://localhost').searchParams;
      const route = query.get('route');
      if (route !== null) setHttpRoute(request, route);
      request.resume();
      request.on('end', () => {
        response.statusCode = Number(query.get('status'));
        response.end(query.get('answer') ?? '');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const collect = async (): Promise<Map<string, MetricData>> => {
      exporter.reset();
      await reader.forceFlush();
      const out = new Map<string, MetricData>();
      for (const resourceMetrics of exporter.getMetrics()) for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      return out;
    };

    // Twice the same calls, with a collection (and a scrape of the kit's own endpoint, which is not counted) between.
    const expected: Record<string, number> = {};
    const requestBytes: Record<string, number> = {};
    const responseBytes: Record<string, number> = {};
    let first: Map<string, MetricData> | undefined;
    const started = performance.now();
    for (let pass = 0; pass < 2; pass++) {
      for (const [call, times] of CALLS) {
        const method = call.method === 'PURGE' ? '_OTHER' : call.method;
        const route = call.route === undefined || call.route.includes(' ') ? undefined : call.route;
        const key = series(method, call.status, route);
        for (let i = 0; i < times; i++) await send(port, call);
        expected[key] = (expected[key] ?? 0) + times;
        requestBytes[key] = (requestBytes[key] ?? 0) + times * Buffer.byteLength(call.body ?? '');
        responseBytes[key] = (responseBytes[key] ?? 0) + times * (call.status === 204 ? 0 : Buffer.byteLength(call.answer ?? ''));
      }
      if (pass === 0) {
        first = await collect();
        expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain('http_server_request_duration_seconds_count{');
      }
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    const last = await collect();

    const total = CALLS.reduce((sum, [, times]) => sum + times, 0);
    expect(Object.values(counts(first!.get('http_server_request_duration_seconds'))).reduce((a, b) => a + b, 0)).toBe(total);
    expect(counts(last.get('http_server_request_duration_seconds'))).toStrictEqual(expected);
    expect(counts(last.get('http_server_request_body_size_bytes'))).toStrictEqual(expected);
    expect(sums(last.get('http_server_request_body_size_bytes'))).toStrictEqual(requestBytes);
    expect(counts(last.get('http_server_response_body_size_bytes'))).toStrictEqual(expected);
    expect(sums(last.get('http_server_response_body_size_bytes'))).toStrictEqual(responseBytes);
    // Durations are measured: positive, and together no longer than the whole run.
    const durations = Object.values(sums(last.get('http_server_request_duration_seconds')));
    for (const sum of durations) expect(sum).toBeGreaterThan(0);
    expect(durations.reduce((a, b) => a + b, 0)).toBeLessThan(elapsedSeconds);
  });
});
