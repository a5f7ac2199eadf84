/**
 * Settings of every operations artifact (rules, alerts, dashboards,
 * Prometheus config): thresholds, selectors, the workspace label, dashboard
 * options, and the application's own metric families. The committed files
 * under prometheus/ and grafana/ are rendered with the defaults; render your
 * own with a config file (JSON or YAML, any subset of the fields below):
 *
 *   npx otel-workspace-metrics ops generate --config ops.yaml --out ./ops
 *
 * The file is validated (unknown keys, wrong types and out-of-range values
 * are errors naming the field) by OPS_CONFIG_SCHEMA.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_CONFIG } from '../config/env';
import type { MetricDeclaration } from '../model/types';

/** Alert thresholds. Ratios are fractions (0.05 = 5%), durations seconds. */
export interface OpsThresholds {
  /** Share of failed executions (error, timeout) above which *FailureRateHigh fires. */
  readonly failureRatioHigh: number;
  /** Share of failed executions above which *FailureRateCritical fires. */
  readonly failureRatioCritical: number;
  /** p95 action duration (s) above which ActionExecutionsSlow fires. */
  readonly actionP95Seconds: number;
  /** p95 workflow duration (s) above which WorkflowExecutionsSlow fires. */
  readonly workflowP95Seconds: number;
  /** Ready jobs of one queue above which QueueBacklog (warning) fires. */
  readonly queueReadyDepth: number;
  /** Ready jobs of one queue above which QueueBacklogCritical fires; above queueReadyDepth. */
  readonly queueReadyDepthCritical: number;
  /** Age (s) of the oldest ready job of one queue above which QueueOldestReadyRunTooOld fires. */
  readonly queueOldestReadySeconds: number;
  /** Failed jobs added to one queue within 15 minutes above which QueueFailedJobsGrowing fires. */
  readonly queueFailedJobsGrowth: number;
  /** Share of 5xx responses above which HttpErrorRateHigh fires. */
  readonly httpErrorRatio: number;
  /** p95 HTTP request duration (s) above which HttpLatencyHigh fires. */
  readonly httpP95Seconds: number;
  /** Share of workspace recordings folded into __other__ above which WorkspaceOverflowGrowing may fire... */
  readonly overflowRatio: number;
  /** ...when it is also this many times the share of an hour ago. */
  readonly overflowGrowth: number;
  /** Share folded into __other__ above which WorkspaceAllowlistDiverged fires. */
  readonly allowlistDivergedRatio: number;
  // runtime and process (src/ops/rules-runtime.ts)
  /** Resident memory (RSS, bytes) of one process above which ProcessMemoryHigh fires: set it below your container's memory limit. */
  readonly processMemoryBytes: number;
  /** V8 heap used over the heap size limit above which NodejsHeapNearLimit fires. */
  readonly heapUsedRatio: number;
  /** Event loop delay p99 (s, averaged over 5 minutes) above which NodejsEventLoopDelayHigh fires. */
  readonly eventLoopDelayP99Seconds: number;
  /** Share of time in GC pauses (over 5 minutes) above which NodejsGcTimeHigh fires. */
  readonly gcTimeRatio: number;
  /** Restarts of one instance within 30 minutes above which ProcessRestarting fires. */
  readonly processRestarts: number;
}

/** Label matchers added to the series the rules and dashboards read. */
export interface OpsSelectors {
  /**
   * Matchers (PromQL, without braces, e.g. `namespace="prod"`) added to every
   * service series in recording rules, alerts, dashboard panels and
   * variables: scope the artifacts to your services when one Prometheus
   * holds more. Empty: no extra matcher.
   */
  readonly service: string;
}

export interface OpsDashboardOptions {
  /** Prefix of every dashboard uid (`owm-` → `owm-overview`); keep it short: uids are at most 40 characters. */
  readonly uidPrefix: string;
  /** Prefix of every dashboard title (`Workspace metrics` → `Workspace metrics / Overview`). */
  readonly titlePrefix: string;
  /** Tag on every dashboard; the dashboards' link menu lists dashboards with it. */
  readonly tag: string;
  /** Auto-refresh interval (Grafana syntax, `30s`; '' for none). */
  readonly refresh: string;
  /** Default time range start (`now-1h`). */
  readonly timeFrom: string;
}

