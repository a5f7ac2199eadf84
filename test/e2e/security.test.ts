/**
 * Security (issue 7), with the real collector, Prometheus and services under
 * the preload:
 *
 * - OTLP over TLS with a bearer token (otel-collector/config.tls.yaml +
 *   config.auth.yaml), CA and server certificate generated here with openssl
 *   (SAN IP:127.0.0.1, DNS:localhost). Services configure only the standard
 *   OTel variables (OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_EXPORTER_OTLP_HEADERS):
 *   with the CA and the token, http/protobuf and gRPC deliver exact totals;
 *   with a wrong or missing token, without the CA, or in plain text, nothing
 *   arrives, the app keeps recording, warns once (rate-limited), and neither
 *   the token nor anything else secret shows up in any output.
 * - Bind addresses: the embedded endpoint listens on 127.0.0.1 unless told
 *   otherwise (and is unreachable through this machine's other interfaces);
 *   every collector listener defaults to 127.0.0.1 (config text and the
 *   resolved config from `print-config` with no OTELCOL_* variables set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from '../helpers/pki';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../src/config/env';
import { createEmbeddedEndpoint } from '../../src/sdk/embedded-endpoint';
import { collectorBinary } from '../helpers/binaries';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { startTenantService, type Service } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');
const CONFIG_DIR = join(ROOT, 'otel-collector');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ALLOWLIST = ['ws-0001', 'ws-0002', 'ws-0003'];

// ---- certificates ------------------------------------------------------------

// ---- failing clients: a steady recorder that reports what it did ----------------

interface Final {
  recorded: number;
  thrown: number;
}

interface FailingClient {
  name: string;
  protocol: 'http/protobuf' | 'grpc';
  env: Record<string, string>;
  /** What its one export warning must say. */
  warning: RegExp;
  app?: Tracked;
  startedAt?: number;
  final?: Final;
}

function startSteady(name: string, env: Record<string, string>): Tracked {
  return spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'steady-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      OTEL_SERVICE_NAME: name,
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
      FIXTURE_RATE: '200',
      ...env,
    },
  });
}

async function finish(app: Tracked): Promise<Final> {
  process.kill(app.pid, 'SIGUSR2');
  return waitFor(
    () => {
      const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
      return line ? (JSON.parse(line.slice(6)) as Final) : undefined;
    },
    10_000,
    'the final counts',
  );
}

const exportWarnings = (output: string) => output.split('\n').filter((line) => /export (failed|threw)/.test(line));

/** The header value as OTEL_EXPORTER_OTLP_HEADERS carries it: the value is URL-decoded by the exporters, so encode it. */
const authHeader = (token: string) => `Authorization=${encodeURIComponent(`Bearer ${token}`)}`;

// ---- OTLP over TLS + bearer token ------------------------------------------------

