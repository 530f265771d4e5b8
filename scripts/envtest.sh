#!/usr/bin/env bash
# Builds the control-plane binaries for the e2e tests, and kwok for the lab cluster, from Go
# modules and caches them in ~/.cache/carbon-kube/<k8s version>/bin (kwok's Stage configs in
# ../kwok-stages). Prints that bin directory as the last stdout line:
#   BIN=$(bash scripts/envtest.sh | tail -1)
# Progress goes to stderr. Re-running with a warm cache returns immediately. The kube binaries
# and kwok are cached apart, each with its own version stamp: a cache holding the first but not
# the second builds only kwok. ENVTEST_KWOK=0 skips kwok (suites that need no lab cluster).
# ENVTEST_CHECK=1 builds nothing: prints the directory if the cache is complete, else exits 3.
set -euo pipefail

# --- pins ---------------------------------------------------------------------------------
K8S_VERSION="${K8S_VERSION:-v1.34.12}"   # kube-apiserver, scheduler, controller-manager, kubectl
ETCD_VERSION="${ETCD_VERSION:-v3.6.4}"   # the etcd server version k8s v1.34 is tested against
HELM_VERSION="${HELM_VERSION:-v3.19.5}"  # helm v3 built against k8s.io/* v0.34
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"   # kwok: fake kubelets for the lab cluster (npm run lab)
# ------------------------------------------------------------------------------------------

CACHE_ROOT="${CARBON_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/carbon-kube}"
BIN_DIR="$CACHE_ROOT/$K8S_VERSION/bin"
STAMP="$BIN_DIR/.versions"
WANT_STAMP="k8s=$K8S_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION"
BINARIES=(etcd kube-apiserver kube-scheduler kube-controller-manager kubectl helm)

# kwok's Stage configs, copied from its module at build time (kustomize/stage/<dir>/*.yaml):
# nodes get Ready at once and heartbeat through their Lease; pods go through the general
# lifecycle (Pending, Running and Ready, Job pods Succeeded after a delay, deletions finished).
STAGES_DIR="$CACHE_ROOT/$K8S_VERSION/kwok-stages"
KWOK_STAGE_SETS=(node/fast node/heartbeat-with-lease pod/general)
KWOK_STAMP="$BIN_DIR/.kwok-version"
WANT_KWOK_STAMP="kwok=$KWOK_VERSION stages=${KWOK_STAGE_SETS[*]}"
WANT_KWOK="${ENVTEST_KWOK:-1}"

log() { echo "[envtest $(date +%H:%M:%S)] $*" >&2; }

kube_cached() {
  [[ -f "$STAMP" && "$(<"$STAMP")" == "$WANT_STAMP" ]] || return 1
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}

kwok_cached() {
  [[ "$WANT_KWOK" == 0 ]] && return 0
  [[ -f "$KWOK_STAMP" && "$(<"$KWOK_STAMP")" == "$WANT_KWOK_STAMP" && -x "$BIN_DIR/kwok" ]] || return 1
  compgen -G "$STAGES_DIR/*.yaml" >/dev/null
}

cached() { kube_cached && kwok_cached; }

if cached; then echo "$BIN_DIR"; exit 0; fi
if [[ "${ENVTEST_CHECK:-0}" == 1 ]]; then log "not built yet in $BIN_DIR"; exit 3; fi

mkdir -p "$CACHE_ROOT"
# Serialise concurrent runs (e.g. parallel CI jobs sharing a cache) and re-check afterwards.
if command -v flock >/dev/null; then
  exec 9>"$CACHE_ROOT/.lock"
  flock 9
  if cached; then echo "$BIN_DIR"; exit 0; fi
fi

command -v go >/dev/null || { log "go is required"; exit 1; }

# sum.golang.org is unreachable in our CI/sandbox, so checksums are not verified against the
# public checksum database: go.sum is filled from what the module proxy serves. This applies to
# this build only (exported here, not in the user's go env).
export GOSUMDB=off GONOSUMDB='*'
export GOFLAGS=-mod=mod     # the generated go.mod is completed (go.sum, missing requires) on the fly
export GOTOOLCHAIN=local    # never try to download another toolchain
export CGO_ENABLED=0        # static binaries like upstream's, and no C compiler needed
JOBS="${ENVTEST_JOBS:-$(nproc 2>/dev/null || echo 2)}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/carbon-kube-envtest.XXXXXX")"
STAGE="$WORK/bin"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$STAGE" "$WORK/mod"
start=$SECONDS

