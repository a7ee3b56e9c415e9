#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-14 and runs each for
# FUZZ_SECONDS (default 20), starting from tests/fuzz/corpus. A crash fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
CXX=clang++-14 CC=clang-14 cmake -S . -B build-fuzz -DTAYORI_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 >/dev/null
for pair in careplan_name_fuzzer:name csv_fuzzer:csv; do
  target=${pair%%:*}
  seeds=tests/fuzz/corpus/${pair##*:}
  work=$(mktemp -d)
  cp "$seeds"/* "$work"/
  echo "fuzzing $target for ${seconds}s"
  if ! build-fuzz/bin/$target "$work" -max_total_time="$seconds" -max_len=65536 \
       -artifact_prefix=build-fuzz/ >build-fuzz/$target.log 2>&1; then
    tail -40 build-fuzz/$target.log
    echo "$target found a crash; the input is in build-fuzz/" >&2
    exit 1
  fi
  grep -E "^Done|^#[0-9]+ *DONE" build-fuzz/$target.log | tail -1
  rm -rf "$work"
done
