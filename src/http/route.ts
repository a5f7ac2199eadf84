/**
 * HTTP route and method labels. The route is a template the framework (or the
 * application, through setHttpRoute) matched, never anything derived from the
 * request path: a path carries tenant and person names, and the semantic
 * conventions say `http.route` MUST NOT be filled from it. Without a template
 * the attribute is absent.
 */

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Semantic conventions: known methods upper-case, anything else `_OTHER`. */
export function normalizeMethod(method: unknown): string {
  if (typeof method !== 'string') return '_OTHER';
  // Node's parser hands known methods upper-case already: no new string per request.
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** A template's shape: a bounded path of the characters route syntaxes use (`:id`, `{id}`, `*splat`, `(a|b)` excluded). */
const TEMPLATE = /^\/[A-Za-z0-9._~:{}*/-]{0,127}$/;

/** The route label for a template, or undefined (attribute absent) when there is none or it is not template-shaped. */
export function routeTemplate(template: unknown): string | undefined {
  if (typeof template !== 'string') return undefined;
  if (template === '') return '/';
  return TEMPLATE.test(template) ? template : undefined;
}
