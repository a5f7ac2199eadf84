/**
 * HTTP route normalization: a raw request path never becomes a label. Ids,
 * UUIDs, hashes, emails and long tokens become placeholders; a route template
 * supplied by the application (or Express's matched route) wins when present.
 */

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Semantic conventions: known methods upper-case, anything else `_OTHER`. */
export function normalizeMethod(method: unknown): string {
  if (typeof method !== 'string') return '_OTHER';
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

const MAX_SEGMENTS = 8;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC = /^[+-]?\d+([.,]\d+)?$/;
const HEX_HASH = /^(0x)?[0-9a-f]{16,}$/i;
const SAFE_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const FILE_NAME = /^[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9]{1,8}$/;

function decode(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function placeholder(rawSegment: string): string {
  const segment = decode(rawSegment);
  if (segment === undefined || /^\.+$/.test(segment)) return ':param';
  if (NUMERIC.test(segment)) return ':id';
  if (UUID.test(segment)) return ':uuid';
  if (HEX_HASH.test(segment)) return ':hash';
  if (segment.includes('@')) return ':email';
  if (!SAFE_SEGMENT.test(segment)) return ':param';
  if (segment.length > 40) return ':token';
  if (FILE_NAME.test(segment) && !/\d{3,}/.test(segment)) return segment;
  const digits = segment.replace(/\D/g, '').length;
  // Words with a short version number stay (`v2`, `oauth2`); mixed ids and tokens do not.
  if (digits >= 3 || (digits > 0 && segment.length >= 12)) return ':id';
  if (segment.length >= 24 && /[a-z]/.test(segment) && /[A-Z]/.test(segment)) return ':token';
  return segment;
}

/** `/users/42/orders?x=1` → `/users/:id/orders`. Always a path starting with `/`. */
export function normalizePath(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0) return '/';
  let path = url;
  // Absolute-form request targets (`http://host/p`) carry a scheme and host we never label.
  const schemeEnd = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (schemeEnd) path = path.slice(schemeEnd[0].length);
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  const segments = path.split('/').filter((s) => s.length > 0);
  if (segments.length === 0) return '/';
  const out = segments.slice(0, MAX_SEGMENTS).map(placeholder);
  if (segments.length > MAX_SEGMENTS) out.push(':rest');
  return '/' + out.join('/');
}

const TEMPLATE = /^\/[A-Za-z0-9._~:{}*()/-]{0,127}$/;

/** The route label: a well-formed template from the app wins; otherwise the normalized path. */
export function routeLabel(template: unknown, url: unknown): string {
  if (typeof template === 'string' && TEMPLATE.test(template)) return template;
  return normalizePath(url);
}
