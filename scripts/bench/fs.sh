#!/usr/bin/env bash
# DelugeFS against the native filesystem on the same disk, in one run:
#   sequential write, cold sequential read, create+close, stat.
# Each workload runs on three sides, interleaved round by round so that a slow spell of the machine or
# the disk hits all of them: native (a plain directory), floor (scripts/bench/floorfs.c, a C passthrough
# on libfuse 2 mounted with the node's options: what any filesystem on this FUSE stack reaches here) and
# DelugeFS. Prints the median of the rounds for each side, the ratios delugefs/native and floor/native,
# and the target; then a markdown table for docs/benchmarks.md. Run as root (cold reads need
# /proc/sys/vm/drop_caches) from a built tree (scripts/setup.sh --bench also installs gcc and libfuse-dev,
# which the floor needs; without them it is skipped).
#
#   scripts/bench/fs.sh [--size 1G] [--files 10000] [--rounds 3] [--dir DIR]
#
# --dir holds the native files, the floor's backing directory and the volume's root: one disk for all.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
delugefs="${DELUGEFS:-$here/scripts/delugefs}"  # DELUGEFS=... runs another build

size=1G
files=10000
rounds=3
dir="${TMPDIR:-/tmp}"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fs.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# numfmt understands 1G, 512M, 1073741824 ...; dd moves whole MiB blocks
bytes=$(numfmt --from=iec "$size")
mib=$(( bytes / 1048576 ))
(( mib > 0 )) || { echo "fs.sh: --size must be at least 1M" >&2; exit 2; }
[[ "$files" =~ ^[0-9]+$ && "$files" -gt 0 ]] || { echo "fs.sh: --files must be a positive number" >&2; exit 2; }
[[ "$rounds" =~ ^[0-9]+$ && "$rounds" -gt 0 ]] || { echo "fs.sh: --rounds must be a positive number" >&2; exit 2; }
[[ -x "$delugefs" ]] || { echo "fs.sh: $delugefs not found" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  echo "fs.sh: warning: not root, caches cannot be dropped: 'cold' reads may be warm" >&2
fi

work="$(mktemp -d "$dir/delugefs-bench.XXXXXX")"
src="$(mktemp -d /dev/shm/delugefs-bench-src.XXXXXX)"
native="$work/native"
root="$work/root"
mnt="$work/mnt"
floor_back="$work/floor-back"
floor_mnt="$work/floor-mnt"
mkdir -p "$native" "$floor_back" "$floor_mnt"
node_pid=""

# the options FuseMount gives the node's mount, so the floor pays for the same kernel behaviour
fuse_opts="big_writes,atomic_o_trunc,default_permissions,auto_cache"
[[ $(id -u) -ne 0 ]] || fuse_opts+=",allow_other"

unmount() { # mountpoint
  if grep -q " $1 " /proc/mounts 2>/dev/null; then
    fusermount -u -z "$1" 2>/dev/null || umount -l "$1" 2>/dev/null || true
  fi
}

cleanup() {
  local rc=$?
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
  unmount "$mnt"
  unmount "$floor_mnt"
  # never rm through a mount that is still there: that would walk into the volume
  if grep -q " $mnt \| $floor_mnt " /proc/mounts 2>/dev/null; then
    echo "fs.sh: a mount under $work is still there; left $work in place" >&2
  else
    rm -rf --one-file-system "$work"
  fi
  rm -rf "$src"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
# MiB/s or ops/s from an amount and two timestamps
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

drop_caches() {
  sync
  if [[ $(id -u) -eq 0 ]]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

# The node widens the kernel's read-ahead on its mount (FuseMount.widenReadahead); the floor gets the same.
widen_readahead() { # mountpoint
  local dev
  dev=$(mountpoint -d "$1")
  [[ -w "/sys/class/bdi/$dev/read_ahead_kb" ]] && echo 1024 > "/sys/class/bdi/$dev/read_ahead_kb" || true
}

start_node() { # create|mount
  local log="$work/node-$1.log" out="$work/node-$1.out"
  # a volume of one node: no discovery, and its channel on loopback (nothing leaves this machine)
  "$delugefs" "$1" bench --root "$root" "$mnt" --no-mdns --listen 127.0.0.1:0 >"$out" 2>>"$log" &
  node_pid=$!
  for _ in $(seq 300); do
    if grep -qx "delugefs: bench mounted at $mnt" "$out" && grep -q " $mnt fuse.delugefs " /proc/mounts; then
      return 0
    fi
    kill -0 "$node_pid" 2>/dev/null || { echo "fs.sh: node exited:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "fs.sh: node not mounted after 30 s:" >&2; tail -20 "$log" >&2; exit 1
}

stop_node() {
  "$delugefs" unmount "$mnt" >/dev/null
  local rc=0
  wait "$node_pid" || rc=$?
  node_pid=""
  (( rc == 0 )) || { echo "fs.sh: node exited with $rc after unmount" >&2; tail -20 "$work"/node-*.log >&2; exit 1; }
}

# The floor: built from source here, so that it is the same code on every machine.
floor=""
if command -v gcc >/dev/null && [[ -f /usr/include/fuse/fuse.h ]]; then
  gcc -O2 -o "$work/floorfs" "$here/scripts/bench/floorfs.c" -D_FILE_OFFSET_BITS=64 -I/usr/include/fuse -lfuse -pthread
  floor="$work/floorfs"
else
  echo "fs.sh: warning: no gcc or libfuse-dev (scripts/setup.sh --bench installs them): the floor is skipped" >&2
fi

start_floor() {
  "$floor" "$floor_back" "$floor_mnt" -o "$fuse_opts" 2>"$work/floor.log"
  for _ in $(seq 100); do
    grep -q " $floor_mnt " /proc/mounts && { widen_readahead "$floor_mnt"; return 0; }
    sleep 0.05
  done
  echo "fs.sh: floorfs did not mount:" >&2; cat "$work/floor.log" >&2; exit 1
}

# the sides; each round runs them in turn, from another start
sides=(native)
[[ -z "$floor" ]] || sides+=(floor)
sides+=(delugefs)
dir_of() { # side -> directory the workloads run in
  case "$1" in native) echo "$native" ;; floor) echo "$floor_mnt" ;; delugefs) echo "$mnt" ;; esac
}

# Write: random bytes (DelugeFS hashes content, so zeros could flatter it) from tmpfs, so the source
# costs nothing. bs=1M matches the 128 KiB FUSE requests many times over. conv=fsync, and the timer
# around the whole dd, count until the data is durable and the file closed (for DelugeFS: sealed into
# the block store and journaled): what a user waits for, not how fast the page cache fills.
seq_write() { # target-file -> MiB/s
  sync
  local t0 t1
  t0=$(now)
  dd if="$src/data" of="$1" bs=1M count="$mib" conv=fsync status=none
  t1=$(now)
  rate "$mib" "$t0" "$t1"
}

# Cold read: page cache dropped right before; DelugeFS is also remounted before it, so neither the
# kernel's FUSE caches nor the node's in-memory state hold the data.
seq_read() { # file -> MiB/s
  drop_caches
  local t0 t1
  t0=$(now)
  dd if="$1" of=/dev/null bs=1M status=none
  t1=$(now)
  rate "$mib" "$t0" "$t1"
}

# Metadata: one python process per side, timed inside it so interpreter start-up does not count.
# Creates are open(O_CREAT)+close of empty files in one directory. Stats are lstat of those files after
# a 2 s pause, so the kernel's FUSE attribute cache (1 s by default) has expired and each stat reaches
# the filesystem, as it does for a file not touched in the last second; native stat hits the dentry cache.
creates() { # dir -> ops/s
  mkdir -p "$1"
  /usr/bin/python3 - "$1" "$files" <<'EOF'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
for i in range(n):
    os.close(os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
print(f"{n / (time.perf_counter() - t0):.0f}")
EOF
}

stats() { # dir -> ops/s
  sleep 2
  /usr/bin/python3 - "$1" "$files" <<'EOF'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
for i in range(n):
    os.lstat(f"{d}/f{i}")
print(f"{n / (time.perf_counter() - t0):.0f}")
EOF
}

echo "preparing ${mib} MiB of random data in tmpfs ..." >&2
head -c "$(( mib * 1048576 ))" /dev/urandom >"$src/data"

start_node create
[[ -z "$floor" ]] || start_floor

declare -A results  # "workload side" -> space-separated figures of the rounds
add() { results["$1 $2"]+="$3 "; }

for round in $(seq "$rounds"); do
  # each round starts with another side: whoever runs right after another side's 1 GiB write and fsync
  # meets a disk still busy with it (and with the discards of the files deleted before)
  order=("${sides[@]:$(( (round - 1) % ${#sides[@]} ))}" "${sides[@]:0:$(( (round - 1) % ${#sides[@]} ))}")
  echo "round $round of $rounds (${order[*]}): sequential write ..." >&2
  for side in "${order[@]}"; do add write "$side" "$(seq_write "$(dir_of "$side")/big")"; done

  echo "round $round of $rounds: cold sequential read ..." >&2
  stop_node
  start_node mount
  for side in "${order[@]}"; do add read "$side" "$(seq_read "$(dir_of "$side")/big")"; done
  for side in "${order[@]}"; do rm -f "$(dir_of "$side")/big"; done

  echo "round $round of $rounds: create+close x $files ..." >&2
  for side in "${order[@]}"; do add create "$side" "$(creates "$(dir_of "$side")/many-$round")"; done

  echo "round $round of $rounds: stat x $files ..." >&2
  for side in "${order[@]}"; do add stat "$side" "$(stats "$(dir_of "$side")/many-$round")"; done
done

stop_node
[[ -z "$floor" ]] || unmount "$floor_mnt"

fstype=$(df -T "$dir" | awk 'NR==2 { print $2 }')
med() { # workload side -> median, or - for a side that did not run
  local v=${results["$1 $2"]:-}
  if [[ -z "$v" ]]; then echo "-"; else median $v; fi
}
row() { # name unit workload target
  local d n f
  d=$(med "$3" delugefs); n=$(med "$3" native); f=$(med "$3" floor)
  awk -v name="$1" -v unit="$2" -v d="$d" -v n="$n" -v f="$f" -v t="$4" 'BEGIN {
    r = d / n
    floor = (f == "-") ? "- | -" : sprintf("%s %s | %.2f", f, unit, f / n)
    printf "| %s | %s %s | %s %s | %s | %.2f | ≥ %.1f | %s |\n", name, d, unit, n, unit, floor, r, t, (r >= t ? "ok" : "BELOW")
  }'
}
{
  echo
  echo "DelugeFS vs native ($fstype under $dir), $(nproc) cores, $(date -u +%Y-%m-%d), size ${mib} MiB, files $files, median of $rounds rounds"
  echo
  echo "| measure | delugefs | native | floor (C on libfuse 2) | floor/native | delugefs/native | target | |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  row "sequential write (dd bs=1M conv=fsync)" "MiB/s" write 0.6
  row "cold sequential read (dd bs=1M)" "MiB/s" read 0.8
  row "create+close" "ops/s" create 0.5
  row "stat" "ops/s" stat 0.1
  echo
  echo "every round (delugefs / native / floor):"
  for w in write read create stat; do
    echo "  $w: ${results["$w delugefs"]}/ ${results["$w native"]}/ ${results["$w floor"]:-}"
  done
}
