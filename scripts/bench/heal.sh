#!/usr/bin/env bash
# Healing after a node is lost, 4 nodes on loopback, replication target 2:
#   - writes --files files of --size-mib MiB each on A (50 x 20 MiB = 1000 MiB by default) and waits until
#     every file has 2 complete copies;
#   - kill -9 of the node (not A) that holds the most copies;
#   - times how long until the first lost copy is made again (target: <= 30 s) and until every file has
#     2 copies on the live nodes again, and the rate of the copying.
# Prints a markdown table for docs/benchmarks.md. Run as root from a built tree. Traffic stays on loopback.
#
#   scripts/bench/heal.sh [--files 50] [--size-mib 20] [--dir DIR]
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
delugefs="$here/scripts/delugefs"
files=50
size_mib=20
dir="${TMPDIR:-/tmp}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files) files="$2"; shift 2 ;;
    --size-mib) size_mib="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "heal.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for n in "$files" "$size_mib"; do
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || { echo "heal.sh: counts and sizes must be positive integers" >&2; exit 2; }
done

work="$(mktemp -d "$dir/delugefs-heal-bench.XXXXXX")"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pid[@]}"; do wait "$p" 2>/dev/null || true; done
  for m in "$work"/mnt-*; do
    grep -qs " $m " /proc/mounts && fusermount -u -z "$m" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

py=/usr/bin/python3
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { $py -c 'import time; print(time.time())'; }
wait_for() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "heal.sh: timed out waiting for '$2' in $1" >&2; tail -5 "$1.err" >&2 || true; exit 1; }
    sleep 0.1
  done
}
# the content ids a node holds complete, one per line
inventory() {
  local port
  port=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["listen"].rsplit(":",1)[1])' "$work/root-$1/channel.json")
  ssh -i "$work/root-$1/keys/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o LogLevel=ERROR -p "$port" member@127.0.0.1 inventory 2>/dev/null \
    | $py -c 'import json,sys; [print(e["id"]) for e in json.load(sys.stdin)]' || true
}
# how many of the ids in $work/ids have at least 2 copies on the given nodes
at_target() {
  local n
  for n in "$@"; do inventory "$n"; done | sort | uniq -c | awk '$1 >= 2 {print $2}' | grep -cxFf "$work/ids" || true
}

export DELUGEFS_MDNS=off
declare -A port
for n in a b c d; do port[$n]=$(free_port); done
peers() { local n; for n in a b c d; do [[ $n == "$1" ]] || printf -- '--peer 127.0.0.1:%s ' "${port[$n]}"; done; }
# shellcheck disable=SC2046
"$delugefs" create vol --root "$work/root-a" "$work/mnt-a" --listen "127.0.0.1:${port[a]}" $(peers a) \
  > "$work/a.out" 2> "$work/a.out.err" &
pid[a]=$!
wait_for "$work/a.out" "^dfs1-" 60
token=$(grep "^dfs1-" "$work/a.out" | head -1)
for n in b c d; do
  # shellcheck disable=SC2046
  "$delugefs" mount vol --root "$work/root-$n" "$work/mnt-$n" --join "$token" --listen "127.0.0.1:${port[$n]}" \
    $(peers "$n") > "$work/$n.out" 2> "$work/$n.out.err" &
  pid[$n]=$!
  wait_for "$work/$n.out" "mounted at" 60
done

echo "writing $files x $size_mib MiB on A ..." >&2
for i in $(seq 1 "$files"); do head -c $((size_mib * 1048576)) /dev/urandom > "$work/mnt-a/f$i"; done
sleep 1
inventory a > "$work/ids"
[[ $(wc -l < "$work/ids") -eq "$files" ]] || { echo "heal.sh: A holds $(wc -l < "$work/ids") contents, not $files" >&2; exit 1; }
echo "waiting for 2 copies of every file ..." >&2
deadline=$((SECONDS + 600))
until [[ $(at_target a b c d) -eq $files ]]; do
  (( SECONDS < deadline )) || { echo "heal.sh: the files did not reach 2 copies in 600 s" >&2; exit 1; }
  sleep 1
done

victim=b; most=-1
for n in b c d; do
  held=$(inventory "$n" | grep -cxFf "$work/ids" || true)
  if (( held > most )); then victim=$n; most=$held; fi
done
live=(); for n in a b c d; do [[ $n == "$victim" ]] || live+=("$n"); done
echo "killing node $victim, which holds $most of the $files files ..." >&2
t0=$(now)
pkill -9 -P "${pid[$victim]}" 2>/dev/null || true
kill -9 "${pid[$victim]}" 2>/dev/null || true
fusermount -u -z "$work/mnt-$victim" 2>/dev/null || true
unset "pid[$victim]"

base=$((files - most))   # files whose two copies were both on live nodes
started=""
deadline=$((SECONDS + 900))
while true; do
  ok=$(at_target "${live[@]}")
  t=$(now)
  if [[ -z "$started" && $ok -gt $base ]]; then started=$(awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.1f", a - b }'); fi
  if [[ $ok -eq $files ]]; then healed=$(awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.1f", a - b }'); break; fi
  (( SECONDS < deadline )) || { echo "heal.sh: not healed in 900 s ($ok of $files at target)" >&2; exit 1; }
  sleep 0.5
done
copied_mib=$((most * size_mib))
rate=$(awk -v m="$copied_mib" -v s="$healed" -v st="$started" 'BEGIN { printf "%.0f", m * 1.048576 / (s - st) }')
verdict=$(awk -v v="$started" 'BEGIN { print (v <= 30) ? "ok" : "MISSED" }')
cat <<EOT

DelugeFS healing, 4 nodes on loopback, target 2, $(nproc) cores, $(date +%F), $files x $size_mib MiB

| measure | value | target | |
| --- | --- | --- | --- |
| copies lost with the killed node | $most files, $copied_mib MiB | | |
| kill -9 until the first lost copy is made again | ${started} s | <= 30 s | $verdict |
| kill -9 until every file has 2 copies again | ${healed} s | | |
| copying rate while healing | ${rate} MB/s | swarm speed | |
EOT
