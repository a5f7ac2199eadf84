/**
 * The workspace label policy: which tenant ids may become label values.
 * Allowlisted canonical ids are kept; a stable sample of the rest may be kept;
 * everything else (unlisted, empty, invalid, hostile) folds into one overflow
 * value, so the event still counts and totals are never lost.
 */
import { OVERFLOW_VALUE, canonicalWorkspaceId } from './canonical';
import type { WorkspacePolicyMode } from '../config/env';

export interface WorkspacePolicyOptions {
  labelName: string;
  allowlist: readonly string[];
  sampleRate?: number;
  mode?: WorkspacePolicyMode;
}

/** FNV-1a, 32 bit: cheap, stable across processes and platforms. */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** True when a canonical id falls in the sampled fraction: the same answer in every process. */
export function isSampled(canonicalId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fnv1a32(canonicalId) / 0x1_0000_0000 < rate;
}

export class WorkspacePolicy {
  readonly labelName: string;
  readonly mode: WorkspacePolicyMode;
  private allowed: ReadonlySet<string>;
  private readonly sampleRate: number;
  /** Recordings whose workspace folded into the overflow value (self-metric). */
  folded = 0;

  constructor(options: WorkspacePolicyOptions) {
    this.labelName = options.labelName;
    this.mode = options.mode ?? 'enforce';
    this.sampleRate = options.sampleRate ?? 0;
    this.allowed = new Set(options.allowlist);
  }

  get allowlist(): readonly string[] {
    return [...this.allowed];
  }

  /** Swap the allowlist atomically (dynamic sources); recordings in flight see the old or the new list, never a mix. */
  setAllowlist(list: readonly string[]): void {
    this.allowed = new Set(list);
  }

  /** The label value to export for a raw workspace id. */
  resolve(raw: unknown): string {
    // Fast path: an allowlisted id is already canonical.
    if (typeof raw === 'string' && this.allowed.has(raw)) return raw;
    if (this.mode === 'passthrough') return typeof raw === 'string' ? raw : String(raw);
    const canonical = canonicalWorkspaceId(raw);
    if (canonical !== undefined && (this.allowed.has(canonical) || isSampled(canonical, this.sampleRate))) {
      return canonical;
    }
    this.folded++;
    return OVERFLOW_VALUE;
  }
}
