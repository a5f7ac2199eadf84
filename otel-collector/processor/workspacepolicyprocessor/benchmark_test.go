package workspacepolicyprocessor

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// benchPayload: one request of `series` counter series and as many histogram
// series (12 bounds), with workspace values from ids(i).
func benchPayload(series int, ids func(int) string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "bench")
	rm.Resource().Attributes().PutStr("service.instance.id", "i-1")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	sum := ms.AppendEmpty()
	sum.SetName("action.executions.by_workspace")
	s := sum.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hist := ms.AppendEmpty()
	hist.SetName("action.duration.by_workspace")
	h := hist.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5}
	for i := 0; i < series; i++ {
		dp := s.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("workspace_id", ids(i))
		dp.Attributes().PutStr("provider", "p")
		dp.Attributes().PutStr("status", "ok")
		dp.SetIntValue(int64(i))
		dp.SetTimestamp(pcommon.Timestamp(2e9))
		dp.SetStartTimestamp(pcommon.Timestamp(1e9))
		hp := h.DataPoints().AppendEmpty()
		dp.Attributes().CopyTo(hp.Attributes())
		hp.ExplicitBounds().FromRaw(bounds)
		counts := make([]uint64, len(bounds)+1)
		counts[i%len(counts)] = 3
		hp.BucketCounts().FromRaw(counts)
		hp.SetCount(3)
		hp.SetSum(1.5)
		hp.SetTimestamp(pcommon.Timestamp(2e9))
		hp.SetStartTimestamp(pcommon.Timestamp(1e9))
	}
	return md
}

// BenchmarkProcessor reports ns per datapoint (b.N requests of 2×series
// datapoints each; the copies of the payload are made outside the timer).
func BenchmarkProcessor(b *testing.B) {
	allowlist := []string{"ws-1", "ws-2", "ws-3", "ws-4", "ws-5"}
	cases := []struct {
		name string
		ids  func(int) string
	}{
		// what a kit service exports: values already resolved
		{"sdk-enforced", func(i int) string {
			if i%10 < 5 {
				return fmt.Sprintf("ws-%d", i%5+1)
			}
			return "__other__"
		}},
		// a plain SDK: 500 raw ids, most of them fold and merge
		{"raw-500-ids", func(i int) string { return fmt.Sprintf("tenant-%d", i) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			const series = 500
			cfg := createDefaultConfig().(*Config)
			cfg.Allowlist = allowlist
			p, err := newProcessor(cfg, componentTelemetry(b), func(string) (string, bool) { return "", false })
			if err != nil {
				b.Fatal(err)
			}
			payload := benchPayload(series, c.ids)
			// copies are made 32 at a time outside the timer (StopTimer itself is costly)
			const batch = 32
			work := make([]pmetric.Metrics, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%batch == 0 {
					b.StopTimer()
					for j := range work {
						work[j] = pmetric.NewMetrics()
						payload.CopyTo(work[j])
					}
					runtime.GC() // the copies' garbage is not the processor's
					b.StartTimer()
				}
				if _, err := p.processMetrics(context.Background(), work[i%batch]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*series), "ns/datapoint")
		})
	}
}

// passthroughCollection: one collection of a service in pass-through mode,
// `series` cumulative counter series, one raw workspace each.
func passthroughCollection(series int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "bench")
	rm.Resource().Attributes().PutStr("service.instance.id", "i-1")
	sum := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	sum.SetName("action.executions.by_workspace")
	s := sum.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.DataPoints().EnsureCapacity(series)
	for i := 0; i < series; i++ {
		dp := s.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("workspace_id", fmt.Sprintf("ws-%d", i))
		dp.Attributes().PutStr("status", "ok")
		dp.SetIntValue(int64(i))
		dp.SetTimestamp(pcommon.Timestamp(2e9))
		dp.SetStartTimestamp(pcommon.Timestamp(1e9))
	}
	return md
}

// BenchmarkSplitCollection: a 100,000-series pass-through collection (an
// allowlist of 5: nearly every series folds into __other__) split into N
// requests at datapoint boundaries; one op is the whole collection (N
// requests) in steady state, the merge state already holding every source.
// state-B/source is the heap the merge state holds per raw series.
func BenchmarkSplitCollection(b *testing.B) {
	const series = 100_000
	collection := passthroughCollection(series)
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("series=%d/requests=%d", series, n), func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Allowlist = []string{"ws-1", "ws-2", "ws-3", "ws-4", "ws-5"}
			p, err := newProcessor(cfg, componentTelemetry(b), func(string) (string, bool) { return "", false })
			if err != nil {
				b.Fatal(err)
			}
			parts := cut(collection, func(items []item) []int {
				sizes := make([]int, n)
				for i := range items {
					sizes[i*n/len(items)]++
				}
				return sizes
			})
			copies := func() []pmetric.Metrics {
				out := make([]pmetric.Metrics, n)
				for i, part := range parts {
					out[i] = pmetric.NewMetrics()
					part.CopyTo(out[i])
				}
				return out
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			warm := copies()
			for _, req := range warm {
				if _, err := p.processMetrics(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			warm = nil
			runtime.GC()
			runtime.ReadMemStats(&after)
			if p.state.merging != series-5 {
				b.Fatalf("merge state holds %d sources, want %d", p.state.merging, series-5)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				reqs := copies()
				runtime.GC()
				b.StartTimer()
				for _, req := range reqs {
					if _, err := p.processMetrics(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*series), "ns/datapoint")
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(series), "state-B/source")
		})
	}
}
