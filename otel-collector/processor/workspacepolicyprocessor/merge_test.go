package workspacepolicyprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestMergeExplicitHistograms(t *testing.T) {
	tests := []struct {
		name       string
		aBounds    []float64
		aCounts    []uint64
		bBounds    []float64
		bCounts    []uint64
		wantBounds []float64
		wantCounts []uint64
	}{
		{"same bounds add bucket by bucket", []float64{1, 5}, []uint64{1, 2, 3}, []float64{1, 5}, []uint64{4, 5, 6}, []float64{1, 5}, []uint64{5, 7, 9}},
		// (≤1, 1..2, 2..5, >5) and (≤2, 2..10, >10): shared bounds {2}: ≤2 gets 1+2 and 7, >2 gets 3+4 and 8+9
		{"different bounds go to the shared bounds, exact in count", []float64{1, 2, 5}, []uint64{1, 2, 3, 4}, []float64{2, 10}, []uint64{7, 8, 9}, []float64{2}, []uint64{1 + 2 + 7, 3 + 4 + 8 + 9}},
		{"no shared bound: one bucket holding everything", []float64{1}, []uint64{1, 2}, []float64{3}, []uint64{4, 8}, nil, []uint64{15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := pmetric.NewHistogramDataPoint(), pmetric.NewHistogramDataPoint()
			for _, x := range []struct {
				dp     pmetric.HistogramDataPoint
				bounds []float64
				counts []uint64
				min    float64
			}{{a, tt.aBounds, tt.aCounts, 0.5}, {b, tt.bBounds, tt.bCounts, 0.1}} {
				x.dp.ExplicitBounds().FromRaw(x.bounds)
				x.dp.BucketCounts().FromRaw(x.counts)
				var n uint64
				for _, c := range x.counts {
					n += c
				}
				x.dp.SetCount(n)
				x.dp.SetSum(float64(n) * 2)
				x.dp.SetMin(x.min)
				x.dp.SetTimestamp(ts(10))
			}
			b.SetTimestamp(ts(12))
			b.SetStartTimestamp(ts(1))
			a.SetStartTimestamp(ts(3))
			mergeHistogram(a, b)
			assert.Equal(t, tt.wantBounds, nilIfEmptyF(a.ExplicitBounds().AsRaw()))
			assert.Equal(t, tt.wantCounts, a.BucketCounts().AsRaw())
			var total uint64
			for _, c := range a.BucketCounts().AsRaw() {
				total += c
			}
			assert.Equal(t, total, a.Count())
			assert.Equal(t, float64(total)*2, a.Sum())
			assert.Equal(t, 0.1, a.Min())
			assert.Equal(t, ts(12), a.Timestamp())
			assert.Equal(t, ts(1), a.StartTimestamp())
		})
	}
}

func nilIfEmptyF(s []float64) []float64 {
	if len(s) == 0 {
		return nil
	}
	return s
}

func expo(scale int32, zeroThreshold float64, zero uint64, offset int32, counts ...uint64) pmetric.ExponentialHistogramDataPoint {
	dp := pmetric.NewExponentialHistogramDataPoint()
	dp.SetScale(scale)
	dp.SetZeroThreshold(zeroThreshold)
	dp.SetZeroCount(zero)
	dp.Positive().SetOffset(offset)
	dp.Positive().BucketCounts().FromRaw(counts)
	n := zero
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(float64(n))
	return dp
}

func TestMergeExponentialHistograms(t *testing.T) {
	t.Run("same scale: buckets add over the union of their ranges", func(t *testing.T) {
		a, b := expo(2, 0, 1, 3, 1, 2), expo(2, 0, 2, 4, 10, 20, 30)
		mergeExponential(a, b)
		assert.Equal(t, int32(2), a.Scale())
		assert.Equal(t, int32(3), a.Positive().Offset())
		assert.Equal(t, []uint64{1, 12, 20, 30}, a.Positive().BucketCounts().AsRaw())
		assert.Equal(t, uint64(3), a.ZeroCount())
		assert.Equal(t, uint64(66), a.Count())
	})
	t.Run("different scales: the finer one is downscaled to the coarser (index >> 1 per step)", func(t *testing.T) {
		// scale 1 buckets 2,3,4,5 -> scale 0 buckets 1,1,2,2
		a, b := expo(0, 0, 0, 1, 5), expo(1, 0, 0, 2, 1, 2, 3, 4)
		mergeExponential(a, b)
		assert.Equal(t, int32(0), a.Scale())
		assert.Equal(t, int32(1), a.Positive().Offset())
		assert.Equal(t, []uint64{5 + 1 + 2, 3 + 4}, a.Positive().BucketCounts().AsRaw())
		assert.Equal(t, uint64(15), a.Count())
		// the source is left as it was
		assert.Equal(t, int32(1), b.Scale())
	})
	t.Run("negative indexes downscale by floor", func(t *testing.T) {
		a, b := expo(0, 0, 0, -2, 1, 1), expo(1, 0, 0, -3, 1, 1, 1)
		mergeExponential(a, b)
		// scale 1 indexes -3,-2,-1 -> scale 0: -2,-1,-1
		assert.Equal(t, int32(-2), a.Positive().Offset())
		assert.Equal(t, []uint64{1 + 1, 1 + 2}, a.Positive().BucketCounts().AsRaw())
	})
	t.Run("a wider zero bucket takes the buckets within its threshold", func(t *testing.T) {
		// scale 0: bucket i is (2^i, 2^(i+1)]; threshold 4 takes buckets 0 and 1
		a, b := expo(0, 4, 1, 0), expo(0, 0, 0, 0, 1, 2, 3)
		mergeExponential(a, b)
		assert.Equal(t, 4.0, a.ZeroThreshold())
		assert.Equal(t, uint64(1+1+2), a.ZeroCount())
		assert.Equal(t, int32(2), a.Positive().Offset())
		assert.Equal(t, []uint64{3}, a.Positive().BucketCounts().AsRaw())
		assert.Equal(t, uint64(7), a.Count())
	})
}

