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
import { normalizeMethod } from './route';
import { routeOf, startRouteSources, stopRouteSources } from './route-template';
import { warnRateLimited } from '../log';

interface ChannelMessage {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
}

/** Servers whose requests are not measured: the kit's own metrics endpoint. */
const ignoredServers = new WeakSet<Server>();

export function ignoreServer(server: Server): void {
  ignoredServers.add(server);
}

const startTimes = new WeakMap<ServerResponse, bigint>();
// routeOf already guarantees a template's shape; this only bounds how many distinct routes are kept.
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
    const route = routes.value(routeOf(request));
    // No template, no `http.route` (semantic conventions): never a path-derived label.
    const attributes =
      route === undefined
        ? { [HTTP_ATTRIBUTES.method]: normalizeMethod(request.method), [HTTP_ATTRIBUTES.statusCode]: response.statusCode }
        : { [HTTP_ATTRIBUTES.method]: normalizeMethod(request.method), [HTTP_ATTRIBUTES.route]: route, [HTTP_ATTRIBUTES.statusCode]: response.statusCode };
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
  startRouteSources();
  diagnosticsChannel.subscribe('http.server.request.start', onRequestStart);
  diagnosticsChannel.subscribe('http.server.response.finish', onResponseFinish);
}

export function stopHttpServerMetrics(): void {
  if (!subscribed) return;
  subscribed = false;
  stopRouteSources();
  diagnosticsChannel.unsubscribe('http.server.request.start', onRequestStart);
  diagnosticsChannel.unsubscribe('http.server.response.finish', onResponseFinish);
}
