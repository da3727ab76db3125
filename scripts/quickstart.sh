#!/usr/bin/env bash
# Sets up DelugeFS and mounts a default local volume at ./mnt, running its node in the background.
#   DELUGEFS_ROOT  storage root (default: ./.delugefs/default)     DELUGEFS_MNT  mountpoint (default: ./mnt)
# Stop it with: scripts/delugefs unmount ./mnt
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
root="${DELUGEFS_ROOT:-$here/.delugefs/default}"
mnt="${DELUGEFS_MNT:-$here/mnt}"
log="$(dirname "$root")/$(basename "$root").log"

"$here/scripts/setup.sh"

if grep -qs " $(readlink -f "$mnt" 2>/dev/null || echo "$mnt") fuse.delugefs " /proc/mounts; then
  echo "quickstart: a DelugeFS volume is already mounted at $mnt"
  exit 0
fi
mkdir -p "$(dirname "$root")"
# a local volume: the channel listens on loopback and nothing is announced on the LAN; drop these two
# flags to let nodes on other machines find this one by mDNS
if [[ -f "$root/node.json" ]]; then
  cmd=(mount default --root "$root" "$mnt" --no-mdns --listen 127.0.0.1:0)
else
  cmd=(create default --root "$root" "$mnt" --no-mdns --listen 127.0.0.1:0)
fi
nohup "$here/scripts/delugefs" "${cmd[@]}" >>"$log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  if grep -q "mounted at" "$log"; then
    echo "quickstart: volume 'default' is mounted at $mnt (node pid $pid, log $log, root $root)"
    echo "quickstart: stop it with: $here/scripts/delugefs unmount $mnt"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "quickstart: the node stopped; its log ($log) says:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "quickstart: the node did not mount within 30 s; see $log" >&2
exit 1
