package workspacepolicyprocessor

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func ts(sec int) pcommon.Timestamp { return pcommon.Timestamp(uint64(sec) * uint64(time.Second)) }

// testProcessor builds a processor with allowlist entries and an environment.
func testProcessor(t *testing.T, allowlist []string, env map[string]string, mutate ...func(*Config)) (*workspacePolicyProcessor, *componenttest.Telemetry) {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Allowlist = allowlist
	for _, m := range mutate {
		m(cfg)
	}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	p, err := newProcessor(cfg, tel.NewTelemetrySettings(), lookup)
	require.NoError(t, err)
	return p, tel
}

type sumPoint struct {
	ws         any // string, int64, bool or nil (no label)
	value      int64
	time       int
	start      int
	extraLabel string
}

func sumMetrics(cumulative bool, pts ...sumPoint) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.instance.id", "i-1")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("action.executions")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	if cumulative {
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	} else {
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	}
	for _, p := range pts {
		dp := s.DataPoints().AppendEmpty()
		switch v := p.ws.(type) {
		case string:
			dp.Attributes().PutStr("workspace_id", v)
		case int64:
			dp.Attributes().PutInt("workspace_id", v)
		case bool:
			dp.Attributes().PutBool("workspace_id", v)
		}
		dp.Attributes().PutStr("status", "ok")
		if p.extraLabel != "" {
			dp.Attributes().PutStr("status", p.extraLabel)
		}
		dp.SetIntValue(p.value)
		dp.SetTimestamp(ts(p.time))
		dp.SetStartTimestamp(ts(p.start))
	}
	return md
}

// sums reads the single sum metric back: workspace value (or "-") → value, time, start.
func sums(t *testing.T, md pmetric.Metrics) map[string][3]int64 {
	t.Helper()
	out := map[string][3]int64{}
	dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		key := "-"
		if v, ok := dp.Attributes().Get("workspace_id"); ok {
			key = v.AsString()
		}
		if s, _ := dp.Attributes().Get("status"); s.Str() != "ok" {
			key += "|" + s.Str()
		}
		_, dup := out[key]
		require.False(t, dup, "two datapoints for %s after the processor", key)
		out[key] = [3]int64{dp.IntValue(), int64(dp.Timestamp()) / int64(time.Second), int64(dp.StartTimestamp()) / int64(time.Second)}
	}
	return out
}

func TestResolveAndMergeSums(t *testing.T) {
	tests := []struct {
		name       string
		allowlist  []string
		cumulative bool
		in         []sumPoint
		want       map[string][3]int64
		folded     int64
		merged     int64
	}{
		{
			name:      "listed ids pass, unlisted fold and merge (cumulative, different timestamps: latest time, earliest start)",
			allowlist: []string{"acme"}, cumulative: true,
			in:     []sumPoint{{ws: "acme", value: 5, time: 10, start: 1}, {ws: "x1", value: 3, time: 10, start: 2}, {ws: "x2", value: 4, time: 12, start: 1}, {ws: "X3 ", value: 1, time: 11, start: 3}},
			want:   map[string][3]int64{"acme": {5, 10, 1}, "__other__": {8, 12, 1}},
			folded: 3, merged: 2,
		},
		{
			name: "delta sums merge too", allowlist: []string{"acme"},
			in:     []sumPoint{{ws: "b", value: 2, time: 5, start: 4}, {ws: "c", value: 7, time: 5, start: 3}},
			want:   map[string][3]int64{"__other__": {9, 5, 3}},
			folded: 2, merged: 1,
		},
		{
			name: "values the SDK already resolved pass unchanged (nothing folded, nothing merged)", allowlist: []string{"acme", "team-a/*"}, cumulative: true,
			in:   []sumPoint{{ws: "acme", value: 1, time: 1}, {ws: "__other__", value: 2, time: 1}, {ws: "team-a/__other__", value: 3, time: 1}},
			want: map[string][3]int64{"acme": {1, 1, 0}, "__other__": {2, 1, 0}, "team-a/__other__": {3, 1, 0}},
		},
		{
			name: "non-strings fold; datapoints without the label are untouched", allowlist: []string{"acme"}, cumulative: true,
			in:     []sumPoint{{ws: int64(7), value: 1, time: 1}, {ws: true, value: 2, time: 1}, {ws: nil, value: 4, time: 1}, {ws: "__other__", value: 8, time: 1}},
			want:   map[string][3]int64{"__other__": {11, 1, 0}, "-": {4, 1, 0}},
			folded: 2, merged: 2,
		},
		{
			name: "team fold: listed team keeps team/__other__, hierarchical exact entry kept", allowlist: []string{"team-a/*", "team-b/api"}, cumulative: true,
			in:     []sumPoint{{ws: "team-a/x", value: 1, time: 1}, {ws: "TEAM-A/y", value: 2, time: 1}, {ws: "team-b/api", value: 4, time: 1}, {ws: "team-b/web", value: 8, time: 1}},
			want:   map[string][3]int64{"team-a/__other__": {3, 1, 0}, "team-b/api": {4, 1, 0}, "__other__": {8, 1, 0}},
			folded: 3, merged: 1,
		},
		{
			name: "other attributes keep series apart", allowlist: nil, cumulative: true,
			in:     []sumPoint{{ws: "a", value: 1, time: 1, extraLabel: "error"}, {ws: "b", value: 2, time: 1}, {ws: "c", value: 4, time: 1, extraLabel: "error"}},
			want:   map[string][3]int64{"__other__|error": {5, 1, 0}, "__other__": {2, 1, 0}},
			folded: 3, merged: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, tel := testProcessor(t, tt.allowlist, nil)
			md, err := p.processMetrics(context.Background(), sumMetrics(tt.cumulative, tt.in...))
			require.NoError(t, err)
			assert.Equal(t, tt.want, sums(t, md))
			assertCounter(t, tel, "otelcol_workspacepolicy_datapoints_folded", tt.folded)
			assertCounter(t, tel, "otelcol_workspacepolicy_datapoints_merged", tt.merged)
		})
	}
}

