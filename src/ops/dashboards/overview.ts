/** Overview: executions, failures and latency per service, the workspace label policy and the metrics pipeline. */
import { allowlistLastReload, allowlistReloadErrors, allowlistSize, workspaceFolded, workspaceUnlistedEstimate } from '../../catalogue/self';
import { ACTION_FAMILY, COLLECTOR_METRICS, QUEUE_JOB_FAMILY, WORKFLOW_FAMILY, WORKFLOW_STEP_FAMILY, series } from '../metrics';
import { maxBy, rate, selector, sumBy } from '../promql';
import { recorded } from '../rules';
import { runtimeRecorded } from '../rules-runtime';
import { JOB, RATE_INTERVAL, executionsPanel, failureRatioPanel, percentilesPanel, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

const RUNTIME_LINK = { title: 'Runtime dashboard', dashboard: 'runtime' } as const;

export function overviewDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  const options = ctx.options;
  const folded = series(workspaceFolded);
  return {
    uid: ctx.uid('overview'),
    title: ctx.title('Overview'),
    description: 'Executions, failures and latency per service, the workspace label policy and the metrics pipeline.',
    file: 'overview.json',
    variables: ['job'],
    rows: [
      {
        title: 'Actions',
        panels: [
          executionsPanel(ACTION_FAMILY, 'baseline', S, ['status'], '{{status}}'),
          failureRatioPanel(ACTION_FAMILY, 'job', JOB, '{{job}}'),
          percentilesPanel(ACTION_FAMILY, 'job', JOB, ' {{job}}'),
          quantileByPanel('Slowest actions (p95)', 'p95 duration per provider and action.', ACTION_FAMILY.histogram, 'baseline', S, ['provider', 'action'], '{{provider}} {{action}}'),
        ],
      },
      {
        title: 'Workflows',
        panels: [
          executionsPanel(WORKFLOW_FAMILY, 'baseline', S, ['status'], '{{status}}'),
          failureRatioPanel(WORKFLOW_FAMILY, 'job', JOB, '{{job}}'),
          percentilesPanel(WORKFLOW_FAMILY, 'job', JOB, ' {{job}}'),
          executionsPanel(WORKFLOW_STEP_FAMILY, 'baseline', S, ['step_type', 'status'], '{{step_type}} {{status}}'),
          quantileByPanel('Workflow steps: p95 by step type', 'p95 step duration per step type.', WORKFLOW_STEP_FAMILY.histogram, 'baseline', S, ['step_type'], '{{step_type}}'),
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'baseline', S, ['job_type', 'status'], '{{job_type}} {{status}}'),
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
            targets: [{ expr: sumBy(['job', 'metric'], rate(selector(folded, S), RATE_INTERVAL)), legend: '{{job}} {{metric}}' }],
          },
          {
            title: 'Unlisted workspaces and allowlist size',
            description: 'Distinct workspaces folded in the last 10 to 20 minutes (estimate) next to the number of allowlist entries.',
            unit: 'short',
            targets: [
              { expr: maxBy(['job'], selector(series(workspaceUnlistedEstimate), S)), legend: 'unlisted {{job}}' },
              { expr: maxBy(['job'], selector(series(allowlistSize), S)), legend: 'allowlisted {{job}}' },
            ],
          },
          {
            title: 'Allowlist reload errors per second',
            description: 'Failed loads of a dynamic allowlist source (file, database...); the source keeps its last good list.',
            unit: 'ops',
            targets: [{ expr: sumBy(['job', 'source'], rate(selector(series(allowlistReloadErrors), S), RATE_INTERVAL)), legend: '{{job}} {{source}}' }],
          },
          {
            title: 'Time since the last allowlist reload',
            description: 'Age of the allowlist in use.',
            unit: 's',
            targets: [{ expr: `time() - ${maxBy(['job'], selector(series(allowlistLastReload), S))}`, legend: '{{job}}' }],
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
      {
        // runtime and process, per service: the worst instance (details: the Runtime dashboard)
        title: 'Runtime',
        panels: [
          {
            title: 'Highest resident memory (RSS)',
            description: `RSS of the largest process per service (recording rule ${runtimeRecorded.rss}; alert: ProcessMemoryHigh).`,
            unit: 'bytes',
            targets: [{ expr: maxBy(['job'], selector(runtimeRecorded.rss, [JOB])), legend: '{{job}}' }],
            links: [RUNTIME_LINK],
          },
          {
            title: 'Highest heap used / heap limit',
            description: `V8 heap used over the heap size limit, the fullest process per service (recording rule ${runtimeRecorded.heapUsedRatio}; alert: NodejsHeapNearLimit).`,
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: maxBy(['job'], selector(runtimeRecorded.heapUsedRatio, [JOB])), legend: '{{job}}' }],
            links: [RUNTIME_LINK],
          },
          {
            title: 'Worst event loop delay (p99, 5m average)',
            description: `The slowest process per service (recording rule ${runtimeRecorded.eventLoopDelayP99}; alert: NodejsEventLoopDelayHigh).`,
            unit: 's',
            targets: [{ expr: maxBy(['job'], selector(runtimeRecorded.eventLoopDelayP99, [JOB])), legend: '{{job}}' }],
            links: [RUNTIME_LINK],
          },
          {
            title: 'Process restarts in 30 minutes',
            description: `Restarts of the processes of each service that keep their instance (recording rule ${runtimeRecorded.restarts}; alert: ProcessRestarting).`,
            unit: 'short',
            targets: [{ expr: sumBy(['job'], selector(runtimeRecorded.restarts, [JOB])), legend: '{{job}}' }],
            links: [RUNTIME_LINK],
          },
        ],
      },
    ],
  };
}
