/**
 * `otel-workspace-metrics/sdk`: bring your own OpenTelemetry SDK. The kit's
 * views, readers, fast-path producers and resource for an application-built
 * `NodeSDK` or `MeterProvider` (README: "Using it with the OpenTelemetry Node SDK").
 */
export { createWorkspaceMetrics, type WorkspaceMetrics, type NodeSdkMetricsOptions, type StartOptions } from '../sdk/start';
export { FOREIGN_PROVIDER_ERROR } from '../sdk/coexist';
export { INSTRUMENTATION_HTTP } from '../http/instrumentation-http';
