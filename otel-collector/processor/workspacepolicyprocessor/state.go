package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The monotonic state (README.md "Monotonic across allowlist changes"):
//   - a mover is a raw cumulative series whose target changed with the
//     allowlist; offset is its value at the move, the part already counted
//     in earlier targets, so the new target gets only what follows (value − offset);
//   - a carry is a contribution left in an output series by series that
//     moved away; it is added to that series (or re-emitted alone) so the
//     series never goes backwards.
// Nothing else is kept: series whose target never changed have no state.

type mover struct {
	metric   uint64
	target   string
	offset   any // a standalone datapoint of the metric's type
	lastSeen time.Time
}

type carry struct {
	point    any // a standalone datapoint of the metric's type, its attributes = the target series'
	lastSeen time.Time
}

type state struct {
	movers map[uint64]*mover
	// carries per metric identity (resource, scope, metric name), then per output attributes
	carries map[uint64]map[uint64]*carry
	carried int
	// movers per metric identity: metrics without any skip the per-datapoint work
	moversOf map[uint64]int
}

func newState() *state {
	return &state{movers: map[uint64]*mover{}, carries: map[uint64]map[uint64]*carry{}, moversOf: map[uint64]int{}}
}

// has reports whether a metric has movers or carries.
func (s *state) has(metric uint64) bool {
	return s.moversOf[metric] > 0 || len(s.carries[metric]) > 0
}

// expire drops movers and carries not seen since before; returns the state size left.
func (s *state) expire(before time.Time) int {
	for k, m := range s.movers {
		if m.lastSeen.Before(before) {
			delete(s.movers, k)
			if s.moversOf[m.metric]--; s.moversOf[m.metric] <= 0 {
				delete(s.moversOf, m.metric)
			}
		}
	}
	for mk, cs := range s.carries {
		for k, c := range cs {
			if c.lastSeen.Before(before) {
				delete(cs, k)
				s.carried--
			}
		}
		if len(cs) == 0 {
			delete(s.carries, mk)
		}
	}
	return len(s.movers) + s.carried
}

// hasher gives series identities: order-independent attribute hashes
// (a sum of per-attribute hashes), combined with resource, scope and metric.
type hasher struct{ seed maphash.Seed }

func newHasher() hasher { return hasher{seed: maphash.MakeSeed()} }

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func writeUint64(mh *maphash.Hash, u uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], u)
	mh.Write(b[:])
}

func (h hasher) value(mh *maphash.Hash, v pcommon.Value) {
	mh.WriteByte(byte(v.Type()))
	switch v.Type() {
	case pcommon.ValueTypeStr:
		mh.WriteString(v.Str())
	case pcommon.ValueTypeInt:
		writeUint64(mh, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		writeUint64(mh, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			mh.WriteByte(1)
		} else {
			mh.WriteByte(0)
		}
	default:
		mh.WriteString(v.AsString())
	}
}

// attrs hashes a map; when label is not "", that attribute is hashed with labelValue instead.
func (h hasher) attrs(m pcommon.Map, label, labelValue string) uint64 {
	var mh maphash.Hash
	mh.SetSeed(h.seed)
	var sum uint64
	for k, v := range m.All() {
		mh.Reset()
		mh.WriteString(k)
		mh.WriteByte(0)
		if label != "" && k == label {
			mh.WriteByte(byte(pcommon.ValueTypeStr))
			mh.WriteString(labelValue)
		} else {
			h.value(&mh, v)
		}
		sum += mix64(mh.Sum64())
	}
	return sum
}

func (h hasher) combine(parts ...uint64) uint64 {
	var x uint64 = 0x9e3779b97f4a7c15
	for _, p := range parts {
		x = mix64(x ^ p)
	}
	return x
}

func (h hasher) str(s string) uint64 {
	return maphash.String(h.seed, s)
}
