package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectors is testdata/policy-vectors.json, generated from the TypeScript
// policy by scripts/policy-vectors.ts (npm run policy:vectors).
type vectors struct {
	IDs      []string `json:"ids"`
	Hashes   []*int64 `json:"hashes"`
	Policies []struct {
		Name       string   `json:"name"`
		Allowlist  []string `json:"allowlist"`
		SampleRate float64  `json:"sampleRate"`
		Threshold  uint64   `json:"threshold"`
		Expected   []string `json:"expected"`
	} `json:"policies"`
	EnvLists []struct {
		Text         string   `json:"text"`
		Entries      []string `json:"entries"`
		InvalidCount int      `json:"invalidCount"`
	} `json:"envLists"`
	FileLists []struct {
		Text         string   `json:"text"`
		Raw          []string `json:"raw"`
		Entries      []string `json:"entries"`
		InvalidCount int      `json:"invalidCount"`
	} `json:"fileLists"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "policy-vectors.json"))
	require.NoError(t, err)
	var v vectors
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

func TestVectorsAreSubstantial(t *testing.T) {
	v := loadVectors(t)
	assert.GreaterOrEqual(t, len(v.IDs), 10_000)
	assert.GreaterOrEqual(t, len(v.Policies), 6)
	rates := map[float64]bool{}
	for _, p := range v.Policies {
		rates[p.SampleRate] = true
		require.Len(t, p.Expected, len(v.IDs), p.Name)
	}
	assert.GreaterOrEqual(t, len(rates), 3)
	assert.GreaterOrEqual(t, len(v.EnvLists), 40)
}

func TestSampleHashMatchesSDK(t *testing.T) {
	v := loadVectors(t)
	checked := 0
	for i, id := range v.IDs {
		canonical, ok := CanonicalPath(id)
		if v.Hashes[i] == nil {
			assert.False(t, ok, "id %q: the SDK finds no canonical path", id)
			continue
		}
		require.True(t, ok, "id %q: the SDK finds a canonical path", id)
		assert.Equal(t, uint32(*v.Hashes[i]), SampleHash(canonical), "sampleHash(%q)", canonical)
		checked++
	}
	assert.Greater(t, checked, 9_000)
}

func TestResolveMatchesSDK(t *testing.T) {
	v := loadVectors(t)
	for _, pc := range v.Policies {
		t.Run(pc.Name, func(t *testing.T) {
			assert.Equal(t, pc.Threshold, SampleThreshold(pc.SampleRate))
			p := New(NewList(pc.Allowlist), pc.SampleRate)
			mismatches := 0
			folded := 0
			for i, id := range v.IDs {
				got, f := p.Resolve(id)
				if f {
					folded++
				}
				if got != pc.Expected[i] {
					mismatches++
					if mismatches <= 10 {
						t.Errorf("resolve(%q) = %q, the SDK gives %q", id, got, pc.Expected[i])
					}
				}
			}
			assert.Zero(t, mismatches)
			assert.Positive(t, folded)
			// an empty list or teams only without sampling folds everything; any other case keeps some ids
			if pc.SampleRate > 0 || len(NewList(pc.Allowlist).exact) > 0 {
				assert.Less(t, folded, len(v.IDs))
			} else {
				assert.Equal(t, len(v.IDs), folded)
			}
		})
	}
}

func TestEnvListParsingMatchesSDK(t *testing.T) {
	for _, c := range loadVectors(t).EnvLists {
		entries, invalid := ParseEnvList(c.Text)
		assert.Equal(t, nilIfEmpty(c.Entries), nilIfEmpty(entries), "env list %q", c.Text)
		assert.Len(t, invalid, c.InvalidCount, "env list %q", c.Text)
	}
}

func TestFileListParsingMatchesSDK(t *testing.T) {
	for _, c := range loadVectors(t).FileLists {
		raw := SplitFileText(c.Text)
		assert.Equal(t, nilIfEmpty(c.Raw), nilIfEmpty(raw), "file text %q", c.Text)
		entries, invalid := CanonicalEntries(raw)
		assert.Equal(t, nilIfEmpty(c.Entries), nilIfEmpty(entries), "file text %q", c.Text)
		assert.Len(t, invalid, c.InvalidCount, "file text %q", c.Text)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
