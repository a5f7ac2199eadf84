/**
 * The flush at `process.exit()`. An 'exit' listener cannot wait for a promise,
 * so the OTLP exporters cannot run in this process any more: the fast path's
 * data is collected synchronously, handed to a short-lived child process that
 * exports it with the same exporter and environment, and this process waits
 * for it (spawnSync) at most the export timeout. Cumulative temporality makes
 * a repeated send harmless. What cannot be flushed: SIGKILL and crashes of the
 * runtime, and data only the SDK path holds (observable gauges, raw API
 * instruments, everything when METRICS_RECORDING_PATH=views).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import type { Kit } from './start';
import { logError } from '../log';
import { otlpHeaderSecrets, safeExportMessage } from './readers';

/** What the parent sends the exit sender on its stdin (v8-serialized). */
export interface ExitPayload {
  protocol: Kit['config']['otlp']['protocol'];
  maxRequestBytes: number;
  resource: { attributes: Record<string, unknown>; schemaUrl?: string };
  scopeMetrics: unknown[];
}

export function flushOnExit(kit: Kit): void {
  try {
    const snapshot = kit.exitSnapshot?.();
    if (snapshot === undefined || snapshot.scopeMetrics.length === 0) return;
    const payload: ExitPayload = {
      protocol: kit.config.otlp.protocol,
      maxRequestBytes: kit.config.otlp.maxRequestBytes,
      resource: { attributes: { ...snapshot.resource.attributes }, schemaUrl: snapshot.resource.schemaUrl },
      scopeMetrics: snapshot.scopeMetrics,
    };
    const timeout = kit.config.exportTimeoutMillis;
    const result = spawnSync(process.execPath, [join(__dirname, 'exit-sender.js')], {
      input: serialize(payload),
      // The child exports and exits; the whole wait is bounded by the export timeout plus its start-up.
      timeout: timeout + 2_000,
      stdio: ['pipe', 'ignore', 'pipe'],
      // Never the preload in the child (NODE_OPTIONS may carry --require of it).
      env: { ...process.env, METRICS_ENABLED: 'false', OTEL_EXPORTER_OTLP_TIMEOUT: String(timeout) },
    });
    if (result.status !== 0) {
      // The child already redacts; redacted again here, as anything else it printed could echo the endpoint.
      const reason = result.error?.message ?? result.stderr?.toString().trim().split('\n').pop() ?? `exit ${result.status}`;
      logError(`the OTLP flush at process exit did not complete (${safeExportMessage(reason, otlpHeaderSecrets())}); values since the last export are lost`);
    }
  } catch (error) {
    logError(`the OTLP flush at process exit failed (${safeExportMessage((error as Error)?.message, otlpHeaderSecrets())})`);
  }
}
