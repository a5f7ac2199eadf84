/**
 * The Kubernetes deployment under otel-collector/deploy/, checked with the real
 * tools and types: `helm lint` and `helm template` (Helm built from its Go
 * module) for the default and the non-default values in the chart's ci/,
 * `kustomize build` of the bases, every rendered object decoded STRICTLY into
 * the Kubernetes API and Prometheus Operator types (our k8s-validate, unknown
 * field = failure), every embedded collector config validated by our built
 * collector with the command line and environment its container would have,
 * every embedded rule file checked by promtool, and every config, rule file and
 * dashboard compared with its source in the repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { collectorBinary, promtoolBinary } from '../helpers/binaries';
import { goTool, run } from '../helpers/go-tools';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'otel-collector', 'deploy', 'helm', 'otelcol-workspace');
const KUSTOMIZE = join(ROOT, 'otel-collector', 'deploy', 'kustomize');
const NAMESPACE = 'observability';
const COLLECTOR_CONFIGS = ['config.yaml', 'config.agent.yaml', 'config.remotewrite.yaml', 'config.tls.yaml', 'config.auth.yaml', 'config.scrape-tls.yaml', 'config.scrape-auth.yaml'];
const RULE_FILES = readdirSync(join(ROOT, 'prometheus', 'rules')).filter((f) => f.endsWith('.yml')).sort();
const DASHBOARDS = readdirSync(join(ROOT, 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).sort();
const VALUES_FILES = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('.yaml')).sort();

// ---- the shapes we read from the decoder's JSON (typed objects marshalled back) ----
interface K8sObject {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  object: Record<string, any>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string };
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number; hostPort?: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext?: Record<string, any>;
}

let work: string;
let helm: string;
let kustomize: string;
let validator: string;
let collector: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'owm-deploy-'));
  helm = goTool('helm');
  kustomize = goTool('kustomize');
  validator = goTool('k8s-validate');
  collector = collectorBinary();
}, 45 * 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function must(command: string, args: string[], what: string): string {
  const result = run(command, args);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stderr}\n${result.stdout.slice(0, 2000)}`);
  return result.stdout;
}

/** Strictly decodes a YAML stream; fails the test on any decoding error. */
function decodeStrict(yaml: string, label: string): K8sObject[] {
  const file = join(work, `${label.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
  writeFileSync(file, yaml);
  const result = run(validator, [file]);
  expect(result.stderr, `strict decoding of ${label}`).toBe('');
  expect(result.status, `strict decoding of ${label}`).toBe(0);
  return JSON.parse(result.stdout) as K8sObject[];
}

function yamlToJson(file: string): unknown[] {
  return JSON.parse(must(validator, ['--to-json', file], `--to-json ${file}`)) as unknown[];
}

function helmTemplate(valuesFile?: string, extra: string[] = []): string {
  const args = ['template', 'owm', CHART, '--namespace', NAMESPACE, ...(valuesFile ? ['-f', join(CHART, 'ci', valuesFile)] : []), ...extra];
  return must(helm, args, `helm ${args.join(' ')}`);
}

function kustomizeBuild(dir: string): string {
  return must(kustomize, ['build', '--load-restrictor', 'LoadRestrictionsNone', join(KUSTOMIZE, dir)], `kustomize build ${dir}`);
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const workloads = (objects: K8sObject[]) => objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
const podSpec = (o: K8sObject) => o.object.spec.template.spec as { containers: Container[]; volumes?: any[]; securityContext?: any };
function mainContainer(o: K8sObject): Container {
  const c = podSpec(o).containers[0];
  if (!c) throw new Error(`${o.kind}/${o.name} has no container`);
  return c;
}
function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0]!;
}

function configMap(objects: K8sObject[], name: string): Record<string, string> {
  const found = objects.find((o) => o.kind === 'ConfigMap' && o.name === name);
  if (!found) throw new Error(`no ConfigMap ${name} among ${objects.map((o) => `${o.kind}/${o.name}`).join(', ')}`);
  return found.object.data as Record<string, string>;
}

function bytesOf(quantity: string): string {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`unexpected quantity ${quantity}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? ''] ?? 1;
  return String(Number(m[1]) * unit);
}

/**
 * What the kubelet would hand the container: the environment (downward API:
 * pod IP 127.0.0.1, namespace; ConfigMap keys from the rendered objects; a
 * placeholder for Secret keys; $(VAR) expanded in order) and the --config
 * files (ConfigMap volumes written to a directory).
 */
