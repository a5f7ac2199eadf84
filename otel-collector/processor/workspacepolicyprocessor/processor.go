package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/metadata"
	"github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"
)

// generation is one allowlist in force since a time.
type generation struct {
	policy *policy.Policy
	since  pcommon.Timestamp
}

// view is what a request reads, swapped atomically on a reload: the current
// generation and, for max_stale after a change, the previous one (to find
// the raw series whose target changed).
type view struct {
	current  *generation
	previous *generation
	changed  time.Time
}

type workspacePolicyProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	label     string
	rate      float64
	static    []string
	file      *fileSource
	now       func() time.Time

	view      atomic.Pointer[view]
	stateSize atomic.Int64

	// mu guards state and seq; a request takes it when it has a cumulative
	// datapoint to merge, or from its start while there is state or a previous generation.
	mu    sync.Mutex
	state *state
	seq   uint64
	hash  hasher
	// boundWarned: the max_merge_sources warning was logged (again once the state is below it)
	boundWarned atomic.Bool

	reloadMu sync.Mutex
	cancel   context.CancelFunc
	done     chan struct{}
}

var sampleRatePattern = regexp.MustCompile(`^(\d+(\.\d*)?|\.\d+)$`)

// newProcessor resolves the configuration against the SDK's environment variables.
func newProcessor(cfg *Config, set component.TelemetrySettings, lookupEnv func(string) (string, bool)) (*workspacePolicyProcessor, error) {
	p := &workspacePolicyProcessor{cfg: cfg, logger: set.Logger, now: time.Now, state: newState(), hash: newHasher()}

	p.label = cfg.LabelName
	if p.label == "" {
		p.label = defaultLabelName
		if v, ok := lookupEnv(envLabelName); ok && v != "" {
			if labelNamePattern.MatchString(v) && v[:min(2, len(v))] != "__" {
				p.label = v
			} else {
				p.logger.Warn(envLabelName+" is not a Prometheus label name; using the default", zap.String("value", v), zap.String("default", defaultLabelName))
			}
		}
	}

	if cfg.SampleRate != nil {
		p.rate = *cfg.SampleRate
	} else if v, ok := lookupEnv(envSampleRate); ok && v != "" {
		rate, err := strconv.ParseFloat(v, 64)
		if !sampleRatePattern.MatchString(v) || err != nil || rate < 0 || rate > 1 {
			p.logger.Warn(envSampleRate+" is not a number from 0 to 1; no sampling", zap.String("value", v))
		} else {
			p.rate = rate
		}
	}

	static, _ := policy.CanonicalEntries(cfg.Allowlist)
	if v, ok := lookupEnv(envAllowlist); ok {
		entries, invalid := policy.ParseEnvList(v)
		if len(invalid) > 0 {
			p.logger.Warn(envAllowlist+": entries skipped, not canonical allowlist entries", zap.Int("skipped", len(invalid)), zap.String("example", shorten(invalid[0])))
		}
		static = append(static, entries...)
	}
	p.static = static

	path := cfg.AllowlistFile
	if path == "" {
		path, _ = lookupEnv(envAllowlistFile)
	}
	if path != "" {
		p.file = &fileSource{path: path}
	}

	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	p.telemetry = tb
	list, _ := unionList(p.static, nil, cfg.MaxAllowlistEntries)
	p.view.Store(&view{current: &generation{policy: policy.New(policy.NewList(list), p.rate), since: pcommon.NewTimestampFromTime(p.now())}})
	err = tb.RegisterWorkspacepolicyAllowlistSizeCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(int64(p.view.Load().current.policy.List().Len()))
		return nil
	})
	if err == nil {
		err = tb.RegisterWorkspacepolicyTrackedSeriesCallback(func(_ context.Context, o metric.Int64Observer) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			o.Observe(int64(p.state.movers))
			return nil
		})
	}
	if err == nil {
		err = tb.RegisterWorkspacepolicyCarriedSeriesCallback(func(_ context.Context, o metric.Int64Observer) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			o.Observe(int64(p.state.carried))
			return nil
		})
	}
	if err == nil {
		err = tb.RegisterWorkspacepolicyMergeSourcesCallback(func(_ context.Context, o metric.Int64Observer) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			o.Observe(int64(p.state.merging))
			return nil
		})
	}
	return p, err
}

func (p *workspacePolicyProcessor) start(context.Context, component.Host) error {
	p.reload()
	p.settle()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go p.run(ctx)
	return nil
}

func (p *workspacePolicyProcessor) shutdown(context.Context) error {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
	p.telemetry.Shutdown()
	return nil
}

// run re-checks the file every reload_interval and expires state.
func (p *workspacePolicyProcessor) run(ctx context.Context) {
	defer close(p.done)
	ticker := time.NewTicker(p.cfg.ReloadInterval)
	defer ticker.Stop()
	lastSweep := p.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			p.reload()
			// a sweep walks every source (up to max_merge_sources) under the
			// lock, so it runs every max_stale/16, not at every tick
			if now := p.now(); now.Sub(lastSweep) >= max(p.cfg.ReloadInterval, p.cfg.MaxStale/16) {
				p.expire()
				lastSweep = now
			} else {
				p.expirePrevious()
			}
		}
	}
}

