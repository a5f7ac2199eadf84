package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"

import (
	"fmt"
	"os"
	"slices"
	"syscall"

	"github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor/internal/policy"
)

// maxAllowlistFileBytes: larger files are refused (the last good list stays), as in the SDK.
const maxAllowlistFileBytes = 4 * 1024 * 1024

// fileSource reads the allowlist file in the SDK's format (one entry per line
// or comma-separated, '#' comments) when its identity (inode, size, mtime,
// ctime) changes. A missing, unreadable or oversized file, or one with
// entries but no valid one, is an error: the caller keeps the last good list.
type fileSource struct {
	path      string
	signature string
	// entries of the last good load (nil before the first one)
	entries []string
	loaded  bool
}

func statSignature(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	sig := fmt.Sprintf("%d:%d", info.Size(), info.ModTime().UnixNano())
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		sig = fmt.Sprintf("%d:%d:%d:%d", st.Ino, info.Size(), info.ModTime().UnixNano(), st.Ctim.Nano())
	}
	return sig, nil
}

// check reloads the file when it changed since the last attempt. changed
// reports a load attempt; err is that attempt's failure.
func (f *fileSource) check() (changed bool, invalid []string, err error) {
	sig, statErr := statSignature(f.path)
	if statErr != nil {
		sig = "failed:" + statErr.Error()
	}
	if f.signature == sig {
		return false, nil, nil
	}
	f.signature = sig
	if statErr != nil {
		return true, nil, statErr
	}
	entries, invalid, err := readAllowlistFile(f.path)
	if err != nil {
		return true, invalid, err
	}
	f.entries = entries
	f.loaded = true
	return true, invalid, nil
}

func readAllowlistFile(path string) (entries, invalid []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxAllowlistFileBytes {
		return nil, nil, fmt.Errorf("%d bytes is more than the %d allowed", len(data), maxAllowlistFileBytes)
	}
	entries, invalid = policy.CanonicalEntries(policy.SplitFileText(string(data)))
	if len(entries) == 0 && len(invalid) > 0 {
		// nothing valid at all: a broken file (wrong file, wrong format), not an empty allowlist
		return nil, invalid, fmt.Errorf("none of its %d entries is valid (e.g. %q)", len(invalid), shorten(invalid[0]))
	}
	return entries, invalid, nil
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// unionList is static entries then file entries, de-duplicated, capped at max (first win).
func unionList(static, file []string, max int) (list []string, capped bool) {
	seen := map[string]struct{}{}
	for _, e := range slices.Concat(static, file) {
		if _, dup := seen[e]; dup {
			continue
		}
		seen[e] = struct{}{}
		list = append(list, e)
	}
	if len(list) > max {
		return list[:max], true
	}
	return list, false
}
