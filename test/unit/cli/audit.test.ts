/**
 * `audit` on three expositions: our own embedded endpoint (bounded by the
 * policy), a prom-client registry with the classic cardinality mistakes, and
 * a real Prometheus's own /metrics captured into test/fixtures.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID, createHash } from 'node:crypto';
import { Counter, Histogram, Registry } from 'prom-client';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from '../../../src/cli/main';
import { MAX_RESPONSE_BYTES, auditExposition, displayValue, fetchExposition, formatReport, printable, type AuditReport } from '../../../src/cli/audit';
import type { CliIo } from '../../../src/cli/io';
import { recordActionExecution, recordQueueJob, start, type Kit } from '../../../src/index';
import { freePort, waitFor } from '../../helpers/processes';

const PROMETHEUS_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'prometheus-2.42-self-metrics.txt');

async function cli(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, stdin: async () => stdin };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

const flaggedLabels = (report: AuditReport): string[] =>
  report.families.flatMap((family) => family.labels.filter((label) => label.unbounded).map((label) => `${family.name}{${label.name}}`)).sort();

/** A service instrumented the way docs/SECURITY.md and the audit warn against. */
async function badExporterText(): Promise<string> {
  const registry = new Registry();
  const requests = new Counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['method', 'path', 'status', 'request_id'], registers: [registry] });
  const logins = new Counter({ name: 'logins_total', help: 'Logins.', labelNames: ['user', 'result'], registers: [registry] });
  const jobs = new Histogram({ name: 'job_duration_seconds', help: 'Jobs.', labelNames: ['job_type', 'tenant'], buckets: [0.1, 1, 10], registers: [registry] });
  const builds = new Counter({ name: 'artifact_downloads_total', help: 'Downloads.', labelNames: ['digest'], registers: [registry] });
  const bounded = new Counter({ name: 'cache_operations_total', help: 'Cache.', labelNames: ['cache', 'operation', 'result'], registers: [registry] });
  const routes = new Counter({ name: 'route_requests_total', help: 'By route template.', labelNames: ['route', 'method'], registers: [registry] });
  for (let i = 0; i < 300; i++) {
    requests.inc({ method: i % 3 === 0 ? 'POST' : 'GET', path: `/users/${10_000 + i}/orders`, status: i % 10 === 0 ? '500' : '200', request_id: randomUUID() });
    logins.inc({ user: `user${i % 120}@example.com`, result: i % 7 === 0 ? 'failure' : 'success' });
    jobs.observe({ job_type: ['sync', 'export', 'import'][i % 3]!, tenant: `tenant-${i % 150}` }, i / 100);
    routes.inc({ route: `/api/v1/resource-${i % 30}/:id`, method: ['GET', 'PUT', 'DELETE'][Math.floor(i / 30) % 3]! });
    builds.inc({ digest: createHash('sha256').update(String(i % 12)).digest('hex') });
    bounded.inc({ cache: ['users', 'sessions'][i % 2]!, operation: ['get', 'set', 'delete'][i % 3]!, result: i % 4 === 0 ? 'miss' : 'hit' });
  }
  return registry.metrics();
}

