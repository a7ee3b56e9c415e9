#!/usr/bin/env bash
# Installs the Debian packages tayori builds with, if any are missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libsodium-dev libssl-dev librocksdb-dev libyaml-cpp-dev libzstd-dev libisal-dev
  protobuf-compiler libprotobuf-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev
  clang-14 libclang-rt-14-dev
  python3 python3-yaml
  help2man dpkg-dev fakeroot systemd
  libpq-dev postgresql-15
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
