/**
 * The embedded endpoint's body: the sliced serializer writes exactly what the
 * exporter's own serializer writes (every slice size, several scopes, a family
 * split across scopes, a TYPE conflict, histograms, an empty collection) while
 * yielding to the event loop between slices; concurrent scrapes share one
 * collection, and the optional cache holds for exactly its time.
 */
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, type CollectionResult, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { CoalescingScrapeBody, SlicedSerializer } from '../../../src/sdk/scrape-body';

async function collected(populate: (provider: MeterProvider) => void): Promise<ResourceMetrics> {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'sliced "test"\n' }), readers: [reader] });
  populate(provider);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

const library = (rm: ResourceMetrics): string => new PrometheusSerializer(undefined, false, undefined, false, false).serialize(rm);

describe('SlicedSerializer', () => {
  it('writes the library text byte for byte, whatever the slice size', async () => {
    const rm = await collected((provider) => {
      const a = provider.getMeter('scope-a', '1.0.0');
      const b = provider.getMeter('scope-b');
      const jobs = a.createCounter('jobs', { description: 'Jobs "done"\nper shard', unit: '{job}' });
      for (let i = 0; i < 37; i++) jobs.add(i + 1, { shard: `s${i}`, odd: i % 2 === 1 });
      // the same family from a second scope, with another description (the first one wins)
      const jobsB = b.createCounter('jobs', { description: 'other help' });
      for (let i = 0; i < 5; i++) jobsB.add(2, { shard: `b${i}` });
      const latency = a.createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
      for (let i = 0; i < 11; i++) latency.record(i / 3, { route: `/r${i % 4}` });
      a.createGauge('temperature').record(21.5, { room: 'a\\b' });
      // a TYPE conflict: the library drops the family
      a.createUpDownCounter('clash').add(1);
      b.createHistogram('clash').record(1);
      a.createCounter('untouched');
    });
    const expected = library(rm);
    expect(expected).toContain('jobs_total{');
    expect(expected).not.toContain('clash');
    for (const size of [1, 2, 3, 7, 36, 37, 38, 1_000]) {
      const body = await new SlicedSerializer().serialize(rm, size);
      expect(body.toString('utf8'), `slice size ${size}`).toBe(expected);
    }
  });

  it('writes the library text for an empty collection', async () => {
    const rm = await collected(() => undefined);
    expect((await new SlicedSerializer().serialize(rm, 10)).toString()).toBe(library(rm));
  });

  it('yields to the event loop between slices: 10,000 points in slices of 500 let other work run at least 19 times', async () => {
    const rm = await collected((provider) => {
      const c = provider.getMeter('m').createCounter('many');
      for (let i = 0; i < 10_000; i++) c.add(1, { k: `v${i}` });
    }).catch((error) => {
      throw error;
    });
    const points = rm.scopeMetrics[0]!.metrics[0]!.dataPoints.length;
    expect(points).toBe(2_000); // the SDK's default cardinality limit per stream
    // a metric of 10,000 points: the same data point list, repeated
    const big = { ...rm, scopeMetrics: [{ ...rm.scopeMetrics[0]!, metrics: [{ ...rm.scopeMetrics[0]!.metrics[0]!, dataPoints: Array.from({ length: 5 }, () => rm.scopeMetrics[0]!.metrics[0]!.dataPoints).flat() }] }] } as ResourceMetrics;
    let ticks = 0;
    let running = true;
    const spin = (): void => {
      if (!running) return;
      ticks++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const body = await new SlicedSerializer().serialize(big, 500);
    running = false;
    expect(body.toString()).toBe(library(big));
    expect(ticks).toBeGreaterThanOrEqual(19);
  });
});

describe('CoalescingScrapeBody', () => {
  const rmPromise = collected((provider) => provider.getMeter('m').createCounter('c').add(3));

  function source(cacheMillis: number, now: () => number) {
    let release: () => void = () => undefined;
    let calls = 0;
    const body = new CoalescingScrapeBody(
      async (): Promise<CollectionResult> => {
        calls++;
        await new Promise<void>((resolve) => (release = resolve));
        return { resourceMetrics: await rmPromise, errors: [] };
      },
      { cacheMillis, now },
    );
    return { body, calls: () => calls, release: () => release() };
  }

  it('50 concurrent scrapes share one collection and one buffer; the next scrape collects again (no cache)', async () => {
    const s = source(0, () => 0);
    const all = Array.from({ length: 50 }, () => s.body.body());
    await new Promise((resolve) => setImmediate(resolve));
    s.release();
    const bodies = await Promise.all(all);
    expect(s.calls()).toBe(1);
    expect(s.body.collections).toBe(1);
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]!.toString()).toContain('c_total');
    const next = s.body.body();
    await new Promise((resolve) => setImmediate(resolve));
    s.release();
    await next;
    expect(s.calls()).toBe(2);
  });

  it('a finished body is served again for exactly cacheMillis', async () => {
    let now = 1_000;
    const s = source(250, () => now);
    const first = s.body.body();
    await new Promise((resolve) => setImmediate(resolve));
    s.release();
    const body = await first;
    now += 249;
    expect(await s.body.body()).toBe(body);
    expect(s.calls()).toBe(1);
    now += 1; // 250 ms old: stale
    const again = s.body.body();
    await new Promise((resolve) => setImmediate(resolve));
    s.release();
    expect(await again).not.toBe(body);
    expect(s.calls()).toBe(2);
  });
});
