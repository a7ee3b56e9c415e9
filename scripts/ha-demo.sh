#!/usr/bin/env bash
# The availability demonstration (docs/scale.md): on loopback, 3 etcd
# members and 3 PostgreSQL nodes under Patroni (synchronous, strict; by
# scripts/ha-cluster.sh) and 3 brokers sharing the database; a bulk of
# 50 x 10 MB plus 20 offices sending and downloading; in the middle the
# PostgreSQL primary and one broker are SIGKILLed. Prints one JSON document:
# sends accepted, delivered, lost (must be 0), duplicated (must be 0),
# seconds without service, and throughput against one RocksDB broker
# running the same load in the same run. Stops everything it started.
# Flags pass to tayori-ha-demo: --groups, --mb, --offices, --kb.
# Exit status 1 if a send was lost or duplicated. About 3 minutes; needs the
# ports of scripts/ha-cluster.sh free.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
dir=/tmp/tayori-ha-demo-$$
trap 'bash scripts/ha-cluster.sh down "$dir" >/dev/null 2>&1 || true' EXIT
bash scripts/ha-cluster.sh up "$dir" >&2
store="$(bash scripts/ha-cluster.sh store "$dir")"
build/bin/tayori-ha-demo --store "$store" --kill-primary "bash scripts/ha-cluster.sh failover $dir" "$@"
