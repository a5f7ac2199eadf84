#!/usr/bin/env bash
# Makes sure the real parts the test suite runs are on this machine:
# Prometheus + promtool, PostgreSQL, Redis and openssl (Debian packages), and the custom
# OpenTelemetry Collector (built from otel-collector/manifest.yaml, cached
# outside the repo). Installs what is missing when run as root; otherwise
# prints the command to run and fails. Never skips: tests need all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[deps] $*" >&2; }

pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/postgres" ] && { echo "$dir"; return 0; }
  done
  return 1
}

missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
pg_bindir >/dev/null || missing+=(postgresql)
# The security tests generate a throwaway CA and server certificate with openssl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The security tests start a collector on its default ports in a network namespace of its own (unshare, ip).
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# The queue health tests run BullMQ against a private redis-server.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing: ${missing[*]}. Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages may start their own services; the tests start private instances and need none.
  for svc in prometheus postgresql redis-server; do
    if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
  done
fi

log "prometheus: $(prometheus --version 2>&1 | head -n1)"
log "postgres:   $("$(pg_bindir)/postgres" --version)"
log "redis:      $(redis-server --version)"

command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || { log "Go is required to build the collector (otel-collector/build.sh) and was not found"; exit 1; }
export PATH="$PATH:/usr/local/go/bin"
collector=$(bash otel-collector/build.sh | tail -n 1)
[ -x "$collector" ] || { log "collector build did not produce a binary"; exit 1; }
log "collector:  $collector"
