package workspacepolicyprocessor

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A service's collection split into several OTLP requests (the SDK cuts at
// metric boundaries and, inside a large metric, at datapoint boundaries):
// every folded series must be emitted whole after each request, equal to
// the sum of its sources' latest values, and never go backwards.

const splitWorkspaces = 40

// splitCollection is collection c of one service: a monotonic int sum, an
// up-down double sum, an explicit and an exponential histogram and a summary,
// over listed, unlisted and team workspaces and two statuses; every
// cumulative value grows with c. Values are multiples of 1/4, so every sum
// below is exact in float64.
func splitCollection(service string, c int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", service)
	rm.Resource().Attributes().PutStr("service.instance.id", service+"-1")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("otel-workspace-metrics")
	ms := sm.Metrics()
	start, now := ts(1), ts(10+10*c)

	sum := ms.AppendEmpty()
	sum.SetName("actions")
	s := sum.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	updown := ms.AppendEmpty()
	updown.SetName("in_flight")
	u := updown.SetEmptySum()
	u.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hist := ms.AppendEmpty()
	hist.SetName("duration")
	h := hist.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	expo := ms.AppendEmpty()
	expo.SetName("size")
	e := expo.SetEmptyExponentialHistogram()
	e.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	summary := ms.AppendEmpty()
	summary.SetName("latency")
	q := summary.SetEmptySummary()

	for i := 0; i < splitWorkspaces; i++ {
		ws := fmt.Sprintf("ws-%d", i)
		switch {
		case i < 3:
			ws = []string{"acme", "beta", "gamma"}[i]
		case i%5 == 0:
			ws = fmt.Sprintf("team-a/w%d", i)
		}
		for st, status := range []string{"ok", "error"} {
			grow := uint64((i%7 + st + 1) * (c + 1))
			attrs := func(m pcommon.Map) {
				m.PutStr("workspace_id", ws)
				m.PutStr("status", status)
			}
			dp := s.DataPoints().AppendEmpty()
			attrs(dp.Attributes())
			dp.SetIntValue(int64(grow))
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(now)

			ud := u.DataPoints().AppendEmpty()
			attrs(ud.Attributes())
			ud.SetDoubleValue(float64((i+c)%5) - 1.25) // goes up and down
			ud.SetStartTimestamp(start)
			ud.SetTimestamp(now)

			hp := h.DataPoints().AppendEmpty()
			attrs(hp.Attributes())
			hp.ExplicitBounds().FromRaw([]float64{0.1, 1, 10})
			hp.BucketCounts().FromRaw([]uint64{grow, 2 * grow, 0, uint64(c)})
			hp.SetCount(3*grow + uint64(c))
			hp.SetSum(0.25 * float64(hp.Count()))
			hp.SetStartTimestamp(start)
			hp.SetTimestamp(now)

			ep := e.DataPoints().AppendEmpty()
			attrs(ep.Attributes())
			ep.SetScale(2)
			ep.SetZeroCount(uint64(c))
			ep.Positive().SetOffset(int32(i % 4))
			ep.Positive().BucketCounts().FromRaw([]uint64{grow, 2 * grow})
			ep.SetCount(3*grow + uint64(c))
			ep.SetSum(0.5 * float64(ep.Count()))
			ep.SetStartTimestamp(start)
			ep.SetTimestamp(now)

			sp := q.DataPoints().AppendEmpty()
			attrs(sp.Attributes())
			sp.SetCount(grow)
			sp.SetSum(0.75 * float64(grow))
			sp.SetStartTimestamp(start)
			sp.SetTimestamp(now)
		}
	}
	return md
}

// item is one datapoint of a collection: metric index, datapoint index.
type item struct{ metric, point int }

func pointsOf(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

func keepPoints(m pmetric.Metric, keep map[int]bool) {
	i := 0
	drop := func() bool { d := !keep[i]; i++; return d }
	switch m.Type() {
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(pmetric.HistogramDataPoint) bool { return drop() })
	case pmetric.MetricTypeExponentialHistogram:
		m.ExponentialHistogram().DataPoints().RemoveIf(func(pmetric.ExponentialHistogramDataPoint) bool { return drop() })
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(pmetric.SummaryDataPoint) bool { return drop() })
	}
}

