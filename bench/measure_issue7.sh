#!/usr/bin/env bash
# The issue-7 measurements (docs/performance.md): every target shape, RUNS
# times each, gateway pinned to GW_CPUS with one worker and the load generator
# to LG_CPUS, a fresh gateway per run, one nats-server with JetStream (file
# storage) in a temp dir for the whole session. Everything on 127.0.0.1; every
# run is bounded by `timeout`. Writes <shape>.<run>.{json,txt,pre} into OUT_DIR;
# bench/summarize_runs.py turns them into the results table.
#
#   bazel build -c opt //gateway:switchboard-gateway //bench:loadgen \
#       //bench/baseline:baseline-server
#   BIN=$(bazel info -c opt bazel-bin) bench/measure_issue7.sh /tmp/issue7 [SHAPE...]
#
# SHAPE: many_rooms big_room idle_memory publish_acks reconnect_storm
#        presence_churn baseline_big_room two_workers (default: all).
# Environment: BIN (bazel-bin with the three binaries), RUNS (3), GW_CPUS (0),
# LG_CPUS (1), NATS_CPUS (unset: nats-server is not pinned), GW_EXTRA_FLAGS (more gateway flags, e.g. "--storage=memory"), LOAD_MAX (1.5: wait until the 1-minute load average is below
# it...), LOAD_WAIT_MAX (...for at most this many seconds, then go on and
# say so in the .pre file).
set -euo pipefail

