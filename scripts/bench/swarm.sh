#!/usr/bin/env bash
# The BitTorrent data plane between two nodes on loopback, in one run:
#   - remote read: a 1 GiB file written on A, read whole on B (cold), against a plain TCP copy of the
#     same bytes from a cold page cache over loopback with socat in the same run (the issue's baseline;
#     a zero-copy sendfile copy is printed beside it), and against libtorrent (python3-libtorrent, C++)
#     moving the same bytes between two sessions on loopback: what a mature BitTorrent engine reaches here
#   - a second 1 GiB file read the same way: the first read after a node starts also pays for the JIT
#     compiling the data path (seconds of CPU on both nodes), which a node that has run a while has done
#   - first byte at a random offset: 4 KiB preads of a 256 MiB file on B that B has not fetched, p50 / p99
#   - 200 x 1 MiB files written on A, read on B one after the other
# Prints the figures against the targets and a markdown table for docs/benchmarks.md. Run as root from a
# built tree (scripts/setup.sh --bench installs socat). Traffic stays on loopback, or with --link-mbit
# on a link of that rate between two network namespaces the script makes (a veth pair shaped by tc,
# as a LAN would be; the TCP copy crosses the same link, the sendfile and libtorrent baselines are left out).
#
#   scripts/bench/swarm.sh [--size-mib 1024] [--small 200] [--probes 100] [--link-mbit N] [--dir DIR]
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
delugefs="$here/scripts/delugefs"
size_mib=1024
small=200
probes=100
link_mbit=""
dir="${TMPDIR:-/tmp}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mib) size_mib="$2"; shift 2 ;;
    --small) small="$2"; shift 2 ;;
    --probes) probes="$2"; shift 2 ;;
    --link-mbit) link_mbit="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "swarm.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v socat > /dev/null || { echo "swarm.sh: socat is needed for the TCP baseline: apt-get install socat" >&2; exit 2; }
[[ -n "$link_mbit" ]] || /usr/bin/python3 -c 'import libtorrent' 2>/dev/null \
  || { echo "swarm.sh: python3-libtorrent is needed for the BitTorrent baseline: apt-get install python3-libtorrent" >&2; exit 2; }
for n in "$size_mib" "$small" "$probes" ${link_mbit:+"$link_mbit"}; do
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || { echo "swarm.sh: sizes and counts must be positive integers" >&2; exit 2; }
done

work="$(mktemp -d "$dir/delugefs-swarm-bench.XXXXXX")"
pids=()
namespaces=()
cleanup() {
  local status=$?
  if [[ $status -ne 0 && -f "$work/b.out.err" ]]; then
    echo "--- node B's log (last lines) ---" >&2
    grep -v '^\s*at ' "$work/b.out.err" | tail -15 >&2
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for m in "$work"/mnt-*; do
    grep -qs " $m " /proc/mounts && fusermount -u -z "$m" 2>/dev/null || true
  done
  [[ -n "${KEEP_LOGS:-}" ]] && cp "$work/b.out.err" /tmp/bench-b.log
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

py=/usr/bin/python3
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "swarm.sh: timed out waiting for '$2' in $1:" >&2; tail -5 "$1.err" >&2 || true; exit 1; }
    sleep 0.05
  done
}
wait_size() { # path bytes seconds
  local deadline=$((SECONDS + $3))
  until [[ "$(stat -c %s "$1" 2>/dev/null || echo -1)" == "$2" ]]; do
    (( SECONDS < deadline )) || { echo "swarm.sh: $1 did not reach $2 bytes on B" >&2; exit 1; }
    sleep 0.05
  done
}
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
now() { $py -c 'import time; print(time.time())'; }
seconds_since() { $py -c "import sys,time; print(time.time() - float(sys.argv[1]))" "$1"; }

export DELUGEFS_MDNS=off
pa=$(free_port); pb=$(free_port)
host_a=127.0.0.1; host_b=127.0.0.1
in_a=(); in_b=()  # the command prefix that runs a program in A's or B's network
link="loopback"
if [[ -n "$link_mbit" ]]; then
  # Two namespaces joined by a veth pair, each end shaped to the rate: A's node, its files' source and the
  # TCP copy's sender live in one, B's node and the receiver in the other. nsenter --net changes only the
  # network, so B's FUSE mount stays visible here (ip netns exec would hide it in a mount namespace).
  command -v tc > /dev/null || { echo "swarm.sh: tc (iproute2) is needed for --link-mbit" >&2; exit 2; }
  tag="dfsb$$"
  subnet="10.$((200 + RANDOM % 50)).$((RANDOM % 250))"
  host_a="$subnet.1"; host_b="$subnet.2"
  for side in a b; do ip netns add "$tag$side"; namespaces+=("$tag$side"); ip -n "$tag$side" link set lo up; done
  ip link add "${tag}va" netns "${tag}a" type veth peer name "${tag}vb" netns "${tag}b"
  for side in a b; do
    ip -n "$tag$side" addr add "$subnet.$([[ $side == a ]] && echo 1 || echo 2)/24" dev "${tag}v$side"
    ip -n "$tag$side" link set "${tag}v$side" up
    tc -n "$tag$side" qdisc add dev "${tag}v$side" root tbf rate "${link_mbit}mbit" burst 1mb latency 50ms
  done
  in_a=(nsenter "--net=/run/netns/${tag}a"); in_b=(nsenter "--net=/run/netns/${tag}b")
  link="a ${link_mbit} Mbit/s veth link between two network namespaces"
