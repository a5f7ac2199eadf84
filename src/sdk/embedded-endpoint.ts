/**
 * The embedded Prometheus endpoint: our own unref'd listener (it never keeps
 * the app alive) in front of a node:http server, hardened so that scrapers,
 * careless or hostile, cannot take the host application down with it:
 *   - one collection per burst of scrapes (CoalescingScrapeBody), serialized in
 *     slices, so the app's own requests keep their latency;
 *   - bounded connections, requests per connection, and pipelining: each
 *     connection is a GatedConnection that feeds the parser a slice at a time
 *     and nothing while requests of it wait for their answer; header, request,
 *     keep-alive and idle timeouts;
 *   - only GET and HEAD on /metrics (405 otherwise, 404 elsewhere);
 *   - bound to loopback, a Host header that is not a loopback name or address
 *     is refused (a web page cannot read the endpoint through DNS rebinding);
 *   - optional TLS (certificate and key re-read when they change) and a bearer
 *     token or basic auth, for scrapes from beyond the machine.
 * The body comes from a `ScrapeBodySource` (scrape-body.ts), the seam for other
 * producers of the exposition.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, isIP, type Server as NetServer, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { AggregationTemporality, CollectionResult, InstrumentType, MetricProducer } from '@opentelemetry/sdk-metrics';
import type { KitConfig } from '../config/env';
import { logError, logInfo, warnRateLimited } from '../log';
import { gaugeAwareTemporality } from './readers';
import { CoalescingScrapeBody, type ScrapeBodySource } from './scrape-body';
import { GatedConnection } from './gated-connection';

/** The Prometheus pull reader, with observable gauges that forget unobserved series. */
class EmbeddedPrometheusReader extends PrometheusExporter {
  private readonly temporality = gaugeAwareTemporality((type) => super.selectAggregationTemporality(type));
  override selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.temporality(instrumentType);
  }
}

export interface EndpointLimits {
  /** Open connections at once; more are closed on accept. */
  maxConnections: number;
  /** Requests served on one keep-alive connection before it is closed. */
  maxRequestsPerSocket: number;
  /** Requests of one connection waiting for their response; the connection's further bytes are not read meanwhile. */
  maxPipelined: number;
  headersTimeoutMillis: number;
  requestTimeoutMillis: number;
  keepAliveTimeoutMillis: number;
  /** A connection with no traffic at all for this long is closed. */
  idleTimeoutMillis: number;
}

/** Prometheus scrapes with one connection per target and no pipelining: these leave room for several scrapers. */
export const DEFAULT_ENDPOINT_LIMITS: EndpointLimits = {
  maxConnections: 64,
  maxRequestsPerSocket: 1_000,
  maxPipelined: 4,
  headersTimeoutMillis: 5_000,
  requestTimeoutMillis: 10_000,
  keepAliveTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
};

export interface EmbeddedEndpoint {
  reader: PrometheusExporter;
  /** The HTTP server that answers (it never listens itself). */
  server: Server;
  /** The bound socket: connections go through TLS (when configured) and a GatedConnection to `server`. */
  listener: NetServer;
  /** What the endpoint serves; by default one coalesced collection of `reader`. */
  body: ScrapeBodySource;
  /** Resolves with the bound port, or undefined when listening failed (logged). */
  listening: Promise<number | undefined>;
  close(): void;
}

/** Wraps a scrape's collection, e.g. to add a cluster's workers (src/sdk/cluster.ts). */
export type ScrapeCollect = (local: () => Promise<CollectionResult>) => Promise<CollectionResult>;

export interface EmbeddedEndpointOptions {
  /** Extra data sources every scrape includes (the fast recording path's producer). */
  metricProducers?: MetricProducer[];
  /** Wraps each scrape's collection (the cluster primary adds its workers' data). */
  scrapeCollect?: ScrapeCollect;
  /** Replaces the body source (it receives the reader whose collection it may use). */
  body?: (reader: PrometheusExporter) => ScrapeBodySource;
  limits?: Partial<EndpointLimits>;
}

