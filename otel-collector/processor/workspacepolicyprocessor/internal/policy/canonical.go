// Package policy is the SDK's WorkspacePolicy (src/model/canonical.ts and
// src/policy/workspace-policy.ts) in Go: canonical ids, allowlist entries,
// deterministic Murmur3 sampling and the team fold. testdata/vectors.json,
// generated from the TypeScript policy, proves both sides give the same
// answers (vectors_test.go).
package policy // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"

import "strings"

const (
	// OverflowValue is the label value every unlisted, invalid or non-string workspace folds into.
	OverflowValue = "__other__"
	// TeamSeparator separates a team from its workspace (`team/ws`).
	TeamSeparator = "/"
	// TeamWildcard is the allowlist entry suffix meaning "this team" (`team/*`).
	TeamWildcard = "/*"
	// maxRawLength: longer inputs are rejected before trimming (the SDK's MAX_RAW_LENGTH).
	maxRawLength = 256
	// maxPartLength: one part is [a-z0-9][a-z0-9._-]{0,63}.
	maxPartLength = 64
)

// candidate is the SDK's candidateOf for a string: empty, over-long and
// non-ASCII values have none (some non-ASCII letters lower-case to ASCII, e.g.
// the Kelvin sign, and could forge an allowlisted id); otherwise ASCII space,
// tab, CR and LF are trimmed at both ends and ASCII letters lower-cased.
func candidate(value string) (string, bool) {
	// The SDK measures UTF-16 code units; for ASCII that is the byte length,
	// and any non-ASCII value is rejected either way.
	if len(value) == 0 || len(value) > maxRawLength {
		return "", false
	}
	lower := true
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c >= 0x80 {
			return "", false
		}
		if c >= 'A' && c <= 'Z' {
			lower = false
		}
	}
	value = strings.Trim(value, " \t\r\n")
	if !lower {
		value = strings.ToLower(value)
	}
	return value, true
}

// isPart reports whether s is one canonical part: ^[a-z0-9][a-z0-9._-]{0,63}$.
func isPart(s string) bool {
	if len(s) == 0 || len(s) > maxPartLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// isPath reports whether s is a flat id or team/workspace (HIERARCHICAL_WORKSPACE_PATTERN).
func isPath(s string) bool {
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return isPart(s)
	}
	return isPart(s[:slash]) && isPart(s[slash+1:])
}

// CanonicalPath is the SDK's canonicalWorkspacePath for a string value.
func CanonicalPath(value string) (string, bool) {
	c, ok := candidate(value)
	if !ok || !isPath(c) {
		return "", false
	}
	return c, true
}

// teamOf is the team of a canonical hierarchical id ("" for a flat one).
func teamOf(path string) (string, bool) {
	slash := strings.IndexByte(path, '/')
	if slash < 0 {
		return "", false
	}
	return path[:slash], true
}

// teamOfOverflowValue is the team of `team/__other__` (the policy's own
// output maps to itself), after the same candidate rules.
func teamOfOverflowValue(value string) (string, bool) {
	c, ok := candidate(value)
	if !ok {
		return "", false
	}
	team, found := strings.CutSuffix(c, TeamSeparator+OverflowValue)
	if !found || !isPart(team) {
		return "", false
	}
	return team, true
}

// CanonicalEntry is the SDK's canonicalAllowlistEntry: a flat id, team/ws or team/*.
func CanonicalEntry(value string) (string, bool) {
	c, ok := candidate(value)
	if !ok {
		return "", false
	}
	if team, found := strings.CutSuffix(c, TeamWildcard); found {
		if isPart(team) {
			return c, true
		}
		return "", false
	}
	if isPath(c) {
		return c, true
	}
	return "", false
}