fi
# one copy is the target: with two, replication would copy every file to B before B reads it
"${in_a[@]}" "$delugefs" create vol --root "$work/root-a" "$work/mnt-a" --listen "$host_a:$pa" --peer "$host_b:$pb" \
  --replication 1 > "$work/a.out" 2> "$work/a.out.err" &
pids+=($!)
wait_for "$work/a.out" "^dfs1-" 60
token=$(grep "^dfs1-" "$work/a.out" | head -1)
"${in_b[@]}" "$delugefs" mount vol --root "$work/root-b" "$work/mnt-b" --join "$token" --listen "$host_b:$pb" \
  --peer "$host_a:$pa" > "$work/b.out" 2> "$work/b.out.err" &
pids+=($!)
wait_for "$work/b.out" "mounted at" 60
sleep 2  # both ends see each other (probe interval)

bytes=$((size_mib * 1048576))
echo "writing ${size_mib} MiB on A ..." >&2
head -c "$bytes" /dev/urandom > "$work/big.src"
cp "$work/big.src" "$work/mnt-a/big"
head -c "$bytes" /dev/urandom > "$work/mnt-a/big2"
wait_size "$work/mnt-b/big" "$bytes" 60
wait_size "$work/mnt-b/big2" "$bytes" 60

echo "plain TCP copy of the same bytes over $link ..." >&2
drop_caches
cat > "$work/tcp.py" <<'PY'
import os, socket, sys, threading, time
path = sys.argv[1]
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def send():
    c, _ = srv.accept()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size; off = 0
        while off < size:
            off += os.sendfile(c.fileno(), f.fileno(), off, size - off)
    c.close()
threading.Thread(target=send, daemon=True).start()
s = socket.create_connection(srv.getsockname())
t0 = time.perf_counter(); n = 0; buf = bytearray(1 << 20)
while True:
    k = s.recv_into(buf)
    if not k: break
    n += k
print(f"{n / (time.perf_counter() - t0) / 1e6:.0f}")
PY
sendfile="-"
[[ -n "$link_mbit" ]] || sendfile=$($py "$work/tcp.py" "$work/big.src")
drop_caches
sp=$(free_port)
"${in_b[@]}" socat -u "TCP-LISTEN:$sp,bind=$host_b,reuseaddr" OPEN:/dev/null &
pids+=($!)
sleep 0.3
t0=$(now)
"${in_a[@]}" socat -u "FILE:$work/big.src" "TCP:$host_b:$sp"
tcp=$(awk -v b="$bytes" -v s="$(seconds_since "$t0")" 'BEGIN { printf "%.0f", b / s / 1e6 }')

cat > "$work/lt.py" <<'PY'
import libtorrent as lt, os, sys, time
work = sys.argv[1]
fs = lt.file_storage(); lt.add_files(fs, f"{work}/lt-seed/data")
t = lt.create_torrent(fs, 1 << 20)
lt.set_piece_hashes(t, f"{work}/lt-seed")
info = lt.torrent_info(lt.bencode(t.generate()))
def session():  # loopback only, no discovery of any kind, no encryption, TCP only (as our nodes)
    return lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                       "enable_upnp": False, "enable_natpmp": False, "enable_outgoing_utp": False,
                       "enable_incoming_utp": False, "out_enc_policy": 2, "in_enc_policy": 2})
seed, leech = session(), session()
s = seed.add_torrent({"ti": info, "save_path": f"{work}/lt-seed"})
deadline = time.time() + 120
while not s.status().is_seeding:
    if time.time() > deadline: sys.exit("the seed did not check its data in 120 s")
    time.sleep(0.05)
os.system("sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null")
l = leech.add_torrent({"ti": lt.torrent_info(info), "save_path": f"{work}/lt-leech"})
t0 = time.time()
l.connect_peer(("127.0.0.1", seed.listen_port()))
while not l.status().is_seeding:
    if time.time() > t0 + 300: sys.exit("libtorrent did not finish in 300 s")
    time.sleep(0.01)
print(f"{info.total_size() / (time.time() - t0) / 1e6:.0f}")
PY
libtorrent="-"
if [[ -z "$link_mbit" ]]; then
  echo "libtorrent to libtorrent, same bytes, loopback ..." >&2
  mkdir -p "$work/lt-seed" "$work/lt-leech"
  ln "$work/big.src" "$work/lt-seed/data"
  libtorrent=$($py "$work/lt.py" "$work")
  cmp -s "$work/big.src" "$work/lt-leech/data" || { echo "swarm.sh: libtorrent copied other bytes" >&2; exit 1; }
  rm -rf "$work/lt-seed" "$work/lt-leech"
