/** HTTP server metrics per the semantic conventions, with the route normalized at the source. */
import type { MetricDeclaration } from '../model/types';

export const HTTP_ATTRIBUTES = {
  method: 'http.request.method',
  route: 'http.route',
  statusCode: 'http.response.status_code',
} as const;

export const httpServerRequestDuration: MetricDeclaration = {
  name: 'http.server.request.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of HTTP server requests, by method, route template and status code.',
  labels: [HTTP_ATTRIBUTES.method, HTTP_ATTRIBUTES.route, HTTP_ATTRIBUTES.statusCode],
  // The semantic conventions' advised buckets.
  buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
};

export const HTTP_METRICS = [httpServerRequestDuration] as const;
