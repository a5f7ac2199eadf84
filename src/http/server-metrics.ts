/**
 * HTTP server request duration from Node's built-in diagnostics channels: no
 * monkey-patching, so it works the same for CommonJS and ESM apps and costs
 * nothing until a request arrives.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HTTP_ATTRIBUTES, httpServerRequestDuration } from '../catalogue/http';
import { httpServerRequestBodySize, httpServerResponseBodySize, requestBodySize, responseBodySize } from '../catalogue/http-sizes';
import { histogram } from '../record/instruments';
import { BoundedLabel } from '../record/validate';
import { normalizeMethod, routeLabel } from './route';
import { warnRateLimited } from '../log';

const ROUTE_TEMPLATE = Symbol.for('otel-workspace-metrics.http.route');

interface RoutedRequest extends IncomingMessage {
  [ROUTE_TEMPLATE]?: string;
  /** Express sets these once a route matched. */
  route?: { path?: unknown };
  baseUrl?: unknown;
}

/** Tell the kit the route template that served `request` (e.g. `/users/:id`); it wins over path normalization. */
export function setHttpRoute(request: IncomingMessage, template: string): void {
  try {
    if (typeof request === 'object' && request !== null) (request as RoutedRequest)[ROUTE_TEMPLATE] = template;
    else warnRateLimited('setHttpRoute:request', 'setHttpRoute: the request is not an object; route ignored');
  } catch {
    warnRateLimited('setHttpRoute:request', 'setHttpRoute: could not tag the request (frozen or a proxy); route ignored');
  }
}

function templateOf(request: RoutedRequest): unknown {
  const explicit = request[ROUTE_TEMPLATE];
  if (explicit !== undefined) return explicit;
  const expressPath = request.route?.path;
  if (typeof expressPath === 'string') return (typeof request.baseUrl === 'string' ? request.baseUrl : '') + expressPath;
  return undefined;
}

interface ChannelMessage {
  request: RoutedRequest;
  response: ServerResponse;
  server: Server;
}

/**
 * One kit's HTTP server metrics: its subscriptions, the servers it ignores
 * (its own metrics endpoint), the requests in flight and its bounded routes.
 */
export interface HttpServerMetricsOptions {
  /**
   * True when another recorder (instrumentation-http) serves this server's
   * request durations: the kit then records only the body sizes, which that
   * recorder does not produce, so each request is counted once.
   */
  defersTo?: (server: Server) => boolean;
}

export class HttpServerMetrics {
  constructor(private readonly options: HttpServerMetricsOptions = {}) {}

  /** Servers whose requests are not measured: the kit's own metrics endpoint. */
  private readonly ignoredServers = new WeakSet<Server>();
  private readonly startTimes = new WeakMap<ServerResponse, bigint>();
  // routeLabel already guarantees the shape; this only bounds how many distinct routes are kept.
  private readonly routes = new BoundedLabel(500, /^\//);
  private subscribed = false;

  ignoreServer(server: Server): void {
    this.ignoredServers.add(server);
  }

  private readonly onRequestStart = (message: unknown): void => {
    const { response, server } = message as ChannelMessage;
    if (this.ignoredServers.has(server)) return;
    this.startTimes.set(response, process.hrtime.bigint());
  };

  private readonly onResponseFinish = (message: unknown): void => {
    try {
      const { request, response, server } = message as ChannelMessage;
      const start = this.startTimes.get(response);
      if (start === undefined) return;
      this.startTimes.delete(response);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const attributes = {
        [HTTP_ATTRIBUTES.method]: normalizeMethod(request.method),
        [HTTP_ATTRIBUTES.route]: this.routes.value(routeLabel(templateOf(request), request.url)) ?? '/',
        [HTTP_ATTRIBUTES.statusCode]: response.statusCode,
      };
      if (this.options.defersTo?.(server) !== true) histogram(httpServerRequestDuration).record(seconds, attributes);
      // Body sizes from Content-Length (see catalogue/http-sizes.ts); unknown sizes are not recorded.
      const requestBytes = requestBodySize(request.headers);
      if (requestBytes !== undefined) histogram(httpServerRequestBodySize).record(requestBytes, attributes);
      const responseBytes = responseBodySize(request.method, response);
      if (responseBytes !== undefined) histogram(httpServerResponseBodySize).record(responseBytes, attributes);
    } catch {
      // Metrics must never break a response.
    }
  };

  start(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    diagnosticsChannel.subscribe('http.server.request.start', this.onRequestStart);
    diagnosticsChannel.subscribe('http.server.response.finish', this.onResponseFinish);
  }

  stop(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onRequestStart);
    diagnosticsChannel.unsubscribe('http.server.response.finish', this.onResponseFinish);
  }
}
