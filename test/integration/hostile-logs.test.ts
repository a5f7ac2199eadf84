/**
 * No secrets and no raw user input in the kit's log lines (issue 7).
 *
 * 1. A preloaded child drives every exported recordX, setX and observeX helper and
 *    the timing helpers with hostile values that all carry a random mark
 *    (quotes, newlines with a forged log line, RTL marks, NUL, 10 kB strings,
 *    objects whose toString/valueOf/toPrimitive return the mark, proxies,
 *    errors, symbols, throwing getters and callbacks). Its stderr gets many
 *    warnings, and none of them contains the mark, in any case; nor does any
 *    workspace label value.
 * 2. The same child exports OTLP with a secret bearer token in
 *    OTEL_EXPORTER_OTLP_HEADERS to an endpoint that refuses the connection
 *    (http/protobuf and grpc): one export-failure warning, without the token.
 * 3. An OTLP endpoint that answers with the token echoed in its error
 *    (HTTP reason phrase; gRPC status message with a newline and a forged log
 *    line): the warning must still carry neither the token nor a second line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parseExposition } from '../../src/exposition/parse';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from '../helpers/processes';

const ROOT = join(__dirname, '..', '..');
const PREFIX = '[otel-workspace-metrics] ';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A mark no real output contains: letters only, so it survives lower/upper-casing and canonicalization. */
const newMark = () => 'QZX' + [...randomBytes(6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
const newToken = () => 'tok_' + randomBytes(24).toString('base64url');

interface Run {
  app: Tracked;
  port: number;
  summary: { helpers: string[]; calls: number; thrown: number; thrownBy: Record<string, number>; marks: number };
}

async function startHostile(mark: string, env: Record<string, string>): Promise<Run> {
  const port = await freePort();
  const app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'hostile-logs-app.cjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOSTILE_MARK: mark,
      METRICS_PORT: String(port),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: 'ws-1,acme',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      ...env,
    },
  });
  const summary = await waitFor(
    () => {
      const line = app.output().split('\n').find((l) => l.startsWith('HOSTILE '));
      return line ? (JSON.parse(line.slice('HOSTILE '.length)) as Run['summary']) : undefined;
    },
    30_000,
    'the hostile app',
  );
  return { app, port, summary };
}

/** All output except the fixture's own summary line. */
const outputOf = (run: Run) => run.app.output().split('\n').filter((l) => !l.startsWith('HOSTILE ')).join('\n');
const exportWarnings = (run: Run) => run.app.stderr().split('\n').filter((l) => /export (failed|threw)/.test(l));

function expectNoSecret(text: string, secret: string, what: string): void {
  for (const form of [secret, encodeURIComponent(secret), secret.toLowerCase(), secret.toUpperCase()]) {
    expect(text.includes(form), `${what} contains the secret`).toBe(false);
  }
}

describe.each(['http/protobuf', 'grpc'] as const)('every helper with marked hostile input, OTLP (%s) with a secret token to a closed port', (protocol) => {
  const mark = newMark();
  const token = newToken();
  let run: Run;
  let exposition: string;

  beforeAll(async () => {
    const closed = await freePort();
    run = await startHostile(mark, {
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${token},x-api-key=${token}`,
    });
    // The endpoint listens asynchronously: wait until it answers before the scrapes the test counts on.
    await waitFor(() => httpText(`http://127.0.0.1:${run.port}/metrics`).catch(() => undefined), 10_000, 'the embedded endpoint');
    // Scrapes run the observable callbacks (and their refusals); the OTLP reader fails a few times.
    for (let i = 0; i < 3; i++) {
      exposition = await httpText(`http://127.0.0.1:${run.port}/metrics`);
      await sleep(700);
    }
    await waitFor(() => exportWarnings(run).length > 0 || undefined, 10_000, 'an export warning');
  });

  afterAll(async () => {
    await run?.app.stop();
  });

  it('exercised every helper without throwing, and the kit warned about it (one line per reason)', () => {
    const lines = run.app.stderr().split('\n').filter((l) => l.startsWith(PREFIX));
    const warnedHelpers = new Set(lines.map((l) => /warn: (\w+)[: ]/.exec(l)?.[1]).filter((h): h is string => h !== undefined));
    console.log(
      `hostile-logs (${protocol}): ${run.summary.helpers.length} helpers, ${run.summary.calls} calls, ${run.summary.marks} marked values, ` +
        `thrown=${run.summary.thrown}, ${lines.length} kit lines, warned helpers: ${warnedHelpers.size}`,
    );
    expect(run.summary.thrown, `thrown into the caller: ${JSON.stringify(run.summary.thrownBy)}`).toBe(0);
    expect(run.summary.helpers.length).toBeGreaterThanOrEqual(20);
    expect(run.summary.helpers).toEqual(expect.arrayContaining(['recordActionExecution', 'recordQueueJob']));
    expect(warnedHelpers.size).toBeGreaterThanOrEqual(10);
    expect(lines.some((l) => /recording refused/.test(l))).toBe(true);
    expect(lines.some((l) => /callback/.test(l))).toBe(true);
    expect(run.app.child.exitCode).toBeNull();
  });

  it('never prints a marked value: not in any warning or error line, in any case', () => {
    const text = outputOf(run);
    const offending = text.split('\n').filter((l) => l.toLowerCase().includes(mark.toLowerCase()));
    expect(offending.map((l) => l.slice(0, 200))).toEqual([]);
    expect(text).not.toContain('forged line');
  });

  it('writes one line per message: every stderr line is a kit line (no forged or continuation lines)', () => {
    const lines = run.app.stderr().split('\n').filter((l) => l !== '');
    expect(lines.filter((l) => !l.startsWith(PREFIX)).map((l) => l.slice(0, 200))).toEqual([]);
    expect(lines.filter((l) => l.includes('forged line'))).toEqual([]);
  });

  it('never exports a marked workspace label value', () => {
    const values = new Set<string>();
    for (const family of parseExposition(exposition).values()) for (const s of family.samples) if (s.labels.workspace_id !== undefined) values.add(s.labels.workspace_id);
    expect(values.size).toBeGreaterThan(0);
    for (const value of values) expect(value.toLowerCase()).not.toContain(mark.toLowerCase());
  });

  it('warns once per failure reason about the failed exports, without the token', () => {
    const warnings = exportWarnings(run);
    console.log(`export warnings (${protocol}): ${warnings.join(' | ')}`);
    // One line per reason within the minute (a closed gRPC port gives `network`, then `timeout` once the channel waits for a pick).
    const reasons = warnings.map((line) => /export failed \[reason=([a-z_]+)\]/.exec(line)?.[1]);
    expect(reasons.every((reason) => reason !== undefined)).toBe(true);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reasons).size).toBe(reasons.length);
    expect(reasons.every((reason) => reason === 'network' || reason === 'timeout')).toBe(true);
    expectNoSecret(run.app.output(), token, 'the app output');
  });
});

