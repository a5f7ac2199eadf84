/**
 * The workspace label policy: which tenant ids may become label values.
 * Allowlisted canonical ids are kept; a stable sample of the rest may be kept;
 * an unlisted workspace of an allowlisted team keeps its team
 * (`team/__other__`); everything else (unlisted, empty, invalid, hostile)
 * folds into one overflow value, so the event still counts and totals are
 * never lost.
 *
 * `resolve` runs on every recording of every `_by_workspace` stream: the
 * allowlisted path is one Set lookup; folding adds a few integer operations
 * (a per-metric counter and one register of a fixed-size distinct sketch).
 */
import {
  OVERFLOW_VALUE,
  TEAM_WILDCARD,
  canonicalAllowlistEntry,
  canonicalWorkspacePath,
  teamOf,
  teamOfOverflowValue,
  teamOverflowValue,
} from '../model/canonical';
import { WindowedDistinct, mix32 } from './distinct-sketch';
import type { WorkspacePolicyMode } from '../config/env';

export interface WorkspacePolicyOptions {
  labelName: string;
  allowlist: readonly string[];
  sampleRate?: number;
  mode?: WorkspacePolicyMode;
  /**
   * Pass-through only: how many distinct raw workspace values (besides the
   * allowlisted ones) go out as they are; later ones fold into `__other__`
   * (default DEFAULT_PASSTHROUGH_LIMIT).
   */
  passthroughLimit?: number;
  /** Window of the distinct-unlisted estimate (it spans one to two windows); default 10 minutes. */
  unlistedWindowMillis?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const DEFAULT_UNLISTED_WINDOW_MILLIS = 10 * 60_000;

/**
 * Pass-through: distinct raw workspace values a process sends as they are
 * (METRICS_WORKSPACE_PASSTHROUGH_LIMIT). With the catalogue's widest family
 * (4 label tuples per workspace), 4 × 2,001 series stay under a workspace
 * stream's 20,000-series cap, so the SDK's overflow series (which drops every
 * label) is not reached by the workspace label alone.
 */
export const DEFAULT_PASSTHROUGH_LIMIT = 2_000;

/** FNV-1a, 32 bit: cheap, stable across processes and platforms (mixed, it feeds the distinct sketch). */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * MurmurHash3 x86 32-bit, seed 0, over the string's char codes (its UTF-8
 * bytes for the ASCII-only canonical ids).
 */
