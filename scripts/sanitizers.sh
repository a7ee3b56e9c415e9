#!/usr/bin/env bash
# The whole test suite under sanitizers, each in a build tree of its own:
#   scripts/sanitizers.sh            ASan+UBSan (build-asan/), then TSan (build-tsan/)
#   scripts/sanitizers.sh asan       only ASan+UBSan (the test command runs this one)
#   scripts/sanitizers.sh tsan       only TSan
# A report from a sanitizer fails the test that caused it (and so the run).
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan)
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan) flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
          export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
          export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ;;
    tsan) flags="-fsanitize=thread -fno-omit-frame-pointer"
          export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp" ;;
    *) echo "unknown sanitizer $kind (asan or tsan)" >&2; exit 2 ;;
  esac
  dir="build-$kind"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="${flags%% -fno-*}" >/dev/null
  cmake --build "$dir" -j2
  echo "tests under $kind"
  (cd "$dir" && ctest -j2 --output-on-failure --timeout 900)
done
