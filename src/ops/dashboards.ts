/**
 * Grafana dashboards, built from the catalogue declarations and the
 * recording-rule names: overview, workspace drill-down, queue & lease health,
 * HTTP, resilience, and dependencies (caches, database, message bus,
 * sessions). Conventions: a fixed `uid` per dashboard, a `$datasource`
 * variable of type datasource (no `${DS_...}` import inputs), every panel and
 * target on `${datasource}`, a unit on every panel, `$__rate_interval` in
 * every rate.
 */
import { httpServerRequestDuration, HTTP_ATTRIBUTES } from '../catalogue/http';
import { httpServerRequestBodySize, httpServerResponseBodySize } from '../catalogue/http-sizes';
import { cacheEvictions, cacheOperations, cacheSize } from '../catalogue/cache';
import {
  circuitBreakerState,
  circuitBreakerTransitions,
  circuitBreakerTrips,
  deadLetterQueueReplays,
  deadLetterQueueSize,
  rateLimiterDelay,
  retryAttempts,
  retrySuccesses,
} from '../catalogue/resilience';
import { workerActive, workerHealth, workerRestarts } from '../catalogue/workers';
import { databaseErrors, databaseOperationDuration } from '../catalogue/database';
import { messageBusMessages, messageBusProcessingDuration, messageBusQueueDepth } from '../catalogue/messaging';
import { sessionActive, sessionDuration, sessionRefreshes } from '../catalogue/sessions';
import { allowlistLastReload, allowlistReloadErrors, allowlistSize, workspaceFolded, workspaceUnlistedEstimate } from '../catalogue/self';
import type { OpsOptions } from './options';
import {
  ACTION_FAMILY,
  COLLECTOR_METRICS,
  QUEUE_HEALTH,
  QUEUE_JOB_FAMILY,
  WORKFLOW_FAMILY,
  WORKFLOW_STEP_FAMILY,
  bucket,
  count,
  series,
  type ExecutionFamily,
} from './metrics';
import { maxBy, minBy, quantile, rate, selector, sumBy } from './promql';
import { QUANTILES, recorded } from './rules';

export const RATE_INTERVAL = '$__rate_interval';
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
export const DASHBOARD_TAG = 'otel-workspace-metrics';

/** Grafana unit ids used by the panels. */
export type Unit = 'ops' | 'reqps' | 'percentunit' | 's' | 'short' | 'bytes';

export interface TargetSpec {
  readonly expr: string;
  readonly legend: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: Unit;
  readonly targets: readonly TargetSpec[];
  readonly type?: 'timeseries' | 'stat' | 'table';
  readonly width?: number;
  readonly min?: number;
  readonly max?: number;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export type VariableName = 'job' | 'workspace';

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly file: string;
  readonly variables: readonly VariableName[];
  readonly rows: readonly RowSpec[];
}

const JOB = 'job=~"$job"';
const pct = (q: number) => `p${Math.round(q * 100)}`;

// ---- reusable panels -------------------------------------------------------

function executionsPanel(family: ExecutionFamily, stream: 'baseline' | 'workspace', matchers: string[], groupBy: string[], legend: string): PanelSpec {
  return {
    title: `${capitalize(family.noun)} per second`,
    description: `${capitalize(family.noun)} per second by ${groupBy.join(', ')} (${series(family.counter, stream)}).`,
    unit: 'ops',
    targets: [{ expr: sumBy(groupBy, rate(selector(series(family.counter, stream), matchers), RATE_INTERVAL)), legend }],
  };
}

function failureRatioPanel(family: ExecutionFamily, level: 'job' | 'workspace', matcher: string, legend: string): PanelSpec {
  return {
    title: `${capitalize(family.noun)}: failure ratio`,
    description: `Share of ${family.noun} ending in error or timeout over 5 minutes (recording rule ${recorded.failureRatio(level, family)}).`,
    unit: 'percentunit',
    min: 0,
    max: 1,
    targets: [{ expr: selector(recorded.failureRatio(level, family), [matcher]), legend }],
  };
}

