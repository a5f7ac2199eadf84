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
 *   npm run ops:generate
 *
 * Render your own variant elsewhere, with your thresholds, selectors, label
 * name, dashboard options and metric families (src/ops/options.ts):
 *
 *   npx otel-workspace-metrics ops generate --config ops.yaml --out ./ops
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { opsOptions, type OpsOptions } from './options';
import { toYaml } from './yaml';
import { alertRulesYaml, recordingRulesYaml } from './rules';
import { alertTestsYaml, recordingTestsYaml } from './rule-tests';
import { dashboards } from './dashboards';
import { DEFAULT_PROMETHEUS_CONFIG, PROMETHEUS_CONFIG_COMMENTS, prometheusConfig } from './prometheus-config';

export const REGENERATE_OPS_COMMAND = 'npm run ops:generate';

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

function grafanaDashboardProvider(options: OpsOptions) {
  return {
    apiVersion: 1,
    providers: [
      {
        name: options.dashboards.tag,
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
  for (const [file, dashboard] of dashboards(options)) files.set(`${DASHBOARD_DIR}/${file}`, JSON.stringify(dashboard, null, 2) + '\n');
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
    toYaml(grafanaDashboardProvider(options), header('Grafana dashboard provisioning: copy or mount grafana/dashboards/*.json into options.path.')),
  );
  return files;
}

/** Writes `files` (from renderArtifacts) under `out`; returns the paths written. */
export function writeArtifacts(out: string, files: ReadonlyMap<string, string>): string[] {
  for (const [path, content] of files) {
    const target = join(out, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return [...files.keys()];
}

/** The paths among `files` whose copy under `root` is missing or differs. */
export function staleArtifacts(root: string, files: ReadonlyMap<string, string>): string[] {
  return [...files.keys()].filter((path) => {
    try {
      return readFileSync(join(root, path), 'utf8') !== files.get(path);
    } catch {
      return true;
    }
  });
}
