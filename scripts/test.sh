#!/usr/bin/env bash
# Installs what is missing, builds kith with AddressSanitizer and UBSan, and
# runs the whole test suite (unit tests and integration tests over loopback),
# then each fuzz target for a short time (scripts/fuzz.sh, clang).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
(cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
# The benchmarks' programs are built too, so that they keep compiling.
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKITH_SANITIZE=ON -DKITH_BUILD_BENCH=ON >/dev/null
ninja -C build-test
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# A PostgreSQL cluster of its own, so that the store and integration tests
# also run on PostgreSQL (store_*_pg, integration_pg_*); removed on exit.
pg_dir=$(mktemp -d /tmp/kith-pg-XXXXXX)
trap 'bash scripts/pg-cluster.sh stop "$pg_dir"' EXIT
KITH_TEST_PG_URL=$(bash scripts/pg-cluster.sh start "$pg_dir")
export KITH_TEST_PG_URL
(cd build-test && ctest --output-on-failure -j2)
# Each libFuzzer target for 15 s (6 targets; scripts/fuzz.sh 600 runs longer).
bash scripts/fuzz.sh 15
