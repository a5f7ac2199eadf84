/**
 * Settings shared by every operations artifact (rules, alerts, dashboards,
 * Prometheus config). The committed files under prometheus/ and grafana/ are
 * rendered with DEFAULT_OPS_OPTIONS; render your own with
 * `node dist/ops/generate.js --out DIR --workspace-label tenant_id ...`.
 */
import { DEFAULT_CONFIG } from '../config/env';

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
}

/** A placeholder: point it at your fork's copy of docs/RUNBOOK.md. */
export const DEFAULT_RUNBOOK_URL = 'https://github.com/your-org/otel-workspace-metrics/blob/main/docs/RUNBOOK.md';

export const DEFAULT_OPS_OPTIONS: OpsOptions = {
  workspaceLabel: DEFAULT_CONFIG.workspace.labelName,
  runbookUrl: DEFAULT_RUNBOOK_URL,
  jobs: {
    collector: 'otel-collector',
    collectorTelemetry: 'otel-collector-telemetry',
    embedded: 'embedded-metrics',
  },
};

export function opsOptions(overrides: Partial<OpsOptions> = {}): OpsOptions {
  return { ...DEFAULT_OPS_OPTIONS, ...overrides, jobs: { ...DEFAULT_OPS_OPTIONS.jobs, ...overrides.jobs } };
}

/** GitHub's heading anchor for an alert's runbook section (`## ActionFailureRateHigh` → `actionfailureratehigh`). */
export function runbookAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
