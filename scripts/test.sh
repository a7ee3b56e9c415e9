#!/usr/bin/env bash
# Builds tayori and runs every test: the fuzz targets briefly (FUZZ_SECONDS
# each, default 20), then unit, in-process broker and integration tests
# (CTest), then the staff screens in headless Chromium (tests/web/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/fuzz.sh
(cd build && ctest -j2 --output-on-failure --timeout 600)
bash tests/web/run.sh build
