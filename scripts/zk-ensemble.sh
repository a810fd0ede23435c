#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Start and stop a throw-away ZooKeeper ensemble on 127.0.0.1, for tests
# and HA demos. Uses Debian's `zookeeper` package (installed through
# scripts/install-deps.sh --zookeeper when missing).
#
#   zk-ensemble.sh start DIR [N] [--owner PID]
#       Start N (1 or 3; default 1) servers on free loopback ports, with
#       their config, data and logs under DIR/node<i>/ (1 node runs in
#       standalone mode). Returns once every server serves and, for 3, a
#       leader is elected. Writes the connect string ("127.0.0.1:p1,...")
#       to DIR/connect and prints it. With --owner, a watchdog stops the
#       ensemble when process PID exits (so a crashed test leaks nothing).
#   zk-ensemble.sh stop DIR            stop every server (by pid) and the
#                                      watchdog
#   zk-ensemble.sh stop-node DIR I     SIGKILL server I (1-based)
#   zk-ensemble.sh start-node DIR I    restart server I with its old config
#   zk-ensemble.sh pid DIR I           print server I's pid
#
# Exit status: 0 ok, 1 failure, 2 usage, 3 ZooKeeper (java + jar)
# unavailable and not installable. Servers use tickTime=500 ms and accept
# session timeouts from 1 s to 40 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
jar=/usr/share/java/zookeeper.jar
mult=${CR_TEST_TIMEOUT_MULT:-1}

die() { echo "zk-ensemble: $*" >&2; exit 1; }
usage() { sed -n '4,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ensure_zookeeper() {
  if [ ! -r "$jar" ] || ! command -v java >/dev/null; then
    "$here/install-deps.sh" --zookeeper >&2 || true
  fi
  if [ ! -r "$jar" ] || ! command -v java >/dev/null; then
    echo "zk-ensemble: ZooKeeper is not installed (apt-get install zookeeper)" >&2
    exit 3
  fi
}

# Print n distinct free TCP ports on 127.0.0.1 (bound together, then freed).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Send a four-letter word to 127.0.0.1:port; print the answer.
fourlw() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 && echo "$2" >&3 && cat <&3' \
    _ "$1" "$2" 2>/dev/null || true
}

classpath() {
  local cp=$jar
  [ -r /usr/share/java/slf4j-simple.jar ] && cp=$cp:/usr/share/java/slf4j-simple.jar
  echo "$cp"
}

start_node() { # dir i
  local node=$1/node$2
  [ -f "$node/zoo.cfg" ] || die "no config for node $2 in $1"
  setsid java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dzookeeper.jmx.log4j.disable=true \
    -cp "$(classpath)" org.apache.zookeeper.server.quorum.QuorumPeerMain \
    "$node/zoo.cfg" </dev/null >>"$node/server.log" 2>&1 &
  echo $! >"$node/pid"
}

write_config() { # dir i n ports...
  local dir=$1 i=$2 n=$3; shift 3
  local ports=("$@") node=$dir/node$i
  mkdir -p "$node/data"
  echo "$i" >"$node/data/myid"
  {
    echo "tickTime=500"
    echo "maxSessionTimeout=40000"
    echo "initLimit=20"
    echo "syncLimit=10"
    echo "dataDir=$node/data"
    echo "clientPort=${ports[$(( (i - 1) * 3 ))]}"
    echo "clientPortAddress=127.0.0.1"
    echo "maxClientCnxns=0"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=*"
    echo "electionPortBindRetry=3"
    if [ "$n" -gt 1 ]; then
      for j in $(seq 1 "$n"); do
        local b=$(( (j - 1) * 3 ))
        echo "server.$j=127.0.0.1:${ports[$((b + 1))]}:${ports[$((b + 2))]}"
      done
    fi
  } >"$node/zoo.cfg"
  echo "${ports[$(( (i - 1) * 3 ))]}" >"$node/port"
}

# Wait until every node answers srvr with a mode (and one leads, for n>1).
wait_ready() { # dir n
  local dir=$1 n=$2 deadline=$((SECONDS + 30 * mult))
  while [ $SECONDS -lt $deadline ]; do
    local ok=0 leaders=0
    for i in $(seq 1 "$n"); do
      local mode
      mode=$(fourlw "$(cat "$dir/node$i/port")" srvr | sed -n 's/^Mode: //p')
      case "$mode" in
        standalone|follower) ok=$((ok + 1)) ;;
        leader) ok=$((ok + 1)); leaders=$((leaders + 1)) ;;
      esac
      alive "$(cat "$dir/node$i/pid")" ||
        die "server $i exited; see $dir/node$i/server.log"
    done
    if [ $ok -eq "$n" ] && { [ "$n" -eq 1 ] || [ $leaders -eq 1 ]; }; then
      return 0
    fi
    sleep 0.1
  done
  die "ensemble in $dir not ready after $((30 * mult))s"
}

# True if pid runs (a zombie does not count).
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  local state
  state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)
  [ "$state" != Z ]
}

stop_all() { # dir
  local dir=$1
  if [ -f "$dir/watchdog.pid" ]; then
    local w
    w=$(cat "$dir/watchdog.pid")
    [ "$w" = $$ ] || kill "$w" 2>/dev/null || true
    rm -f "$dir/watchdog.pid"
  fi
  local pids=()
  for p in "$dir"/node*/pid; do
    [ -f "$p" ] || continue
    local pid
    pid=$(cat "$p")
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$p"
  done
  local deadline=$((SECONDS + 10))
  for pid in ${pids[@]+"${pids[@]}"}; do
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do
      sleep 0.05
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
}

start_watchdog() { # dir owner
  local dir=$1 owner=$2
  setsid bash -c '
    while kill -0 "$2" 2>/dev/null; do sleep 0.5; done
    exec "$0" stop "$1"' "$0" "$dir" "$owner" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/watchdog.pid"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start)
    [ $# -ge 1 ] || usage
    dir=$1; shift
    n=1 owner=
    while [ $# -gt 0 ]; do
      case "$1" in
        --owner) owner=${2:?}; shift 2 ;;
        1|3) n=$1; shift ;;
        *) usage ;;
      esac
    done
    ensure_zookeeper
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    read -r -a ports <<<"$(free_ports $((n * 3)))"
    connect=""
    for i in $(seq 1 "$n"); do
      write_config "$dir" "$i" "$n" "${ports[@]}"
      connect="$connect${connect:+,}127.0.0.1:$(cat "$dir/node$i/port")"
    done
    [ -n "$owner" ] && start_watchdog "$dir" "$owner"
    for i in $(seq 1 "$n"); do start_node "$dir" "$i"; done
    if ! (wait_ready "$dir" "$n"); then
      stop_all "$dir"
      exit 1
    fi
    echo "$connect" >"$dir/connect"
    echo "$connect"
    ;;
  stop)
    [ $# -eq 1 ] || usage
    stop_all "$1"
    ;;
  stop-node)
    [ $# -eq 2 ] || usage
    pid=$(cat "$1/node$2/pid") || die "no server $2 in $1"
    kill -CONT "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    rm -f "$1/node$2/pid"
    ;;
  start-node)
    [ $# -eq 2 ] || usage
    ensure_zookeeper
    start_node "$1" "$2"
    ;;
  pid)
    [ $# -eq 2 ] || usage
    cat "$1/node$2/pid"
    ;;
  *) usage ;;
esac
