/**
 * The kit beside the OpenTelemetry Node SDK, in real child processes with the
 * real packages (@opentelemetry/sdk-node, auto-instrumentations-node,
 * instrumentation-http): both preload orders under `--require` and
 * `--import`, NodeSDK started in app code after or before the kit, and
 * NodeSDK built from the kit (bring your own SDK). Each case drives 22
 * requests and scrapes the kit's endpoint (and NodeSDK's own Prometheus
 * exporter where it has one): exact HTTP counts, one source, kit totals equal
 * to the recordings, and no workspace value outside the allowlist anywhere.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseExposition, sumSamples, type Family } from '../../src/exposition/parse';
import { freePort, httpText, spawnTracked, waitFor } from '../helpers/processes';
import { markedJson, type Workload } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');
const AUTO = '@opentelemetry/auto-instrumentations-node/register';
const KIT = 'otel-workspace-metrics/register';
const ALLOWLIST = ['ws-0001', 'ws-0002'];
const REQUESTS = 22;
const HTTP_COUNT = 'http_server_request_duration_seconds_count';
const FOREIGN = /registered before otel-workspace-metrics/;

interface CaseOptions {
  /** Node flags before the app, e.g. ['--require', KIT, '--require', AUTO]. */
  flags: string[];
  /** FIXTURE_SDK of test/fixtures/coexist-app.cjs. */
  sdk?: 'none' | 'sdk-after-kit' | 'sdk-before-kit' | 'byo';
  env?: Record<string, string>;
  /** Request paths (default /items/<n>). */
  path?: (n: number) => string;
  /** Scrape NodeSDK's own Prometheus exporter (on its own port) too. */
  sdkPrometheus?: boolean;
  /** The kit and NodeSDK both on OTEL_EXPORTER_PROMETHEUS_PORT (no METRICS_PORT). */
  samePort?: boolean;
  /** Default coexist-app.cjs. */
  fixture?: 'coexist-app.cjs' | 'coexist-app.mjs';
}

interface CaseResult {
  kit: Map<string, Family>;
  sdk: Map<string, Family> | undefined;
  workload: Workload;
  stderr: string;
}

async function runCase(options: CaseOptions): Promise<CaseResult> {
  const kitPort = await freePort();
  // NodeSDK's exporter always gets a port of its own (never the shared default 9464) unless both share one.
  const sdkPort = options.samePort ? kitPort : await freePort();
  const child = spawnTracked(process.execPath, [...options.flags, join(ROOT, 'test', 'fixtures', options.fixture ?? 'coexist-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      METRICS_PORT: options.samePort ? '' : String(kitPort),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
      OTEL_SERVICE_NAME: 'coexist-test',
      // NodeSDK: metrics only, no cloud resource detectors (they probe the network).
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'env',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(sdkPort),
      FIXTURE_SDK: options.sdk ?? 'none',
      ...options.env,
    },
  });
  try {
    const ready = await waitFor(() => markedJson<{ port: number; workload: Workload }>(child, 'READY'), 30_000, 'the app to listen');
    for (let n = 0; n < REQUESTS; n++) await httpText(`http://127.0.0.1:${ready.port}${(options.path ?? ((i) => `/items/${i}`))(n)}`);
    // instrumentation-http records on the response's close; give it a moment before scraping.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const kit = parseExposition(await waitFor(() => httpText(`http://127.0.0.1:${kitPort}/metrics`), 10_000, "the kit's endpoint"));
    const sdk = !options.sdkPrometheus ? undefined : parseExposition(await waitFor(() => httpText(`http://127.0.0.1:${sdkPort}/metrics`), 10_000, "NodeSDK's exporter"));
    return { kit, sdk, workload: ready.workload, stderr: child.stderr() };
  } finally {
    await child.stop();
  }
}

/** Every label value of every sample, for the "no raw id anywhere" checks. */
function labelValues(families: Map<string, Family>, key?: string): string[] {
  const values: string[] = [];
  for (const family of families.values()) {
    for (const sample of family.samples) {
      for (const [name, value] of Object.entries(sample.labels)) if (key === undefined || name === key) values.push(value);
    }
  }
  return values;
}