export function createEmbeddedEndpoint(config: KitConfig, options: EmbeddedEndpointOptions = {}): EmbeddedEndpoint {
  const settings = config.prometheus;
  const limits = { ...DEFAULT_ENDPOINT_LIMITS, ...options.limits };
  const reader = new EmbeddedPrometheusReader({ preventServerStart: true, metricProducers: options.metricProducers ?? [] });
  const local = () => reader.collect();
  const { scrapeCollect } = options;
  const collect = scrapeCollect === undefined ? local : () => scrapeCollect(local);
  const body = options.body?.(reader) ?? new CoalescingScrapeBody(collect, { cacheMillis: settings.scrapeCacheMillis });
  const loopbackOnly = isLoopbackAddress(settings.host);
  const auth = loadAuth(settings);
  // Concurrent scrapes get their shared body at the same moment: one response written per turn of
  // the event loop (50 responses of 4 MB written at once held the loop for hundreds of ms).
  const writes: (() => void)[] = [];
  let writing = false;
  const drain = (): void => {
    writes.shift()?.();
    if (writes.length > 0) setImmediate(drain);
    else writing = false;
  };
  const write = (send: () => void): void => {
    writes.push(send);
    if (!writing) {
      writing = true;
      setImmediate(drain);
    }
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const connection: unknown = request.socket;
    if (connection instanceof GatedConnection) response.once('close', connection.requestStarted());
    if (loopbackOnly && !isLoopbackHostHeader(request.headers.host)) {
      reply(response, 403, 'forbidden: this endpoint answers loopback host names only\n');
      return;
    }
    if (auth !== undefined && !auth.allows(request.headers.authorization)) {
      response.setHeader('www-authenticate', auth.challenge);
      reply(response, 401, 'unauthorized\n');
      return;
    }
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      reply(response, 404, 'not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      reply(response, 405, 'method not allowed: GET or HEAD\n');
      return;
    }
    body.body().then(
      (bytes) =>
        write(() => {
          if (response.destroyed) return;
          response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': bytes.length });
          response.end(request.method === 'HEAD' ? undefined : bytes);
        }),
      (error: unknown) => {
        warnRateLimited('scrape:failed', `a scrape failed (${(error as Error)?.name ?? 'error'}); answered 500`);
        if (!response.destroyed) reply(response, 500, 'metrics collection failed\n');
      },
    );
  };

  const server = createHttpServer(handle);
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.headersTimeout = limits.headersTimeoutMillis;
  server.requestTimeout = limits.requestTimeoutMillis;
  server.keepAliveTimeout = limits.keepAliveTimeoutMillis;
  server.setTimeout(limits.idleTimeoutMillis, (socket) => socket.destroy());
  server.on('clientError', (_error, socket) => socket.destroy());

  let stopReload: (() => void) | undefined;
  // Half-configured TLS was reported by the configuration: never fall back to plain text.
  let tlsFailed = settings.tls === 'off';
  let secureContext: SecureContext | undefined;
  if (settings.tls !== undefined && settings.tls !== 'off') {
    const tls = settings.tls;
    try {
      secureContext = createSecureContext({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: 'TLSv1.2' });
      stopReload = watchCertificate(tls, (context) => {
        secureContext = createSecureContext({ ...context, minVersion: 'TLSv1.2' });
      });
    } catch (error) {
      logError(`METRICS_TLS_CERT_FILE/METRICS_TLS_KEY_FILE: cannot use the certificate and key (${(error as NodeJS.ErrnoException).code ?? 'error'}); the embedded endpoint stays off rather than serve in the clear`);
      tlsFailed = true;
    }
  }

  const listener = createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    socket.on('error', () => undefined); // reported through the connection that wraps it
    socket.unref(); // a scraper's keep-alive connection never keeps the app alive
    let stream: Socket | TLSSocket = socket;
    if (secureContext !== undefined) {
      stream = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
      stream.on('error', () => undefined);
    }
    server.emit('connection', new GatedConnection(stream, limits.maxPipelined));
    socket.resume();
  });
  listener.maxConnections = limits.maxConnections;

  const { host, port } = settings;
  if (!loopbackOnly) {
    const missing: string[] = [];
    if (settings.tls === undefined) missing.push('TLS (METRICS_TLS_CERT_FILE and METRICS_TLS_KEY_FILE)');
    if (auth === undefined) missing.push('authentication (METRICS_BEARER_TOKEN or METRICS_BEARER_TOKEN_FILE, or METRICS_BASIC_AUTH_USERNAME with METRICS_BASIC_AUTH_PASSWORD or METRICS_BASIC_AUTH_PASSWORD_FILE)');
    if (missing.length > 0) logError(`METRICS_HOST=${host}: the embedded endpoint is reachable beyond loopback without ${missing.join(' or ')}; set ${missing.length > 1 ? 'them' : 'it'} to protect the metrics`);
  }
  const listening = tlsFailed
    ? Promise.resolve(undefined)
    : new Promise<number | undefined>((resolve) => {
        listener.once('error', (error: NodeJS.ErrnoException) => {
          logError(`METRICS_PORT=${port} METRICS_HOST=${host}: embedded endpoint could not listen (${error.code ?? error.message}); it stays off, recording continues`);
          resolve(undefined);
        });
        listener.listen(port, host, () => {
          const address = listener.address();
          resolve(typeof address === 'object' && address !== null ? address.port : port);
        });
      });
  listener.unref();
  return {
    reader,
    server,
    listener,
    body,
    listening,
    close() {
      stopReload?.();
      listener.close();
      server.closeAllConnections();
    },
  };
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackAddress(host: string): boolean {
  const lower = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (lower === 'localhost' || lower === '::1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** A Host header naming a loopback address or `localhost`, with or without a port; absent (HTTP/1.0) passes. */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  let name: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0 || !/^(:\d{1,5})?$/.test(value.slice(end + 1))) return false;
    name = value.slice(1, end);
  } else {
    const match = /^([^:]+)(:\d{1,5})?$/.exec(value);
    if (match === null) return false;
    name = match[1]!;
  }
  return isLoopbackAddress(name);
}

