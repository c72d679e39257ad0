#!/usr/bin/env bash
# Installs what kith needs to build and test, from Debian 12's packages.
# Safe to run again: apt-get skips what is already there. postgresql-15 is for
# the tests (scripts/pg-cluster.sh), nginx for scripts/deploy-demo.sh; kith itself
# needs only libpq. clang and libexpat1-dev are for the fuzz targets (fuzz/,
# scripts/fuzz.sh). chromium runs
# the API explorer's browser test (tests/integration/explorer.test.mjs).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  libboost-dev nlohmann-json3-dev libsodium-dev libabsl-dev libcli11-dev
  libsqlite3-dev sqlite3 libpq-dev libssl-dev openssl postgresql-15 postgresql-client-15 nginx-light libgtest-dev libgmock-dev liblua5.4-dev libmimalloc-dev
  libexpat1-dev
  # The fuzz targets (scripts/fuzz.sh): clang, and its libFuzzer and sanitizer runtimes.
  clang libclang-rt-14-dev
  chromium
)
# Node.js runs the integration tests; the machine's own (newer) one is kept.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
