#!/usr/bin/env bash
# Builds tayori with ASan and UBSan (build-asan/) and runs every test on that
# build: the fuzz targets briefly (FUZZ_SECONDS each, default 20), then unit,
# in-process broker and integration tests (CTest), then the staff screens in
# headless Chromium (tests/web/run.sh). A sanitizer report (memory error,
# leak, undefined behaviour) fails the test that caused it. Last, the Debian
# packages are built from a release build (build/) and installed, upgraded
# and purged in a throwaway root (tests/packaging/package_test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fuzz.sh
bash scripts/sanitizers.sh asan
bash tests/web/run.sh build-asan
bash tests/packaging/package_test.sh