func assertCounter(t *testing.T, tel *componenttest.Telemetry, name string, want int64) {
	t.Helper()
	m, err := tel.GetMetric(name)
	if want == 0 {
		if err == nil {
			assert.Zero(t, sumOf(m), name)
		}
		return
	}
	require.NoError(t, err, name)
	assert.Equal(t, want, sumOf(m), name)
}

func TestLabelNameFromEnvironment(t *testing.T) {
	p, _ := testProcessor(t, []string{"acme"}, map[string]string{"METRICS_WORKSPACE_LABEL_NAME": "tenant_id", "METRICS_WORKSPACE_ALLOWLIST": "beta\n# comment\n gamma ,not valid!"})
	assert.Equal(t, "tenant_id", p.label)
	assert.Equal(t, []string{"acme", "beta", "gamma"}, p.view.Load().current.policy.List().Entries())
	md := sumMetrics(true, sumPoint{ws: "x", value: 1, time: 1})
	dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	dp.Attributes().PutStr("tenant_id", "zzz")
	out, err := p.processMetrics(context.Background(), md)
	require.NoError(t, err)
	dp = out.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	v, _ := dp.Attributes().Get("tenant_id")
	assert.Equal(t, "__other__", v.Str())
	ws, _ := dp.Attributes().Get("workspace_id")
	assert.Equal(t, "x", ws.Str(), "workspace_id is not the governed label here")

	bad, _ := testProcessor(t, nil, map[string]string{"METRICS_WORKSPACE_LABEL_NAME": "__bad"})
	assert.Equal(t, "workspace_id", bad.label)
}

func TestSampleRateFromEnvironmentAndConfig(t *testing.T) {
	p, _ := testProcessor(t, nil, map[string]string{"METRICS_WORKSPACE_SAMPLE_RATE": "1"})
	out, folded := p.view.Load().current.policy.Resolve("anything")
	assert.Equal(t, "anything", out)
	assert.False(t, folded)
	zero := 0.0
	q, _ := testProcessor(t, nil, map[string]string{"METRICS_WORKSPACE_SAMPLE_RATE": "1"}, func(c *Config) { c.SampleRate = &zero })
	out, _ = q.view.Load().current.policy.Resolve("anything")
	assert.Equal(t, "__other__", out, "the config's sample_rate wins over the environment")
	r, _ := testProcessor(t, nil, map[string]string{"METRICS_WORKSPACE_SAMPLE_RATE": "1e0"})
	out, _ = r.view.Load().current.policy.Resolve("anything")
	assert.Equal(t, "__other__", out, "the SDK refuses 1e0: no sampling")
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

func TestAllowlistFileReloadKeepsLastGoodList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.txt")
	writeFile(t, path, "# services\nacme, beta\n")
	core, logs := observer.New(zap.InfoLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.AllowlistFile = path
	cfg.ReloadInterval = 20 * time.Millisecond
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	set := tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	p, err := newProcessor(cfg, set, func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.shutdown(context.Background())) }()
	entries := func() []string { return p.view.Load().current.policy.List().Entries() }
	assert.Equal(t, []string{"acme", "beta"}, entries())

	writeFile(t, path, "acme\nbeta\nws-new\n")
	require.Eventually(t, func() bool { return len(entries()) == 3 }, 5*time.Second, 10*time.Millisecond)

	// a file with entries but no valid one: kept, one error logged, counted once
	writeFile(t, path, "caf\u00e9\nnot valid\n")
	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("reload failed").Len() == 1 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // several more checks of the same broken file
	assert.Equal(t, 1, logs.FilterMessageSnippet("reload failed").Len())
	assert.Equal(t, []string{"acme", "beta", "ws-new"}, entries())
	assertCounter(t, tel, "otelcol_workspacepolicy_allowlist_reload_errors", 1)

	// a missing file: kept too
	require.NoError(t, os.Remove(path))
	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("reload failed").Len() == 2 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"acme", "beta", "ws-new"}, entries())

	// an empty file is a valid, empty list
	writeFile(t, path, "# nobody\n")
	require.Eventually(t, func() bool { return len(entries()) == 0 }, 5*time.Second, 10*time.Millisecond)
	assertCounter(t, tel, "otelcol_workspacepolicy_allowlist_reloads", 3)
	assertGauge(t, tel, "otelcol_workspacepolicy_allowlist_size", 0)
}

