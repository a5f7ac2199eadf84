#!/usr/bin/env bash
# Build the otel-workspace-metrics collector distribution (otelcol-workspace)
# with the OpenTelemetry Collector Builder, from otel-collector/manifest.yaml.
#
# Usage:  bash otel-collector/build.sh            (npm run collector:build)
#         OTELCOL_FORCE_REBUILD=1 bash otel-collector/build.sh
#
# The build is cached OUTSIDE the repository, keyed by sha256(manifest.yaml +
# the sources of the local modules under processor/ (go.mod, go.sum, non-test
# .go files, metadata.yaml) + builder version + go version + GOOS/GOARCH):
#   ${OTELCOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-workspace-metrics/otelcol}/<hash>/otelcol-workspace
# The builder itself is installed with `go install` into <cache>/bin.
#
# Progress goes to stderr; the LAST (and only) line on stdout is the absolute
# path of the binary, so callers can do BIN="$(bash otel-collector/build.sh)".
set -euo pipefail

# The builder version must equal the core (v0.x) version of the manifest: the
# generated go.mod pins go.opentelemetry.io/collector/otelcol to the builder's
# own release.
OCB_VERSION="${OCB_VERSION:-v0.161.0}"

log() { printf '[collector:build] %s\n' "$*" >&2; }
die() { printf '[collector:build] ERROR: %s\n' "$*" >&2; exit 1; }

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
manifest="${script_dir}/manifest.yaml"
[[ -f "$manifest" ]] || die "manifest not found: $manifest"

# Go: $GO if set, else `go` on PATH, else the usual /usr/local/go install.
go_bin="${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}"
[[ -x "$go_bin" ]] || die "Go toolchain not found ('${go_bin}'): install Go >= 1.26 or set GO=/path/to/go"
export PATH="$(dirname -- "$go_bin"):$PATH"   # the builder runs plain `go`
command -v sha256sum >/dev/null 2>&1 || die "'sha256sum' is required"

# Consistency check: every core beta module in the manifest must be on the
# builder's version (a mismatch fails later with confusing compile errors).
mismatch="$(grep -Eo 'go\.opentelemetry\.io/collector/[A-Za-z0-9/_.-]+ v0\.[0-9]+\.[0-9]+' "$manifest" \
  | awk -v want="$OCB_VERSION" '$2 != want {print}' || true)"
[[ -z "$mismatch" ]] || die "manifest core modules not on builder version ${OCB_VERSION}: ${mismatch}"

name="$(awk '/^dist:/{d=1;next} d && /^[^[:space:]#]/{d=0} d && $1=="name:"{print $2; exit}' "$manifest")"
[[ -n "$name" ]] || die "could not read dist.name from $manifest"

go_version="$("$go_bin" env GOVERSION)" || die "'${go_bin} env' failed"
goos="$("$go_bin" env GOOS)"; goarch="$("$go_bin" env GOARCH)"
cache_root="${OTELCOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-workspace-metrics/otelcol}"
mkdir -p "$cache_root"
cache_root="$(cd -- "$cache_root" && pwd -P)"
# Local modules (manifest `path: ./...`): their sources are part of the key, so
# an edited processor is rebuilt instead of served stale from the cache.
local_sources() {
  (cd "$script_dir" && find processor -type f \( -name go.mod -o -name go.sum -o -name metadata.yaml -o \( -name '*.go' ! -name '*_test.go' \) \) \
    -not -path '*/testdata/*' | LC_ALL=C sort | xargs -r sha256sum)
}
hash="$( { cat "$manifest"; local_sources; printf '\nbuilder=%s\ngo=%s\nplatform=%s/%s\n' "$OCB_VERSION" "$go_version" "$goos" "$goarch"; } | sha256sum | cut -c1-16)"
out_dir="${cache_root}/${hash}"
binary="${out_dir}/${name}"

is_cached() { [[ -z "${OTELCOL_FORCE_REBUILD:-}" && -x "$binary" && -f "${out_dir}/.complete" ]]; }
if is_cached; then
  log "cached build ${hash} (manifest + builder ${OCB_VERSION} + ${go_version}): ${binary}"
  printf '%s\n' "$binary"
  exit 0
fi

# One build at a time per cache dir (two `npm run collector:build` in parallel
# would otherwise both compile); the second one then finds the cached result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${cache_root}/.lock"
  if ! flock -n 9; then
    log "another build holds ${cache_root}/.lock, waiting for it"
    flock 9
  fi
  if is_cached; then
    log "cached build ${hash} (built by the concurrent run): ${binary}"
    printf '%s\n' "$binary"
    exit 0
  fi
  # Holding the lock, any leftover .build-* dir is from a killed build.
  rm -rf -- "${cache_root}"/.build-*
fi

# 1. the builder, pinned, installed into the cache (not into GOPATH/bin).
builder_dir="${cache_root}/bin/${OCB_VERSION}"
builder="${builder_dir}/builder"
if [[ ! -x "$builder" ]]; then
  log "installing go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION} into ${builder_dir}"
  mkdir -p "$builder_dir"
  GOBIN="$builder_dir" "$go_bin" install "go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}" >&2 \
    || die "go install of the collector builder ${OCB_VERSION} failed"
fi

# 2. build into a temp dir next to the final one, then rename it into place
#    (atomic on one filesystem): a killed build never looks cached.
tmp_dir="$(mktemp -d "${cache_root}/.build-${hash}.XXXXXX")"
builder_pid=""
cleanup() {
  if [[ -n "$builder_pid" ]]; then kill -TERM "$builder_pid" 2>/dev/null || true; fi
  if [[ -n "${tmp_dir:-}" && -d "$tmp_dir" ]]; then rm -rf -- "$tmp_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Inject dist.output_path (the committed manifest has none, so a hand-run
# builder never writes into the repository).
# and make local module paths (path: ./...) absolute: the manifest copy lives in tmp_dir.
awk -v out="$tmp_dir" -v dir="$script_dir" '
  /^[[:space:]]*path:[[:space:]]*\.\// { sub(/path:[[:space:]]*\.\//, "path: " dir "/") }
  {print} /^dist:[[:space:]]*$/{print "  output_path: " out}' \
  "$manifest" >"${tmp_dir}/manifest.build.yaml"

log "building ${name} (builder ${OCB_VERSION}, ${go_version}, ${goos}/${goarch}) in ${tmp_dir}"
log "with cold Go module/build caches this takes several minutes (about 6 on 2 cores)"
start=$(date +%s)
# In the background + wait, so that INT/TERM are handled at once (cleanup).
"$builder" --config="${tmp_dir}/manifest.build.yaml" >&2 &
builder_pid=$!
if ! wait "$builder_pid"; then
  builder_pid=""
  die "collector build failed (see the builder output above)"
fi
builder_pid=""
end=$(date +%s)
[[ -x "${tmp_dir}/${name}" ]] || die "builder finished but ${tmp_dir}/${name} is missing"
"${tmp_dir}/${name}" --version >&2 || die "built binary does not run"
touch "${tmp_dir}/.complete"
chmod 755 "$tmp_dir"

rm -rf -- "$out_dir"
mv -T -- "$tmp_dir" "$out_dir"
tmp_dir=""
size="$(du -h "$binary" | cut -f1)"
log "built in $((end - start))s, binary ${size}: ${binary}"
printf '%s\n' "$binary"
