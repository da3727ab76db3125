#!/usr/bin/env bash
# Installs what DelugeFS needs on a Debian machine and builds the distribution (fs/target/delugefs.jar).
#   scripts/setup.sh          packages to run a node, then the build
#   scripts/setup.sh --test   also the third-party tools the test suite drives (fio, git, aria2, libtorrent...)
#   scripts/setup.sh --bench  also what scripts/bench/ needs (gcc and libfuse-dev for fs.sh's floor, socat)
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

packages=(openjdk-17-jdk-headless maven fuse libfuse2)
if [[ "${1:-}" == "--test" ]]; then
  # avahi-daemon and avahi-utils: the mDNS test runs its own avahi inside a network namespace;
  # iptables: the membership test puts a node's namespace behind a NAT (drops inbound connections)
  packages+=(attr fio git aria2 python3-libtorrent tar coreutils procps psmisc iproute2 dbus avahi-daemon avahi-utils
             iptables)
elif [[ "${1:-}" == "--bench" ]]; then
  packages+=(gcc libfuse-dev socat python3 iproute2 iptables)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  # no service a package brings may start (avahi-daemon would announce this machine on the LAN):
  # policy-rc.d's exit code 101 tells invoke-rc.d "not allowed", the Debian way
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ ! -e /dev/fuse ]]; then
  echo "setup: warning: /dev/fuse is missing; load the fuse module (modprobe fuse) to mount" >&2
fi

cd "$here"
echo "setup: building (mvn package)" >&2
mvn -B -q -ntp -DskipTests package
echo "setup: done: $here/scripts/delugefs is ready" >&2
