#!/usr/bin/env bash
# Builds tayori with ASan and UBSan (build-asan/) and runs every test on that
# build: the fuzz targets briefly (FUZZ_SECONDS each, default 20), then unit,
# in-process broker and integration tests (CTest), then the staff screens in
# headless Chromium (tests/web/run.sh). A sanitizer report (memory error,
# leak, undefined behaviour) fails the test that caused it. Then the Debian
# packages are built from a release build (build/) and installed, upgraded
# and purged in a throwaway root (tests/packaging/package_test.sh). Last,
# tayori-agent.exe under wine (tests/windows/wine_test.sh), if it is built.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fuzz.sh
bash scripts/sanitizers.sh asan
bash tests/web/run.sh build-asan
bash tests/packaging/package_test.sh
# The Windows agent under wine: built here when its dependencies were
# cross-built before (they take a while; scripts/build-windows.sh caches
# them), else the test says that it skipped.
if [ -f "${TAYORI_WINDOWS_CACHE:-$HOME/.cache/tayori-windows}/headers.done" ]; then
  bash scripts/build-windows.sh
fi
bash tests/windows/wine_test.sh build-asan
