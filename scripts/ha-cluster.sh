#!/usr/bin/env bash
# A highly available PostgreSQL for brokers on one machine, on loopback:
# 3 etcd members and 3 PostgreSQL 15 nodes under Patroni in strict
# synchronous mode (a commit returns only once it is on the synchronous
# standby). For trying several brokers against one database and what a
# failover does to them (docs/scale.md). Everything lives in DIR
# (default /tmp/tayori-ha); ports 2379-2384 (etcd), 5441-5443 (PostgreSQL)
# and 8011-8013 (Patroni) must be free.
#   scripts/ha-cluster.sh up [DIR]        start, wait for a leader and a
#                                         synchronous standby, print the
#                                         broker's `store:` string
#   scripts/ha-cluster.sh status [DIR]    patronictl list
#   scripts/ha-cluster.sh failover [DIR]  SIGKILL the leader's Patroni and
#                                         postmaster (a machine lost), then
#                                         print as JSON the seconds until a
#                                         synchronous commit succeeds again
#   scripts/ha-cluster.sh store [DIR]     print the broker's `store:` string
#   scripts/ha-cluster.sh kill [DIR]      SIGKILL the leader's Patroni and
#                                         postmaster and return at once
#   scripts/ha-cluster.sh down [DIR]      stop everything and remove DIR
# Needs patroni, etcd-server, etcd-client and postgresql-15 (Debian
# packages; `up` installs what is missing when run as root). PostgreSQL
# refuses to run as root, so as root the nodes run as the postgres user.
set -euo pipefail
cmd="${1:-}"
dir="${2:-/tmp/tayori-ha}"
bin=/usr/lib/postgresql/15/bin
store="host=127.0.0.1,127.0.0.1,127.0.0.1 port=5441,5442,5443 user=postgres password=tayori-ha dbname=postgres target_session_attrs=read-write connect_timeout=3"

as_db_user() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}

leader() {
  patronictl -c "$dir/p1.yml" list -f json 2>/dev/null |
    python3 -c 'import json,sys; print("".join(m["Member"] for m in json.load(sys.stdin) if m["Role"]=="Leader"))'
}

sync_standbys() {
  patronictl -c "$dir/p1.yml" list -f json 2>/dev/null |
    python3 -c 'import json,sys; print(sum(m["Role"]=="Sync Standby" and m["State"] in ("running","streaming") for m in json.load(sys.stdin)))'
}

# One synchronous commit through the brokers' own connection string.
probe() {
  PGCONNECT_TIMEOUT=3 psql -X -q -v ON_ERROR_STOP=1 "$store" \
    -c "CREATE TABLE IF NOT EXISTS tayori_ha_probe (at timestamptz); INSERT INTO tayori_ha_probe VALUES (now())" \
    >/dev/null 2>&1
}

up() {
  local missing=()
  for p in patroni:patroni etcd:etcd-server etcdctl:etcd-client psql:postgresql-client-15; do
    command -v "${p%%:*}" >/dev/null || missing+=("${p#*:}")
  done
  [ -x "$bin/postgres" ] || missing+=(postgresql-15)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "missing: ${missing[*]}; install them: sudo apt-get install ${missing[*]}" >&2
      exit 2
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ -e "$dir" ]; then
    echo "$dir exists: run 'scripts/ha-cluster.sh down $dir' first" >&2
    exit 2
  fi
  mkdir -p "$dir"
  local members="e1=http://127.0.0.1:2380,e2=http://127.0.0.1:2382,e3=http://127.0.0.1:2384"
  for i in 1 2 3; do
    local c=$((2377 + 2 * i)) p=$((2378 + 2 * i))
    etcd --name "e$i" --data-dir "$dir/e$i" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$members" --initial-cluster-state new --initial-cluster-token tayori-ha \
      >"$dir/e$i.log" 2>&1 &
    echo $! >"$dir/e$i.pid"
  done
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  for i in 1 2 3; do
    cat >"$dir/p$i.yml" <<EOF
