#!/usr/bin/env bash
# Builds tayori and runs tayori-bench (flags pass through: --workload, --groups, --mb,
# --sends, --kb, --scale, --no-scp, --checker, --store, --json; --soak with --soak-agents,
# --soak-seconds, --soak-rate, --soak-warmup). Installs openssh-server for the scp baseline if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
if ! dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q "install ok installed"; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
fi
exec build/bin/tayori-bench "$@"
