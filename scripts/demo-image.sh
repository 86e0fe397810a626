#!/usr/bin/env bash
# The demo's image, built and run (npm run rehearse:image; CI runs it after npm run rehearse):
#   1. podman from Debian's packages, set up for this kind of machine (no Docker engine, no registry);
#   2. the base image node:<NODE_VERSION>-bookworm-slim made locally (no registry to pull it from);
#   3. podman build of apps/demo/Dockerfile as written, with the build arguments of the deploy file;
#      the runtime image checked for files that must not ship;
#   4. an image of kamal-proxy made from the installed binary (scripts/install-kamal-proxy.sh), and a
#      stand-in for postgres:15 (the accessory db) from Debian's postgresql-15 on the base image;
#   5. the deploy rehearsal with them as containers on a network named kamal (apps/demo/rehearsal).
# When podman cannot run a container on the machine, the script says why and exits 0 (skipped).
#
# Needs root and Debian 12 (apt-get, debootstrap). State (podman settings, logs) goes to
# $UPGATE_IMAGE_DIR (default /var/tmp/upgate-demo-image); images stay in podman's store, so a second
# run reuses the base image and the build cache. Remove them with
#   podman rmi localhost/upgate-demo:rehearsal localhost/upgate-rehearsal/kamal-proxy:v0.9.2 \
#     localhost/upgate-rehearsal/postgres:15 docker.io/library/node:20.20-bookworm-slim
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
W=${UPGATE_IMAGE_DIR:-/var/tmp/upgate-demo-image}
APP_IMAGE=localhost/upgate-demo:rehearsal
PROXY_IMAGE=localhost/upgate-rehearsal/kamal-proxy:v0.9.2
POSTGRES_IMAGE=localhost/upgate-rehearsal/postgres:15
mkdir -p "$W"

T_ALL=$(date +%s)
step() { printf '\n=== demo image: %s\n' "$1"; T_STEP=$(date +%s); }
took() { printf '=== took %ss\n' $(($(date +%s) - T_STEP)); }
skip() {
  printf '\n=== demo image: SKIPPED: podman cannot run containers on this machine:\n%s\n' "$1"
  exit 0
}

if [ "$(id -u)" != 0 ]; then
  echo "demo-image: run as root (CI does): podman's network for kamal-proxy and the app needs it" >&2
  exit 1
fi

