/**
 * Runtime and process metrics in a real child process under the preload:
 * every family of the runtime catalogue with values that say something (an
 * event loop blocked for 120 ms shows a p99 ≥ 100 ms, forced GCs show in the
 * GC histogram exactly once each, CPU time and RSS match what the process
 * itself reports), `target_info` as the system-info metric, METRICS_RUNTIME=off,
 * and one runtime-node instance per process when the app runs its own.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseExposition, sumSamples, type Family } from '../../src/exposition/parse';
import { PROCESS_METRICS, RUNTIME_METRICS } from '../../src/catalogue/runtime';
import { prometheusName, prometheusType } from '../../src/model/types';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { markedJson } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');

interface Ready {
  gcPauses: number;
  workers: number;
}

async function startApp(env: Record<string, string> = {}, after: string[] = []): Promise<{ child: Tracked; port: number; ready: Ready }> {
  const port = await freePort();
  const child = spawnTracked(process.execPath, ['--expose-gc', '--require', 'otel-workspace-metrics/register', ...after, join(ROOT, 'test', 'fixtures', 'runtime-app.cjs'), '--secret-arg=sk_live_runtime_marker'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, METRICS_PORT: String(port), OTEL_SERVICE_NAME: 'runtime-test', ...env },
  });
  const ready = await waitFor(() => markedJson<Ready>(child, 'READY'), 20_000, 'the app to finish its work');
  return { child, port, ready };
}

async function scrape(port: number): Promise<Map<string, Family>> {
  return parseExposition(await httpText(`http://127.0.0.1:${port}/metrics`));
}

function value(families: Map<string, Family>, name: string, filter?: (labels: Record<string, string>) => boolean): number {
  const samples = families.get(name)?.samples.filter((s) => s.name === name && (!filter || filter(s.labels))) ?? [];
  expect(samples.length, `${name} samples`).toBe(1);
  return samples[0]!.value;
}

async function gcPausesAfterScrape(child: Tracked): Promise<number> {
  const before = child.output().split('\n').filter((line) => line.startsWith('COUNT ')).length;
  process.kill(child.pid, 'SIGUSR2');
  const line = await waitFor(() => child.output().split('\n').filter((l) => l.startsWith('COUNT '))[before], 5_000, 'the app to report its GC count');
  return (JSON.parse(line.slice('COUNT '.length)) as { gcPauses: number }).gcPauses;
}

describe('runtime and process metrics under the preload', () => {
  it('exports every runtime and process family with meaningful values, and target_info as system info', async () => {
    const { child, port, ready } = await startApp({ NODE_ENV: 'staging', RUNTIME_APP_WORKERS: '3' });
    const families = await scrape(port);
    const gcAfter = await gcPausesAfterScrape(child);

    // Every declared family, with its declared type (Linux: thread and fd counts included).
    for (const decl of [...RUNTIME_METRICS, ...PROCESS_METRICS]) {
      expect(families.get(prometheusName(decl))?.type, prometheusName(decl)).toBe(prometheusType(decl));
    }

    // The loop was blocked 4 × 120 ms since start: the worst delay says so.
    expect(value(families, 'nodejs_eventloop_delay_max_seconds')).toBeGreaterThanOrEqual(0.1);
    expect(value(families, 'nodejs_eventloop_delay_p99_seconds')).toBeGreaterThanOrEqual(0.1);
    const utilization = value(families, 'nodejs_eventloop_utilization_ratio');
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
    expect(sumSamples(families, 'nodejs_eventloop_time_seconds_total', (l) => l.nodejs_eventloop_state === 'active')).toBeGreaterThanOrEqual(0.48);

    // Heap: old_space is in use, and the limit is V8's.
    expect(sumSamples(families, 'v8js_memory_heap_used_bytes', (l) => l.v8js_heap_space_name === 'old_space')).toBeGreaterThan(1_000_000);
    expect(value(families, 'nodejs_heap_size_limit_bytes')).toBeGreaterThan(100 * 1024 * 1024);

    // 6 forced major GCs, each counted once: at least 6, never more than the app itself saw.
    const gcCount = sumSamples(families, 'v8js_gc_duration_seconds_count');
    expect(gcCount).toBeGreaterThanOrEqual(6);
    expect(gcCount).toBeLessThanOrEqual(gcAfter);
    expect(ready.gcPauses).toBeGreaterThanOrEqual(6);
    expect(sumSamples(families, 'v8js_gc_duration_seconds_count', (l) => l.v8js_gc_type === 'major')).toBeGreaterThanOrEqual(6);
    // The kit's buckets (sub-millisecond first), not the instrumentation's advice.
    const les = families.get('v8js_gc_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.v8js_gc_type === 'major').map((s) => s.labels.le);
    expect(les).toEqual(['0.0001', '0.0005', '0.001', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf']);

    // Process: CPU busy ≥ 0.48 s of blocking, RSS plausible, threads include the 3 workers.
    expect(value(families, 'process_cpu_time_seconds_total', (l) => l.cpu_mode === 'user')).toBeGreaterThanOrEqual(0.45);
    expect(value(families, 'process_cpu_time_seconds_total', (l) => l.cpu_mode === 'system')).toBeGreaterThan(0);
    const rss = value(families, 'process_memory_usage_bytes');
    expect(rss).toBeGreaterThan(20 * 1024 * 1024);
    expect(rss).toBeLessThan(2 * 1024 * 1024 * 1024);
    expect(value(families, 'process_thread_count')).toBeGreaterThanOrEqual(3 + 5); // main + ≥4 libuv/V8 threads + 3 workers
    expect(value(families, 'process_unix_file_descriptor_count')).toBeGreaterThanOrEqual(3);
    expect(value(families, 'process_context_switches_total', (l) => l.process_context_switch_type === 'voluntary')).toBeGreaterThan(0);
    expect(value(families, 'process_paging_faults_total', (l) => l.system_paging_fault_type === 'minor')).toBeGreaterThan(0);
    const uptime = value(families, 'process_uptime_seconds');
    expect(uptime).toBeGreaterThan(0.5);
    expect(uptime).toBeLessThan(60);
    // The process family is reported once, from the main thread, whatever the workers do.
    expect(families.get('process_memory_usage_bytes')!.samples).toHaveLength(1);

    // System info: one target_info series with version, environment, runtime and platform — and no command line.
    const info = families.get('target_info')!.samples;
    expect(info).toHaveLength(1);
    expect(info[0]!.labels).toMatchObject({
      service_name: 'runtime-test',
      deployment_environment_name: 'staging',
      process_runtime_name: 'nodejs',
      process_runtime_version: process.versions.node,
      os_type: 'linux',
      host_arch: 'amd64',
      process_pid: String(child.pid),
    });
    expect(info[0]!.labels.host_name).not.toBe('');
    const infoText = JSON.stringify(info[0]!.labels);
    expect(infoText).not.toContain('sk_live_runtime_marker');
    expect(Object.keys(info[0]!.labels).filter((k) => /command|owner|executable_path|host_id/.test(k))).toEqual([]);
    await child.stop();
  });

  it('METRICS_RUNTIME=off: no runtime or process family at all', async () => {
    const { child, port } = await startApp({ METRICS_RUNTIME: 'off' });
    const families = await scrape(port);
    for (const decl of [...RUNTIME_METRICS, ...PROCESS_METRICS]) expect(families.has(prometheusName(decl)), prometheusName(decl)).toBe(false);
    expect(families.has('target_info')).toBe(true);
    await child.stop();
  });

  it('an app that runs its own instrumentation-runtime-node keeps the only instance: each GC is counted once', async () => {
    const { child, port, ready } = await startApp({ RUNTIME_APP_OWN_RUNTIME_NODE: '1' });
    const families = await scrape(port);
    const gcAfter = await gcPausesAfterScrape(child);
    const gcCount = sumSamples(families, 'v8js_gc_duration_seconds_count');
    expect(gcCount).toBeGreaterThanOrEqual(6);
    expect(gcCount).toBeLessThanOrEqual(gcAfter);
    expect(ready.gcPauses).toBeGreaterThanOrEqual(6);
    // The app's instance records through the kit's views: the kit's buckets apply to it too.
    const les = families.get('v8js_gc_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le);
    expect(les[0]).toBe('0.0001');
    expect(child.output()).toContain('runtime metrics (event loop, heap, GC) come from @opentelemetry/instrumentation-runtime-node');
    // The process family still comes from the kit.
    expect(families.get('process_memory_usage_bytes')!.samples).toHaveLength(1);
    await child.stop();
  });

  it('beside auto-instrumentations (loaded after the kit): their runtime-node is the only instance, through the kit\'s views', async () => {
    const { child, port } = await startApp(
      // No cloud detectors (they would probe metadata servers off this machine); NodeSDK's own exporters off.
      { OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
      ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    );
    const families = await scrape(port);
    const gcAfter = await gcPausesAfterScrape(child);
    const gcCount = sumSamples(families, 'v8js_gc_duration_seconds_count');
    expect(gcCount).toBeGreaterThanOrEqual(6);
    expect(gcCount).toBeLessThanOrEqual(gcAfter);
    expect(families.get('v8js_gc_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le)[0]).toBe('0.0001');
    expect(families.get('nodejs_eventloop_delay_p99_seconds')!.samples).toHaveLength(1);
    expect(families.get('process_memory_usage_bytes')!.samples).toHaveLength(1);
    expect(child.output()).toContain('runtime metrics (event loop, heap, GC) come from @opentelemetry/auto-instrumentations-node');
    await child.stop();
  });

  it('OTEL_NODE_RESOURCE_DETECTORS=env leaves host, os and process out of target_info', async () => {
    const { child, port } = await startApp({ OTEL_NODE_RESOURCE_DETECTORS: 'env', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod' });
    const info = (await scrape(port)).get('target_info')!.samples[0]!.labels;
    expect(info.deployment_environment_name).toBe('prod');
    expect(Object.keys(info).filter((k) => /^(host|os|process)_/.test(k))).toEqual([]);
    expect(info.service_instance_id).toMatch(/^[0-9a-f-]{36}$/);
    await child.stop();
  });
});
