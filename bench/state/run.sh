#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/state/run.sh BUILD_DIR [--agents=N] [--tasks=T] [--frameworks=F]
#                   [--keep=K] [--seconds=S] [--count=C]
# One master on loopback in a temporary dir; two bench_state emulator
# processes bring N agents (the first K keep their streams; the master's
# open-file limit cannot hold 20k) with T running tasks each, spread over F
# load frameworks. Then, against that master:
#   1. C back-to-back fetches of /master/state and of GET_STATE, alone;
#   2. a probe framework launching one task at a time for S seconds
#      (baseline: nobody fetches state);
#   3. the same probe while a client fetches /master/state in a loop;
#   4. the same probe while a client fetches GET_STATE in a loop;
#   5. 3. again with the fetching client in the SCHED_IDLE class (chrt
#      --idle): it then gets no CPU the probe or the agents want, so this
#      row shows what the master's document writing costs a launch,
#      without the fetcher's share of the two cores.
# Prints one markdown table. Never fails on a figure.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [flags]}; shift
agents=20000; tasks=10; fws=10; keep=19000; secs=20; count=10; warmup=3
for a in "$@"; do
  case $a in
    --agents=*) agents=${a#*=} ;; --tasks=*) tasks=${a#*=} ;;
    --frameworks=*) fws=${a#*=} ;; --keep=*) keep=${a#*=} ;;
    --seconds=*) secs=${a#*=} ;; --count=*) count=${a#*=} ;;
    *) echo "unknown flag $a" >&2; exit 1 ;;
  esac
done
bin="$build/bench/state/bench_state"
dir=$(mktemp -d /tmp/corral-bench-state-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT
wait_file() { # path secs
  for _ in $(seq 1 $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}
# Disconnected emulated agents must stay in the state for the whole run.
"$build/bin/corral-master" --ip=127.0.0.1 --port=0 --ready_file="$dir/m.port" \
  --work_dir="$dir/m" --logging_level=WARNING --max_agent_ping_timeouts=1000 \
  2>"$dir/master.log" &
pids+=($!)
wait_file "$dir/m.port" 20
master=127.0.0.1:$(cat "$dir/m.port")
half=$((agents / 2))
t0=$(date +%s)
"$bin" agents --master=$master --first=0 --count=$half --keep=$keep \
  --tasks=$tasks --frameworks=$fws --ready_file="$dir/a.ready" \
  --load_frameworks 2>"$dir/agents-a.log" &
pids+=($!)
"$bin" agents --master=$master --first=$half --count=$((agents - half)) \
  --keep=$keep --tasks=$tasks --frameworks=$fws \
  --ready_file="$dir/b.ready" 2>"$dir/agents-b.log" &
pids+=($!)
wait_file "$dir/a.ready" 900
wait_file "$dir/b.ready" 900
echo "setup: $agents agents, $((agents * tasks)) tasks in $(( $(date +%s) - t0 )) s" >&2

val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
row() { # label fetch-output probe-output
  local f=$2 p=$3
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" \
    "${f:+$(val "$f" fetches)}" "${f:+$(val "$f" state_p50)}" \
    "${f:+$(val "$f" state_p99)}" "${f:+$(val "$f" size_mb)}" \
    "${p:+$(val "$p" launch_p50)}" "${p:+$(val "$p" launch_p99)}" \
    "${p:+$(val "$p" launch_max)}" "${p:+$(val "$p" offer_p50)}" \
    "${p:+$(val "$p" offer_p99)}" "${p:+$(val "$p" cycles)}"
}
state=$("$bin" fetch --master=$master --what=state --count=$count)
getstate=$("$bin" fetch --master=$master --what=get_state --count=$count)
base=$("$bin" probe --master=$master --seconds=$secs --warmup=$warmup)
loop_for=$((secs + warmup + 1))
"$bin" fetch --master=$master --what=state --seconds=$loop_for >"$dir/f1" &
fp=$!
under_state=$("$bin" probe --master=$master --seconds=$secs --warmup=$warmup)
wait $fp
"$bin" fetch --master=$master --what=get_state --seconds=$loop_for >"$dir/f2" &
fp=$!
under_getstate=$("$bin" probe --master=$master --seconds=$secs --warmup=$warmup)
wait $fp
chrt --idle 0 "$bin" fetch --master=$master --what=state --seconds=$loop_for \
  >"$dir/f3" &
fp=$!
under_idle=$("$bin" probe --master=$master --seconds=$secs --warmup=$warmup)
wait $fp
echo "| scenario | fetches | state p50 ms | state p99 ms | size MB | launch p50 ms | launch p99 ms | launch max ms | offer p50 ms | offer p99 ms | cycles |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
row "/master/state alone" "$state" ""
row "GET_STATE alone" "$getstate" ""
row "probe, no state fetching (baseline)" "" "$base"
row "probe + /master/state in a loop" "$(cat "$dir/f1")" "$under_state"
row "probe + GET_STATE in a loop" "$(cat "$dir/f2")" "$under_getstate"
row "probe + /master/state in a loop, fetcher SCHED_IDLE" "$(cat "$dir/f3")" \
  "$under_idle"
lost=$(cat "$dir"/agents-*.log | grep -c "stream closed" || true)
echo "emulated agent streams closed by the master during the run: $lost" >&2