build_kube() {
  # k8s.io/kubernetes points its staging modules (k8s.io/api, client-go, ...) at ./staging via
  # replace, which only works inside its own repo. As a dependency each must be replaced with the
  # published v0.<minor>.<patch> tag; the list is read from k8s's own go.mod.
  log "resolving k8s.io/kubernetes@$K8S_VERSION"
  local K8S_MOD STAGING_VERSION minor kv p b
  K8S_MOD="$(cd "$WORK/mod" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [[ -f "$K8S_MOD" ]] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
  STAGING_VERSION="v0.${K8S_VERSION#v1.}"

  {
    echo "module carbon-kube.io/envtest"
    echo
    # Same language version and GODEBUG defaults as upstream's own builds.
    grep -E '^(go|godebug) ' "$K8S_MOD"
    echo
    echo "require ("
    echo "	k8s.io/kubernetes $K8S_VERSION"
    echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo ")"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*#\1#p' "$K8S_MOD" \
      | while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; done
    echo ")"
  } >"$WORK/mod/go.mod"
  log "generated go.mod with $(grep -c ' => ' "$WORK/mod/go.mod") staging replaces at $STAGING_VERSION"

  # Version stamps so `kube-apiserver --version` and kubectl's skew check see the real release.
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  kv=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kv+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done

  log "building kube-apiserver, kube-scheduler, kube-controller-manager, kubectl (-p $JOBS; slow on a cold cache)"
  (cd "$WORK/mod" && go build -p "$JOBS" -trimpath -ldflags "-s -w$kv" -o "$STAGE/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)
  log "kube binaries done after $((SECONDS - start))s"

  # etcd's main package is the root of go.etcd.io/etcd/server/v3; built in the same module so it
  # shares the compiled grpc/protobuf packages with the kube build.
  log "building etcd $ETCD_VERSION"
  (cd "$WORK/mod" && go build -p "$JOBS" -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3)
  log "etcd done after $((SECONDS - start))s"

  # helm is built from its own module: its dependency set differs from k8s's and mixing the two
  # could break either build. pkg@version installs ignore -mod, so GOFLAGS is cleared.
  log "building helm $HELM_VERSION"
  (cd "$WORK" && GOFLAGS= GOBIN="$STAGE" go install -p "$JOBS" -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  log "helm done after $((SECONDS - start))s"

  mkdir -p "$BIN_DIR"
  for b in "${BINARIES[@]}"; do mv -f "$STAGE/$b" "$BIN_DIR/$b"; done
  echo "$WANT_STAMP" >"$STAMP"   # written last: marks the cache complete
  log "installed in $BIN_DIR ($(du -sh "$BIN_DIR" | cut -f1)) in $((SECONDS - start))s"
}

build_kwok() {
  # Its own module and dependency set (like helm), so pkg@version with GOFLAGS cleared. The
  # version string is compiled in from the module's own constants.
  log "building kwok $KWOK_VERSION"
  local kstart=$SECONDS dir set
  (cd "$WORK" && GOFLAGS= GOBIN="$STAGE" go install -p "$JOBS" -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
  # The module cache holds the source the binary was built from, Stage configs included.
  dir="$(cd "$WORK" && GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  [[ -d "$dir/kustomize/stage" ]] || { log "no kustomize/stage in sigs.k8s.io/kwok@$KWOK_VERSION ($dir)"; exit 1; }
  rm -rf "$STAGES_DIR.new" && mkdir -p "$STAGES_DIR.new"
  for set in "${KWOK_STAGE_SETS[@]}"; do
    # Flat names are unique across these sets; kustomization.yaml is kustomize's, not kwok's.
    find "$dir/kustomize/stage/$set" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml \
      -exec cp {} "$STAGES_DIR.new/" \;
  done
  chmod -R u+w "$STAGES_DIR.new"   # the module cache is read-only
  mkdir -p "$BIN_DIR"
  rm -rf "$STAGES_DIR" && mv "$STAGES_DIR.new" "$STAGES_DIR"
  mv -f "$STAGE/kwok" "$BIN_DIR/kwok"
  echo "$WANT_KWOK_STAMP" >"$KWOK_STAMP"   # written last: marks kwok complete
  log "kwok installed in $BIN_DIR, $(ls "$STAGES_DIR" | wc -l) stages in $STAGES_DIR, in $((SECONDS - kstart))s"
}

# Plain `if`s, not `a || b`: errexit does not apply inside a function run as part of a || list.
if ! kube_cached; then build_kube; fi
if ! kwok_cached; then build_kwok; fi
echo "$BIN_DIR"
