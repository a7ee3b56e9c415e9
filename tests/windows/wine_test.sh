#!/usr/bin/env bash
# tayori-agent.exe (scripts/build-windows.sh) under wine64 against a Linux
# broker on loopback, as an office PC would use it: init with the office
# certificate, enrol, check, send standard CSVs and a PDF with a Japanese
# name from a folder with a Japanese name, fetch them on a second Windows
# terminal byte-identical, verify the download receipt, and serve the
# screens (sign in, the ホーム page and its data). One terminal keeps its
# home in the default place (%LOCALAPPDATA%\tayori\agent), the other in a
# folder with a Japanese name.
#   bash tests/windows/wine_test.sh [BUILD_DIR] [EXE]
# BUILD_DIR has the Linux broker and tayori-admin (default build/); EXE
# defaults to build-windows/bin/tayori-agent.exe. Without the exe it says
# so and exits 0: the cross build is optional, the test of it is not.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
exe="${2:-$root/build-windows/bin/tayori-agent.exe}"
if [ ! -f "$exe" ]; then
  echo "wine test SKIPPED: no $exe (run scripts/build-windows.sh to build the Windows agent)"
  exit 0
fi
if ! command -v wine >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wine64 >/dev/null
fi
for p in tayori-broker tayori-admin; do
  [ -x "$build/bin/$p" ] || { echo "missing $build/bin/$p: build first" >&2; exit 1; }
done

work="$(mktemp -d /tmp/tayori-wine-XXXXXX)"
export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
export XDG_STATE_HOME="$work/state"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wineserver -k 2>/dev/null || true
  if [ "${KEEP:-}" = "" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
# A Linux path as the Windows agent sees it: wine maps / to drive Z:.
winpath() { local p="${1//\//\\}"; printf 'Z:%s' "$p"; }
# The agent under wine; its console text ends lines with CR LF.
agent() { wine "$exe" "$@" 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }

echo "== wine prefix (first start of wine takes a while)"
wineboot -i >/dev/null 2>&1 || true
agent --version | tee "$work/version.out"
grep -q '^tayori-agent ' "$work/version.out" && ok "the exe starts" || bad "the exe does not start"

test_exe="$(dirname "$exe")/env_windows_test.exe"
if [ -f "$test_exe" ]; then
  echo "== Env and the port layer on Windows (env_windows_test.exe)"
  if wine "$test_exe" >"$work/env_windows_test.out" 2>&1; then
    ok "env_windows_test: $(tr -d '\r' <"$work/env_windows_test.out" | grep -c '^\[       OK') passed, $(
      tr -d '\r' <"$work/env_windows_test.out" | grep -c '^\[  SKIPPED \] .*(') skipped (what wine lacks)"
  else
    tr -d '\r' <"$work/env_windows_test.out" | grep -E 'FAILED|Failure|Expected|Which is|actual' | head -40
    bad "env_windows_test"
  fi
fi

echo "== broker, offices and certificates (Linux)"
"$build/bin/tayori-admin" ca init >/dev/null
# The embedded defaults (data under XDG_STATE_HOME), on ports of its own.
printf 'endpoint: tcp://127.0.0.1:0\nadmin_endpoint: tcp://127.0.0.1:0\nmetrics_endpoint: ""\n' >"$work/broker.yaml"
"$build/bin/tayori-broker" --config "$work/broker.yaml" >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^data_dir:' "$work/broker.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^endpoint: //p' "$work/broker.out")
key=$(sed -n 's/^public_key: //p' "$work/broker.out")
[ -n "$endpoint" ] || { cat "$work/broker.log"; echo "broker did not start" >&2; exit 1; }
"$build/bin/tayori-admin" office add 0123456789 --name "居宅介護支援事業所さくら" >/dev/null
"$build/bin/tayori-admin" office add 1299999999 --name "訪問介護ひまわり" >/dev/null
"$build/bin/tayori-admin" ca issue --office 0123456789 --user KJ000000000001 --type care-insurance \
  --out "$work/certs/sakura" >/dev/null
"$build/bin/tayori-admin" ca issue --office 1299999999 --user KJ000000000002 --type careplan-delegated \
  --out "$work/certs/himawari" >/dev/null
ca="$(winpath "$XDG_STATE_HOME/tayori/ca/ca.pem")"

