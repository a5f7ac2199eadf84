/**
 * Express 4 and 5: the template of the route that served a request, read after
 * the response from what Express leaves on the request (`req.route`, the
 * matched route object, and `req.baseUrl`, the concrete path its routers were
 * mounted at). A mount path can hold parameters (`app.use('/orgs/:org', r)`),
 * so `req.baseUrl` carries identifiers: the mounts are found again in the
 * app's router stack (by the identity of `req.route`) and their templates
 * used instead; a mounted sub-app contributes its `mountpath`. Nothing is
 * patched; when the chain cannot be proven, there is no template.
 */
import type { IncomingMessage } from 'node:http';

interface ExpressLayer {
  route?: unknown;
  handle?: { stack?: unknown };
  /** Express 5 (router 2.x): the path the layer was declared with. */
  rawPath?: unknown;
  slash?: boolean;
  match?: (path: string) => { path: string } | false;
  /** Express 4: the compiled path and its parameter names. */
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean };
  keys?: { name: string | number }[];
}

interface ExpressApp {
  _router?: { stack?: unknown };
  router?: { stack?: unknown };
  parent?: unknown;
  mountpath?: unknown;
}

interface ExpressRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: unknown;
  app?: ExpressApp;
}

interface Mount {
  template: string;
  /** Characters of the concrete base URL this mount matched. */
  length: number;
}

/** Nesting deeper than this is not searched (no template). */
const MAX_DEPTH = 16;
const indexed = new WeakMap<RegExp, RegExp>();

function withIndices(regexp: RegExp): RegExp {
  let copy = indexed.get(regexp);
  if (copy === undefined) indexed.set(regexp, (copy = new RegExp(regexp.source, regexp.flags.replace(/[gy]/g, '') + 'd')));
  return copy;
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Express 4: the matched part of `remaining`, each parameter's capture replaced by `:name`. */
function express4Mount(layer: ExpressLayer, remaining: string): Mount | undefined {
  const regexp = layer.regexp!;
  if (regexp.fast_slash) return { template: '', length: 0 };
  const match = withIndices(regexp).exec(remaining);
  if (match === null || match.index !== 0 || match.indices === undefined) return undefined;
  const matched = trimSlash(match[0]);
  let template = '';
  let at = 0;
  for (let group = 1; group < match.indices.length; group++) {
    const span = match.indices[group];
    if (span === undefined || span[0] < at) continue; // unmatched, or nested in a capture already replaced
    const name = layer.keys?.[group - 1]?.name ?? group - 1;
    template += matched.slice(at, span[0]) + `:${name}`;
    at = span[1];
  }
  if (at > matched.length) return undefined;
  return { template: template + matched.slice(at), length: matched.length };
}

/** Express 5: the layer's declared path, when it is one string and matches `remaining`. */
function express5Mount(layer: ExpressLayer, remaining: string): Mount | undefined {
  if (layer.slash) return { template: '', length: 0 };
  if (typeof layer.rawPath !== 'string') return undefined;
  const match = layer.match!(remaining);
  if (match === false || typeof match.path !== 'string') return undefined;
  return { template: trimSlash(layer.rawPath), length: trimSlash(match.path).length };
}

function mountOf(layer: ExpressLayer, remaining: string): Mount | undefined {
  if (typeof layer.match === 'function' && 'rawPath' in layer) return express5Mount(layer, remaining);
  if (layer.regexp instanceof RegExp) return express4Mount(layer, remaining);
  return undefined;
}

/** The mount templates from `stack` down to the layer serving `route`, consuming exactly `remaining`. */
function mountsTo(stack: unknown, route: unknown, remaining: string, depth: number): string[] | undefined {
  if (!Array.isArray(stack) || depth > MAX_DEPTH) return undefined;
  for (const layer of stack as ExpressLayer[]) {
    if (layer === null || typeof layer !== 'object') continue;
    if (layer.route !== undefined) {
      if (layer.route === route && remaining === '') return [];
      continue;
    }
    const inner = layer.handle?.stack;
    if (!Array.isArray(inner)) continue;
    const mount = mountOf(layer, remaining);
    if (mount === undefined) continue;
    const rest = mountsTo(inner, route, remaining.slice(mount.length), depth + 1);
    if (rest !== undefined) return [mount.template, ...rest];
  }
  return undefined;
}

/** The layer mounting sub-app `app` in its parent, matched against `remaining`, with the app's `mountpath` as template. */
function subAppMount(app: ExpressApp, remaining: string): Mount | undefined {
  const mountpath = app.mountpath;
  if (typeof mountpath !== 'string') return undefined;
  const parent = app.parent as ExpressApp;
  const stack = (parent._router ?? parent.router)?.stack;
  if (!Array.isArray(stack)) return undefined;
  for (const layer of stack as ExpressLayer[]) {
    if (layer === null || typeof layer !== 'object' || layer.route !== undefined) continue;
    if ((layer.handle as { name?: unknown } | undefined)?.name !== 'mounted_app') continue;
    if ('rawPath' in layer && layer.rawPath !== mountpath) continue; // Express 5 knows the declared path
    const mount = mountOf(layer, remaining);
    if (mount !== undefined) return { template: mountpath === '/' ? '' : trimSlash(mountpath), length: mount.length };
  }
  return undefined;
}

/** The full template of the Express route that served `request`, or undefined. */
export function expressRoute(request: IncomingMessage): string | undefined {
  const { route, baseUrl, app } = request as ExpressRequest;
  if (route === null || typeof route !== 'object' || typeof route.path !== 'string') return undefined;
  const routePath = route.path;
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  if (base === '' && (app === undefined || app.parent === undefined)) return routePath;
  if (app === null || (typeof app !== 'object' && typeof app !== 'function')) return undefined;

  // A mounted sub-app (`app.use('/admin', admin)`): its `mountpath` is the template; the
  // parent's layer for it (Express's `mounted_app` wrapper) says how much of the base it matched.
  const apps: ExpressApp[] = [];
  for (let current: ExpressApp | undefined = app; current?.parent !== undefined; current = current.parent as ExpressApp) {
    if (apps.length > MAX_DEPTH) return undefined;
    apps.unshift(current);
  }
  let prefix = '';
  let remaining = base;
  for (const mounted of apps) {
    const mount = subAppMount(mounted, remaining);
    if (mount === undefined) return undefined;
    prefix += mount.template;
    remaining = remaining.slice(mount.length);
  }

  const mounts = mountsTo((app._router ?? app.router)?.stack, route, remaining, 0);
  if (mounts === undefined) return undefined;
  const mounted = prefix + mounts.join('');
  return mounted === '' ? routePath : mounted + (routePath === '/' ? '' : routePath);
}
