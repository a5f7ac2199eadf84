/**
 * HTTP server request duration from Node's built-in diagnostics channels: no
 * monkey-patching, so it works the same for CommonJS and ESM apps and costs
 * nothing until a request arrives.
 *
 * Every request goes through this file, so its per-request work is kept
 * small, each step measured with `npm run bench -- service` (the kit's cost
 * against no metrics on a hello-world server; see bench/service.ts):
 * - the start time is a property of the response under the kit's own symbol
 *   (a WeakMap entry per response was the largest single cost: every entry
 *   is an ephemeron the garbage collector traces), taken with
 *   `performance.now()` (a double; `process.hrtime.bigint()` allocates);
 * - route labels are cached by template, so the shape check runs once per
 *   template, not per request;
 * - the attributes of each (method, route, status) label set are built once
 *   and frozen, with each histogram's recorder bound to them (the fast
 *   path's `bind`: view rules and label lookup done once), instead of an
 *   attribute object, three rule passes and three label lookups per request.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Attributes, Histogram } from '@opentelemetry/api';
import { HTTP_ATTRIBUTES, httpServerRequestDuration } from '../catalogue/http';
import { httpServerRequestBodySize, httpServerResponseBodySize, requestBodySize, responseBodySize } from '../catalogue/http-sizes';
import { FastHistogram } from '../fast/instruments';
import { histogram } from '../record/instruments';
import { BoundedLabel } from '../record/validate';
import { normalizeMethod, routeTemplate } from './route';
import { setHttpRoute, templateOf } from './route-template';
import { watchFastify } from './frameworks/fastify';

/** A response carrying its request's start time (performance.now() milliseconds) under a kit's symbol. */
type Timed = ServerResponse & Record<symbol, number | undefined>;

interface ChannelMessage {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
}

export interface HttpServerMetricsOptions {
  /**
   * True when another recorder (instrumentation-http) serves this server's
   * request durations: the kit then records only the body sizes, which that
   * recorder does not produce, so each request is counted once.
   */
  defersTo?: (server: Server) => boolean;
}

/** At most this many templates keep their label cached (others are checked at every request). */
const MAX_CACHED_TEMPLATES = 1_000;
/** At most this many label sets keep their attributes and bound recorders (others are built per request). */
const MAX_LABEL_SETS = 4_000;

/** A histogram recorder bound to one label set, valid while `histogram(decl)` returns the same instrument. */
interface Bound {
  instrument: Histogram;
  record: (value: number) => void;
}

/** One (method, route, status) label set: its frozen attributes and, per histogram, a bound recorder. */
class LabelSet {
  duration: Bound | undefined = undefined;
  requestSize: Bound | undefined = undefined;
  responseSize: Bound | undefined = undefined;
  constructor(readonly attributes: Attributes) {}
}

/** Record `value` for `set` on `instrument`, through the set's bound recorder when it has one for that instrument. */
function recordOn(instrument: Histogram, set: LabelSet, slot: 'duration' | 'requestSize' | 'responseSize', value: number): void {
  const bound = set[slot];
  if (bound !== undefined && bound.instrument === instrument) return bound.record(value);
  if (instrument instanceof FastHistogram) {
    const record = instrument.bind(set.attributes);
    set[slot] = { instrument, record };
    return record(value);
  }
  // The SDK's instrument (views path, or no provider): the attributes object is never changed, so it can be shared.
  instrument.record(value, set.attributes);
}

/**
 * One kit's HTTP server metrics: its subscriptions, the servers it ignores
 * (its own metrics endpoint), the requests in flight, its bounded routes and
 * its subscription to Fastify instances (src/http/route-template.ts).
 */
export class HttpServerMetrics {
  constructor(private readonly options: HttpServerMetricsOptions = {}) {}

