/**
 * Input checks for the typed recording helpers. A bad call is refused with a
 * rate-limited warning that names the helper and the field, never the value
 * (values may be raw user input); it never throws into the caller.
 */
import { OVERFLOW_VALUE } from '../model/canonical';
import { warnRateLimited } from '../log';
import { isNoop } from './instruments';
import { currentRuntime } from './runtime';

export function refuse(helper: string, reason: string): void {
  warnRateLimited(`refuse:${helper}:${reason}`, `${helper}: recording refused: ${reason}`);
}

export function isRecord(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/** A duration or size: a finite number ≥ 0. */
export function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Outcome statuses shared by every family; `success`/`failure` (and `failed`, `canceled`) are accepted as aliases. */
export const STATUSES = ['ok', 'error', 'timeout', 'cancelled', 'skipped', 'retry'] as const;
export type Status = (typeof STATUSES)[number];
// A Map, not an object literal: a lookup by raw input must never reach Object.prototype ('constructor', '__proto__', ...).
const STATUS_ALIASES: ReadonlyMap<string, Status> = new Map<string, Status>([
  ['success', 'ok'],
  ['failure', 'error'],
  ['failed', 'error'],
  ['canceled', 'cancelled'],
]);

export function status(value: unknown): Status | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  if ((STATUSES as readonly string[]).includes(lower)) return lower as Status;
  return STATUS_ALIASES.get(lower);
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

const FREE_FORM = /^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,127}$/;

/**
 * A label whose values come from code (provider, job type...), bounded anyway:
 * the first `maxValues` distinct well-formed values are kept, later ones and
 * malformed ones become the overflow value, so a bug that passes ids cannot
 * explode cardinality.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(
    readonly maxValues = 200,
    private readonly pattern: RegExp = FREE_FORM,
  ) {}

  /** The exported value, or undefined when the field is missing (the caller refuses). */
  value(raw: unknown): string | undefined {
    if (raw === undefined || raw === null || raw === '') return undefined;
    const text = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : undefined;
    if (text === undefined) return OVERFLOW_VALUE;
    if (this.seen.has(text)) return text;
    if (!this.pattern.test(text) || this.seen.size >= this.maxValues) return OVERFLOW_VALUE;
    this.seen.add(text);
    return text;
  }
}

/**
 * A `BoundedLabel` whose seen values belong to the current runtime: declared
 * once at module level by a helper, capped afresh for every kit. The handle
 * itself holds no state.
 */
export class LabelCap {
  constructor(
    readonly maxValues = 200,
    private readonly pattern: RegExp = FREE_FORM,
  ) {
    Object.freeze(this);
  }

  /** The exported value, or undefined when the field is missing (the caller refuses). */
  value(raw: unknown): string | undefined {
    return currentRuntime()
      .state(this, () => new BoundedLabel(this.maxValues, this.pattern))
      .value(raw);
  }
}

/** Thrown inside a recorder body to refuse the recording; caught by `defineRecorder`. */
class Refused {
  constructor(readonly reason: string) {}
}

/** The value, or refuse the recording with `reason` (e.g. "durationSeconds must be a finite number ≥ 0"). */
export function required<T>(value: T | undefined, reason: string): T {
  if (value === undefined) throw new Refused(reason);
  return value;
}

/**
 * Wraps a typed recording helper: non-object input is refused, a refusal or
 * any internal error becomes a rate-limited warning, nothing reaches the caller.
 */
export function defineRecorder<I>(helper: string, body: (input: Record<string, unknown>) => void): (input: I) => void {
  return (input: I): void => {
    try {
      if (isNoop()) return;
      if (!isRecord(input)) throw new Refused('expected an object argument');
      body(input);
    } catch (error) {
      refuse(helper, error instanceof Refused ? error.reason : 'internal error while recording');
    }
  };
}