function containerRun(objects: K8sObject[], workload: K8sObject, container: Container): { args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  for (const v of container.env ?? []) {
    const from = v.valueFrom;
    let value: string;
    if (v.value !== undefined) value = v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string) => env[name] ?? all);
    else if (from?.fieldRef) value = { 'status.podIP': '127.0.0.1', 'metadata.namespace': NAMESPACE, 'status.hostIP': '127.0.0.1' }[from.fieldRef.fieldPath] ?? '';
    else if (from?.resourceFieldRef) value = bytesOf(container.resources?.limits?.[from.resourceFieldRef.resource.replace('limits.', '')] ?? '0');
    else if (from?.configMapKeyRef) value = configMap(objects, from.configMapKeyRef.name)[from.configMapKeyRef.key] ?? '';
    else if (from?.secretKeyRef) value = 'token-from-a-secret';
    else throw new Error(`env ${v.name}: unsupported source`);
    expect(value, `env ${v.name} of ${workload.name}`).toBeDefined();
    env[v.name] = value;
  }
  const dir = mkdtempSync(join(work, `${workload.name}-`));
  const volumes = podSpec(workload).volumes ?? [];
  const args = (container.args ?? []).map((arg) => {
    const m = /^--config=(.+)$/.exec(arg);
    if (!m) return arg;
    const path = m[1]!;
    const mount = container.volumeMounts?.find((vm) => path.startsWith(`${vm.mountPath}/`));
    expect(mount, `a volume mounted under ${path}`).toBeDefined();
    const volume = volumes.find((vol) => vol.name === mount!.name);
    expect(volume?.configMap, `${path} comes from a ConfigMap`).toBeDefined();
    const key = path.slice(mount!.mountPath.length + 1);
    const item = (volume.configMap.items as { key: string; path: string }[] | undefined)?.find((i) => i.path === key);
    const data = configMap(objects, volume.configMap.name)[item?.key ?? key];
    if (data === undefined) throw new Error(`${volume.configMap.name} has no key ${item?.key ?? key}`);
    const local = join(dir, basename(path));
    writeFileSync(local, data);
    return `--config=${local}`;
  });
  return { args, env };
}

