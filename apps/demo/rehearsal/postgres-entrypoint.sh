#!/bin/sh
# Stands in for the entrypoint of the official postgres:15 image (docker-library/postgres), as far as
# the accessory `db` of apps/demo/config/deploy.yml uses it, for the rehearsal's PostgreSQL (Debian's
# postgresql-15: on this machine in npm run rehearse, in the image scripts/demo-image.sh makes in
# npm run rehearse:image). On an empty PGDATA: a cluster whose superuser is POSTGRES_USER with the
# password POSTGRES_PASSWORD, the database POSTGRES_DB, password authentication (scram-sha-256) from
# any address. Then the server in the foreground, listening on every address, with the arguments
# given (-c name=value). Started as root, it makes PGDATA the postgres user's and runs as that user.
set -eu
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PATH="/usr/lib/postgresql/15/bin:$PATH"

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups sh "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?is not set: the accessory's env.secret gives it}"
  user="${POSTGRES_USER:-postgres}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  database="${POSTGRES_DB:-$user}"
  if [ "$database" != postgres ]; then
    printf 'CREATE DATABASE "%s";\n' "$database" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA: superuser $user, database $database"
fi

exec postgres -c listen_addresses='*' "$@"
