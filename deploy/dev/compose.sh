#!/usr/bin/env bash
# Tools the deploy/ checks need (test/deploy/) that no Debian package installs as is, in
# .cache/deploy-tools/ at the repository root. No Docker engine runs on these machines; none is
# needed for what they check:
#
#   bin/docker-compose    Docker Compose built from its Go module (Go module proxy): the real
#                         `docker compose config`, which needs no engine.
#   bin/dockerfile-lint   deploy/dev/dockerfile-lint/main.go built against the BuildKit that Compose
#                         pins: Docker's own Dockerfile parser and build checks (`docker build --check`).
#   bin/nginx, bin/syslog-ng
#                         Debian's nginx and syslog-ng unpacked (`apt-get download`, `dpkg-deb -x`),
#                         not installed: syslog-ng-core conflicts with rsyslog, which the tests
#                         need, and installing nginx would start a server. Used for syntax checks.
#
# Idempotent: builds or unpacks only what is missing or out of date, and does nothing when all is
# there. A cold run (empty Go caches) takes 1.5 to 3 minutes on two shared cores, most of it compiling
# Compose; a warm one well under a second.
#
#   bash deploy/dev/compose.sh [install|env]
#
# Environment:
#   WATCHPOST_COMPOSE_VERSION  default v5.6.0: the newest Compose whose go.mod the Go toolchain
#                              here (1.26.8) accepts (v5.7.0 asks for 1.26.10)
#   GO                         the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$REPO_ROOT/.cache/deploy-tools"
BIN="$CACHE/bin"
COMPOSE_VERSION="${WATCHPOST_COMPOSE_VERSION:-v5.6.0}"
COMPOSE_MODULE="github.com/docker/compose/v5"
COMPOSE_SRC="$CACHE/compose-src-$COMPOSE_VERSION"
LINT_SOURCE="$REPO_ROOT/deploy/dev/dockerfile-lint/main.go"
DEB_ROOT="$CACHE/debroot"
# syslog-ng-core and the libraries of its modules that a Debian base image lacks (libnet1: afsocket).
DEB_PACKAGES=(nginx nginx-common syslog-ng-core libivykis0 libpcre3 libnet1)

