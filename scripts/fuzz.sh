#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-14, every library
# instrumented with ASan and UBSan, and runs each for FUZZ_SECONDS (default
# 20), starting from tests/fuzz/corpus/<name>. A crash fails.
# scripts/fuzz-long.sh is the long campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
seconds="${FUZZ_SECONDS:-20}"
targets="careplan_name_fuzzer:name csv_fuzzer:csv manifest_fuzzer:manifest broker_request_fuzzer:broker agent_fetch_fuzzer:fetch"
CXX=clang++-14 CC=clang-14 cmake -S . -B build-fuzz -DTAYORI_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target $(for p in $targets; do printf '%s ' "${p%%:*}"; done) >/dev/null
for pair in $targets; do
  target=${pair%%:*}
  seeds=tests/fuzz/corpus/${pair##*:}
  work=$(mktemp -d)
  cp "$seeds"/* "$work"/ 2>/dev/null || true
  echo "fuzzing $target for ${seconds}s"
  if ! build-fuzz/bin/$target "$work" -max_total_time="$seconds" -max_len=65536 -timeout=25 \
       -artifact_prefix=build-fuzz/ >build-fuzz/$target.log 2>&1; then
    tail -40 build-fuzz/$target.log
    echo "$target found a crash; the input is in build-fuzz/" >&2
    exit 1
  fi
  grep -E "^Done|^#[0-9]+ *DONE" build-fuzz/$target.log | tail -1
  rm -rf "$work"
done
