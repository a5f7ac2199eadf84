package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"math"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Merging datapoints that collide after folding (README.md "Merge rules").
// add*(dst, src, sign) adds src into dst (sign +1) or takes it away (sign -1,
// used only for the monotonic state's offsets); timestamps become the latest
// time and the earliest start.

func mergeTimes(dstTS, dstStart, srcTS, srcStart pcommon.Timestamp) (pcommon.Timestamp, pcommon.Timestamp) {
	ts := max(dstTS, srcTS)
	start := dstStart
	if srcStart != 0 && (start == 0 || srcStart < start) {
		start = srcStart
	}
	return ts, start
}

func numberValue(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(dp.IntValue())
	}
	return dp.DoubleValue()
}

// addNumber: sums and gauges add (a gauge of __other__ is the total over the
// folded workspaces, e.g. queue depth). Two int values stay int; otherwise double.
func addNumber(dst, src pmetric.NumberDataPoint, sign int64) {
	if dst.ValueType() == pmetric.NumberDataPointValueTypeInt && src.ValueType() == pmetric.NumberDataPointValueTypeInt {
		dst.SetIntValue(dst.IntValue() + sign*src.IntValue())
	} else {
		dst.SetDoubleValue(numberValue(dst) + float64(sign)*numberValue(src))
	}
}

// replaceNumber sets total to total − old + new in one step: int stays
// int, and for doubles the difference is taken first, so a total never goes
// down when new ≥ old.
func replaceNumber(total, old, new pmetric.NumberDataPoint) {
	if total.ValueType() == pmetric.NumberDataPointValueTypeInt && old.ValueType() == pmetric.NumberDataPointValueTypeInt && new.ValueType() == pmetric.NumberDataPointValueTypeInt {
		if d := new.IntValue() - old.IntValue(); d != 0 {
			total.SetIntValue(total.IntValue() + d)
		}
		return
	}
	total.SetDoubleValue(numberValue(total) + (numberValue(new) - numberValue(old)))
}

func mergeNumber(dst, src pmetric.NumberDataPoint) {
	addNumber(dst, src, 1)
	ts, start := mergeTimes(dst.Timestamp(), dst.StartTimestamp(), src.Timestamp(), src.StartTimestamp())
	dst.SetTimestamp(ts)
	dst.SetStartTimestamp(start)
	src.Exemplars().MoveAndAppendTo(dst.Exemplars())
}

func addCount(dst uint64, src uint64, sign int64) uint64 {
	if sign > 0 {
		return dst + src
	}
	if src > dst {
		return 0
	}
	return dst - src
}

// rebucket maps counts over bounds onto coarser bounds whose every value is
// in bounds: bucket i (bounds[i-1], bounds[i]] lies inside exactly one
// coarse bucket, so no count is split or lost.
func rebucket(counts []uint64, bounds, coarse []float64) []uint64 {
	out := make([]uint64, len(coarse)+1)
	for i, c := range counts {
		upper := math.Inf(1)
		if i < len(bounds) {
			upper = bounds[i]
		}
		out[sort.SearchFloat64s(coarse, upper)] += c
	}
	return out
}

// commonBounds is the intersection of two sorted bound lists.
func commonBounds(a, b []float64) []float64 {
	var out []float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return out
}