/** The kit's own metrics: exact totals, workspace values only from the allowlist or __other__. */
function expectKitMetrics(families: Map<string, Family>, workload: Workload): void {
  expect(sumSamples(families, 'action_executions_total')).toBe(workload.actions);
  expect(sumSamples(families, 'action_executions_by_workspace_total')).toBe(workload.actions);
  expect(sumSamples(families, 'queue_jobs_by_workspace_total')).toBe(workload.queueJobs);
  for (const id of ALLOWLIST) {
    expect(sumSamples(families, 'action_executions_by_workspace_total', (l) => l.workspace_id === id), id).toBe(workload.actionsByWorkspace[id]);
  }
  expectNoRawIds(families);
}

function expectNoRawIds(families: Map<string, Family>): void {
  expect(new Set(labelValues(families, 'workspace_id'))).toEqual(new Set(labelValues(families, 'workspace_id').length ? [...ALLOWLIST, '__other__'] : []));
  // The workload's raw ids (`ws-0042`, `  WS-0043 `) never appear in any label.
  for (const value of labelValues(families)) expect(value).not.toMatch(/ws-0(?!00[12]$)\d{3}|WS-\d/);
}

function httpCount(families: Map<string, Family> | undefined, scope?: string): number {
  if (families === undefined) return 0;
  const inScope = (l: Record<string, string>) => scope === undefined || l.otel_scope_name === scope;
  // NodeSDK's own exporter names the family without the unit suffix.
  return sumSamples(families, HTTP_COUNT, inScope) + sumSamples(families, 'http_server_request_duration_count', inScope);
}

