#!/usr/bin/env bash
# Builds tayori and runs every test (unit, in-process broker, integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest -j2 --output-on-failure --timeout 600
