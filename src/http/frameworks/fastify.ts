/**
 * Fastify 4 and 5 (and NestJS on Fastify): every instance announces itself on
 * the `fastify.initialization` diagnostics channel; the kit adds one
 * `onRequest` hook that tags the Node request with the matched route's
 * template (`request.routeOptions.url`, with its plugin prefix). No code in
 * the app, no patching.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { warnRateLimited } from '../../log';

type Tag = (request: IncomingMessage, template: string) => void;

interface FastifyRequestLike {
  raw?: IncomingMessage;
  routeOptions?: { url?: unknown };
}

interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: unknown, done: () => void) => void): unknown;
}

const CHANNEL = 'fastify.initialization';

export function watchFastify(tag: Tag): () => void {
  const onRequest = (request: FastifyRequestLike, _reply: unknown, done: () => void): void => {
    try {
      const url = request.routeOptions?.url;
      if (typeof url === 'string' && request.raw !== undefined) tag(request.raw, url);
    } catch {
      // Metrics must never break a request.
    }
    done();
  };
  const onInstance = (message: unknown): void => {
    try {
      (message as { fastify: FastifyLike }).fastify.addHook('onRequest', onRequest);
    } catch (error) {
      warnRateLimited('fastify:hook', `Fastify: could not add the route hook (${(error as Error).message}); its requests carry no http.route`);
    }
  };
  diagnosticsChannel.subscribe(CHANNEL, onInstance);
  return () => diagnosticsChannel.unsubscribe(CHANNEL, onInstance);
}