// ---- an endpoint that echoes the token in its error --------------------------------

describe('an OTLP endpoint that echoes the token in its error answer', () => {
  let httpEcho: Server;
  let grpcEcho: grpc.Server;
  let httpPort: number;
  let grpcPort: number;

  beforeAll(async () => {
    httpEcho = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const auth = String(req.headers.authorization ?? '');
        res.writeHead(401, `Denied for ${auth}`, { 'content-type': 'text/plain', 'www-authenticate': `Bearer error="${auth}"` });
        res.end(`bad token: ${auth}\n`);
      });
    });
    await new Promise<void>((resolve) => httpEcho.listen(0, '127.0.0.1', resolve));
    httpPort = (httpEcho.address() as { port: number }).port;

    grpcEcho = new grpc.Server();
    grpcEcho.register(
      '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const auth = String(call.metadata.get('authorization')[0] ?? '');
        callback({ code: grpc.status.UNAUTHENTICATED, details: `denied ${auth}\n[otel-workspace-metrics] error: forged line` });
      },
      (x: Buffer) => x,
      (x: Buffer) => x,
      'unary',
    );
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcEcho.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
  });

  afterAll(async () => {
    httpEcho?.close();
    grpcEcho?.forceShutdown();
  });

  it.each(['http/protobuf', 'grpc'] as const)('%s: the export warning carries neither the token nor a forged second line', async (protocol) => {
    const token = newToken();
    const run = await startHostile(newMark(), {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${protocol === 'grpc' ? grpcPort : httpPort}`,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${token}`,
    });
    try {
      await waitFor(() => exportWarnings(run).length > 0 || undefined, 10_000, 'an export warning');
      console.log(`echoing endpoint (${protocol}): ${JSON.stringify(exportWarnings(run)[0])}`);
      expectNoSecret(run.app.output(), token, 'the app output');
      // The endpoint's text may be quoted inside the warning, but it must not start a line of its own.
      const stderr = run.app.stderr().split('\n').filter((l) => l !== '');
      expect(stderr.filter((l) => !l.startsWith(PREFIX)).map((l) => l.slice(0, 200))).toEqual([]);
      expect(stderr.filter((l) => l.startsWith(`${PREFIX}error: forged line`))).toEqual([]);
      expect(exportWarnings(run)).toHaveLength(1);
    } finally {
      await run.app.stop();
    }
  });

  it.each(['http/protobuf', 'grpc'] as const)('%s: the flush at process.exit() (exit-flush.ts) is redacted the same way', async (protocol) => {
    const token = newToken();
    const app = spawnTracked(process.execPath, ['--require', 'otel-workspace-metrics/register', join(ROOT, 'test', 'fixtures', 'cli-app.cjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        FIXTURE_EXIT_MODE: 'exit',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${protocol === 'grpc' ? grpcPort : httpPort}`,
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${token}`,
        OTEL_METRIC_EXPORT_TIMEOUT: '3000',
      },
    });
    const { code } = await app.exited;
    expect(code).toBe(3);
    const flush = app.stderr().split('\n').filter((l) => l.includes('the OTLP flush at process exit did not complete'));
    console.log(`echoing endpoint, exit flush (${protocol}): ${JSON.stringify(flush[0])}`);
    expect(flush).toHaveLength(1);
    // When the endpoint's answer is quoted (not, say, a timeout on a loaded machine), its echo of the token is cut out.
    if (/denied/i.test(flush[0]!)) expect(flush[0]).toContain('[REDACTED]');
    expectNoSecret(app.output(), token, 'the app output');
    const stderr = app.stderr().split('\n').filter((l) => l !== '');
    expect(stderr.filter((l) => !l.startsWith(PREFIX)).map((l) => l.slice(0, 200))).toEqual([]);
  });
});
