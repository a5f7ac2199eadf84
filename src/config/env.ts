/**
 * Environment → configuration. Pure: returns the config and the problems
 * found; the caller logs each problem as one line. Every bad value names its
 * variable and the fallback taken, and never stops the host application.
 */
import { ALLOWLIST_ENTRY_SHAPE, DEFAULT_WORKSPACE_LABEL, canonicalAllowlistEntry } from '../model/canonical';

export type ExporterKind = 'prometheus' | 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type WorkspacePolicyMode = 'enforce' | 'passthrough';
/** `fast`: typed-helper counters/histograms aggregate in pre-created cells (src/fast/); `views`: every recording goes through the SDK views. */
export type RecordingPath = 'fast' | 'views';

export interface KitConfig {
  enabled: boolean;
  exporters: ExporterKind[];
  prometheus: PrometheusEndpointConfig;
  otlp: {
    protocol: OtlpProtocol;
    /**
     * METRICS_OTLP_MAX_REQUEST_BYTES: no OTLP export request is larger (one
     * collection is split into several requests, src/sdk/export-split.ts).
     */
    maxRequestBytes: number;
  };
  exportIntervalMillis: number;
  exportTimeoutMillis: number;
  workspace: {
    enabled: boolean;
    labelName: string;
    allowlist: string[];
    allowlistFile: string | undefined;
    /** Stat check period of the allowlist file (fs.watch is the fast path). */
    allowlistPollMillis: number;
    sampleRate: number;
    mode: WorkspacePolicyMode;
    /** METRICS_WORKSPACE_PASSTHROUGH_LIMIT: pass-through sends at most this many distinct raw values per process; later ones fold into `__other__`. */
    passthroughLimit: number;
  };
  collectorIntervalMillis: number;
  /** METRICS_RECORDING_PATH; `fast` falls back to `views` when a reader wants delta temporality. */
  recordingPath: RecordingPath;
  /** OTEL_LOG_LEVEL, lower-cased (`none` … `all`); undefined leaves the OTel diag logger as the host set it. */
  logLevel: OtelLogLevel | undefined;
  /** METRICS_RUNTIME: runtime (event loop, heap, GC) and process (CPU, memory, threads) metrics. */
  runtimeMetrics: boolean;
  /** OTEL_NODE_RESOURCE_DETECTORS, resolved: which standard detectors describe the process on `target_info`. */
  resourceDetectors: ResourceDetectorName[];
}

export interface PrometheusEndpointConfig {
  host: string;
  port: number;
  /** A finished scrape body is served again for this long (0: only concurrent scrapes share a collection). */
  scrapeCacheMillis: number;
  /** Serve HTTPS with this certificate and key (re-read when they change); `off` when only one of the two is set. */
  tls: { certFile: string; keyFile: string; reloadMillis: number } | 'off' | undefined;
  /** Scrapes must carry this bearer token or these basic-auth credentials (values, or files holding them). */
  auth: {
    bearerToken?: string;
    bearerTokenFile?: string;
    basicUsername?: string;
    basicPassword?: string;
    basicPasswordFile?: string;
  };
}

/** The values OTEL_LOG_LEVEL takes (the specification's, case-insensitive). */
export const OTEL_LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export type OtelLogLevel = (typeof OTEL_LOG_LEVELS)[number];

export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'serviceinstance';
export const RESOURCE_DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance'];

export interface ConfigResult {
  config: KitConfig;
  problems: string[];
}

export type Env = Record<string, string | undefined>;

export const DEFAULT_CONFIG: KitConfig = {
  enabled: true,
  exporters: ['prometheus'],
  prometheus: { host: '127.0.0.1', port: 9464, scrapeCacheMillis: 0, tls: undefined, auth: {} },
  // 3 MiB: under the OTLP/gRPC receiver's 4 MiB default (and OTLP/HTTP's 20 MiB), with margin.
  otlp: { protocol: 'http/protobuf', maxRequestBytes: 3 * 1024 * 1024 },
  exportIntervalMillis: 60_000,
  exportTimeoutMillis: 30_000,
  workspace: {
    enabled: false,
    labelName: DEFAULT_WORKSPACE_LABEL,
    allowlist: [],
    allowlistFile: undefined,
    allowlistPollMillis: 30_000,
    sampleRate: 0,
    mode: 'enforce',
    passthroughLimit: 2_000,
  },
  collectorIntervalMillis: 5_000,
  recordingPath: 'fast',
  logLevel: undefined,
  runtimeMetrics: true,
  resourceDetectors: [...RESOURCE_DETECTORS],
};

