#!/usr/bin/env bash
# Starts Podman's Docker Engine API service the way the test harness (in
# packages/testing/src/podman.ts) does: runc, cgroupfs, bounded ulimits. Runs in the
# foreground until Ctrl-C; prints the DOCKER_HOST to export in another terminal.
#   usage: bash scripts/podman-service.sh [directory]   (default: .data/podman in the repository)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
directory=$(mkdir -p "${1:-$root/.data/podman}" && cd "${1:-$root/.data/podman}" && pwd)
socket="$directory/podman.sock"
conf="$directory/containers.conf"

for binary in podman runc; do
  command -v "$binary" >/dev/null 2>&1 || { echo "$binary is missing: bash scripts/install-system-deps.sh" >&2; exit 1; }
done

cat >"$conf" <<'CONF'
# written by scripts/podman-service.sh: runc (crun fails on hybrid cgroups), cgroupfs, bounded ulimits
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF

if curl -fsS --max-time 2 --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1; then
  echo "a Docker Engine API already answers on $socket"
  echo "export DOCKER_HOST=unix://$socket CONTAINERS_CONF=$conf"
  exit 0
fi
rm -f "$socket"

echo "starting podman system service (runc, cgroupfs); Ctrl-C stops it"
echo "export DOCKER_HOST=unix://$socket CONTAINERS_CONF=$conf"
export CONTAINERS_CONF="$conf"
exec podman system service --time=0 "unix://$socket"
