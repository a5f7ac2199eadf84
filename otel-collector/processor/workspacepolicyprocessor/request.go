package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"
)

// request is the work on one ConsumeMetrics call.
type request struct {
	p        *workspacePolicyProcessor
	view     *view
	now      time.Time
	stateful bool // the state or a previous generation exists: every cumulative metric is looked up
	locked   bool
	seq      uint64 // this request's number (locked requests only)

	resource       pcommon.Resource
	resourceHash   uint64
	resourceHashed bool
	scope          pcommon.InstrumentationScope
	metric         pmetric.Metric

	// per metric
	metricKey    uint64
	metricHashed bool
	ms           *metricState
	exemplars    map[*output]pmetric.ExemplarSlice
	created      bool // an output was created for this metric in this request

	folded, merged, evicted, untracked, stale int64
}

type point interface {
	Attributes() pcommon.Map
	Timestamp() pcommon.Timestamp
	SetTimestamp(pcommon.Timestamp)
	StartTimestamp() pcommon.Timestamp
	SetStartTimestamp(pcommon.Timestamp)
}

type points[D point] interface {
	Len() int
	At(int) D
	AppendEmpty() D
	RemoveIf(func(D) bool)
}

// kind holds the per-type operations; add is nil for types without cumulative state (gauges).
type kind[D point] struct {
	merge     func(dst, src D)
	add       func(dst, src D, sign int64)
	decreased func(now, before D) bool // a monotonic series went down: a reset
	replace   func(total, old, new D)  // total − old + new; nil: add(total, old, −1) then add(total, new, +1)
	newPoint  func() D
	copyTo    func(src, dst D)
	moveTo    func(src, dst D)
	clear     func(D)                       // a standalone value: no attributes, exemplars or quantiles
	exemplars func(D) pmetric.ExemplarSlice // nil: the type has none
}

// replaceIn sets total to total − old + new: replace where the type has one (numbers keep
// integer values exact), else two adds.
func (k kind[D]) replaceIn(total, old, new D) {
	if k.replace != nil {
		k.replace(total, old, new)
		return
	}
	k.add(total, old, -1)
	k.add(total, new, 1)
}

func clearAttrs(m pcommon.Map, ex pmetric.ExemplarSlice) {
	m.Clear()
	ex.RemoveIf(func(pmetric.Exemplar) bool { return true })
}

var (
	numberKind = kind[pmetric.NumberDataPoint]{
		merge: mergeNumber, add: addNumber, newPoint: pmetric.NewNumberDataPoint, replace: replaceNumber,
		decreased: func(a, b pmetric.NumberDataPoint) bool { return numberValue(a) < numberValue(b) },
		copyTo:    func(s, d pmetric.NumberDataPoint) { s.CopyTo(d) },
		moveTo:    func(s, d pmetric.NumberDataPoint) { s.MoveTo(d) },
		clear:     func(d pmetric.NumberDataPoint) { clearAttrs(d.Attributes(), d.Exemplars()) },
		exemplars: pmetric.NumberDataPoint.Exemplars,
	}
	histogramKind = kind[pmetric.HistogramDataPoint]{
		merge: mergeHistogram, add: addHistogram, newPoint: pmetric.NewHistogramDataPoint,
		decreased: func(a, b pmetric.HistogramDataPoint) bool { return a.Count() < b.Count() },
		copyTo:    func(s, d pmetric.HistogramDataPoint) { s.CopyTo(d) },
		moveTo:    func(s, d pmetric.HistogramDataPoint) { s.MoveTo(d) },
		clear:     func(d pmetric.HistogramDataPoint) { clearAttrs(d.Attributes(), d.Exemplars()) },
		exemplars: pmetric.HistogramDataPoint.Exemplars,
	}
	exponentialKind = kind[pmetric.ExponentialHistogramDataPoint]{
		merge: mergeExponential, add: addExponential, newPoint: pmetric.NewExponentialHistogramDataPoint,
		decreased: func(a, b pmetric.ExponentialHistogramDataPoint) bool { return a.Count() < b.Count() },
		copyTo:    func(s, d pmetric.ExponentialHistogramDataPoint) { s.CopyTo(d) },
		moveTo:    func(s, d pmetric.ExponentialHistogramDataPoint) { s.MoveTo(d) },
		clear:     func(d pmetric.ExponentialHistogramDataPoint) { clearAttrs(d.Attributes(), d.Exemplars()) },
		exemplars: pmetric.ExponentialHistogramDataPoint.Exemplars,
	}
	// summaries: count and sum are cumulative (OTLP); quantiles cannot be merged
	summaryKind = kind[pmetric.SummaryDataPoint]{
		merge: mergeSummary, add: addSummary, newPoint: pmetric.NewSummaryDataPoint,
		decreased: func(a, b pmetric.SummaryDataPoint) bool { return a.Count() < b.Count() },
		copyTo:    func(s, d pmetric.SummaryDataPoint) { s.CopyTo(d) },
		moveTo:    func(s, d pmetric.SummaryDataPoint) { s.MoveTo(d) },
		clear: func(d pmetric.SummaryDataPoint) {
			d.Attributes().Clear()
			d.QuantileValues().RemoveIf(func(pmetric.SummaryDataPointValueAtQuantile) bool { return true })
		},
	}
)

