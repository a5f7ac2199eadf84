/**
 * The child side of the exit flush (see exit-flush.ts): reads the snapshot
 * from stdin, exports it once with the configured OTLP exporter (the same
 * OTEL_EXPORTER_OTLP_* environment), exits 0 on success, 1 on failure.
 */
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { KitOtlpExporter, createOtlpExporter, otlpHeaderSecrets, safeExportMessage } from './readers';
import type { ExitPayload } from './exit-flush';

const payload = deserialize(readFileSync(0)) as ExitPayload;
const resourceMetrics = {
  resource: resourceFromAttributes(payload.resource.attributes as Record<string, string>, { schemaUrl: payload.resource.schemaUrl }),
  scopeMetrics: payload.scopeMetrics,
} as ResourceMetrics;
const config = { otlp: { protocol: payload.protocol, maxRequestBytes: payload.maxRequestBytes } };
// In requests that fit, as the periodic export sends them.
const exporter = new KitOtlpExporter(createOtlpExporter(config), config);
exporter.export(resourceMetrics, (result) => {
  // The endpoint chose (part of) this text: the same redaction as the periodic export's warnings.
  if (result.code !== 0) process.stderr.write(`export failed: ${safeExportMessage(result.error?.message, otlpHeaderSecrets())}\n`);
  void exporter.shutdown().finally(() => process.exit(result.code === 0 ? 0 : 1));
});
