/**
 * Failed OTLP export requests, counted by exporter and reason for the
 * self-metric `otel_workspace_metrics_export_failures_total{exporter,reason}`
 * (src/catalogue/self.ts) and logged as one rate-limited line per reason.
 *
 * The unit counted is one failed export REQUEST: a collection split into
 * several requests (export-split.ts) counts each request that failed, and a
 * data point too large for any request counts once per collection. Requests
 * the exporter retried (HTTP 429/502/503/504, network errors) count once, with
 * the reason of their last attempt.
 */
import type { OtlpProtocol } from '../config/env';
import { warnRateLimited } from '../log';

/** The bounded set of `reason` values. */
export const EXPORT_FAILURE_REASONS = ['too_large', 'refused', 'unavailable', 'timeout', 'network', 'other'] as const;
export type ExportFailureReason = (typeof EXPORT_FAILURE_REASONS)[number];

/** The `exporter` label: the OTLP transport. */
export type ExporterLabel = 'otlp_http' | 'otlp_grpc';

export function exporterLabel(protocol: OtlpProtocol): ExporterLabel {
  return protocol === 'grpc' ? 'otlp_grpc' : 'otlp_http';
}

/** An error the kit raises itself, with its reason decided (a data point no request can hold). */
export class ExportFailure extends Error {
  constructor(
    message: string,
    readonly reason: ExportFailureReason,
  ) {
    super(message);
  }
}

const TOO_LARGE_TEXT = /too large|larger than max|exceeds? (the )?(max|limit)|message size|body size/i;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);

/** gRPC status codes (grpc-js `status`), by number. */
const GRPC = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

function text(error: { message?: unknown; details?: unknown; data?: unknown }): string {
  return [error.message, error.details, error.data].filter((part) => typeof part === 'string').join(' ');
}

/**
 * The reason of a failed export, from what the exporters report: the HTTP
 * status (OTLPExporterError.code), the gRPC status (ServiceError.code), a
 * network error code (`ECONNREFUSED`...), or the exporters' own messages.
 */
export function failureReason(error: unknown): ExportFailureReason {
  if (error instanceof ExportFailure) return error.reason;
  if (typeof error !== 'object' || error === null) return 'other';
  const e = error as { name?: unknown; code?: unknown; message?: unknown; details?: unknown; data?: unknown };
  const message = text(e);
  if (typeof e.code === 'string') {
    if (e.code === 'ETIMEDOUT') return 'timeout';
    // TLS: the connection could not be established (unverifiable or expired certificate, wrong host name).
    if (NETWORK_CODES.has(e.code) || /CERT|TLS|SSL|SIGNATURE/.test(e.code)) return 'network';
  }
  if (typeof e.code === 'number' && e.code >= 100) return httpReason(e.code, message);
  if (typeof e.code === 'number' && 'details' in e) return grpcReason(e.code, message);
  if (/timed? ?out|timeout|deadline/i.test(message)) return 'timeout';
  // The HTTP exporter's last retryable answer (429, 502, 503, 504) comes without its status.
  if (/retryable status/i.test(message)) return 'unavailable';
  if (/ECONNREFUSED|ECONNRESET|socket hang up|EHOSTUNREACH|ENOTFOUND/.test(message)) return 'network';
  return 'other';
}

function httpReason(status: number, message: string): ExportFailureReason {
  if (status === 413) return 'too_large';
  if (status === 408) return 'timeout';
  if (status === 429 || status >= 500) return 'unavailable';
  // The collector answers a body over max_request_body_size with 400 and "request body too large".
  if (status === 400 && TOO_LARGE_TEXT.test(message)) return 'too_large';
  if (status >= 400) return 'refused';
  return 'other';
}

function grpcReason(code: number, message: string): ExportFailureReason {
  switch (code) {
    case GRPC.RESOURCE_EXHAUSTED:
      // grpc-go refuses a message over max_recv_msg_size_mib with RESOURCE_EXHAUSTED "received message larger than max".
      return TOO_LARGE_TEXT.test(message) ? 'too_large' : 'unavailable';
    case GRPC.DEADLINE_EXCEEDED:
      return 'timeout';
    case GRPC.UNAVAILABLE:
      return /ECONNREFUSED|ECONNRESET|No connection established|connect/i.test(message) ? 'network' : 'unavailable';
    case GRPC.ABORTED:
      return 'unavailable';
    case GRPC.INVALID_ARGUMENT:
    case GRPC.NOT_FOUND:
    case GRPC.PERMISSION_DENIED:
    case GRPC.FAILED_PRECONDITION:
    case GRPC.UNIMPLEMENTED:
    case GRPC.UNAUTHENTICATED:
      return 'refused';
    default:
      return 'other';
  }
}

const HINTS: Record<ExportFailureReason, string> = {
  too_large: 'the receiver refused the request size: lower METRICS_OTLP_MAX_REQUEST_BYTES under its limit',
  refused: 'the receiver refused the data; values are kept and sent at the next interval',
  unavailable: 'values are kept and sent at the next interval',
  timeout: 'values are kept and sent at the next interval',
  network: 'values are kept and sent at the next interval',
  other: 'values are kept and sent at the next interval',
};

/**
 * The failure counts of one kit (owned by its runtime). `record` counts and
 * logs: the first failure of a reason at once, then at most one line per
 * reason per minute, saying how many were suppressed.
 */
export class ExportFailures {
  private readonly counts = new Map<string, { exporter: ExporterLabel; reason: ExportFailureReason; count: number }>();

  constructor(readonly exporters: readonly ExporterLabel[]) {
    for (const exporter of exporters) for (const reason of EXPORT_FAILURE_REASONS) this.counts.set(`${exporter}|${reason}`, { exporter, reason, count: 0 });
  }

  record(exporter: ExporterLabel, reason: ExportFailureReason, what: string, message: string): void {
    const key = `${exporter}|${reason}`;
    let entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, (entry = { exporter, reason, count: 0 }));
    entry.count++;
    warnRateLimited(`export:${key}`, `${what} export failed [reason=${reason}] (${message}); ${HINTS[reason]}`);
  }

  /** Every (exporter, reason) pair of the configured exporters, zeros included (so alerts see the first increase). */
  snapshot(): { exporter: ExporterLabel; reason: ExportFailureReason; count: number }[] {
    return [...this.counts.values()].map((entry) => ({ ...entry }));
  }
}
