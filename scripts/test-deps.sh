#!/usr/bin/env bash
# What the test suites need beyond node_modules, installed (or named, with the exact command)
# before any suite runs, so `npm run test:all` passes on a fresh machine by itself:
#   - chromium (the status page screenshot test) and prometheus + promtool (alert and scrape
#     tests), Debian packages: installed with apt-get when we are root, else the command is
#     printed and the run fails here rather than in the middle of a suite;
#   - the control plane, helm and kwok, built from Go modules by scripts/envtest.sh and cached
#     (a cold build takes minutes; a warm cache answers at once).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[test-deps] $*" >&2; }

missing=()
command -v chromium >/dev/null || [[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || missing+=(chromium)
command -v promtool >/dev/null || dpkg -L prometheus >/dev/null 2>&1 || missing+=(prometheus)

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    log "missing Debian packages: ${missing[*]}. Install them, then run the tests again:"
    log "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    # The package starts a server on :9090, our metrics port; the tests run their own Prometheus.
    if command -v systemctl >/dev/null; then systemctl stop prometheus prometheus-node-exporter 2>/dev/null || true; fi
    pkill -x prometheus 2>/dev/null || true
    pkill -x prometheus-node-exporter 2>/dev/null || true
  fi
fi

log "control plane, helm and kwok (scripts/envtest.sh, cached)"
bash scripts/envtest.sh >/dev/null
