/**
 * Canonical workspace ids: the only strings that may become a workspace label
 * value (besides the overflow value). Trim, lower-case, then a strict charset
 * and length, so no raw user input ever reaches an exported label.
 */

export const OVERFLOW_VALUE = '__other__';

/** Kept in one place: the collector config and docs are tested against it. */
export const CANONICAL_WORKSPACE_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
const CANONICAL = new RegExp(CANONICAL_WORKSPACE_PATTERN);

/** Longer inputs are rejected before trimming, so hostile 10 kB strings cost nothing. */
const MAX_RAW_LENGTH = 256;

export function isCanonicalWorkspaceId(value: string): boolean {
  return CANONICAL.test(value);
}

/** The canonical form of `value`, or undefined when it has none (wrong type, empty, bad charset, too long). */
export function canonicalWorkspaceId(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RAW_LENGTH) return undefined;
  const candidate = value.trim().toLowerCase();
  return CANONICAL.test(candidate) ? candidate : undefined;
}
