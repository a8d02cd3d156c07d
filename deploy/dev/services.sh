#!/usr/bin/env bash
# Development and test services: our own Redis and Elasticsearch on 127.0.0.1, state under
# .cache/dev/ at the repository root. Idempotent: `up` on running services is a no-op.
#
#   bash deploy/dev/services.sh [up|down|status|env]
#
# Environment:
#   WATCHPOST_DEV_REDIS_PORT  default 6390
#   WATCHPOST_DEV_ES_PORT     default 9250 (transport port = http port + 100)
#   WATCHPOST_DEV_ES_VERSION  default: the newest integ-test-zip on Maven Central that an installed
#                             JDK runs: 9.5.4 when a JDK 21+ is under /usr/lib/jvm, else 8.19.21
#                             (8.x runs on JDK 17, 9.x on JDK 21+)
#
# Both servers are daemons in their own session with stdin/stdout detached, so they outlive this
# script and are unaffected when the shell that ran it is killed. Downloads and unpacking go to a
# temporary name first and are renamed into place, so an interrupted run leaves no half-written
# cache behind.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEV_DIR="$REPO_ROOT/.cache/dev"

REDIS_PORT="${WATCHPOST_DEV_REDIS_PORT:-6390}"
REDIS_DIR="$DEV_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"

# The newest versions Maven Central serves as integ-test-zip (checked 2026-11-24).
ES_NEWEST_9="9.5.4"
ES_NEWEST_8="8.19.21"
default_es_version() {
  local candidate
  for candidate in /usr/lib/jvm/temurin-2* /usr/lib/jvm/java-2*-openjdk-amd64; do
    if [[ -x "$candidate/bin/java" ]]; then
      printf '%s\n' "$ES_NEWEST_9"
      return
    fi
  done
  printf '%s\n' "$ES_NEWEST_8"
}
ES_VERSION="${WATCHPOST_DEV_ES_VERSION:-$(default_es_version)}"
ES_PORT="${WATCHPOST_DEV_ES_PORT:-9250}"
ES_TRANSPORT_PORT="$((ES_PORT + 100))"
ES_DIST_DIR="$DEV_DIR/es-dist"
ES_ZIP="$ES_DIST_DIR/elasticsearch-$ES_VERSION.zip"
ES_HOME="$ES_DIST_DIR/elasticsearch-$ES_VERSION"
# One data directory per version and port: an 8.x data directory opened by 9.x is upgraded in
# place and can no longer be opened by 8.x, and two nodes cannot share one.
ES_INSTANCE="$ES_VERSION-$ES_PORT"
ES_DATA="$DEV_DIR/es-data/$ES_INSTANCE"
ES_LOGS="$DEV_DIR/es-logs/$ES_INSTANCE"
# path.repo: where snapshot repositories of type fs may live (the backup and restore tests register
# one under it, with a relative location). A static setting: a node started before it was added
# must be restarted (down, up) to get it.
ES_SNAPSHOTS="$DEV_DIR/es-snapshots/$ES_INSTANCE"
ES_PIDFILE="$ES_LOGS/elasticsearch.pid"
ES_USER="wpes"
ES_READY_TIMEOUT=120

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- helpers -----------------------------------------------------------------------------------

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { [[ -s "$1" ]] && tr -dc '0-9' <"$1" || true; }