function percentilesPanel(family: ExecutionFamily, level: 'job' | 'workspace', matcher: string, legendSuffix: string): PanelSpec {
  return {
    title: `${capitalize(family.noun)}: duration percentiles`,
    description: `p50, p95 and p99 of ${family.noun} durations over 5 minutes (recording rules ${recorded.quantile(level, family, 0.95)} and siblings).`,
    unit: 's',
    targets: QUANTILES.map((q) => ({ expr: selector(recorded.quantile(level, family, q), [matcher]), legend: `${pct(q)}${legendSuffix}` })),
  };
}

function quantileByPanel(title: string, description: string, decl: Parameters<typeof bucket>[0], stream: 'baseline' | 'workspace', matchers: string[], groupBy: string[], legend: string, unit: Unit = 's', quantiles: readonly number[] = [0.95]): PanelSpec {
  return {
    title,
    description,
    unit,
    targets: quantiles.map((q) => ({
      expr: quantile(q, groupBy, selector(bucket(decl, stream), matchers), RATE_INTERVAL),
      legend: quantiles.length > 1 ? `${pct(q)} ${legend}`.trim() : legend,
    })),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- dashboards ----------------------------------------------------------

function overview(options: OpsOptions): DashboardSpec {
  const folded = series(workspaceFolded);
  return {
    uid: 'owm-overview',
    title: 'Workspace metrics / Overview',
    description: 'Executions, failures and latency per service, the workspace label policy and the metrics pipeline.',
    file: 'overview.json',
    variables: ['job'],
    rows: [
      {
        title: 'Actions',
        panels: [
          executionsPanel(ACTION_FAMILY, 'baseline', [JOB], ['status'], '{{status}}'),
          failureRatioPanel(ACTION_FAMILY, 'job', JOB, '{{job}}'),
          percentilesPanel(ACTION_FAMILY, 'job', JOB, ' {{job}}'),
          quantileByPanel('Slowest actions (p95)', 'p95 duration per provider and action.', ACTION_FAMILY.histogram, 'baseline', [JOB], ['provider', 'action'], '{{provider}} {{action}}'),
        ],
      },
      {
        title: 'Workflows',
        panels: [
          executionsPanel(WORKFLOW_FAMILY, 'baseline', [JOB], ['status'], '{{status}}'),
          failureRatioPanel(WORKFLOW_FAMILY, 'job', JOB, '{{job}}'),
          percentilesPanel(WORKFLOW_FAMILY, 'job', JOB, ' {{job}}'),
          executionsPanel(WORKFLOW_STEP_FAMILY, 'baseline', [JOB], ['step_type', 'status'], '{{step_type}} {{status}}'),
          quantileByPanel('Workflow steps: p95 by step type', 'p95 step duration per step type.', WORKFLOW_STEP_FAMILY.histogram, 'baseline', [JOB], ['step_type'], '{{step_type}}'),
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'baseline', [JOB], ['job_type', 'status'], '{{job_type}} {{status}}'),
          failureRatioPanel(QUEUE_JOB_FAMILY, 'job', JOB, '{{job}}'),
          percentilesPanel(QUEUE_JOB_FAMILY, 'job', JOB, ' {{job}}'),
        ],
      },
      {
        title: 'HTTP server',
        panels: [
          {
            title: 'HTTP requests per second',
            description: `Requests served per second (recording rule ${recorded.httpRate()}). Details: the HTTP dashboard.`,
            unit: 'reqps',
            targets: [{ expr: selector(recorded.httpRate(), [JOB]), legend: '{{job}}' }],
          },
          {
            title: 'HTTP 5xx ratio',
            description: `Share of requests answered with a 5xx status (recording rule ${recorded.httpErrorRatio()}).`,
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: selector(recorded.httpErrorRatio(), [JOB]), legend: '{{job}}' }],
          },
          {
            title: 'HTTP p95 latency',
            description: `p95 request duration (recording rule ${recorded.httpQuantile(0.95)}).`,
            unit: 's',
            targets: [{ expr: selector(recorded.httpQuantile(0.95), [JOB]), legend: '{{job}}' }],
          },
        ],
      },
      {
        title: 'Workspace label policy',
        panels: [
          {
            title: 'Share of workspace recordings folded into __other__',
            description: `Per _by_workspace family: recordings whose ${options.workspaceLabel} was not allowlisted (recording rule ${recorded.workspaceFoldedRatio()}).`,
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: selector(recorded.workspaceFoldedRatio(), [JOB]), legend: '{{job}} {{metric}}' }],
          },
          {
            title: 'Folded recordings per second',
            description: `Recordings folded into __other__ per second, per family (${folded}).`,
            unit: 'ops',
            targets: [{ expr: sumBy(['job', 'metric'], rate(selector(folded, [JOB]), RATE_INTERVAL)), legend: '{{job}} {{metric}}' }],
          },
          {
            title: 'Unlisted workspaces and allowlist size',
            description: 'Distinct workspaces folded in the last 10 to 20 minutes (estimate) next to the number of allowlist entries.',
            unit: 'short',
            targets: [
              { expr: maxBy(['job'], selector(series(workspaceUnlistedEstimate), [JOB])), legend: 'unlisted {{job}}' },
              { expr: maxBy(['job'], selector(series(allowlistSize), [JOB])), legend: 'allowlisted {{job}}' },
            ],
          },
          {
            title: 'Allowlist reload errors per second',
            description: 'Failed loads of a dynamic allowlist source (file, database...); the source keeps its last good list.',
            unit: 'ops',
            targets: [{ expr: sumBy(['job', 'source'], rate(selector(series(allowlistReloadErrors), [JOB]), RATE_INTERVAL)), legend: '{{job}} {{source}}' }],
          },
          {
            title: 'Time since the last allowlist reload',
            description: 'Age of the allowlist in use.',
            unit: 's',
            targets: [{ expr: `time() - ${maxBy(['job'], selector(series(allowlistLastReload), [JOB]))}`, legend: '{{job}}' }],
          },
        ],
      },
      {
        title: 'Metrics pipeline',
        panels: [
          {
            title: 'Scrape targets up',
            description: 'Targets Prometheus scrapes successfully, per scrape job (collector, collector telemetry, embedded endpoints).',
            unit: 'short',
            targets: [{ expr: 'sum by (job) (up)', legend: '{{job}}' }],
          },
          {
            title: 'Collector: exported metric points per second',
            description: 'Metric points the collector exporters sent and failed to send (alert: OtelCollectorExportFailing).',
            unit: 'ops',
            targets: [
              { expr: sumBy(['exporter'], rate(COLLECTOR_METRICS.exporterSent, RATE_INTERVAL)), legend: 'sent {{exporter}}' },
              {
                // 0 (not "no data") for an exporter that never failed: the counter only appears with the first failure.
                expr: `${sumBy(['exporter'], rate(COLLECTOR_METRICS.exporterSendFailed, RATE_INTERVAL))}\nor\n${sumBy(['exporter'], rate(COLLECTOR_METRICS.exporterSent, RATE_INTERVAL))} * 0`,
                legend: 'failed {{exporter}}',
              },
            ],
          },
          {
            title: 'Collector: received metric points per second',
            description: 'Metric points the OTLP receiver accepted and refused (refusals come from the memory limiter).',
            unit: 'ops',
            targets: [
              { expr: sumBy(['receiver', 'transport'], rate(COLLECTOR_METRICS.receiverAccepted, RATE_INTERVAL)), legend: 'accepted {{receiver}} {{transport}}' },
              { expr: sumBy(['receiver', 'transport'], rate(COLLECTOR_METRICS.receiverRefused, RATE_INTERVAL)), legend: 'refused {{receiver}} {{transport}}' },
            ],
          },
        ],
      },
    ],
  };
}

