package workspacepolicyprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	rate := 0.25
	tests := []struct {
		id      string
		want    *Config
		wantErr string
	}{
		{id: "", want: createDefaultConfig().(*Config)},
		{id: "full", want: &Config{
			LabelName: "tenant_id", Allowlist: []string{"acme", "team-a/*", "team-b/api"}, AllowlistFile: "/etc/otelcol/allowlist.txt",
			ReloadInterval: 5 * time.Second, SampleRate: &rate, MaxAllowlistEntries: 500, MaxStale: time.Hour, MaxTrackedSeries: 1000, MaxMergeSources: 20_000,
		}},
		{id: "bad_entry", wantErr: `allowlist[1] "not valid!" is not an allowlist entry`},
		{id: "bad_label", wantErr: `label_name "__reserved" is not a Prometheus label name`},
		{id: "bad_rate", wantErr: "sample_rate must be from 0 to 1, got 1.5"},
		{id: "bad_limits", wantErr: "max_stale must be positive\nmax_tracked_series must be positive\nmax_merge_sources must be positive"},
	}
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.id).String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}