echo "== さくら: 初期設定.cmd from the unpacked zip, as staff start it (twice: a re-run keeps the keys)"
pkg="$work/tayori"
mkdir -p "$pkg/certs"
cp "$exe" "$pkg/tayori-agent.exe"
sed 's/$/\r/' "$root/packaging/windows/setup.cmd" >"$pkg/初期設定.cmd"
cp "$work/certs/sakura/cert.pem" "$work/certs/sakura/key.pem" "$XDG_STATE_HOME/tayori/ca/ca.pem" "$pkg/certs/"
# The broker's own broker.info, as the operator hands it out (CR LF once mailed).
sed 's/$/\r/' "$XDG_STATE_HOME/tayori/broker/broker.info" >"$pkg/certs/broker.info"
keys() { cat "$WINEPREFIX"/drive_c/users/*/AppData/Local/tayori/agent/keys/{curve,e2e}.key | sha256sum; }
for run in first again; do
  if (cd "$pkg" && wine cmd /c 初期設定.cmd </dev/null 2>&1 | tr -d '\r' >"$work/setup.$run.out"; exit "${PIPESTATUS[0]}") &&
     grep -q "0123456789" "$work/setup.$run.out"; then
    ok "初期設定.cmd ($run run)"
  else
    cat "$work/setup.$run.out"; bad "初期設定.cmd ($run run)"
  fi
  [ "$run" = first ] && first_keys=$(keys 2>/dev/null || echo "no keys")
done
if grep -q "初期設定済み" "$work/setup.again.out" && [ "$(keys 2>/dev/null || echo "keys gone")" = "$first_keys" ]; then
  ok "the second run kept the terminal's keys"
else
  bad "the second run did not keep the terminal's keys"
fi

echo "== ひまわり: init and enrol in a folder of its own"
himawari_home="$work/ひまわり端末"
sakura=()
himawari=(--home "$(winpath "$himawari_home")")
for office in himawari; do
  declare -n args=$office
  if agent "${args[@]}" init --broker "$endpoint" --broker-key "$key" \
       --cert "$(winpath "$work/certs/$office/cert.pem")" --key "$(winpath "$work/certs/$office/key.pem")" \
       --ca "$ca" >"$work/$office.init.out" && agent "${args[@]}" enrol >"$work/$office.enrol.out"; then
    ok "$office: init and enrol"
  else
    cat "$work/$office.init.out" "$work/$office.enrol.out" 2>/dev/null
    bad "$office: init and enrol"
  fi
done
if ls "$WINEPREFIX"/drive_c/users/*/AppData/Local/tayori/agent/agent.yaml >/dev/null 2>&1; then
  ok "the default home is under %LOCALAPPDATA%"
else
  bad "no agent.yaml under %LOCALAPPDATA%\\tayori\\agent"
fi
[ -f "$himawari_home/agent.yaml" ] && ok "a home with a Japanese name" || bad "no agent.yaml in $himawari_home"

echo "== the care software's export: standard CSVs and a PDF, in 書類/"
out="$work/書類"
(cd "$root" && python3 -c "
import sys; sys.path.insert(0, 'tests/web'); import careplan_files as c
c.write(sys.argv[1], c.unit_files('0123456789', '1299999999'))" "$out")
head -c 300000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } > "$out/アセスメント票.pdf"
files=()
for f in "$out"/*; do files+=("$(winpath "$f")"); done

if agent check "${files[@]}" >"$work/check.out"; then ok "check passes the export"; else
  cat "$work/check.out"; bad "check refused the export"; fi

if agent send --message "12月分のサービス利用票をお送りします。" "${files[@]}" >"$work/send.out"; then
  ok "send"
else
  cat "$work/send.out"; bad "send"
fi

echo "== ひまわり downloads into 受信/"
if agent "${himawari[@]}" inbox >"$work/inbox.out" && grep -q "さくら" "$work/inbox.out"; then
  ok "inbox lists the send, in Japanese"
else
  cat "$work/inbox.out"; bad "inbox"
fi
if agent "${himawari[@]}" fetch --all --dest "$(winpath "$work/受信")" >"$work/fetch.out"; then ok "fetch"; else
  cat "$work/fetch.out"; bad "fetch"; fi
for f in "$out"/*; do
  name="$(basename "$f")"
  if cmp -s "$f" "$work/受信/$name"; then ok "byte-identical: $name"; else bad "not identical: $name"; fi
done

id=$(agent sent --json | sed -n 's/.*"id": "\([0-9A-Z]*\)".*/\1/p' | head -1)
if [ -n "$id" ] && agent receipt "$id" >"$work/receipt.out"; then ok "receipt verifies"; else
  cat "$work/receipt.out" 2>/dev/null; bad "receipt"; fi

echo "== ひまわり's screens"
wine "$exe" "${himawari[@]}" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 300); do grep -q '^url:' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^url: //p' "$work/serve.out" | tr -d '\r')
if [ -n "$url" ]; then
  base="${url%%/signin*}"
  if curl -sf -c "$work/jar" -b "$work/jar" -L "$url" -o "$work/index.html" && grep -q '<html' "$work/index.html"; then
    ok "sign in and the page"
  else
    bad "sign in"
  fi
  if curl -sf -b "$work/jar" "$base/api/home" -o "$work/home.json" && grep -q "訪問介護ひまわり" "$work/home.json"; then
    ok "ホーム: the office's status"
  else
    cat "$work/home.json" 2>/dev/null; bad "/api/home"
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/home")
  [ "$code" = 401 ] && ok "no session, no data ($code)" || bad "/api/home without a session gave $code"
else
  cat "$work/serve.out" "$work/serve.log"; bad "serve printed no address"
fi

echo "wine test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
