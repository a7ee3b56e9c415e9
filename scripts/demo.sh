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

step "さくら sends December's plan (第6表 + 第7表 + 補足) and a PDF to ひまわり"
out="$demo/export"
mkdir -p "$out"
stamp=20261121093000
printf '202208,131001,0000012345,202612,1,20261201,0900,1000,11,111111,1299999999,11\r\n' > "$out/UPPLAN_202612_0123456789_1299999999_${stamp}.CSV"
printf '202208,131001,0000012345,202612,1299999999,11,111111,999999\r\n' > "$out/UPSIKYU_202612_0123456789_1299999999_${stamp}.CSV"
printf '202208,131001,0000012345,202612\r\n' > "$out/UPHOSOKU_202612_0123456789_1299999999_${stamp}.CSV"
head -c 200000 /dev/urandom > "$out/assessment.pdf"
"$bin/tayori-agent" --home "$demo/sakura" send --to 1299999999 --message "12月分のサービス利用票をお送りします。" \
  "$out"/UPPLAN_*.CSV "$out"/UPSIKYU_*.CSV "$out"/UPHOSOKU_*.CSV "$out/assessment.pdf"

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

step "a second download is refused"
id=$("$bin/tayori-agent" --home "$demo/himawari" inbox --json | sed -n 's/.*"id": "\([0-9A-Z]*\)".*/\1/p' | head -1)
"$bin/tayori-agent" --home "$demo/himawari" fetch "$id" --dest "$demo/import" || true

echo
echo "== done. Broker log (JSON lines): $demo/broker.log"