function workspace(options: OpsOptions): DashboardSpec {
  const W = `${options.workspaceLabel}="$workspace"`;
  const wsActions = recorded.rate('workspace', ACTION_FAMILY);
  return {
    uid: 'owm-workspace',
    title: 'Workspace metrics / Workspace drill-down',
    description: `One workspace (${options.workspaceLabel}) across services: actions, workflows and queue jobs from the _by_workspace streams. Only allowlisted workspaces have their own series; the others are in __other__.`,
    file: 'workspace.json',
    variables: ['workspace'],
    rows: [
      {
        title: 'Actions',
        panels: [
          executionsPanel(ACTION_FAMILY, 'workspace', [W], ['status'], '{{status}}'),
          failureRatioPanel(ACTION_FAMILY, 'workspace', W, '$workspace'),
          percentilesPanel(ACTION_FAMILY, 'workspace', W, ''),
          {
            title: 'Busiest actions',
            description: 'The 10 provider actions this workspace runs most.',
            unit: 'ops',
            targets: [
              {
                expr: `topk(10, ${sumBy(['provider', 'action'], rate(selector(series(ACTION_FAMILY.counter, 'workspace'), [W]), RATE_INTERVAL))})`,
                legend: '{{provider}} {{action}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Workflows',
        panels: [
          executionsPanel(WORKFLOW_FAMILY, 'workspace', [W], ['workflow', 'status'], '{{workflow}} {{status}}'),
          failureRatioPanel(WORKFLOW_FAMILY, 'workspace', W, '$workspace'),
          percentilesPanel(WORKFLOW_FAMILY, 'workspace', W, ''),
          executionsPanel(WORKFLOW_STEP_FAMILY, 'workspace', [W], ['step_type', 'status'], '{{step_type}} {{status}}'),
          quantileByPanel('Workflow steps: p95 by step type', 'p95 step duration per step type in this workspace.', WORKFLOW_STEP_FAMILY.histogram, 'workspace', [W], ['step_type'], '{{step_type}}'),
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'workspace', [W], ['job_type', 'status'], '{{job_type}} {{status}}'),
          failureRatioPanel(QUEUE_JOB_FAMILY, 'workspace', W, '$workspace'),
          percentilesPanel(QUEUE_JOB_FAMILY, 'workspace', W, ''),
        ],
      },
      {
        title: 'Among all workspaces',
        panels: [
          {
            title: 'Share of all action executions',
            description: 'This workspace\'s action executions over those of all workspaces (including __other__).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: `${selector(wsActions, [W])}\n/ scalar(sum(${wsActions}))`, legend: '$workspace' }],
          },
          {
            title: 'Busiest workspaces',
            description: `The 10 workspaces with the most action executions (recording rule ${wsActions}); __other__ holds every workspace not allowlisted.`,
            unit: 'ops',
            type: 'table',
            targets: [{ expr: `topk(10, ${wsActions})`, legend: `{{${options.workspaceLabel}}}` }],
          },
          {
            title: 'Highest action failure ratios',
            description: `The 10 workspaces whose action executions fail most (recording rule ${recorded.failureRatio('workspace', ACTION_FAMILY)}).`,
            unit: 'percentunit',
            type: 'table',
            targets: [{ expr: `topk(10, ${recorded.failureRatio('workspace', ACTION_FAMILY)})`, legend: `{{${options.workspaceLabel}}}` }],
          },
        ],
      },
    ],
  };
}

function queue(): DashboardSpec {
  return {
    uid: 'owm-queue',
    title: 'Workspace metrics / Queue & lease health',
    description: 'The Postgres run queue (queue-health collector), queue jobs and worker pools.',
    file: 'queue.json',
    variables: ['job'],
    rows: [
      {
        title: 'Queue',
        panels: [
          {
            title: 'Runs by status',
            description: 'Runs in the queue table per status (every replica running the collector reports the same table: max, not sum).',
            unit: 'short',
            targets: [{ expr: maxBy(['status'], selector(QUEUE_HEALTH.depth, [JOB])), legend: '{{status}}' }],
          },
          {
            title: 'Ready and scheduled runs',
            description: 'Queued runs due now (waiting for a worker) and scheduled for later.',
            unit: 'short',
            targets: [
              { expr: maxBy(['job'], selector(QUEUE_HEALTH.ready, [JOB])), legend: 'ready {{job}}' },
              { expr: maxBy(['job'], selector(QUEUE_HEALTH.future, [JOB])), legend: 'scheduled {{job}}' },
            ],
          },
          {
            title: 'Oldest ready run',
            description: 'How long the oldest due run has waited (alert: QueueOldestReadyRunTooOld).',
            unit: 's',
            type: 'stat',
            targets: [{ expr: maxBy(['job'], selector(QUEUE_HEALTH.oldestReadyAge, [JOB])), legend: '{{job}}' }],
          },
        ],
      },
      {
        title: 'Leases',
        panels: [
          {
            title: 'Running runs with an expired lease',
            description: 'Their worker probably died; should be 0 (alert: QueueExpiredLeases).',
            unit: 'short',
            type: 'stat',
            targets: [{ expr: maxBy(['job'], selector(QUEUE_HEALTH.expiredLeases, [JOB])), legend: '{{job}}' }],
          },
          {
            title: 'Running runs with an active lease',
            description: 'Work in progress; 0 with ready runs means no worker takes work (alert: QueueNoActiveWorkers).',
            unit: 'short',
            targets: [{ expr: maxBy(['job'], selector(QUEUE_HEALTH.activeLeases, [JOB])), legend: '{{job}}' }],
          },
          {
            title: 'Queue-health collection errors per second',
            description: 'Failed collections by reason; the queue gauges are withheld while collections fail.',
            unit: 'ops',
            targets: [{ expr: sumBy(['job', 'reason'], rate(selector(QUEUE_HEALTH.collectorErrors, [JOB]), RATE_INTERVAL)), legend: '{{job}} {{reason}}' }],
          },
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'baseline', [JOB], ['job_type', 'status'], '{{job_type}} {{status}}'),
          quantileByPanel('Queue jobs: duration by job type', 'p50 and p95 job run time per job type.', QUEUE_JOB_FAMILY.histogram, 'baseline', [JOB], ['job_type'], '{{job_type}}', 's', [0.5, 0.95]),
          failureRatioPanel(QUEUE_JOB_FAMILY, 'job', JOB, '{{job}}'),
        ],
      },
      {
        title: 'Workers',
        panels: [
          {
            title: 'Busy workers',
            description: 'Workers currently busy, per pool.',
            unit: 'short',
            targets: [{ expr: sumBy(['worker'], selector(series(workerActive), [JOB])), legend: '{{worker}}' }],
          },
          {
            title: 'Worker pool health',
            description: '1 healthy, 0 unhealthy (the worst replica of each pool; alert: WorkerPoolUnhealthy).',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: minBy(['worker'], selector(series(workerHealth), [JOB])), legend: '{{worker}}' }],
          },
          {
            title: 'Worker restarts per second',
            description: 'Restarts per pool and reason.',
            unit: 'ops',
            targets: [{ expr: sumBy(['worker', 'reason'], rate(selector(series(workerRestarts), [JOB]), RATE_INTERVAL)), legend: '{{worker}} {{reason}}' }],
          },
        ],
      },
    ],
  };
}

