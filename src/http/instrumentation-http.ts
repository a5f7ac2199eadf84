/**
 * `@opentelemetry/instrumentation-http` as the HTTP server metrics source.
 * When it is active it records `http.server.request.duration` itself; the
 * kit's views give that instrument the kit's buckets, label keys and route
 * policy, and the kit's own recorder (server-metrics.ts) stands down for it,
 * so each request is counted once.
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { routeLabel } from './route';

/** The instrumentation scope (meter) name instrumentation-http records under. */
export const INSTRUMENTATION_HTTP = '@opentelemetry/instrumentation-http';

interface Wrapped {
  __wrapped?: unknown;
  __original?: unknown;
  __unwrap?: unknown;
}

/**
 * Whether an OpenTelemetry instrumentation wrapped this server's `emit`
 * (instrumentation-http patches `Server.prototype.emit` of `http` and
 * `https`; the test is @opentelemetry/instrumentation's `isWrapped`).
 */
export function emitIsInstrumented(server: Server | undefined): boolean {
  const emit = (server as { emit?: unknown } | undefined)?.emit as (Wrapped & ((...args: unknown[]) => unknown)) | undefined;
  return typeof emit === 'function' && emit.__wrapped === true && typeof emit.__original === 'function' && typeof emit.__unwrap === 'function';
}

/**
 * The route policy for an `http.route` some other code set (instrumentation-http
 * copies it from the framework instrumentations): a template-shaped value is
 * kept, anything else removes the attribute. Never derived from a path.
 */
export function policyRoute(value: unknown): string | undefined {
  return typeof value === 'string' && routeLabel(value, undefined) === value ? value : undefined;
}

/**
 * Keep a server of the kit's own (the metrics endpoint) out of every
 * instrumentation that wraps `Server.prototype.emit`: scrapes are not the
 * application's requests, and the kit's recorder ignores them too. Node's
 * HTTP server emits through EventEmitter's `emit`, which this pins on the
 * instance.
 */
export function bypassEmitInstrumentation(server: Server): void {
  Object.defineProperty(server, 'emit', { value: EventEmitter.prototype.emit, writable: true, configurable: true });
}