interface Auth {
  allows(header: string | undefined): boolean;
  challenge: string;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const same = (a: string, expected: Buffer): boolean => timingSafeEqual(digest(a), expected);

/** Secrets from the configuration or their files (read once, at start); undefined when none is set. */
function loadAuth(settings: KitConfig['prometheus']): Auth | undefined {
  const readSecret = (value: string | undefined, file: string | undefined, variable: string): string | undefined => {
    if (value !== undefined) return value;
    if (file === undefined) return undefined;
    try {
      const text = readFileSync(file, 'utf8').trim();
      if (text !== '') return text;
      logError(`${variable}: the file is empty; that credential is not accepted`);
    } catch (error) {
      logError(`${variable}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'}); that credential is not accepted`);
    }
    // Configured but unreadable: still require auth, with a credential nobody has.
    return '';
  };
  const { auth } = settings;
  const token = readSecret(auth.bearerToken, auth.bearerTokenFile, 'METRICS_BEARER_TOKEN_FILE');
  const password = auth.basicUsername === undefined ? undefined : readSecret(auth.basicPassword, auth.basicPasswordFile, 'METRICS_BASIC_AUTH_PASSWORD_FILE');
  if (token === undefined && password === undefined) return undefined;
  const tokenDigest = token ? digest(token) : undefined;
  const basicDigest = password ? digest(`${auth.basicUsername}:${password}`) : undefined;
  return {
    challenge: token !== undefined ? 'Bearer realm="metrics"' : 'Basic realm="metrics", charset="UTF-8"',
    allows(header) {
      if (header === undefined) return false;
      const space = header.indexOf(' ');
      if (space < 0) return false;
      const scheme = header.slice(0, space).toLowerCase();
      const credentials = header.slice(space + 1).trim();
      if (scheme === 'bearer' && tokenDigest !== undefined) return same(credentials, tokenDigest);
      if (scheme === 'basic' && basicDigest !== undefined) return same(Buffer.from(credentials, 'base64').toString('utf8'), basicDigest);
      return false;
    },
  };
}

/** Re-reads the certificate and key when either file changes (checked every `reloadMillis`); `apply` throws on a mismatched pair. Returns the stop function. */
function watchCertificate(tls: Exclude<KitConfig['prometheus']['tls'], 'off' | undefined>, apply: (context: { cert: Buffer; key: Buffer }) => void): () => void {
  const signature = async (): Promise<string> => {
    const [c, k] = await Promise.all([stat(tls.certFile), stat(tls.keyFile)]);
    return `${c.ino}:${c.size}:${c.mtimeMs}|${k.ino}:${k.size}:${k.mtimeMs}`;
  };
  let current: string | undefined;
  let busy = false;
  void signature().then(
    (s) => (current ??= s),
    () => undefined,
  );
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const next = await signature();
        if (next === current) return;
        const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
        apply({ cert, key });
        current = next;
        logInfo('embedded endpoint: TLS certificate reloaded');
      } catch (error) {
        // Half-rotated (a new certificate with the old key) or unreadable: keep serving the old pair, retry next time.
        warnRateLimited('scrape:tls-reload', `embedded endpoint: the TLS certificate could not be reloaded (${(error as NodeJS.ErrnoException).code ?? 'mismatched or invalid pair'}); still serving the previous one`);
      } finally {
        busy = false;
      }
    })();
  }, tls.reloadMillis);
  timer.unref();
  return () => clearInterval(timer);
}
