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
