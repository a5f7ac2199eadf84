/**
 * Canonical workspace ids: the only strings that may become a workspace label
 * value (besides the overflow values). Trim, lower-case, then a strict charset
 * and length, so no raw user input ever reaches an exported label. The same
 * rules run in the collector's allowlist stage (otel-collector/config.yaml).
 *
 * Two shapes exist:
 *   - a flat id, one part:                 `acme`           (CANONICAL_WORKSPACE_PATTERN)
 *   - a hierarchical id, exactly two parts: `team-eng/api`   (HIERARCHICAL_WORKSPACE_PATTERN)
 * Each part has the flat id's charset and length; exactly one '/' separates
 * them. `canonicalWorkspaceId` keeps its single-part meaning (the collector's
 * allowlist stage is tested against CANONICAL_WORKSPACE_PATTERN);
 * `canonicalWorkspacePath` accepts both shapes and is what the policy uses.
 */

export const OVERFLOW_VALUE = '__other__';

/** The workspace label's name unless METRICS_WORKSPACE_LABEL says otherwise. */
export const DEFAULT_WORKSPACE_LABEL = 'workspace_id';

/** One part: kept in one place, the collector config and docs are tested against it. */
export const CANONICAL_WORKSPACE_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
const PART = '[a-z0-9][a-z0-9._-]{0,63}';
/** A flat id, or `team/workspace`: two canonical parts joined by exactly one '/'. */
export const HIERARCHICAL_WORKSPACE_PATTERN = `^${PART}(/${PART})?$`;
/**
 * The values a workspace label may carry after the policy (flat or
 * hierarchical ids, `__other__`, `team/__other__`): for validating exported
 * data, e.g. a collector stage that runs after the SDK.
 */
export const WORKSPACE_LABEL_VALUE_PATTERN = `^(${PART}(/(${PART}|${OVERFLOW_VALUE}))?|${OVERFLOW_VALUE})$`;

const CANONICAL = new RegExp(CANONICAL_WORKSPACE_PATTERN);
const HIERARCHICAL = new RegExp(HIERARCHICAL_WORKSPACE_PATTERN);

/** The separator between a team and its workspace. */
export const TEAM_SEPARATOR = '/';
/** Allowlist entry suffix meaning "this team" (its unlisted workspaces fold into `team/__other__`). */
export const TEAM_WILDCARD = '/*';

/** Longer inputs are rejected before trimming, so hostile 10 kB strings cost nothing. */
const MAX_RAW_LENGTH = 256;

const ASCII_SPACE_AT_EDGES = /^[ \t\r\n]+|[ \t\r\n]+$/g;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Trimmed and lower-cased, or undefined for non-strings, empty, overlong and
 * non-ASCII input. ASCII only, because some non-ASCII letters lower-case to
 * ASCII (the Kelvin sign K becomes k) and could forge an allowlisted id; and
 * only ASCII whitespace is trimmed, exactly what the collector's stage trims.
 */
function candidateOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RAW_LENGTH || NON_ASCII.test(value)) return undefined;
  return value.replace(ASCII_SPACE_AT_EDGES, '').toLowerCase();
}

export function isCanonicalWorkspaceId(value: string): boolean {
  return CANONICAL.test(value);
}

/** The canonical form of a flat id `value`, or undefined when it has none (wrong type, empty, bad charset, too long, has a '/'). */
export function canonicalWorkspaceId(value: unknown): string | undefined {
  const candidate = candidateOf(value);
  return candidate !== undefined && CANONICAL.test(candidate) ? candidate : undefined;
}

/**
 * The canonical form of a flat or hierarchical id (`team/workspace`), or
 * undefined. Whitespace is trimmed around the whole value only: `team / ws`
 * is invalid, as is any value with zero or more than one '/' in the wrong place.
 */
export function canonicalWorkspacePath(value: unknown): string | undefined {
  const candidate = candidateOf(value);
  return candidate !== undefined && HIERARCHICAL.test(candidate) ? candidate : undefined;
}

/** The team part of a canonical hierarchical id, or undefined for a flat id. */
export function teamOf(canonicalPath: string): string | undefined {
  const slash = canonicalPath.indexOf(TEAM_SEPARATOR);
  return slash < 0 ? undefined : canonicalPath.slice(0, slash);
}

const TEAM_OVERFLOW = new RegExp(`^(${PART})/${OVERFLOW_VALUE}$`);

/**
 * The team of a team overflow value (`team/__other__`, as the policy itself
 * exports it), or undefined. Lets the policy map its own output to itself
 * (resolve is idempotent), as the collector stage must.
 */
export function teamOfOverflowValue(value: unknown): string | undefined {
  const candidate = candidateOf(value);
  const match = candidate === undefined ? null : TEAM_OVERFLOW.exec(candidate);
  return match === null ? undefined : match[1];
}

/** The label value for an unlisted workspace of an allowlisted team. */
export function teamOverflowValue(team: string): string {
  return `${team}${TEAM_SEPARATOR}${OVERFLOW_VALUE}`;
}

/**
 * The canonical form of an allowlist entry: a flat id (`acme`), a
 * hierarchical id (`team/ws`), or a team wildcard (`team/*`); undefined when
 * the entry is none of those. A flat entry also acts as its own team.
 */
export function canonicalAllowlistEntry(value: unknown): string | undefined {
  const candidate = candidateOf(value);
  if (candidate === undefined) return undefined;
  if (candidate.endsWith(TEAM_WILDCARD)) {
    const team = candidate.slice(0, -TEAM_WILDCARD.length);
    return CANONICAL.test(team) ? candidate : undefined;
  }
  return HIERARCHICAL.test(candidate) ? candidate : undefined;
}

/** Human description of what an allowlist entry may be (for problem lines). */
export const ALLOWLIST_ENTRY_SHAPE =
  "lower-case letters, digits, '.', '_', '-', at most 64, starting with a letter or digit; or team/workspace, or team/*";
