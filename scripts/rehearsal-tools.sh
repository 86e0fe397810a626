#!/usr/bin/env bash
# What `npm run rehearse` needs beyond Node: ip (iproute2), openssl and PostgreSQL 15 (the deploy
# file's accessory db, postgres:15) from Debian's packages when missing (as root), and the pinned
# kamal-proxy (install-kamal-proxy.sh). Prints kamal-proxy's path on stdout; everything else goes to
# stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A PACKAGE_OF=([ip]=iproute2 [openssl]=openssl [unshare]=util-linux [nsenter]=util-linux [mount]=mount)
missing=()
for command in "${!PACKAGE_OF[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$command]}")
done
# The same package scripts/postgres.sh installs for npm test.
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" != 0 ]; then
    echo "rehearsal-tools: missing Debian packages: ${missing[*]} (apt-get install ${missing[*]}, as root)" >&2
    exit 1
  fi
  echo "rehearsal-tools: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
fi

bash scripts/install-kamal-proxy.sh