func (r *request) process() {
	m := r.metric
	r.metricHashed, r.ms, r.exemplars, r.created = false, nil, nil, false
	switch m.Type() {
	case pmetric.MetricTypeSum:
		s := m.Sum()
		processPoints(r, s.DataPoints(), numberKind, s.AggregationTemporality(), s.IsMonotonic())
	case pmetric.MetricTypeGauge:
		processPoints(r, m.Gauge().DataPoints(), numberKind, pmetric.AggregationTemporalityUnspecified, false)
	case pmetric.MetricTypeHistogram:
		processPoints(r, m.Histogram().DataPoints(), histogramKind, m.Histogram().AggregationTemporality(), true)
	case pmetric.MetricTypeExponentialHistogram:
		processPoints(r, m.ExponentialHistogram().DataPoints(), exponentialKind, m.ExponentialHistogram().AggregationTemporality(), true)
	case pmetric.MetricTypeSummary:
		processPoints(r, m.Summary().DataPoints(), summaryKind, pmetric.AggregationTemporalityCumulative, true)
	}
}

// lock takes the state's lock for the rest of the request.
func (r *request) lock() {
	if !r.locked {
		r.p.mu.Lock()
		r.locked = true
		r.p.seq++
		r.seq = r.p.seq
	}
}

// metricKeyOf identifies the metric stream set: resource, scope, metric name and type.
func (r *request) metricKeyOf() uint64 {
	if r.metricHashed {
		return r.metricKey
	}
	h := r.p.hash
	if !r.resourceHashed {
		r.resourceHash = h.attrs(r.resource.Attributes(), "", "")
		r.resourceHashed = true
	}
	r.metricKey = h.combine(r.resourceHash, h.str(r.scope.Name()), h.str(r.scope.Version()), h.str(r.metric.Name()), uint64(r.metric.Type()))
	r.metricHashed = true
	return r.metricKey
}

// metricState is this metric's state (locked), created when create is set.
func (r *request) metricState(create bool) *metricState {
	if r.ms == nil {
		key := r.metricKeyOf()
		if create {
			r.ms = r.p.state.metric(key)
		} else {
			r.ms = r.p.state.metrics[key]
		}
	}
	return r.ms
}

// isOverflow: the policy's overflow values, __other__ and team/__other__.
func isOverflow(v string) bool {
	return v == policy.OverflowValue || strings.HasSuffix(v, policy.TeamSeparator+policy.OverflowValue)
}