function http(): DashboardSpec {
  const status = HTTP_ATTRIBUTES.statusCode.replace(/\./g, '_');
  const route = HTTP_ATTRIBUTES.route.replace(/\./g, '_');
  const method = HTTP_ATTRIBUTES.method.replace(/\./g, '_');
  const requests = count(httpServerRequestDuration);
  const routeLegend = `{{${method}}} {{${route}}}`;
  return {
    uid: 'owm-http',
    title: 'Workspace metrics / HTTP server',
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
            targets: [{ expr: sumBy([status], rate(selector(requests, [JOB]), RATE_INTERVAL)), legend: `{{${status}}}` }],
          },
          {
            title: 'Requests per second by route',
            description: 'Requests served per second, per method and route template.',
            unit: 'reqps',
            targets: [{ expr: sumBy([method, route], rate(selector(requests, [JOB]), RATE_INTERVAL)), legend: routeLegend }],
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
              { expr: sumBy([route, status], rate(selector(requests, [JOB, `${status}=~"4.."`]), RATE_INTERVAL)), legend: `{{${route}}} {{${status}}}` },
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
          quantileByPanel('p95 by route', 'p95 request duration per method and route.', httpServerRequestDuration, 'baseline', [JOB], [method, route], routeLegend),
          {
            title: 'Slowest routes (p95)',
            description: 'The 10 routes with the highest p95 duration.',
            unit: 's',
            type: 'table',
            targets: [{ expr: `topk(10, ${quantile(0.95, [method, route], selector(bucket(httpServerRequestDuration), [JOB]), RATE_INTERVAL)})`, legend: routeLegend }],
          },
        ],
      },
      {
        title: 'Body sizes',
        panels: [
          quantileByPanel('Request body size (p95) by route', 'p95 request body size from Content-Length.', httpServerRequestBodySize, 'baseline', [JOB], [method, route], routeLegend, 'bytes'),
          quantileByPanel('Response body size (p95) by route', 'p95 response body size from Content-Length.', httpServerResponseBodySize, 'baseline', [JOB], [method, route], routeLegend, 'bytes'),
        ],
      },
    ],
  };
}

