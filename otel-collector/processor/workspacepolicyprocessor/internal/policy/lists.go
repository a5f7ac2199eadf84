package policy // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"

import (
	"regexp"
	"strings"
	"unicode"
)

// jsTrim trims what JavaScript's String.prototype.trim trims (WhiteSpace and
// LineTerminator: Unicode Zs, tab, VT, FF, NBSP, BOM, LF, CR, LS, PS), so a
// list parses the same here as in the SDK. Go's unicode.IsSpace differs in
// two code points: U+0085 (not trimmed by JS) and U+FEFF (trimmed by JS).
func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == 0xFEFF || (r != 0x85 && unicode.IsSpace(r))
	})
}

// ParseEnvList is the SDK's parseAllowlist (src/config/env.ts) for
// METRICS_WORKSPACE_ALLOWLIST: entries separated by ',' or newline, trimmed;
// empty entries and entries starting with '#' are skipped; entries that are
// not canonical allowlist entries are returned in invalid.
func ParseEnvList(value string) (entries, invalid []string) {
	seen := map[string]struct{}{}
	for _, part := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == '\n' }) {
		trimmed := jsTrim(part)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		e, ok := CanonicalEntry(trimmed)
		if !ok {
			invalid = append(invalid, trimmed)
			continue
		}
		if _, dup := seen[e]; !dup {
			seen[e] = struct{}{}
			entries = append(entries, e)
		}
	}
	return entries, invalid
}

var lineBreak = regexp.MustCompile(`\r?\n|\r`)

// SplitFileText is the SDK's splitAllowlistText (src/policy/allowlist-sources.ts)
// for METRICS_WORKSPACE_ALLOWLIST_FILE: a leading BOM is dropped; one entry
// per line or comma-separated; '#' starts a comment to the end of the line;
// entries are trimmed and blank ones ignored.
func SplitFileText(text string) []string {
	text = strings.TrimPrefix(text, "\uFEFF")
	var out []string
	for _, line := range lineBreak.Split(text, -1) {
		if hash := strings.IndexByte(line, '#'); hash >= 0 {
			line = line[:hash]
		}
		for _, part := range strings.Split(line, ",") {
			if entry := jsTrim(part); entry != "" {
				out = append(out, entry)
			}
		}
	}
	return out
}

// CanonicalEntries is the SDK's canonicalEntries: canonical, de-duplicated
// entries in first-seen order, plus the invalid ones.
func CanonicalEntries(raw []string) (entries, invalid []string) {
	seen := map[string]struct{}{}
	for _, r := range raw {
		e, ok := CanonicalEntry(r)
		if !ok {
			invalid = append(invalid, r)
			continue
		}
		if _, dup := seen[e]; !dup {
			seen[e] = struct{}{}
			entries = append(entries, e)
		}
	}
	return entries, invalid
}
