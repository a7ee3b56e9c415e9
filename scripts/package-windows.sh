#!/usr/bin/env bash
# The Windows installer zip, from scripts/build-windows.sh's exe, into dist/
# (or OUT): dist/tayori-agent-VERSION-windows-x64.zip, one folder tayori\
# that staff unpack where they like (docs/windows.md says how):
#   tayori-agent.exe   the agent, statically linked (no DLL needed)
#   初期設定.cmd        first start: init with certs\ and enrol
#   画面を開く.cmd      starts the service if needed and opens the screens
#   certs\             where the office certificate and broker.info go
#   導入手順.txt        the install steps (docs/windows.md)
#   copyright          tayori's licence
#   licenses.txt       the Debian copyright files of every library linked in
# File names are stored as UTF-8 (flagged so, as Windows' own unzip reads
# them); text files get CR LF line ends.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-dist}
exe=build-windows/bin/tayori-agent.exe
[ -f "$exe" ] || { echo "no $exe: run scripts/build-windows.sh first" >&2; exit 1; }
version=$(sed -n 's/.*kVersion\[\] = "\(.*\)".*/\1/p' common/version.h)
mkdir -p "$OUT"
zip="$OUT/tayori-agent-$version-windows-x64.zip"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The exe without its symbols (a third of the size).
x86_64-w64-mingw32-strip -o "$stage/tayori-agent.exe" "$exe"
src="${TAYORI_WINDOWS_CACHE:-$HOME/.cache/tayori-windows}/src"
for f in "$src"/*/debian/copyright "$src"/*-deb/usr/share/doc/*/copyright; do
  [ -f "$f" ] || continue
  case "$f" in */googletest-*) continue ;; esac  # tests only, not in the exe
  name=$(basename "$(dirname "$(dirname "$f")")")
  [ "$name" = doc ] && name=$(basename "$(dirname "$f")")
  printf '==== %s\n\n' "$name"
  cat "$f"
  printf '\n'
done >"$stage/licenses.txt"
[ -s "$stage/licenses.txt" ] || { echo "no copyright files under $src: run scripts/build-windows.sh" >&2; exit 1; }
python3 - "$zip" "$stage/tayori-agent.exe" "$stage/licenses.txt" <<'PY'
import sys, zipfile
out, exe, licenses = sys.argv[1], sys.argv[2], sys.argv[3]
def crlf(path):
    return open(path, encoding="utf-8").read().replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
entries = [
    ("tayori/tayori-agent.exe", open(exe, "rb").read()),
    ("tayori/初期設定.cmd", crlf("packaging/windows/setup.cmd")),
    ("tayori/画面を開く.cmd", crlf("packaging/windows/open-screens.cmd")),
    ("tayori/certs/ここに証明書を置きます.txt", crlf("packaging/windows/certs.txt")),
    ("tayori/導入手順.txt", b"\xef\xbb\xbf" + crlf("docs/windows.md")),
    ("tayori/copyright", crlf("packaging/copyright")),
    ("tayori/licenses.txt", crlf(licenses)),
]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in entries:
        z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
print(out)
PY