describe('audit: a non-kit exporter with unbounded labels (prom-client)', () => {
  it('flags ids, emails, hashes, paths with ids and near-unique labels; not the bounded ones', async () => {
    const report = auditExposition(await badExporterText(), 'prom-client');
    expect(flaggedLabels(report)).toEqual([
      'artifact_downloads_total{digest}',
      'http_requests_total{path}',
      'http_requests_total{request_id}',
      'job_duration_seconds{tenant}',
      'logins_total{user}',
    ]);
    const requests = report.families.find((family) => family.name === 'http_requests_total')!;
    expect(requests.series).toBe(300);
    expect(requests.labels.map((label) => label.name)).toEqual(['method', 'path', 'request_id', 'status']);
    const reasons = (name: string): string[] => requests.labels.find((label) => label.name === name)!.reasons;
    expect(reasons('request_id')).toEqual(['values look like uuids', '300 distinct values in 300 label sets']);
    expect(reasons('path')[0]).toBe('values look like URLs or paths with ids');
    expect(reasons('method')).toEqual([]);
    const method = requests.labels.find((label) => label.name === 'method')!;
    expect(method.top).toEqual([
      { value: 'GET', series: 200 },
      { value: 'POST', series: 100 },
    ]);
    const logins = report.families.find((family) => family.name === 'logins_total')!;
    expect(logins.labels.find((label) => label.name === 'user')!.reasons).toEqual(['values look like emails', '120 distinct values in 163 label sets']);
    // Histogram: every bucket is a series; label sets count once per bucket group.
    const jobs = report.families.find((family) => family.name === 'job_duration_seconds')!;
    expect(jobs.type).toBe('histogram');
    expect(jobs.labelSets).toBe(150);
    expect(jobs.series).toBe(150 * (4 + 2));
    expect(jobs.labels.map((label) => label.name)).toEqual(['job_type', 'tenant']); // no `le`
    expect(jobs.labels.find((label) => label.name === 'tenant')!.reasons).toEqual(['150 distinct values in 150 label sets']);
    const digest = report.families.find((family) => family.name === 'artifact_downloads_total')!.labels[0]!;
    expect(digest.reasons).toEqual(['values look like hex hashes']);
    expect(report.families.find((family) => family.name === 'cache_operations_total')!.unbounded).toBe(false);
    // 30 route templates × 3 methods: many values, but bounded-looking (not near-unique, not id-shaped).
    const routes = report.families.find((family) => family.name === 'route_requests_total')!;
    expect(routes.labels.find((label) => label.name === 'route')!.distinct).toBe(30);
    expect(routes.labelSets).toBe(90);
    expect(routes.unbounded).toBe(false);
  });

  it('prints a readable table, --json, --flagged, and fails with --fail-on-unbounded', async () => {
    const text = await badExporterText();
    const table = await cli(['audit', '-'], text);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^-: \d+ families, \d+ series; 5 label\(s\) in 4 families look unbounded$/);
    expect(lines.find((line) => line.startsWith('FAMILY'))).toMatch(/^FAMILY\s+TYPE\s+SERIES\s+SETS\s+LABELS/);
    expect(table.stdout).toMatch(/\nhttp_requests_total\s+counter\s+300\s+300\s+method\(2\) !path\(300\) !request_id\(300\) status\(2\)\n/);
    expect(table.stdout).toContain('LABELS THAT LOOK UNBOUNDED');
    expect(table.stdout).toContain('  logins_total {user}: values look like emails; 120 distinct values in 163 label sets');
    expect(table.stdout).toContain('TOP LABEL VALUES BY SERIES');
    expect(table.stdout).toMatch(/\n {4} {2}method\s+GET \(200\), POST \(100\)\n/);
    expect(table.stdout).toMatch(/! request_id\s+[0-9a-f-]{36} \(1\), .*, … 295 more\n/);

    const json = await cli(['audit', '-', '--json', '--top', '2', '--flagged'], text);
    const parsed = JSON.parse(json.stdout) as AuditReport;
    expect(parsed.families.map((family) => family.name).sort()).toEqual(['artifact_downloads_total', 'http_requests_total', 'job_duration_seconds', 'logins_total']);
    expect(parsed.families.every((family) => family.labels.every((label) => label.top.length <= 2))).toBe(true);
    expect(parsed.totals.flaggedLabels).toBe(5);

    expect((await cli(['audit', '-', '--fail-on-unbounded'], text)).code).toBe(1);
  });
});

