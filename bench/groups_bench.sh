#!/usr/bin/env bash
# Builds and runs bench/groups_bench.cc: the latency of "members of group",
# "members of smart group" and "count of smart group" (and nested variants)
# through the 3.2 API's code path, over 100k contacts.
#   bash bench/groups_bench.sh [--contacts N] [--runs R]
# BUILD_DIR (default build-bench) is configured Release with KITH_BUILD_BENCH=ON.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DKITH_BUILD_BENCH=ON -DKITH_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" groups_bench >/dev/null
exec "$build/bench/groups_bench" "$@"