// addHistogram: explicit-bucket histograms with the same bounds add bucket by
// bucket; with different bounds both are brought to the bounds they share
// (the intersection), exact in count and sum, coarser in resolution.
func addHistogram(dst, src pmetric.HistogramDataPoint, sign int64) {
	dst.SetCount(addCount(dst.Count(), src.Count(), sign))
	dst.SetSum(dst.Sum() + float64(sign)*src.Sum())
	if sign > 0 {
		if src.HasMin() && (!dst.HasMin() || src.Min() < dst.Min()) {
			dst.SetMin(src.Min())
		}
		if src.HasMax() && (!dst.HasMax() || src.Max() > dst.Max()) {
			dst.SetMax(src.Max())
		}
	}
	dBuckets, sBuckets := dst.BucketCounts(), src.BucketCounts()
	if sBuckets.Len() == 0 {
		return
	}
	if dBuckets.Len() == 0 && dst.Count() == src.Count() && sign > 0 {
		// dst had no buckets (a count-only point): take src's
		src.ExplicitBounds().CopyTo(dst.ExplicitBounds())
		sBuckets.CopyTo(dBuckets)
		return
	}
	if dst.ExplicitBounds().Equal(src.ExplicitBounds()) && dBuckets.Len() == sBuckets.Len() {
		// the common case, in place without allocating
		for i := 0; i < dBuckets.Len(); i++ {
			dBuckets.SetAt(i, addCount(dBuckets.At(i), sBuckets.At(i), sign))
		}
		return
	}
	dBounds, sBounds := dst.ExplicitBounds().AsRaw(), src.ExplicitBounds().AsRaw()
	coarse := commonBounds(dBounds, sBounds)
	dCounts := rebucket(dBuckets.AsRaw(), dBounds, coarse)
	sCounts := rebucket(sBuckets.AsRaw(), sBounds, coarse)
	for i := range dCounts {
		dCounts[i] = addCount(dCounts[i], sCounts[i], sign)
	}
	dst.ExplicitBounds().FromRaw(coarse)
	dBuckets.FromRaw(dCounts)
}

func mergeHistogram(dst, src pmetric.HistogramDataPoint) {
	addHistogram(dst, src, 1)
	ts, start := mergeTimes(dst.Timestamp(), dst.StartTimestamp(), src.Timestamp(), src.StartTimestamp())
	dst.SetTimestamp(ts)
	dst.SetStartTimestamp(start)
	src.Exemplars().MoveAndAppendTo(dst.Exemplars())
}

// downscale lowers the scale of buckets by `by` (index >> by: two adjacent
// buckets become one), exactly as a lower-resolution histogram would count.
func downscale(b pmetric.ExponentialHistogramDataPointBuckets, by int32) {
	if by <= 0 {
		return
	}
	counts := b.BucketCounts().AsRaw()
	offset := b.Offset()
	newOffset := offset >> by
	if len(counts) == 0 {
		b.SetOffset(newOffset)
		return
	}
	last := (offset + int32(len(counts)) - 1) >> by
	out := make([]uint64, last-newOffset+1)
	for i, c := range counts {
		out[((offset+int32(i))>>by)-newOffset] += c
	}
	b.SetOffset(newOffset)
	b.BucketCounts().FromRaw(out)
}

func addBuckets(dst, src pmetric.ExponentialHistogramDataPointBuckets, sign int64) {
	sCounts := src.BucketCounts().AsRaw()
	if len(sCounts) == 0 {
		return
	}
	dCounts := dst.BucketCounts().AsRaw()
	lo, hi := src.Offset(), src.Offset()+int32(len(sCounts))
	if len(dCounts) > 0 {
		lo, hi = min(lo, dst.Offset()), max(hi, dst.Offset()+int32(len(dCounts)))
	}
	out := make([]uint64, hi-lo)
	if len(dCounts) > 0 {
		copy(out[dst.Offset()-lo:], dCounts)
	}
	for i, c := range sCounts {
		j := src.Offset() - lo + int32(i)
		out[j] = addCount(out[j], c, sign)
	}
	dst.SetOffset(lo)
	dst.BucketCounts().FromRaw(out)
}

// widenZero moves the buckets whose upper bound is within threshold into the zero count.
func widenZero(dp pmetric.ExponentialHistogramDataPoint, threshold float64) {
	if threshold <= dp.ZeroThreshold() {
		return
	}
	base := math.Exp2(math.Exp2(-float64(dp.Scale())))
	for _, b := range []pmetric.ExponentialHistogramDataPointBuckets{dp.Positive(), dp.Negative()} {
		counts := b.BucketCounts().AsRaw()
		drop := 0
		for i := range counts {
			if math.Pow(base, float64(b.Offset()+int32(i)+1)) > threshold {
				break
			}
			dp.SetZeroCount(dp.ZeroCount() + counts[i])
			drop++
		}
		if drop > 0 {
			b.SetOffset(b.Offset() + int32(drop))
			b.BucketCounts().FromRaw(counts[drop:])
		}
	}
	dp.SetZeroThreshold(threshold)
}

