/**
 * The queue health and job series of the kit's embedded endpoint, as
 * `name{label="value",...}` → value (labels sorted, otel_scope_* left out), so
 * tests compare exact values.
 */
import { parseExposition } from '../../src/exposition/parse';
import { prometheusName } from '../../src/model/types';
import { QUEUE_HEALTH_METRICS } from '../../src/catalogue/queue-health';
import { start, type Kit } from '../../src/sdk/start';
import { httpText } from './processes';

/** A kit serving its embedded Prometheus endpoint on `port` (no HTTP server metrics), once it listens. */
export async function startEndpointKit(port: number): Promise<Kit> {
  const kit = start({ env: { OTEL_METRICS_EXPORTER: 'prometheus', METRICS_PORT: String(port) }, httpServerMetrics: false });
  if (kit === undefined) throw new Error('kit did not start');
  await kit.embeddedPort;
  return kit;
}

export function seriesKey(name: string, labels: Record<string, unknown>): string {
  const parts = Object.entries(labels)
    .filter(([label]) => !label.startsWith('otel_scope_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => `${label}="${String(value)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** Every sample of the given families (default: the queue health ones). */
export async function scrapeFamilies(port: number, families: readonly string[] = QUEUE_HEALTH_METRICS.map((decl) => prometheusName(decl))): Promise<Record<string, number>> {
  const parsed = parseExposition(await httpText(`http://127.0.0.1:${port}/metrics`));
  const out: Record<string, number> = {};
  for (const family of families) {
    for (const sample of parsed.get(family)?.samples ?? []) out[seriesKey(sample.name, sample.labels)] = sample.value;
  }
  return out;
}

/** The series of one queue (`queue="name"`), gauges only (no up, no error counter). */
export function queueGauges(series: Record<string, number>, queue: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(series).filter(([key]) => key.includes(`queue="${queue}"`) && !key.startsWith('queue_health_up') && !key.startsWith('queue_health_collector_errors')),
  );
}

/** The expected gauges of one queue, from plain numbers. */
export function expectedQueue(queue: string, depth: Record<string, number>, values: { ready: number; future: number; expired: number; active: number; age: number }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [status, n] of Object.entries(depth)) out[`queue_depth{queue="${queue}",status="${status}"}`] = n;
  out[`queue_ready_depth{queue="${queue}"}`] = values.ready;
  out[`queue_future_depth{queue="${queue}"}`] = values.future;
  out[`queue_running_expired_lease{queue="${queue}"}`] = values.expired;
  out[`queue_running_active_lease{queue="${queue}"}`] = values.active;
  out[`queue_oldest_ready_age_seconds{queue="${queue}"}`] = values.age;
  return out;
}
