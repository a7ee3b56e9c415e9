#!/bin/bash
# Runs the broker through the integration tests that exercise it most (sends,
# downloads, a kill mid-upload, backup while serving, SIGTERM drain, retention,
# connections cut and refused) under strace, and checks every system call it
# made against the packaged unit's SystemCallFilter=. A call the unit refuses
# would stop the installed broker with EPERM, or abort it, at the first time
# it is needed.
#
#   scripts/syscall-audit.sh            # audit; exit 1 on a refused call
#   scripts/syscall-audit.sh --update   # also rewrite the recorded list
#
# The recorded list, tests/packaging/broker-syscalls.txt, is what
# tests/packaging/package_test.sh checks the installed unit against on every
# test run (without strace). BUILD defaults to build/ and must be built.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
update=0
[ "${1:-}" = --update ] && update=1
command -v strace >/dev/null || { echo "syscall-audit: needs strace (apt-get install strace)" >&2; exit 2; }
[ -x "$BUILD/bin/tayori-broker" ] || { echo "syscall-audit: build $BUILD first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/trace"
real=$(readlink -f "$BUILD/bin")
for f in "$real"/*; do ln -s "$f" "$work/bin/"; done
rm "$work/bin/tayori-broker"
# strace attaches to the wrapper, which then becomes the broker (exec keeps
# the pid), so the tests' signals reach the broker itself, not strace.
cat > "$work/bin/tayori-broker" <<WRAP
#!/bin/sh
strace -f -qq -o "$work/trace/broker.\$\$" -p \$\$ 2>/dev/null &
while [ "\$(sed -n 's/^TracerPid:\t*//p' /proc/\$\$/status)" = 0 ]; do sleep 0.01; done
exec "$real/tayori-broker" "\$@"
WRAP
chmod +x "$work/bin/tayori-broker"

export TAYORI_TEST_BIN_DIR="$work/bin"
"$real/operations_test" >"$work/operations.log" 2>&1 ||
  { tail -30 "$work/operations.log"; echo "syscall-audit: operations_test failed under strace" >&2; exit 1; }
"$real/exchange_test" --gtest_filter='ExchangeIntegration*' >"$work/exchange.log" 2>&1 ||
  { tail -30 "$work/exchange.log"; echo "syscall-audit: exchange_test failed under strace" >&2; exit 1; }
# Connections cut and refused (the guard's dup3, shutdown and socket reads).
"$real/flood_test" >"$work/flood.log" 2>&1 ||
  { tail -30 "$work/flood.log"; echo "syscall-audit: flood_test failed under strace" >&2; exit 1; }

# Only what follows the exec of the broker: before it, the wrapper's own.
for t in "$work"/trace/broker.*; do
  awk '/ execve\(".*\/tayori-broker"/ { on = 1 } on' "$t"
done | sed -n 's/^[0-9]\+ \([a-z0-9_]\+\)(.*/\1/p' | sort -u > "$work/used.txt"
[ -s "$work/used.txt" ] || { echo "syscall-audit: strace recorded nothing" >&2; exit 1; }
scripts/unit-syscalls.sh packaging/tayori-broker.service > "$work/allowed.txt"
refused=$(comm -23 "$work/used.txt" "$work/allowed.txt")
echo "syscall-audit: the broker made $(wc -l < "$work/used.txt") distinct system calls" \
     "in $(find "$work/trace" -type f | wc -l) processes"
if [ "$update" = 1 ]; then
  {
    echo "# System calls tayori-broker made under scripts/syscall-audit.sh; one per line."
    echo "# tests/packaging/package_test.sh checks the packaged unit allows each."
    cat "$work/used.txt"
  } > tests/packaging/broker-syscalls.txt
  echo "syscall-audit: wrote tests/packaging/broker-syscalls.txt"
fi
if [ -n "$refused" ]; then
  echo "syscall-audit: packaging/tayori-broker.service refuses: ${refused//$'\n'/ }" >&2
  exit 1
fi
echo "syscall-audit: packaging/tayori-broker.service allows every one"
