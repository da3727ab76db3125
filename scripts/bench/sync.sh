#!/usr/bin/env bash
# Namespace sync between two nodes on loopback, in one run:
#   - propagation: a file closed on A until it is visible on B (stat succeeds), p50 and p99 over --files
#   - join: from `mount --join TOKEN` of a new node until its mount shows the volume's files
# Prints the figures against the targets (p50 <= 0.5 s, p99 <= 2 s, join <= 6 s) and a markdown table for
# docs/benchmarks.md. Run as root from a built tree (mvn -q -DskipTests package). Traffic stays on loopback.
#
#   scripts/bench/sync.sh [--files 100] [--dir DIR]
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
delugefs="$here/scripts/delugefs"
files=100
dir="${TMPDIR:-/tmp}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files) files="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sync.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$files" =~ ^[0-9]+$ && "$files" -ge 2 ]] || { echo "sync.sh: --files must be at least 2" >&2; exit 2; }

work="$(mktemp -d "$dir/delugefs-sync-bench.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for m in "$work"/mnt-*; do
    grep -qs " $m " /proc/mounts && fusermount -u -z "$m" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "sync.sh: timed out waiting for '$2' in $1:" >&2; tail -5 "$1.err" >&2 || true; exit 1; }
    sleep 0.05
  done
}

export DELUGEFS_MDNS=off
pa=$(free_port); pb=$(free_port); pc=$(free_port)
"$delugefs" create vol --root "$work/root-a" "$work/mnt-a" --listen "127.0.0.1:$pa" \
  --peer "127.0.0.1:$pb" --peer "127.0.0.1:$pc" > "$work/a.out" 2> "$work/a.out.err" &
pids+=($!)
wait_for "$work/a.out" "^dfs1-" 60
token=$(grep "^dfs1-" "$work/a.out" | head -1)
"$delugefs" mount vol --root "$work/root-b" "$work/mnt-b" --join "$token" --listen "127.0.0.1:$pb" \
  --peer "127.0.0.1:$pa" > "$work/b.out" 2> "$work/b.out.err" &
pids+=($!)
wait_for "$work/b.out" "mounted at" 60

echo "propagation of $files files A -> B ..." >&2
/usr/bin/python3 - "$work/mnt-a" "$work/mnt-b" "$files" > "$work/latency" <<'EOF'
import os, sys, time
a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(f"{a}/prop", exist_ok=True)
lat = []
for i in range(n):
    name = f"prop/f{i}"
    with open(f"{a}/{name}", "wb") as f:
        f.write(b"x" * 100)
    t0 = time.perf_counter()
    deadline = t0 + 30
    while True:
        try:
            os.stat(f"{b}/{name}")
            break
        except FileNotFoundError:
            if time.perf_counter() > deadline:
                sys.exit(f"file {i} did not reach B in 30 s")
            time.sleep(0.002)
    lat.append(time.perf_counter() - t0)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{p(0.5):.3f} {p(0.99):.3f} {lat[0]:.3f} {lat[-1]:.3f}")
EOF
read -r p50 p99 pmin pmax < "$work/latency"

echo "join of a new node ..." >&2
start=$(date +%s.%N)
"$delugefs" mount vol --root "$work/root-c" "$work/mnt-c" --join "$token" --listen "127.0.0.1:$pc" \
  --peer "127.0.0.1:$pa" > "$work/c.out" 2> "$work/c.out.err" &
pids+=($!)
deadline=$((SECONDS + 60))
until [[ -e "$work/mnt-c/prop/f$((files - 1))" ]]; do
  (( SECONDS < deadline )) || { echo "sync.sh: the new node did not see the volume in 60 s" >&2; tail -5 "$work/c.out.err" >&2; exit 1; }
  sleep 0.02
done
join=$(/usr/bin/python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(date +%s.%N)" "$start")

verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "ok" : "ABOVE" }'; }
cat <<EOT

DelugeFS namespace sync, 2 nodes on loopback (+1 joining), $(nproc) cores, $(date +%F), $files files

| measure | value | target | |
| --- | --- | --- | --- |
| close on A -> visible on B, p50 | ${p50} s | <= 0.5 s | $(verdict "$p50" 0.5) |
| close on A -> visible on B, p99 | ${p99} s | <= 2 s | $(verdict "$p99" 2) |
| (min / max) | ${pmin} s / ${pmax} s | | |
| new node: mount --join until it shows the volume | $(printf '%.2f' "$join") s | <= 6 s | $(verdict "$join" 6) |
EOT
