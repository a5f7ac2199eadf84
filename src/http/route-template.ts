/**
 * Where the route template of a request comes from: setHttpRoute (any
 * framework), Fastify's initialization channel, Express's matched route, or
 * the Koa/Hono middlewares. Without one, `http.route` is absent
 * (src/http/route.ts).
 */
import type { IncomingMessage } from 'node:http';
import { warnRateLimited } from '../log';
import { routeTemplate } from './route';
import { expressRoute } from './frameworks/express';
import { watchFastify } from './frameworks/fastify';

const ROUTE_TEMPLATE = Symbol.for('otel-workspace-metrics.http.route');

interface TaggedRequest extends IncomingMessage {
  [ROUTE_TEMPLATE]?: unknown;
}

/** Tell the kit the route template that served `request` (e.g. `/users/:id`); it wins over what the framework left. */
export function setHttpRoute(request: IncomingMessage, template: string): void {
  try {
    if (typeof request === 'object' && request !== null) (request as TaggedRequest)[ROUTE_TEMPLATE] = template;
    else warnRateLimited('setHttpRoute:request', 'setHttpRoute: the request is not an object; route ignored');
  } catch {
    warnRateLimited('setHttpRoute:request', 'setHttpRoute: could not tag the request (frozen or a proxy); route ignored');
  }
}

/** The route label of a finished request, or undefined (no `http.route`). */
export function routeOf(request: IncomingMessage): string | undefined {
  try {
    const tagged = (request as TaggedRequest)[ROUTE_TEMPLATE];
    return routeTemplate(tagged !== undefined ? tagged : expressRoute(request));
  } catch {
    return undefined;
  }
}

let unwatch: (() => void) | undefined;

/** Subscribe to the frameworks' announcements (idempotent). */
export function startRouteSources(): void {
  unwatch ??= watchFastify(setHttpRoute);
}

export function stopRouteSources(): void {
  unwatch?.();
  unwatch = undefined;
}
