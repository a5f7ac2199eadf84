#!/usr/bin/env bash
# Builds (or reuses) the Go tools the deployment tests run, from their Go
# modules, into a cache OUTSIDE the repository:
#   helm          helm.sh/helm/v3/cmd/helm@HELM_VERSION
#   kustomize     sigs.k8s.io/kustomize/kustomize/v5@KUSTOMIZE_VERSION
#   k8s-validate  our strict manifest decoder, otel-collector/deploy/validate
#                 (cached by a hash of its sources and go.sum)
# Cache: ${OWM_TOOLS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-workspace-metrics/tools}
#
# Usage: bash scripts/go-tools.sh [helm|kustomize|k8s-validate|all]   (default all)
# stdout: one absolute binary path per requested tool, in that order.
# Builds are serialized with flock; a killed build never looks cached.
set -euo pipefail

HELM_VERSION="v3.22.0"
KUSTOMIZE_VERSION="v5.8.1"

log() { printf '[go-tools] %s\n' "$*" >&2; }
die() { printf '[go-tools] ERROR: %s\n' "$*" >&2; exit 1; }

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
go_bin="${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}"
[[ -x "$go_bin" ]] || die "Go toolchain not found ('${go_bin}'): install Go >= 1.26 or set GO=/path/to/go"
export PATH="$(dirname -- "$go_bin"):$PATH"
go_version="$("$go_bin" env GOVERSION)"
cache="${OWM_TOOLS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-workspace-metrics/tools}"
mkdir -p "$cache"

locked=""
lock() {
  [[ -n "$locked" ]] && return 0
  exec 8>"${cache}/.lock"
  flock -n 8 || { log "another build holds ${cache}/.lock, waiting"; flock 8; }
  locked=1
}

# build NAME DIR COMMAND...: runs COMMAND with $out = a temp dir, then moves it to DIR.
build() {
  local name="$1" dir="$2"; shift 2
  [[ -x "${dir}/${name}" ]] && return 0
  lock
  [[ -x "${dir}/${name}" ]] && return 0
  local tmp; tmp="$(mktemp -d "${dir}.tmp.XXXXXX")"
  local start; start=$(date +%s)
  log "building ${name} into ${dir} (cold: several minutes on 2 cores)"
  if ! out="$tmp" "$@" >&2; then rm -rf -- "$tmp"; die "building ${name} failed"; fi
  [[ -x "${tmp}/${name}" ]] || { rm -rf -- "$tmp"; die "${name} missing after the build"; }
  rm -rf -- "$dir"; mv -T -- "$tmp" "$dir"
  log "built ${name} in $(( $(date +%s) - start ))s"
}

go_install() { GOBIN="$out" nice -n 10 "$go_bin" install "$1"; }
build_validator() { (cd "${root}/otel-collector/deploy/validate" && nice -n 10 "$go_bin" build -trimpath -o "${out}/k8s-validate" .); }

tool_path() {
  case "$1" in
    helm)
      local dir="${cache}/helm-${HELM_VERSION}-${go_version}"
      build helm "$dir" go_install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
      echo "${dir}/helm" ;;
    kustomize)
      local dir="${cache}/kustomize-${KUSTOMIZE_VERSION}-${go_version}"
      build kustomize "$dir" go_install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"
      echo "${dir}/kustomize" ;;
    k8s-validate)
      local src="${root}/otel-collector/deploy/validate" hash
      hash="$( { cat "${src}/go.mod" "${src}/go.sum" "${src}"/*.go; echo "$go_version"; } | sha256sum | cut -c1-16)"
      local dir="${cache}/k8s-validate-${hash}"
      build k8s-validate "$dir" build_validator
      echo "${dir}/k8s-validate" ;;
    *) die "unknown tool '$1' (helm, kustomize, k8s-validate, all)" ;;
  esac
}

tools=("$@")
[[ ${#tools[@]} -eq 0 || "${tools[0]}" == all ]] && tools=(helm kustomize k8s-validate)
for t in "${tools[@]}"; do tool_path "$t"; done
