/**
 * HTTP server request and response body sizes, per the semantic
 * conventions' `http.server.{request,response}.body.size`, recorded by the
 * same diagnostics-channel hook as the request duration, with its labels.
 *
 * What is measured (no stream is wrapped or read, so nothing changes for the app):
 * - request: the `Content-Length` request header; a request with neither
 *   `Content-Length` nor `Transfer-Encoding` has no body and records 0; a
 *   chunked request body has no known size and is not recorded;
 * - response: the `Content-Length` response header the app set, else the
 *   length Node computed for a body passed whole to `end(body)`; HEAD, 1xx,
 *   204 and 304 responses record 0; a streamed (chunked) response body has no
 *   known size and is not recorded.
 * So a size histogram's `_count` can be lower than the duration's.
 */
import type { MetricDeclaration } from '../model/types';
import { HTTP_ATTRIBUTES } from './http';

/** Bytes, ×4 from 256 B to 64 MiB, with 0 for empty bodies. */
export const BODY_SIZE_BUCKETS_BYTES: readonly number[] = [
  0, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

const LABELS = [HTTP_ATTRIBUTES.method, HTTP_ATTRIBUTES.route, HTTP_ATTRIBUTES.statusCode];

export const httpServerRequestBodySize: MetricDeclaration = {
  name: 'http.server.request.body.size',
  kind: 'histogram',
  unit: 'By',
  description: 'HTTP server request body size in bytes (from Content-Length), by method, route template and status code.',
  labels: LABELS,
  buckets: BODY_SIZE_BUCKETS_BYTES,
};

export const httpServerResponseBodySize: MetricDeclaration = {
  name: 'http.server.response.body.size',
  kind: 'histogram',
  unit: 'By',
  description: 'HTTP server response body size in bytes (from Content-Length), by method, route template and status code.',
  labels: LABELS,
  buckets: BODY_SIZE_BUCKETS_BYTES,
};

export const HTTP_SIZE_METRICS = [httpServerRequestBodySize, httpServerResponseBodySize] as const;

const DECIMAL = /^\d{1,15}$/;

function lengthOf(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text === 'number') return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : undefined;
}

/** Request body size from its headers, or undefined when unknown (chunked). */
export function requestBodySize(headers: Record<string, unknown>): number | undefined {
  const declared = lengthOf(headers['content-length']);
  if (declared !== undefined) return declared;
  if (headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) return 0;
  return undefined;
}

/** The parts of a ServerResponse the size needs (Node's computed length is internal, so it is read defensively). */
export interface ResponseLike {
  statusCode: number;
  getHeader(name: string): unknown;
  _contentLength?: unknown;
}

/** Response body size, or undefined when unknown (streamed with chunked encoding). */
export function responseBodySize(method: string | undefined, response: ResponseLike): number | undefined {
  const code = response.statusCode;
  if (method === 'HEAD' || code < 200 || code === 204 || code === 304) return 0;
  return lengthOf(response.getHeader('content-length')) ?? lengthOf(response._contentLength);
}
