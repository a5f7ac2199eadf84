/**
 * Remote scrape, collector side: the Prometheus exporter's /metrics served
 * over TLS (config.scrape-tls.yaml, certificate re-read while running) and
 * behind a bearer token read from a watched file (config.scrape-auth.yaml),
 * scraped by the real Prometheus with `scheme: https`, `tls_config` and
 * `authorization`; the same Prometheus is refused without the token, with a
 * wrong one, without trusting the CA, and over plain HTTP. Mutual TLS
 * (OTELCOL_SCRAPE_TLS_CLIENT_CA_FILE) likewise with and without a client
 * certificate. Certificates come from a throwaway CA made with openssl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renameSync, rmSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { collectorBinary } from '../helpers/binaries';
import { startCollector, type RunningCollector } from '../helpers/collector';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { TestPki, type Issued } from '../helpers/pki-collector';

const ROOT = join(__dirname, '..', '..');
const CONFIG_DIR = join(ROOT, 'otel-collector');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET https://target/metrics with the test CA (and optionally a token / client certificate): the status code, or the error text. */
function scrape(target: string, ca: string, options: { token?: string; client?: Issued } = {}): Promise<number | string> {
  const [host, port] = target.split(':');
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port: Number(port),
        path: '/metrics',
        ca: readFileSync(ca),
        headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
        ...(options.client ? { cert: readFileSync(options.client.cert), key: readFileSync(options.client.key) } : {}),
        timeout: 5_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error) => resolve(error.message));
    req.end();
  });
}

/** The serial number of the certificate the endpoint presents now. */
function servedSerial(target: string, ca: string): Promise<string> {
  const [host, port] = target.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ca: readFileSync(ca), servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial.toUpperCase());
    });
    socket.on('error', reject);
  });
}

/** Replaces a certificate and its key in place, each by an atomic rename. */
function rotate(into: Issued, from: Issued): void {
  copyFileSync(from.key, `${into.key}.new`);
  copyFileSync(from.cert, `${into.cert}.new`);
  renameSync(`${into.key}.new`, into.key);
  renameSync(`${into.cert}.new`, into.cert);
}

function job(name: string, target: string, lines: string[]): string[] {
  return [`  - job_name: ${name}`, '    honor_labels: true', '    scrape_interval: 1s', '    scrape_timeout: 900ms', ...lines.map((l) => `    ${l}`), '    static_configs:', `      - targets: ["${target}"]`];
}

async function upByJob(prometheus: RunningPrometheus): Promise<Record<string, number>> {
  return Object.fromEntries((await prometheus.query('up')).map((s) => [s.metric.job!, s.value]));
}