step "1. podman, runc, debootstrap (and openssl, for the rehearsal's certificate) from Debian's packages"
missing=()
for tool in podman runc debootstrap openssl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}" >/dev/null
fi
podman --version
runc --version | head -1
# This VM lacks CAP_SYS_RESOURCE, so podman's default rlimits (above the hard limits) fail with
# "setrlimit RLIMIT_NOFILE: Operation not permitted": the container gets the hard limits instead.
# crun 1.8 refuses the VM's hybrid cgroup layout ("cgroups in hybrid mode not supported"): runc.
NOFILE=$(ulimit -Hn)
NPROC=$(cat /proc/sys/kernel/pid_max)
HU=$(ulimit -Hu)
if [ "$HU" != unlimited ] && [ "$HU" -lt "$NPROC" ]; then NPROC=$HU; fi
# Docker (20.10 and later) lets a container's processes bind ports below 1024 without privileges;
# kamal-proxy's image runs as its own user on ports 80 and 443 because of it. Podman 4.3 does not.
cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
default_sysctls = ["net.ipv4.ping_group_range=0 0", "net.ipv4.ip_unprivileged_port_start=0"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$W/containers.conf
took

NODE_VERSION=$(sed -n 's/^ARG NODE_VERSION=//p' apps/demo/Dockerfile)
BASE=docker.io/library/node:$NODE_VERSION-bookworm-slim
step "2. base image $BASE, made locally"
if podman image exists "$BASE"; then
  echo "reusing $BASE"
else
  MACHINE_NODE=$(node -p 'process.versions.node')
  case "$MACHINE_NODE" in
    "$NODE_VERSION" | "$NODE_VERSION".*) ;;
    *)
      echo "demo-image: the Dockerfile wants node $NODE_VERSION, this machine has $MACHINE_NODE to put in the base image" >&2
      exit 1
      ;;
  esac
  MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  R=$W/rootfs
  rm -rf "$R"
  debootstrap --variant=minbase bookworm "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1 || {
    tail -20 "$W/debootstrap.log" >&2
    exit 1
  }
  # Slimmed like debian:bookworm-slim; then node and npm at /usr/local and a node user (uid and gid
  # 1000) with the official image's entrypoint, as node:<version>-bookworm-slim has them.
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/* \
    "$R"/usr/share/man/* "$R"/usr/share/info/* "$R"/usr/share/locale/*
  find "$R"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
  NODE_BIN=$(node -p process.execPath)
  NODE_MODULES=$(dirname "$(dirname "$NODE_BIN")")/lib/node_modules
  install -D -m 0755 "$NODE_BIN" "$R"/usr/local/bin/node
  mkdir -p "$R"/usr/local/lib/node_modules
  cp -a "$NODE_MODULES"/npm "$NODE_MODULES"/corepack "$R"/usr/local/lib/node_modules/
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R"/usr/local/bin/npm
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R"/usr/local/bin/npx
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$R"/usr/local/bin/corepack
  cat >"$R"/usr/local/bin/docker-entrypoint.sh <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 0755 "$R"/usr/local/bin/docker-entrypoint.sh
  chroot "$R" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  tar -C "$R" --numeric-owner -cf "$W/base.tar" .
  podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$MACHINE_NODE" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    "$W/base.tar" "$BASE" >/dev/null 2>&1
  rm -rf "$R" "$W/base.tar"
fi
if ! out=$(podman run --rm --user node "$BASE" sh -c 'echo "uid $(id -u), node $(node -v), npm $(npm -v)"' 2>&1); then
  skip "$out"
fi
echo "$out"
took

step "3. podman build -f apps/demo/Dockerfile (the context is the repository root, as builder.context says)"
# Kamal passes builder.args of the deploy file as --build-arg (APP_PORT is proxy.app_port's alias).
mapfile -t BUILD_ARGS < <(node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import YAML from 'yaml';
  const args = YAML.parse(readFileSync('apps/demo/config/deploy.yml', 'utf8'), { merge: true })?.builder?.args ?? {};
  for (const [key, value] of Object.entries(args)) console.log('--build-arg=' + key + '=' + value);
" 2>/dev/null || true)
if [ ${#BUILD_ARGS[@]} -eq 0 ]; then
  echo "demo-image: no builder.args in apps/demo/config/deploy.yml (or yaml is not installed: npm ci first)" >&2
  exit 1
fi
echo "build arguments from the deploy file: ${BUILD_ARGS[*]}"
# npm inside the build goes through this workplace's proxy, which re-signs TLS: the machine's CA bundle
# is mounted into the RUN steps and npm's global config points at it; nothing of it enters a layer.
cp /etc/ssl/certs/ca-certificates.crt "$W/ca-certificates.crt"
printf 'cafile=/usr/local/etc/upgate-build-ca.crt\n' >"$W/npmrc"
if ! podman build --pull=never -f apps/demo/Dockerfile "${BUILD_ARGS[@]}" -t "$APP_IMAGE" \
  -v "$W/ca-certificates.crt:/usr/local/etc/upgate-build-ca.crt:ro" \
  -v "$W/npmrc:/usr/local/etc/npmrc:ro" . >"$W/build.log" 2>&1; then
  tail -40 "$W/build.log" >&2
  echo "demo-image: podman build failed; the whole log: $W/build.log" >&2
  exit 1
fi
# The steps, and what npm said (NestJS 12's dependencies that declare Node >= 22: see the README).
grep -E '\] STEP|COMMIT|added [0-9]+ packages|package: |required: ' "$W/build.log" | cut -c1-160 || true
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$APP_IMAGE"
# What must not ship: declarations and source maps of sources the image does not contain, build info.
stray=$(podman run --rm --entrypoint sh "$APP_IMAGE" -c \
  "find /app -name node_modules -prune -o \( -name '*.d.ts' -o -name '*.map' -o -name '*.tsbuildinfo' -o -name '*.ts' \) -print")
if [ -n "$stray" ]; then
  echo "demo-image: the runtime image ships files it must not:" >&2
  echo "$stray" >&2
  exit 1
fi
echo "runtime image: no .ts, .d.ts, .map or .tsbuildinfo outside node_modules"
# Every deploy file, destinations' overlays included: the app reads the one KAMAL_DESTINATION names.
ours=$(sha256sum apps/demo/config/deploy*.yml)
theirs=$(podman run --rm --entrypoint sh "$APP_IMAGE" -c 'cd /app && sha256sum apps/demo/config/deploy*.yml')
if [ "$ours" != "$theirs" ]; then
  printf 'demo-image: the runtime image does not carry the deploy files as they are:\n%s\nin the image:\n%s\n' "$ours" "$theirs" >&2
  exit 1
fi
echo "runtime image: the deploy files, as in the repository: $(echo "$ours" | awk '{ print $2 }' | xargs)"
took

step "4. kamal-proxy's image, from the installed binary, and postgres:15's stand-in"
KAMAL_PROXY=$(bash scripts/install-kamal-proxy.sh)
rm -rf "$W/kamal-proxy" && mkdir -p "$W/kamal-proxy"
cp "$KAMAL_PROXY" "$W/kamal-proxy/kamal-proxy"
podman build --pull=never --build-arg "BASE=$BASE" -f scripts/kamal-proxy.Containerfile -t "$PROXY_IMAGE" \
  "$W/kamal-proxy" >"$W/kamal-proxy-build.log" 2>&1 || {
  tail -20 "$W/kamal-proxy-build.log" >&2
  exit 1
}
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$PROXY_IMAGE"
# The accessory's image: Debian's postgresql-15 (from the base image's Debian mirror, in the build's
# RUN step), with the rehearsal's stand-in for the official image's entrypoint.
rm -rf "$W/postgres" && mkdir -p "$W/postgres"
cp apps/demo/rehearsal/postgres-entrypoint.sh "$W/postgres/"
podman build --pull=never --build-arg "BASE=$BASE" -f scripts/postgres-accessory.Containerfile -t "$POSTGRES_IMAGE" \
  "$W/postgres" >"$W/postgres-build.log" 2>&1 || {
  tail -20 "$W/postgres-build.log" >&2
  exit 1
}
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$POSTGRES_IMAGE"
took

step "5. the deploy rehearsal with them as containers"
node apps/demo/rehearsal/dist/rehearse.js --image "$APP_IMAGE" --proxy-image "$PROXY_IMAGE" \
  --postgres-image "$POSTGRES_IMAGE" "$@"
took

printf '\n=== demo image: all steps took %ss\n' $(($(date +%s) - T_ALL))
