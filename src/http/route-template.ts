/**
 * Where the route template of a request comes from: setHttpRoute (any
 * framework; the Koa and Hono middlewares and the Fastify hook use it), or
 * Express's matched route. Without one, `http.route` is absent
 * (src/http/route.ts).
 */
import type { IncomingMessage } from 'node:http';
import { warnRateLimited } from '../log';
import { expressRoute } from './frameworks/express';

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

/**
 * The template a finished request was served by, unchecked: what setHttpRoute
 * left, else Express's matched route, else undefined. `routeTemplate`
 * (src/http/route.ts) turns it into a label, or none.
 */
export function templateOf(request: IncomingMessage): unknown {
  try {
    const tagged = (request as TaggedRequest)[ROUTE_TEMPLATE];
    return tagged !== undefined ? tagged : expressRoute(request);
  } catch {
    return undefined;
  }
}