export interface OpsOptions {
  /** The workspace label's name (METRICS_WORKSPACE_LABEL_NAME). */
  readonly workspaceLabel: string;
  /** Where docs/RUNBOOK.md is served; each alert links to `${runbookUrl}#<alert name, lower-cased>`. */
  readonly runbookUrl: string;
  /** Prometheus job names of the scrape config (alerts match `up` on them). */
  readonly jobs: {
    /** The collector's Prometheus exporter (honor_labels: services keep their own job/instance). */
    readonly collector: string;
    /** The collector's own telemetry (otelcol_* metrics). */
    readonly collectorTelemetry: string;
    /** Services scraped directly on their embedded endpoint. */
    readonly embedded: string;
  };
  /** Alert thresholds. */
  readonly thresholds: OpsThresholds;
  /** Label matchers added to the series the artifacts read. */
  readonly selectors: OpsSelectors;
  /** Dashboard uid and title prefixes, tag, refresh and time range. */
  readonly dashboards: OpsDashboardOptions;
  /**
   * The application's own families (those it passes to `declareMetrics`):
   * they get recording rules, alerts and a "Custom metrics" dashboard like
   * the built-in ones. Built-in families are always included.
   */
  readonly metrics: readonly MetricDeclaration[];
}

/** A placeholder: point it at your fork's copy of docs/RUNBOOK.md. */
export const DEFAULT_RUNBOOK_URL = 'https://github.com/your-org/otel-workspace-metrics/blob/main/docs/RUNBOOK.md';

export const DEFAULT_THRESHOLDS: OpsThresholds = {
  failureRatioHigh: 0.05,
  failureRatioCritical: 0.25,
  actionP95Seconds: 30,
  workflowP95Seconds: 120,
  queueReadyDepth: 100,
  queueReadyDepthCritical: 1000,
  queueOldestReadySeconds: 300,
  queueFailedJobsGrowth: 10,
  httpErrorRatio: 0.05,
  httpP95Seconds: 1,
  overflowRatio: 0.25,
  overflowGrowth: 1.5,
  allowlistDivergedRatio: 0.5,
  processMemoryBytes: 1024 ** 3,
  heapUsedRatio: 0.9,
  eventLoopDelayP99Seconds: 0.25,
  gcTimeRatio: 0.1,
  processRestarts: 2,
};

export const DEFAULT_OPS_OPTIONS: OpsOptions = {
  workspaceLabel: DEFAULT_CONFIG.workspace.labelName,
  runbookUrl: DEFAULT_RUNBOOK_URL,
  jobs: {
    collector: 'otel-collector',
    collectorTelemetry: 'otel-collector-telemetry',
    embedded: 'embedded-metrics',
  },
  thresholds: DEFAULT_THRESHOLDS,
  selectors: { service: '' },
  dashboards: { uidPrefix: 'owm-', titlePrefix: 'Workspace metrics', tag: 'otel-workspace-metrics', refresh: '30s', timeFrom: 'now-1h' },
  metrics: [],
};

/** What opsOptions() takes: any subset of OpsOptions, nested objects partial too. */
export type OpsOverrides = Partial<Omit<OpsOptions, 'jobs' | 'thresholds' | 'selectors' | 'dashboards'>> & {
  readonly jobs?: Partial<OpsOptions['jobs']>;
  readonly thresholds?: Partial<OpsThresholds>;
  readonly selectors?: Partial<OpsSelectors>;
  readonly dashboards?: Partial<OpsDashboardOptions>;
};

export function opsOptions(overrides: OpsOverrides = {}): OpsOptions {
  const d = DEFAULT_OPS_OPTIONS;
  return {
    ...d,
    ...overrides,
    jobs: { ...d.jobs, ...overrides.jobs },
    thresholds: { ...d.thresholds, ...overrides.thresholds },
    selectors: { ...d.selectors, ...overrides.selectors },
    dashboards: { ...d.dashboards, ...overrides.dashboards },
    metrics: overrides.metrics ?? d.metrics,
  };
}