// cut splits a one-resource, one-scope collection into requests of
// consecutive datapoints; chunk(items) gives the chunk sizes.
func cut(md pmetric.Metrics, chunk func(items []item) []int) []pmetric.Metrics {
	rm := md.ResourceMetrics().At(0)
	sm := rm.ScopeMetrics().At(0)
	var items []item
	for m := 0; m < sm.Metrics().Len(); m++ {
		for p := 0; p < pointsOf(sm.Metrics().At(m)); p++ {
			items = append(items, item{m, p})
		}
	}
	var out []pmetric.Metrics
	at := 0
	for _, size := range chunk(items) {
		part := items[at : at+size]
		at += size
		req := pmetric.NewMetrics()
		rrm := req.ResourceMetrics().AppendEmpty()
		rm.Resource().CopyTo(rrm.Resource())
		rsm := rrm.ScopeMetrics().AppendEmpty()
		sm.Scope().CopyTo(rsm.Scope())
		keep := map[int]map[int]bool{}
		var order []int
		for _, it := range part {
			if keep[it.metric] == nil {
				keep[it.metric] = map[int]bool{}
				order = append(order, it.metric)
			}
			keep[it.metric][it.point] = true
		}
		for _, m := range order {
			dst := rsm.Metrics().AppendEmpty()
			sm.Metrics().At(m).CopyTo(dst)
			keepPoints(dst, keep[m])
		}
		out = append(out, req)
	}
	if at != len(items) {
		panic("chunks do not cover the collection")
	}
	return out
}

type splitter func(md pmetric.Metrics, rng *rand.Rand) []pmetric.Metrics

var (
	whole    splitter = func(md pmetric.Metrics, _ *rand.Rand) []pmetric.Metrics { return []pmetric.Metrics{md} }
	perPoint splitter = func(md pmetric.Metrics, _ *rand.Rand) []pmetric.Metrics {
		return cut(md, func(items []item) []int {
			sizes := make([]int, len(items))
			for i := range sizes {
				sizes[i] = 1
			}
			return sizes
		})
	}
	perMetric splitter = func(md pmetric.Metrics, _ *rand.Rand) []pmetric.Metrics {
		return cut(md, func(items []item) []int {
			var sizes []int
			for i, it := range items {
				if i == 0 || items[i-1].metric != it.metric {
					sizes = append(sizes, 0)
				}
				sizes[len(sizes)-1]++
			}
			return sizes
		})
	}
	// randomCuts: 1 to 12 cuts anywhere (inside metrics too)
	randomCuts splitter = func(md pmetric.Metrics, rng *rand.Rand) []pmetric.Metrics {
		return cut(md, func(items []item) []int {
			cuts := map[int]bool{}
			for n := 1 + rng.Intn(12); len(cuts) < n; {
				cuts[1+rng.Intn(len(items)-1)] = true
			}
			var sizes []int
			last := 0
			for i := 1; i <= len(items); i++ {
				if cuts[i] || i == len(items) {
					sizes = append(sizes, i-last)
					last = i
				}
			}
			return sizes
		})
	}
	shuffled = func(inner splitter) splitter {
		return func(md pmetric.Metrics, rng *rand.Rand) []pmetric.Metrics {
			reqs := inner(md, rng)
			rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
			return reqs
		}
	}
)

// value is what the prometheus exporter keeps of one series: the last datapoint.
type value struct {
	time    pcommon.Timestamp
	number  float64
	count   uint64
	sum     float64
	zero    uint64
	offset  int32
	buckets []uint64
}

func (v value) String() string {
	return fmt.Sprintf("n=%v count=%d sum=%v zero=%d offset=%d buckets=%v", v.number, v.count, v.sum, v.zero, v.offset, v.buckets)
}

// not backwards: a counter, a count or a bucket that went down
func (v value) below(before value) bool {
	if v.number < before.number || v.count < before.count || v.zero < before.zero || v.sum < before.sum {
		return true
	}
	if v.offset == before.offset && len(v.buckets) == len(before.buckets) {
		for i := range v.buckets {
			if v.buckets[i] < before.buckets[i] {
				return true
			}
		}
	}
	return false
}

