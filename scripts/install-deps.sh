#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Install the Debian 12 packages Corral builds and tests with, but only
# those that are missing (a no-op on a machine that has them all).
# Usage: scripts/install-deps.sh [--asan] [--zookeeper] [--gotest] [--webui]
#   --gotest: Go and the mesos-go v1 library, for the test that runs a
#             mesos-go framework against the master (built offline).
#   --webui:  Chromium, and Node.js/npm unless already on the PATH, for the
#             web UI test (tests/integration/test_webui.py).
set -euo pipefail

pkgs=(cmake ninja-build pkg-config gcc libc6-dev make
      libuv1-dev libhttp-parser-dev libjansson-dev libcurl4-openssl-dev
      liblmdb-dev libcmocka-dev uthash-dev libbsd-dev libzookeeper-mt-dev
      python3 tar unzip gzip procps)
for arg in "$@"; do
  case "$arg" in
    --asan) pkgs+=(clang libclang-rt-14-dev) ;;
    --zookeeper) pkgs+=(zookeeper) ;;
    --gotest) pkgs+=(golang-go golang-github-mesos-mesos-go-dev) ;;
    --webui) pkgs+=(chromium)
             command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm) ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 1 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
