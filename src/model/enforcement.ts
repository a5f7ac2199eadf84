/**
 * Which declarations the running MeterProvider's views cover. Views are fixed
 * when the provider starts, so a metric declared later would be exported with
 * every attribute it is given (a raw workspace id included): its recordings
 * are dropped instead, with one error line, until the next start. One
 * `Enforcement` per runtime (src/record/runtime.ts), so kits never share it.
 */
import type { MetricDeclaration } from './types';

export class Enforcement {
  private readonly unenforced = new Set<MetricDeclaration>();

  /** @param started whether a provider with views over the catalogue is running (late declarations are then unenforced). */
  constructor(readonly started: boolean) {}

  markUnenforced(decl: MetricDeclaration): void {
    this.unenforced.add(decl);
  }

  isUnenforced(decl: MetricDeclaration): boolean {
    return this.unenforced.has(decl);
  }
}
