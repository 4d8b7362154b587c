#!/bin/sh
# Entrypoint of the PostgreSQL image built from Debian's postgresql-15 (scripts/build-infra-images.sh),
# honouring the official postgres image's contract the compose files rely on: POSTGRES_USER,
# POSTGRES_DB and POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE create the superuser and database on
# an empty data directory (PGDATA, default /var/lib/postgresql/data); local socket connections are
# trusted (pg_isready), network ones need the password (scram-sha-256); the server listens on
# every address and runs as the postgres user.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
export PGDATA

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    password=$(cat "$POSTGRES_PASSWORD_FILE")
  else
    password=${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE is required}
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$password" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$database" "$user" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $database)" >&2
fi

exec postgres -c listen_addresses='*' "$@"