func seriesKey(res pcommon.Resource, m pmetric.Metric, attrs pcommon.Map) string {
	var parts []string
	for k, v := range attrs.All() {
		parts = append(parts, k+"="+v.AsString())
	}
	sort.Strings(parts)
	id, _ := res.Attributes().Get("service.name")
	return id.Str() + "|" + m.Name() + "|" + strings.Join(parts, ",")
}

// eachPoint calls fn with every datapoint of md as a series key, a value and whether it is monotonic.
func eachPoint(md pmetric.Metrics, fn func(key string, v value, monotonic bool)) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		res := rms.At(i).Resource()
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for p := 0; p < m.Sum().DataPoints().Len(); p++ {
						dp := m.Sum().DataPoints().At(p)
						fn(seriesKey(res, m, dp.Attributes()), value{time: dp.Timestamp(), number: numberValue(dp)}, m.Sum().IsMonotonic())
					}
				case pmetric.MetricTypeHistogram:
					for p := 0; p < m.Histogram().DataPoints().Len(); p++ {
						dp := m.Histogram().DataPoints().At(p)
						fn(seriesKey(res, m, dp.Attributes()), value{time: dp.Timestamp(), count: dp.Count(), sum: dp.Sum(), buckets: dp.BucketCounts().AsRaw()}, true)
					}
				case pmetric.MetricTypeExponentialHistogram:
					for p := 0; p < m.ExponentialHistogram().DataPoints().Len(); p++ {
						dp := m.ExponentialHistogram().DataPoints().At(p)
						fn(seriesKey(res, m, dp.Attributes()), value{time: dp.Timestamp(), count: dp.Count(), sum: dp.Sum(), zero: dp.ZeroCount(), offset: dp.Positive().Offset(), buckets: dp.Positive().BucketCounts().AsRaw()}, true)
					}
				case pmetric.MetricTypeSummary:
					for p := 0; p < m.Summary().DataPoints().Len(); p++ {
						dp := m.Summary().DataPoints().At(p)
						fn(seriesKey(res, m, dp.Attributes()), value{time: dp.Timestamp(), count: dp.Count(), sum: dp.Sum()}, true)
					}
				}
			}
		}
	}
}

// lastValues is the prometheus exporter's view: the latest datapoint per series
// (an older timestamp is ignored), failing on a monotonic series that goes down.
type lastValues map[string]value

func (lv lastValues) take(t *testing.T, md pmetric.Metrics, where string) {
	t.Helper()
	seen := map[string]bool{}
	eachPoint(md, func(key string, v value, monotonic bool) {
		require.False(t, seen[key], "%s: two datapoints of %s in one request", where, key)
		seen[key] = true
		before, ok := lv[key]
		if ok && v.time < before.time {
			return
		}
		if ok && monotonic {
			require.False(t, v.below(before), "%s: %s went backwards: %v after %v", where, key, v, before)
		}
		lv[key] = v
	})
}

