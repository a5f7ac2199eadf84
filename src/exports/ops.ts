/** `otel-workspace-metrics/ops`: the Prometheus rules, rule tests and Grafana dashboards, rendered from the catalogue. */
export { renderArtifacts } from '../ops/generate';
export { opsOptions, DEFAULT_OPS_OPTIONS, type OpsOptions } from '../ops/options';
