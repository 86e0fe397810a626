#!/usr/bin/env bash
# PostgreSQL for the demo and its tests; `npm test` runs it first. When the demo's test database
# answers already, it does nothing. Otherwise, on a Debian machine as root (CI's fresh machine, or
# yours), it installs Debian's PostgreSQL 15 when it is missing, starts the cluster 15/main (port
# 5432) with pg_ctlcluster, and creates the demo's role and databases when they do not exist yet.
# Safe to run again. The demo and its tests then reach it at
#   postgres://upgate:upgate@127.0.0.1:5432/upgate_demo        (npm start: the demo's development default)
#   postgres://upgate:upgate@127.0.0.1:5432/upgate_demo_test   (npm test: the demo's tests)
# The password is a local development one, over loopback only; production gets DATABASE_URL from
# Kamal's secrets (apps/demo/.kamal/secrets) or a Kubernetes Secret.
set -euo pipefail

PG_MAJOR=15
CLUSTER=main
ROLE=upgate
PASSWORD=upgate
DATABASES=(upgate_demo upgate_demo_test)

# Already there (a second run, or a database of your own on 5432): nothing to do. TEST_DATABASE_URL
# points the tests elsewhere; then this script is not needed at all.
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  exit 0
fi
if command -v psql >/dev/null &&
  PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p 5432 -U "$ROLE" -d "${DATABASES[1]}" -XtAc 'SELECT 1' >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "postgres.sh: PostgreSQL for the demo's tests is not reachable at 127.0.0.1:5432 as ${ROLE}." >&2
  echo "  Run this script as root (it installs Debian's postgresql-${PG_MAJOR} and starts it), or start one" >&2
  echo "  yourself: docker run -d -p 127.0.0.1:5432:5432 -e POSTGRES_USER=${ROLE} -e POSTGRES_PASSWORD=${PASSWORD} \\" >&2
  echo "  -e POSTGRES_DB=${DATABASES[1]} postgres:15, or set TEST_DATABASE_URL." >&2
  exit 1
fi

if [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then
  echo "postgres.sh: installing postgresql-${PG_MAJOR} from Debian's packages"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "postgresql-${PG_MAJOR}"
fi

# The package creates 15/main; a machine where someone dropped it gets it back.
if ! pg_lsclusters --no-header | awk -v v="$PG_MAJOR" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  pg_createcluster "$PG_MAJOR" "$CLUSTER"
fi
if ! pg_lsclusters --no-header | awk -v v="$PG_MAJOR" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
  pg_ctlcluster "$PG_MAJOR" "$CLUSTER" start
fi

port=$(pg_lsclusters --no-header | awk -v v="$PG_MAJOR" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port"

psql_as_postgres() {
  runuser -u postgres -- psql -p "$port" -X -q -v ON_ERROR_STOP=1 "$@"
}
psql_as_postgres -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN
    CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}';
  END IF;
END \$\$;"
for database in "${DATABASES[@]}"; do
  if [ -z "$(psql_as_postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '${database}'")" ]; then
    psql_as_postgres -c "CREATE DATABASE ${database} OWNER ${ROLE}"
  fi
done
echo "postgres.sh: PostgreSQL ${PG_MAJOR} (${CLUSTER}) on 127.0.0.1:${port}, role ${ROLE}, databases ${DATABASES[*]}"