// expected folds a raw collection by the policy and adds up each output series.
func expected(t *testing.T, p *workspacePolicyProcessor, raws ...pmetric.Metrics) lastValues {
	t.Helper()
	want := lastValues{}
	for _, raw := range raws {
		md := pmetric.NewMetrics()
		raw.CopyTo(md)
		rms := md.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			ms := rms.At(i).ScopeMetrics().At(0).Metrics()
			for k := 0; k < ms.Len(); k++ {
				fold := func(attrs pcommon.Map) {
					v, _ := attrs.Get("workspace_id")
					out, _ := p.view.Load().current.policy.Resolve(v.Str())
					attrs.PutStr("workspace_id", out)
				}
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for p := 0; p < m.Sum().DataPoints().Len(); p++ {
						fold(m.Sum().DataPoints().At(p).Attributes())
					}
				case pmetric.MetricTypeHistogram:
					for p := 0; p < m.Histogram().DataPoints().Len(); p++ {
						fold(m.Histogram().DataPoints().At(p).Attributes())
					}
				case pmetric.MetricTypeExponentialHistogram:
					for p := 0; p < m.ExponentialHistogram().DataPoints().Len(); p++ {
						fold(m.ExponentialHistogram().DataPoints().At(p).Attributes())
					}
				case pmetric.MetricTypeSummary:
					for p := 0; p < m.Summary().DataPoints().Len(); p++ {
						fold(m.Summary().DataPoints().At(p).Attributes())
					}
				}
			}
		}
		eachPoint(md, func(key string, v value, _ bool) {
			w, ok := want[key]
			if !ok {
				want[key] = v
				return
			}
			w.number += v.number
			w.count += v.count
			w.sum += v.sum
			w.zero += v.zero
			w.time = max(w.time, v.time)
			// the test's exponential histograms share their scale: add on the union of indexes
			lo := min(w.offset, v.offset)
			hi := max(w.offset+int32(len(w.buckets)), v.offset+int32(len(v.buckets)))
			b := make([]uint64, hi-lo)
			for i, c := range w.buckets {
				b[w.offset-lo+int32(i)] += c
			}
			for i, c := range v.buckets {
				b[v.offset-lo+int32(i)] += c
			}
			w.offset, w.buckets = lo, b
			want[key] = w
		})
	}
	return want
}

// without times: what is compared after each collection
func (lv lastValues) values() map[string]string {
	out := map[string]string{}
	for k, v := range lv {
		out[k] = v.String()
	}
	return out
}

func TestSplitCollectionsMergeExactly(t *testing.T) {
	tests := []struct {
		name  string
		split splitter
		// other: a second service's collections, split the same way and interleaved
		other bool
	}{
		{name: "one request per collection", split: whole},
		{name: "one request per metric", split: perMetric},
		{name: "one request per datapoint", split: perPoint},
		{name: "random cuts inside metrics", split: randomCuts},
		{name: "random cuts, requests out of order", split: shuffled(randomCuts)},
		{name: "per datapoint, interleaved with another service", split: perPoint, other: true},
		{name: "random cuts, shuffled, interleaved with another service", split: shuffled(randomCuts), other: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, tel := testProcessor(t, []string{"acme", "beta", "gamma", "team-a/*"}, nil)
			rng := rand.New(rand.NewSource(16))
			seen := lastValues{}
			for c := 0; c < 6; c++ {
				raw := splitCollection("checkout", c)
				raws := []pmetric.Metrics{raw}
				reqs := tt.split(cloneMetrics(raw), rng)
				if tt.other {
					rawB := splitCollection("billing", c)
					raws = append(raws, rawB)
					b := tt.split(cloneMetrics(rawB), rng)
					var mixed []pmetric.Metrics
					for len(reqs) > 0 || len(b) > 0 {
						if len(reqs) > 0 && (len(b) == 0 || rng.Intn(2) == 0) {
							mixed, reqs = append(mixed, reqs[0]), reqs[1:]
						} else {
							mixed, b = append(mixed, b[0]), b[1:]
						}
					}
					reqs = mixed
				}
				for i, req := range reqs {
					out, err := p.processMetrics(context.Background(), req)
					require.NoError(t, err)
					seen.take(t, out, fmt.Sprintf("collection %d request %d/%d", c, i+1, len(reqs)))
				}
				// after the whole collection: every series equals the sum of its sources, nothing more
				assert.Equal(t, expected(t, p, raws...).values(), seen.values(), "collection %d", c)
			}
			folded := 0
			for k := range seen {
				if strings.Contains(k, "__other__") {
					folded++
				}
			}
			services := 1
			if tt.other {
				services = 2
			}
			// 5 metrics × 2 statuses × (__other__, team-a/__other__) per service
			assert.Equal(t, services*5*2*2, folded)
			assert.Equal(t, services*5*2*3, len(seen)-folded, "the listed workspaces keep their own series")
			assertGauge(t, tel, "otelcol_workspacepolicy_merge_sources", int64(services*5*2*(splitWorkspaces-3)))
			assertCounter(t, tel, "otelcol_workspacepolicy_merge_untracked", 0)
		})
	}
}

func cloneMetrics(md pmetric.Metrics) pmetric.Metrics {
	out := pmetric.NewMetrics()
	md.CopyTo(out)
	return out
}