// processPoints resolves the label of every datapoint; cumulative datapoints
// that land in an output (a folded series) are taken out of the request into
// the state and every output of the metric is emitted whole; then the
// datapoints that share their attributes merge (delta, gauges, and what the
// state could not take).
func processPoints[D point, S points[D]](r *request, s S, k kind[D], temporality pmetric.AggregationTemporality, monotonic bool) {
	n := s.Len()
	if n == 0 {
		return
	}
	label := r.p.label
	cur := r.view.current.policy
	cumulative := temporality == pmetric.AggregationTemporalityCumulative && k.add != nil
	if cumulative && r.stateful {
		r.metricState(false)
	}
	changed, hasLabel, foldedAny := false, false, false
	// pending: a folded datapoint stayed in the request (not cumulative, or
	// not held at max_merge_sources): it may collide with another
	pending := false
	var absorbed []bool
	latest := pcommon.Timestamp(0)
	for i := 0; i < n; i++ {
		dp := s.At(i)
		latest = max(latest, dp.Timestamp())
		attrs := dp.Attributes()
		val, ok := attrs.Get(label)
		if !ok {
			continue
		}
		hasLabel = true
		isStr := val.Type() == pcommon.ValueTypeStr
		raw, out, folded := "", policy.OverflowValue, true
		if isStr {
			raw = val.Str()
			out, folded = cur.Resolve(raw)
		}
		rawChanged := !isStr || out != raw
		merges := rawChanged || isOverflow(out)
		foldedAny = foldedAny || merges
		need := false
		if cumulative {
			if merges {
				r.lock()
				r.metricState(true)
				need = true
			} else if r.stateful {
				ms := r.ms
				need = r.view.previous != nil || ms != nil && (ms.movers > 0 || ms.values[out] > 0)
			}
		}
		var rawKey, outKey uint64
		if need {
			// attribute hashes are sums of per-attribute terms: the output's
			// differs from the raw one by the label's term only
			h := r.p.hash
			rawAttrs := h.attrs(attrs, "", "")
			rawKey = h.combine(r.metricKeyOf(), rawAttrs)
			outKey = rawAttrs - h.term(label, val) + h.strTerm(label, out)
		}
		if rawChanged {
			if folded {
				r.folded++
			}
			val.SetStr(out)
			changed = true
		}
		if !need {
			pending = pending || merges
			continue
		}
		took, adjusted := trackPoint(r, k, dp, rawKey, outKey, isStr, raw, out, merges, monotonic)
		if adjusted {
			changed = true
		}
		if !took {
			pending = pending || merges
		} else {
			if absorbed == nil {
				absorbed = make([]bool, n)
			}
			absorbed[i] = true
		}
	}
	if !hasLabel {
		return
	}
	if ms := r.ms; cumulative && ms != nil && len(ms.order) > 0 {
		emitOutputs(r, s, k, n, absorbed, latest)
		// what the state took cannot collide; what stayed, or a plain datapoint
		// of a value that became an output in this request, can
		changed = pending || r.created
	}
	if changed {
		mergePoints(r, s, k)
	}
	if temporality == pmetric.AggregationTemporalityDelta && foldedAny {
		alignDeltas(r, s)
	}
}

