#!/usr/bin/env bash
# Namespace sync among N nodes, any to any, in one run:
#   - membership: from the start of node 1 until every node lists every other as up (`status`, peers[].up);
#   - any-to-any propagation: --files rounds, each with a writer picked round-robin that creates and closes
#     a small file in its mount; times until stat finds it on every other node: p50 and p99 of the delays
#     per observer and of the slowest observer of each round (targets p50 <= 0.3 s, p99 <= 1 s);
#   - all at once: every node writes one file at the same moment; times until every node lists all N and
#     until all trees are identical (a find+lstat digest per node; target <= 5 s), and until every node's
#     namespace is at one commit (`status`, head: the merges have settled);
#   - join: from `mount --join TOKEN` of one more node until its mount shows the volume (target <= 6 s).
# Modes: static: N nodes on loopback (free ports, no mDNS); node 1 is made by `create` without --peer and
#   every joiner names node 1 alone by --peer.
#   mdns: N network namespaces on one bridge (random names and 10.x.y.0/24), DELUGEFS_MDNS=on and no
#   --peer at all: the nodes find each other by mDNS inside the namespaces only.
#   nat: namespaces as mdns but no mDNS, every joiner names node 1 alone by --peer, and once the last node
#   has joined its namespace drops inbound connections (iptables, loopback excepted), as behind a NAT.
# A wait that runs out prints one line and counts as missed; the table marks it and the exit status is 1.
# Prints the figures against the targets and a markdown table for docs/benchmarks.md. Run as root from a
# built tree (mvn -q -DskipTests package); the nodes run a copy of the build taken at the start, so a
# rebuild meanwhile does not disturb them. Traffic stays on loopback or inside the script's namespaces.
#
#   scripts/bench/sync.sh [--nodes 5] [--mode static|mdns|nat] [--files 20] [--timeout 10] [--dir DIR]
#                         [--keep-logs DIR]
#   --timeout: seconds one file may take to show on every node (also bounds the all-at-once wait, x3)
#   --keep-logs: copy the nodes' logs (node-I.log) into DIR before cleaning up
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
delugefs="$here/scripts/delugefs"
nodes=5
mode=static
files=20
timeout=10
dir="${TMPDIR:-/tmp}"
keep_logs=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --mode) mode="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --keep-logs) keep_logs="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sync.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$nodes" =~ ^[0-9]+$ && "$nodes" -ge 2 && "$nodes" -le 50 ]] || { echo "sync.sh: --nodes must be 2..50" >&2; exit 2; }
[[ "$files" =~ ^[0-9]+$ && "$files" -ge 2 ]] || { echo "sync.sh: --files must be at least 2" >&2; exit 2; }
[[ "$timeout" =~ ^[0-9]+$ && "$timeout" -ge 1 ]] || { echo "sync.sh: --timeout must be a positive integer" >&2; exit 2; }
case "$mode" in static|mdns|nat) ;; *) echo "sync.sh: --mode must be static, mdns or nat" >&2; exit 2 ;; esac
[[ $(id -u) -eq 0 ]] || { echo "sync.sh: run as root (FUSE mounts, namespaces)" >&2; exit 2; }
for tool in fusermount ssh; do
  command -v "$tool" > /dev/null || { echo "sync.sh: $tool is missing (scripts/setup.sh installs fuse; ssh: openssh-client)" >&2; exit 2; }
done
if [[ $mode != static ]]; then
  command -v ip > /dev/null || { echo "sync.sh: --mode $mode needs iproute2" >&2; exit 2; }
  [[ $mode != nat ]] || command -v iptables > /dev/null || { echo "sync.sh: --mode nat needs iptables" >&2; exit 2; }
fi