describe.each([
  ['--require', 'coexist-app.cjs'],
  ['--import', 'coexist-app.cjs'],
  ['--import', 'coexist-app.mjs'],
] as const)('preloads via %s, app %s', (loader, fixture) => {
  it('kit first, auto-instrumentations second: one provider, the kit governs everything, each request counted once', async () => {
    const result = await runCase({ flags: [loader, KIT, loader, AUTO], sdkPrometheus: true, fixture });
    expect(result.stderr).not.toMatch(/error:/);
    // Where the instrumentations' metrics went, said once.
    expect(result.stderr.match(/info: OpenTelemetry instrumentations record through the kit's MeterProvider/g)).toHaveLength(1);
    expectKitMetrics(result.kit, result.workload);
    // Every request exactly once, on the kit's endpoint, from instrumentation-http or (ESM-only patching) the kit's recorder.
    expect(httpCount(result.kit)).toBe(REQUESTS);
    const scopes = new Set(result.kit.get('http_server_request_duration_seconds')!.samples.map((s) => s.labels.otel_scope_name));
    expect(scopes.size).toBe(1);
    // The kit's views apply to it: declared keys only (no url_scheme, network_protocol_version).
    for (const sample of result.kit.get('http_server_request_duration_seconds')!.samples) {
      const keys = Object.keys(sample.labels).filter((k) => !k.startsWith('otel_scope') && k !== 'le');
      expect(keys).toEqual(expect.arrayContaining(['http_request_method', 'http_response_status_code']));
      for (const key of keys) expect(['http_request_method', 'http_response_status_code', 'http_route']).toContain(key);
    }
    // The instrumentations' metrics are on the kit's endpoint.
    expect([...result.kit.keys()].some((name) => name.startsWith('nodejs_eventloop_'))).toBe(true);
    // NodeSDK's own reader got nothing to export: no raw ids there either.
    expect(httpCount(result.sdk)).toBe(0);
    expect(labelValues(result.sdk!, 'workspace_id')).toEqual([]);
  });

  it('auto-instrumentations first, kit second: one error line naming the fix, policy kept, each request counted once', async () => {
    const result = await runCase({ flags: [loader, AUTO, loader, KIT], sdkPrometheus: true, fixture });
    const errors = result.stderr.split('\n').filter((line) => line.includes('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(FOREIGN);
    expect(errors[0]).toContain('NODE_OPTIONS="--require otel-workspace-metrics/register --require @opentelemetry/auto-instrumentations-node/register"');
    expectKitMetrics(result.kit, result.workload);
    // instrumentation-http (on NodeSDK's provider) is the one source; the kit's recorder stood down.
    expect(httpCount(result.kit) + httpCount(result.sdk)).toBe(REQUESTS);
    expect([httpCount(result.kit), httpCount(result.sdk)]).toContain(0);
    // The kit never recorded into NodeSDK's provider: no workspace label, raw or not, there.
    expect(labelValues(result.sdk!, 'workspace_id')).toEqual([]);
    expect(sumSamples(result.sdk!, 'action_executions_total')).toBe(0);
  });
});

describe('NodeSDK in application code', () => {
  it('started after the kit preload: its instrumentations record through the kit', async () => {
    const result = await runCase({ flags: ['--require', KIT], sdk: 'sdk-after-kit', sdkPrometheus: true });
    expect(result.stderr).not.toMatch(/error:/);
    expectKitMetrics(result.kit, result.workload);
    expect(httpCount(result.kit, '@opentelemetry/instrumentation-http')).toBe(REQUESTS);
    expect(httpCount(result.kit)).toBe(REQUESTS);
    expect(httpCount(result.sdk)).toBe(0);
    expect(labelValues(result.sdk!, 'workspace_id')).toEqual([]);
  });

  it('started before the kit: one error line, the kit keeps its policy on its own readers', async () => {
    const result = await runCase({ flags: [], sdk: 'sdk-before-kit', sdkPrometheus: true });
    const errors = result.stderr.split('\n').filter((line) => line.includes('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(FOREIGN);
    expectKitMetrics(result.kit, result.workload);
    // instrumentation-http serves NodeSDK's provider; the kit does not count the requests a second time.
    expect(httpCount(result.kit)).toBe(0);
    expect(httpCount(result.sdk, '@opentelemetry/instrumentation-http')).toBe(REQUESTS);
    // The kit never recorded into NodeSDK's provider.
    expect(labelValues(result.sdk!, 'workspace_id')).toEqual([]);
    expect(sumSamples(result.sdk!, 'action_executions_total')).toBe(0);
  });

  it('built from createWorkspaceMetrics() (bring your own SDK): the kit governs everything on its readers', async () => {
    const result = await runCase({ flags: [], sdk: 'byo' });
    expect(result.stderr).not.toMatch(/error:/);
    expectKitMetrics(result.kit, result.workload);
    expect(httpCount(result.kit, '@opentelemetry/instrumentation-http')).toBe(REQUESTS);
    expect(httpCount(result.kit)).toBe(REQUESTS);
    // Fast-path data and self-metrics reach the app-built provider's readers.
    expect(result.kit.get('otel_workspace_metrics_allowlist_size')).toBeDefined();
  });
});

describe('HTTP server metrics, one source', () => {
  it('without instrumentation-http the kit records each request once', async () => {
    const result = await runCase({ flags: ['--require', KIT] });
    expect(httpCount(result.kit, 'otel-workspace-metrics')).toBe(REQUESTS);
    expect(httpCount(result.kit)).toBe(REQUESTS);
  });

  it("applies the route policy to instrumentation-http's http.route: a path-shaped value with an id never becomes a label", async () => {
    const result = await runCase({
      flags: ['--require', KIT, '--require', AUTO],
      env: { FIXTURE_RAW_ROUTE: '1' },
      path: (n) => (n % 2 ? `/u/jane.doe+${n}@example.com/profile` : `/t/acme%20corp/${n}`),
    });
    expect(httpCount(result.kit)).toBe(REQUESTS);
    for (const value of labelValues(result.kit)) expect(value).not.toMatch(/jane|acme|example\.com/);
  });

  it('OTEL_METRICS_EXPORTER=prometheus for both on one port: the kit serves every metric there', async () => {
    const result = await runCase({ flags: ['--require', KIT, '--require', AUTO], samePort: true });
    expect(result.stderr).not.toMatch(/error:/);
    expectKitMetrics(result.kit, result.workload);
    expect(httpCount(result.kit, '@opentelemetry/instrumentation-http')).toBe(REQUESTS);
    expect([...result.kit.keys()].some((name) => name.startsWith('nodejs_eventloop_'))).toBe(true);
  });
});