describe('audit: a real Prometheus /metrics (captured fixture)', () => {
  const text = readFileSync(PROMETHEUS_FIXTURE, 'utf8');

  it('reads every family and finds nothing unbounded in a well-instrumented exporter', async () => {
    const report = auditExposition(text, 'prometheus');
    expect(report.totals.skippedLines).toBe(0);
    expect(report.totals.families).toBeGreaterThan(150);
    expect(flaggedLabels(report)).toEqual([]);
    const http = report.families.find((family) => family.name === 'prometheus_http_request_duration_seconds')!;
    expect(http.type).toBe('histogram');
    expect(http.labels.map((label) => label.name)).toEqual(['handler']);
    expect(http.series).toBe(http.labelSets * (http.series / http.labelSets)); // buckets + _sum + _count per handler
    const gc = report.families.find((family) => family.name === 'go_gc_duration_seconds')!;
    expect(gc.type).toBe('summary');
    expect(gc.labels).toEqual([]); // `quantile` is structural
    const build = report.families.find((family) => family.name === 'prometheus_build_info')!;
    expect(build.labels.find((label) => label.name === 'version')!.top).toEqual([{ value: '2.42.0+ds', series: 1 }]);

    const { code, stdout } = await cli(['audit', PROMETHEUS_FIXTURE, '--flagged']);
    expect(code).toBe(0);
    expect(stdout).toContain('no family has a label that looks unbounded');
    expect((await cli(['audit', PROMETHEUS_FIXTURE, '--fail-on-unbounded'])).code).toBe(0);
  });
});

