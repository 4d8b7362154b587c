#!/usr/bin/env bash
# Builds, with Podman and no image registry, the infrastructure images of the scaled compose
# profile (compose.scaled.yaml) from Debian bookworm's packages (docs/deploy.md "Without a registry"):
#   postgres  postgresql-15, entrypoint deploy/infra/postgres-entrypoint.sh (the official image's
#             POSTGRES_USER / POSTGRES_DB / POSTGRES_PASSWORD_FILE contract, pg_isready)
#   redis     redis-server and redis-tools (redis-cli ping), entrypoint deploy/infra/redis-entrypoint.sh
#   haproxy   haproxy, reading /usr/local/etc/haproxy/haproxy.cfg as the official image does
# These three share one Debian root (mmdebstrap --variant=essential: a shell, setpriv), kept in
# .data/images keyed by the packages' versions. Each image is tagged with a hash of this script,
# the entrypoints and those versions, so it is built once per machine.
# Prints the image names as shell assignments and writes them to .data/images/infra-images.env:
#   POSTGRES_IMAGE=… REDIS_IMAGE=… HAPROXY_IMAGE=…
# Needs root, mmdebstrap and podman (bash scripts/install-system-deps.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
cache="$root/.data/images"
mkdir -p "$cache"
for binary in mmdebstrap podman apt-cache sha256sum; do
  command -v "$binary" >/dev/null 2>&1 || { echo "$binary is missing: bash scripts/install-system-deps.sh" >&2; exit 1; }
done
if [ -z "${CONTAINERS_CONF:-}" ]; then
  export CONTAINERS_CONF="$cache/containers.conf"
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n' >"$CONTAINERS_CONF"
fi
log() { echo "build-infra-images: $*" >&2; }

packages=postgresql-15,redis-server,redis-tools,haproxy
versions=$(apt-cache policy postgresql-15 redis-server haproxy libc6 | grep -E '^[a-z]|Candidate' | tr -d ' \n')
infra_tar="$cache/rootfs-infra-$( { echo "$suite $packages $versions"; } | sha256sum | cut -c1-12).tar"
key=$( { cat "$0" "$root/deploy/infra/postgres-entrypoint.sh" "$root/deploy/infra/redis-entrypoint.sh"; echo "$suite $versions"; } | sha256sum | cut -c1-12)
postgres_image="localhost/atb-deploy-postgres:$key"
redis_image="localhost/atb-deploy-redis:$key"
haproxy_image="localhost/atb-deploy-haproxy:$key"

work=$(mktemp -d "${TMPDIR:-/tmp}/atb-deploy-infra-XXXXXX")
trap 'rm -rf "$work"' EXIT
exists() { podman image exists "$1"; }

if ! exists "$postgres_image" || ! exists "$redis_image" || ! exists "$haproxy_image"; then
  if [ ! -f "$infra_tar" ]; then
    log "mmdebstrap --variant=essential with $packages (a few minutes, once per machine)"
    rm -f "$cache"/rootfs-infra-*.tar
    mmdebstrap --quiet --format=tar --variant=essential --include="$packages" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      "$suite" "$infra_tar.partial"
    mv "$infra_tar.partial" "$infra_tar"
  fi
  mkdir -p "$work/root"
  tar -C "$work/root" -xf "$infra_tar"
  # The cluster Debian's postinst creates is not used: the entrypoint initialises PGDATA.
  rm -rf "$work/root/var/lib/postgresql/15" "$work/root/etc/postgresql/15" "$work/root/var/cache/apt"/*.bin "$work/root/var/lib/apt/lists"/*_Packages
  install -m 0755 "$root/deploy/infra/postgres-entrypoint.sh" "$work/root/usr/local/bin/postgres-entrypoint"
  install -m 0755 "$root/deploy/infra/redis-entrypoint.sh" "$work/root/usr/local/bin/redis-entrypoint"
  mkdir -p "$work/root/var/lib/postgresql/data" "$work/root/run/postgresql" "$work/root/data" "$work/root/usr/local/etc/haproxy"
  chroot "$work/root" chown postgres:postgres /var/lib/postgresql/data /run/postgresql
  chroot "$work/root" chown redis:redis /data
  chmod 0700 "$work/root/var/lib/postgresql/data"
  tar -C "$work/root" --numeric-owner -cf "$work/root.tar" .
  path='PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  exists "$postgres_image" || { podman import --quiet --change "ENV $path" --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]' --change 'CMD []' --change 'EXPOSE 5432' "$work/root.tar" "$postgres_image" >/dev/null; log "imported $postgres_image"; }
  exists "$redis_image" || { podman import --quiet --change "ENV $path" --change 'WORKDIR /data' \
    --change 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]' --change 'CMD ["redis-server"]' --change 'EXPOSE 6379' "$work/root.tar" "$redis_image" >/dev/null; log "imported $redis_image"; }
  exists "$haproxy_image" || { podman import --quiet --change "ENV $path" --change 'USER haproxy' \
    --change 'CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' "$work/root.tar" "$haproxy_image" >/dev/null; log "imported $haproxy_image"; }
fi

# Older builds of these images (an earlier key), unused for a day, are no longer needed.
. "$(dirname "$0")/lib/prune-old-images.sh"
prune_old_images "$postgres_image" "$redis_image" "$haproxy_image"

cat >"$cache/infra-images.env" <<ENV
POSTGRES_IMAGE=$postgres_image
REDIS_IMAGE=$redis_image
HAPROXY_IMAGE=$haproxy_image
ENV
cat "$cache/infra-images.env"