// An allowlist change between split collections: movers, carries and the
// cross-request merge together. The sum over all series stays the raw total
// after every collection, and no series goes backwards at any request.
func TestSplitCollectionsAcrossAllowlistChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.txt")
	writeFile(t, path, "acme\n")
	p, _ := testProcessor(t, nil, nil, func(c *Config) { c.AllowlistFile = path })
	clock := time.Unix(100, 0)
	p.now = func() time.Time { return clock }
	p.reload()
	p.settle()
	rng := rand.New(rand.NewSource(7))
	seen := lastValues{}
	lists := []string{"acme\n", "acme\nws-4\nws-6\n", "ws-4\nteam-a/*\n", "", "acme\nbeta\n", "acme\nbeta\n"}
	for c, list := range lists {
		clock = clock.Add(time.Minute)
		setList(p, path, t, list)
		raw := splitCollection("checkout", c)
		reqs := shuffled(randomCuts)(cloneMetrics(raw), rng)
		for i, req := range reqs {
			out, err := p.processMetrics(context.Background(), req)
			require.NoError(t, err)
			seen.take(t, out, fmt.Sprintf("collection %d (list %q) request %d/%d", c, list, i+1, len(reqs)))
		}
		// totals per metric: over all output series = over all raw series
		rawTotals, outTotals := map[string]value{}, map[string]value{}
		add := func(into map[string]value) func(string, value, bool) {
			return func(key string, v value, _ bool) {
				metric := strings.SplitN(key, "|", 3)[1]
				w := into[metric]
				w.number += v.number
				w.count += v.count
				w.sum += v.sum
				w.zero += v.zero
				into[metric] = w
			}
		}
		eachPoint(raw, add(rawTotals))
		for key, v := range seen {
			add(outTotals)(key, v, false)
		}
		// in_flight is an up-down counter: a moved series' level is carried like a count (documented), so it is left out
		delete(rawTotals, "in_flight")
		delete(outTotals, "in_flight")
		assert.Equal(t, rawTotals, outTotals, "collection %d", c)
	}
}

func TestSourceResetKeepsWhatItCounted(t *testing.T) {
	p, _ := testProcessor(t, []string{"acme"}, nil)
	seen := lastValues{}
	run := func(pts ...sumPoint) map[string][3]int64 {
		out, err := p.processMetrics(context.Background(), sumMetrics(true, pts...))
		require.NoError(t, err)
		seen.take(t, out, "request")
		return sums(t, out)
	}
	assert.Equal(t, map[string][3]int64{"__other__": {10 + 20, 10, 1}}, run(sumPoint{ws: "x", value: 10, time: 10, start: 1}, sumPoint{ws: "y", value: 20, time: 10, start: 1}))
	// x restarts (a new start time) in a request of its own: its 10 stay, it counts from 3
	assert.Equal(t, map[string][3]int64{"__other__": {10 + 20 + 3, 20, 1}}, run(sumPoint{ws: "x", value: 3, time: 20, start: 15}))
	assert.Equal(t, map[string][3]int64{"__other__": {10 + 25 + 3, 21, 1}}, run(sumPoint{ws: "y", value: 25, time: 21, start: 1}))
	// y goes down without a new start time: a reset all the same
	assert.Equal(t, map[string][3]int64{"__other__": {10 + 25 + 3 + 2, 30, 1}}, run(sumPoint{ws: "y", value: 2, time: 30, start: 1}))
	assert.Equal(t, map[string][3]int64{"__other__": {10 + 25 + 4 + 2, 40, 1}}, run(sumPoint{ws: "x", value: 4, time: 40, start: 15}))
	assert.Equal(t, 1, p.state.carried)
}

func TestUpDownSourceResetLeavesTheLevel(t *testing.T) {
	p, _ := testProcessor(t, nil, nil)
	run := func(ws string, v float64, start int) float64 {
		md := pmetric.NewMetrics()
		s := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("workspace_id", ws)
		dp.SetDoubleValue(v)
		dp.SetStartTimestamp(ts(start))
		dp.SetTimestamp(ts(100))
		out, err := p.processMetrics(context.Background(), md)
		require.NoError(t, err)
		return out.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).DoubleValue()
	}
	assert.Equal(t, 5.0, run("a", 5, 1))
	assert.Equal(t, 5.0+7, run("b", 7, 1))
	assert.Equal(t, 2.0+7, run("a", 2, 1), "an up-down level goes down")
	assert.Equal(t, 1.0+7, run("a", 1, 50), "a restarted up-down series replaces its level")
}

