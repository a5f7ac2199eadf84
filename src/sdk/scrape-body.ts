/**
 * The body of a scrape: one collection shared by every request that arrives
 * while it runs (and, when `cacheMillis` > 0, by those arriving shortly after),
 * serialized in slices with the event loop free between them.
 *
 * This is the seam for anything that produces the exposition differently
 * (e.g. aggregating worker processes): the endpoint only asks a `ScrapeBodySource`
 * for bytes.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { CollectionResult, MetricData, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { warnRateLimited } from '../log';

/** What the embedded endpoint serves: any producer of a Prometheus text body. */
export interface ScrapeBodySource {
  body(): Promise<Buffer>;
}

export interface CoalescingOptions {
  /** A finished body is served again for this long (0: only requests that arrive during a collection share it). */
  cacheMillis?: number;
  /** Data points serialized between two yields to the event loop; default 250. */
  sliceSize?: number;
  now?: () => number;
}

/**
 * Coalesces scrapes onto one collection. `collect` is the reader's collect();
 * errors of a collection are logged (rate-limited) and the data that was
 * collected is served, as the exporter's own handler does.
 */
export class CoalescingScrapeBody implements ScrapeBodySource {
  private inflight: Promise<Buffer> | undefined;
  private cached: { body: Buffer; at: number } | undefined;
  private readonly cacheMillis: number;
  private readonly sliceSize: number;
  private readonly now: () => number;
  private readonly serializer = new SlicedSerializer();
  /** Collections run so far (tests compare it with the number of requests). */
  collections = 0;

  constructor(
    private readonly collect: () => Promise<CollectionResult>,
    options: CoalescingOptions = {},
  ) {
    this.cacheMillis = Math.max(0, options.cacheMillis ?? 0);
    this.sliceSize = Math.max(1, options.sliceSize ?? 250);
    this.now = options.now ?? Date.now;
  }

  body(): Promise<Buffer> {
    if (this.inflight !== undefined) return this.inflight;
    if (this.cached !== undefined && this.now() - this.cached.at < this.cacheMillis) return Promise.resolve(this.cached.body);
    const run = (async () => {
      this.collections++;
      const { resourceMetrics, errors } = await this.collect();
      if (errors.length > 0) warnRateLimited('scrape:collect', `a scrape's collection reported ${errors.length} error(s); serving what was collected`);
      const body = await this.serializer.serialize(resourceMetrics, this.sliceSize);
      this.cached = { body, at: this.now() };
      return body;
    })();
    this.inflight = run;
    const clear = (): void => {
      if (this.inflight === run) this.inflight = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}

const NO_REGISTERED_METRICS = '# no registered metrics';
const METADATA_LINE = /^# (HELP|UNIT|TYPE) /;

/**
 * The exporter's own PrometheusSerializer, called on slices of the data
 * points so no single call blocks for long. Hand-written around the library
 * for a measured need: one `serialize()` of 10,000 series holds the event loop
 * for tens of milliseconds (see `npm run bench -- scrape`). The text is the
 * library's, byte for byte: families are grouped in the library's order, the
 * first slice of a family carries the other metrics of the family with no
 * points (so HELP/UNIT merging and TYPE conflicts are the library's), later
 * slices drop the repeated HELP/UNIT/TYPE lines.
 */
export class SlicedSerializer {
  private readonly withTarget = new PrometheusSerializer(undefined, false, undefined, false, false);
  private readonly withoutTarget = new PrometheusSerializer(undefined, false, undefined, true, false);

  async serialize(resourceMetrics: ResourceMetrics, sliceSize: number): Promise<Buffer> {
    const { resource } = resourceMetrics;
    const one = (scope: ScopeMetrics['scope'], metrics: MetricData[]): ResourceMetrics => ({ resource, scopeMetrics: [{ scope, metrics }] });
    const targetInfo = this.withTarget.serialize({ resource, scopeMetrics: [] });
    // Each slice's text becomes bytes at once: no single join and encode of the whole body at the end.
    const parts: Buffer[] = [Buffer.from(targetInfo.endsWith(NO_REGISTERED_METRICS) ? targetInfo.slice(0, -NO_REGISTERED_METRICS.length) : targetInfo, 'utf8')];

    // Families in first-seen order, keyed by the name the library gives them.
    const families = new Map<string, { scope: ScopeMetrics['scope']; metric: MetricData }[]>();
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      for (const metric of scopeMetrics.metrics) {
        const header = this.withoutTarget.serialize(one(scopeMetrics.scope, [{ ...metric, dataPoints: [] } as MetricData]));
        const name = /^# HELP (\S+) /.exec(header)?.[1];
        if (name === undefined) continue; // a name the library refuses
        let family = families.get(name);
        if (family === undefined) families.set(name, (family = []));
        family.push({ scope: scopeMetrics.scope, metric });
      }
    }

    let wrote = false;
    let sinceYield = 0;
    for (const members of families.values()) {
      let first = true;
      let dropped = false;
      for (const { scope, metric } of members) {
        const points = metric.dataPoints as unknown[];
        for (let offset = 0; offset < points.length || (first && offset === 0); offset += sliceSize) {
          const slice = { ...metric, dataPoints: points.slice(offset, offset + sliceSize) } as MetricData;
          let text: string;
          if (first) {
            // The family's metadata, merged over all its members, as the library does.
            const input: ResourceMetrics = {
              resource,
              scopeMetrics: members.map((member, index) => ({
                scope: member.scope,
                metrics: [index === 0 ? slice : ({ ...member.metric, dataPoints: [] } as MetricData)],
              })),
            };
            text = this.withoutTarget.serialize(input);
            first = false;
            if (text === NO_REGISTERED_METRICS) {
              dropped = true; // the library dropped the family (conflicting TYPE)
              break;
            }
          } else {
            text = stripMetadata(this.withoutTarget.serialize(one(scope, [slice])));
          }
          if (text !== '' && text !== NO_REGISTERED_METRICS) {
            parts.push(Buffer.from(text, 'utf8'));
            wrote = true;
          }
          sinceYield += slice.dataPoints.length;
          if (sinceYield >= sliceSize) {
            sinceYield = 0;
            await yieldToEventLoop();
          }
        }
        if (dropped) break;
      }
    }
    if (!wrote) parts.push(Buffer.from(NO_REGISTERED_METRICS, 'utf8'));
    return Buffer.concat(parts);
  }
}

function stripMetadata(text: string): string {
  let start = 0;
  while (METADATA_LINE.test(text.slice(start, start + 8))) {
    const end = text.indexOf('\n', start);
    if (end < 0) return '';
    start = end + 1;
  }
  return text.slice(start);
}
