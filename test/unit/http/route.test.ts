/**
 * HTTP route normalization on real-world-shaped paths: a raw path never
 * becomes a label; ids, UUIDs, hashes, emails, tokens and encoded values
 * become placeholders; static words and versions stay.
 */
import { describe, expect, it } from 'vitest';
import { normalizeMethod, normalizePath, routeLabel } from '../../../src/exports/policy';

const CORPUS: [string, string][] = [
  ['/', '/'],
  ['', '/'],
  ['/health', '/health'],
  ['/healthz/', '/healthz'],
  ['/metrics?debug=1', '/metrics'],
  ['/api/v1/users', '/api/v1/users'],
  ['/api/v2/users/', '/api/v2/users'],
  ['/users/42', '/users/:id'],
  ['/users/42/', '/users/:id'],
  ['/users/0042/orders/7', '/users/:id/orders/:id'],
  ['/users/-1', '/users/:id'],
  ['/prices/19.99', '/prices/:id'],
  ['/orders/123456789012', '/orders/:id'],
  ['/orders/123?expand=items&limit=10', '/orders/:id'],
  ['/orders/123#section', '/orders/:id'],
  ['/workspaces/550e8400-e29b-41d4-a716-446655440000', '/workspaces/:uuid'],
  ['/workspaces/550E8400-E29B-41D4-A716-446655440000/jobs', '/workspaces/:uuid/jobs'],
  ['/runs/0f8fad5b-d9cb-469f-a165-70867728950e/steps/3', '/runs/:uuid/steps/:id'],
  ['/commits/9fceb02d0ae598e95dc970b74767f19372d61af8', '/commits/:hash'],
  ['/blobs/0xdeadbeefdeadbeefdeadbeef', '/blobs/:hash'],
  ['/objects/5f2b7c9e1a3d4b6c', '/objects/:hash'],
  ['/users/alice@example.com', '/users/:email'],
  ['/users/alice%40example.com/settings', '/users/:email/settings'],
  ['/invite/bob+test@corp.io/accept', '/invite/:email/accept'],
  ['/files/report%20final.pdf', '/files/:param'],
  ['/search/caf%C3%A9', '/search/:param'],
  ['/bad/%E0%A4%A', '/bad/:param'],
  ['/tags/hello%2Fworld', '/tags/:param'],
  ['/static/app.js', '/static/app.js'],
  ['/static/styles/main.css', '/static/styles/main.css'],
  ['/favicon.ico', '/favicon.ico'],
  ['/assets/logo-2x.png', '/assets/logo-2x.png'],
  ['/assets/app.3f9a8b7c.js', '/assets/:id'],
  ['/download/invoice-2024-000123.pdf', '/download/:id'],
  ['/oauth2/callback', '/oauth2/callback'],
  ['/v1/oauth2/token', '/v1/oauth2/token'],
  ['/auth/reset/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9abcdefghijklmnop', '/auth/reset/:token'],
  ['/share/AbCdEfGhIjKlMnOpQrStUvWxYz', '/share/:token'],
  ['/verify/k3j4h5g6f7d8s9a0', '/verify/:id'],
  ['/sessions/sess_8f3k2j9d7s6a5', '/sessions/:id'],
  ['/customers/cus_NffrFeUfNV2Hib', '/customers/:id'],
  ['/dates/2024-01-31', '/dates/:id'],
  ['/reports/2024/01', '/reports/:id/:id'],
  ['/ws-001/jobs', '/:id/jobs'],
  ['/workspaces/ws-12345/jobs', '/workspaces/:id/jobs'],
  ['//double//slashes//', '/double/slashes'],
  ['/a/b/c/d/e/f/g/h/i/j', '/a/b/c/d/e/f/g/h/:rest'],
  ['/users/42/orders/7/items/3/notes/1/x', '/users/:id/orders/:id/items/:id/notes/:id/:rest'],
  ['http://example.com/users/42?x=1', '/users/:id'],
  ['https://api.example.com:8443/v1/items/9', '/v1/items/:id'],
  ['/graphql', '/graphql'],
  ['/graphql?query={user(id:1){name}}', '/graphql'],
  ['/api/items;jsessionid=ABC123DEF456', '/api/:param'],
  ['/path with space', '/:param'],
  ['/users/42/avatar.png', '/users/:id/avatar.png'],
  ['/webhooks/github', '/webhooks/github'],
  ['/webhooks/stripe/whsec_1234567890abcdef', '/webhooks/stripe/:id'],
  ['/%2e%2e/etc/passwd', '/:param/etc/passwd'],
  ['/../admin', '/:param/admin'],
  ['/users/' + 'z'.repeat(200), '/users/:token'],
  ['/users/' + 'a'.repeat(200), '/users/:hash'],
  ['/ünïcödé', '/:param'],
  ['/users/42\n/x', '/users/:param/x'],
];