scope: tayori
name: pg$i
restapi:
  listen: 127.0.0.1:$((8010 + i))
  connect_address: 127.0.0.1:$((8010 + i))
etcd3:
  hosts: 127.0.0.1:2379,127.0.0.1:2381,127.0.0.1:2383
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    synchronous_mode: true
    synchronous_mode_strict: true
  initdb: [{encoding: UTF8}, {locale: C.UTF-8}]
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 md5
    - host all all 127.0.0.1/32 md5
postgresql:
  listen: 127.0.0.1:$((5440 + i))
  connect_address: 127.0.0.1:$((5440 + i))
  data_dir: $dir/pg$i
  bin_dir: $bin
  pgpass: $dir/pgpass$i
  authentication:
    replication: {username: replicator, password: tayori-ha-rep}
    superuser: {username: postgres, password: tayori-ha}
  parameters:
    unix_socket_directories: $dir
EOF
    [ "$(id -u)" = 0 ] && chown postgres "$dir/p$i.yml"
    as_db_user "patroni $dir/p$i.yml >$dir/p$i.log 2>&1 & echo \$! >$dir/p$i.pid"
  done
  local t=0
  until [ -n "$(leader)" ] && [ "$(sync_standbys)" -ge 1 ] && probe; do
    sleep 1
    t=$((t + 1))
    if [ $t -ge 120 ]; then
      echo "no leader with a synchronous standby after 120 s; logs in $dir/p*.log, $dir/e*.log" >&2
      exit 1
    fi
  done
  echo "leader $(leader), $(sync_standbys) synchronous standby; in broker.yaml:"
  echo "store: \"$store\""
}

# The leader's name (pg1..pg3); exits if there is none.
must_leader() {
  local l
  l="$(leader)"
  [ -n "$l" ] || { echo "no leader: is the cluster up? (scripts/ha-cluster.sh status $dir)" >&2; exit 1; }
  echo "$l"
}

# SIGKILLs node NAME's Patroni and postmaster.
kill_node() {
  local n="${1#pg}"
  kill -9 "$(cat "$dir/p$n.pid")" "$(head -1 "$dir/pg$n/postmaster.pid")" ||
    { echo "cannot kill $1" >&2; exit 1; }
}

kill_leader() {
  local l
  l="$(must_leader)"
  kill_node "$l"
  echo "$l"
}

failover() {
  local start l
  l="$(must_leader)"
  probe || { echo "the cluster does not take writes before the failover" >&2; exit 1; }
  start=$(date +%s.%N)
  kill_node "$l"
  local tries=0
  until probe; do
    sleep 0.2
    tries=$((tries + 1))
    [ $tries -lt 600 ] || { echo "no write accepted 120 s after killing $l" >&2; exit 1; }
  done
  local end
  end=$(date +%s.%N)
  printf '{"killed":"%s","new_leader":"%s","seconds_without_writes":%.1f}\n' \
    "$l" "$(leader)" "$(echo "$end - $start" | bc)"
}

down() {
  [ -d "$dir" ] || { echo "$dir: no cluster there" >&2; exit 2; }
  local pids=()
  for f in "$dir"/p?.pid "$dir"/e?.pid; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  for i in 1 2 3; do
    local pm
    [ -f "$dir/pg$i/postmaster.pid" ] || continue
    pm="$(head -1 "$dir/pg$i/postmaster.pid")"
    # A killed node leaves its pid file behind: only a live postgres is ours.
    [ "$(ps -o comm= -p "$pm" 2>/dev/null)" = postgres ] && pids+=("$pm")
  done
  kill "${pids[@]}" 2>/dev/null || true
  # Patroni stops its PostgreSQL; whatever still runs after 10 s is killed.
  local t=0
  while [ $t -lt 50 ] && kill -0 "${pids[@]}" 2>/dev/null; do
    sleep 0.2
    t=$((t + 1))
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  rm -rf "$dir"
}

case "$cmd" in
  up) up ;;
  status) patronictl -c "$dir/p1.yml" list ;;
  failover) failover ;;
  kill) kill_leader ;;
  store) echo "$store" ;;
  down) down ;;
  *)
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
