#!/usr/bin/env bash
# The crash campaign (not part of the test command, which runs a short one):
# SIGKILLs the broker and the agents at random points of bulk sends,
# downloads, acks and sweeps, KILLS times (default 100) with SEED (default:
# the time; printed, so a run can be repeated), restarts them, finishes the
# work as staff would, and checks that every accepted send arrived exactly
# once and byte-identical and reads 済. Prints kills, sends, lost,
# duplicated, damaged.
#   scripts/crash-campaign.sh                 100 kills, a new seed
#   KILLS=300 SEED=7 scripts/crash-campaign.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target crash_campaign_test tayori-broker tayori-agent tayori-admin >/dev/null
seed="${SEED:-$(date +%s)}"
echo "crash campaign: seed $seed, ${KILLS:-100} kills"
TAYORI_CRASH_KILLS="${KILLS:-100}" TAYORI_CRASH_SEED="$seed" \
  build/bin/crash_campaign_test --gtest_brief=1 | grep -v '^round\|^  kill\|^Running main'
