/**
 * Route labels that never identify anyone (issue 11, item 4), through the real
 * frameworks over real HTTP: Express 4 and 5, Fastify 4 and 5, Koa with
 * @koa/router, Hono on @hono/node-server, NestJS on Express and on Fastify,
 * and plain node:http. Each runs test/fixtures/route-app.mjs under the
 * preload (`--require` and `--import`) and serves a corpus generated with fast-check (fixed seed): tenant
 * slugs, person names, emails, numeric and UUID ids in matched routes, in
 * routers mounted at parameterised paths, in wildcards, in query strings and
 * in paths no route matches. Then, at the embedded endpoint:
 *
 *   - no label value of any series contains any generated identifier
 *     (decoded or percent-encoded, case-insensitive);
 *   - each framework's template gets exactly the requests it served, and the
 *     requests no route served carry no `http_route` at all;
 *   - the request count sums to the number of requests sent.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseExposition, sumSamples } from '../../src/exposition/parse';
import { freePort, httpText, waitFor } from '../helpers/processes';
import { spawnPreloadedApp } from '../helpers/services';

type Framework = 'node-http' | 'express4' | 'express5' | 'fastify4' | 'fastify5' | 'koa' | 'hono' | 'nest-express' | 'nest-fastify';

interface Ids {
  tenant: string;
  person: string;
  email: string;
  numeric: string;
  uuid: string;
}

interface Shape {
  method: 'GET' | 'POST';
  path: (ids: Ids) => string;
}

/** Route shapes: keys of the matched ones name the route in every framework's template table below. */
const SHAPES = {
  health: { method: 'GET', path: (i) => `/health?tenant=${i.tenant}&user=${encodeURIComponent(i.email)}` },
  job: { method: 'GET', path: (i) => `/workspaces/${i.tenant}/jobs/${i.numeric}` },
  jobUuid: { method: 'GET', path: (i) => `/workspaces/${i.uuid}/jobs/${i.uuid}?by=${i.person}` },
  profile: { method: 'GET', path: (i) => `/u/${i.person}/profile` },
  profileEmail: { method: 'GET', path: (i) => `/u/${encodeURIComponent(i.email)}/profile` },
  billing: { method: 'GET', path: (i) => `/api/tenants/${i.tenant}/billing` },
  run: { method: 'GET', path: (i) => `/orgs/${i.tenant}/projects/${i.person}/runs/${i.numeric}` },
  files: { method: 'GET', path: (i) => `/files/${i.tenant}/${i.person}/${i.uuid}.pdf` },
  invite: { method: 'POST', path: (i) => `/invites/${encodeURIComponent(i.email)}` },
  inviteRaw: { method: 'POST', path: (i) => `/invites/${i.email}` },
  admin: { method: 'GET', path: (i) => `/admin/users/${i.person}` },
  teamAdmin: { method: 'GET', path: (i) => `/teams/${i.tenant}/admin/users/${i.email}` },
  // No route serves these.
  tenantRoot: { method: 'GET', path: (i) => `/${i.tenant}/dashboard` },
  tenantPerson: { method: 'GET', path: (i) => `/${i.tenant}/${i.person}/settings` },
  people: { method: 'GET', path: (i) => `/people/${i.email}` },
  bareUuid: { method: 'GET', path: (i) => `/${i.uuid}` },
  versioned: { method: 'GET', path: (i) => `/v1/${i.numeric}/items/${i.uuid}` },
  routePrefix: { method: 'GET', path: (i) => `/workspaces/${i.tenant}` },
  mountOnly: { method: 'GET', path: (i) => `/orgs/${i.tenant}/projects/${i.person}` },
  deep: { method: 'GET', path: (i) => `/api/tenants/${i.tenant}/billing/${i.numeric}/${i.person}` },
} satisfies Record<string, Shape>;
type ShapeKey = keyof typeof SHAPES;

const COMMON: Partial<Record<ShapeKey, string>> = {
  health: '/health',
  job: '/workspaces/:workspace/jobs/:job',
  jobUuid: '/workspaces/:workspace/jobs/:job',
  profile: '/u/:user/profile',
  profileEmail: '/u/:user/profile',
  billing: '/api/tenants/:tenant/billing',
  run: '/orgs/:org/projects/:project/runs/:run',
  invite: '/invites/:email',
  inviteRaw: '/invites/:email',
};

/** The template each framework reports for each shape; a shape not listed gets no `http_route`. */
const TEMPLATES: Record<Framework, Partial<Record<ShapeKey, string>>> = {
  // node:http knows no routes; the fixture names one with setHttpRoute.
  'node-http': { job: '/workspaces/:workspace/jobs/:job', jobUuid: '/workspaces/:workspace/jobs/:job' },
  express4: { ...COMMON, files: '/files/*', admin: '/admin/users/:user', teamAdmin: '/teams/:team/admin/users/:user' },
  express5: { ...COMMON, files: '/files/*path', admin: '/admin/users/:user', teamAdmin: '/teams/:team/admin/users/:user' },
  fastify4: { ...COMMON, files: '/files/*' },
  fastify5: { ...COMMON, files: '/files/*' },
  koa: { ...COMMON, files: '/files/*path' },
  hono: { ...COMMON, files: '/files/*' },
  'nest-express': COMMON,
  'nest-fastify': COMMON,
};
const FRAMEWORKS = Object.keys(TEMPLATES) as Framework[];

