/**
 * Route and method labels: a template is accepted only in template shape and
 * bounded; anything else means no `http.route` (never a path-derived value).
 * The frameworks and the generated-identifier corpus are in
 * test/integration/route-frameworks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { normalizeMethod, routeTemplate } from '../../../src/exports/policy';

describe('routeTemplate', () => {
  it.each([
    ['/users/:id', '/users/:id'],
    ['/files/{name}', '/files/{name}'],
    ['/items/*', '/items/*'],
    ['/files/*path', '/files/*path'],
    ['/orgs/:org/projects/:project/runs/:run', '/orgs/:org/projects/:project/runs/:run'],
    ['/', '/'],
    ['', '/'],
  ])('accepts %j as %j', (template, expected) => {
    expect(routeTemplate(template)).toBe(expected);
  });

  it('bounds the length at 128 characters', () => {
    const longest = '/' + 'a'.repeat(127);
    expect(routeTemplate(longest)).toBe(longest);
    expect(routeTemplate(longest + 'a')).toBeUndefined();
  });

  it.each([
    ['users/:id'],
    ['/x"y'],
    ['/users/:id(\\d+)'],
    ['/a b'],
    ['/users/jane@example.com'],
    ['/caf%C3%A9'],
    ['/x\n/y'],
    [42],
    [undefined],
    [null],
    [{ path: '/x' }],
  ])('has no route for %j', (template) => {
    expect(routeTemplate(template)).toBeUndefined();
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