// trackPoint applies the state to one labelled datapoint of a cumulative
// series: a reset or a target change of a known source, the first sight of a
// source after an allowlist change, the offset of a moved source, and, when
// the datapoint lands in an output, its latest value there. took: the state
// holds it now (it leaves the request); adjusted: its value was changed.
func trackPoint[D point](r *request, k kind[D], dp D, rawKey, outKey uint64, isStr bool, raw, out string, merges, monotonic bool) (took, adjusted bool) {
	st := r.p.state
	ms := r.metricState(true)
	attrs := dp.Attributes()
	src := st.sources[rawKey]
	if src != nil && src.out != nil {
		latest := src.latest.(D)
		if start := dp.StartTimestamp(); start < src.start || start == src.start &&
			(dp.Timestamp() < latest.Timestamp() || dp.Timestamp() == latest.Timestamp() && monotonic && k.decreased(dp, latest)) {
			// an older datapoint arriving late (an export retried after a newer
			// one, concurrent exports): the output already holds a newer value
			r.stale++
			return true, false
		}
	}
	if src != nil {
		src.lastSeen = r.now
		switch {
		case src.start != dp.StartTimestamp():
			// a new incarnation (the service restarted): what the old one
			// counted stays where it was counted, the new one starts from 0
			if src.out != nil {
				leave(r, k, src, monotonic)
			}
			dropOffset(st, src)
			src.start = dp.StartTimestamp()
			src.target = out
		case src.target != out && src.offset == nil && st.movers >= r.p.cfg.MaxTrackedSeries:
			// moved, but not tracked: its whole value moves, its old target goes down once
			r.evicted++
			if src.out != nil {
				leave(r, k, src, false)
			}
			src.target = out
		case src.target != out:
			// moved with the allowlist: what it added to its last target stays there
			contribution := k.newPoint()
			k.copyTo(dp, contribution)
			k.clear(contribution)
			if src.offset != nil {
				k.add(contribution, src.offset.(D), -1)
			}
			if src.out != nil {
				o := src.out
				k.add(o.total.(D), src.latest.(D), -1)
				k.add(o.total.(D), contribution, 1)
				src.latest = contribution
				leave(r, k, src, true)
			} else {
				carryInto(r, k, ms, attrs, src.target, contribution, monotonic)
			}
			if src.offset == nil {
				src.offset = k.newPoint()
				st.movers++
				ms.movers++
			}
			k.copyTo(dp, src.offset.(D))
			k.clear(src.offset.(D))
			src.target = out
		}
	} else {
		moveFrom := ""
		if prev := r.view.previous; prev != nil && (dp.StartTimestamp() < r.view.current.since || dp.StartTimestamp() == 0) {
			before := policy.OverflowValue
			if isStr {
				before, _ = prev.policy.Resolve(raw)
			}
			if before != out {
				moveFrom = before
			}
		}
		if moveFrom != "" && st.movers >= r.p.cfg.MaxTrackedSeries {
			// not tracked: its whole value moves, its old target can go down once
			r.evicted++
			moveFrom = ""
		}
		lands := merges || ms.values[out] > 0
		if moveFrom == "" && !lands {
			return false, false
		}
		if moveFrom == "" && st.merging >= r.p.cfg.MaxMergeSources {
			// not tracked: merged within this request only (README.md "Bounds")
			r.untracked++
			return false, false
		}
		src = &source{metric: ms, target: out, start: dp.StartTimestamp(), lastSeen: r.now}
		st.sources[rawKey] = src
		if moveFrom != "" {
			// first sight since its target changed: all it counted so far stays with the old target
			snapshot := k.newPoint()
			k.copyTo(dp, snapshot)
			k.clear(snapshot)
			carryInto(r, k, ms, attrs, moveFrom, snapshot, monotonic)
			offset := k.newPoint()
			k.copyTo(snapshot, offset)
			src.offset = offset
			st.movers++
			ms.movers++
		}
	}
	if src.offset != nil {
		k.add(dp, src.offset.(D), -1)
		adjusted = true
	}
	if !merges && ms.values[out] == 0 {
		// a plain target (a moved series now allowlisted): its own series, adjusted
		if src.out != nil {
			leave(r, k, src, monotonic)
		}
		if src.offset == nil {
			delete(st.sources, rawKey)
		}
		return false, adjusted
	}
	o := ms.outputs[outKey]
	if o == nil {
		o = newOutput(r, k, ms, outKey, attrs, out, dp, monotonic)
	}
	if src.out != nil && src.out != o {
		leave(r, k, src, monotonic)
	}
	if s := dp.StartTimestamp(); s != 0 && (o.start == 0 || s < o.start) {
		o.start = s
	}
	o.time = max(o.time, dp.Timestamp())
	o.lastSeen = r.now
	if o.mark == r.seq {
		r.merged++ // went into an output with others of this request
	} else {
		o.mark = r.seq
	}
	if k.exemplars != nil && k.exemplars(dp).Len() > 0 {
		if r.exemplars == nil {
			r.exemplars = map[*output]pmetric.ExemplarSlice{}
		}
		ex, ok := r.exemplars[o]
		if !ok {
			ex = pmetric.NewExemplarSlice()
			r.exemplars[o] = ex
		}
		k.exemplars(dp).MoveAndAppendTo(ex)
	}
	if src.out == nil {
		k.add(o.total.(D), dp, 1)
		src.out, src.latest = o, k.newPoint()
		o.sources++
		st.merging++
	} else {
		latest := src.latest.(D)
		if monotonic && k.decreased(dp, latest) {
			// went down without a new start time: a reset all the same
			if !o.carried {
				o.carried = true
				st.carried++
			}
			if src.offset != nil {
				k.add(dp, src.offset.(D), 1)
				dropOffset(st, src)
			}
			k.add(o.total.(D), dp, 1)
		} else {
			k.replaceIn(o.total.(D), latest, dp)
		}
	}
	// the datapoint leaves the request: its content becomes the source's
	// latest value (moved, not copied), without attributes
	k.moveTo(dp, src.latest.(D))
	k.clear(src.latest.(D))
	return true, adjusted
}

func dropOffset(st *state, src *source) {
	if src.offset != nil {
		src.offset = nil
		st.movers--
		src.metric.movers--
	}
}

// leave detaches a source from its output; a monotonic source's latest value
// stays in the output's total as a carry, a non-monotonic one leaves it.
func leave[D point](r *request, k kind[D], src *source, retire bool) {
	st := r.p.state
	o := src.out
	if retire {
		if !o.carried {
			o.carried = true
			st.carried++
		}
	} else {
		k.add(o.total.(D), src.latest.(D), -1)
	}
	o.sources--
	st.merging--
	src.out, src.latest = nil, nil
}