/** Variables this module reads: the README's table and the malformed-value test enumerate it. */
export const CONFIG_VARIABLES = [
  'METRICS_ENABLED',
  'OTEL_SDK_DISABLED',
  'OTEL_METRICS_EXPORTER',
  'METRICS_HOST',
  'METRICS_PORT',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'METRICS_SCRAPE_CACHE_MS',
  'METRICS_TLS_CERT_FILE',
  'METRICS_TLS_KEY_FILE',
  'METRICS_TLS_RELOAD_INTERVAL',
  'METRICS_BEARER_TOKEN',
  'METRICS_BEARER_TOKEN_FILE',
  'METRICS_BASIC_AUTH_USERNAME',
  'METRICS_BASIC_AUTH_PASSWORD',
  'METRICS_BASIC_AUTH_PASSWORD_FILE',
  'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'METRICS_OTLP_MAX_REQUEST_BYTES',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  'METRICS_WORKSPACE_LABEL',
  'METRICS_WORKSPACE_LABEL_NAME',
  'METRICS_WORKSPACE_ALLOWLIST',
  'METRICS_WORKSPACE_ALLOWLIST_FILE',
  'METRICS_WORKSPACE_ALLOWLIST_POLL_INTERVAL',
  'METRICS_WORKSPACE_SAMPLE_RATE',
  'METRICS_WORKSPACE_POLICY',
  'METRICS_WORKSPACE_PASSTHROUGH_LIMIT',
  'METRICS_COLLECTOR_INTERVAL',
  'METRICS_RECORDING_PATH',
  'OTEL_LOG_LEVEL',
  'METRICS_RUNTIME',
  'OTEL_NODE_RESOURCE_DETECTORS',
] as const;

/** Shown in error lines: short and escaped, so a bad value cannot forge log lines. */
function quote(value: string): string {
  const shown = value.length > 40 ? value.slice(0, 40) + '…' : value;
  return JSON.stringify(shown);
}

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  problem(name: string, value: string, expected: string, fallback: string): void {
    this.problems.push(`${name}=${quote(value)} is invalid (${expected}); using ${fallback}`);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (['true', '1', 'on', 'yes'].includes(lower)) return true;
    if (['false', '0', 'off', 'no'].includes(lower)) return false;
    this.problem(name, value, 'expected on/off, true/false or 1/0', String(fallback));
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problem(name, value, `expected an integer from ${min} to ${max}`, String(fallback));
      return fallback;
    }
    return parsed;
  }

  fraction(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN;
    if (!(parsed >= 0 && parsed <= 1)) {
      this.problem(name, value, 'expected a number from 0 to 1', String(fallback));
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    this.problem(name, value, `expected one of ${allowed.join(', ')}`, fallback);
    return fallback;
  }
}

/** Comma-separated allowlist entries (`acme`, `team/ws`, `team/*`) → canonical, de-duplicated list; bad entries are reported and skipped. */
export function parseAllowlist(value: string, source: string, problems: string[]): string[] {
  const out = new Set<string>();
  const entries = value.split(/[,\n]/);
  entries.forEach((entry, index) => {
    const trimmed = entry.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const canonical = canonicalAllowlistEntry(trimmed);
    if (canonical === undefined) {
      problems.push(
        `${source}: entry #${index + 1} is not a canonical workspace id ` +
          `(${ALLOWLIST_ENTRY_SHAPE}); skipping that entry`,
      );
    } else {
      out.add(canonical);
    }
  });
  return [...out];
}

const HOST_PATTERN = /^[A-Za-z0-9.:[\]-]+$/;
const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

