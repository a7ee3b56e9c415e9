#!/usr/bin/env bash
# The long fuzzing campaign (not part of the test command): builds the
# libFuzzer targets as scripts/fuzz.sh does, runs each for FUZZ_SECONDS
# (default 3600: one CPU-hour per target) on JOBS cores at a time (default
# 1), merges what is new into tests/fuzz/corpus/<name>, and prints one line
# per target: runs, coverage (edges), features and the corpus size.
#   scripts/fuzz-long.sh                      every target, an hour each
#   FUZZ_SECONDS=600 scripts/fuzz-long.sh manifest_fuzzer
set -euo pipefail
cd "$(dirname "$0")/.."
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
seconds="${FUZZ_SECONDS:-3600}"
jobs="${JOBS:-1}"
declare -A corpus=([careplan_name_fuzzer]=name [csv_fuzzer]=csv [manifest_fuzzer]=manifest
                   [broker_request_fuzzer]=broker [agent_fetch_fuzzer]=fetch)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(careplan_name_fuzzer csv_fuzzer manifest_fuzzer broker_request_fuzzer
                                      agent_fetch_fuzzer)
CXX=clang++-14 CC=clang-14 cmake -S . -B build-fuzz -DTAYORI_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]}" >/dev/null

run() {
  local target=$1 dir=tests/fuzz/corpus/${corpus[$1]}
  local work log=build-fuzz/$1.long.log
  work=$(mktemp -d)
  mkdir -p "$dir"
  cp "$dir"/* "$work"/ 2>/dev/null || true
  if ! build-fuzz/bin/$target "$work" -max_total_time="$seconds" -max_len=65536 -timeout=25 \
       -artifact_prefix=build-fuzz/ -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "$target found a crash; the input is in build-fuzz/" >&2
    return 1
  fi
  # Keep only what adds coverage to the corpus kept in the tree.
  build-fuzz/bin/$target -merge=1 "$dir" "$work" >/dev/null 2>&1
  rm -rf "$work"
  local done runs
  done=$(grep -E "#[0-9]+[[:space:]]*DONE" "$log" | tail -1 || true)
  runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}' || true)
  printf '%s: %s runs in %ss; %s; corpus %s files\n' "$target" "$runs" "$seconds" \
    "$(echo "$done" | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)" "$(ls "$dir" | wc -l)"
}

status=0
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  pids=()
  for t in "${targets[@]:i:jobs}"; do run "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
exit $status
