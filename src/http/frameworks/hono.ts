/**
 * Hono on @hono/node-server: the matched template lives on Hono's context
 * (the path of the last route that ran, `c.req.matchedRoutes[c.req.routeIndex]`), the Node request is
 * `c.env.incoming`, and Hono publishes no diagnostics channel. So this one
 * middleware, registered first (`app.use(honoHttpRoute)`), hands it over.
 */
import type { IncomingMessage } from 'node:http';
import { setHttpRoute } from '../route-template';

/** What honoHttpRoute reads of a Hono context on @hono/node-server. */
export interface HonoContextLike {
  env?: { incoming?: IncomingMessage };
  req: { routeIndex?: unknown; matchedRoutes?: unknown };
}

interface HonoRoute {
  path?: unknown;
  handler?: unknown;
}

/** Hono middleware (register it first): hands the matched route's path to the kit. */
export async function honoHttpRoute(c: HonoContextLike, next: () => Promise<void>): Promise<void> {
  try {
    await next();
  } finally {
    const incoming = c.env?.incoming;
    // The route that ran last; when it is this middleware, no route matched (Hono's 404).
    const routes = c.req.matchedRoutes;
    const last = Array.isArray(routes) && typeof c.req.routeIndex === 'number' ? (routes[c.req.routeIndex] as HonoRoute | undefined) : undefined;
    if (incoming !== undefined && last !== undefined && last.handler !== honoHttpRoute && typeof last.path === 'string') setHttpRoute(incoming, last.path);
  }
}
