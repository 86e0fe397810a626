#!/usr/bin/env bash
# What `npm run bench -w @upgate/health` needs beyond Node: wrk (Debian's package) to load the
# servers, taskset (util-linux) to pin them to a core, and valgrind to count instructions per
# request. Installed when missing, as root; otherwise the benchmark says what it falls back to
# (autocannon, no pinning, no instruction counts), whose figures are weaker.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
command -v callgrind_control >/dev/null 2>&1 || missing+=(valgrind)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "bench-tools: missing Debian packages: ${missing[*]} (apt-get install ${missing[*]}, as root);" \
    'the benchmark does without them' >&2
  exit 0
fi
echo "bench-tools: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