export function murmur3x86_32(value: string): number {
  let h = 0;
  const length = value.length;
  const blocks = length & ~3;
  let k: number;
  for (let i = 0; i < blocks; i += 4) {
    k =
      (value.charCodeAt(i) & 0xff) |
      ((value.charCodeAt(i + 1) & 0xff) << 8) |
      ((value.charCodeAt(i + 2) & 0xff) << 16) |
      ((value.charCodeAt(i + 3) & 0xff) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: with no tail, charCodeAt(length) is NaN and NaN & 0xff is 0: k stays 0 and h ^= 0 changes nothing
  if (tail > 0) {
    k = 0;
    // Stryker disable next-line ConditionalExpression: a shorter tail reads past the end (NaN & 0xff = 0), which adds nothing to k
    if (tail === 3) k ^= (value.charCodeAt(blocks + 2) & 0xff) << 16;
    // Stryker disable next-line ConditionalExpression: a one-byte tail reads past the end (NaN & 0xff = 0), which adds nothing to k
    if (tail >= 2) k ^= (value.charCodeAt(blocks + 1) & 0xff) << 8;
    k ^= value.charCodeAt(blocks) & 0xff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  // fmix32, murmur3's finalizer
  return mix32(h ^ length);
}

/**
 * The sampling hash of a canonical id: MurmurHash3 x86 32 (seed 0) with its
 * bytes read in little-endian order, an unsigned 32-bit number. Its 8-digit
 * lower-case hex form is exactly what the collector's OTTL `Murmur3Hash(id)`
 * returns, so `Murmur3Hash(id) < sampleThresholdHex(rate)` (a string
 * comparison) takes the same decision there (docs/POLICY.md).
 */
export function sampleHash(canonicalId: string): number {
  const h = murmur3x86_32(canonicalId);
  return (((h & 0xff) << 24) | ((h & 0xff00) << 8) | ((h >>> 8) & 0xff00) | (h >>> 24)) >>> 0;
}

/** The smallest hash NOT sampled at `rate`: sampled ⇔ sampleHash(id) < threshold ⇔ sampleHash(id) / 2^32 < rate. */
export function sampleThreshold(rate: number): number {
  // Stryker disable next-line EqualityOperator: at rate 0 the formula below gives Math.ceil(0) = 0 as well
  if (!(rate > 0)) return 0;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the formula below is capped at 2^32 (rate 1 and Infinity included)
  if (rate >= 1) return 0x1_0000_0000;
  return Math.min(Math.ceil(rate * 0x1_0000_0000), 0x1_0000_0000);
}

/**
 * The threshold as the collector compares it (8 lower-case hex digits), or
 * undefined when every id is sampled (rate ≥ 1: no comparison needed).
 */
export function sampleThresholdHex(rate: number): string | undefined {
  const threshold = sampleThreshold(rate);
  return threshold >= 0x1_0000_0000 ? undefined : threshold.toString(16).padStart(8, '0');
}

/** True when a canonical id falls in the sampled fraction (hash / 2^32 < rate): the same answer in every process, and in the collector. */
export function isSampled(canonicalId: string, rate: number): boolean {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: shortcut; a rate ≤ 0 gives threshold 0, below which no hash is
  if (rate <= 0) return false;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: shortcut; a rate ≥ 1 gives threshold 2^32, above every 32-bit hash
  if (rate >= 1) return true;
  return sampleHash(canonicalId) < sampleThreshold(rate);
}

/**
 * Per-stream fold counter: the processor of one `_by_workspace` stream holds
 * one and passes it to `resolve`, so counting per metric family costs one
 * increment.
 */
export interface FoldCounter {
  readonly metric: string;
  count: number;
}

/** The parsed allowlist, swapped as one object. */
interface AllowState {
  readonly entries: readonly string[];
  /** Ids kept as they are: flat (`acme`) and hierarchical (`team/ws`) entries. */
  readonly exact: ReadonlySet<string>;
  /** Teams whose unlisted workspaces fold into `team/__other__`: `team/*` entries and flat entries. */
  readonly teams: ReadonlySet<string>;
}

function parseState(list: readonly string[]): AllowState {
  const entries = new Set<string>();
  const exact = new Set<string>();
  const teams = new Set<string>();
  for (const raw of list) {
    const entry = canonicalAllowlistEntry(raw);
    if (entry === undefined) continue;
    entries.add(entry);
    if (entry.endsWith(TEAM_WILDCARD)) {
      teams.add(entry.slice(0, -TEAM_WILDCARD.length));
    } else {
      exact.add(entry);
      // Stryker disable next-line ConditionalExpression: teams are looked up by a team name, which never holds '/': a team/ws entry among them is never found
      if (teamOf(entry) === undefined) teams.add(entry);
    }
  }
  return { entries: [...entries].sort(), exact, teams };
}

export class WorkspacePolicy {
  readonly labelName: string;
  readonly mode: WorkspacePolicyMode;
  readonly sampleRate: number;
  private state: AllowState;
  private readonly threshold: number;
  private readonly unlisted: WindowedDistinct;
  private readonly foldCounters = new Map<string, FoldCounter>();
  private readonly now: () => number;
  /** Pass-through: distinct raw values sent as they are, besides allowlisted ids (METRICS_WORKSPACE_PASSTHROUGH_LIMIT). */
  readonly passthroughLimit: number;
  /** Pass-through: the raw values admitted so far (first come, kept for the process's life: a series never moves). */
  private readonly passedThrough = new Set<string>();
  /** Recordings whose workspace folded into an overflow value (`__other__` or `team/__other__`), all streams. */
  folded = 0;
  /** When the allowlist was last set (ms since the epoch). */
  lastChangeMillis: number;

  constructor(options: WorkspacePolicyOptions) {
    this.labelName = options.labelName;
    this.mode = options.mode ?? 'enforce';
    this.passthroughLimit = options.passthroughLimit ?? DEFAULT_PASSTHROUGH_LIMIT;
    this.sampleRate = options.sampleRate ?? 0;
    this.threshold = sampleThreshold(this.sampleRate);
    this.now = options.now ?? Date.now;
    this.state = parseState(options.allowlist);
    this.unlisted = new WindowedDistinct(options.unlistedWindowMillis ?? DEFAULT_UNLISTED_WINDOW_MILLIS, this.now);
    this.lastChangeMillis = this.now();
  }

  /** The canonical allowlist entries (sorted): ids, `team/ws` ids and `team/*` wildcards. */
  get allowlist(): readonly string[] {
    return this.state.entries;
  }

  get allowlistSize(): number {
    return this.state.entries.length;
  }

  /**
   * Swap the allowlist atomically (dynamic sources); recordings in flight see
   * the old or the new list, never a mix. Entries are canonicalized; entries
   * that are not canonical allowlist entries are ignored.
   */
  setAllowlist(list: readonly string[]): void {
    this.state = parseState(list);
    this.lastChangeMillis = this.now();
  }

  /** The fold counter for one metric family (created once per `_by_workspace` stream). */
  foldCounter(metric: string): FoldCounter {
    let counter = this.foldCounters.get(metric);
    if (counter === undefined) this.foldCounters.set(metric, (counter = { metric, count: 0 }));
    return counter;
  }

  foldCounts(): readonly FoldCounter[] {
    return [...this.foldCounters.values()];
  }

  /** Distinct canonical workspaces that folded (were not allowlisted nor sampled), over the last one to two windows. */
  unlistedEstimate(): number {
    return this.unlisted.estimate();
  }

  /**
   * Pass-through: the raw value, as long as it is one of the first
   * `passthroughLimit` distinct values seen (allowlisted ids pass before
   * this, uncounted); any later value folds into `__other__` for the life of
   * the process, with its other labels kept, so one service cannot flood the
   * pipeline and a cumulative series never moves.
   */
  private passThrough(raw: unknown, counter: FoldCounter | undefined): string {
    if (typeof raw === 'string') {
      // Lone surrogates become U+FFFD on the wire anyway, so ids that differ only there must aggregate into one series.
      const value = raw.replace(LONE_SURROGATE, '\uFFFD');
      if (this.passedThrough.has(value)) return value;
      if (this.passedThrough.size < this.passthroughLimit) {
        this.passedThrough.add(value);
        return value;
      }
    }
    this.folded++;
    if (counter !== undefined) counter.count++;
    return OVERFLOW_VALUE;
  }

  /** The label value to export for a raw workspace id. */
  resolve(raw: unknown, counter?: FoldCounter): string {
    const state = this.state;
    // Fast path: an allowlisted id is already canonical.
    if (typeof raw === 'string' && state.exact.has(raw)) return raw;
    if (this.mode === 'passthrough') return this.passThrough(raw, counter);
    const canonical = canonicalWorkspacePath(raw);
    let value = OVERFLOW_VALUE;
    if (canonical !== undefined) {
      if (state.exact.has(canonical)) return canonical;
      if (this.threshold > 0 && sampleHash(canonical) < this.threshold) return canonical;
      const team = teamOf(canonical);
      if (team !== undefined && state.teams.has(team)) value = teamOverflowValue(team);
      this.unlisted.addHash(mix32(fnv1a32(canonical)));
    } else {
      // The policy's own team overflow value maps to itself (idempotent, like the collector stage).
      const team = teamOfOverflowValue(raw);
      if (team !== undefined && state.teams.has(team)) value = teamOverflowValue(team);
    }
    this.folded++;
    if (counter !== undefined) counter.count++;
    return value;
  }
}
