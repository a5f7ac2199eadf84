/** HTTP server: traffic, errors, latency and body sizes per route template. */
import { httpServerRequestDuration, HTTP_ATTRIBUTES } from '../../catalogue/http';
import { httpServerRequestBodySize, httpServerResponseBodySize } from '../../catalogue/http-sizes';
import { bucket, count } from '../metrics';
import { quantile, rate, selector, sumBy } from '../promql';
import { QUANTILES, recorded } from '../rules';
import { JOB, RATE_INTERVAL, pct, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

export function httpDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  const status = HTTP_ATTRIBUTES.statusCode.replace(/\./g, '_');
  const route = HTTP_ATTRIBUTES.route.replace(/\./g, '_');
  const method = HTTP_ATTRIBUTES.method.replace(/\./g, '_');
  const requests = count(httpServerRequestDuration);
  const routeLegend = `{{${method}}} {{${route}}}`;
  return {
    uid: ctx.uid('http'),
    title: ctx.title('HTTP server'),
    description: 'HTTP server requests per the OpenTelemetry semantic conventions: route templates, never raw paths.',
    file: 'http.json',
    variables: ['job'],
    rows: [
      {
        title: 'Traffic and errors',
        panels: [
          {
            title: 'Requests per second by status code',
            description: 'Requests served per second, per response status code.',
            unit: 'reqps',
            targets: [{ expr: sumBy([status], rate(selector(requests, S), RATE_INTERVAL)), legend: `{{${status}}}` }],
          },
          {
            title: 'Requests per second by route',
            description: 'Requests served per second, per method and route template.',
            unit: 'reqps',
            targets: [{ expr: sumBy([method, route], rate(selector(requests, S), RATE_INTERVAL)), legend: routeLegend }],
          },
          {
            title: '5xx ratio',
            description: `Share of requests answered with a 5xx status (recording rule ${recorded.httpErrorRatio()}; alert: HttpErrorRateHigh).`,
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: selector(recorded.httpErrorRatio(), [JOB]), legend: '{{job}}' }],
          },
          {
            title: 'Client errors (4xx) by route',
            description: '4xx responses per second, per route and status code.',
            unit: 'reqps',
            targets: [
              { expr: sumBy([route, status], rate(selector(requests, [...S, `${status}=~"4.."`]), RATE_INTERVAL)), legend: `{{${route}}} {{${status}}}` },
            ],
          },
        ],
      },
      {
        title: 'Latency',
        panels: [
          {
            title: 'Request duration percentiles',
            description: `p50, p95 and p99 over 5 minutes (recording rules ${recorded.httpQuantile(0.95)} and siblings; alert: HttpLatencyHigh).`,
            unit: 's',
            targets: QUANTILES.map((q) => ({ expr: selector(recorded.httpQuantile(q), [JOB]), legend: `${pct(q)} {{job}}` })),
          },
          quantileByPanel('p95 by route', 'p95 request duration per method and route.', httpServerRequestDuration, 'baseline', S, [method, route], routeLegend),
          {
            title: 'Slowest routes (p95)',
            description: 'The 10 routes with the highest p95 duration.',
            unit: 's',
            type: 'table',
            targets: [{ expr: `topk(10, ${quantile(0.95, [method, route], selector(bucket(httpServerRequestDuration), S), RATE_INTERVAL)})`, legend: routeLegend }],
          },
        ],
      },
      {
        title: 'Body sizes',
        panels: [
          quantileByPanel('Request body size (p95) by route', 'p95 request body size from Content-Length.', httpServerRequestBodySize, 'baseline', S, [method, route], routeLegend, 'bytes'),
          quantileByPanel('Response body size (p95) by route', 'p95 response body size from Content-Length.', httpServerResponseBodySize, 'baseline', S, [method, route], routeLegend, 'bytes'),
        ],
      },
    ],
  };
}