describe('OTLP receivers with TLS and a bearer token (config.tls.yaml + config.auth.yaml)', () => {
  // base64 on purpose: '+', '/' and '=' must survive both the collector's env expansion and the header encoding
  const token = randomBytes(30).toString('base64');
  const wrongToken = randomBytes(30).toString('base64');
  let pki: Pki;
  let collector: RunningCollector;
  let prometheus: RunningPrometheus;
  let goodHttp: Service;
  let goodGrpc: Service;
  let failing: FailingClient[];

  beforeAll(async () => {
    pki = makePki();
    collector = await startCollector({
      allowlist: ALLOWLIST,
      configs: ['config.yaml', 'config.tls.yaml', 'config.auth.yaml'],
      env: { OTELCOL_BEARER_TOKEN: token, OTELCOL_TLS_CERT_FILE: pki.cert, OTELCOL_TLS_KEY_FILE: pki.key },
    });
    prometheus = await startPrometheus({ targets: [collector.prometheusTarget] });
    const https = { http: `https://127.0.0.1:${collector.ports.http}`, grpc: `https://localhost:${collector.ports.grpc}` };
    const trusted = { OTEL_EXPORTER_OTLP_CERTIFICATE: pki.ca };
    failing = [
      { name: 'sec-wrong-token-http', protocol: 'http/protobuf', env: { ...trusted, OTEL_EXPORTER_OTLP_HEADERS: authHeader(wrongToken) }, warning: /export failed \[reason=refused\] \(Unauthorized\)/ },
      { name: 'sec-wrong-token-grpc', protocol: 'grpc', env: { ...trusted, OTEL_EXPORTER_OTLP_HEADERS: authHeader(wrongToken) }, warning: /export failed \[reason=refused\] \(16 UNAUTHENTICATED/ },
      { name: 'sec-no-token-http', protocol: 'http/protobuf', env: { ...trusted }, warning: /export failed \[reason=refused\] \(Unauthorized\)/ },
      { name: 'sec-no-ca-http', protocol: 'http/protobuf', env: { OTEL_EXPORTER_OTLP_HEADERS: authHeader(token) }, warning: /export failed \[reason=network\] \(unable to verify the first certificate/ },
      { name: 'sec-no-ca-grpc', protocol: 'grpc', env: { OTEL_EXPORTER_OTLP_HEADERS: authHeader(token) }, warning: /export failed \[reason=network\] \(14 UNAVAILABLE.*unable to verify the first certificate/ },
      { name: 'sec-plaintext-http', protocol: 'http/protobuf', env: { ...trusted, OTEL_EXPORTER_OTLP_HEADERS: authHeader(token), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.ports.http}` }, warning: /export failed \[reason=(refused|network)\] \((Bad Request|read ECONNRESET|socket hang up)\)/ },
    ];
    for (const client of failing) {
      client.app = startSteady(client.name, {
        OTEL_EXPORTER_OTLP_PROTOCOL: client.protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: client.protocol === 'grpc' ? https.grpc : https.http,
        ...client.env,
      });
      client.startedAt = Date.now();
    }
    const service = (name: string, protocol: string, endpoint: string) =>
      startTenantService({
        OTEL_SERVICE_NAME: name,
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: authHeader(token),
        ...trusted,
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
        FIXTURE_WORKSPACES: '300',
      });
    [goodHttp, goodGrpc] = await Promise.all([service('sec-good-http', 'http/protobuf', https.http), service('sec-good-grpc', 'grpc', https.grpc)]);
    await waitFor(
      async () =>
        (await prometheus.scalar('sum(action_executions_total{job="sec-good-http"})')) === goodHttp.workload.actions &&
        (await prometheus.scalar('sum(action_executions_total{job="sec-good-grpc"})')) === goodGrpc.workload.actions,
      60_000,
      'both trusted services to arrive in Prometheus',
    );
    // Every failing client has tried to export for at least 4 s (8 intervals) by now.
    const youngest = Math.max(...failing.map((c) => c.startedAt!));
    await sleep(Math.max(0, youngest + 4_000 - Date.now()));
    for (const client of failing) {
      expect(client.app!.child.exitCode, `${client.name} is still running`).toBeNull();
      client.final = await finish(client.app!);
    }
  });

  afterAll(async () => {
    await Promise.all([goodHttp?.process.stop(), goodGrpc?.process.stop(), ...(failing ?? []).map((c) => c.app?.stop())]);
    await prometheus?.stop();
    await collector?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it.each([
    ['http/protobuf over https://127.0.0.1', 'sec-good-http'],
    ['grpc over https://localhost', 'sec-good-grpc'],
  ])('%s with the CA and the token: exact totals in Prometheus', async (_label, job) => {
    const service = job === 'sec-good-http' ? goodHttp : goodGrpc;
    const w = service.workload;
    const sel = `{job="${job}"}`;
    expect(await prometheus.scalar(`sum(action_executions_total${sel})`)).toBe(w.actions);
    expect(await prometheus.scalar(`sum(action_executions_by_workspace_total${sel})`)).toBe(w.actions);
    expect(await prometheus.scalar(`sum(action_duration_by_workspace_seconds_count${sel})`)).toBe(w.actions);
    expect(await prometheus.scalar(`sum(queue_jobs_total${sel})`)).toBe(w.queueJobs);
    expect(await prometheus.scalar(`sum(queue_job_duration_by_workspace_seconds_count${sel})`)).toBe(w.queueJobs);
    for (const id of ALLOWLIST) expect(await prometheus.scalar(`sum(action_executions_by_workspace_total{job="${job}",workspace_id="${id}"})`), id).toBe(w.actionsByWorkspace[id]);
    const values = (await prometheus.query(`count by (workspace_id) (action_executions_by_workspace_total${sel})`)).map((s) => s.metric.workspace_id);
    for (const value of values) expect([...ALLOWLIST, '__other__']).toContain(value);
    expect(exportWarnings(service.process.stderr())).toEqual([]);
  });

  it.each([
    ['sec-wrong-token-http', 'a wrong token over http/protobuf'],
    ['sec-wrong-token-grpc', 'a wrong token over grpc'],
    ['sec-no-token-http', 'no token over http/protobuf'],
    ['sec-no-ca-http', 'no CA (certificate not trusted) over http/protobuf'],
    ['sec-no-ca-grpc', 'no CA (certificate not trusted) over grpc'],
    ['sec-plaintext-http', 'plain http:// to the TLS receiver'],
  ])('%s (%s): rejected, no data; the app keeps recording and warns once', async (name) => {
    const client = failing.find((c) => c.name === name)!;
    const final = client.final!;
    const warnings = exportWarnings(client.app!.stderr());
    const ranMs = Date.now() - client.startedAt!;
    console.log(`${name}: recorded=${final.recorded} thrown=${final.thrown} exportWarnings=${warnings.length} (${ranMs} ms) first: ${warnings[0] ?? '-'}`);
    // nothing from this client anywhere: not in Prometheus, not on the collector's exporter
    expect(await prometheus.scalar(`count({job="${name}"})`)).toBe(0);
    expect(await httpText(`http://${collector.prometheusTarget}/metrics`)).not.toContain(`job="${name}"`);
    // the app kept recording and never saw an exception
    expect(final.thrown).toBe(0);
    expect(final.recorded).toBeGreaterThan(100);
    // one warning for ~8+ failed exports (rate-limited per minute), naming the cause
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(1 + Math.floor(ranMs / 60_000));
    expect(warnings[0]).toMatch(client.warning);
  });

  it('never prints a token: not in any app output, not in the collector log', () => {
    const outputs: [string, string][] = [
      ['sec-good-http', goodHttp.process.output()],
      ['sec-good-grpc', goodGrpc.process.output()],
      ...failing.map((c): [string, string] => [c.name, c.app!.output()]),
      ['collector', collector.logs()],
    ];
    for (const secret of [token, wrongToken]) {
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
        for (const [who, text] of outputs) expect(text.includes(form), `${who} printed a token`).toBe(false);
      }
    }
  });

  it('the collector logged the TLS handshake failures of the OTLP/HTTP client without the CA and of the plain-text client', () => {
    const handshakes = collector.logs().split('\n').filter((l) => l.includes('TLS handshake error'));
    console.log(`collector: ${handshakes.length} TLS handshake error lines`);
    expect(handshakes.some((l) => /: EOF\b/.test(l))).toBe(true);
    expect(handshakes.some((l) => /client sent an HTTP request to an HTTPS server/.test(l))).toBe(true);
  });
});

// ---- collector configs: defaults, overlays, redaction ------------------------------

function printConfig(configs: string[], env: Record<string, string> = {}) {
  const args = ['print-config', '--format', 'json', ...configs.flatMap((c) => ['--config', join(CONFIG_DIR, c)])];
  // Nothing but PATH and HOME: no OTELCOL_* variable, so every ${env:…:-default} takes its default.
  const r = spawnSync(collectorBinary(), args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 });
  return { ...r, json: r.status === 0 ? (JSON.parse(r.stdout) as Record<string, any>) : undefined };
}

/** Every `endpoint`/`host` value in a resolved config, with its path. */
function listenAddresses(config: unknown, path = ''): [string, string][] {
  if (typeof config !== 'object' || config === null) return [];
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(config)) {
    const at = path ? `${path}.${key}` : key;
    if ((key === 'endpoint' || key === 'host') && typeof value === 'string') out.push([at, value]);
    else out.push(...listenAddresses(value, at));
  }
  return out;
}

describe('collector listen addresses and the security overlays', () => {
  const overlayEnv = { OTELCOL_BEARER_TOKEN: 'tok-' + randomBytes(12).toString('hex'), OTELCOL_TLS_CERT_FILE: '/nonexistent/server.crt', OTELCOL_TLS_KEY_FILE: '/nonexistent/server.key' };

  it('config.yaml defaults every listener to 127.0.0.1 (the text)', () => {
    const text = readFileSync(join(CONFIG_DIR, 'config.yaml'), 'utf8');
    const defaults = [...text.matchAll(/\$\{env:(OTELCOL_[A-Z_]+(?:ENDPOINT|HOST)):-([^}]*)\}/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(defaults)).toEqual({
      OTELCOL_OTLP_GRPC_ENDPOINT: '127.0.0.1:4317',
      OTELCOL_OTLP_HTTP_ENDPOINT: '127.0.0.1:4318',
      OTELCOL_PROMETHEUS_ENDPOINT: '127.0.0.1:8889',
      OTELCOL_HEALTH_ENDPOINT: '127.0.0.1:13133',
      OTELCOL_TELEMETRY_HOST: '127.0.0.1',
    });
  });

  it.each([
    ['config.yaml', ['config.yaml'], {}],
    ['config.yaml + tls + auth overlays', ['config.yaml', 'config.tls.yaml', 'config.auth.yaml'], overlayEnv],
  ] as const)('print-config (%s, no OTELCOL_* endpoint variables) resolves every listener to 127.0.0.1', (_label, configs, env) => {
    const r = printConfig([...configs], env);
    expect(r.status, r.stderr).toBe(0);
    const c = r.json!;
    expect(c.receivers.otlp.protocols.grpc.endpoint).toBe('127.0.0.1:4317');
    expect(c.receivers.otlp.protocols.http.endpoint).toBe('127.0.0.1:4318');
    expect(c.exporters.prometheus.endpoint).toBe('127.0.0.1:8889');
    expect(c.extensions.health_check.endpoint).toBe('127.0.0.1:13133');
    expect(c.service.telemetry.metrics.readers[0].pull.exporter.prometheus.host).toBe('127.0.0.1');
    const addresses = listenAddresses(c);
    expect(addresses.length).toBeGreaterThanOrEqual(5);
    for (const [at, value] of addresses) expect(value, at).toMatch(/^127\.0\.0\.1(:\d+)?$/);
  });

  it('print-config redacts the bearer token; the overlays put auth and TLS on both OTLP receivers', () => {
    const redacted = printConfig(['config.yaml', 'config.tls.yaml', 'config.auth.yaml'], overlayEnv);
    expect(redacted.status, redacted.stderr).toBe(0);
    expect(redacted.stdout).not.toContain(overlayEnv.OTELCOL_BEARER_TOKEN);
    const c = redacted.json!;
    expect(c.extensions['bearertokenauth/otlp'].token).toBe('[REDACTED]');
    expect(c.service.extensions).toEqual(['health_check', 'bearertokenauth/otlp']);
    for (const protocol of ['grpc', 'http']) {
      expect(c.receivers.otlp.protocols[protocol].auth.authenticator, protocol).toBe('bearertokenauth/otlp');
      expect(c.receivers.otlp.protocols[protocol].tls, protocol).toMatchObject({ cert_file: overlayEnv.OTELCOL_TLS_CERT_FILE, key_file: overlayEnv.OTELCOL_TLS_KEY_FILE, min_version: '1.2' });
    }
  });

  it('refuses to start half-configured: the auth overlay without a token, the TLS overlay without a certificate', () => {
    const validate = (configs: string[], env: Record<string, string>) =>
      spawnSync(collectorBinary(), ['validate', ...configs.flatMap((c) => ['--config', join(CONFIG_DIR, c)])], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    const noToken = validate(['config.yaml', 'config.auth.yaml'], {});
    expect(noToken.status).not.toBe(0);
    expect(noToken.stderr).toMatch(/no bearer token provided/);
    const emptyToken = validate(['config.yaml', 'config.auth.yaml'], { OTELCOL_BEARER_TOKEN: '' });
    expect(emptyToken.status).not.toBe(0);
    const noCert = validate(['config.yaml', 'config.tls.yaml'], {});
    expect(noCert.status).not.toBe(0);
    expect(noCert.stderr).toMatch(/TLS configuration must include both certificate and key/);
    expect(validate(['config.yaml', 'config.auth.yaml'], { OTELCOL_BEARER_TOKEN: 'x' }).status).toBe(0);
  });
});

// ---- bind addresses, live ----------------------------------------------------------

/** LISTEN sockets on `port` in this network namespace, from /proc/net/tcp{,6}: '127.0.0.1', '0.0.0.0', '::', '::1', or hex. */
/** Listening addresses on `port`, in this process's network namespace or in that of process `pid`. */
function listeners(port: number, pid?: number): string[] {
  const out: string[] = [];
  const net = pid === undefined ? '/proc/net' : `/proc/${pid}/net`;
  for (const [file, v6] of [[`${net}/tcp`, false], [`${net}/tcp6`, true]] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue; // 0A = LISTEN
      const [hexAddr, hexPort] = fields[1]!.split(':');
      if (parseInt(hexPort!, 16) !== port) continue;
      if (!v6) {
        out.push([...Buffer.from(hexAddr!, 'hex')].reverse().join('.'));
      } else {
        // four 32-bit words, each little-endian
        const bytes = Buffer.concat([0, 1, 2, 3].map((i) => Buffer.from(hexAddr!.slice(i * 8, i * 8 + 8), 'hex').reverse()));
        const hex = bytes.toString('hex');
        out.push(hex === '0'.repeat(32) ? '::' : hex === '0'.repeat(31) + '1' ? '::1' : hex.startsWith('00000000000000000000ffff') ? `::ffff:${[...bytes.subarray(12)].join('.')}` : hex);
      }
    }
  }
  return out.sort();
}

/** This machine's non-loopback IPv4 addresses (may be none, e.g. in a sandbox without a network). */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

function tryConnect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function startPreloaded(env: Record<string, string>): Promise<Tracked> {
  const app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'tenant-app.cjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, FIXTURE_WORKSPACES: '5', ...env },
  });
  await waitFor(() => app.output().includes('WORKLOAD ') || undefined, 20_000, 'the app');
  return app;
}

