#!/usr/bin/env bash
# Builds kith's libFuzzer targets (fuzz/, Debian's clang with ASan and UBSan,
# in build-fuzz) and runs each for SECONDS (default 60), seeded from
# fuzz/corpus/<target>/. Exit 1 when a target finds an input that crashes or
# breaks its property: the input is kept in build-fuzz/findings/; fix the
# code, then copy the input into fuzz/corpus/<target>/ so that ctest
# fuzz_replay_<target> replays it from then on.
#
#   bash scripts/fuzz.sh [SECONDS] [--only TARGET]
#
# Targets: form_params multipart v4_request v4_get v3_request writers.
# Inputs the fuzzer found interesting are kept in build-fuzz/fuzz-work/ and
# used again by the next run; fuzz/corpus holds the seeds and regressions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=60
only=
while (($#)); do
  case $1 in
    --only) only=$2; shift 2 ;;
    [0-9]*) seconds=$1; shift ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

targets=(form_params multipart v4_request v4_get v3_request writers)
if [ -n "$only" ]; then targets=("$only"); fi

launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1: fast enough to fuzz, debuggable; assertions stay on.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DKITH_FUZZ=ON -DKITH_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
ninja -C build-fuzz "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p build-fuzz/findings
failed=()
for t in "${targets[@]}"; do
  work=build-fuzz/fuzz-work/$t
  mkdir -p "$work"
  echo "== fuzz_$t for ${seconds}s"
  # -timeout: an input that takes 10 s is a finding (every parser is linear).
  if ! build-fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t-" \
      "$work" "fuzz/corpus/$t" >"build-fuzz/fuzz-$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "build-fuzz/fuzz-$t.log"
  else
    grep -E '^(stat::number_of_executed_units|Done)' "build-fuzz/fuzz-$t.log" || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in build-fuzz/findings/)" >&2
  exit 1
fi
echo "fuzz.sh: no findings in ${#targets[@]} targets"
