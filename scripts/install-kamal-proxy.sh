#!/usr/bin/env bash
# Installs the real kamal-proxy, pinned, for the deploy rehearsal (apps/demo/rehearsal), and prints the
# binary's path on stdout (everything else goes to stderr):
#   go install github.com/basecamp/kamal-proxy/cmd/kamal-proxy@v0.9.2
# Kamal 2.11 and later require kamal-proxy 0.9.2 or newer; v0.9.2 is what Kamal 2.12 runs by default.
#
# A binary already there is reused when Go's build information says it is this version of this module
# (`go version -m`): on PATH, in $GOBIN, or in $(go env GOPATH)/bin. Needs Go >= 1.25.5 (kamal-proxy's
# go.mod) and the Go module proxy.
set -euo pipefail

MODULE=github.com/basecamp/kamal-proxy
PACKAGE=$MODULE/cmd/kamal-proxy
VERSION=v0.9.2

say() { printf 'install-kamal-proxy: %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: install Go 1.25.5 or later (https://go.dev/dl/), then run this again"
  exit 1
fi

# The build information a binary carries names the main module and its version.
is_pinned() {
  [ -x "$1" ] && go version -m "$1" 2>/dev/null | awk -v m="$MODULE" -v v="$VERSION" '$1 == "mod" && $2 == m && $3 == v { ok = 1 } END { exit !ok }'
}

GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
for candidate in "$(command -v kamal-proxy || true)" "$GOBIN_DIR/kamal-proxy"; do
  if [ -n "$candidate" ] && is_pinned "$candidate"; then
    say "reusing $candidate ($MODULE $VERSION)"
    printf '%s\n' "$candidate"
    exit 0
  fi
done

say "go install $PACKAGE@$VERSION"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! go install "$PACKAGE@$VERSION" 2>"$log"; then
  cat "$log" >&2
  # `go install pkg@version` also reads the module's version list (@v/list) to look for a deprecation
  # notice on its latest version. A module proxy that serves the pinned version but refuses the list
  # (this workplace's answers 403) fails the install. The same pinned install works with the list taken
  # from the module cache: download exactly this version (its checksum verified against the checksum
  # database, as always), then put the cache ahead of the proxy.
  say "retrying with the module cache ahead of the proxy, which refused a lookup beyond the pinned version"
  go mod download "$MODULE@$VERSION" >&2
  GOPROXY="file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY)" go install "$PACKAGE@$VERSION" >&2
fi

if ! is_pinned "$GOBIN_DIR/kamal-proxy"; then
  say "$GOBIN_DIR/kamal-proxy is not $MODULE $VERSION after the install:"
  go version -m "$GOBIN_DIR/kamal-proxy" >&2 || true
  exit 1
fi
say "installed $GOBIN_DIR/kamal-proxy ($MODULE $VERSION)"
printf '%s\n' "$GOBIN_DIR/kamal-proxy"
