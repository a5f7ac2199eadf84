#!/usr/bin/env bash
# Build the otel-workspace-metrics collector distribution (otelcol-workspace)
# with the OpenTelemetry Collector Builder, from otel-collector/manifest.yaml.
#
# Usage:  bash otel-collector/build.sh            (npm run collector:build)
#         OTELCOL_FORCE_REBUILD=1 bash otel-collector/build.sh
#
# The build is cached OUTSIDE the repository, keyed by sha256(manifest.yaml +
# builder version + go version + GOOS/GOARCH):
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

command -v go >/dev/null 2>&1 || {
  if [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  else
    die "'go' is not on PATH (Go >= 1.26 is needed to build the collector)"
  fi
}
command -v sha256sum >/dev/null 2>&1 || die "'sha256sum' is required"

# Consistency check: every core beta module in the manifest must be on the
# builder's version (a mismatch fails later with confusing compile errors).
mismatch="$(grep -Eo 'go\.opentelemetry\.io/collector/[A-Za-z0-9/_.-]+ v0\.[0-9]+\.[0-9]+' "$manifest" \
  | awk -v want="$OCB_VERSION" '$2 != want {print}' || true)"
[[ -z "$mismatch" ]] || die "manifest core modules not on builder version ${OCB_VERSION}: ${mismatch}"

name="$(awk '/^dist:/{d=1;next} d && /^[^[:space:]#]/{d=0} d && $1=="name:"{print $2; exit}' "$manifest")"
[[ -n "$name" ]] || die "could not read dist.name from $manifest"

go_version="$(go env GOVERSION)"
goos="$(go env GOOS)"; goarch="$(go env GOARCH)"
cache_root="${OTELCOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-workspace-metrics/otelcol}"
mkdir -p "$cache_root"
cache_root="$(cd -- "$cache_root" && pwd -P)"
hash="$( { cat "$manifest"; printf '\nbuilder=%s\ngo=%s\nplatform=%s/%s\n' "$OCB_VERSION" "$go_version" "$goos" "$goarch"; } | sha256sum | cut -c1-16)"
out_dir="${cache_root}/${hash}"
binary="${out_dir}/${name}"

if [[ -z "${OTELCOL_FORCE_REBUILD:-}" && -x "$binary" && -f "${out_dir}/.complete" ]]; then
  log "cached build ${hash} (manifest + builder ${OCB_VERSION} + ${go_version}): ${binary}"
  printf '%s\n' "$binary"
  exit 0
fi

# 1. the builder, pinned, installed into the cache (not into GOPATH/bin).
builder_dir="${cache_root}/bin/${OCB_VERSION}"
builder="${builder_dir}/builder"
if [[ ! -x "$builder" ]]; then
  log "installing go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION} into ${builder_dir}"
  mkdir -p "$builder_dir"
  GOBIN="$builder_dir" go install "go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}" >&2 \
    || die "go install of the collector builder ${OCB_VERSION} failed"
fi

# 2. build into a temp dir next to the final one, then rename it into place
#    (atomic on one filesystem): a killed build never looks cached.
tmp_dir="$(mktemp -d "${cache_root}/.build-${hash}.XXXXXX")"
cleanup() { [[ -n "${tmp_dir:-}" && -d "$tmp_dir" ]] && rm -rf -- "$tmp_dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Inject dist.output_path (the committed manifest has none, so a hand-run
# builder never writes into the repository).
awk -v out="$tmp_dir" '{print} /^dist:[[:space:]]*$/{print "  output_path: " out}' \
  "$manifest" >"${tmp_dir}/manifest.build.yaml"

log "building ${name} (builder ${OCB_VERSION}, ${go_version}, ${goos}/${goarch}) in ${tmp_dir}"
log "this is a cold Go build of the collector: expect several minutes on 2 cores"
start=$(date +%s)
if ! "$builder" --config="${tmp_dir}/manifest.build.yaml" >&2; then
  die "collector build failed (see the builder output above)"
fi
end=$(date +%s)
[[ -x "${tmp_dir}/${name}" ]] || die "builder finished but ${tmp_dir}/${name} is missing"
"${tmp_dir}/${name}" --version >&2 || die "built binary does not run"
touch "${tmp_dir}/.complete"

rm -rf -- "$out_dir"
mv -T -- "$tmp_dir" "$out_dir"
tmp_dir=""
size="$(du -h "$binary" | cut -f1)"
log "built in $((end - start))s, binary ${size}: ${binary}"
printf '%s\n' "$binary"
