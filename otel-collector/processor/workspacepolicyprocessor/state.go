package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The state (README.md "Merging across requests" and "Monotonic across
// allowlist changes"), per metric identity (resource, scope, metric name):
//   - an output is a series the processor emits itself, from state: every
//     series a folded cumulative datapoint lands in (`__other__`,
//     `team/__other__`, or a value that canonicalized), and every series
//     holding a carry. Its total is its carry plus the latest value of each
//     of its live sources; it is emitted whole in every request of the
//     metric, so a collection split over several requests never shows a
//     partial sum;
//   - a source is a raw cumulative series (its attributes before folding)
//     that feeds an output, or whose target changed with the allowlist (a
//     mover): offset is what it counted in earlier targets, so its current
//     target gets only value − offset;
//   - a carry is what sources that left an output (moved, reset, expired)
//     had counted there: it stays in the output's total, which therefore
//     never goes backwards.
// Series whose value and target never change (an allowlisted id, a value the
// SDK already resolved) have no state unless an output with their value exists.

type source struct {
	metric   *metricState
	out      *output // the output it feeds; nil while its target is a plain series
	target   string  // the label value it was last attributed to
	offset   any     // nil, or a standalone datapoint: counted in earlier targets
	latest   any     // with out: a standalone datapoint, its last value − offset, as in out.total
	start    pcommon.Timestamp
	lastSeen time.Time
}

type output struct {
	value     string      // its label value
	attrs     pcommon.Map // the output series' attributes
	total     any         // a standalone datapoint: carry + Σ latest of its sources
	monotonic bool
	carried   bool   // holds a carry
	mark      uint64 // the last request that fed it
	sources   int
	start     pcommon.Timestamp
	time      pcommon.Timestamp
	lastSeen  time.Time
}

// deltaMark is the last end time emitted for a folded delta series.
type deltaMark struct {
	time     pcommon.Timestamp
	lastSeen time.Time
}

type metricState struct {
	key     uint64
	outputs map[uint64]*output
	order   []uint64       // outputs in creation order: emission is deterministic
	values  map[string]int // outputs per label value: plain datapoints look up only these
	movers  int
	deltas  map[uint64]*deltaMark
}

type state struct {
	sources map[uint64]*source
	metrics map[uint64]*metricState
	movers  int // sources with an offset (tracked_series)
	merging int // sources feeding an output (merge_sources)
	carried int // outputs holding a carry (carried_series)
	outputs int
}

func newState() *state {
	return &state{sources: map[uint64]*source{}, metrics: map[uint64]*metricState{}}
}

func (s *state) metric(key uint64) *metricState {
	ms := s.metrics[key]
	if ms == nil {
		ms = &metricState{key: key, outputs: map[uint64]*output{}, values: map[string]int{}}
		s.metrics[key] = ms
	}
	return ms
}

// size is what makes requests stateful.
func (s *state) size() int {
	return len(s.sources) + s.outputs + len(s.metrics)
}

// expireResult: what expire dropped.
type expireResult struct {
	sources, outputs int
}

// expire drops sources, outputs and delta marks not seen since before. A
// monotonic source's last value stays in its output's total as a carry, so
// the output never goes backwards; a non-monotonic one (an up-down counter)
// leaves the total.
func (s *state) expire(before time.Time, retire func(src *source)) expireResult {
	var res expireResult
	for k, src := range s.sources {
		if !src.lastSeen.Before(before) {
			continue
		}
		if src.out != nil {
			retire(src)
		}
		if src.offset != nil {
			s.movers--
			src.metric.movers--
		}
		delete(s.sources, k)
		res.sources++
	}
	for mk, ms := range s.metrics {
		kept := ms.order[:0]
		for _, ok := range ms.order {
			o := ms.outputs[ok]
			if o.sources == 0 && o.lastSeen.Before(before) {
				delete(ms.outputs, ok)
				if ms.values[o.value]--; ms.values[o.value] <= 0 {
					delete(ms.values, o.value)
				}
				if o.carried {
					s.carried--
				}
				s.outputs--
				res.outputs++
				continue
			}
			kept = append(kept, ok)
		}
		ms.order = kept
		for dk, d := range ms.deltas {
			if d.lastSeen.Before(before) {
				delete(ms.deltas, dk)
			}
		}
		if len(ms.outputs) == 0 && ms.movers == 0 && len(ms.deltas) == 0 {
			delete(s.metrics, mk)
		}
	}
	return res
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

// attrs hashes a map: the sum of its attributes' terms; when label is not
// "", that attribute's term is the one of labelValue instead.
func (h hasher) attrs(m pcommon.Map, label, labelValue string) uint64 {
	var sum uint64
	for k, v := range m.All() {
		if label != "" && k == label {
			sum += h.strTerm(k, labelValue)
		} else {
			sum += h.term(k, v)
		}
	}
	return sum
}

// term is one attribute's part of an attribute hash.
func (h hasher) term(k string, v pcommon.Value) uint64 {
	var mh maphash.Hash
	mh.SetSeed(h.seed)
	mh.WriteString(k)
	mh.WriteByte(0)
	h.value(&mh, v)
	return mix64(mh.Sum64())
}

// strTerm is the term of a string attribute (the same as term of a string Value).
func (h hasher) strTerm(k, v string) uint64 {
	var mh maphash.Hash
	mh.SetSeed(h.seed)
	mh.WriteString(k)
	mh.WriteByte(0)
	mh.WriteByte(byte(pcommon.ValueTypeStr))
	mh.WriteString(v)
	return mix64(mh.Sum64())
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