redis_answers() {
  [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" == "PONG" ]]
}

es_answers() {
  # The integ-test-zip build has no `GET /` handler (405), so readiness is the health endpoint.
  curl -fsS -o /dev/null --max-time 3 \
    "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null
}

es_java_home() {
  local major="${ES_VERSION%%.*}" candidate
  local -a candidates=()
  if [[ "$major" -ge 9 ]]; then
    # shellcheck disable=SC2206 # glob expansion intended
    candidates=(/usr/lib/jvm/temurin-2* /usr/lib/jvm/java-2*-openjdk-amd64)
  else
    candidates=(/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-2* /usr/lib/jvm/java-2*-openjdk-amd64)
  fi
  for candidate in "${candidates[@]}"; do
    if [[ -x "$candidate/bin/java" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  die "no suitable JDK for Elasticsearch $ES_VERSION under /usr/lib/jvm (8.x needs 17+, 9.x needs 21+)"
}

# Stop the process in a pid file, waiting up to $2 seconds before SIGKILL; $3 names it.
stop_pidfile() {
  local pidfile="$1" grace="$2" name="$3" pid i
  pid="$(read_pid "$pidfile")"
  if ! pid_alive "$pid"; then
    log "$name not running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    log "$name (pid $pid) did not stop in ${grace} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

# --- redis -------------------------------------------------------------------------------------

redis_up() {
  local start=$SECONDS i
  if redis_answers; then
    log "redis already answering on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    log "installing redis-server with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p "$REDIS_DIR"
  # Our own instance, not the system service: daemonized, own session, AOF on, never evicts.
  setsid redis-server \
    --daemonize yes \
    --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_DIR/redis.log" \
    --appendonly yes --maxmemory-policy noeviction \
    </dev/null >/dev/null 2>&1 9>&- ||
    die "redis-server failed to start; see $REDIS_DIR/redis.log"
  for ((i = 0; i < 100; i++)); do
    redis_answers && break
    sleep 0.1
  done
  if ! redis_answers; then
    tail -n 30 "$REDIS_DIR/redis.log" >&2 || true
    die "redis did not answer PING on 127.0.0.1:$REDIS_PORT"
  fi
  log "redis ready on 127.0.0.1:$REDIS_PORT ($((SECONDS - start)) s)"
}

# --- elasticsearch -----------------------------------------------------------------------------

es_fetch() {
  [[ -x "$ES_HOME/bin/elasticsearch" ]] && return 0
  mkdir -p "$ES_DIST_DIR"
  if [[ ! -s "$ES_ZIP" ]]; then
    log "fetching elasticsearch $ES_VERSION with Maven"
    local tmp="$ES_DIST_DIR/.download.$$"
    rm -rf "$tmp"
    mvn -q -B -Dstyle.color=never dependency:copy \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      "-DoutputDirectory=$tmp" </dev/null >"$ES_DIST_DIR/maven.log" 2>&1 || {
      rm -rf "$tmp"
      tail -n 30 "$ES_DIST_DIR/maven.log" >&2 || true
      die "maven could not fetch elasticsearch $ES_VERSION (log: $ES_DIST_DIR/maven.log)"
    }
    mv "$tmp/elasticsearch-$ES_VERSION.zip" "$ES_ZIP"
    rm -rf "$tmp"
  fi
  log "unpacking elasticsearch $ES_VERSION"
  local unpack="$ES_DIST_DIR/.unpack.$$"
  rm -rf "$unpack"
  mkdir -p "$unpack"
  unzip -q "$ES_ZIP" -d "$unpack"
  [[ -x "$unpack/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] ||
    { rm -rf "$unpack"; die "unexpected layout in $ES_ZIP"; }
  rm -rf "$ES_HOME"
  mv "$unpack/elasticsearch-$ES_VERSION" "$ES_HOME"
  rm -rf "$unpack"
}

es_user() {
  id -u "$ES_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
}

es_running_version() {
  curl -fsS --max-time 3 "http://127.0.0.1:$ES_PORT/_nodes/_local?filter_path=nodes.*.version" 2>/dev/null |
    sed -n 's/.*"version":"\([^"]*\)".*/\1/p'
}

es_up() {
  local start=$SECONDS java_home pid running
  if es_answers; then
    running="$(es_running_version)"
    if [[ -n "$running" && "$running" != "$ES_VERSION" ]]; then
      die "elasticsearch $running is answering on 127.0.0.1:$ES_PORT, not $ES_VERSION; run 'down' first or set WATCHPOST_DEV_ES_PORT"
    fi
    log "elasticsearch ${running:-$ES_VERSION} already answering on 127.0.0.1:$ES_PORT"
    if ! curl -fsS --max-time 3 "http://127.0.0.1:$ES_PORT/_nodes/_local/settings?filter_path=nodes.*.settings.path.repo" 2>/dev/null | grep -q '"repo"'; then
      log "warning: it was started without path.repo (snapshot tests fail); restart it: $0 down && $0 up"
    fi
    return 0
  fi
  pid="$(read_pid "$ES_PIDFILE")"
  if pid_alive "$pid"; then
    log "elasticsearch (pid $pid) is starting; waiting for it"
  else
    rm -f "$ES_PIDFILE"
    java_home="$(es_java_home)"
    es_fetch
    es_user
    mkdir -p "$ES_DATA" "$ES_LOGS" "$ES_SNAPSHOTS"
    # ES refuses to run as root; it also writes its keystore into config/ on first start.
    chown -R "$ES_USER:" "$ES_HOME" "$ES_DATA" "$ES_LOGS" "$ES_SNAPSHOTS"
    sysctl -q -w vm.max_map_count=262144 >/dev/null 2>&1 || true
    log "starting elasticsearch $ES_VERSION on 127.0.0.1:$ES_PORT (JDK $(basename "$java_home"))"
    # setsid: own session, so a signal to this script's process group does not reach the server;
    # all standard streams detached so the daemon never holds a caller's pipe open.
    (
      cd "$ES_HOME"
      exec setsid runuser -u "$ES_USER" -- env -u JAVA_HOME \
        ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="-Xms512m -Xmx512m" \
        bin/elasticsearch -d -p "$ES_PIDFILE" \
        -E discovery.type=single-node \
        -E xpack.security.enabled=false \
        -E network.host=127.0.0.1 \
        -E http.port="$ES_PORT" \
        -E transport.port="$ES_TRANSPORT_PORT" \
        -E path.data="$ES_DATA" \
        -E path.logs="$ES_LOGS" \
        -E path.repo="$ES_SNAPSHOTS" \
        -E cluster.routing.allocation.disk.threshold_enabled=false \
        -E action.destructive_requires_name=false
    ) </dev/null >"$ES_LOGS/startup.out" 2>&1 9>&- || {
      tail -n 40 "$ES_LOGS/startup.out" >&2 || true
      tail -n 40 "$ES_LOGS/elasticsearch.log" >&2 2>/dev/null || true
      die "elasticsearch failed to start"
    }
  fi
  while ! es_answers; do
    pid="$(read_pid "$ES_PIDFILE")"
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      tail -n 40 "$ES_LOGS/elasticsearch.log" >&2 2>/dev/null || true
      die "elasticsearch (pid $pid) exited during startup"
    fi
    if ((SECONDS - start >= ES_READY_TIMEOUT)); then
      tail -n 40 "$ES_LOGS/startup.out" >&2 2>/dev/null || true
      tail -n 40 "$ES_LOGS/elasticsearch.log" >&2 2>/dev/null || true
      die "elasticsearch not ready on 127.0.0.1:$ES_PORT after $ES_READY_TIMEOUT s"
    fi
    sleep 1
  done
  log "elasticsearch $ES_VERSION ready on 127.0.0.1:$ES_PORT ($((SECONDS - start)) s)"
}

# --- commands ----------------------------------------------------------------------------------

with_lock() {
  mkdir -p "$DEV_DIR"
  exec 9>"$DEV_DIR/services.lock"
  flock -w 300 9 || die "another services.sh holds $DEV_DIR/services.lock"
}

cmd_up() {
  with_lock
  local start=$SECONDS
  redis_up
  es_up
  log "services up ($((SECONDS - start)) s)"
}

cmd_down() {
  with_lock
  stop_pidfile "$REDIS_PIDFILE" 20 "redis"
  stop_pidfile "$ES_PIDFILE" 60 "elasticsearch"
}

cmd_status() {
  local pid state
  pid="$(read_pid "$REDIS_PIDFILE")"
  if redis_answers; then state="answering"; else state="not answering"; fi
  printf 'redis          127.0.0.1:%-5s %-14s pid %s\n' "$REDIS_PORT" "$state" "${pid:--}"
  pid="$(read_pid "$ES_PIDFILE")"
  if es_answers; then state="answering"; else state="not answering"; fi
  printf 'elasticsearch  127.0.0.1:%-5s %-14s pid %s (version %s)\n' "$ES_PORT" "$state" "${pid:--}" "$ES_VERSION"
  redis_answers && es_answers
}

cmd_env() {
  printf 'export WATCHPOST_TEST_ES_URL=http://127.0.0.1:%s\n' "$ES_PORT"
  printf 'export WATCHPOST_TEST_REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) die "usage: $0 [up|down|status|env]" ;;
esac
