#!/usr/bin/env bash
# Builds the Debian packages tayori-broker and tayori-agent into dist/ (or
# OUT) from a release build in build/ (or BUILD):
#
#   bash scripts/package.sh                 # dist/tayori-*_VERSION_amd64.deb
#   VERSION=0.5.0-2 bash scripts/package.sh
#
# tayori-broker: tayori-broker and tayori-admin, /etc/tayori/broker.yaml (a
# conffile), the hardened system unit, the tayori system user, man pages,
# bash completion, docs/operations.md. tayori-agent: the agent, its user
# unit, a desktop entry that opens the staff screens, man page, completion.
# Man pages come from the programs' --help (help2man); dependencies from
# the binaries (dpkg-shlibdeps).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${OUT:-dist}
version_h=$(sed -n 's/.*kVersion\[\] = "\(.*\)".*/\1/p' common/version.h)
VERSION=${VERSION:-${version_h}-1}
arch=$(dpkg --print-architecture)

bash scripts/install-deps.sh
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2 --target tayori-broker tayori-admin tayori-agent
bin="$BUILD/bin"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$OUT"

# A man page from PROGRAM's --help, with each command's --help under
# COMMANDS. SECTION NAME-LINE PROGRAM OUT.
man_page() {
  local section=$1 name=$2 program=$3 out=$4 include="$stage/include.h2m"
  {
    local subs
    subs=$("$program" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
    if [ -n "$subs" ]; then
      echo "[COMMANDS]"
      for sub in $subs; do
        echo ".SS $sub"
        echo ".nf"
        "$program" "$sub" --help | sed -e 's/\\/\\\\/g' -e 's/^\([.'"'"']\)/\\\&\1/' -e "s|^Usage: [^ ]*/|Usage: |"
        echo ".fi"
      done
    fi
    cat packaging/man-common.h2m
  } >"$include"
  help2man --no-info --no-discard-stderr --locale=C.UTF-8 --section "$section" --name "$name" --include "$include" \
    --output "$stage/page" "$program"
  sed -i "s|$PWD/$bin/||g" "$stage/page"
  gzip -9n <"$stage/page" >"$out"
}

# Fills DEBIAN/control of package dir PKG, with Depends from its binaries.
control() {
  local pkg=$1 name=$2 extra_depends=$3 description=$4
  local shlibs
  shlibs=$(cd "$stage" && mkdir -p debian && printf 'Source: tayori\n\nPackage: %s\nArchitecture: any\n' "$name" >debian/control &&
    dpkg-shlibdeps -O "$pkg"/usr/bin/* 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  local size
  size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
  cat >"$pkg/DEBIAN/control" <<CONTROL
Package: $name
Version: $VERSION
Architecture: $arch
Maintainer: tayori <tayori@localhost>
Installed-Size: $size
Depends: $shlibs${extra_depends:+, $extra_depends}
Section: net
Priority: optional
Homepage: https://localhost/tayori
Description: $description
CONTROL
}

# ---- tayori-broker
b="$stage/tayori-broker"
install -d "$b/DEBIAN" "$b/usr/bin" "$b/usr/lib/systemd/system" "$b/usr/lib/sysusers.d" "$b/etc/tayori" \
  "$b/usr/share/man/man8" "$b/usr/share/bash-completion/completions" "$b/usr/share/doc/tayori-broker"
install -m 0755 -s "$bin/tayori-broker" "$bin/tayori-admin" "$b/usr/bin/"
install -m 0644 packaging/tayori-broker.service "$b/usr/lib/systemd/system/"
install -m 0644 packaging/tayori-broker.sysusers "$b/usr/lib/sysusers.d/tayori-broker.conf"
install -m 0644 packaging/broker.yaml "$b/etc/tayori/broker.yaml"
install -m 0644 packaging/tayori.bash-completion "$b/usr/share/bash-completion/completions/tayori-broker"
install -m 0644 packaging/tayori.bash-completion "$b/usr/share/bash-completion/completions/tayori-admin"
install -m 0644 config/broker.yaml "$b/usr/share/doc/tayori-broker/broker.yaml.example"
install -m 0644 docs/operations.md "$b/usr/share/doc/tayori-broker/"
install -m 0644 packaging/copyright "$b/usr/share/doc/tayori-broker/"
man_page 8 "store-and-forward broker for care plan data" "$bin/tayori-broker" "$b/usr/share/man/man8/tayori-broker.8.gz"
man_page 8 "operator tool of a tayori broker" "$bin/tayori-admin" "$b/usr/share/man/man8/tayori-admin.8.gz"
echo /etc/tayori/broker.yaml >"$b/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/tayori-broker.$script" "$b/DEBIAN/$script"; done
control "$b" tayori-broker "systemd, init-system-helpers" "store-and-forward exchange for care plan data: the broker
 The broker of tayori: per-office mailboxes over CurveZMQ, retention,
 download receipts; tayori-admin registers offices and takes backups."

# ---- tayori-agent
g="$stage/tayori-agent"
install -d "$g/DEBIAN" "$g/usr/bin" "$g/usr/lib/systemd/user" "$g/usr/lib/tayori-agent" "$g/usr/share/applications" \
  "$g/usr/share/man/man1" "$g/usr/share/bash-completion/completions" "$g/usr/share/doc/tayori-agent"
install -m 0755 -s "$bin/tayori-agent" "$g/usr/bin/"
install -m 0644 config/tayori-agent.service "$g/usr/lib/systemd/user/"
install -m 0755 packaging/open-screens "$g/usr/lib/tayori-agent/"
install -m 0644 packaging/tayori-agent.desktop "$g/usr/share/applications/"
install -m 0644 packaging/tayori.bash-completion "$g/usr/share/bash-completion/completions/tayori-agent"
install -m 0644 config/agent.yaml "$g/usr/share/doc/tayori-agent/agent.yaml.example"
install -m 0644 packaging/copyright "$g/usr/share/doc/tayori-agent/"
man_page 1 "care plan data exchange for an office PC" "$bin/tayori-agent" "$g/usr/share/man/man1/tayori-agent.1.gz"
control "$g" tayori-agent "" "store-and-forward exchange for care plan data: the office agent
 The agent of tayori on an office PC: signed, end-to-end encrypted sends
 and downloads of care plan CSVs and PDFs, the staff screens in the
 browser, hand-off folders for the care software."
# xdg-utils opens the screens in the browser; a Japanese font shows them (a
# desktop without one draws every kana and kanji as an empty box).
sed -i 's/^Depends: \(.*\)$/Depends: \1\nRecommends: xdg-utils, fonts-noto-cjk | fonts-ipafont-gothic | fonts-vlgothic/' "$g/DEBIAN/control"

for pkg in tayori-broker tayori-agent; do
  dpkg-deb --root-owner-group -Zxz --build "$stage/$pkg" "$OUT/${pkg}_${VERSION}_${arch}.deb" >/dev/null
  echo "$OUT/${pkg}_${VERSION}_${arch}.deb"
done