func TestMergeSourcesExpireAtMaxStale(t *testing.T) {
	p, tel := testProcessor(t, nil, nil, func(c *Config) { c.MaxStale = time.Minute })
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }
	cumulative(t, p, 10, map[string]int64{"a": 4, "b": 6})
	assert.Equal(t, 2, p.state.merging)
	clock = clock.Add(30 * time.Second)
	assert.Equal(t, map[string]int64{"__other__": 4 + 7}, cumulative(t, p, 20, map[string]int64{"b": 7}))

	// a was seen exactly max_stale ago: kept
	clock = clock.Add(30 * time.Second)
	p.expire()
	assert.Equal(t, 2, p.state.merging)
	assertCounter(t, tel, "otelcol_workspacepolicy_merge_sources_expired", 0)

	// one nanosecond later: dropped, and its 4 stay in __other__ as a carry
	clock = clock.Add(time.Nanosecond)
	p.expire()
	assert.Equal(t, 1, p.state.merging)
	assert.Equal(t, 1, p.state.carried)
	assertCounter(t, tel, "otelcol_workspacepolicy_merge_sources_expired", 1)
	assertGauge(t, tel, "otelcol_workspacepolicy_merge_sources", 1)
	assert.Equal(t, map[string]int64{"__other__": 4 + 8}, cumulative(t, p, 30, map[string]int64{"b": 8}), "never backwards")

	// nothing more for max_stale: the source, then the output go
	clock = clock.Add(time.Minute + time.Nanosecond)
	p.expire()
	assert.Zero(t, p.state.merging)
	assert.Zero(t, p.state.carried)
	assert.Zero(t, p.state.size())
	assert.Zero(t, p.stateSize.Load())
}

func TestMaxMergeSourcesBoundary(t *testing.T) {
	for _, tt := range []struct {
		name      string
		max       int
		untracked int64
		// a later request with only y: its folded series
		later int64
	}{
		{name: "at the bound: all tracked", max: 3, untracked: 0, later: 1 + 2 + 3 + 1},
		{name: "one over: the fourth merges within its request only", max: 2, untracked: 1, later: 1 + 2 + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, tel := testProcessor(t, nil, nil, func(c *Config) { c.MaxMergeSources = tt.max })
			assert.Equal(t, map[string]int64{"__other__": 1 + 2}, cumulative(t, p, 10, map[string]int64{"w": 1, "x": 2}))
			// the third source: in its request, the total is exact either way
			assert.Equal(t, map[string]int64{"__other__": 1 + 2 + 3}, cumulative(t, p, 20, map[string]int64{"y": 3}))
			assertCounter(t, tel, "otelcol_workspacepolicy_merge_untracked", tt.untracked)
			assert.Equal(t, map[string]int64{"__other__": tt.later}, cumulative(t, p, 30, map[string]int64{"w": 2}))
			assertGauge(t, tel, "otelcol_workspacepolicy_merge_sources", int64(min(tt.max, 3)))
		})
	}
}

func TestMaxMergeSourcesWarnsOnce(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.MaxMergeSources = 1
	set := componentTelemetry(t)
	set.Logger = zap.New(core)
	p, err := newProcessor(cfg, set, func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		cumulative(t, p, 10+i, map[string]int64{"a": 1, "b": 2, "c": 3})
	}
	assert.Equal(t, 1, logs.FilterMessageSnippet("max_merge_sources reached").Len())
}