  /** Servers whose requests are not measured: the kit's own metrics endpoint. */
  private readonly ignoredServers = new WeakSet<Server>();
  /** The property of a response holding its start time: this kit's own symbol, so two kits never share it. */
  private readonly startKey: symbol = Symbol('otel-workspace-metrics.http.start');
  // routeTemplate guarantees a template's shape; this only bounds how many distinct routes are kept.
  private readonly routes = new BoundedLabel(500, /^\//);
  /** Route label (undefined: no `http.route`) by template. */
  private readonly routeLabels = new Map<string, string | undefined>();
  /** Label sets by method, route label and status code. */
  private readonly labelSets = new Map<string, Map<string | undefined, Map<unknown, LabelSet>>>();
  private labelSetCount = 0;
  private subscribed = false;
  private unwatchFastify: (() => void) | undefined;

  ignoreServer(server: Server): void {
    this.ignoredServers.add(server);
  }

  private readonly onRequestStart = (message: unknown): void => {
    const { response, server } = message as ChannelMessage;
    if (this.ignoredServers.has(server)) return;
    (response as Timed)[this.startKey] = performance.now();
  };

  private readonly onResponseFinish = (message: unknown): void => {
    try {
      const { request, response, server } = message as ChannelMessage;
      const timed = response as Timed;
      const start = timed[this.startKey];
      if (start === undefined) return;
      timed[this.startKey] = undefined;
      const seconds = (performance.now() - start) / 1000;
      const set = this.labelSet(normalizeMethod(request.method), this.routeLabel(templateOf(request)), response.statusCode);
      if (this.options.defersTo?.(server) !== true) recordOn(histogram(httpServerRequestDuration), set, 'duration', seconds);
      // Body sizes from Content-Length (see catalogue/http-sizes.ts); unknown sizes are not recorded.
      const requestBytes = requestBodySize(request.headers);
      if (requestBytes !== undefined) recordOn(histogram(httpServerRequestBodySize), set, 'requestSize', requestBytes);
      const responseBytes = responseBodySize(request.method, response);
      if (responseBytes !== undefined) recordOn(histogram(httpServerResponseBodySize), set, 'responseSize', responseBytes);
    } catch {
      // Metrics must never break a response.
    }
  };

  /** The `http.route` label of a template (undefined: none; never path-derived, see src/http/route.ts). */
  private routeLabel(template: unknown): string | undefined {
    if (typeof template !== 'string') return template === undefined ? undefined : this.routes.value(routeTemplate(template));
    const cached = this.routeLabels.get(template);
    if (cached !== undefined || this.routeLabels.has(template)) return cached;
    const label = this.routes.value(routeTemplate(template));
    if (this.routeLabels.size < MAX_CACHED_TEMPLATES) this.routeLabels.set(template, label);
    return label;
  }

  /** The label set of one request; no `http.route` key without a route (semantic conventions). */
  private labelSet(method: string, route: string | undefined, status: number): LabelSet {
    let byRoute = this.labelSets.get(method);
    if (byRoute === undefined) this.labelSets.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) byRoute.set(route, (byStatus = new Map()));
    let set = byStatus.get(status);
    if (set === undefined) {
      const attributes = Object.freeze(
        route === undefined
          ? { [HTTP_ATTRIBUTES.method]: method, [HTTP_ATTRIBUTES.statusCode]: status }
          : { [HTTP_ATTRIBUTES.method]: method, [HTTP_ATTRIBUTES.route]: route, [HTTP_ATTRIBUTES.statusCode]: status },
      );
      set = new LabelSet(attributes);
      // Past the bound, sets are built per request and not kept (nor bound).
      if (this.labelSetCount < MAX_LABEL_SETS) {
        byStatus.set(status, set);
        this.labelSetCount++;
      }
    }
    return set;
  }

  start(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    this.unwatchFastify = watchFastify(setHttpRoute);
    diagnosticsChannel.subscribe('http.server.request.start', this.onRequestStart);
    diagnosticsChannel.subscribe('http.server.response.finish', this.onResponseFinish);
  }

  stop(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    this.unwatchFastify?.();
    this.unwatchFastify = undefined;
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onRequestStart);
    diagnosticsChannel.unsubscribe('http.server.response.finish', this.onResponseFinish);
  }
}
