#!/usr/bin/env bash
# Runs every test: unit tests of each module and the native tests (real mounts, real tools), as root.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
"$here/scripts/setup.sh" --test
cd "$here"
exec mvn -B -ntp verify "$@"
