#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/failover/run.sh BUILD_DIR [bench_failover flags]
# A 1-node ZooKeeper and three masters (--zk_session_timeout=2secs,
# --quorum=2) on loopback in a temporary dir; bench_failover emulates the
# agents and a framework, kills the leader and prints the failover times.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [flags]}; shift
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/corral-failover-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$here/../../scripts/zk-ensemble.sh" stop "$dir/zk" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT
"$here/../../scripts/zk-ensemble.sh" start "$dir/zk" 1 >/dev/null
zk="zk://$(cat "$dir/zk/connect")/corral"
map=""
for i in 1 2 3; do
  "$build/bin/corral-master" --ip=127.0.0.1 --port=0 --ready_file="$dir/m$i.port" \
    --zk="$zk" --quorum=2 --zk_session_timeout=2secs --work_dir="$dir/m$i" \
    --logging_level=WARNING 2>"$dir/m$i.log" &
  pids+=($!)
  for _ in $(seq 1 200); do [ -s "$dir/m$i.port" ] && break; sleep 0.05; done
  map="$map${map:+,}$(cat "$dir/m$i.port")=${pids[-1]}"
done
"$build/bench/failover/bench_failover" --zk="$zk" --pids="$map" "$@"