// ── the generated corpus ────────────────────────────────────────────────────
const COMPANIES = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'wayne', 'stark', 'tyrell', 'cyberdyne', 'soylent', 'vandelay', 'wonka'];
const FIRST = ['jane', 'john', 'marta', 'oleksandr', 'aiko', 'fatima', 'pierre', 'ngozi', 'li', 'sven', 'lucia', 'rahul'];
const LAST = ['doe', 'smith', 'kowalski', 'shevchenko', 'tanaka', 'haddad', 'dubois', 'okafor', 'wei', 'larsen', 'garcia', 'patel'];
const DOMAINS = ['example.com', 'corp.io', 'mail.example.org'];
const alnum = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: min, maxLength: max });

const tenant = fc
  .tuple(fc.constantFrom(...COMPANIES), fc.constantFrom('-', '_', ''), alnum(3, 6), fc.integer({ min: 0, max: 9 }))
  .map(([company, sep, suffix, digit]) => `${company}${sep}${suffix}${digit}`);
const person = fc
  .tuple(fc.constantFrom(...FIRST), fc.constantFrom('.', '_', '-'), fc.constantFrom(...LAST), fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }), fc.boolean())
  .map(([first, sep, last, n, capitalised]) => {
    const name = `${first}${sep}${last}${n ?? ''}`;
    return capitalised ? name[0]!.toUpperCase() + name.slice(1) : name;
  });
const email = fc.tuple(person, fc.constantFrom('', '+billing'), fc.constantFrom(...DOMAINS)).map(([p, tag, domain]) => `${p.toLowerCase()}${tag}@${domain}`);
const ids = fc.record({
  tenant,
  person,
  email,
  numeric: fc.bigInt({ min: 100_000_000n, max: 99_999_999_999_999n }).map(String),
  uuid: fc.uuid(),
});
const REQUESTS = fc.sample(fc.tuple(fc.constantFrom(...(Object.keys(SHAPES) as ShapeKey[])), ids), { seed: 20261129, numRuns: 240 });

/** Every identifier in the corpus, in the forms a label could carry it. */
const IDENTIFIERS = [
  ...new Set(
    REQUESTS.flatMap(([, i]) => Object.values(i)).flatMap((id) => [id.toLowerCase(), encodeURIComponent(id).toLowerCase()]),
  ),
];

async function send(base: string, shape: ShapeKey, i: Ids): Promise<void> {
  const { method, path } = SHAPES[shape] as Shape;
  const response = await fetch(base + path(i), { method, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
}

const CASES = (['--require', '--import'] as const).flatMap((loader) => FRAMEWORKS.map((framework) => [framework, loader] as const));

describe.each(CASES)('%s, preload with %s', (framework, loader) => {
  it('labels requests with the framework template only, and no label carries a generated identifier', async () => {
    const appPort = await freePort();
    const metricsPort = await freePort();
    const app = spawnPreloadedApp('route-app.mjs', {
      loader,
      port: metricsPort,
      allowlist: [],
      serviceName: 'route-frameworks',
      env: { APP_PORT: String(appPort), METRICS_WORKSPACE_LABEL: 'off' },
      args: [framework],
    });
    await waitFor(
      () => {
        if (app.child.exitCode !== null) throw new Error(`the ${framework} app exited:\n${app.output().slice(-3000)}`);
        return app.output().includes('READY') || undefined;
      },
      30_000,
      `the ${framework} app to listen`,
    );

    const base = `http://127.0.0.1:${appPort}`;
    for (let at = 0; at < REQUESTS.length; at += 8) {
      await Promise.all(REQUESTS.slice(at, at + 8).map(([shape, i]) => send(base, shape, i)));
    }

    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const count = 'http_server_request_duration_seconds_count';
    const families = await waitFor(
      async () => {
        const parsed = parseExposition(await httpText(metricsUrl));
        return sumSamples(parsed, count) >= REQUESTS.length ? parsed : undefined;
      },
      10_000,
      'every request to be recorded',
    );

    // No label value anywhere carries an identifier from a request path.
    const leaks: string[] = [];
    for (const family of families.values()) {
      for (const sample of family.samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          const lower = value.toLowerCase();
          for (const id of IDENTIFIERS) if (lower.includes(id)) leaks.push(`${sample.name}{${label}="${value}"} carries ${id}`);
        }
      }
    }
    expect(leaks).toEqual([]);

    // Each template counts exactly the requests its route served; the rest carry no http_route.
    const expected = new Map<string | undefined, number>();
    for (const [shape] of REQUESTS) {
      const template = TEMPLATES[framework][shape];
      expected.set(template, (expected.get(template) ?? 0) + 1);
    }
    const seen = new Map<string | undefined, number>();
    for (const sample of families.get('http_server_request_duration_seconds')?.samples ?? []) {
      if (sample.name !== count) continue;
      const route = sample.labels['http_route'];
      seen.set(route, (seen.get(route) ?? 0) + sample.value);
    }
    expect(Object.fromEntries([...seen].map(([k, v]) => [String(k), v]))).toEqual(Object.fromEntries([...expected].map(([k, v]) => [String(k), v])));
    expect(sumSamples(families, count)).toBe(REQUESTS.length);
    await app.stop();
  }, 90_000);
});

it('the corpus has every identifier kind in every shape, and enough of them', () => {
  expect(REQUESTS.length).toBe(240);
  expect(new Set(REQUESTS.map(([shape]) => shape)).size).toBe(Object.keys(SHAPES).length);
  expect(IDENTIFIERS.length).toBeGreaterThan(1000);
  // Numeric ids are longer than any bucket boundary or status code, so a hit is never a coincidence.
  expect(REQUESTS.every(([, i]) => i.numeric.length >= 9)).toBe(true);
});
