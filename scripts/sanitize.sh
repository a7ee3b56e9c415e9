#!/usr/bin/env bash
# Builds the whole tree with AddressSanitizer and UndefinedBehaviorSanitizer
# (or ThreadSanitizer: SANITIZER=thread) into build-asan/ (build-tsan/) and
# runs every CTest test there. Any report fails the run.
#   bash scripts/sanitize.sh            # address,undefined
#   SANITIZER=thread bash scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
kind="${SANITIZER:-address,undefined}"
dir=build-asan
[ "$kind" = thread ] && dir=build-tsan
flags="-fsanitize=$kind -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$kind" >/dev/null
cmake --build "$dir" -j2
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1"
cd "$dir"
ctest -j2 --output-on-failure --timeout 900
