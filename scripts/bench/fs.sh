#!/usr/bin/env bash
# DelugeFS against the native filesystem on the same disk, in one run:
#   sequential write, cold sequential read, create+close, stat.
# Prints each figure for both sides, the ratio delugefs/native and the target it must meet, then a
# markdown table for docs/benchmarks.md. Run as root (cold reads need /proc/sys/vm/drop_caches) from a
# built tree (mvn -q -DskipTests package).
#
#   scripts/bench/fs.sh [--size 1G] [--files 10000] [--dir DIR]
#
# --dir holds both the native files and the volume's root, so both sides use the same disk.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
delugefs="${DELUGEFS:-$here/scripts/delugefs}"  # DELUGEFS=... runs another build

size=1G
files=10000
dir="${TMPDIR:-/tmp}"

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
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
[[ -x "$delugefs" ]] || { echo "fs.sh: $delugefs not found" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  echo "fs.sh: warning: not root, caches cannot be dropped: 'cold' reads may be warm" >&2
fi

work="$(mktemp -d "$dir/delugefs-bench.XXXXXX")"
src="$(mktemp -d /dev/shm/delugefs-bench-src.XXXXXX)"
native="$work/native"
root="$work/root"
mnt="$work/mnt"
mkdir -p "$native"
node_pid=""

cleanup() {
  local rc=$?
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
  if grep -q " $mnt " /proc/mounts 2>/dev/null; then
    fusermount -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  fi
  # never rm through a mount that is still there: that would walk into the volume
  if grep -q " $mnt " /proc/mounts 2>/dev/null; then
    echo "fs.sh: $mnt is still mounted; left $work in place" >&2
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

drop_caches() {
  sync
  if [[ $(id -u) -eq 0 ]]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

start_node() { # create|mount
  local log="$work/node-$1.log" out="$work/node-$1.out"
  if [[ "$1" == create ]]; then
    "$delugefs" create bench --root "$root" "$mnt" >"$out" 2>"$log" &
  else
    "$delugefs" mount bench --root "$root" "$mnt" >"$out" 2>"$log" &
  fi
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
# the node, as it does for a file not touched in the last second; native stat hits the dentry cache.
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

echo "sequential write ..." >&2
w_native=$(seq_write "$native/big")
w_dfs=$(seq_write "$mnt/big")

echo "cold sequential read ..." >&2
stop_node
start_node mount
r_native=$(seq_read "$native/big")
r_dfs=$(seq_read "$mnt/big")
rm -f "$native/big" "$mnt/big"

echo "create+close x $files ..." >&2
c_native=$(creates "$native/many")
c_dfs=$(creates "$mnt/many")

echo "stat x $files ..." >&2
s_native=$(stats "$native/many")
s_dfs=$(stats "$mnt/many")

stop_node

fstype=$(df -T "$dir" | awk 'NR==2 { print $2 }')
row() { # name unit dfs native target
  awk -v name="$1" -v unit="$2" -v d="$3" -v n="$4" -v t="$5" 'BEGIN {
    r = d / n
    printf "| %s | %s %s | %s %s | %.2f | ≥ %.1f | %s |\n", name, d, unit, n, unit, r, t, (r >= t ? "ok" : "BELOW")
  }'
}
{
  echo
  echo "DelugeFS vs native ($fstype under $dir), $(nproc) cores, $(date -u +%Y-%m-%d), size ${mib} MiB, files $files"
  echo
  echo "| measure | delugefs | native | delugefs/native | target | |"
  echo "| --- | --- | --- | --- | --- | --- |"
  row "sequential write (dd bs=1M conv=fsync)" "MiB/s" "$w_dfs" "$w_native" 0.6
  row "cold sequential read (dd bs=1M)" "MiB/s" "$r_dfs" "$r_native" 0.8
  row "create+close" "ops/s" "$c_dfs" "$c_native" 0.5
  row "stat" "ops/s" "$s_dfs" "$s_native" 0.1
}
