package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
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
	stateful bool

	resource       pcommon.Resource
	resourceHash   uint64
	resourceHashed bool
	scope          pcommon.InstrumentationScope
	metric         pmetric.Metric

	folded, merged, evicted int64
}

type point interface {
	Attributes() pcommon.Map
	Timestamp() pcommon.Timestamp
	SetTimestamp(pcommon.Timestamp)
	StartTimestamp() pcommon.Timestamp
}

type points[D point] interface {
	Len() int
	At(int) D
	AppendEmpty() D
	RemoveIf(func(D) bool)
}

// kind holds the per-type operations; add is nil for types without monotonic state.
type kind[D point] struct {
	merge    func(dst, src D)
	add      func(dst, src D, sign int64)
	newPoint func() D
	copyTo   func(src, dst D)
	clear    func(D) // drops exemplars from a snapshot
}

var (
	numberKind = kind[pmetric.NumberDataPoint]{
		merge: mergeNumber, add: addNumber, newPoint: pmetric.NewNumberDataPoint,
		copyTo: func(s, d pmetric.NumberDataPoint) { s.CopyTo(d) },
		clear:  func(d pmetric.NumberDataPoint) { d.Exemplars().RemoveIf(func(pmetric.Exemplar) bool { return true }) },
	}
	histogramKind = kind[pmetric.HistogramDataPoint]{
		merge: mergeHistogram, add: addHistogram, newPoint: pmetric.NewHistogramDataPoint,
		copyTo: func(s, d pmetric.HistogramDataPoint) { s.CopyTo(d) },
		clear:  func(d pmetric.HistogramDataPoint) { d.Exemplars().RemoveIf(func(pmetric.Exemplar) bool { return true }) },
	}
	exponentialKind = kind[pmetric.ExponentialHistogramDataPoint]{
		merge: mergeExponential, add: addExponential, newPoint: pmetric.NewExponentialHistogramDataPoint,
		copyTo: func(s, d pmetric.ExponentialHistogramDataPoint) { s.CopyTo(d) },
		clear:  func(d pmetric.ExponentialHistogramDataPoint) { d.Exemplars().RemoveIf(func(pmetric.Exemplar) bool { return true }) },
	}
	summaryKind = kind[pmetric.SummaryDataPoint]{
		merge: mergeSummary, newPoint: pmetric.NewSummaryDataPoint,
		copyTo: func(s, d pmetric.SummaryDataPoint) { s.CopyTo(d) },
	}
)

func (r *request) process() {
	m := r.metric
	switch m.Type() {
	case pmetric.MetricTypeSum:
		processPoints(r, m.Sum().DataPoints(), numberKind, m.Sum().AggregationTemporality() == pmetric.AggregationTemporalityCumulative)
	case pmetric.MetricTypeGauge:
		processPoints(r, m.Gauge().DataPoints(), numberKind, false)
	case pmetric.MetricTypeHistogram:
		processPoints(r, m.Histogram().DataPoints(), histogramKind, m.Histogram().AggregationTemporality() == pmetric.AggregationTemporalityCumulative)
	case pmetric.MetricTypeExponentialHistogram:
		processPoints(r, m.ExponentialHistogram().DataPoints(), exponentialKind, m.ExponentialHistogram().AggregationTemporality() == pmetric.AggregationTemporalityCumulative)
	case pmetric.MetricTypeSummary:
		processPoints(r, m.Summary().DataPoints(), summaryKind, false)
	}
}

// metricKey identifies the metric stream set: resource, scope, metric name.
func (r *request) metricKey() uint64 {
	h := r.p.hash
	if !r.resourceHashed {
		r.resourceHash = h.attrs(r.resource.Attributes(), "", "")
		r.resourceHashed = true
	}
	return h.combine(r.resourceHash, h.str(r.scope.Name()), h.str(r.scope.Version()), h.str(r.metric.Name()))
}

