/**
 * Which declarations the running MeterProvider's views cover. Views are fixed
 * when the provider starts, so a metric declared later would be exported with
 * every attribute it is given (a raw workspace id included): its recordings
 * are dropped instead, with one error line, until the next start.
 */
import type { MetricDeclaration } from './types';

let started = false;
const unenforced = new Set<MetricDeclaration>();

/** Called when a provider starts (its views now cover every declaration) and when it stops. */
export function markCatalogueStarted(value: boolean): void {
  started = value;
  if (value) unenforced.clear();
}

export function catalogueStarted(): boolean {
  return started;
}

export function markUnenforced(decl: MetricDeclaration): void {
  unenforced.add(decl);
}

export function isUnenforced(decl: MetricDeclaration): boolean {
  return unenforced.has(decl);
}