// newOutput creates the output of a series (attributes as after folding),
// its total a zero of the datapoint's shape.
func newOutput[D point](r *request, k kind[D], ms *metricState, key uint64, attrs pcommon.Map, value string, shape D, monotonic bool) *output {
	total := k.newPoint()
	k.copyTo(shape, total)
	k.clear(total)
	k.add(total, shape, -1)
	o := &output{value: value, attrs: pcommon.NewMap(), total: total, monotonic: monotonic, start: shape.StartTimestamp(), lastSeen: r.now}
	attrs.CopyTo(o.attrs)
	ms.outputs[key] = o
	ms.order = append(ms.order, key)
	ms.values[value]++
	r.p.state.outputs++
	r.created = true
	return o
}

// carryInto adds a contribution to the output `target` of a series with
// these attributes (label set to target), creating it if needed.
func carryInto[D point](r *request, k kind[D], ms *metricState, attrs pcommon.Map, target string, contribution D, monotonic bool) {
	h := r.p.hash
	key := h.attrs(attrs, r.p.label, target)
	o := ms.outputs[key]
	if o == nil {
		targetAttrs := pcommon.NewMap()
		attrs.CopyTo(targetAttrs)
		targetAttrs.PutStr(r.p.label, target)
		o = newOutput(r, k, ms, key, targetAttrs, target, contribution, monotonic)
	}
	k.add(o.total.(D), contribution, 1)
	if !o.carried {
		o.carried = true
		r.p.state.carried++
	}
	o.lastSeen = r.now
}

// emitOutputs takes the datapoints the state took out of the request and
// appends every output of the metric, whole: its total, its earliest start,
// and the latest time of the output or of this request.
func emitOutputs[D point, S points[D]](r *request, s S, k kind[D], n int, absorbed []bool, latest pcommon.Timestamp) {
	ms := r.ms
	for _, key := range ms.order {
		o := ms.outputs[key]
		dp := s.AppendEmpty()
		k.copyTo(o.total.(D), dp)
		o.attrs.CopyTo(dp.Attributes())
		o.time = max(o.time, latest)
		dp.SetTimestamp(o.time)
		dp.SetStartTimestamp(o.start)
		o.lastSeen = r.now
		if ex, ok := r.exemplars[o]; ok {
			ex.MoveAndAppendTo(k.exemplars(dp))
		}
	}
	if absorbed == nil {
		return
	}
	i := 0
	s.RemoveIf(func(D) bool {
		drop := i < n && absorbed[i]
		i++
		return drop
	})
}

// alignDeltas: a folded delta series split over several requests arrives as
// several datapoints of one interval. The prometheus exporter adds a delta
// only when its start is the previous datapoint's time (otherwise it
// replaces, or drops, it), so a piece that overlaps what was already emitted
// for its series starts where that ended: the pieces chain and all of them add.
func alignDeltas[D point, S points[D]](r *request, s S) {
	r.lock()
	ms := r.metricState(true)
	label := r.p.label
	for i := 0; i < s.Len(); i++ {
		dp := s.At(i)
		v, ok := dp.Attributes().Get(label)
		if !ok || v.Type() != pcommon.ValueTypeStr || !isOverflow(v.Str()) {
			continue
		}
		key := r.p.hash.attrs(dp.Attributes(), "", "")
		if ms.deltas == nil {
			ms.deltas = map[uint64]*deltaMark{}
		}
		m := ms.deltas[key]
		if m == nil {
			m = &deltaMark{}
			ms.deltas[key] = m
		} else if dp.StartTimestamp() < m.time {
			dp.SetStartTimestamp(m.time)
			if dp.Timestamp() < m.time {
				dp.SetTimestamp(m.time)
			}
		}
		m.time, m.lastSeen = dp.Timestamp(), r.now
	}
}

// mergePoints merges the labelled datapoints that share their attributes
// into the first of them, whatever their timestamps.
func mergePoints[D point, S points[D]](r *request, s S, k kind[D]) {
	n := s.Len()
	first := make(map[uint64]int, n)
	var removed []bool
	label := r.p.label
	for i := 0; i < n; i++ {
		dp := s.At(i)
		attrs := dp.Attributes()
		if _, ok := attrs.Get(label); !ok {
			continue
		}
		h := r.p.hash.attrs(attrs, "", "")
		j, seen := first[h]
		if !seen {
			first[h] = i
			continue
		}
		dst := s.At(j)
		if !dst.Attributes().Equal(attrs) {
			continue // a 64-bit hash collision: leave both as they are
		}
		k.merge(dst, dp)
		if removed == nil {
			removed = make([]bool, n)
		}
		removed[i] = true
		r.merged++
	}
	if removed == nil {
		return
	}
	i := 0
	s.RemoveIf(func(D) bool {
		drop := removed[i]
		i++
		return drop
	})
}