function resilience(): DashboardSpec {
  return {
    uid: 'owm-resilience',
    title: 'Workspace metrics / Resilience',
    description: 'Circuit breakers, retries, dead-letter queues and rate limiters.',
    file: 'resilience.json',
    variables: ['job'],
    rows: [
      {
        title: 'Circuit breakers',
        panels: [
          {
            title: 'Open circuit breakers',
            description: '1 while a breaker is open (alert: CircuitBreakerOpen).',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: maxBy(['job', 'breaker'], selector(series(circuitBreakerState), [JOB, 'state="open"'])), legend: '{{job}} {{breaker}}' }],
          },
          {
            title: 'Breaker state',
            description: 'One series per state: 1 for the current state.',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: maxBy(['breaker', 'state'], selector(series(circuitBreakerState), [JOB])), legend: '{{breaker}} {{state}}' }],
          },
          {
            title: 'Breaker transitions per second',
            description: 'State changes per breaker.',
            unit: 'ops',
            targets: [{ expr: sumBy(['breaker', 'from', 'to'], rate(selector(series(circuitBreakerTransitions), [JOB]), RATE_INTERVAL)), legend: '{{breaker}} {{from}} → {{to}}' }],
          },
          {
            title: 'Breaker trips per second',
            description: 'Transitions to open.',
            unit: 'ops',
            targets: [{ expr: sumBy(['breaker'], rate(selector(series(circuitBreakerTrips), [JOB]), RATE_INTERVAL)), legend: '{{breaker}}' }],
          },
        ],
      },
      {
        title: 'Retries',
        panels: [
          {
            title: 'Retry attempts per second',
            description: 'Attempts after the first, per operation.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation'], rate(selector(series(retryAttempts), [JOB]), RATE_INTERVAL)), legend: '{{operation}}' }],
          },
          {
            title: 'Successes after retrying per second',
            description: 'Operations that succeeded after at least one retry.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation'], rate(selector(series(retrySuccesses), [JOB]), RATE_INTERVAL)), legend: '{{operation}}' }],
          },
        ],
      },
      {
        title: 'Dead letters',
        panels: [
          {
            title: 'Dead-letter queue size',
            description: 'Messages in each dead-letter queue (alert: DeadLetterQueueGrowing).',
            unit: 'short',
            targets: [{ expr: maxBy(['job', 'queue'], selector(series(deadLetterQueueSize), [JOB])), legend: '{{job}} {{queue}}' }],
          },
          {
            title: 'Dead-letter replays per second',
            description: 'Replays per queue and outcome.',
            unit: 'ops',
            targets: [{ expr: sumBy(['queue', 'status'], rate(selector(series(deadLetterQueueReplays), [JOB]), RATE_INTERVAL)), legend: '{{queue}} {{status}}' }],
          },
        ],
      },
      {
        title: 'Rate limiters',
        panels: [
          quantileByPanel('Rate-limiter delay', 'p50 and p95 of the time calls waited for a limiter.', rateLimiterDelay, 'baseline', [JOB], ['limiter'], '{{limiter}}', 's', [0.5, 0.95]),
          {
            title: 'Calls through rate limiters per second',
            description: 'Calls that passed a limiter (waiting or not).',
            unit: 'ops',
            targets: [{ expr: sumBy(['limiter'], rate(selector(count(rateLimiterDelay), [JOB]), RATE_INTERVAL)), legend: '{{limiter}}' }],
          },
        ],
      },
    ],
  };
}