log() { printf '[compose.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

go_cmd() {
  if [[ -n "${GO:-}" ]]; then printf '%s\n' "$GO"
  elif command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then printf '%s\n' /usr/local/go/bin/go
  else die "no Go toolchain (go on PATH or /usr/local/go/bin/go)"
  fi
}

# --- Docker Compose ----------------------------------------------------------------------------

compose_current() {
  [[ -x "$BIN/docker-compose" ]] && [[ "$("$BIN/docker-compose" version --short 2>/dev/null || true)" == "${COMPOSE_VERSION#v}" ]]
}

# A writable copy of the Compose module as the main module: `go install module/cmd@version`
# refuses it because its go.mod has exclude directives.
compose_source() {
  local go="$1" dir tmp
  [[ -f "$COMPOSE_SRC/go.mod" ]] && return 0
  dir="$(GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go" mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "go mod download $COMPOSE_MODULE@$COMPOSE_VERSION gave no source directory"
  tmp="$CACHE/.compose-src.$$"
  rm -rf "$tmp"
  cp -r "$dir" "$tmp"
  chmod -R u+w "$tmp"
  mv "$tmp" "$COMPOSE_SRC"
}

compose_build() {
  local go="$1" start=$SECONDS
  compose_current && { log "docker-compose $COMPOSE_VERSION present"; return 0; }
  log "building docker-compose $COMPOSE_VERSION from the Go module proxy (a cold build takes 1.5 to 3 minutes on two cores)"
  compose_source "$go"
  (
    cd "$COMPOSE_SRC"
    GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" build -trimpath \
      -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
      -o "$BIN/.docker-compose.$$" ./cmd
  ) || die "building docker-compose failed"
  mv "$BIN/.docker-compose.$$" "$BIN/docker-compose"
  compose_current || die "the built docker-compose does not report version $COMPOSE_VERSION"
  log "docker-compose $COMPOSE_VERSION built ($((SECONDS - start)) s)"
}

# --- Dockerfile checker ------------------------------------------------------------------------

lint_build() {
  local go="$1" stamp="$BIN/.dockerfile-lint.sha256" want start=$SECONDS
  want="$(sha256sum "$LINT_SOURCE" | cut -d' ' -f1)-$COMPOSE_VERSION"
  if [[ -x "$BIN/dockerfile-lint" && "$(cat "$stamp" 2>/dev/null || true)" == "$want" ]]; then
    log "dockerfile-lint present"
    return 0
  fi
  compose_source "$go"
  mkdir -p "$COMPOSE_SRC/cmd/wp-dockerfile-lint"
  cp "$LINT_SOURCE" "$COMPOSE_SRC/cmd/wp-dockerfile-lint/main.go"
  # -mod=mod: BuildKit's Dockerfile frontend needs two modules Compose itself does not, so their
  # go.sum lines are added to this copy (checked against the checksum database as usual).
  (
    cd "$COMPOSE_SRC"
    GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod" "$go" build -trimpath -o "$BIN/.dockerfile-lint.$$" ./cmd/wp-dockerfile-lint
  ) || die "building dockerfile-lint failed"
  mv "$BIN/.dockerfile-lint.$$" "$BIN/dockerfile-lint"
  printf '%s\n' "$want" >"$stamp"
  log "dockerfile-lint built ($((SECONDS - start)) s)"
}

# --- nginx and syslog-ng, unpacked -------------------------------------------------------------

debs_present() {
  [[ -x "$BIN/nginx" && -x "$BIN/syslog-ng" && "$(cat "$DEB_ROOT/.packages" 2>/dev/null || true)" == "${DEB_PACKAGES[*]}" ]]
}

debs_unpack() {
  local start=$SECONDS tmp deb
  if debs_present; then
    log "nginx and syslog-ng present"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get is needed to fetch nginx and syslog-ng"
  tmp="$CACHE/.debs.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/root"
  # apt-get download fetches into the current directory; as root it warns that the _apt user
  # cannot write there, which is harmless. On a machine whose package lists were never fetched,
  # refresh them once.
  if ! (cd "$tmp" && apt-get download -qq "${DEB_PACKAGES[@]}" >/dev/null 2>&1); then
    log "refreshing the apt index"
    apt-get update -qq
    (cd "$tmp" && apt-get download -qq "${DEB_PACKAGES[@]}" >/dev/null 2>&1) || die "apt-get download ${DEB_PACKAGES[*]} failed"
  fi
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  printf '%s\n' "${DEB_PACKAGES[*]}" >"$tmp/root/.packages"
  rm -rf "$DEB_ROOT"
  mv "$tmp/root" "$DEB_ROOT"
  rm -rf "$tmp"
  local libs="$DEB_ROOT/usr/lib/syslog-ng:$DEB_ROOT/usr/lib/x86_64-linux-gnu:$DEB_ROOT/lib/x86_64-linux-gnu"
  # Wrappers: the unpacked programs find their own libraries and modules, never the system's.
  cat >"$BIN/syslog-ng" <<EOF
#!/bin/sh
# syslog-ng unpacked by deploy/dev/compose.sh (not installed: it conflicts with rsyslog).
export LD_LIBRARY_PATH="$libs"
exec "$DEB_ROOT/usr/sbin/syslog-ng" --module-path "$DEB_ROOT/usr/lib/syslog-ng/3.38" "\$@"
EOF
  cat >"$BIN/nginx" <<EOF
#!/bin/sh
# nginx unpacked by deploy/dev/compose.sh (not installed: a package install would start a server).
exec "$DEB_ROOT/usr/sbin/nginx" "\$@"
EOF
  chmod 755 "$BIN/syslog-ng" "$BIN/nginx"
  "$BIN/nginx" -v >/dev/null 2>&1 || die "the unpacked nginx does not run"
  "$BIN/syslog-ng" --version >/dev/null 2>&1 || die "the unpacked syslog-ng does not run"
  # A module whose library is missing is skipped silently and its drivers become syntax errors.
  if "$BIN/syslog-ng" --module-registry 2>&1 | grep -q 'Error opening plugin module'; then
    "$BIN/syslog-ng" --module-registry 2>&1 | grep 'Error opening plugin module' >&2
    die "a syslog-ng module misses a library; add its package to DEB_PACKAGES"
  fi
  log "nginx and syslog-ng unpacked ($((SECONDS - start)) s)"
}

# --- commands ----------------------------------------------------------------------------------

cmd_install() {
  local start=$SECONDS go
  mkdir -p "$BIN"
  exec 9>"$CACHE/compose.lock"
  flock -w 900 9 || die "another compose.sh holds $CACHE/compose.lock"
  go="$(go_cmd)"
  compose_build "$go"
  lint_build "$go"
  debs_unpack
  log "deploy tools ready in $BIN ($((SECONDS - start)) s)"
}

cmd_env() {
  printf 'export WATCHPOST_DOCKER_COMPOSE=%q\n' "$BIN/docker-compose"
  printf 'export WATCHPOST_DOCKERFILE_LINT=%q\n' "$BIN/dockerfile-lint"
  printf 'export WATCHPOST_NGINX=%q\n' "$BIN/nginx"
  printf 'export WATCHPOST_SYSLOG_NG=%q\n' "$BIN/syslog-ng"
}

case "${1:-install}" in
  install) cmd_install ;;
  env) cmd_env ;;
  *) die "usage: $0 [install|env]" ;;
esac
