package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"
)

// Environment variables shared with the SDK (README.md "Configuration").
const (
	envLabelName     = "METRICS_WORKSPACE_LABEL_NAME"
	envAllowlist     = "METRICS_WORKSPACE_ALLOWLIST"
	envAllowlistFile = "METRICS_WORKSPACE_ALLOWLIST_FILE"
	envSampleRate    = "METRICS_WORKSPACE_SAMPLE_RATE"

	defaultLabelName = "workspace_id"
)

// Config of the workspacepolicy processor. Every field is optional; unset
// fields fall back to the SDK's environment variables, so one environment
// configures the services and the collector alike.
type Config struct {
	// LabelName is the datapoint attribute the policy governs. Default:
	// $METRICS_WORKSPACE_LABEL_NAME, else workspace_id.
	LabelName string `mapstructure:"label_name"`
	// Allowlist entries (acme, team/ws, team/*), always in the list, united
	// with $METRICS_WORKSPACE_ALLOWLIST and the allowlist file.
	Allowlist []string `mapstructure:"allowlist"`
	// AllowlistFile in the SDK's file format, re-read on change. Default:
	// $METRICS_WORKSPACE_ALLOWLIST_FILE (none when unset).
	AllowlistFile string `mapstructure:"allowlist_file"`
	// ReloadInterval: how often the file is checked for a change.
	ReloadInterval time.Duration `mapstructure:"reload_interval"`
	// SampleRate is the SDK's METRICS_WORKSPACE_SAMPLE_RATE (0..1); nil:
	// that variable, else 0 (no sampling).
	SampleRate *float64 `mapstructure:"sample_rate"`
	// MaxAllowlistEntries caps the effective list (first entries win), as the SDK does.
	MaxAllowlistEntries int `mapstructure:"max_allowlist_entries"`
	// MaxStale: a tracked series or carried contribution not seen for this
	// long is dropped; a previous allowlist is kept this long after a change.
	MaxStale time.Duration `mapstructure:"max_stale"`
	// MaxTrackedSeries bounds the monotonic state (raw series whose target changed).
	MaxTrackedSeries int `mapstructure:"max_tracked_series"`
	// MaxMergeSources bounds the raw cumulative series held to merge folded
	// series across requests (README.md "Merging across requests"); beyond it
	// a new raw series is merged within its request only.
	MaxMergeSources int `mapstructure:"max_merge_sources"`
}

var _ component.Config = (*Config)(nil)

var labelNamePattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,63}$`)

// Validate checks the configuration; the environment is checked when the processor is created.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.LabelName != "" && (!labelNamePattern.MatchString(cfg.LabelName) || strings.HasPrefix(cfg.LabelName, "__")) {
		errs = append(errs, fmt.Errorf("label_name %q is not a Prometheus label name (or starts with __)", cfg.LabelName))
	}
	for i, entry := range cfg.Allowlist {
		if _, ok := policy.CanonicalEntry(entry); !ok {
			errs = append(errs, fmt.Errorf("allowlist[%d] %q is not an allowlist entry (a flat id, team/ws or team/*: lower-case letters, digits, '.', '_', '-', at most 64 per part)", i, entry))
		}
	}
	if cfg.SampleRate != nil && !(*cfg.SampleRate >= 0 && *cfg.SampleRate <= 1) {
		errs = append(errs, fmt.Errorf("sample_rate must be from 0 to 1, got %v", *cfg.SampleRate))
	}
	if cfg.ReloadInterval <= 0 {
		errs = append(errs, errors.New("reload_interval must be positive"))
	}
	if cfg.MaxStale <= 0 {
		errs = append(errs, errors.New("max_stale must be positive"))
	}
	if cfg.MaxTrackedSeries <= 0 {
		errs = append(errs, errors.New("max_tracked_series must be positive"))
	}
	if cfg.MaxMergeSources <= 0 {
		errs = append(errs, errors.New("max_merge_sources must be positive"))
	}
	if cfg.MaxAllowlistEntries <= 0 {
		errs = append(errs, errors.New("max_allowlist_entries must be positive"))
	}
	return errors.Join(errs...)
}

func createDefaultConfig() component.Config {
	return &Config{
		ReloadInterval:      2 * time.Second,
		MaxAllowlistEntries: 10_000,
		MaxStale:            15 * time.Minute,
		MaxTrackedSeries:    100_000,
		MaxMergeSources:     1_000_000,
	}
}