async function lastErrors(prometheus: RunningPrometheus): Promise<Record<string, string>> {
  const response = await fetch(`${prometheus.url}/api/v1/targets`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { data: { activeTargets: { scrapePool: string; lastError: string }[] } };
  return Object.fromEntries(body.data.activeTargets.map((t) => [t.scrapePool, t.lastError]));
}

describe('remote scrape: TLS and a bearer token on the collector /metrics', () => {
  let pki: TestPki;
  let served: Issued;
  let tokenFile: string;
  let collector: RunningCollector;
  let prometheus: RunningPrometheus;
  let app: Tracked;
  const token = `scrape-${Date.now().toString(36)}-a9f3`;

  beforeAll(async () => {
    pki = new TestPki();
    // The files the collector reads; their content is replaced in place to rotate.
    const first = pki.server();
    served = { cert: join(pki.dir, 'served.crt'), key: join(pki.dir, 'served.key'), serial: first.serial };
    rotate(served, first);
    tokenFile = join(pki.dir, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    collector = await startCollector({
      allowlist: ['ws-1'],
      configs: ['config.yaml', 'config.scrape-tls.yaml', 'config.scrape-auth.yaml'],
      env: {
        OTELCOL_SCRAPE_TLS_CERT_FILE: served.cert,
        OTELCOL_SCRAPE_TLS_KEY_FILE: served.key,
        OTELCOL_SCRAPE_TLS_RELOAD_INTERVAL: '1s',
        OTELCOL_SCRAPE_BEARER_TOKEN_FILE: tokenFile,
      },
    });
    const target = collector.prometheusTarget;
    const wrongToken = join(pki.dir, 'wrong-token');
    writeFileSync(wrongToken, 'not-the-token\n');
    prometheus = await startPrometheus({
      targets: [],
      scrapeConfigs: [
        ...job('secure', target, ['scheme: https', 'tls_config:', `  ca_file: ${pki.ca}`, 'authorization:', '  type: Bearer', `  credentials_file: ${tokenFile}`]),
        ...job('no-token', target, ['scheme: https', 'tls_config:', `  ca_file: ${pki.ca}`]),
        ...job('wrong-token', target, ['scheme: https', 'tls_config:', `  ca_file: ${pki.ca}`, 'authorization:', '  type: Bearer', `  credentials_file: ${wrongToken}`]),
        ...job('untrusted-ca', target, ['scheme: https', 'authorization:', '  type: Bearer', `  credentials_file: ${tokenFile}`]),
        ...job('plain-http', target, ['scheme: http', 'authorization:', '  type: Bearer', `  credentials_file: ${tokenFile}`]),
      ],
    });
    app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'steady-app.cjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        OTEL_SERVICE_NAME: 'remote-scraped',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_ALLOWLIST: 'ws-1',
        FIXTURE_RATE: '200',
      },
    });
    await waitFor(async () => Object.keys(await upByJob(prometheus)).length === 5 || undefined, 20_000, 'a scrape of every job');
    await waitFor(async () => (await prometheus.scalar('sum(action_executions_total)')) > 0 || undefined, 30_000, `the service's first export through the secured endpoint (service output: ${app.output().slice(-2000)})`);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await prometheus?.stop();
    await collector?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('Prometheus with tls_config and authorization scrapes; without the token, with a wrong one, without the CA or over HTTP it is refused', async () => {
    await sleep(3_000);
    expect(await upByJob(prometheus)).toEqual({ secure: 1, 'no-token': 0, 'wrong-token': 0, 'untrusted-ca': 0, 'plain-http': 0 });
    const errors = await lastErrors(prometheus);
    expect(errors.secure).toBe('');
    expect(errors['no-token']).toMatch(/401/);
    expect(errors['wrong-token']).toMatch(/401/);
    expect(errors['untrusted-ca']).toMatch(/x509|certificate/);
    expect(errors['plain-http']).toMatch(/400|malformed HTTP|EOF|reset/i);
    // Only the secure job ingested samples: the totals come from it alone.
    expect(await prometheus.scalar('sum(scrape_samples_scraped{job="secure"})')).toBeGreaterThan(0);
    expect(await prometheus.scalar('sum(scrape_samples_scraped{job!="secure"})')).toBe(0);
  });

  it('the recordings arrive exactly through the secured endpoint', async () => {
    process.kill(app.pid, 'SIGUSR2');
    const final = await waitFor(() => {
      const line = app.output().split('\n').find((l) => l.startsWith('FINAL '));
      return line ? (JSON.parse(line.slice(6)) as { recorded: number }) : undefined;
    }, 10_000, 'the final count');
    for (const series of ['action_executions_total', 'action_executions_by_workspace_total', 'action_duration_seconds_count']) {
      await waitFor(async () => (await prometheus.scalar(`sum(${series})`)) === final.recorded || undefined, 30_000, `sum(${series}) = ${final.recorded}`);
    }
    console.log(`remote-scrape: recorded=${final.recorded} prometheus(https+bearer)=${final.recorded}`);
  });

  it('a rotated certificate is served without a restart, and Prometheus keeps scraping', async () => {
    const before = await servedSerial(collector.prometheusTarget, pki.ca);
    expect(before).toBe(served.serial);
    const next = pki.server();
    rotate(served, next);
    const rotatedAt = Date.now();
    await waitFor(async () => (await servedSerial(collector.prometheusTarget, pki.ca)) === next.serial || undefined, 15_000, 'the new certificate');
    console.log(`remote-scrape: certificate ${before} → ${next.serial} served after ${Date.now() - rotatedAt} ms, same collector PID ${collector.process.pid}`);
    expect(collector.process.child.exitCode).toBeNull();
    await sleep(2_500);
    expect((await upByJob(prometheus)).secure).toBe(1);
    expect((await lastErrors(prometheus)).secure).toBe('');
  });

  it('a rotated token file is followed: the old token is refused, Prometheus (reading the same file) keeps scraping', async () => {
    expect(await scrape(collector.prometheusTarget, pki.ca, { token })).toBe(200);
    expect(await scrape(collector.prometheusTarget, pki.ca)).toBe(401);
    const next = `${token}-rotated`;
    writeFileSync(`${tokenFile}.new`, `${next}\n`);
    renameSync(`${tokenFile}.new`, tokenFile);
    await waitFor(async () => (await scrape(collector.prometheusTarget, pki.ca, { token })) === 401 || undefined, 15_000, 'the old token to be refused');
    expect(await scrape(collector.prometheusTarget, pki.ca, { token: next })).toBe(200);
    await sleep(2_500);
    expect((await upByJob(prometheus)).secure).toBe(1);
  });
});

describe('remote scrape: mutual TLS (client certificates)', () => {
  it('requires a client certificate signed by OTELCOL_SCRAPE_TLS_CLIENT_CA_FILE', async () => {
    const pki = new TestPki();
    const server = pki.server();
    const client = pki.client();
    const collector = await startCollector({
      allowlist: [],
      configs: ['config.yaml', 'config.scrape-tls.yaml'],
      env: { OTELCOL_SCRAPE_TLS_CERT_FILE: server.cert, OTELCOL_SCRAPE_TLS_KEY_FILE: server.key, OTELCOL_SCRAPE_TLS_CLIENT_CA_FILE: pki.ca },
    });
    const target = collector.prometheusTarget;
    const prometheus = await startPrometheus({
      targets: [],
      scrapeConfigs: [
        ...job('client-cert', target, ['scheme: https', 'tls_config:', `  ca_file: ${pki.ca}`, `  cert_file: ${client.cert}`, `  key_file: ${client.key}`]),
        ...job('no-client-cert', target, ['scheme: https', 'tls_config:', `  ca_file: ${pki.ca}`]),
      ],
    });
    try {
      await waitFor(async () => Object.keys(await upByJob(prometheus)).length === 2 || undefined, 20_000, 'a scrape of both jobs');
      await sleep(2_000);
      expect(await upByJob(prometheus)).toEqual({ 'client-cert': 1, 'no-client-cert': 0 });
      // Go reports the refused handshake variously (TLS 1.3 sends the alert after the client's
      // Finished): "remote error: tls: certificate required", EOF, a reset, or a timeout on a
      // loaded machine. What matters is up=0 beside up=1 for the same target with a certificate.
      const refusal = (await lastErrors(prometheus))['no-client-cert'];
      console.log(`remote-scrape mTLS: without a client certificate Prometheus got: ${refusal}`);
      expect(refusal).not.toBe('');
      expect(await scrape(target, pki.ca, { client })).toBe(200);
      expect(String(await scrape(target, pki.ca))).not.toBe('200');
    } finally {
      await prometheus.stop();
      await collector.stop();
      rmSync(pki.dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('scrape overlays refuse to start half-configured', () => {
  const validate = (configs: string[], env: Record<string, string>) =>
    spawnSync(collectorBinary(), ['validate', ...configs.flatMap((c) => ['--config', join(CONFIG_DIR, c)])], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });

  it('TLS overlay without a certificate, auth overlay without a token file', () => {
    const noCert = validate(['config.yaml', 'config.scrape-tls.yaml'], {});
    expect(noCert.status).not.toBe(0);
    expect(noCert.stderr).toMatch(/TLS configuration must include both certificate and key/);
    const noToken = validate(['config.yaml', 'config.scrape-auth.yaml'], {});
    expect(noToken.status).not.toBe(0);
    expect(noToken.stderr).toMatch(/bearer token|filename|token/i);
    expect(validate(['config.yaml', 'config.scrape-auth.yaml'], { OTELCOL_SCRAPE_BEARER_TOKEN_FILE: '/run/secrets/token' }).status).toBe(0);
  });

  it('with the OTLP auth overlay as well, the documented --set keeps both authenticators', () => {
    const configs = ['config.yaml', 'config.auth.yaml', 'config.scrape-auth.yaml'].flatMap((c) => ['--config', join(CONFIG_DIR, c)]);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OTELCOL_SCRAPE_BEARER_TOKEN_FILE: __filename,
      OTELCOL_BEARER_TOKEN: 'x',
      ...Object.fromEntries(['OTELCOL_OTLP_GRPC_ENDPOINT', 'OTELCOL_OTLP_HTTP_ENDPOINT', 'OTELCOL_PROMETHEUS_ENDPOINT', 'OTELCOL_HEALTH_ENDPOINT'].map((v) => [v, '127.0.0.1:0'])),
      OTELCOL_TELEMETRY_PORT: '0',
    };
    // validate passes either way (it does not resolve authenticators); the start does not.
    const started = spawnSync(collectorBinary(), configs, { encoding: 'utf8', env, timeout: 30_000 });
    expect(started.status, 'the later overlay dropped bearertokenauth/otlp from service::extensions').not.toBe(0);
    expect(started.stderr).toContain('failed to resolve authenticator "bearertokenauth/otlp"');
    const withSet = spawnSync(collectorBinary(), ['validate', ...configs, '--set=service.extensions=[health_check,bearertokenauth/otlp,bearertokenauth/scrape]'], { encoding: 'utf8', env });
    expect(withSet.status, withSet.stderr).toBe(0);
  });
});