fi

echo "reading it on B ..." >&2
expected=$(sha256sum < "$work/big.src" | cut -d' ' -f1)
drop_caches
t0=$(now)
dd if="$work/mnt-b/big" of=/dev/null bs=1M status=none
read_s=$(seconds_since "$t0")
remote=$(awk -v b="$bytes" -v s="$read_s" 'BEGIN { printf "%.0f", b / s / 1e6 }')
# the same bytes again, now local on B: they must be what A wrote
got=$(sha256sum < "$work/mnt-b/big" | cut -d' ' -f1)
[[ "$got" == "$expected" ]] || { echo "swarm.sh: B read other bytes than A wrote" >&2; exit 1; }

echo "reading a second ${size_mib} MiB file on B ..." >&2
drop_caches
t0=$(now)
dd if="$work/mnt-b/big2" of=/dev/null bs=1M status=none
remote2=$(awk -v b="$bytes" -v s="$(seconds_since "$t0")" 'BEGIN { printf "%.0f", b / s / 1e6 }')

echo "first byte at random offsets ..." >&2
head -c $((256 * 1048576)) /dev/urandom > "$work/mnt-a/probe"
wait_size "$work/mnt-b/probe" $((256 * 1048576)) 60
drop_caches
cat > "$work/probe.py" <<'PY'
import os, random, sys, time
f = os.open(sys.argv[1], os.O_RDONLY); n = int(sys.argv[2])
size = os.fstat(f).st_size; piece = 1 << 20
rnd = random.Random(1)
offsets = rnd.sample(range(size // piece), min(n, size // piece))
lat = []
for p in offsets:
    off = p * piece + rnd.randrange(piece - 4096)
    t0 = time.perf_counter(); os.pread(f, 4096, off); lat.append(time.perf_counter() - t0)
lat.sort()
q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))]
print(f"{q(0.5) * 1000:.1f} {q(0.99) * 1000:.1f} {lat[-1] * 1000:.1f}")
PY
read -r f50 f99 fmax < <($py "$work/probe.py" "$work/mnt-b/probe" "$probes")

echo "$small x 1 MiB files ..." >&2
mkdir -p "$work/mnt-a/small"
for i in $(seq 1 "$small"); do head -c 1048576 /dev/urandom > "$work/mnt-a/small/f$i"; done
wait_size "$work/mnt-b/small/f$small" 1048576 60
drop_caches
t0=$(now)
cat "$work"/mnt-b/small/f* > /dev/null
small_s=$(seconds_since "$t0")
smallrate=$(awk -v b="$((small * 1048576))" -v s="$small_s" 'BEGIN { printf "%.0f", b / s / 1e6 }')
failures=$("${in_b[@]}" "$delugefs" status --root "$work/root-b" --json | $py -c 'import json,sys; print(json.load(sys.stdin)["swarm"]["hashFailures"])')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = (dir == "ge") ? v >= t : v <= t; print ok ? "ok" : "MISSED" }'; }
if [[ -n "$link_mbit" ]]; then
  # the link caps the read far below it: the 200 MB/s figure is a loopback target
  read_target="| (loopback: >= 200 MB/s) | |"
  baselines=""
else
  read_target="| >= 200 MB/s | $(verdict "$remote" 200 ge) |"
  baselines="| (zero-copy sendfile copy, cold; remote read / it) | ${sendfile} MB/s; $(ratio "$remote" "$sendfile") | | |
| libtorrent to libtorrent, same bytes, loopback (cold); its ratio to the TCP copy | ${libtorrent} MB/s; $(ratio "$libtorrent" "$tcp") | | |
| remote read / libtorrent | $(ratio "$remote" "$libtorrent") | | |
"
fi
cat <<EOT

DelugeFS data plane, 2 nodes on $link, $(nproc) cores, $(date +%F), ${size_mib} MiB, $small small files

| measure | value | target | |
| --- | --- | --- | --- |
| ${size_mib} MiB remote read on B, cold (dd bs=1M through the mount) | ${remote} MB/s ${read_target}
| plain TCP copy, same bytes, same link (socat, cold) | ${tcp} MB/s | | |
| remote read / TCP copy | $(ratio "$remote" "$tcp") | >= 0.5 | $(verdict "$(ratio "$remote" "$tcp")" 0.5 ge) |
${baselines}| second ${size_mib} MiB remote read on B, cold page cache, JIT warm; / TCP copy | ${remote2} MB/s; $(ratio "$remote2" "$tcp") | | |
| first byte at a random offset, p50 | ${f50} ms | <= 50 ms | $(verdict "$f50" 50 le) |
| first byte at a random offset, p99 | ${f99} ms (max ${fmax}) | <= 300 ms | $(verdict "$f99" 300 le) |
| $small x 1 MiB remote files, read in turn | ${smallrate} MB/s | | |
| small files / large file | $(ratio "$smallrate" "$remote") | >= 0.5 | $(verdict "$(ratio "$smallrate" "$remote")" 0.5 ge) |
| hash failures on B | ${failures} | | |
EOT