describe('bind addresses, live', () => {
  it('the embedded endpoint binds 127.0.0.1 by default (in process, and in a preloaded child per /proc/net/tcp)', async () => {
    const port = await freePort();
    const { config } = readConfig({ METRICS_PORT: String(port) });
    expect(config.prometheus.host).toBe('127.0.0.1');
    const endpoint = createEmbeddedEndpoint(config);
    try {
      expect(await endpoint.listening).toBe(port);
      expect(endpoint.listener.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4', port });
    } finally {
      endpoint.close();
    }

    const childPort = await freePort();
    const app = await startPreloaded({ METRICS_PORT: String(childPort) });
    try {
      await waitFor(() => httpText(`http://127.0.0.1:${childPort}/metrics`), 10_000, 'the embedded endpoint');
      expect(listeners(childPort)).toEqual(['127.0.0.1']);
    } finally {
      await app.stop();
    }
  });

  it('the embedded endpoint is unreachable through a non-loopback interface unless METRICS_HOST=0.0.0.0', async () => {
    const addresses = externalAddresses();
    console.log(`non-loopback IPv4 addresses: ${addresses.join(', ') || 'none (only the bound-address check applies)'}`);
    const [port, openPort] = await Promise.all([freePort(), freePort()]);
    const app = await startPreloaded({ METRICS_PORT: String(port) });
    const open = await startPreloaded({ METRICS_PORT: String(openPort), METRICS_HOST: '0.0.0.0' });
    try {
      await waitFor(() => httpText(`http://127.0.0.1:${port}/metrics`), 10_000, 'the default endpoint');
      await waitFor(() => httpText(`http://127.0.0.1:${openPort}/metrics`), 10_000, 'the exposed endpoint');
      expect(listeners(port)).toEqual(['127.0.0.1']);
      expect(listeners(openPort)).toEqual(['0.0.0.0']);
      for (const address of addresses) {
        expect(await tryConnect(address, port), `${address}:${port}`).toBe('ECONNREFUSED');
        // the control: the same address reaches an endpoint that was exposed on purpose
        expect(await tryConnect(address, openPort), `${address}:${openPort}`).toBe('connected');
        expect(await httpText(`http://${address}:${openPort}/metrics`)).toMatch(/action_executions_total/);
      }
    } finally {
      await Promise.all([app.stop(), open.stop()]);
    }
  });

  it('a collector started with no OTELCOL_* variables listens on 127.0.0.1 only, on its default ports (in a network namespace of its own, where they are free)', async () => {
    const ports = [4317, 4318, 8889, 13133, 8888];
    // A fresh network namespace has its own loopback and no listener: the default ports are free there
    // whatever else runs on this machine. `unshare` execs sh, which execs the collector: one pid throughout.
    const collector = spawnTracked(
      'unshare',
      ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" --config "$1"', collectorBinary(), join(CONFIG_DIR, 'config.yaml')],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    try {
      const pid = collector.child.pid!;
      const seen = await waitFor(
        () => {
          const now = Object.fromEntries(ports.map((port) => [port, listeners(port, pid)]));
          return ports.every((port) => now[port]!.length > 0) ? now : undefined;
        },
        30_000,
        'the collector listening on its default ports',
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${collector.output().slice(-3000)}`);
      });
      console.log(`collector default listeners: ${JSON.stringify(seen)}`);
      for (const port of ports) expect(seen[port], String(port)).toEqual(['127.0.0.1']);
    } finally {
      await collector.stop();
    }
  });
});
