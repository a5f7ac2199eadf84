/**
 * Remote scrape of the embedded endpoint (issue 15, the kit's side): the real
 * Prometheus scrapes a service that serves TLS (certificate generated here with
 * openssl) and requires a bearer token, and another that requires basic auth.
 * Scrapes with the right `tls_config` and `authorization`/`basic_auth` succeed
 * with exact values; without the CA, without or with wrong credentials, or in
 * plain text, they are refused. The certificate is rotated on disk and served
 * without a restart. Bound beyond loopback without TLS or auth, the service
 * says so in one line naming the variables; with both, it says nothing.
 */
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueServerCertificate, makePki, type Pki } from '../helpers/pki';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { freePort, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { markedJson } from '../helpers/services';

const ROOT = join(__dirname, '..', '..');
const SERIES = 25;
// fixture_shard_operations_total{shard="sN"} is N + 1: the sum over 25 shards
const EXPECTED_SUM = (SERIES * (SERIES + 1)) / 2;
const TOKEN = 'tok_' + createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 32);
const PASSWORD = 'pw_' + createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24);

interface Service {
  proc: Tracked;
  port: number;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const [port, appPort] = await Promise.all([freePort(), freePort()]);
  const proc = spawnTracked(process.execPath, [join(ROOT, 'test', 'fixtures', 'scrape-target-app.cjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, FIXTURE_SERIES: String(SERIES), FIXTURE_APP_PORT: String(appPort), METRICS_PORT: String(port), METRICS_HOST: '0.0.0.0', ...env },
  });
  const ready = await waitFor(() => markedJson<{ metricsPort: number | null }>(proc, 'READY'), 30_000, 'the service');
  expect(ready.metricsPort).toBe(port);
  return { proc, port };
}

const warningsOf = (service: Service) => service.proc.stderr().split('\n').filter((line) => line.includes('reachable beyond loopback'));

/** The SHA-256 fingerprint of the certificate the endpoint serves now. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: [require('node:fs').readFileSync(ca)], servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

let pki: Pki;
let tlsBearer: Service;
let basic: Service;
let open: Service;
let prometheus: RunningPrometheus;
let tokenFile: string;

beforeAll(async () => {
  pki = makePki();
  tokenFile = join(pki.dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const passwordFile = join(pki.dir, 'password');
  writeFileSync(passwordFile, PASSWORD);
  const wrongFile = join(pki.dir, 'wrong');
  writeFileSync(wrongFile, 'not-the-password');
  [tlsBearer, basic, open] = await Promise.all([
    startService({ METRICS_TLS_CERT_FILE: pki.cert, METRICS_TLS_KEY_FILE: pki.key, METRICS_TLS_RELOAD_INTERVAL: '1', METRICS_BEARER_TOKEN_FILE: tokenFile }),
    startService({ METRICS_BASIC_AUTH_USERNAME: 'prometheus', METRICS_BASIC_AUTH_PASSWORD_FILE: passwordFile }),
    startService({}),
  ]);
  const target = (service: Service) => `['127.0.0.1:${service.port}']`;
  const jobs = [
    ['tls-bearer', 'https', `    tls_config: { ca_file: ${JSON.stringify(pki.ca)} }\n    authorization: { credentials_file: ${JSON.stringify(tokenFile)} }`, tlsBearer],
    ['tls-no-token', 'https', `    tls_config: { ca_file: ${JSON.stringify(pki.ca)} }`, tlsBearer],
    ['tls-wrong-token', 'https', `    tls_config: { ca_file: ${JSON.stringify(pki.ca)} }\n    authorization: { credentials: wrong-token }`, tlsBearer],
    ['tls-no-ca', 'https', `    authorization: { credentials_file: ${JSON.stringify(tokenFile)} }`, tlsBearer],
    ['plain-to-tls', 'http', `    authorization: { credentials_file: ${JSON.stringify(tokenFile)} }`, tlsBearer],
    ['basic', 'http', `    basic_auth: { username: prometheus, password_file: ${JSON.stringify(passwordFile)} }`, basic],
    ['basic-wrong', 'http', `    basic_auth: { username: prometheus, password_file: ${JSON.stringify(wrongFile)} }`, basic],
    ['basic-none', 'http', '', basic],
  ] as const;
  const extra = jobs
    .map(([name, scheme, settings, service]) => [`  - job_name: ${name}`, `    scheme: ${scheme}`, settings, `    static_configs:`, `      - targets: ${target(service)}`].filter((l) => l !== '').join('\n'))
    .join('\n');
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${open.port}`], extraScrapeConfigs: extra });
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([tlsBearer, basic, open].map((s) => s?.proc.stop()));
});

interface Target {
  labels: { job: string };
  health: string;
  lastError: string;
}

async function targets(): Promise<Map<string, Target>> {
  const response = await fetch(`${prometheus.url}/api/v1/targets`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { data: { activeTargets: Target[] } };
  return new Map(body.data.activeTargets.map((t) => [t.labels.job, t]));
}

describe('the real Prometheus scraping the embedded endpoint remotely', () => {
  it('scrapes over TLS with the bearer token, and with basic auth: exact values', async () => {
    await waitFor(async () => ((await prometheus.scalar('sum(up{job=~"tls-bearer|basic"})')) === 2 ? true : undefined), 30_000, 'both authorized jobs up');
    for (const job of ['tls-bearer', 'basic']) {
      await waitFor(async () => ((await prometheus.scalar(`sum(fixture_shard_operations_total{job="${job}"})`)) === EXPECTED_SUM ? true : undefined), 15_000, `${job} values`);
      expect(await prometheus.scalar(`count(fixture_shard_operations_total{job="${job}"})`)).toBe(SERIES);
    }
  });

  it('refuses the scrapes without the CA, without or with a wrong token or password, and in plain text', async () => {
    const refused = ['tls-no-token', 'tls-wrong-token', 'tls-no-ca', 'plain-to-tls', 'basic-wrong', 'basic-none'];
    const all = await waitFor(
      async () => {
        const t = await targets();
        return refused.every((job) => t.get(job)?.lastError) ? t : undefined;
      },
      30_000,
      'every refused job to have been tried',
    );
    for (const job of refused) {
      expect(all.get(job)!.health, job).toBe('down');
      console.log(`${job}: ${all.get(job)!.lastError}`);
    }
    for (const job of ['tls-no-token', 'tls-wrong-token', 'basic-wrong', 'basic-none']) expect(all.get(job)!.lastError, job).toContain('401 Unauthorized');
    expect(all.get('tls-no-ca')!.lastError).toMatch(/x509|certificate/);
    expect(await prometheus.scalar('sum(up{job=~"tls-no-token|tls-wrong-token|tls-no-ca|plain-to-tls|basic-wrong|basic-none"})')).toBe(0);
    expect(await prometheus.scalar('count(fixture_shard_operations_total{job!~"tls-bearer|basic|otel-collector"}) or vector(0)')).toBe(0);
  });

  it('serves a rotated certificate without a restart (checked every METRICS_TLS_RELOAD_INTERVAL=1 s), and Prometheus keeps scraping', async () => {
    const before = await servedFingerprint(tlsBearer.port, pki.ca);
    const next = issueServerCertificate(pki.dir, 'rotated');
    // the way cert-manager or a ConfigMap swap replaces them: new files renamed over the old paths
    renameSync(next.key, pki.key);
    renameSync(next.cert, pki.cert);
    const after = await waitFor(async () => {
      const now = await servedFingerprint(tlsBearer.port, pki.ca);
      return now !== before ? now : undefined;
    }, 15_000, 'the rotated certificate');
    expect(after).not.toBe(before);
    expect(tlsBearer.proc.stderr()).toContain('embedded endpoint: TLS certificate reloaded');
    const scrapedAt = Date.now() / 1000;
    await waitFor(
      async () => {
        const t = (await targets()).get('tls-bearer')!;
        const last = Date.parse((t as unknown as { lastScrape: string }).lastScrape) / 1000;
        return last > scrapedAt + 0.5 && t.health === 'up' ? true : undefined;
      },
      15_000,
      'a scrape with the new certificate',
    );
  });

  it('bound beyond loopback: one warning line naming the missing variables; none with TLS and auth; no secret in any output', () => {
    expect(warningsOf(tlsBearer)).toEqual([]);
    expect(warningsOf(basic)).toHaveLength(1);
    expect(warningsOf(basic)[0]).toContain('without TLS (METRICS_TLS_CERT_FILE and METRICS_TLS_KEY_FILE)');
    expect(warningsOf(basic)[0]).not.toContain('METRICS_BEARER_TOKEN');
    expect(warningsOf(open)).toHaveLength(1);
    expect(warningsOf(open)[0]).toContain('METRICS_HOST=0.0.0.0: the embedded endpoint is reachable beyond loopback without TLS (METRICS_TLS_CERT_FILE and METRICS_TLS_KEY_FILE) or authentication (METRICS_BEARER_TOKEN or METRICS_BEARER_TOKEN_FILE, or METRICS_BASIC_AUTH_USERNAME with METRICS_BASIC_AUTH_PASSWORD or METRICS_BASIC_AUTH_PASSWORD_FILE)');
    for (const service of [tlsBearer, basic, open]) {
      expect(service.proc.output()).not.toContain(TOKEN);
      expect(service.proc.output()).not.toContain(PASSWORD);
    }
  });
});
