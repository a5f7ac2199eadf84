package policy // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sort"
	"strings"
)

// murmur3x86_32 is MurmurHash3 x86 32-bit with seed 0. Hand-written (about
// 30 lines) because the SDK's variant is this exact function over the id's
// bytes and no dependency of this module ships it.
func murmur3x86_32(s string) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h uint32
	n := len(s)
	blocks := n &^ 3
	for i := 0; i < blocks; i += 4 {
		k := binary.LittleEndian.Uint32([]byte(s[i : i+4]))
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	var k uint32
	switch n & 3 {
	case 3:
		k ^= uint32(s[blocks+2]) << 16
		fallthrough
	case 2:
		k ^= uint32(s[blocks+1]) << 8
		fallthrough
	case 1:
		k ^= uint32(s[blocks])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// SampleHash is the SDK's sampleHash: Murmur3 with its bytes read big-endian
// (what OTTL's Murmur3Hash prints as hex).
func SampleHash(canonicalID string) uint32 {
	return bits.ReverseBytes32(murmur3x86_32(canonicalID))
}

// SampleThreshold is the SDK's sampleThreshold: sampled ⇔ SampleHash(id) < threshold.
func SampleThreshold(rate float64) uint64 {
	if !(rate > 0) {
		return 0
	}
	if rate >= 1 {
		return 1 << 32
	}
	return min(uint64(math.Ceil(rate*(1<<32))), 1<<32)
}

// List is a parsed allowlist, immutable once built (swapped as a whole).
type List struct {
	entries []string
	exact   map[string]struct{}
	teams   map[string]struct{}
}

// NewList canonicalizes entries (skipping those that are not allowlist
// entries), as the SDK's parseState does.
func NewList(raw []string) *List {
	l := &List{exact: map[string]struct{}{}, teams: map[string]struct{}{}}
	seen := map[string]struct{}{}
	for _, r := range raw {
		e, ok := CanonicalEntry(r)
		if !ok {
			continue
		}
		if _, dup := seen[e]; dup {
			continue
		}
		seen[e] = struct{}{}
		l.entries = append(l.entries, e)
		if team, wildcard := strings.CutSuffix(e, TeamWildcard); wildcard {
			l.teams[team] = struct{}{}
			continue
		}
		l.exact[e] = struct{}{}
		if _, hierarchical := teamOf(e); !hierarchical {
			l.teams[e] = struct{}{}
		}
	}
	sort.Strings(l.entries)
	return l
}

// Entries are the canonical entries, sorted.
func (l *List) Entries() []string { return l.entries }

// Len is the number of canonical entries.
func (l *List) Len() int { return len(l.entries) }

// Policy resolves raw workspace values against one allowlist and sample rate.
type Policy struct {
	list      *List
	threshold uint64
}

// New builds a policy; rate is METRICS_WORKSPACE_SAMPLE_RATE (0 = no sampling).
func New(list *List, rate float64) *Policy {
	return &Policy{list: list, threshold: SampleThreshold(rate)}
}

// List is the policy's allowlist.
func (p *Policy) List() *List { return p.list }

// Resolve is WorkspacePolicy.resolve for a string value: the label value to
// export, and whether it folded into an overflow value.
func (p *Policy) Resolve(raw string) (value string, folded bool) {
	if _, ok := p.list.exact[raw]; ok {
		return raw, false
	}
	if canonical, ok := CanonicalPath(raw); ok {
		if _, ok := p.list.exact[canonical]; ok {
			return canonical, false
		}
		if p.threshold > 0 && uint64(SampleHash(canonical)) < p.threshold {
			return canonical, false
		}
		if team, ok := teamOf(canonical); ok {
			if _, listed := p.list.teams[team]; listed {
				return team + TeamSeparator + OverflowValue, true
			}
		}
		return OverflowValue, true
	}
	if team, ok := teamOfOverflowValue(raw); ok {
		if _, listed := p.list.teams[team]; listed {
			return team + TeamSeparator + OverflowValue, true
		}
	}
	return OverflowValue, true
}
