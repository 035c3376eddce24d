#!/usr/bin/env bash
# Installs the pinned livekit-server and lk CLI into .tools/bin (git-ignored), built from the Go
# module proxy. Idempotent: a binary whose recorded version matches the pin is left alone.
set -euo pipefail

LIVEKIT_SERVER_VERSION="v1.13.5"
LIVEKIT_CLI_VERSION="v2.18.2"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/bin"
mkdir -p "$tools"

have_pinned() { # name version
  [ -x "$tools/$1" ] && [ "$(cat "$tools/.$1.version" 2>/dev/null)" = "$2" ]
}

if have_pinned livekit-server "$LIVEKIT_SERVER_VERSION" && have_pinned lk "$LIVEKIT_CLI_VERSION"; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
callbridge setup: Go is not installed, so the pinned livekit-server $LIVEKIT_SERVER_VERSION and
lk $LIVEKIT_CLI_VERSION cannot be built here. Any one of these works instead:
  - install Go >= 1.24 (https://go.dev/dl) and run this again;
  - run LiveKit in Docker: docker compose up livekit   (uses livekit.yaml);
  - macOS: brew install livekit livekit-cli, then export LIVEKIT_SERVER_BIN=\$(command -v livekit-server)
    and LK_BIN=\$(command -v lk);
  - any livekit-server binary: export LIVEKIT_SERVER_BIN=/path/to/livekit-server (and LK_BIN for lk).
MSG
  exit 1
fi

# go install checks the module's deprecation through the proxy's version list; some mirrors refuse
# that query, so fall back to a throwaway module that requires the exact version and builds it.
build() { # name module package version
  local name="$1" module="$2" pkg="$3" version="$4"
  have_pinned "$name" "$version" && return 0
  echo "callbridge setup: building $name $version from the Go module proxy (first run takes a few minutes)" >&2
  local tmp
  tmp="$(mktemp -d)"
  if ! GOBIN="$tmp" go install "$pkg@$version" 2>"$tmp/install.log"; then
    (
      cd "$tmp"
      go mod init callbridge-tools >/dev/null 2>&1
      go get "$pkg@$version" >/dev/null 2>"$tmp/get.log" || { cat "$tmp/install.log" "$tmp/get.log" >&2; exit 1; }
      go build -o "$tmp/$(basename "$pkg")" "$pkg"
    )
  fi
  mv "$tmp/$(basename "$pkg")" "$tools/$name"
  echo "$version" >"$tools/.$name.version"
  rm -rf "$tmp"
}

build livekit-server github.com/livekit/livekit-server github.com/livekit/livekit-server/cmd/server "$LIVEKIT_SERVER_VERSION"
build lk github.com/livekit/livekit-cli/v2 github.com/livekit/livekit-cli/v2/cmd/lk "$LIVEKIT_CLI_VERSION"
echo "callbridge setup: livekit-server $LIVEKIT_SERVER_VERSION and lk $LIVEKIT_CLI_VERSION ready in .tools/bin" >&2
