#!/bin/sh
# Entrypoint of the Redis image built from Debian's redis-server (scripts/build-infra-images.sh), as
# the official redis image behaves: runs as the redis user in /data, and a redis-server started
# without a configuration file accepts connections from the container network (protected mode
# off; the network is the boundary).
set -eu
if [ "$(id -u)" = 0 ]; then
  chown redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "${1:-}" = redis-server ]; then
  shift
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
