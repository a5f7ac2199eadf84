/**
 * Renders every operations artifact from the catalogue:
 *
 *   prometheus/prometheus.yml                         scrape config + rule files
 *   prometheus/rules/{recording,alerts}.yml           recording rules and alerts
 *   prometheus/tests/{recording,alerts}.test.yaml     promtool unit tests
 *   grafana/dashboards/*.json                         dashboards
 *   grafana/provisioning/{datasources,dashboards}/    Grafana provisioning
 *
 * The committed files are this output with the default options; a unit test
 * compares them. Regenerate after changing a declaration or a rule:
 *
 *   npm run build && node dist/ops/generate.js
 *
 * Render your own variant elsewhere (e.g. for `METRICS_WORKSPACE_LABEL_NAME=tenant_id`):
 *
 *   node dist/ops/generate.js --out ./ops --workspace-label tenant_id --runbook-url https://git.example.com/ops/RUNBOOK.md
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { opsOptions, type OpsOptions } from './options';
import { toYaml } from './yaml';
import { alertRulesYaml, recordingRulesYaml } from './rules';
import { alertTestsYaml, recordingTestsYaml } from './rule-tests';
import { DASHBOARD_TAG, dashboardJson, dashboardSpecs } from './dashboards';
import { DEFAULT_PROMETHEUS_CONFIG, PROMETHEUS_CONFIG_COMMENTS, prometheusConfig } from './prometheus-config';

export const REGENERATE_OPS_COMMAND = 'npm run build && node dist/ops/generate.js';

/** Header comment lines: what the file is, then the "generated" notice. */
const header = (...lines: string[]): string[] => [
  ...lines,
  '',
  `GENERATED from the catalogue by src/ops/: do not edit by hand. Regenerate: ${REGENERATE_OPS_COMMAND}`,
];

export const RULE_FILES = { recording: 'prometheus/rules/recording.yml', alerts: 'prometheus/rules/alerts.yml' } as const;
export const RULE_TEST_FILES = { recording: 'prometheus/tests/recording.test.yaml', alerts: 'prometheus/tests/alerts.test.yaml' } as const;
export const PROMETHEUS_CONFIG_FILE = 'prometheus/prometheus.yml';
export const DASHBOARD_DIR = 'grafana/dashboards';
export const GRAFANA_DATASOURCE_FILE = 'grafana/provisioning/datasources/prometheus.yaml';
export const GRAFANA_DASHBOARD_PROVIDER_FILE = 'grafana/provisioning/dashboards/dashboards.yaml';

/** Where the provisioning expects the dashboards inside the Grafana container / host. */
export const GRAFANA_DASHBOARD_PATH = '/var/lib/grafana/dashboards/otel-workspace-metrics';

function grafanaDatasource() {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: 'prometheus',
        access: 'proxy',
        url: 'http://localhost:9090',
        isDefault: true,
        editable: true,
        jsonData: {
          // Prometheus's scrape_interval (prometheus/prometheus.yml): $__rate_interval is at least four times it.
          timeInterval: DEFAULT_PROMETHEUS_CONFIG.scrapeInterval,
          httpMethod: 'POST',
        },
      },
    ],
  };
}

function grafanaDashboardProvider() {
  return {
    apiVersion: 1,
    providers: [
      {
        name: DASHBOARD_TAG,
        orgId: 1,
        folder: 'Workspace metrics',
        type: 'file',
        disableDeletion: false,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARD_PATH, foldersFromFilesStructure: false },
      },
    ],
  };
}

/** Every artifact: path relative to the repository root → file content. */
export function renderArtifacts(options: OpsOptions = opsOptions()): Map<string, string> {
  const files = new Map<string, string>();
  const fromTests = (file: string) => `../rules/${file.split('/').pop()}`;
  files.set(PROMETHEUS_CONFIG_FILE, toYaml(prometheusConfig(options), header(...PROMETHEUS_CONFIG_COMMENTS)));
  files.set(RULE_FILES.recording, toYaml(recordingRulesYaml(options), header('Recording rules: level:metric:operations (https://prometheus.io/docs/practices/rules/).')));
  files.set(RULE_FILES.alerts, toYaml(alertRulesYaml(options), header('Alerts. Each links to its section of docs/RUNBOOK.md (runbook_url).')));
  files.set(
    RULE_TEST_FILES.recording,
    toYaml(recordingTestsYaml(options, [fromTests(RULE_FILES.recording)]), header('promtool unit tests of every recording rule: promtool test rules prometheus/tests/*.yaml')),
  );
  files.set(
    RULE_TEST_FILES.alerts,
    toYaml(
      alertTestsYaml(options, [fromTests(RULE_FILES.recording), fromTests(RULE_FILES.alerts)]),
      header('promtool unit tests of every alert, firing and silent: promtool test rules prometheus/tests/*.yaml'),
    ),
  );
  for (const spec of dashboardSpecs(options)) files.set(`${DASHBOARD_DIR}/${spec.file}`, JSON.stringify(dashboardJson(spec, options), null, 2) + '\n');
  files.set(
    GRAFANA_DATASOURCE_FILE,
    toYaml(
      grafanaDatasource(),
      header(
        'Grafana datasource provisioning for the otel-workspace-metrics dashboards.',
        'The dashboards pick their datasource through a $datasource variable: any Prometheus datasource works.',
      ),
    ),
  );
  files.set(
    GRAFANA_DASHBOARD_PROVIDER_FILE,
    toYaml(grafanaDashboardProvider(), header('Grafana dashboard provisioning: copy or mount grafana/dashboards/*.json into options.path.')),
  );
  return files;
}

function parseArgs(argv: readonly string[]): { out: string; options: OpsOptions } {
  let out = resolve(__dirname, '..', '..');
  const overrides: { workspaceLabel?: string; runbookUrl?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (arg === '--out') out = resolve(value);
    else if (arg === '--workspace-label') overrides.workspaceLabel = value;
    else if (arg === '--runbook-url') overrides.runbookUrl = value;
    else throw new Error(`unknown option ${arg} (known: --out, --workspace-label, --runbook-url)`);
    i++;
  }
  return { out, options: opsOptions(overrides) };
}

export function main(argv: readonly string[]): void {
  const { out, options } = parseArgs(argv);
  for (const [path, content] of renderArtifacts(options)) {
    const target = join(out, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote ${path}`);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`generate: ${(error as Error).message}`);
    process.exit(2);
  }
}