describe('normalizePath', () => {
  it('has a corpus of at least 50 paths', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(CORPUS)('%j → %j', (path, expected) => {
    expect(normalizePath(path)).toBe(expected);
  });

  it('never returns a raw id, and always a bounded, label-safe path', () => {
    for (const [path] of CORPUS) {
      const route = normalizePath(path);
      expect(route.startsWith('/')).toBe(true);
      expect(route).toMatch(/^[A-Za-z0-9._~:/-]*$/);
      expect(route.split('/').length).toBeLessThanOrEqual(10);
      expect(route).not.toMatch(/\d{3,}|@|%/);
    }
  });

  it('handles non-strings', () => {
    expect(normalizePath(undefined)).toBe('/');
    expect(normalizePath(42)).toBe('/');
  });
});

describe('routeLabel', () => {
  it('prefers a well-formed template from the application', () => {
    expect(routeLabel('/users/:id', '/users/42')).toBe('/users/:id');
    expect(routeLabel('/files/{name}', '/files/a.txt')).toBe('/files/{name}');
    expect(routeLabel('/items/*', '/items/1/2')).toBe('/items/*');
  });

  it('falls back to the normalized path for a missing or malformed template', () => {
    expect(routeLabel(undefined, '/users/42')).toBe('/users/:id');
    expect(routeLabel('users/:id', '/users/42')).toBe('/users/:id');
    expect(routeLabel('/x"y', '/users/42')).toBe('/users/:id');
    expect(routeLabel('/' + 'a'.repeat(200), '/users/42')).toBe('/users/:id');
    expect(routeLabel(42, '/users/42')).toBe('/users/:id');
  });
});

describe('normalizeMethod', () => {
  it.each([
    ['GET', 'GET'],
    ['get', 'GET'],
    ['Patch', 'PATCH'],
    ['PROPFIND', '_OTHER'],
    ['FOO', '_OTHER'],
    ['', '_OTHER'],
    [undefined, '_OTHER'],
  ])('%j → %j', (method, expected) => {
    expect(normalizeMethod(method)).toBe(expected);
  });
});

describe('normalizePath at each rule’s boundary', () => {
  it.each([
    // Eight segments are kept, the ninth and later become one :rest.
    ['/a/b/c/d/e/f/g/h', '/a/b/c/d/e/f/g/h'],
    ['/a/b/c/d/e/f/g/h/i', '/a/b/c/d/e/f/g/h/:rest'],
    ['/a/b/c/d/e/f/g/h/i/j/k', '/a/b/c/d/e/f/g/h/:rest'],
    ['///', '/'],
    // A word of 40 safe characters stays; 41 is a token.
    ['/x/' + 'z'.repeat(40), '/x/' + 'z'.repeat(40)],
    ['/x/' + 'z'.repeat(41), '/x/:token'],
    // Hex: 16 digits make a hash, 15 do not; an 0x prefix counts.
    ['/x/' + 'a'.repeat(16), '/x/:hash'],
    ['/x/' + 'a'.repeat(15), '/x/' + 'a'.repeat(15)],
    ['/x/0x' + 'f'.repeat(16), '/x/:hash'],
    // Digits: three make an id, two do not; one digit in 12 characters does, in 11 it does not.
    ['/x/ab12', '/x/ab12'],
    ['/x/ab123', '/x/:id'],
    ['/x/abcdefghij1', '/x/abcdefghij1'],
    ['/x/abcdefghijk1', '/x/:id'],
    // Mixed case: 24 characters with both cases are a token; 23, or one case only, are not.
    ['/x/' + 'qZ'.repeat(12), '/x/:token'],
    ['/x/' + 'qZ'.repeat(11) + 'q', '/x/' + 'qZ'.repeat(11) + 'q'],
    ['/x/' + 'Z'.repeat(24), '/x/' + 'Z'.repeat(24)],
    ['/x/' + 'z'.repeat(24), '/x/' + 'z'.repeat(24)],
    // File names with a version stay (extension up to 8 characters); three digits in a row never do.
    ['/docs/report-v12-final.pdf', '/docs/report-v12-final.pdf'],
    ['/docs/report-v12-final.abcdefgh', '/docs/report-v12-final.abcdefgh'],
    ['/docs/report-v12-final.abcdefghi', '/docs/:id'],
    ['/docs/photo_2024.png', '/docs/:id'],
    // Dot segments are never labels; a name that starts with a dot is.
    ['/./x', '/:param/x'],
    ['/.../x', '/:param/x'],
    ['/.well-known/openid-configuration', '/.well-known/openid-configuration'],
    // Numbers: signs and one decimal separator.
    ['/x/+5', '/x/:id'],
    ['/x/1,5', '/x/:id'],
    ['/x/1.', '/x/1.'],
    // Absolute-form targets: scheme and host dropped, whatever their case.
    ['http://example.com/users/42', '/users/:id'],
    ['HTTPS://example.com:8443/x?y=1', '/x'],
    ['//example.com/x', '/example.com/x'],
  ])('%j → %j', (path, expected) => {
    expect(normalizePath(path)).toBe(expected);
  });
});

describe('routeLabel and normalizeMethod at their boundaries', () => {
  it('accepts templates up to 128 characters', () => {
    const longest = '/' + 'a'.repeat(127);
    expect(routeLabel(longest, '/users/42')).toBe(longest);
    expect(routeLabel(longest + 'a', '/users/42')).toBe('/users/:id');
    expect(routeLabel('/', '/users/42')).toBe('/');
  });

  it('knows every standard method, in any case', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']) {
      expect(normalizeMethod(method.toLowerCase())).toBe(method);
    }
    expect(normalizeMethod(42)).toBe('_OTHER');
  });
});