export function readConfig(env: Env = process.env): ConfigResult {
  const r = new Reader(env);
  const d = DEFAULT_CONFIG;

  // Either switch turns everything off; the kit's METRICS_ENABLED and OTel's OTEL_SDK_DISABLED are equals.
  const enabled = r.bool('METRICS_ENABLED', true) && !sdkDisabled(r);

  const exporters = readExporters(r);

  // The kit's own METRICS_* names win over OTel's OTEL_EXPORTER_PROMETHEUS_* when both are set.
  const hostVar = r.raw('METRICS_HOST') !== undefined ? 'METRICS_HOST' : 'OTEL_EXPORTER_PROMETHEUS_HOST';
  let host = r.raw(hostVar) ?? d.prometheus.host;
  if (!HOST_PATTERN.test(host)) {
    r.problem(hostVar, host, 'expected a host name or IP address', d.prometheus.host);
    host = d.prometheus.host;
  }
  const portVar = r.raw('METRICS_PORT') !== undefined ? 'METRICS_PORT' : 'OTEL_EXPORTER_PROMETHEUS_PORT';
  const port = r.integer(portVar, d.prometheus.port, 1, 65_535);

  const endpoint = readEndpointSecurity(r);
  const scrapeCacheMillis = r.integer('METRICS_SCRAPE_CACHE_MS', d.prometheus.scrapeCacheMillis, 0, 60_000);

  const protocols = ['http/protobuf', 'http/json', 'grpc'] as const;
  const protocolVar =
    r.raw('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = r.oneOf(protocolVar, protocols, d.otlp.protocol);
  // 16 KiB at least: a request must hold the resource and one metric's descriptor and data point.
  const maxRequestBytes = r.integer('METRICS_OTLP_MAX_REQUEST_BYTES', d.otlp.maxRequestBytes, 16_384, 1_073_741_824);

  const exportIntervalMillis = r.integer('OTEL_METRIC_EXPORT_INTERVAL', d.exportIntervalMillis, 100, 86_400_000);
  let exportTimeoutMillis = r.integer('OTEL_METRIC_EXPORT_TIMEOUT', d.exportTimeoutMillis, 1, 86_400_000);
  if (exportTimeoutMillis > exportIntervalMillis) {
    // The SDK refuses a timeout longer than the interval; clamp instead of failing.
    exportTimeoutMillis = exportIntervalMillis;
  }

  const workspaceEnabled = r.bool('METRICS_WORKSPACE_LABEL', d.workspace.enabled);
  let labelName = r.raw('METRICS_WORKSPACE_LABEL_NAME') ?? d.workspace.labelName;
  if (!LABEL_NAME_PATTERN.test(labelName) || labelName.startsWith('__')) {
    r.problem('METRICS_WORKSPACE_LABEL_NAME', labelName, 'expected a Prometheus label name', d.workspace.labelName);
    labelName = d.workspace.labelName;
  }
  const allowlistRaw = r.raw('METRICS_WORKSPACE_ALLOWLIST');
  const allowlist = allowlistRaw === undefined ? [] : parseAllowlist(allowlistRaw, 'METRICS_WORKSPACE_ALLOWLIST', r.problems);
  const allowlistFile = r.raw('METRICS_WORKSPACE_ALLOWLIST_FILE');
  const allowlistPollMillis =
    r.integer('METRICS_WORKSPACE_ALLOWLIST_POLL_INTERVAL', d.workspace.allowlistPollMillis / 1000, 1, 86_400) * 1000;
  const sampleRate = r.fraction('METRICS_WORKSPACE_SAMPLE_RATE', d.workspace.sampleRate);
  const mode = r.oneOf('METRICS_WORKSPACE_POLICY', ['enforce', 'passthrough'] as const, d.workspace.mode);
  const passthroughLimit = r.integer('METRICS_WORKSPACE_PASSTHROUGH_LIMIT', d.workspace.passthroughLimit, 0, 1_000_000);

  const collectorIntervalMillis = r.integer('METRICS_COLLECTOR_INTERVAL', d.collectorIntervalMillis / 1000, 1, 86_400) * 1000;
  const recordingPath = r.oneOf('METRICS_RECORDING_PATH', ['fast', 'views'] as const, d.recordingPath);
  const logLevel = r.raw('OTEL_LOG_LEVEL') === undefined ? undefined : r.oneOf('OTEL_LOG_LEVEL', OTEL_LOG_LEVELS, 'info');
  const runtimeMetrics = r.bool('METRICS_RUNTIME', d.runtimeMetrics);
  const resourceDetectors = readResourceDetectors(r, d.resourceDetectors);

  return {
    config: {
      enabled,
      exporters,
      prometheus: { host, port, scrapeCacheMillis, ...endpoint },
      otlp: { protocol, maxRequestBytes },
      exportIntervalMillis,
      exportTimeoutMillis,
      workspace: { enabled: workspaceEnabled, labelName, allowlist, allowlistFile, allowlistPollMillis, sampleRate, mode, passthroughLimit },
      collectorIntervalMillis,
      recordingPath,
      logLevel,
      runtimeMetrics,
      resourceDetectors,
    },
    problems: r.problems,
  };
}

/**
 * OTEL_SDK_DISABLED: the specification's boolean, where only `true`
 * (case-insensitive) is true and every other value is false. A value that
 * looks meant as true (`1`, `yes`, `on`) says so in one line, since it does
 * not disable anything.
 */
function sdkDisabled(r: Reader): boolean {
  const value = r.raw('OTEL_SDK_DISABLED');
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower !== 'false') r.problem('OTEL_SDK_DISABLED', value, 'only true disables, as the OpenTelemetry specification says', 'false (enabled)');
  return false;
}

