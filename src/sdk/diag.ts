/**
 * OTEL_LOG_LEVEL drives the OpenTelemetry diag logger (the SDK's own
 * messages: a refused MeterProvider registration, an exporter's failures),
 * as the specification asks. Unset, the host's diag setup is left alone.
 */
import { DiagConsoleLogger, diag } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import type { OtelLogLevel } from '../config/env';

export function applyLogLevel(level: OtelLogLevel | undefined): void {
  if (level === undefined) return;
  const logLevel = diagLogLevelFromString(level);
  if (logLevel === undefined) return;
  diag.setLogger(new DiagConsoleLogger(), { logLevel, suppressOverrideMessage: true });
}
