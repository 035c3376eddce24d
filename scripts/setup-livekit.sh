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

# Builds one pinned Go command into .tools/bin through a throwaway module, so extra build steps
# (tags, replacements) never touch the user's own Go setup.
build() { # name package version [go build flags...]
  local name="$1" pkg="$2" version="$3"
  shift 3
  have_pinned "$name" "$version" && return 0
  echo "callbridge setup: building $name $version from the Go module proxy (first run takes a few minutes)" >&2
  local tmp
  tmp="$(mktemp -d)"
  (
    cd "$tmp"
    go mod init callbridge-tools >/dev/null 2>&1
    if ! go get "$pkg@$version" >"$tmp/get.log" 2>&1; then
      # lk v2.18.2 requires an untagged livekit/protocol commit that some module mirrors refuse to
      # serve; the next tagged release (v1.50.0) builds and behaves the same for the CLI.
      if [ "$name" = lk ] && grep -q 'livekit/protocol@' "$tmp/get.log"; then
        go mod edit -replace github.com/livekit/protocol=github.com/livekit/protocol@v1.50.0
        go get "$pkg@$version" >"$tmp/get.log" 2>&1 || { cat "$tmp/get.log" >&2; exit 1; }
      else
        cat "$tmp/get.log" >&2
        exit 1
      fi
    fi
    go build "$@" -o "$tmp/$name" "$pkg"
  )
  mv "$tmp/$name" "$tools/$name"
  echo "$version" >"$tools/.$name.version"
  rm -rf "$tmp"
}

# The lk module zip lacks its vendored PortAudio sources (a git submodule), so it links the system
# library instead: Debian/Ubuntu portaudio19-dev, macOS `brew install portaudio`.
ensure_portaudio() {
  pkg-config --exists portaudio-2.0 2>/dev/null && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "callbridge setup: installing portaudio19-dev (needed to build lk)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends portaudio19-dev pkg-config >/dev/null
  else
    echo "callbridge setup: lk needs PortAudio headers: apt-get install portaudio19-dev (or brew install portaudio), or set LK_BIN" >&2
    exit 1
  fi
}

build livekit-server github.com/livekit/livekit-server/cmd/server "$LIVEKIT_SERVER_VERSION"
if ! have_pinned lk "$LIVEKIT_CLI_VERSION"; then
  ensure_portaudio
  build lk github.com/livekit/livekit-cli/v2/cmd/lk "$LIVEKIT_CLI_VERSION" -tags portaudio_system
fi
echo "callbridge setup: livekit-server $LIVEKIT_SERVER_VERSION and lk $LIVEKIT_CLI_VERSION ready in .tools/bin" >&2