// processPoints resolves the label of every datapoint, applies the monotonic
// state (cumulative sums and histograms only), then merges the datapoints
// that now share their attributes.
func processPoints[D point, S points[D]](r *request, s S, k kind[D], cumulative bool) {
	n := s.Len()
	if n == 0 {
		return
	}
	label := r.p.label
	cur := r.view.current.policy
	track := r.stateful && cumulative && k.add != nil
	var metricKey uint64
	if track {
		metricKey = r.metricKey()
		// without a recent change, only metrics holding state need the per-datapoint work
		track = r.view.previous != nil || r.p.state.has(metricKey)
	}
	changed, hasLabel := false, false
	for i := 0; i < n; i++ {
		dp := s.At(i)
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
		var rawKey uint64
		if track {
			rawKey = r.p.hash.combine(metricKey, r.p.hash.attrs(attrs, "", ""))
		}
		if !isStr || out != raw {
			if folded {
				r.folded++
			}
			val.SetStr(out)
			changed = true
		}
		if track && trackPoint(r, k, dp, metricKey, rawKey, isStr, raw, out) {
			changed = true
		}
	}
	if !hasLabel {
		return
	}
	if track {
		if cs := r.p.state.carries[metricKey]; len(cs) > 0 {
			// re-emit every carried contribution; merging below adds it to the live series of its target
			latest := pcommon.Timestamp(0)
			for i := 0; i < n; i++ {
				latest = max(latest, s.At(i).Timestamp())
			}
			for _, c := range cs {
				dp := s.AppendEmpty()
				k.copyTo(c.point.(D), dp)
				dp.SetTimestamp(latest)
				c.lastSeen = r.now
			}
			changed = true
		}
	}
	if !changed {
		return
	}
	mergePoints(r, s, k)
}

// trackPoint applies the monotonic state to one labelled datapoint of a
// cumulative series (before it merges); true when it changed the point.
func trackPoint[D point](r *request, k kind[D], dp D, metricKey, rawKey uint64, isStr bool, raw, out string) bool {
	st := r.p.state
	if mv := st.movers[rawKey]; mv != nil {
		mv.lastSeen = r.now
		offset := mv.offset.(D)
		if mv.target != out {
			// moves again: what it added to its last target since the last move stays there
			contribution := k.newPoint()
			k.copyTo(dp, contribution)
			k.add(contribution, offset, -1)
			addCarry(r, k, metricKey, contribution, mv.target)
			k.copyTo(dp, offset)
			k.clear(offset)
			mv.target = out
		}
		k.add(dp, offset, -1)
		return true
	}
	prev := r.view.previous
	if prev == nil || dp.StartTimestamp() >= r.view.current.since && dp.StartTimestamp() != 0 {
		// no change in the window, or a series that started after it: all of it belongs to its current target
		return false
	}
	before := policy.OverflowValue
	if isStr {
		before, _ = prev.policy.Resolve(raw)
	}
	if before == out {
		return false
	}
	if len(st.movers) >= r.p.cfg.MaxTrackedSeries {
		r.evicted++
		return false
	}
	// first sight since its target changed: all it counted so far stays with the old target
	snapshot := k.newPoint()
	k.copyTo(dp, snapshot)
	k.clear(snapshot)
	addCarry(r, k, metricKey, snapshot, before)
	offset := k.newPoint()
	k.copyTo(snapshot, offset)
	st.movers[rawKey] = &mover{metric: metricKey, target: out, offset: offset, lastSeen: r.now}
	st.moversOf[metricKey]++
	k.add(dp, offset, -1)
	return true
}

// addCarry adds a contribution (a standalone datapoint, its label still the
// raw series' own) to the carry of the output series `target` of this metric.
func addCarry[D point](r *request, k kind[D], metricKey uint64, contribution D, target string) {
	st := r.p.state
	attrs := contribution.Attributes()
	targetKey := r.p.hash.attrs(attrs, r.p.label, target)
	cs := st.carries[metricKey]
	if cs == nil {
		cs = map[uint64]*carry{}
		st.carries[metricKey] = cs
	}
	if c := cs[targetKey]; c != nil {
		k.add(c.point.(D), contribution, 1)
		c.lastSeen = r.now
		return
	}
	attrs.PutStr(r.p.label, target)
	k.clear(contribution)
	cs[targetKey] = &carry{point: contribution, lastSeen: r.now}
	st.carried++
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