// Delta pieces of one folded series (a split delta collection) chain: the
// prometheus exporter adds a delta only when it starts where the last ended.
func TestSplitDeltaPiecesChain(t *testing.T) {
	p, _ := testProcessor(t, nil, nil)
	var exported struct {
		value       int64
		start, time pcommon.Timestamp
		set         bool
	}
	// the exporter's rule for delta sums (its accumulateSum)
	accumulate := func(dp pmetric.NumberDataPoint) {
		switch {
		case !exported.set:
			exported.value, exported.start, exported.time, exported.set = dp.IntValue(), dp.StartTimestamp(), dp.Timestamp(), true
		case dp.Timestamp() < exported.time:
		case dp.StartTimestamp() == exported.time:
			exported.value += dp.IntValue()
			exported.time = dp.Timestamp()
		default:
			exported.value, exported.start, exported.time = dp.IntValue(), dp.StartTimestamp(), dp.Timestamp()
		}
	}
	total := int64(0)
	for c := 0; c < 4; c++ {
		for i, ws := range []string{"a", "b", "c"} {
			v := int64(i + c + 1)
			total += v
			out, err := p.processMetrics(context.Background(), sumMetrics(false, sumPoint{ws: ws, value: v, start: 10 * c, time: 10 * (c + 1)}))
			require.NoError(t, err)
			dps := out.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
			require.Equal(t, 1, dps.Len())
			accumulate(dps.At(0))
		}
	}
	assert.Equal(t, total, exported.value)
}

// Services' requests arrive concurrently (one receiver goroutine each) while
// the reload loop expires state: run under -race. Each service's folded
// series still ends exactly at the sum of its last collection.
func TestConcurrentSplitRequests(t *testing.T) {
	p, _ := testProcessor(t, []string{"acme", "beta", "gamma", "team-a/*"}, nil)
	services := []string{"checkout", "billing", "search", "mail"}
	outs := make([]lastValues, len(services))
	done := make(chan int)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				p.expire()
			}
		}
	}()
	for s, service := range services {
		go func() {
			defer func() { done <- s }() // also when take fails the test from here
			rng := rand.New(rand.NewSource(int64(s)))
			seen := lastValues{}
			for c := 0; c < 4; c++ {
				for _, req := range randomCuts(splitCollection(service, c), rng) {
					out, err := p.processMetrics(context.Background(), req)
					if err == nil {
						seen.take(t, out, service)
					}
				}
			}
			outs[s] = seen
		}()
	}
	for range services {
		<-done
	}
	close(stop)
	var raws []pmetric.Metrics
	all := lastValues{}
	for s, service := range services {
		raws = append(raws, splitCollection(service, 3))
		for k, v := range outs[s] {
			all[k] = v
		}
	}
	assert.Equal(t, expected(t, p, raws...).values(), all.values())
}

// An export retried after a newer one (or concurrent exports) brings an
// older datapoint of a source: it is not a reset, the output keeps the newer value.
func TestLateOlderDatapointIsIgnored(t *testing.T) {
	p, _ := testProcessor(t, nil, nil)
	seen := lastValues{}
	run := func(pts ...sumPoint) map[string][3]int64 {
		out, err := p.processMetrics(context.Background(), sumMetrics(true, pts...))
		require.NoError(t, err)
		seen.take(t, out, "request")
		return sums(t, out)
	}
	assert.Equal(t, map[string][3]int64{"__other__": {5 + 7, 10, 1}}, run(sumPoint{ws: "x", value: 5, time: 10, start: 1}, sumPoint{ws: "y", value: 7, time: 10, start: 1}))
	assert.Equal(t, map[string][3]int64{"__other__": {9 + 7, 20, 1}}, run(sumPoint{ws: "x", value: 9, time: 20, start: 1}))
	// x's datapoint of time 10 again, after the one of time 20
	assert.Equal(t, map[string][3]int64{"__other__": {9 + 7, 20, 1}}, run(sumPoint{ws: "x", value: 5, time: 10, start: 1}))
	// and one of the same time, lower (a duplicate that lost a race)
	assert.Equal(t, map[string][3]int64{"__other__": {9 + 7, 20, 1}}, run(sumPoint{ws: "x", value: 8, time: 20, start: 1}))
	assert.Equal(t, map[string][3]int64{"__other__": {10 + 7, 30, 1}}, run(sumPoint{ws: "x", value: 10, time: 30, start: 1}))
	assert.Zero(t, p.state.carried, "no reset was taken")
}
