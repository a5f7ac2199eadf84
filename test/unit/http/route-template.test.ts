/**
 * Where a request's route label comes from: setHttpRoute's tag wins over what
 * Express left; a tag or a route that is not template-shaped gives no label;
 * a request that cannot be tagged, or read, never throws and says so once.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { setHttpRoute, templateOf } from '../../../src/http/route-template';
import { routeTemplate } from '../../../src/http/route';
import { resetLogWindows } from '../../../src/log';
import { captureLogs } from '../../helpers/logs';

/** The route label of a finished request: its template, if template-shaped. */
const routeOf = (request: IncomingMessage) => routeTemplate(templateOf(request));
const lines = captureLogs();

const request = (fields: Record<string, unknown> = {}) => ({ ...fields }) as unknown as IncomingMessage;

describe('setHttpRoute and routeOf', () => {
  it('the tag wins over Express’s matched route', () => {
    const req = request({ route: { path: '/express/:id' }, baseUrl: '' });
    setHttpRoute(req, '/tagged/:id');
    expect(routeOf(req)).toBe('/tagged/:id');
    expect(lines).toStrictEqual([]);
  });

  it('without a tag, the Express route; with neither, no route', () => {
    expect(routeOf(request({ route: { path: '/express/:id' }, baseUrl: '' }))).toBe('/express/:id');
    expect(routeOf(request())).toBeUndefined();
  });

  it('a tag that is not template-shaped gives no route (never a fallback to Express’s)', () => {
    const req = request({ route: { path: '/express/:id' }, baseUrl: '' });
    setHttpRoute(req, 'users/jane@example.com');
    expect(routeOf(req)).toBeUndefined();
    setHttpRoute(req, '');
    expect(routeOf(req)).toBe('/');
  });

  it('refuses a request that is not an object, with one warning', () => {
    setHttpRoute(null as unknown as IncomingMessage, '/x');
    setHttpRoute('req' as unknown as IncomingMessage, '/x');
    expect(lines).toStrictEqual(['[otel-workspace-metrics] warn: setHttpRoute: the request is not an object; route ignored']);
  });

  it('a frozen request is not tagged, with one warning', () => {
    const req = Object.freeze(request());
    setHttpRoute(req, '/x');
    expect(lines).toStrictEqual(['[otel-workspace-metrics] warn: setHttpRoute: could not tag the request (frozen or a proxy); route ignored']);
    expect(routeOf(req)).toBeUndefined();
  });

  it('both refusals share one rate-limit window: a flood of either says one line', () => {
    setHttpRoute(undefined as unknown as IncomingMessage, '/x');
    setHttpRoute(Object.freeze(request()), '/x');
    expect(lines).toStrictEqual(['[otel-workspace-metrics] warn: setHttpRoute: the request is not an object; route ignored']);
    resetLogWindows();
    lines.length = 0;
    setHttpRoute(Object.freeze(request()), '/x');
    setHttpRoute(42 as unknown as IncomingMessage, '/x');
    expect(lines).toStrictEqual(['[otel-workspace-metrics] warn: setHttpRoute: could not tag the request (frozen or a proxy); route ignored']);
  });

  it('a tag of any value is returned as it is, for routeTemplate to judge', () => {
    const req = request({ route: { path: '/express/:id' }, baseUrl: '' });
    setHttpRoute(req, 42 as unknown as string);
    expect(templateOf(req)).toBe(42);
    expect(routeOf(req)).toBeUndefined();
    setHttpRoute(req, undefined as unknown as string);
    expect(templateOf(req)).toBe('/express/:id');
  });

  it('a request whose properties throw has no route, and routeOf does not throw', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    ) as IncomingMessage;
    expect(templateOf(hostile)).toBeUndefined();
  });
});