/** The NodeSDK's convention: a comma-separated list of env, host, os, process, serviceinstance, or all / none. */
function readResourceDetectors(r: Reader, fallback: readonly ResourceDetectorName[]): ResourceDetectorName[] {
  const value = r.raw('OTEL_NODE_RESOURCE_DETECTORS');
  if (value === undefined) return [...fallback];
  const names = value.split(',').map((part) => part.trim().toLowerCase()).filter((part) => part !== '');
  if (names.includes('none')) return [];
  if (names.includes('all')) return [...RESOURCE_DETECTORS];
  const known = names.filter((name): name is ResourceDetectorName => (RESOURCE_DETECTORS as readonly string[]).includes(name));
  const unknown = names.filter((name) => !(RESOURCE_DETECTORS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    r.problem('OTEL_NODE_RESOURCE_DETECTORS', unknown.join(','), `expected ${RESOURCE_DETECTORS.join(', ')}, all or none`, known.length > 0 ? known.join(',') : 'none');
  }
  return [...new Set(known)];
}

function readExporters(r: Reader): ExporterKind[] {
  const value = r.raw('OTEL_METRICS_EXPORTER');
  if (value === undefined) return [...DEFAULT_CONFIG.exporters];
  const out: ExporterKind[] = [];
  const unknown: string[] = [];
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === 'none') return [];
    if (name === 'prometheus' || name === 'otlp' || name === 'console') {
      if (!out.includes(name)) out.push(name);
    } else if (name !== '') {
      unknown.push(part.trim());
    }
  }
  const expected = 'expected prometheus, otlp, console, a comma-separated list of them, or none';
  if (out.length === 0) {
    r.problem('OTEL_METRICS_EXPORTER', value, expected, 'prometheus');
    return ['prometheus'];
  }
  if (unknown.length > 0) r.problem('OTEL_METRICS_EXPORTER', unknown.join(','), expected, out.join(','));
  return out;
}

/** Credentials are checked for shape only and never quoted in a problem line. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

function readEndpointSecurity(r: Reader): Pick<PrometheusEndpointConfig, 'tls' | 'auth'> {
  const certFile = r.raw('METRICS_TLS_CERT_FILE');
  const keyFile = r.raw('METRICS_TLS_KEY_FILE');
  const reloadMillis = r.integer('METRICS_TLS_RELOAD_INTERVAL', 60, 1, 86_400) * 1000;
  let tls: PrometheusEndpointConfig['tls'];
  if (certFile !== undefined && keyFile !== undefined) tls = { certFile, keyFile, reloadMillis };
  else if (certFile !== undefined || keyFile !== undefined) {
    const missing = certFile === undefined ? 'METRICS_TLS_CERT_FILE' : 'METRICS_TLS_KEY_FILE';
    r.problems.push(`${missing} is not set while ${missing === 'METRICS_TLS_CERT_FILE' ? 'METRICS_TLS_KEY_FILE' : 'METRICS_TLS_CERT_FILE'} is (TLS needs both); using no embedded endpoint rather than serving in the clear`);
    tls = 'off';
  }
  const auth: PrometheusEndpointConfig['auth'] = {};
  const secret = (name: string): string | undefined => {
    const value = r.raw(name);
    if (value === undefined || TOKEN_PATTERN.test(value)) return value;
    r.problems.push(`${name} is invalid (expected visible ASCII characters, no spaces; the value is not shown); using a credential nobody has, so scrapes are refused`);
    return '\u0000';
  };
  auth.bearerToken = secret('METRICS_BEARER_TOKEN');
  auth.bearerTokenFile = r.raw('METRICS_BEARER_TOKEN_FILE');
  const username = r.raw('METRICS_BASIC_AUTH_USERNAME');
  auth.basicPassword = secret('METRICS_BASIC_AUTH_PASSWORD');
  auth.basicPasswordFile = r.raw('METRICS_BASIC_AUTH_PASSWORD_FILE');
  if (username !== undefined && (username.includes(':') || !TOKEN_PATTERN.test(username))) {
    r.problem('METRICS_BASIC_AUTH_USERNAME', username, 'expected visible ASCII characters without a colon', 'a username nobody has, so scrapes are refused');
    auth.basicUsername = '\u0000';
  } else auth.basicUsername = username;
  const hasPassword = auth.basicPassword !== undefined || auth.basicPasswordFile !== undefined;
  if (auth.basicUsername !== undefined && !hasPassword) {
    r.problems.push('METRICS_BASIC_AUTH_USERNAME is set without METRICS_BASIC_AUTH_PASSWORD or METRICS_BASIC_AUTH_PASSWORD_FILE; using a password nobody has, so scrapes are refused');
    auth.basicPassword = '\u0000';
  } else if (auth.basicUsername === undefined && hasPassword) {
    const which = auth.basicPassword !== undefined ? 'METRICS_BASIC_AUTH_PASSWORD' : 'METRICS_BASIC_AUTH_PASSWORD_FILE';
    r.problems.push(`${which} is set without METRICS_BASIC_AUTH_USERNAME; using a username nobody has, so scrapes are refused`);
    auth.basicUsername = '\u0000';
  }
  return { tls, auth };
}