func TestMergeSummariesAndGauges(t *testing.T) {
	p, _ := testProcessor(t, []string{"acme"}, nil)
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	summary := ms.AppendEmpty().SetEmptySummary()
	gauge := ms.AppendEmpty().SetEmptyGauge()
	for i, ws := range []string{"acme", "b", "c"} {
		s := summary.DataPoints().AppendEmpty()
		s.Attributes().PutStr("workspace_id", ws)
		s.SetCount(uint64(i + 1))
		s.SetSum(float64(10 * (i + 1)))
		q := s.QuantileValues().AppendEmpty()
		q.SetQuantile(0.5)
		q.SetValue(1)
		g := gauge.DataPoints().AppendEmpty()
		g.Attributes().PutStr("workspace_id", ws)
		g.SetDoubleValue(float64(i) + 0.5)
		g.SetTimestamp(pcommon.Timestamp(i))
	}
	_, err := p.processMetrics(context.Background(), md)
	require.NoError(t, err)

	require.Equal(t, 2, summary.DataPoints().Len())
	acme, other := summary.DataPoints().At(0), summary.DataPoints().At(1)
	assert.Equal(t, uint64(1), acme.Count())
	assert.Equal(t, 1, acme.QuantileValues().Len(), "a summary that merged with nothing keeps its quantiles")
	assert.Equal(t, uint64(2+3), other.Count())
	assert.Equal(t, 20.0+30.0, other.Sum())
	assert.Equal(t, 0, other.QuantileValues().Len(), "merged quantiles cannot be honest: dropped")

	require.Equal(t, 2, gauge.DataPoints().Len())
	assert.Equal(t, 0.5, gauge.DataPoints().At(0).DoubleValue())
	assert.Equal(t, 1.5+2.5, gauge.DataPoints().At(1).DoubleValue(), "gauges of folded workspaces add up")
	assert.Equal(t, pcommon.Timestamp(2), gauge.DataPoints().At(1).Timestamp())
}

func TestMonotonicHistogramAcrossChange(t *testing.T) {
	p, _ := testProcessor(t, nil, nil)
	hist := func(ws string, counts ...uint64) pmetric.Metrics {
		md := pmetric.NewMetrics()
		h := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("workspace_id", ws)
		dp.ExplicitBounds().FromRaw([]float64{1})
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(counts[0] + counts[1])
		dp.SetStartTimestamp(ts(1))
		dp.SetTimestamp(ts(10))
		return md
	}
	counts := func(md pmetric.Metrics) map[string][]uint64 {
		out := map[string][]uint64{}
		dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			v, _ := dps.At(i).Attributes().Get("workspace_id")
			out[v.Str()] = append(dps.At(i).BucketCounts().AsRaw(), dps.At(i).Count())
		}
		return out
	}
	md, _ := p.processMetrics(context.Background(), hist("beta", 2, 3))
	assert.Equal(t, map[string][]uint64{"__other__": {2, 3, 5}}, counts(md))
	p.static = []string{"beta"}
	p.file = &fileSource{loaded: true}
	p.apply()
	md, _ = p.processMetrics(context.Background(), hist("beta", 4, 3))
	assert.Equal(t, map[string][]uint64{"__other__": {4, 3, 7}, "beta": {0, 0, 0}}, counts(md))
	md, _ = p.processMetrics(context.Background(), hist("beta", 5, 6))
	assert.Equal(t, map[string][]uint64{"__other__": {4, 3, 7}, "beta": {1, 3, 4}}, counts(md))
}