/** Runs `<collector> validate` with the container's arguments and environment. */
function validateContainer(objects: K8sObject[], workload: K8sObject): string[] {
  const container = mainContainer(workload);
  const { args, env } = containerRun(objects, workload, container);
  const result = run(collector, ['validate', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  expect(result.stderr + result.stdout, `${workload.kind}/${workload.name}: ${collector} validate ${args.join(' ')}`).not.toMatch(/error/i);
  expect(result.status, `${workload.kind}/${workload.name} validate\n${result.stderr}`).toBe(0);
  return args.filter((a) => a.startsWith('--config=')).map((a) => basename(a.slice('--config='.length)));
}

function expectConfigsVerbatim(objects: K8sObject[], name: string): void {
  const data = configMap(objects, name);
  for (const file of COLLECTOR_CONFIGS) {
    expect(data[file], `${name}/${file} equals otel-collector/${file}`).toBe(readFileSync(join(ROOT, 'otel-collector', file), 'utf8'));
  }
}

function expectProbesOnHealthCheck(workload: K8sObject): void {
  const c = mainContainer(workload);
  const health = c.ports?.find((p) => p.name === 'health');
  expect(health?.containerPort).toBe(13133);
  expect(c.env?.find((e) => e.name === 'OTELCOL_HEALTH_ENDPOINT')?.value).toBe('$(POD_IP):13133');
  for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(probe?.httpGet).toEqual({ path: '/', port: 'health' });
  expect(c.resources?.limits?.memory).toMatch(/^\d+Mi$/);
  expect(c.resources?.requests?.cpu).toBeDefined();
  expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  expect(podSpec(workload).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
}

/** The allowlist ConfigMap is a directory mount (a subPath mount never sees updates) and the file variable points into it. */
function expectAllowlistMountedLive(objects: K8sObject[], gateway: K8sObject, key: string): void {
  const c = mainContainer(gateway);
  const file = c.env?.find((e) => e.name === 'METRICS_WORKSPACE_ALLOWLIST_FILE')?.value ?? '';
  const mount = c.volumeMounts?.find((vm) => file.startsWith(`${vm.mountPath}/`));
  expect(mount, 'METRICS_WORKSPACE_ALLOWLIST_FILE is inside a mount').toBeDefined();
  expect(mount!.subPath).toBeUndefined();
  const volume = podSpec(gateway).volumes?.find((v) => v.name === mount!.name);
  expect(file.slice(mount!.mountPath.length + 1)).toBe(key);
  const env = c.env?.find((e) => e.name === 'METRICS_WORKSPACE_ALLOWLIST');
  expect(env?.valueFrom?.configMapKeyRef).toEqual({ name: volume.configMap.name, key });
  expect(configMap(objects, volume.configMap.name)[key]).toBeDefined();
}

function expectPrometheusRulesWrapFiles(objects: K8sObject[]): void {
  const rules = byKind(objects, 'PrometheusRule');
  expect(rules.map((r) => r.name).sort()).toEqual(RULE_FILES.map((f) => `owm-${f.replace('.yml', '')}`));
  for (const rule of rules) {
    const source = join(ROOT, 'prometheus', 'rules', `${rule.name.replace('owm-', '')}.yml`);
    expect(rule.object.spec, `${rule.name} carries ${source} unchanged`).toEqual(yamlToJson(source)[0]);
    // promtool reads YAML, and JSON is YAML: check the groups as the operator would load them.
    const file = join(work, `${rule.name}.rules.yml`);
    writeFileSync(file, JSON.stringify(rule.object.spec));
    const checked = must(promtoolBinary(), ['check', 'rules', file], `promtool check rules ${rule.name}`);
    expect(checked).toMatch(/SUCCESS: \d+ rules found/);
  }
}

function expectDashboardsVerbatim(objects: K8sObject[]): void {
  const maps = byKind(objects, 'ConfigMap').filter((o) => o.object.metadata.labels?.grafana_dashboard === '1');
  const files = new Map<string, string>();
  for (const m of maps) for (const [key, value] of Object.entries(m.object.data as Record<string, string>)) files.set(key, value);
  expect([...files.keys()].sort()).toEqual(DASHBOARDS);
  for (const file of DASHBOARDS) expect(files.get(file), file).toBe(readFileSync(join(ROOT, 'grafana', 'dashboards', file), 'utf8'));
}

describe('k8s-validate, the strict decoder (otel-collector/deploy/validate)', { timeout: 180_000 }, () => {
  it('passes its own Go table tests (unknown, nested unknown, duplicated, mistyped fields; unknown kinds)', () => {
    const go = process.env.GO ?? '/usr/local/go/bin/go';
    const result = run(go, ['test', '-count=1', './...'], { cwd: join(ROOT, 'otel-collector', 'deploy', 'validate'), env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` } });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok\s/m);
  });

  it('refuses a rendered Deployment with one misspelt field', () => {
    const rendered = helmTemplate().replace('readinessProbe:', 'readynessProbe:');
    const file = join(work, 'misspelt.yaml');
    writeFileSync(file, rendered);
    const result = run(validator, [file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.readynessProbe"/);
  });
});

describe('Helm chart otel-collector/deploy/helm/otelcol-workspace', { timeout: 180_000 }, () => {
  it('passes helm lint --strict with the default values and every ci/ values file', () => {
    for (const values of [undefined, ...VALUES_FILES]) {
      const args = ['lint', '--strict', CHART, '--namespace', NAMESPACE, ...(values ? ['-f', join(CHART, 'ci', values)] : [])];
      const out = must(helm, args, `helm ${args.join(' ')}`);
      expect(out, values ?? 'default values').toContain('1 chart(s) linted, 0 chart(s) failed');
    }
    expect(VALUES_FILES.length).toBeGreaterThanOrEqual(2);
  });

  it('default values: gateways only, strictly typed, config.yaml verbatim and valid for the collector', () => {
    const objects = decodeStrict(helmTemplate(), 'helm-default');
    expect(objects.map((o) => `${o.kind}/${o.name}`).sort()).toEqual([
      'ConfigMap/owm-otelcol-workspace-allowlist',
      'ConfigMap/owm-otelcol-workspace-config',
      'Deployment/owm-otelcol-workspace-gateway',
      'PodDisruptionBudget/owm-otelcol-workspace-gateway',
      'Service/owm-otelcol-workspace-gateway',
      'Service/owm-otelcol-workspace-gateway-headless',
      'ServiceAccount/owm-otelcol-workspace',
    ]);
    for (const o of objects) expect(o.namespace, `${o.kind}/${o.name}`).toBe(NAMESPACE);
    expectConfigsVerbatim(objects, 'owm-otelcol-workspace-config');
    const gateway = only(workloads(objects), 'one workload');
    expect(gateway.object.spec.replicas).toBe(2);
    expect(validateContainer(objects, gateway)).toEqual(['config.yaml']);
    expectProbesOnHealthCheck(gateway);
    expectAllowlistMountedLive(objects, gateway, 'allowlist');
    expect(gateway.object.spec.template.metadata.annotations['checksum/allowlist']).toMatch(/^[0-9a-f]{64}$/);
    const pdb = only(byKind(objects, 'PodDisruptionBudget'), 'one PodDisruptionBudget');
    expect(pdb.object.spec.maxUnavailable).toBe(1);
    expect(pdb.object.spec.selector.matchLabels).toEqual(gateway.object.spec.selector.matchLabels);
    const [service, headless] = byKind(objects, 'Service') as [K8sObject, K8sObject];
    expect(service.object.spec.sessionAffinity).toBe('ClientIP');
    expect(headless.object.spec.clusterIP).toBe('None');
  });

  it('ci/fleet-values.yaml: StatefulSet gateways behind agents, every overlay, Prometheus Operator objects and dashboards', () => {
    const objects = decodeStrict(helmTemplate('fleet-values.yaml'), 'helm-fleet');
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds.filter((k) => k === 'PrometheusRule')).toHaveLength(RULE_FILES.length);
    for (const kind of ['StatefulSet', 'DaemonSet', 'ServiceMonitor', 'PodMonitor', 'PodDisruptionBudget']) expect(kinds, kind).toContain(kind);
    expectConfigsVerbatim(objects, 'owm-config');
    const gateway = objects.find((o) => o.kind === 'StatefulSet')!;
    const agent = objects.find((o) => o.kind === 'DaemonSet')!;
    // Every overlay, in the order the collector merges them, and the union of the two auth extensions.
    expect(validateContainer(objects, gateway)).toEqual(['config.yaml', 'config.remotewrite.yaml', 'config.tls.yaml', 'config.auth.yaml', 'config.scrape-tls.yaml', 'config.scrape-auth.yaml']);
    expect(mainContainer(gateway).args).toContain('--set=service.extensions=[health_check,bearertokenauth/otlp,bearertokenauth/scrape]');
    expect(validateContainer(objects, agent)).toEqual(['config.agent.yaml']);
    for (const w of [gateway, agent]) expectProbesOnHealthCheck(w);
    expectAllowlistMountedLive(objects, gateway, 'allowlist');
    expect(configMap(objects, 'owm-allowlist').allowlist).toBe('acme,globex,initech/*,umbrella/research');
    expect(gateway.object.spec.template.metadata.annotations['checksum/allowlist']).toBeUndefined();
    // The agents' ring: the StatefulSet's stable pod names, so a restarted gateway keeps its streams.
    const resolver = mainContainer(agent).env?.find((e) => e.name === 'OTELCOL_GATEWAY_RESOLVER')?.value;
    expect(JSON.parse(resolver!)).toEqual({
      static: { hostnames: [0, 1, 2].map((i) => `owm-gateway-${i}.owm-gateway-headless.${NAMESPACE}.svc:4317`) },
    });
    expect(gateway.object.spec.serviceName).toBe('owm-gateway-headless');
    expect(mainContainer(agent).ports?.filter((p) => p.hostPort).map((p) => p.hostPort)).toEqual([4317, 4318]);
    // Scraping the TLS + token endpoint: the ServiceMonitor carries both.
    const monitor = only(byKind(objects, 'ServiceMonitor'), 'one ServiceMonitor');
    expect(monitor.object.spec.endpoints[0]).toMatchObject({ port: 'metrics', honorLabels: true, scheme: 'https', authorization: { type: 'Bearer', credentials: { name: 'owm-scrape-token', key: 'token' } } });
    expect(monitor.object.spec.endpoints[0].tlsConfig.ca.secret).toEqual({ name: 'owm-scrape-tls', key: 'ca.crt' });
    expect(monitor.object.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(only(byKind(objects, 'PodMonitor'), 'one PodMonitor').object.spec.namespaceSelector.matchNames).toEqual(['apps', 'jobs']);
    expectPrometheusRulesWrapFiles(objects);
    expectDashboardsVerbatim(objects);
  });

  it('ci/agent-deployment-values.yaml: agents resolve Deployment gateways by DNS on the headless Service', () => {
    const objects = decodeStrict(helmTemplate('agent-deployment-values.yaml'), 'helm-agent-deployment');
    expect(byKind(objects, 'PodDisruptionBudget')).toHaveLength(0);
    const agent = only(byKind(objects, 'DaemonSet'), 'one DaemonSet');
    const resolver = mainContainer(agent).env?.find((e) => e.name === 'OTELCOL_GATEWAY_RESOLVER')?.value;
    expect(JSON.parse(resolver!)).toEqual({ dns: { hostname: `owm-otelcol-workspace-gateway-headless.${NAMESPACE}.svc`, port: '4317' } });
    expect(mainContainer(agent).ports?.some((p) => p.hostPort)).toBe(false);
    for (const w of workloads(objects)) validateContainer(objects, w);
  });

  it('values.schema.json refuses unknown keys and bad values', () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'gateway.kind=ReplicaSet'], /gateway\.kind|kind/],
      [['--set', 'gateway.replicaz=3'], /replicaz/],
      [['--set', 'workspace.allowlist={Not Canonical}'], /allowlist/],
      [['--set', 'workspace.sampleThreshold=0.1'], /sampleThreshold/],
      [['--set', 'gateway.metricExpiration=ten minutes'], /metricExpiration/],
    ];
    for (const [extra, message] of cases) {
      const result = run(helm, ['template', 'owm', CHART, ...extra]);
      expect(result.status, extra.join(' ')).not.toBe(0);
      expect(result.stderr, extra.join(' ')).toMatch(message);
    }
    const missing = run(helm, ['template', 'owm', CHART, '--set', 'gateway.remoteWrite.enabled=true']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('gateway.remoteWrite.url is required');
  });

  it('NOTES.txt warns in one line while /metrics has no TLS or token, and not when it has both', () => {
    // NOTES.txt is `include "owm.notes"`; install --dry-run needs a cluster, so render the
    // same named template through helm template in a copy of the chart with one extra template.
    const copy = join(work, 'chart-with-notes');
    cpSync(CHART, copy, { recursive: true, dereference: true });
    expect(readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8').trim()).toBe('{{ include "owm.notes" . }}');
    writeFileSync(join(copy, 'templates', 'zz-notes.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "owm.notes" . | quote }}\n');
    const notes = (values?: string) => {
      const args = ['template', 'owm', copy, '--namespace', NAMESPACE, '--show-only', 'templates/zz-notes.yaml', ...(values ? ['-f', join(CHART, 'ci', values)] : [])];
      const [object] = decodeStrict(must(helm, args, `helm ${args.join(' ')}`), `notes-${values ?? 'default'}`);
      return (object!.object.data as { notes: string }).notes;
    };
    const warning = only(notes().split('\n').filter((l) => l.startsWith('WARNING')), 'one WARNING line');
    expect(warning).toContain('without TLS or a bearer token');
    for (const name of ['OTELCOL_SCRAPE_TLS_CERT_FILE', 'OTELCOL_SCRAPE_TLS_KEY_FILE', 'OTELCOL_SCRAPE_BEARER_TOKEN_FILE', 'gateway.scrape.tls.enabled', 'gateway.scrape.auth.enabled']) expect(warning).toContain(name);
    const secured = notes('fleet-values.yaml');
    expect(secured).toContain('an agent on every node');
    expect(secured).not.toContain('WARNING');
  });
});

describe('kustomize bases otel-collector/deploy/kustomize', { timeout: 180_000 }, () => {
  it('base: the gateways, strictly typed, configs verbatim and valid for the collector', () => {
    const objects = decodeStrict(kustomizeBuild('base'), 'kustomize-base');
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.name.startsWith('otelcol-workspace-config-'))!;
    expectConfigsVerbatim(objects, config.name);
    const gateway = only(byKind(objects, 'Deployment'), 'one Deployment');
    expect(validateContainer(objects, gateway)).toEqual(['config.yaml']);
    expectProbesOnHealthCheck(gateway);
    expectAllowlistMountedLive(objects, gateway, 'METRICS_WORKSPACE_ALLOWLIST');
    expect(byKind(objects, 'PodDisruptionBudget')).toHaveLength(1);
  });

  it('overlays/example: agents, ServiceMonitor, PodMonitor, dashboards and rules, in one namespace', () => {
    const objects = decodeStrict(kustomizeBuild('overlays/example'), 'kustomize-example');
    for (const o of objects) expect(o.namespace, `${o.kind}/${o.name}`).toBe('observability');
    for (const w of workloads(objects)) {
      validateContainer(objects, w);
      expectProbesOnHealthCheck(w);
      expect(mainContainer(w).args?.[0]).toMatch(/^--config=/);
    }
    expect(workloads(objects).map((w) => w.kind).sort()).toEqual(['DaemonSet', 'Deployment']);
    expect(configMap(objects, 'otelcol-workspace-allowlist')).toEqual({ METRICS_WORKSPACE_ALLOWLIST: 'acme,globex,initech/*' });
    expect(only(byKind(objects, 'ServiceMonitor'), 'one ServiceMonitor').object.spec.endpoints[0].honorLabels).toBe(true);
    expect(byKind(objects, 'PodMonitor')).toHaveLength(1);
    expectDashboardsVerbatim(objects);
    const rules = configMap(objects, 'otelcol-workspace-rules');
    expect(Object.keys(rules).sort()).toEqual(RULE_FILES);
    for (const file of RULE_FILES) {
      expect(rules[file], file).toBe(readFileSync(join(ROOT, 'prometheus', 'rules', file), 'utf8'));
      const local = join(work, `kustomize-${file}`);
      writeFileSync(local, rules[file] ?? '');
      expect(must(promtoolBinary(), ['check', 'rules', local], `promtool check rules ${file}`)).toMatch(/SUCCESS/);
    }
    const image = mainContainer(only(byKind(objects, 'Deployment'), 'one Deployment'));
    expect((image as any).image).toBe('registry.example.com/platform/otelcol-workspace:0.1.0');
  });
});

describe('Dockerfile otel-collector/deploy/Dockerfile (no container engine here: checked, not built)', { timeout: 180_000 }, () => {
  const dockerfile = readFileSync(join(ROOT, 'otel-collector', 'deploy', 'Dockerfile'), 'utf8');
  // Logical lines: continuations joined, comments dropped.
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^FROM /i.test(l));

  it('builds with the repository build script in a Go stage and ships only the binary on a non-root distroless base', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]!.l).toMatch(/^FROM golang:\$\{GO_VERSION\}-bookworm AS build$/);
    const goVersion = /^ARG GO_VERSION=(\S+)$/m.exec(dockerfile)?.[1] ?? 'missing';
    // The Go of the image is the Go this repository builds with (BUILD.md pins it).
    expect(readFileSync(join(ROOT, 'otel-collector', 'BUILD.md'), 'utf8')).toContain(`go${goVersion}`);
    expect(stages[1]!.l).toBe('FROM gcr.io/distroless/static-debian12:nonroot');
    const build = lines.slice(stages[0]!.i, stages[1]!.i);
    const final = lines.slice(stages[1]!.i);
    expect(build.find((l) => l.startsWith('RUN '))).toContain('bin="$(bash otel-collector/build.sh)"');
    expect(final.filter((l) => l.startsWith('USER '))).toEqual(['USER 65532:65532']);
    expect(final.filter((l) => /^(RUN|ADD) /.test(l))).toEqual([]);
    expect(final.filter((l) => l.startsWith('COPY ')).every((l) => l.startsWith('COPY --from=build /out/'))).toBe(true);
    expect(final).toContain('ENTRYPOINT ["/otelcol-workspace"]');
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^!otel-collector\/$/m);
  });

  it('the binary build.sh makes is static (runs on distroless/static) and validates the image default config', () => {
    const ldd = run('ldd', [collector]);
    expect(ldd.stdout + ldd.stderr).toMatch(/not a dynamic executable|statically linked/);
    const cmd = /^CMD \["--config=\/etc\/otelcol-workspace\/conf\/config\.yaml"\]$/m.test(dockerfile);
    expect(cmd).toBe(true);
    const result = run(collector, ['validate', `--config=${join(ROOT, 'otel-collector', 'config.yaml')}`], { env: { PATH: process.env.PATH } });
    expect(result.status, result.stderr).toBe(0);
  });
});