function dependencies(): DashboardSpec {
  const db = databaseOperationDuration;
  return {
    uid: 'owm-dependencies',
    title: 'Workspace metrics / Caches, database, message bus, sessions',
    description: 'What services depend on: cache efficiency, database operations, the message bus and sessions.',
    file: 'dependencies.json',
    variables: ['job'],
    rows: [
      {
        title: 'Caches',
        panels: [
          {
            title: 'Cache hit ratio',
            description: `Hits over hits + misses, per cache (recording rule ${recorded.cacheHitRatio()}).`,
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: selector(recorded.cacheHitRatio(), [JOB]), legend: '{{job}} {{cache}}' }],
          },
          {
            title: 'Cache operations per second',
            description: 'Per cache, operation and result.',
            unit: 'ops',
            targets: [{ expr: sumBy(['cache', 'operation', 'result'], rate(selector(series(cacheOperations), [JOB]), RATE_INTERVAL)), legend: '{{cache}} {{operation}} {{result}}' }],
          },
          {
            title: 'Cache entries',
            description: 'Entries held, per cache (summed over replicas).',
            unit: 'short',
            targets: [{ expr: sumBy(['cache'], selector(series(cacheSize), [JOB])), legend: '{{cache}}' }],
          },
          {
            title: 'Cache evictions per second',
            description: 'Per cache and reason.',
            unit: 'ops',
            targets: [{ expr: sumBy(['cache', 'reason'], rate(selector(series(cacheEvictions), [JOB]), RATE_INTERVAL)), legend: '{{cache}} {{reason}}' }],
          },
        ],
      },
      {
        title: 'Database',
        panels: [
          {
            title: 'Database operations per second',
            description: 'Per operation, table and outcome.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation', 'table', 'status'], rate(selector(count(db), [JOB]), RATE_INTERVAL)), legend: '{{operation}} {{table}} {{status}}' }],
          },
          quantileByPanel('Database operation duration (p95)', 'p95 per operation and table.', db, 'baseline', [JOB], ['operation', 'table'], '{{operation}} {{table}}'),
          {
            title: 'Database errors per second',
            description: 'Failed operations per operation and error type.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation', 'error_type'], rate(selector(series(databaseErrors), [JOB]), RATE_INTERVAL)), legend: '{{operation}} {{error_type}}' }],
          },
        ],
      },
      {
        title: 'Message bus',
        panels: [
          {
            title: 'Messages per second',
            description: 'Per sender, receiver and message type.',
            unit: 'ops',
            targets: [{ expr: sumBy(['from', 'to', 'type'], rate(selector(series(messageBusMessages), [JOB]), RATE_INTERVAL)), legend: '{{from}} → {{to}} {{type}}' }],
          },
          quantileByPanel('Message processing duration (p95)', 'p95 per receiver and message type.', messageBusProcessingDuration, 'baseline', [JOB], ['to', 'type'], '{{to}} {{type}}'),
          {
            title: 'Bus queue depth',
            description: 'Messages waiting per bus queue.',
            unit: 'short',
            targets: [{ expr: maxBy(['queue'], selector(series(messageBusQueueDepth), [JOB])), legend: '{{queue}}' }],
          },
        ],
      },
      {
        title: 'Sessions',
        panels: [
          {
            title: 'Active sessions',
            description: 'Sessions currently open (summed over replicas).',
            unit: 'short',
            targets: [{ expr: sumBy(['job'], selector(series(sessionActive), [JOB])), legend: '{{job}}' }],
          },
          quantileByPanel('Session duration', 'p50 and p95 lifetime of sessions that ended.', sessionDuration, 'baseline', [JOB], ['job'], '{{job}}', 's', [0.5, 0.95]),
          {
            title: 'Session refreshes per second',
            description: 'Per reason.',
            unit: 'ops',
            targets: [{ expr: sumBy(['reason'], rate(selector(series(sessionRefreshes), [JOB]), RATE_INTERVAL)), legend: '{{reason}}' }],
          },
        ],
      },
    ],
  };
}

