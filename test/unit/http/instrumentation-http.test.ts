/**
 * instrumentation-http's `http.server.request.duration` under the kit's
 * views (in process: a histogram of that name on another meter, as the
 * instrumentation records it): the kit's buckets and label keys, and the
 * route policy on `http.route`. And the emit checks the stand-down uses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { startInMemory, type InMemoryKit } from '../../../src/testing/in-memory';
import { httpServerRequestDuration } from '../../../src/exports/catalogue';
import { INSTRUMENTATION_HTTP, bypassEmitInstrumentation, emitIsInstrumented, policyRoute } from '../../../src/http/instrumentation-http';

let memory: InMemoryKit | undefined;
afterEach(async () => {
  await memory?.kit.shutdown();
  memory = undefined;
});

describe("instrumentation-http's histogram under the kit's views", () => {
  it('keeps the declared keys, applies the route policy and the declared buckets', async () => {
    memory = startInMemory({ METRICS_RECORDING_PATH: 'views' });
    const histogram = metrics.getMeterProvider().getMeter(INSTRUMENTATION_HTTP, '0.301.0').createHistogram('http.server.request.duration', { unit: 's' });
    const common = { 'http.request.method': 'GET', 'url.scheme': 'http', 'network.protocol.version': '1.1', 'http.response.status_code': 200 };
    histogram.record(0.02, { ...common, 'http.route': '/users/:id' });
    histogram.record(0.02, { ...common, 'http.route': '/u/jane.doe@example.com/profile' });
    histogram.record(0.02, { ...common, 'http.route': '/t/acme corp' });
    histogram.record(0.02, { ...common, 'http.route': 42 as unknown as string });
    histogram.record(0.02, common);
    const data = (await memory.collect()).get('http_server_request_duration_seconds') as HistogramMetricData;
    expect(data.dataPointType).toBe(DataPointType.HISTOGRAM);
    const points = data.dataPoints.map((point) => ({ attributes: point.attributes, count: point.value.count }));
    expect(points).toEqual([
      { attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id', 'http.response.status_code': 200 }, count: 1 },
      { attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 }, count: 4 },
    ]);
    expect(data.dataPoints[0]!.value.buckets.boundaries).toEqual(httpServerRequestDuration.buckets);
  });
});

describe('policyRoute', () => {
  it('keeps template-shaped routes and removes anything else', () => {
    for (const route of ['/', '/users/:id', '/orgs/{org}/runs/*', '/health']) expect(policyRoute(route), route).toBe(route);
    for (const value of ['users/:id', '/a b', '/x?y=1', '/u/jane@example.com', 7, undefined, null, '/' + 'a'.repeat(200)]) expect(policyRoute(value), String(value)).toBeUndefined();
  });
});

describe('emit instrumentation checks', () => {
  function shimmerWrap(target: { emit: (...args: unknown[]) => boolean }): void {
    const original = target.emit;
    const wrapped = Object.assign(function (this: unknown, ...args: unknown[]) {
      return original.apply(this, args);
    }, { __wrapped: true, __original: original, __unwrap: () => undefined });
    target.emit = wrapped;
  }

  it('sees a shimmer-wrapped emit and nothing else', () => {
    const server = createServer();
    expect(emitIsInstrumented(server)).toBe(false);
    const plainWrap = createServer();
    plainWrap.emit = function (this: unknown, ...args: unknown[]) {
      return EventEmitter.prototype.emit.apply(this, args as [string]);
    };
    expect(emitIsInstrumented(plainWrap)).toBe(false);
    shimmerWrap(server as unknown as { emit: (...args: unknown[]) => boolean });
    expect(emitIsInstrumented(server)).toBe(true);
    expect(emitIsInstrumented(undefined)).toBe(false);
  });

  it("bypassEmitInstrumentation keeps a server's requests away from a wrapped prototype emit", () => {
    class Proto extends EventEmitter {}
    let seen = 0;
    const original = Proto.prototype.emit;
    Proto.prototype.emit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]) {
      seen++;
      return original.call(this, event, ...args);
    };
    const mine = new Proto();
    const theirs = new Proto();
    bypassEmitInstrumentation(mine as never);
    let handled = 0;
    mine.on('request', () => handled++);
    mine.emit('request');
    theirs.emit('request');
    expect({ seen, handled }).toEqual({ seen: 1, handled: 1 });
  });
});
