#!/usr/bin/env bash
# Builds the .deb packages twice (as the previous version and as this one)
# and installs them into a throwaway root with `dpkg --root` (maintainer
# scripts run chrootless against DPKG_ROOT, as Debian's tools do for
# bootstrapping), then checks what an operator relies on:
#   - programs, unit, conffile, man pages, completion in place; the tayori
#     user made; /var/lib/tayori and /var/backups/tayori its own, 0700;
#   - the units verify (systemd-analyze verify, no warning allowed) and the
#     broker's sandbox rates OK (systemd-analyze security) and lets through
#     every system call the broker makes (tests/packaging/broker-syscalls.txt);
#   - `tayori-broker --config /etc/tayori/broker.yaml --check` accepts the
#     shipped config;
#   - the installed broker serves from the installed config and data folder;
#   - an upgrade keeps the data and a locally changed config;
#   - remove keeps data and config; purge deletes them and keeps backups.
# Needs root (dpkg). BUILD: the release build folder (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
work=$(mktemp -d)
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
checks=0
fail() { echo "package test FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }

current=$(sed -n 's/.*kVersion\[\] = "\(.*\)".*/\1/p' common/version.h)-1
previous=${current%-1}~prev-1
VERSION=$previous OUT=$work/old BUILD=$BUILD bash scripts/package.sh >"$work/package-old.log" 2>&1 ||
  { cat "$work/package-old.log"; fail "scripts/package.sh (previous version)"; }
VERSION=$current OUT=$work/new BUILD=$BUILD bash scripts/package.sh >"$work/package-new.log" 2>&1 ||
  { cat "$work/package-new.log"; fail "scripts/package.sh"; }

R=$work/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc" "$R/usr/lib/systemd/system"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
# The targets the units refer to, from this machine's systemd.
cp /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice "$R/usr/lib/systemd/system/" 2>/dev/null || true
dpkg_root() {
  DPKG_ROOT=$R dpkg --root="$R" --force-script-chrootless --force-depends --force-confold --log=/dev/null "$@" \
    >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg $*"; }
}
installed_version() { sed -n "/^Package: $1\$/,/^\$/s/^Version: //p" "$R/var/lib/dpkg/status"; }
status_of() { sed -n "/^Package: $1\$/,/^\$/s/^Status: //p" "$R/var/lib/dpkg/status"; }

# ---- install the previous version
dpkg_root -i "$work"/old/tayori-broker_*.deb "$work"/old/tayori-agent_*.deb
[ "$(installed_version tayori-broker)" = "$previous" ] || fail "tayori-broker $previous not installed"; ok
for f in usr/bin/tayori-broker usr/bin/tayori-admin usr/bin/tayori-agent etc/tayori/broker.yaml \
  usr/lib/systemd/system/tayori-broker.service usr/lib/systemd/user/tayori-agent.service \
  usr/lib/sysusers.d/tayori-broker.conf usr/share/man/man8/tayori-broker.8.gz usr/share/man/man8/tayori-admin.8.gz \
  usr/share/man/man1/tayori-agent.1.gz usr/share/bash-completion/completions/tayori-admin \
  usr/share/applications/tayori-agent.desktop usr/lib/tayori-agent/open-screens \
  usr/share/doc/tayori-broker/operations.md; do
  [ -e "$R/$f" ] || fail "/$f missing"; ok
done
grep -q '^ /etc/tayori/broker.yaml ' "$R/var/lib/dpkg/status" || fail "/etc/tayori/broker.yaml is not a conffile"; ok
# The screens need a browser opener and a Japanese font on the office PC.
recommends=$(dpkg-deb -f "$work"/new/tayori-agent_*.deb Recommends)
[[ $recommends == *xdg-utils* && $recommends == *fonts-noto-cjk* ]] || fail "tayori-agent recommends: $recommends"; ok
tayori_ids=$(awk -F: '$1 == "tayori" { print $3 ":" $4 }' "$R/etc/passwd")
[ -n "$tayori_ids" ] || fail "no tayori user"; ok
for dir in var/lib/tayori var/backups/tayori; do
  [ "$(stat -c '%u:%g %a' "$R/$dir")" = "$tayori_ids 700" ] || fail "/$dir: $(stat -c '%u:%g %a' "$R/$dir")"; ok
done
for page in man8/tayori-broker.8 man8/tayori-admin.8 man1/tayori-agent.1; do
  zcat "$R/usr/share/man/$page.gz" | grep -q '^\.TH' || fail "$page is not a man page"; ok
done
zcat "$R/usr/share/man/man8/tayori-admin.8.gz" | grep -q '^\.SS backup' || fail "tayori-admin(8) lacks backup"; ok
zcat "$R/usr/share/man/man1/tayori-agent.1.gz" | grep -q 'ケアプランデータ連携' ||
  fail "tayori-agent(1) lost its Japanese text"; ok

# ---- units
out=$(systemd-analyze verify --root="$R" --man=no tayori-broker.service 2>&1) || fail "verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify tayori-broker.service: $out"; ok
# A user unit verifies as it is, with the program's path inside the root.
mkdir -p "$work/units"
sed "s|/usr/bin/tayori-agent|$R/usr/bin/tayori-agent|" "$R/usr/lib/systemd/user/tayori-agent.service" \
  >"$work/units/tayori-agent.service"
out=$(systemd-analyze verify --man=no "$work/units/tayori-agent.service" 2>&1) || fail "verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify tayori-agent.service: $out"; ok
exposure=$(systemd-analyze security --offline=true --root="$R" tayori-broker.service 2>&1 |
  sed -n 's/.*Overall exposure level for tayori-broker.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no rating"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "exposure $exposure above 2.0"; ok
# Every system call the broker was seen making (scripts/syscall-audit.sh
# records them) is one the installed unit lets through.
refused=$(comm -23 <(grep -v '^#' tests/packaging/broker-syscalls.txt | sort -u) \
                   <(scripts/unit-syscalls.sh "$R/usr/lib/systemd/system/tayori-broker.service"))
[ -z "$refused" ] || fail "the unit refuses system calls the broker makes: ${refused//$'\n'/ }"; ok
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$R/usr/share/applications/tayori-agent.desktop" || fail "desktop entry"; ok
fi

# ---- the shipped config passes the check the unit runs before each start
out=$("$R/usr/bin/tayori-broker" --config "$R/etc/tayori/broker.yaml" --check 2>&1) || fail "--check: $out"
grep -q ': OK' <<<"$out" || fail "--check said: $out"; ok
# ... and says that broker.info needs public_endpoint before it is handed out.
grep -q "warning: broker.info would tell offices to connect to tcp://0.0.0.0:7701" <<<"$out" ||
  fail "--check did not warn of the 0.0.0.0 address: $out"; ok
"$R/usr/bin/tayori-broker" --version | grep -q "tayori-broker ${current%-1}" || fail "--version"; ok
"$R/usr/bin/tayori-agent" --version | grep -q "tayori-agent" || fail "agent --version"; ok

# ---- the installed programs serve from the installed folders
"$R/usr/bin/tayori-admin" ca init --dir "$work/ca" >/dev/null || fail "ca init"
install -m 0644 "$work/ca/ca.pem" "$work/ca/crl.pem" "$R/etc/tayori/ca/"
run_config() {  # the installed config with the paths inside the root, ports picked by the kernel
  sed -e "s|/var/lib/tayori|$R/var/lib/tayori|; s|/etc/tayori/ca|$R/etc/tayori/ca|" \
    -e 's|^endpoint: .*|endpoint: tcp://127.0.0.1:0|; s|^admin_endpoint: .*|admin_endpoint: tcp://127.0.0.1:0|' \
    -e 's|^metrics_endpoint: .*|metrics_endpoint: ""|' "$R/etc/tayori/broker.yaml" >"$work/run.yaml"
}
start_broker() {
  rm -f "$R/var/lib/tayori/broker.info"
  "$R/usr/bin/tayori-broker" --config "$work/run.yaml" >"$work/broker.out" 2>"$work/broker.err" &
  broker_pid=$!
  for _ in $(seq 100); do
    [ -s "$R/var/lib/tayori/broker.info" ] && return 0
    sleep 0.1
  done
  cat "$work/broker.err"
  fail "broker did not start"
}
stop_broker() {
  kill -TERM "$broker_pid"
  wait "$broker_pid" || fail "broker exited $? on SIGTERM"
  broker_pid=""
}
admin() { "$R/usr/bin/tayori-admin" --broker-dir "$R/var/lib/tayori" "$@"; }
run_config
out=$("$R/usr/bin/tayori-broker" --config "$work/run.yaml" --check 2>&1) || fail "--check: $out"
grep -q "CA .* valid" <<<"$out" || fail "--check did not find the CA: $out"; ok
start_broker
admin office add 0123456789 --name "packaged office" >/dev/null || fail "office add"
admin backup "$R/var/backups/tayori/before-upgrade" >/dev/null || fail "backup"; ok
stop_broker
grep -q '"event":"broker_started"' "$work/broker.err" || fail "no JSON log line on stderr"; ok

# ---- upgrade: data and a locally changed config stay
echo "# changed by the operator" >>"$R/etc/tayori/broker.yaml"
dpkg_root -i "$work"/new/tayori-broker_*.deb "$work"/new/tayori-agent_*.deb
[ "$(installed_version tayori-broker)" = "$current" ] || fail "upgrade to $current"; ok
grep -q '^# changed by the operator' "$R/etc/tayori/broker.yaml" || fail "upgrade lost the local config"; ok
run_config
start_broker
admin office list | grep -q "packaged office" || fail "upgrade lost the data"; ok
stop_broker

# ---- remove keeps data and config; purge deletes them, keeps backups
dpkg_root -r tayori-broker
[ ! -e "$R/usr/bin/tayori-broker" ] || fail "remove left the program"; ok
[ -d "$R/var/lib/tayori/store" ] && [ -f "$R/etc/tayori/broker.yaml" ] || fail "remove took data or config"; ok
[ "$(status_of tayori-broker)" = "deinstall ok config-files" ] || fail "status after remove: $(status_of tayori-broker)"; ok
dpkg_root -P tayori-broker tayori-agent
[ ! -e "$R/var/lib/tayori" ] && [ ! -e "$R/etc/tayori/broker.yaml" ] || fail "purge left data or config"; ok
[ -d "$R/var/backups/tayori/before-upgrade/store" ] || fail "purge took the backups"; ok
[ -z "$(status_of tayori-broker)" ] || fail "still known to dpkg after purge"; ok

echo "package test: $checks checks passed (tayori-broker and tayori-agent $previous -> $current)"