py=/usr/bin/python3
work="$(mktemp -d "$dir/delugefs-sync-bench.XXXXXX")"
total=$((nodes + 1))     # node N+1 is the late joiner
declare -A pid host port ns
namespaces=()
# whether some thread of the process is still there (a zombie leader whose threads hang counts)
running() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$st" ]] || return 1
  [[ $st != Z ]] || (( $(ls "/proc/$1/task" 2>/dev/null | wc -l) > 1 ))
}
settle() { # pid... seconds: wait until none is running, at most that long
  local limit=$((SECONDS + ${*: -1})) p
  for p in "${@:1:$#-1}"; do
    while running "$p" && (( SECONDS < limit )); do sleep 0.1; done
  done
}
fusectl_mounted=""
abort_fuse() { # FUSE connection id (the minor device number of the mount)
  [[ -n "$1" ]] || return 0
  if ! mountpoint -q /sys/fs/fuse/connections; then
    mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null && fusectl_mounted=1 || return 0
  fi
  [[ -e "/sys/fs/fuse/connections/$1/abort" ]] && echo 1 > "/sys/fs/fuse/connections/$1/abort" || true
}
declare -A conn   # node -> FUSE connection id of its mount, taken once it is mounted
cleanup() {
  local status=$? i p
  trap '' INT TERM
  if [[ $status -ne 0 ]]; then
    for i in $(seq 1 "$total"); do
      [[ -f "$work/node-$i.log" ]] || continue
      echo "--- node $i's log (last lines) ---" >&2
      grep -v '^\s*at ' "$work/node-$i.log" | tail -6 >&2 || true
    done
  fi
  # SIGTERM stops a node cleanly (it detaches its mount); one still there after 30 s gets SIGKILL, and
  # one whose threads still hang in its own FUSE mount after that (seen when SIGTERM came during the
  # node's FUSE warm-up) has that FUSE connection aborted, which frees them
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  settle "${pid[@]}" 30
  for i in "${!pid[@]}"; do
    p=${pid[$i]}
    running "$p" || continue
    echo "sync.sh: node $i (pid $p) did not stop in 30 s after SIGTERM; killing it" >&2
    kill -9 "$p" 2>/dev/null || true
    settle "$p" 5
    running "$p" || continue
    echo "sync.sh: node $i (pid $p) still has threads waiting on its FUSE mount; aborting FUSE connection ${conn[$i]:-?}" >&2
    abort_fuse "${conn[$i]:-}"
    settle "$p" 5
  done
  for i in "${!pid[@]}"; do
    if running "${pid[$i]}"; then
      echo "sync.sh: node $i (pid ${pid[$i]}) does not end; left it" >&2
    else
      wait "${pid[$i]}" 2>/dev/null || true
    fi
  done
  [[ -z "$fusectl_mounted" ]] || umount /sys/fs/fuse/connections 2>/dev/null || true
  # a node run through `ip netns exec` had its mount in a mount namespace that ended with it
  for m in "$work"/mnt-*; do
    grep -qs " $m " /proc/mounts && fusermount -u -z "$m" 2>/dev/null || true
  done
  if [[ -n "$keep_logs" ]]; then
    mkdir -p "$keep_logs" && cp "$work"/node-*.log "$keep_logs"/ 2>/dev/null || true
  fi
  for ((i = ${#namespaces[@]} - 1; i >= 0; i--)); do ip netns del "${namespaces[$i]}" 2>/dev/null || true; done
  if grep -qs " $work/" /proc/mounts; then
    echo "sync.sh: a mount under $work is still there; left it in place" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
wait_for() { # node pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$work/node-$1.out" 2>/dev/null; do
    if (( SECONDS >= deadline )) || ! running "${pid[$1]}"; then
      echo "sync.sh: timed out waiting for '$2' from node $1 ($3 s, or the node ended); its log:" >&2
      grep -v '^\s*at ' "$work/node-$1.log" | tail -8 >&2 || true
      exit 1
    fi
    sleep 0.05
  done
}

# The nodes run a copy of the build taken now (launcher, jar and lib/), so a rebuild during the run cannot
# pull classes from under them. A copy taken while a build writes is taken again.
snapshot() {
  local deadline=$((SECONDS + 600)) before after
  while true; do
    if [[ -f "$here/fs/target/delugefs.jar" && -d "$here/fs/target/lib" ]]; then
      before=$(find "$here/fs/target/delugefs.jar" "$here/fs/target/lib" -printf '%p %s %T@\n' | sort)
      rm -rf "$work/dist"; mkdir -p "$work/dist/scripts" "$work/dist/fs/target"
      cp "$here/scripts/delugefs" "$work/dist/scripts/"
      cp -r "$here/fs/target/delugefs.jar" "$here/fs/target/lib" "$work/dist/fs/target/"
      after=$(find "$here/fs/target/delugefs.jar" "$here/fs/target/lib" -printf '%p %s %T@\n' | sort)
      if [[ "$before" == "$after" ]] && sleep 2 \
          && [[ "$after" == "$(find "$here/fs/target/delugefs.jar" "$here/fs/target/lib" -printf '%p %s %T@\n' | sort)" ]] \
          && $py -c 'import sys, zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)' \
             "$work/dist/fs/target/delugefs.jar" 2>/dev/null; then
        delugefs="$work/dist/scripts/delugefs"
        return
      fi
    fi
    (( SECONDS < deadline )) || { echo "sync.sh: no complete build in fs/target after 600 s (mvn -q -DskipTests package)" >&2; exit 1; }
    echo "sync.sh: fs/target is missing or being written; waiting for the build ..." >&2
    sleep 10
  done
}
snapshot

# --- where the nodes run ---------------------------------------------------------------------------------
if [[ $mode == static ]]; then
  export DELUGEFS_MDNS=off   # nothing multicasts on this machine's LAN
  # each port is picked just before its node starts: the nodes take free ports of their own meanwhile
  for i in $(seq 1 "$total"); do host[$i]=127.0.0.1; port[$i]=""; ns[$i]=""; done
  where="on loopback"
else
  [[ $mode == mdns ]] && export DELUGEFS_MDNS=on || export DELUGEFS_MDNS=off
  # as NetnsLan: a bridge in a namespace of its own, one namespace per node with a veth on the bridge,
  # multicast on and a route for 224.0.0.0/4, so mDNS flows between the nodes and nowhere else
  tag="dfs$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
  subnet="10.$((100 + RANDOM % 150)).$((RANDOM % 256))"
  ip netns add "$tag-lan"; namespaces+=("$tag-lan")
  ip -n "$tag-lan" link add br0 type bridge
  ip -n "$tag-lan" link set br0 type bridge mcast_snooping 0
  ip -n "$tag-lan" link set br0 up
  for i in $(seq 1 "$total"); do
    ns[$i]="$tag-n$i"; host[$i]="$subnet.$((10 + i))"; port[$i]=7000
    ip netns add "${ns[$i]}"; namespaces+=("${ns[$i]}")
    ip -n "$tag-lan" link add "${tag}v$i" type veth peer name eth0 netns "${ns[$i]}"
    ip -n "$tag-lan" link set "${tag}v$i" master br0 up
    ip -n "${ns[$i]}" link set lo up
    ip -n "${ns[$i]}" addr add "${host[$i]}/24" dev eth0
    ip -n "${ns[$i]}" link set eth0 multicast on up
    ip -n "${ns[$i]}" route add 224.0.0.0/4 dev eth0
  done
  where="in network namespaces on one bridge ($subnet.0/24)"
  echo "namespaces $tag-lan and $tag-n1..n$total" >&2
fi

# starts node $1: create (node 1) or mount --join; in a namespace through `ip netns exec`, whose exec chain
# (ip, scripts/delugefs) ends in the node's JVM, so $! is the JVM and /proc/$!/root reaches its mount
start_node() {
  local i=$1 args=()
  [[ -n "${port[$i]}" ]] || port[$i]=$(free_port)
  if [[ $i -eq 1 ]]; then
    args=(create vol --root "$work/root-1" "$work/mnt-1")
  else
    args=(mount vol --root "$work/root-$i" "$work/mnt-$i" --join "$token")
    [[ $mode == mdns ]] || args+=(--peer "${host[1]}:${port[1]}")
  fi
  args+=(--listen "${host[$i]}:${port[$i]}")
  [[ $mode != mdns ]] || args+=(--bind "${host[$i]}")
  if [[ -n "${ns[$i]}" ]]; then
    ip netns exec "${ns[$i]}" "$delugefs" "${args[@]}" < /dev/null > "$work/node-$i.out" 2> "$work/node-$i.log" &
  else
    "$delugefs" "${args[@]}" < /dev/null > "$work/node-$i.out" 2> "$work/node-$i.log" &
  fi
  pid[$i]=$!
}
# one line per node for the measuring program: index, namespace (- for none), host, port, root, the mount
# as this shell reaches it
mnt_of() { if [[ -n "${ns[$1]}" ]]; then echo "/proc/${pid[$1]}/root$work/mnt-$1"; else echo "$work/mnt-$1"; fi; }
node_line() {
  local i=$1
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "${ns[$i]:--}" "${host[$i]}" "${port[$i]}" "$work/root-$i" "$(mnt_of "$i")"
}
fuse_conn() { # node: the FUSE connection id of its mount (its minor device number), if it is a FUSE mount
  local m
  m=$(mnt_of "$1")
  [[ "$(stat -f -c %t "$m" 2>/dev/null)" == 65735546 ]] && stat -c %Ld "$m" 2>/dev/null || true
}
mounted() { # node seconds: wait for its mount, and note its FUSE connection for the cleanup
  wait_for "$1" "mounted at" "$2"
  conn[$1]=$(fuse_conn "$1")
}

cat > "$work/measure.py" <<'PY'
import concurrent.futures as cf, json, os, stat, subprocess, sys, time

INF = float("inf")
HUNG = object()


def say(msg):
    print(f"sync.sh: {msg}", file=sys.stderr, flush=True)


class Node:
    """One node, and one thread that makes every file system call on its mount: a mount that hangs (a node
    stuck in a FUSE call) then costs a timeout of this node, not the whole run."""

    def __init__(self, line):
        i, ns, host, port, root, mnt = line.rstrip("\n").split("\t")
        self.i, self.ns, self.host, self.port, self.root, self.mnt = int(i), None if ns == "-" else ns, host, port, root, mnt
        self.pool = cf.ThreadPoolExecutor(1)
        self.pending = None
        self.said = False

    def call(self, timeout, fn, *args):
        """fn(*args) on this node's thread; HUNG if it takes longer than timeout or an earlier call still runs."""
        if self.pending is not None and not self.pending.done():
            return HUNG
        self.pending = self.pool.submit(fn, *args)
        try:
            return self.pending.result(timeout=timeout)
        except cf.TimeoutError:
            if not self.said:
                say(f"a call on node {self.i}'s mount took more than {timeout:.1f} s (counted as not there yet)")
                self.said = True
            return HUNG

    def exists(self, name):
        return self.call(1.0, exists, f"{self.mnt}/{name}") is True


def load(path):
    return [Node(line) for line in open(path)]


def done(*fields):
    # the one result line; hung threads must not keep the process from ending
    print(*fields, flush=True)
    sys.stderr.flush()
    os._exit(0)


def exists(path):
    # an error other than ENOENT (EIO from a node in trouble) counts as not there yet
    try:
        os.lstat(path)
        return True
    except OSError:
        return False


def write(path, data):
    try:
        with open(path, "wb") as f:
            f.write(data)
        return None
    except OSError as e:
        return str(e)


def listing(mnt):
    try:
        return set(os.listdir(mnt))
    except OSError:
        return None


def tree(mnt):
    # path, type, size, mode, owner and mtime of every entry: what `ls -la` shows, to the nanosecond
    rows = []
    for top, dirs, names in os.walk(mnt):
        for name in dirs + names:
            p = os.path.join(top, name)
            try:
                s = os.lstat(p)
            except OSError:
                continue
            rows.append((os.path.relpath(p, mnt), stat.S_IFMT(s.st_mode), s.st_size, stat.S_IMODE(s.st_mode),
                         s.st_uid, s.st_gid, s.st_mtime_ns))
    rows.sort()
    return rows


def status_cmd(n):
    # what `delugefs status --root R --json` asks: the node's `status` over its own channel with its own key
    cmd = ["ssh", "-i", f"{n.root}/keys/id_ed25519", "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
           "-o", "ConnectTimeout=3", "-p", n.port, f"member@{n.host}", "status"]
    return (["ip", "netns", "exec", n.ns] if n.ns else []) + cmd


def statuses(nodes):
    procs = [subprocess.Popen(status_cmd(n), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) for n in nodes]
    out = []
    for p in procs:
        try:
            data, _ = p.communicate(timeout=10)
            out.append(json.loads(data) if p.returncode == 0 else None)
        except (subprocess.TimeoutExpired, ValueError):
            p.kill()
            p.communicate()
            out.append(None)
    return out


def up(nodes, t_start, t_mounted, limit):
    # every node answers and lists every other node as up
    deadline = time.time() + limit
    while True:
        st = statuses(nodes)
        t = time.time()
        ids = {s["node"] for s in st if s}
        missing = []
        for n, s in zip(nodes, st):
            if not s:
                missing.append(f"node {n.i} does not answer status")
                continue
            seen = {p["node"] for p in s.get("peers", []) if p.get("up")}
            if len(ids) < len(nodes) or (ids - {s["node"]}) - seen:
                missing.append(f"node {n.i} lists {len(seen & ids)} of {len(nodes) - 1} others up")
        if not missing:
            done("up", f"{t - t_start:.2f}", f"{max(0.0, t - t_mounted):.2f}")
        if t > deadline:
            say(f"not every node lists every other as up within {limit:.0f} s after the last mount: " + "; ".join(missing))
            done("up", "-", "-")
        time.sleep(0.2)


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def fmt(v):
    return "inf" if v == INF else f"{v:.3f}"


def prop(nodes, rounds, limit):
    per_observer, slowest, missed = [], [], 0
    for r in range(rounds):
        w = nodes[r % len(nodes)]
        name = f"a2a-{r:04d}-from-{w.i}"
        pending = {n.i: n for n in nodes if n is not w}
        err = w.call(limit, write, f"{w.mnt}/{name}", b"x" * 100)
        if err is not None:
            say(f"round {r + 1}: node {w.i} could not write {name}: "
                + ("its mount did not answer" if err is HUNG else err))
            missed += len(pending)
            per_observer += [INF] * len(pending)
            slowest.append(INF)
            continue
        t0 = time.perf_counter()
        worst = 0.0
        while pending:
            for i, n in list(pending.items()):
                if n.exists(name):
                    d = time.perf_counter() - t0
                    per_observer.append(d)
                    worst = max(worst, d)
                    del pending[i]
            if not pending:
                break
            if time.perf_counter() - t0 > limit:
                say(f"round {r + 1}: node {w.i}'s file did not show on node(s) "
                    f"{', '.join(str(i) for i in sorted(pending))} within {limit:.0f} s")
                missed += len(pending)
                per_observer += [INF] * len(pending)
                worst = INF
                break
            time.sleep(0.002)
        slowest.append(worst)
    finite = [v for v in per_observer if v != INF]
    done("prop", fmt(pct(per_observer, 0.5)), fmt(pct(per_observer, 0.99)), fmt(pct(slowest, 0.5)),
         fmt(pct(slowest, 0.99)), fmt(min(finite)) if finite else "inf", fmt(max(finite)) if finite else "inf",
         missed, len(per_observer))


def burst(nodes, limit, out_dir):
    names = [f"burst-from-{n.i}" for n in nodes]
    # every node's thread writes at the same moment: submit them all, then wait for them all
    t0, t0_wall = time.perf_counter(), time.time()
    futures = [n.pool.submit(write, f"{n.mnt}/{name}", b"y" * 100) for n, name in zip(nodes, names)]
    for n, f in zip(nodes, futures):
        n.pending = f
        try:
            err = f.result(timeout=limit)
        except cf.TimeoutError:
            err = "its mount did not answer"
        if err:
            say(f"all at once: node {n.i} could not write: {err}")
    seen_all = identical = None
    while True:
        t = time.perf_counter() - t0
        if seen_all is None and all(all(n.exists(name) for name in names) for n in nodes):
            seen_all = t
        if seen_all is not None:
            trees = [n.call(max(0.1, limit - t), tree, n.mnt) for n in nodes]
            if all(x is not HUNG for x in trees) and all(x == trees[0] for x in trees):
                identical = time.perf_counter() - t0
                break
        if time.perf_counter() - t0 > limit:
            if seen_all is None:
                lack = [f"node {n.i} lacks " + ",".join(str(m.i) for m, name in zip(nodes, names) if not n.exists(name))
                        for n in nodes]
                say(f"all at once: not every node lists all {len(nodes)} files within {limit:.0f} s: "
                    + "; ".join(x for x in lack if not x.endswith("lacks ")))
            else:
                trees = [n.call(5, tree, n.mnt) for n in nodes]
                say(f"all at once: the trees are not identical within {limit:.0f} s (the listings are "
                    f"{out_dir}/tree-*.txt while the run lasts)")
                for n, rows in zip(nodes, trees):
                    if rows is HUNG:
                        say(f"  node {n.i}: its mount did not answer")
                        continue
                    with open(f"{out_dir}/tree-{n.i}.txt", "w") as f:
                        f.writelines(" ".join(map(str, row)) + "\n" for row in rows)
                    if n is not nodes[0] and trees[0] is not HUNG:
                        diff = sorted(set(rows) ^ set(trees[0]))[:4]
                        if diff:
                            say(f"  node 1 vs node {n.i}: {diff}")
            break
        time.sleep(0.01)
    done("burst", fmt(INF if seen_all is None else seen_all), fmt(INF if identical is None else identical),
         f"{t0_wall:.6f}")


def heads(nodes, t0, limit):
    # every node's namespace at the same commit: the merges after concurrent changes have settled
    while True:
        st = statuses(nodes)
        t = time.time()
        got = [s.get("head") if s else None for s in st]
        if all(got) and len(set(got)) == 1:
            done("heads", f"{t - t0:.3f}")
        if t - t0 > limit:
            say(f"all at once: the nodes are not at one head {limit:.0f} s after the writes: "
                f"{len(set(h for h in got if h))} different heads"
                + ("" if all(got) else f", {got.count(None)} node(s) not answering status"))
            done("heads", "inf")
        time.sleep(0.2)


def printed_mounted(n):
    try:
        return "mounted at" in open(os.path.join(os.path.dirname(n.root), f"node-{n.i}.out")).read()
    except OSError:
        return False


def join(new, ref, t_start, limit, node_pid):
    expected = ref.call(10, listing, ref.mnt)
    if expected is None or expected is HUNG:
        say("cannot list node 1's mount to know what the new node should show")
        done("join", "inf")
    deadline = time.time() + limit
    while True:
        have = new.call(1.0, listing, new.mnt)
        if isinstance(have, set) and expected <= have:
            done("join", f"{time.time() - t_start:.2f}")
        if time.time() > deadline:
            n = len(expected & have) if isinstance(have, set) else 0
            mounted = "" if n else (", and had not printed 'mounted at'" if not printed_mounted(new) else "")
            say(f"the new node did not show the volume's {len(expected)} entries within {limit:.0f} s "
                f"(it shows {n}{mounted})")
            done("join", "inf")
        if not os.path.exists(f"/proc/{node_pid}"):
            say("the new node ended before it showed the volume")
            done("join", "inf")
        time.sleep(0.02)


try:
    cmd = sys.argv[1]
    if cmd == "up":
        up(load(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "prop":
        prop(load(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "burst":
        burst(load(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    elif cmd == "heads":
        heads(load(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "join":
        # argv: the new node's line, node 1's line (files holding one line each), start, limit, pid
        join(load(sys.argv[2])[0], load(sys.argv[3])[0], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
except KeyboardInterrupt:
    os._exit(130)  # Ctrl-C: the shell cleans up
PY

# --- start the nodes -------------------------------------------------------------------------------------
echo "starting $nodes nodes $where (mode $mode) ..." >&2
t_start=$(now)
start_node 1
wait_for 1 "^dfs1-" 180
token=$(grep "^dfs1-" "$work/node-1.out" | head -1)
mounted 1 180
echo "node 1 mounted $(since "$t_start") s after its start" >&2
for i in $(seq 2 "$nodes"); do
  t_node=$(now)
  start_node "$i"
  mounted "$i" 180
  echo "node $i joined and mounted $(since "$t_node") s after its start" >&2
done
if [[ $mode == nat ]]; then
  # joining dialled out; from now on nothing can dial in to the last node (its own loopback still can)
  ip netns exec "${ns[$nodes]}" iptables -A INPUT -i lo -j ACCEPT
  ip netns exec "${ns[$nodes]}" iptables -A INPUT -m state --state NEW -j DROP
  echo "node $nodes (${host[$nodes]}) now drops inbound connections" >&2
fi
t_mounted=$(now)
all_mounted=$(awk -v a="$t_mounted" -v b="$t_start" 'BEGIN { printf "%.2f", a - b }')
: > "$work/nodes.tsv"
for i in $(seq 1 "$nodes"); do node_line "$i" >> "$work/nodes.tsv"; done
missed=0

echo "waiting until every node lists every other as up ..." >&2
read -r _ up_start up_after < <($py "$work/measure.py" up "$work/nodes.tsv" "$t_start" "$t_mounted" 60 || true) || true
up_start=${up_start:--}; up_after=${up_after:--}
[[ $up_start != - ]] || missed=1

echo "any-to-any propagation of $files files among $nodes nodes ..." >&2
read -r _ p50 p99 w50 w99 pmin pmax pmissed pcount < <($py "$work/measure.py" prop "$work/nodes.tsv" "$files" "$timeout" || true) || true
[[ -n "${pcount:-}" ]] || { echo "sync.sh: the propagation measurement failed" >&2; p50=inf p99=inf w50=inf w99=inf pmin=inf pmax=inf pmissed=? pcount=?; }
[[ $pmissed == 0 ]] || missed=1

echo "all $nodes nodes write at once ..." >&2
read -r _ b_seen b_same b_t0 < <($py "$work/measure.py" burst "$work/nodes.tsv" $((timeout * 3)) "$work" || true) || true
b_seen=${b_seen:-inf}; b_same=${b_same:-inf}
b_heads=inf
if [[ -n "${b_t0:-}" ]]; then
  read -r _ b_heads < <($py "$work/measure.py" heads "$work/nodes.tsv" "$b_t0" $((timeout * 3)) || true) || true
  b_heads=${b_heads:-inf}
fi
[[ $b_heads != inf ]] || missed=1
[[ $b_same != inf ]] || missed=1

echo "join of a new node ..." >&2
t_join=$(now)
start_node "$total"
node_line "$total" > "$work/new.tsv"
read -r _ join < <($py "$work/measure.py" join "$work/new.tsv" <(sed -n 1p "$work/nodes.tsv") "$t_join" 120 "${pid[$total]}" || true) || true
join=${join:-inf}
if [[ $join != inf ]]; then
  # let it finish starting (a node stopped during its FUSE warm-up can hang in its own mount)
  deadline=$((SECONDS + 60))
  until grep -q "mounted at" "$work/node-$total.out" 2>/dev/null || (( SECONDS >= deadline )); do sleep 0.1; done
  conn[$total]=$(fuse_conn "$total")
  sleep 2
fi
[[ $join != inf ]] || missed=1

# --- the table -------------------------------------------------------------------------------------------
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v == "inf" || v == "-") ? "MISSED" : (v <= t) ? "ok" : "ABOVE" }'; }
val() { if [[ $1 == inf || $1 == - ]]; then echo "> $2 s (timed out)"; else echo "$1 s"; fi; }
case "$mode" in
  static) setup="static: node 1 made without --peer, each joiner names node 1 alone, no mDNS" ;;
  mdns) setup="mDNS alone, no --peer" ;;
  nat) setup="no mDNS, each joiner names node 1 alone, node $nodes behind a NAT (inbound dropped)" ;;
esac
cat <<EOT

DelugeFS namespace sync, $nodes nodes $where, $setup; +1 joining; $(nproc) cores, $(date +%F), $files files

| measure | value | target | |
| --- | --- | --- | --- |
| start of node 1 until the last of the $nodes is mounted (joining one at a time) | $all_mounted s | | |
| start of node 1 until every node lists all others up | $([[ $up_start == - ]] && echo "not within 60 s after the last mount" || echo "$up_start s ($up_after s after the last mount)") | | |
| close on a writer -> visible on another node, p50 ($pcount observations) | $(val "$p50" "$timeout") | <= 0.3 s | $(verdict "$p50" 0.3) |
| close on a writer -> visible on another node, p99 | $(val "$p99" "$timeout") | <= 1 s | $(verdict "$p99" 1) |
| close on a writer -> visible on every other node, p50 ($files rounds) | $(val "$w50" "$timeout") | <= 0.3 s | $(verdict "$w50" 0.3) |
| close on a writer -> visible on every other node, p99 | $(val "$w99" "$timeout") | <= 1 s | $(verdict "$w99" 1) |
| (min / max per observer; missed) | ${pmin} s / ${pmax} s; $pmissed of $pcount | | |
| $nodes nodes write at once -> every node lists all $nodes files | $(val "$b_seen" $((timeout * 3))) | | |
| $nodes nodes write at once -> identical trees on every node | $(val "$b_same" $((timeout * 3))) | <= 5 s | $(verdict "$b_same" 5) |
| $nodes nodes write at once -> every node at one head (\`status\`: the merges settled) | $(val "$b_heads" $((timeout * 3))) | | |
| new node: mount --join until it shows the volume | $(val "$join" 120) | <= 6 s | $(verdict "$join" 6) |
EOT
exit "$missed"
