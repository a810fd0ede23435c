#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/launch/run.sh BUILD_DIR [bench_launch flags]: start a master and one
# agent on free loopback ports in a temporary dir, run bench_launch against
# them, stop both (by pid), print the table.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [flags]}; shift
dir=$(mktemp -d /tmp/corral-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pkill -KILL -f "$dir" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
wait_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
"$build/bin/corral-master" --ip=127.0.0.1 --port=0 --ready_file="$dir/m.port" \
  --work_dir="$dir/m" --logging_level=WARNING 2>"$dir/master.log" &
pids+=($!)
wait_file "$dir/m.port"
mport=$(cat "$dir/m.port")
"$build/bin/corral-agent" --ip=127.0.0.1 --port=0 --ready_file="$dir/a.port" \
  --master=127.0.0.1:$mport --work_dir="$dir/a" --logging_level=WARNING \
  --resources='cpus:64;mem:65536;disk:65536' 2>"$dir/agent.log" &
pids+=($!)
wait_file "$dir/a.port"
"$build/bench/launch/bench_launch" --master=127.0.0.1:$mport "$@"
