/**
 * Koa with @koa/router: the router writes the matched template on the Koa
 * context (`ctx._matchedRoute`, with router prefixes), which the Node request
 * cannot reach, and Koa publishes no diagnostics channel. So this one
 * middleware, first in the chain (`app.use(koaHttpRoute)`), hands the
 * template over once the downstream middleware is done.
 */
import type { IncomingMessage } from 'node:http';
import { setHttpRoute } from '../route-template';

/** What koaHttpRoute reads of a Koa context. */
export interface KoaContextLike {
  req: IncomingMessage;
  _matchedRoute?: unknown;
}

/** Koa middleware (register it first): hands @koa/router's matched template to the kit. */
export async function koaHttpRoute(ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void> {
  try {
    await next();
  } finally {
    if (typeof ctx._matchedRoute === 'string') setHttpRoute(ctx.req, ctx._matchedRoute);
  }
}