OUT=${1:?usage: $0 OUT_DIR [SHAPE...]}
shift
SHAPES=("$@")
if [ ${#SHAPES[@]} -eq 0 ]; then
  SHAPES=(many_rooms big_room idle_memory publish_acks reconnect_storm presence_churn
          baseline_big_room two_workers)
fi
BIN=${BIN:?set BIN to the bazel-bin directory holding the binaries}
GATEWAY=$BIN/gateway/switchboard-gateway
LOADGEN=$BIN/bench/loadgen
BASELINE=$BIN/bench/baseline/baseline-server
RUNS=${RUNS:-3}
GW_CPUS=${GW_CPUS:-0}
LG_CPUS=${LG_CPUS:-1}
LOAD_MAX=${LOAD_MAX:-1.5}
LOAD_WAIT_MAX=${LOAD_WAIT_MAX:-900}
NATS_PORT=${NATS_PORT:-14222}
GW_PORT=${GW_PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-18081}
GW_EXTRA_FLAGS=${GW_EXTRA_FLAGS:-}

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/issue7.XXXXXX)
SERVER_PID=""
NATS_PID=""

cleanup() {
  [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true
  [ -n "$NATS_PID" ] && kill -TERM "$NATS_PID" 2>/dev/null || true
  [ -n "$NATS_PID" ] && wait "$NATS_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# One fd per connection on each side, plus room for the reconnect storm.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

head -c 48 /dev/urandom | base64 | tr -d '\n=' > "$WORK/key"
${NATS_CPUS:+taskset -c "$NATS_CPUS"} /usr/sbin/nats-server -js -sd "$WORK/js" -a 127.0.0.1 -p "$NATS_PORT" -m 18222 \
  > "$WORK/nats.log" 2>&1 &
NATS_PID=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:18222/healthz" > /dev/null && break
  sleep 0.1
done

wait_for_quiet() {
  local waited=0 calm=0
  while [ "$waited" -lt "$LOAD_WAIT_MAX" ]; do
    if awk -v max="$LOAD_MAX" '{ exit !($1 < max) }' /proc/loadavg; then
      calm=$((calm + 5))
      [ "$calm" -ge 60 ] && return 0
    else
      calm=0
    fi
    sleep 5
    waited=$((waited + 5))
  done
  echo "load average stayed above $LOAD_MAX for ${LOAD_WAIT_MAX}s; measuring anyway" >&2
  return 1
}

wait_ready() {
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$ADMIN_PORT/readyz" > /dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_gateway() {  # $1 workers, $2 cpu list ("" = unpinned)
  local pin=()
  [ -n "$2" ] && pin=(taskset -c "$2")
  "${pin[@]}" "$GATEWAY" --nats_url="nats://127.0.0.1:$NATS_PORT" \
    --listen="127.0.0.1:$GW_PORT" --admin_listen="127.0.0.1:$ADMIN_PORT" \
    --jwt_hs256_key_file="$WORK/key" --workers="$1" \
    --max_connections=200000 --max_connections_per_ip=200000 \
    --publish_rate=100000 --publish_burst=100000 --drain_timeout=2s --drain_window=1s \
    --log_level=warn $GW_EXTRA_FLAGS > "$WORK/gateway.log" 2>&1 &
  SERVER_PID=$!
  wait_ready || { cat "$WORK/gateway.log" >&2; return 1; }
}

start_baseline() {
  taskset -c "$GW_CPUS" "$BASELINE" --port="$GW_PORT" > "$WORK/baseline.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q listening "$WORK/baseline.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# run NAME INDEX SERVER(gateway|gateway2|baseline) LOADGEN_ARGS...
run() {
  local name=$1 i=$2 server=$3
  shift 3
  local lg_pin=(taskset -c "$LG_CPUS")
  case "$server" in
    gateway) start_gateway 1 "$GW_CPUS" ;;
    gateway2) start_gateway 2 ""; lg_pin=() ;;
    baseline) start_baseline ;;
  esac
  local before
  before=$(rss_kib "$SERVER_PID")
  printf '{"rss_before_kib": %s, "loadavg": "%s", "server": "%s", "quiet_before_shape": %s}\n' \
    "$before" "$(cut -d' ' -f1-3 /proc/loadavg)" "$server" "$QUIET" > "$OUT/$name.$i.pre"
  echo "== $name run $i ($server, load $(cut -d' ' -f1 /proc/loadavg))"
  timeout 600 "${lg_pin[@]}" "$LOADGEN" --port="$GW_PORT" --key_file="$WORK/key" \
    --gateway_pid="$SERVER_PID" --json_out="$OUT/$name.$i.json" "$@" \
    > "$OUT/$name.$i.txt" 2> "$OUT/$name.$i.log" || echo "   loadgen failed: $?" >&2
  tail -n +1 "$OUT/$name.$i.txt" | grep -E "delivery ratio|end-to-end|ack latency|storm|join latency|gateway|loadgen|error" || true
  stop_server
  # Let TIME_WAIT sockets and the previous gateway's JetStream consumers go.
  sleep 5
}

shape() {  # shape NAME SERVER LOADGEN_ARGS...
  local name=$1
  shift
  QUIET=true
  wait_for_quiet || QUIET=false
  for i in $(seq "$RUNS"); do run "$name" "$i" "$@"; done
}

for s in "${SHAPES[@]}"; do
  case "$s" in
    many_rooms)
      shape many_rooms gateway --scenario=many_rooms --connections=10000 --room_size=100 \
        --rate=300 --message_bytes=64 --warmup=2s --duration=10s --drain=10s ;;
    big_room)
      shape big_room gateway --scenario=big_room --connections=10000 --rate=100 \
        --message_bytes=64 --warmup=2s --duration=10s --drain=30s ;;
    idle_memory)
      shape idle_memory gateway --scenario=many_rooms --connections=10000 --room_size=100 \
        --rate=0.5 --warmup=1s --duration=5s --drain=2s ;;
    publish_acks)
      shape publish_acks gateway --scenario=publish_acks --connections=1000 --room_size=10 \
        --rate=5000 --message_bytes=64 --warmup=2s --duration=10s --drain=10s ;;
    reconnect_storm)
      shape reconnect_storm gateway --scenario=reconnect_storm --connections=10000 \
        --room_size=100 --rate=300 --message_bytes=64 --warmup=2s --duration=15s \
        --reconnect_window=2s --drain=20s ;;
    presence_churn)
      shape presence_churn gateway --scenario=presence_churn --connections=10000 \
        --room_size=100 --rate=500 --warmup=2s --duration=10s --drain=10s ;;
    baseline_big_room)
      shape baseline_big_room baseline --protocol=raw --scenario=big_room --connections=10000 \
        --rate=100 --message_bytes=64 --warmup=2s --duration=10s --drain=30s ;;
    two_workers)
      RUNS_SAVED=$RUNS
      RUNS=1
      shape two_workers_big_room gateway2 --scenario=big_room --connections=10000 --rate=100 \
        --message_bytes=64 --warmup=2s --duration=10s --drain=30s
      shape two_workers_many_rooms gateway2 --scenario=many_rooms --connections=10000 \
        --room_size=100 --rate=300 --message_bytes=64 --warmup=2s --duration=10s --drain=10s
      RUNS=$RUNS_SAVED ;;
    *) echo "unknown shape $s" >&2; exit 2 ;;
  esac
done