func assertGauge(t *testing.T, tel *componenttest.Telemetry, name string, want int64) {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err, name)
	assert.Equal(t, want, sumOf(m), name)
}

// sumOf adds the int datapoints of a self-metric.
func sumOf(m metricdata.Metrics) int64 {
	var total int64
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			total += dp.Value
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			total += dp.Value
		}
	}
	return total
}

// cumulative runs one request of a cumulative sum and returns workspace → value.
func cumulative(t *testing.T, p *workspacePolicyProcessor, at int, pts map[string]int64) map[string]int64 {
	t.Helper()
	var in []sumPoint
	keys := make([]string, 0, len(pts))
	for k := range pts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in = append(in, sumPoint{ws: k, value: pts[k], time: at, start: 1})
	}
	md, err := p.processMetrics(context.Background(), sumMetrics(true, in...))
	require.NoError(t, err)
	out := map[string]int64{}
	for k, v := range sums(t, md) {
		out[k] = v[0]
	}
	return out
}

func setList(p *workspacePolicyProcessor, path string, t *testing.T, text string) {
	writeFile(t, path, text)
	p.reload()
}

func TestMonotonicAcrossAllowlistChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.txt")
	writeFile(t, path, "acme\n")
	p, tel := testProcessor(t, nil, nil, func(c *Config) { c.AllowlistFile = path })
	clock := time.Unix(100, 0)
	p.now = func() time.Time { return clock }
	p.reload()
	p.settle()

	// beta folds into __other__ with x
	assert.Equal(t, map[string]int64{"acme": 10, "__other__": 5 + 7}, cumulative(t, p, 10, map[string]int64{"acme": 10, "beta": 5, "x": 7}))
	assert.Zero(t, p.state.movers, "no offset while nothing moved")
	assert.Equal(t, 2, p.state.merging, "beta and x feed __other__")

	// beta is listed: __other__ keeps what beta had (5), beta starts at 0
	clock = clock.Add(time.Minute)
	setList(p, path, t, "acme\nbeta\n")
	assert.Equal(t, map[string]int64{"acme": 11, "beta": 0, "__other__": 5 + 8}, cumulative(t, p, 20, map[string]int64{"acme": 11, "beta": 5, "x": 8}))
	assert.Equal(t, map[string]int64{"acme": 12, "beta": 4, "__other__": 5 + 9}, cumulative(t, p, 30, map[string]int64{"acme": 12, "beta": 9, "x": 9}))
	assert.Equal(t, 1, p.state.movers, "an offset only for the series that moved")
	assertGauge(t, tel, "otelcol_workspacepolicy_tracked_series", 1)
	assertGauge(t, tel, "otelcol_workspacepolicy_carried_series", 1)

	// acme leaves the list: at its first sight after the change acme has 15, which stays
	// in acme (re-emitted from the carry); __other__ takes acme's growth from then on
	clock = clock.Add(time.Minute)
	setList(p, path, t, "beta\n")
	got := cumulative(t, p, 40, map[string]int64{"acme": 15, "beta": 10, "x": 9})
	assert.Equal(t, map[string]int64{"acme": 15, "beta": 5, "__other__": 5 + 9 + 0}, got)
	got = cumulative(t, p, 50, map[string]int64{"acme": 20, "beta": 10, "x": 10})
	assert.Equal(t, map[string]int64{"acme": 15, "beta": 5, "__other__": 5 + 10 + 5}, got)

	// beta leaves again: beta keeps 5 + the 2 it gained (12 − its offset 5), __other__ goes on from there
	clock = clock.Add(time.Minute)
	setList(p, path, t, "")
	got = cumulative(t, p, 60, map[string]int64{"acme": 20, "beta": 12, "x": 10})
	assert.Equal(t, map[string]int64{"acme": 15, "beta": 7, "__other__": 5 + 10 + 5 + 0}, got)
	got = cumulative(t, p, 70, map[string]int64{"acme": 21, "beta": 13, "x": 10})
	assert.Equal(t, map[string]int64{"acme": 15, "beta": 7, "__other__": 5 + 10 + 6 + 1}, got)

	// the sum over all output series always equals the sum of the raw series
	total := int64(0)
	for _, v := range got {
		total += v
	}
	assert.Equal(t, int64(21+13+10), total)
}

func TestMonotonicStateExpiresAndIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.txt")
	writeFile(t, path, "")
	p, tel := testProcessor(t, nil, nil, func(c *Config) { c.AllowlistFile = path; c.MaxTrackedSeries = 1; c.MaxStale = time.Minute })
	clock := time.Unix(100, 0)
	p.now = func() time.Time { return clock }
	p.reload()
	p.settle()
	cumulative(t, p, 10, map[string]int64{"a": 1, "b": 2})
	clock = clock.Add(time.Second)
	setList(p, path, t, "a\nb\n")
	got := cumulative(t, p, 20, map[string]int64{"a": 3, "b": 4})
	// one tracked series at most: a is tracked (starts at 0), b is not (all of it moves, counted as an eviction)
	assert.Equal(t, map[string]int64{"a": 0, "b": 4, "__other__": 3}, got)
	assertCounter(t, tel, "otelcol_workspacepolicy_state_evictions", 1)
	assert.Equal(t, 1, p.state.movers)

	clock = clock.Add(30 * time.Second)
	p.expire()
	assert.Equal(t, 1, p.state.movers, "seen 30 s ago: kept")
	clock = clock.Add(31 * time.Second)
	p.expire()
	assert.Zero(t, p.state.movers, "not seen for max_stale: dropped")
	assert.Zero(t, p.state.carried)
	assert.Nil(t, p.view.Load().previous, "the previous list is dropped max_stale after the change")
	assert.Zero(t, p.stateSize.Load())
}

// A new processor (a collector restart) has no state: every series is
// attributed by the current list, so a series that had moved shows its
// whole value in its new target and its old target loses the carry once.
func TestRestartLosesCarriedContributions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.txt")
	writeFile(t, path, "")
	p, _ := testProcessor(t, nil, nil, func(c *Config) { c.AllowlistFile = path })
	p.reload()
	p.settle()
	cumulative(t, p, 10, map[string]int64{"beta": 5, "x": 1})
	setList(p, path, t, "beta\n")
	// first sight after the change: what beta had then stays in __other__, beta starts at 0
	assert.Equal(t, map[string]int64{"beta": 0, "__other__": 6 + 2}, cumulative(t, p, 20, map[string]int64{"beta": 6, "x": 2}))
	assert.Equal(t, map[string]int64{"beta": 1, "__other__": 6 + 3}, cumulative(t, p, 30, map[string]int64{"beta": 7, "x": 3}))

	restarted, _ := testProcessor(t, nil, nil, func(c *Config) { c.AllowlistFile = path })
	restarted.reload()
	restarted.settle()
	assert.Equal(t, map[string]int64{"beta": 8, "__other__": 4}, cumulative(t, restarted, 40, map[string]int64{"beta": 8, "x": 4}),
		"after a restart __other__ drops by beta's carried 6 (one reset), beta jumps to its raw value")
}

func TestSeriesStartedAfterTheChangeNeedNoState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.txt")
	writeFile(t, path, "")
	p, _ := testProcessor(t, nil, nil, func(c *Config) { c.AllowlistFile = path })
	p.now = func() time.Time { return time.Unix(100, 0) }
	p.reload()
	p.settle()
	setList(p, path, t, "beta\n")
	md := sumMetrics(true, sumPoint{ws: "beta", value: 3, time: 200, start: 150})
	out, err := p.processMetrics(context.Background(), md)
	require.NoError(t, err)
	assert.Equal(t, map[string][3]int64{"beta": {3, 200, 150}}, sums(t, out))
	assert.Zero(t, p.state.movers)
}

func componentTelemetry(tb testing.TB) component.TelemetrySettings {
	tel := componenttest.NewTelemetry()
	tb.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel.NewTelemetrySettings()
}