export function dashboardSpecs(options: OpsOptions): DashboardSpec[] {
  return [overview(options), workspace(options), queue(), http(), resilience(), dependencies()];
}

// ---- Grafana JSON ----------------------------------------------------------

function variableJson(name: VariableName, options: OpsOptions) {
  if (name === 'job') {
    const query = 'label_values(target_info, job)';
    return {
      name: 'job',
      label: 'Service (job)',
      description: 'Services: the collector sets job from service.name; embedded endpoints use their scrape job.',
      type: 'query',
      datasource: DATASOURCE,
      definition: query,
      query,
      refresh: 2,
      includeAll: true,
      multi: true,
      allValue: '.*',
      current: {},
      options: [],
      regex: '',
      sort: 1,
      hide: 0,
    };
  }
  const query = `label_values(${series(ACTION_FAMILY.counter, 'workspace')}, ${options.workspaceLabel})`;
  return {
    name: 'workspace',
    label: 'Workspace',
    description: 'Allowlisted workspaces (and __other__, the fold of every other workspace).',
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query,
    refresh: 2,
    includeAll: false,
    multi: false,
    current: {},
    options: [],
    regex: '',
    sort: 1,
    hide: 0,
  };
}

function panelJson(panel: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  const type = panel.type ?? 'timeseries';
  const defaults: Record<string, unknown> = { unit: panel.unit };
  if (panel.min !== undefined) defaults.min = panel.min;
  if (panel.max !== undefined) defaults.max = panel.max;
  if (type === 'timeseries') defaults.custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false };
  const options =
    type === 'timeseries'
      ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
      : type === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', textMode: 'auto' }
        : { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false } };
  return {
    id,
    type,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    ...(type === 'table' ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] } : {}),
    targets: panel.targets.map((target, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      editorMode: 'code',
      expr: target.expr,
      legendFormat: target.legend,
      range: type !== 'table',
      instant: type === 'table',
      ...(type === 'table' ? { format: 'table' } : {}),
    })),
  };
}

export function dashboardJson(spec: DashboardSpec, options: OpsOptions) {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    const h = 8;
    const defaultWidth = row.panels.length === 4 ? 6 : row.panels.length === 2 ? 12 : 8;
    for (const panel of row.panels) {
      const w = panel.width ?? defaultWidth;
      if (x + w > 24) {
        x = 0;
        y += h;
      }
      panels.push(panelJson(panel, id++, { x, y, w, h }));
      x += w;
    }
    y += h;
  }
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: spec.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [{ asDropdown: true, includeVars: true, keepTime: true, tags: [DASHBOARD_TAG], targetBlank: false, title: 'Workspace metrics', type: 'dashboards' }],
    panels,
    refresh: '30s',
    schemaVersion: 39,
    tags: [DASHBOARD_TAG],
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, options: [], regex: '', refresh: 1, hide: 0, includeAll: false, multi: false },
        ...spec.variables.map((name) => variableJson(name, options)),
      ],
    },
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: '',
    title: spec.title,
    uid: spec.uid,
    version: 1,
    weekStart: '',
  };
}