describe("audit: the kit's embedded endpoint", () => {
  let kit: Kit | undefined;
  afterAll(async () => kit?.shutdown());

  it('sees the workspace label bounded by the allowlist, 10,000 raw tenants notwithstanding', async () => {
    const port = await freePort();
    kit = start({
      env: {
        OTEL_METRICS_EXPORTER: 'prometheus',
        METRICS_PORT: String(port),
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_ALLOWLIST: 'ws-1,ws-2,ws-3,team-a/*',
      },
      httpServerMetrics: false,
    });
    expect(await kit!.embeddedPort).toBe(port);
    for (let i = 0; i < 10_000; i++) {
      const workspaceId = i % 10 === 0 ? `team-a/ws-${i}` : `ws-${i % 5_000}`;
      recordActionExecution({ provider: 'google', action: 'gmail.send', status: i % 9 === 0 ? 'error' : 'ok', durationSeconds: 0.2, workspaceId });
      recordQueueJob({ jobType: 'sync', status: 'ok', durationSeconds: 1, workspaceId: randomUUID() });
    }

    const { code, stdout } = await cli(['audit', `http://127.0.0.1:${port}/metrics`, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.source).toBe(`http://127.0.0.1:${port}/metrics`);
    const family = report.families.find((f) => f.name === 'action_executions_by_workspace_total')!;
    expect(family.type).toBe('counter');
    const workspace = family.labels.find((label) => label.name === 'workspace_id')!;
    expect(workspace.distinct).toBe(5); // ws-1, ws-2, ws-3, team-a/__other__, __other__
    expect(workspace.unbounded).toBe(false);
    expect(workspace.top[0]).toEqual({ value: '__other__', series: 2 });
    const queue = report.families.find((f) => f.name === 'queue_jobs_by_workspace_total')!;
    expect(queue.labels.find((label) => label.name === 'workspace_id')!.top).toEqual([{ value: '__other__', series: 1 }]);
    expect(flaggedLabels(report)).toEqual([]);
    const folded = report.families.find((f) => f.name === 'otel_workspace_metrics_workspace_folded_total')!;
    expect(folded.labels.map((label) => label.name)).toContain('metric');

    const table = await cli(['audit', `http://127.0.0.1:${port}/metrics`]);
    expect(table.stdout).toMatch(/\naction_executions_by_workspace_total\s+counter\s+7\s+7\s+action\(1\) otel_scope_name\(1\) provider\(1\) status\(2\) workspace_id\(5\)\n/);
  });

  it('reports an unreachable endpoint or a missing file with exit code 1', async () => {
    const port = await freePort();
    const down = await cli(['audit', `http://127.0.0.1:${port}/metrics`, '--timeout', '2']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot read');
    expect((await cli(['audit', '/nonexistent/metrics.txt'])).code).toBe(1);
    expect((await cli(['audit'])).code).toBe(2);
    expect((await cli(['audit', 'a', 'b'])).code).toBe(2);
    expect((await cli(['audit', '-', '--top', '0'])).code).toBe(2);
  });
});

describe('audit: hostile or broken input', () => {
  it('skips malformed lines, counts them, and escapes label values in the table', async () => {
    const text = [
      '# TYPE evil_total counter',
      'evil_total{v="\\u001b[31mred"} 1',
      'evil_total{v="line\\nbreak"} 1',
      'evil_total{v="ok"} 1',
      'this is not a sample',
      'broken_total{v="unterminated} 1',
      '',
    ].join('\n');
    const report = auditExposition(text, 'x');
    expect(report.totals.skippedLines).toBe(2);
    expect(report.families.map((family) => family.name)).toEqual(['evil_total']);
    const out = formatReport(report);
    expect(out).not.toContain('\n' + 'break');
    expect(out).toContain('"line\\nbreak" (1)');
    expect(out).toContain('; 2 malformed line(s) skipped');
    expect(displayValue('\u001b[31mred')).toBe('"\\u001b[31mred"');
    expect(displayValue('x'.repeat(100)).length).toBe(40);
    expect(displayValue('')).toBe('""');
  });
});

describe('audit: hostile servers', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('cuts off an endless response at the size cap and stops reading it', async () => {
    let written = 0;
    let closed = false;
    const chunk = Buffer.alloc(1024 * 1024, 'a_total 1\n');
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = (): void => {
        while (!closed && res.write(chunk)) written += chunk.length;
        if (!closed) res.once('drain', pump);
      };
      res.on('close', () => (closed = true));
      pump();
    });
    const heap = process.memoryUsage().rss;
    await expect(fetchExposition(`${url}/metrics`, 30_000, 8 * 1024 * 1024)).rejects.toThrow('the response is larger than the 8388608 bytes allowed; stopped reading');
    await waitFor(() => closed || undefined, 5_000, 'the server to see the connection closed');
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - heap).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses a declared size over the cap before reading (CLI default cap)', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) });
      res.flushHeaders();
      setTimeout(() => res.destroy(), 200);
    });
    const result = await cli(['audit', `${url}/metrics`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the response is ${MAX_RESPONSE_BYTES + 1} bytes, more than the ${MAX_RESPONSE_BYTES} allowed`);
  });

  it('follows redirects within the origin only', async () => {
    let otherHits = 0;
    const other = await serve((_req, res) => {
      otherHits++;
      res.end('stolen_total 1\n');
    });
    const url = await serve((req, res) => {
      if (req.url === '/metrics') res.writeHead(302, { location: '/real' }).end();
      else if (req.url === '/real') res.end('# TYPE real_total counter\nreal_total{a="b"} 1\n');
      else if (req.url === '/away') res.writeHead(307, { location: `${other}/metrics` }).end();
      else if (req.url === '/loop') res.writeHead(301, { location: '/loop' }).end();
      else res.writeHead(404).end();
    });
    const ok = await cli(['audit', `${url}/metrics`, '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as AuditReport).families.map((f) => f.name)).toEqual(['real_total']);
    const away = await cli(['audit', `${url}/away`]);
    expect(away.code).toBe(1);
    expect(away.stderr).toContain(`HTTP 307: refused a redirect to another origin (${other})`);
    expect(otherHits).toBe(0);
    const loop = await cli(['audit', `${url}/loop`]);
    expect(loop.stderr).toContain('more than 5 redirects');
  });

  it('prints no raw control character, C1 escape or bidi override, in the table or in JSON', async () => {
    const url = await serve((_req, res) => {
      res.end(['# TYPE evil_total counter', 'evil_total{v="\u001b]0;pwned\u0007x"} 1', 'evil_total{v="\u009b31mcsi"} 1', 'evil_total{v="abc\u202edcba"} 1', 'evil_total{v="ok"} 1', ''].join('\n'));
    });
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
    for (const argv of [['audit', `${url}/metrics`], ['audit', `${url}/metrics`, '--json']]) {
      const result = await cli(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('evil_total');
      expect(raw.test(result.stdout), argv.join(' ')).toBe(false);
    }
    const json = await cli(['audit', `${url}/metrics`, '--json']);
    const values = (JSON.parse(json.stdout) as AuditReport).families[0]!.labels[0]!.top.map((t) => t.value).sort();
    expect(values).toEqual(['abc\u202edcba', 'ok', '\u001b]0;pwned\u0007x', '\u009b31mcsi'].sort()); // the data, intact once parsed
    expect(printable('a\u001bb\u009bc\u2028d')).toBe('a\\u001bb\\u009bc\\u2028d');
  });
});
