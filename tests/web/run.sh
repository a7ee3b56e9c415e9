#!/usr/bin/env bash
# The staff screens in a real browser: installs Debian's chromium,
# chromedriver, python3-selenium and Japanese fonts (nothing downloads a
# browser) and axe-core from the lock file, then runs every scenario of
# run_tests.py against BUILD_DIR/bin's broker and agents. Screenshots go to
# docs/screens/. Last line: "N passed, M failed"; non-zero exit on failure.
#   bash tests/web/run.sh [BUILD_DIR] [SCENARIO...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../../build}" && pwd)"
shift || true

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
/usr/bin/python3 -c 'import selenium' 2>/dev/null || need+=(python3-selenium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -f "$here/axe/node_modules/axe-core/axe.min.js" ]; then
  (cd "$here/axe" && npm ci --no-audit --no-fund --silent)
fi
for p in tayori-broker tayori-admin tayori-agent; do
  [ -x "$build/bin/$p" ] || { echo "missing $build/bin/$p: build first" >&2; echo "0 passed, 1 failed"; exit 1; }
done
cd "$here"
exec /usr/bin/python3 run_tests.py "$build" "$@"
