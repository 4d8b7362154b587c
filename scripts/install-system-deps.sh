#!/usr/bin/env bash
# Installs the Debian packages the test suite and the local stack use.
# Idempotent: packages already present are skipped. Needs root (or passwordless sudo);
# otherwise prints the exact command to run and exits non-zero.
set -euo pipefail

# mmdebstrap, docker-compose, podman-compose and the CNI dnsname plugin (service names resolve
# inside a compose network): scripts/build-base-image.sh and the composed stack (docs/deploy.md).
packages=(podman runc uidmap slirp4netns fuse-overlayfs bubblewrap prometheus prometheus-alertmanager chromium git
  mmdebstrap docker-compose podman-compose golang-github-containernetworking-plugin-dnsname)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi

install_command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  runner=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  runner=(sudo)
else
  echo "system packages missing: ${missing[*]}" >&2
  echo "run as root:  $install_command" >&2
  exit 1
fi

echo "system packages: installing ${missing[*]}"
"${runner[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
