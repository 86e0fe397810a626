#!/usr/bin/env bash
# PostgreSQL for the demo and its tests, on a Debian machine as root (CI's fresh machine, or yours):
# installs Debian's PostgreSQL 15 when it is missing, starts the cluster 15/main (port 5432) with
# pg_ctlcluster, and creates the demo's role and databases when they do not exist yet. Safe to run
# again. The demo and its tests then reach it at
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

if [ "$(id -u)" -ne 0 ]; then
  echo "postgres-ci.sh: run it as root (it installs a Debian package and starts the cluster as the postgres user)" >&2
  exit 1
fi

if [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then
  echo "postgres-ci.sh: installing postgresql-${PG_MAJOR} from Debian's packages"
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
echo "postgres-ci.sh: PostgreSQL ${PG_MAJOR} (${CLUSTER}) on 127.0.0.1:${port}, role ${ROLE}, databases ${DATABASES[*]}"
