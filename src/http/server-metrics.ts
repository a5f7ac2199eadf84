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

/** Servers whose requests are not measured: the kit's own metrics endpoint. */
const ignoredServers = new WeakSet<Server>();

export function ignoreServer(server: Server): void {
  ignoredServers.add(server);
}

const startTimes = new WeakMap<ServerResponse, bigint>();
// routeLabel already guarantees the shape; this only bounds how many distinct routes are kept.
const routes = new BoundedLabel(500, /^\//);
let subscribed = false;

function onRequestStart(message: unknown): void {
  const { response, server } = message as ChannelMessage;
  if (ignoredServers.has(server)) return;
  startTimes.set(response, process.hrtime.bigint());
}

function onResponseFinish(message: unknown): void {
  try {
    const { request, response } = message as ChannelMessage;
    const start = startTimes.get(response);
    if (start === undefined) return;
    startTimes.delete(response);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const attributes = {
      [HTTP_ATTRIBUTES.method]: normalizeMethod(request.method),
      [HTTP_ATTRIBUTES.route]: routes.value(routeLabel(templateOf(request), request.url)) ?? '/',
      [HTTP_ATTRIBUTES.statusCode]: response.statusCode,
    };
    histogram(httpServerRequestDuration).record(seconds, attributes);
    // Body sizes from Content-Length (see catalogue/http-sizes.ts); unknown sizes are not recorded.
    const requestBytes = requestBodySize(request.headers);
    if (requestBytes !== undefined) histogram(httpServerRequestBodySize).record(requestBytes, attributes);
    const responseBytes = responseBodySize(request.method, response);
    if (responseBytes !== undefined) histogram(httpServerResponseBodySize).record(responseBytes, attributes);
  } catch {
    // Metrics must never break a response.
  }
}

export function startHttpServerMetrics(): void {
  if (subscribed) return;
  subscribed = true;
  diagnosticsChannel.subscribe('http.server.request.start', onRequestStart);
  diagnosticsChannel.subscribe('http.server.response.finish', onResponseFinish);
}

export function stopHttpServerMetrics(): void {
  if (!subscribed) return;
  subscribed = false;
  diagnosticsChannel.unsubscribe('http.server.request.start', onRequestStart);
  diagnosticsChannel.unsubscribe('http.server.response.finish', onResponseFinish);
}