// addExponential: both brought to the lower scale and the wider zero bucket, then added bucket by bucket.
func addExponential(dst, src pmetric.ExponentialHistogramDataPoint, sign int64) {
	if src.Scale() < dst.Scale() {
		downscale(dst.Positive(), dst.Scale()-src.Scale())
		downscale(dst.Negative(), dst.Scale()-src.Scale())
		dst.SetScale(src.Scale())
	}
	tmp := src
	if src.Scale() > dst.Scale() || src.ZeroThreshold() < dst.ZeroThreshold() {
		tmp = pmetric.NewExponentialHistogramDataPoint()
		src.CopyTo(tmp)
		downscale(tmp.Positive(), tmp.Scale()-dst.Scale())
		downscale(tmp.Negative(), tmp.Scale()-dst.Scale())
		tmp.SetScale(dst.Scale())
		widenZero(tmp, dst.ZeroThreshold())
	}
	widenZero(dst, tmp.ZeroThreshold())
	dst.SetCount(addCount(dst.Count(), tmp.Count(), sign))
	dst.SetSum(dst.Sum() + float64(sign)*tmp.Sum())
	dst.SetZeroCount(addCount(dst.ZeroCount(), tmp.ZeroCount(), sign))
	if sign > 0 {
		if tmp.HasMin() && (!dst.HasMin() || tmp.Min() < dst.Min()) {
			dst.SetMin(tmp.Min())
		}
		if tmp.HasMax() && (!dst.HasMax() || tmp.Max() > dst.Max()) {
			dst.SetMax(tmp.Max())
		}
	}
	addBuckets(dst.Positive(), tmp.Positive(), sign)
	addBuckets(dst.Negative(), tmp.Negative(), sign)
}

func mergeExponential(dst, src pmetric.ExponentialHistogramDataPoint) {
	addExponential(dst, src, 1)
	ts, start := mergeTimes(dst.Timestamp(), dst.StartTimestamp(), src.Timestamp(), src.StartTimestamp())
	dst.SetTimestamp(ts)
	dst.SetStartTimestamp(start)
	src.Exemplars().MoveAndAppendTo(dst.Exemplars())
}

// addSummary: count and sum add (or are taken away); quantiles are not touched.
func addSummary(dst, src pmetric.SummaryDataPoint, sign int64) {
	dst.SetCount(addCount(dst.Count(), src.Count(), sign))
	dst.SetSum(dst.Sum() + float64(sign)*src.Sum())
}

// subtract takes a standalone value of any cumulative type away from a total of the same type.
func subtract(total, value any) {
	switch t := total.(type) {
	case pmetric.NumberDataPoint:
		addNumber(t, value.(pmetric.NumberDataPoint), -1)
	case pmetric.HistogramDataPoint:
		addHistogram(t, value.(pmetric.HistogramDataPoint), -1)
	case pmetric.ExponentialHistogramDataPoint:
		addExponential(t, value.(pmetric.ExponentialHistogramDataPoint), -1)
	case pmetric.SummaryDataPoint:
		addSummary(t, value.(pmetric.SummaryDataPoint), -1)
	}
}

// mergeSummary adds count and sum; quantiles cannot be merged honestly, so a
// merged summary has none (a single summary keeps its own).
func mergeSummary(dst, src pmetric.SummaryDataPoint) {
	dst.SetCount(dst.Count() + src.Count())
	dst.SetSum(dst.Sum() + src.Sum())
	dst.QuantileValues().RemoveIf(func(pmetric.SummaryDataPointValueAtQuantile) bool { return true })
	ts, start := mergeTimes(dst.Timestamp(), dst.StartTimestamp(), src.Timestamp(), src.StartTimestamp())
	dst.SetTimestamp(ts)
	dst.SetStartTimestamp(start)
}
