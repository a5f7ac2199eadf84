/**
 * The resource that identifies this process, exported as `target_info`: the
 * kit's "system info" (service name and version, environment, runtime, host,
 * OS) per instance.
 *
 * - service name/version from the app's package.json unless OTEL_SERVICE_NAME
 *   / OTEL_RESOURCE_ATTRIBUTES say otherwise (they win);
 * - `deployment.environment.name` from OTEL_RESOURCE_ATTRIBUTES, else NODE_ENV;
 * - a unique `service.instance.id` per process, which the collector's
 *   Prometheus exporter needs to keep writers apart;
 * - the standard detectors chosen by OTEL_NODE_RESOURCE_DETECTORS (as NodeSDK
 *   reads it: env, host, os, process, serviceinstance, all, none), with two
 *   deliberate cuts: nothing a detector can only answer asynchronously
 *   (`host.id`: the resource stays synchronous, so a scrape or the exit flush
 *   never sees it half-built), and no process attribute that can carry a
 *   secret or a person (command line and arguments, executable path, owner).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultResource,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  type DetectedResourceAttributes,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import type { Env, ResourceDetectorName } from '../config/env';

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

/** Process attributes that describe the runtime, not the invocation. */
const PROCESS_ATTRIBUTES = new Set(['process.pid', 'process.executable.name', 'process.runtime.name', 'process.runtime.version', 'process.runtime.description']);

const DETECTORS: Record<Exclude<ResourceDetectorName, 'serviceinstance'>, { detector: ResourceDetector; keep?: (key: string) => boolean }> = {
  env: { detector: envDetector },
  host: { detector: hostDetector },
  os: { detector: osDetector },
  process: { detector: processDetector, keep: (key) => PROCESS_ATTRIBUTES.has(key) },
};

function isPromiseLike(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function detected(name: Exclude<ResourceDetectorName, 'serviceinstance'>): DetectedResourceAttributes {
  const { detector, keep = () => true } = DETECTORS[name];
  const out: DetectedResourceAttributes = {};
  for (const [key, value] of Object.entries(detector.detect().attributes ?? {})) {
    if (value !== undefined && !isPromiseLike(value) && keep(key)) out[key] = value;
  }
  return out;
}

export function buildResource(cwd = process.cwd(), detectors: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance'], env: Env = process.env): Resource {
  const pkg = appPackage(cwd);
  const base: Record<string, string> = {};
  // The instance id is what keeps two processes' series apart downstream: always set, whatever the detectors.
  base['service.instance.id'] = randomUUID();
  if (pkg.name) base['service.name'] = pkg.name;
  if (pkg.version) base['service.version'] = pkg.version;
  const nodeEnv = env.NODE_ENV?.trim();
  if (nodeEnv) base['deployment.environment.name'] = nodeEnv;
  // Later merges win: SDK defaults < host/os/process < package.json and NODE_ENV < OTEL_* environment.
  let resource = defaultResource();
  for (const name of ['host', 'os', 'process'] as const) if (detectors.includes(name)) resource = resource.merge(resourceFromAttributes(detected(name)));
  resource = resource.merge(resourceFromAttributes(base));
  if (detectors.includes('env')) resource = resource.merge(resourceFromAttributes(detected('env')));
  return resource;
}