// reload loads the file when it changed; a failure keeps the last good list,
// is logged once (a broken file that stays the same is not re-read) and counted.
func (p *workspacePolicyProcessor) reload() {
	p.reloadMu.Lock()
	defer p.reloadMu.Unlock()
	if p.file == nil {
		return
	}
	changed, invalid, err := p.file.check()
	if !changed {
		return
	}
	ctx := context.Background()
	if err != nil {
		p.telemetry.WorkspacepolicyAllowlistReloadErrors.Add(ctx, 1)
		kept := "no list from it yet"
		if p.file.loaded {
			kept = "keeping its last good list (" + strconv.Itoa(len(p.file.entries)) + " entries)"
		}
		p.logger.Error("workspace allowlist file reload failed; "+kept, zap.String("path", p.file.path), zap.Error(err))
		return
	}
	if len(invalid) > 0 {
		p.logger.Warn("workspace allowlist file: entries skipped, not canonical allowlist entries", zap.String("path", p.file.path), zap.Int("skipped", len(invalid)), zap.String("example", shorten(invalid[0])))
	}
	p.telemetry.WorkspacepolicyAllowlistReloads.Add(ctx, 1)
	p.apply()
}

// apply swaps in the union of the static entries and the file's last good list, when it differs.
func (p *workspacePolicyProcessor) apply() {
	list, capped := unionList(p.static, p.file.entries, p.cfg.MaxAllowlistEntries)
	if capped {
		p.logger.Warn("the workspace allowlist has more entries than max_allowlist_entries; the rest fold into __other__", zap.Int("max_allowlist_entries", p.cfg.MaxAllowlistEntries))
	}
	next := policy.NewList(list)
	old := p.view.Load()
	before := old.current.policy.List().Entries()
	if slices.Equal(before, next.Entries()) {
		return
	}
	now := p.now()
	p.mu.Lock()
	p.view.Store(&view{current: &generation{policy: policy.New(next, p.rate), since: pcommon.NewTimestampFromTime(now)}, previous: old.current, changed: now})
	p.mu.Unlock()
	added, removed := 0, 0
	for _, e := range next.Entries() {
		if !slices.Contains(before, e) {
			added++
		}
	}
	for _, e := range before {
		if !slices.Contains(next.Entries(), e) {
			removed++
		}
	}
	p.logger.Info("workspace allowlist reloaded", zap.Int("entries", next.Len()), zap.Int("added", added), zap.Int("removed", removed))
}

// settle forgets the previous generation: the list loaded at start is not a
// change (no datapoint was attributed by the one before it).
func (p *workspacePolicyProcessor) settle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.view.Store(&view{current: p.view.Load().current})
}

// expire drops state not seen for max_stale, and the previous generation
// max_stale after a change. A monotonic source's last value stays in its
// output as a carry (the output never goes backwards).
func (p *workspacePolicyProcessor) expire() {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropPrevious(now)
	st := p.state
	res := st.expire(now.Add(-p.cfg.MaxStale), func(src *source) {
		o := src.out
		if o.monotonic {
			if !o.carried {
				o.carried = true
				st.carried++
			}
		} else {
			subtract(o.total, src.latest)
		}
		o.sources--
		st.merging--
		src.out, src.latest = nil, nil
	})
	if res.sources > 0 {
		p.telemetry.WorkspacepolicyMergeSourcesExpired.Add(context.Background(), int64(res.sources))
	}
	if st.merging < p.cfg.MaxMergeSources {
		p.boundWarned.Store(false)
	}
	p.stateSize.Store(int64(st.size()))
}

// expirePrevious drops the previous generation max_stale after a change (between sweeps).
func (p *workspacePolicyProcessor) expirePrevious() {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropPrevious(now)
	p.stateSize.Store(int64(p.state.size()))
}

func (p *workspacePolicyProcessor) dropPrevious(now time.Time) {
	if v := p.view.Load(); v.previous != nil && now.Sub(v.changed) > p.cfg.MaxStale {
		p.view.Store(&view{current: v.current})
	}
}

func (p *workspacePolicyProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	v := p.view.Load()
	r := request{p: p, view: v, now: p.now()}
	r.stateful = v.previous != nil || p.stateSize.Load() > 0
	if r.stateful {
		r.lock()
	}
	defer func() {
		if r.locked {
			p.stateSize.Store(int64(p.state.size()))
			p.mu.Unlock()
		}
	}()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		r.resource = rm.Resource()
		r.resourceHashed = false
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				r.scope, r.metric = sm.Scope(), ms.At(k)
				r.process()
			}
		}
	}
	if r.folded > 0 {
		p.telemetry.WorkspacepolicyDatapointsFolded.Add(ctx, r.folded)
	}
	if r.merged > 0 {
		p.telemetry.WorkspacepolicyDatapointsMerged.Add(ctx, r.merged)
	}
	if r.evicted > 0 {
		p.telemetry.WorkspacepolicyStateEvictions.Add(ctx, r.evicted)
	}
	if r.untracked > 0 {
		p.telemetry.WorkspacepolicyMergeUntracked.Add(ctx, r.untracked)
		if !p.boundWarned.Swap(true) {
			p.logger.Warn("max_merge_sources reached: new raw series of folded cumulative metrics are merged within their request only, so a folded series split over several requests can go down; raise max_merge_sources or lower the services' cardinality",
				zap.Int("max_merge_sources", p.cfg.MaxMergeSources))
		}
	}
	return md, nil
}
