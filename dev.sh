#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# One entry point for people and CI:
#   ./dev.sh local [corral local flags]   install what is missing, build,
#                                         start a local cluster
#   ./dev.sh test                         install, build (-Werror), run all tests
#   ./dev.sh test-asan                    the same under ASan+UBSan (clang)
#   ./dev.sh build                        install and build only
#   ./dev.sh bench                        Release build, run the benchmarks
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc 2>/dev/null || echo 2)

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  local)
    scripts/install-deps.sh
    build build
    exec build/bin/corral local "$@"
    ;;
  build)
    scripts/install-deps.sh
    build build
    ;;
  test)
    scripts/install-deps.sh --gotest --zookeeper --webui
    build build -DCR_WERROR=ON
    cd build && ctest --output-on-failure -j "$jobs" "$@"
    ;;
  test-asan)
    scripts/install-deps.sh --asan --gotest --zookeeper --webui
    CC=clang build build-asan -DCR_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
      -DCR_SANITIZE="address;undefined"
    cd build-asan && CR_TEST_TIMEOUT_MULT=3 \
      ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp print_suppressions=0" \
      ctest --output-on-failure -j "$jobs" "$@"
    ;;
  bench)
    scripts/install-deps.sh
    build build-release -DCMAKE_BUILD_TYPE=Release
    for b in build-release/bench/*/bench_*; do [ -x "$b" ] && "$b"; done
    ;;
  *)
    sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 1
    ;;
esac
