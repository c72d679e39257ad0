#!/usr/bin/env bash
# Installs what is missing, builds kith with AddressSanitizer and UBSan, and
# runs the whole test suite (unit tests and integration tests over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
(cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKITH_SANITIZE=ON >/dev/null
ninja -C build-test
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-test && ctest --output-on-failure -j2
