#!/bin/bash
# Prints, one per line and sorted, the system calls a systemd unit file's
# SystemCallFilter= lines let through.
#
#   scripts/unit-syscalls.sh packaging/tayori-broker.service
#
# The first SystemCallFilter= decides the mode; this script handles the
# allow-list mode the packaged units use: the first list is what is allowed,
# a later "~" list takes calls away and a later plain list gives them back
# (systemd.exec(5)). Groups (@name) are expanded with systemd-analyze.
set -euo pipefail
unit=${1:?usage: unit-syscalls.sh UNIT_FILE}
[ -r "$unit" ] || { echo "unit-syscalls: cannot read $unit" >&2; exit 2; }

# Expands names and @groups to system call names, recursively.
expand() {
  local item
  for item in "$@"; do
    if [[ $item == @* ]]; then
      # systemd-analyze lists the group itself first, then its members.
      # shellcheck disable=SC2046
      expand $(systemd-analyze syscall-filter --no-pager "$item" |
                 sed -n '2,$s/^ *\([-@a-z0-9_]\+\)$/\1/p')
    else
      echo "$item"
    fi
  done
}

declare -A allowed=()
first=1
while IFS= read -r value; do
  deny=0
  if [[ $value == ~* ]]; then deny=1; value=${value#\~}; fi
  if [ "$first" = 1 ] && [ "$deny" = 1 ]; then
    echo "unit-syscalls: $unit starts with a deny list; only allow lists are handled" >&2
    exit 2
  fi
  first=0
  # shellcheck disable=SC2086
  for call in $(expand $value); do
    if [ "$deny" = 1 ]; then unset "allowed[$call]"; else allowed[$call]=1; fi
  done
done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
[ "$first" = 0 ] || { echo "unit-syscalls: $unit has no SystemCallFilter=" >&2; exit 2; }
printf '%s\n' "${!allowed[@]}" | sort
