#!/usr/bin/env bash
# The main job on the embedded default: a broker on loopback, two demo
# offices with certificates from a test CA, a real signed and encrypted
# exchange, and the inbox and sent lists before and after the download.
# Everything lives in a fresh folder (printed at the start); nothing else on
# the machine is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
bin="$PWD/build/bin"
demo="${TAYORI_DEMO_DIR:-$(mktemp -d /tmp/tayori-demo-XXXXXX)}"
export XDG_STATE_HOME="$demo/state"
mkdir -p "$demo"
echo "== demo folder: $demo"

step() { printf '\n== %s\n' "$*"; }

step "test CA (stands in for the national one)"
"$bin/tayori-admin" ca init

step "broker on the embedded default"
"$bin/tayori-broker" >"$demo/broker.out" 2>"$demo/broker.log" &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^data_dir:' "$demo/broker.out" 2>/dev/null && break; sleep 0.1; done
cat "$demo/broker.out"
endpoint=$(sed -n 's/^endpoint: //p' "$demo/broker.out")
key=$(sed -n 's/^public_key: //p' "$demo/broker.out")
[ -n "$endpoint" ] || { echo "broker did not start; see $demo/broker.log" >&2; exit 1; }

step "register two offices with licences"
"$bin/tayori-admin" office add 0123456789 --name "居宅介護支援事業所さくら"
"$bin/tayori-admin" office add 1299999999 --name "訪問介護ひまわり"

step "certificates for both offices"
"$bin/tayori-admin" ca issue --office 0123456789 --user KJ000000000001 --type care-insurance --out "$demo/certs/sakura"
"$bin/tayori-admin" ca issue --office 1299999999 --user KJ000000000002 --type careplan-delegated --out "$demo/certs/himawari"

step "set up and enrol each office's terminal"
for office in sakura himawari; do
  "$bin/tayori-agent" --home "$demo/$office" init --broker "$endpoint" --broker-key "$key" \
    --cert "$demo/certs/$office/cert.pem" --key "$demo/certs/$office/key.pem" \
    --ca "$XDG_STATE_HOME/tayori/ca/ca.pem"
  "$bin/tayori-agent" --home "$demo/$office" enrol
done

# What the care software exports: standard CSVs in version 4.1 layout
# (Shift_JIS, CRLF), every column filled as the layout wants it
# (tests/web/careplan_files.py). BROKEN=1 gives a 5-digit insurer number.
export_unit() {
  python3 -c "
import sys; sys.path.insert(0, 'tests/web'); import careplan_files as c
c.write(sys.argv[1], c.unit_files('0123456789', '1299999999', broken=sys.argv[2] == '1'))" "$1" "${2:-0}"
}

step "ひまわり: ホーム (system status, licence, notices)"
"$bin/tayori-admin" notice post --title "メンテナンスのお知らせ" --body "12月1日 2:00〜4:00 は停止します。" --kind maintenance >/dev/null
"$bin/tayori-agent" --home "$demo/himawari" status

step "the care software exports December's plan (第6表 + 第7表 + 補足) for ひまわり"
out="$demo/export"
export_unit "$out"
head -c 200000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } > "$out/assessment.pdf"
ls -1 "$out"

step "check the export before sending (no network needed)"
"$bin/tayori-agent" --home "$demo/sakura" check "$out"/*

step "what staff see for a broken export: 第7表 missing, a bad insurer number"
broken="$demo/broken"
export_unit "$broken" 1
rm "$broken"/UPSIKYU_*
"$bin/tayori-agent" --home "$demo/sakura" check "$broken"/* || true

step "さくら sends it; the recipient comes from the file names"
"$bin/tayori-agent" --home "$demo/sakura" send --message "12月分のサービス利用票をお送りします。" "$out"/*

step "ひまわり: 受信一覧 (inbox)"
"$bin/tayori-agent" --home "$demo/himawari" inbox

step "さくら: 送信一覧 (sent) before the download"
"$bin/tayori-agent" --home "$demo/sakura" sent

step "ひまわり downloads everything (verified signature and digests)"
"$bin/tayori-agent" --home "$demo/himawari" fetch --all --dest "$demo/import"
for f in "$out"/*; do cmp -s "$f" "$demo/import/$(basename "$f")" && echo "identical: $(basename "$f")"; done

step "ひまわり: 受信一覧 after the download"
"$bin/tayori-agent" --home "$demo/himawari" inbox

step "さくら: 送信一覧 shows 済 with the time"
"$bin/tayori-agent" --home "$demo/sakura" sent

step "さくら verifies ひまわり's signed download receipt"
"$bin/tayori-agent" --home "$demo/sakura" receipt "$("$bin/tayori-agent" --home "$demo/sakura" sent --json | sed -n 's/.*"id": "\([0-9A-Z]*\)".*/\1/p' | head -1)"

step "a second download is refused"
id=$("$bin/tayori-agent" --home "$demo/himawari" inbox --json | sed -n 's/.*"id": "\([0-9A-Z]*\)".*/\1/p' | head -1)
"$bin/tayori-agent" --home "$demo/himawari" fetch "$id" --dest "$demo/import" || true

step "the staff screens: each office's agent runs as a service"
pids=()
for office in sakura himawari; do
  "$bin/tayori-agent" --home "$demo/$office" serve --listen 127.0.0.1:0 >"$demo/$office.serve.out" 2>"$demo/$office.serve.log" &
  pids+=($!)
done
trap 'kill ${pids[*]} $broker 2>/dev/null || true' EXIT
for office in sakura himawari; do
  for _ in $(seq 100); do grep -q '^url:' "$demo/$office.serve.out" 2>/dev/null && break; sleep 0.1; done
  printf '%-9s %s\n' "$office" "$(sed -n 's/^url: //p' "$demo/$office.serve.out")"
done
echo "Open each address in a browser on this machine (each works once; \`tayori-agent --home $demo/OFFICE open\` gives a new one)."

echo
echo "== done. Broker log (JSON lines): $demo/broker.log"
if [ -t 0 ] && [ -z "${TAYORI_DEMO_NO_WAIT:-}" ]; then
  echo "== the broker and the screens keep running; press Ctrl-C to stop them."
  wait
fi
