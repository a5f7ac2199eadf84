/**
 * The resource that identifies this process: service name/version from the
 * app's package.json unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say
 * otherwise (they win), and a unique service.instance.id per process, which
 * the collector's Prometheus exporter needs to keep writers apart.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';

function appPackage(cwd: string): { name?: string; version?: string } {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { name, version } = parsed as Record<string, unknown>;
    return { name: typeof name === 'string' ? name : undefined, version: typeof version === 'string' ? version : undefined };
  } catch {
    return {};
  }
}

export function buildResource(cwd = process.cwd()): Resource {
  const pkg = appPackage(cwd);
  const base: Record<string, string> = { 'service.instance.id': randomUUID() };
  if (pkg.name) base['service.name'] = pkg.name;
  if (pkg.version) base['service.version'] = pkg.version;
  // Later merges win: SDK defaults < package.json < environment.
  return defaultResource().merge(resourceFromAttributes(base)).merge(detectResources({ detectors: [envDetector] }));
}
