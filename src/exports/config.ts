/** `otel-workspace-metrics/config`: the environment variables the kit reads, and how. */
export {
  readConfig,
  CONFIG_VARIABLES,
  type KitConfig,
  type Env,
  type ConfigResult,
  type ExporterKind,
  type OtlpProtocol,
  type WorkspacePolicyMode,
  type RecordingPath,
  type PrometheusEndpointConfig,
  type ResourceDetectorName,
  RESOURCE_DETECTORS,
} from '../config/env';
