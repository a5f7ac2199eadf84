/** `otel-workspace-metrics/ops`: the Prometheus rules, rule tests and Grafana dashboards, rendered from the catalogue with your options. */
export { renderArtifacts, writeArtifacts, staleArtifacts } from '../ops/generate';
export {
  opsOptions,
  loadOpsConfig,
  opsOptionsFromConfig,
  DEFAULT_OPS_OPTIONS,
  DEFAULT_THRESHOLDS,
  type OpsOptions,
  type OpsOverrides,
  type OpsThresholds,
  type OpsSelectors,
  type OpsDashboardOptions,
} from '../ops/options';
export { declaredMetrics } from '../ops/custom';