// ---- the config file ---------------------------------------------------------

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const JOB_NAME = /^[^"\\\n]+$/;
/** One or more PromQL label matchers, comma-separated, without braces. */
const MATCHERS = /^\s*$|^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*(,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*)*$/;
/** Grafana's relative time (`now-1h`, `now-7d/d`) and refresh intervals (`30s`). */
const GRAFANA_TIME = /^now(-\d+[smhdwMy])?(\/[smhdwMy])?$/;
const GRAFANA_INTERVAL = /^$|^\d+[smhd]$/;

const ratio = z.number().gt(0).lt(1);
const positive = z.number().gt(0).finite();

const metricSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.]*$/, 'an OTel instrument name: letters, digits, `_` and `.`'),
  kind: z.enum(['counter', 'updowncounter', 'histogram', 'gauge', 'observableGauge', 'observableCounter', 'observableUpDownCounter']),
  unit: z.string(),
  description: z.string(),
  labels: z.array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/)),
  buckets: z.array(z.number().finite()).optional(),
  workspaceStream: z.boolean().optional(),
  cardinalityLimit: z.number().int().positive().optional(),
});

/** The config file's schema: every field optional, unknown keys refused. */
export const OPS_CONFIG_SCHEMA = z.strictObject({
  workspaceLabel: z.string().regex(LABEL_NAME, 'a Prometheus label name').optional(),
  runbookUrl: z.url().optional(),
  jobs: z
    .strictObject({
      collector: z.string().regex(JOB_NAME),
      collectorTelemetry: z.string().regex(JOB_NAME),
      embedded: z.string().regex(JOB_NAME),
    })
    .partial()
    .optional(),
  thresholds: z
    .strictObject({
      failureRatioHigh: ratio,
      failureRatioCritical: ratio,
      actionP95Seconds: positive,
      workflowP95Seconds: positive,
      queueReadyDepth: z.number().int().nonnegative(),
      queueReadyDepthCritical: z.number().int().positive(),
      queueOldestReadySeconds: positive,
      queueFailedJobsGrowth: z.number().int().nonnegative(),
      httpErrorRatio: ratio,
      httpP95Seconds: positive,
      overflowRatio: ratio,
      overflowGrowth: z.number().gt(1).finite(),
      allowlistDivergedRatio: ratio,
      processMemoryBytes: z.number().int().positive(),
      heapUsedRatio: ratio,
      eventLoopDelayP99Seconds: positive,
      gcTimeRatio: ratio,
      processRestarts: z.number().int().nonnegative(),
    })
    .partial()
    .optional(),
  selectors: z
    .strictObject({ service: z.string().regex(MATCHERS, 'PromQL label matchers without braces, e.g. namespace="prod"') })
    .partial()
    .optional(),
  dashboards: z
    .strictObject({
      uidPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,19}$/, 'lower-case letters, digits and `-`, at most 20'),
      titlePrefix: z.string().min(1),
      tag: z.string().min(1),
      refresh: z.string().regex(GRAFANA_INTERVAL, 'a Grafana interval such as 30s, or empty'),
      timeFrom: z.string().regex(GRAFANA_TIME, 'a Grafana relative time such as now-1h'),
    })
    .partial()
    .optional(),
  metrics: z.array(metricSchema).optional(),
});

export type OpsConfigFile = z.infer<typeof OPS_CONFIG_SCHEMA>;

/** Options from a config file's parsed content; throws with one line per problem (`thresholds.failureRatioHigh: ...`). */
export function opsOptionsFromConfig(content: unknown, source = 'config'): OpsOptions {
  const result = OPS_CONFIG_SCHEMA.safeParse(content ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new Error(`${source} is not a valid ops config:\n${problems.join('\n')}`);
  }
  const file = result.data;
  const options = opsOptions(file as OpsOverrides);
  const t = options.thresholds;
  if (t.failureRatioCritical <= t.failureRatioHigh) {
    throw new Error(`${source} is not a valid ops config:\n  thresholds.failureRatioCritical: must be above failureRatioHigh (${t.failureRatioHigh})`);
  }
  if (t.queueReadyDepthCritical <= t.queueReadyDepth) {
    throw new Error(`${source} is not a valid ops config:\n  thresholds.queueReadyDepthCritical: must be above queueReadyDepth (${t.queueReadyDepth})`);
  }
  return options;
}

/** Reads a JSON or YAML config file (YAML is a superset of JSON) and validates it. */
export function loadOpsConfig(path: string): OpsOptions {
  const text = readFileSync(path, 'utf8');
  let content: unknown;
  try {
    content = parseYaml(text);
  } catch (error) {
    throw new Error(`${path}: not JSON or YAML: ${(error as Error).message}`);
  }
  return opsOptionsFromConfig(content, path);
}

/** GitHub's heading anchor for an alert's runbook section (`## ActionFailureRateHigh` → `actionfailureratehigh`). */
export function runbookAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
