#!/usr/bin/env bash
# Builds the pinned LiveKit binaries into .tools/bin (git-ignored) from the Go module proxy:
#   bash scripts/setup-livekit.sh            livekit-server only (what the demo and most tests need)
#   bash scripts/setup-livekit.sh --lk       the lk CLI only (and the PortAudio headers it links)
#   bash scripts/setup-livekit.sh --server --lk   both
# Idempotent: a binary whose recorded version matches the pin is left alone, so a second run
# returns at once.
set -euo pipefail

LIVEKIT_SERVER_VERSION="v1.13.5"
LIVEKIT_CLI_VERSION="v2.18.2"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/bin"
mkdir -p "$tools"

have_pinned() { # name version
  [ -x "$tools/$1" ] && [ "$(cat "$tools/.$1.version" 2>/dev/null)" = "$2" ]
}

want_server=0 want_lk=0
for arg in "$@"; do
  case "$arg" in
  --server) want_server=1 ;;
  --lk) want_lk=1 ;;
  *)
    echo "usage: setup-livekit.sh [--server] [--lk]" >&2
    exit 2
    ;;
  esac
done
[ "$want_lk" = 1 ] || want_server=1

needed=()
[ "$want_server" = 1 ] && ! have_pinned livekit-server "$LIVEKIT_SERVER_VERSION" &&
  needed+=("livekit-server $LIVEKIT_SERVER_VERSION")
[ "$want_lk" = 1 ] && ! have_pinned lk "$LIVEKIT_CLI_VERSION" && needed+=("lk $LIVEKIT_CLI_VERSION")
[ "${#needed[@]}" -eq 0 ] && exit 0

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
callbridge setup: Go is not installed, so the pinned ${needed[*]} cannot be built here.
Any one of these works instead:
  - install Go >= 1.24 (https://go.dev/dl) and run this again;
  - run LiveKit in Docker: docker compose up livekit   (uses livekit.yaml);
  - macOS: brew install livekit livekit-cli, then export LIVEKIT_SERVER_BIN=\$(command -v livekit-server)
    and LK_BIN=\$(command -v lk);
  - any binary on disk: export LIVEKIT_SERVER_BIN=/path/to/livekit-server (LK_BIN=/path/to/lk for lk).
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
    # The C++ parts of lk print pages of compiler warnings: keep them unless the build fails.
    if ! go build "$@" -o "$tmp/$name" "$pkg" >"$tmp/build.log" 2>&1; then
      cat "$tmp/build.log" >&2
      echo "callbridge setup: building $name $version failed (its output is above)" >&2
      exit 1
    fi
  )
  mv "$tmp/$name" "$tools/$name"
  echo "$version" >"$tools/.$name.version"
  rm -rf "$tmp"
}

# The lk module zip lacks its vendored PortAudio sources (a git submodule), so it links the system
# library instead: Debian/Ubuntu portaudio19-dev, macOS `brew install portaudio`.
ensure_portaudio() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists portaudio-2.0 2>/dev/null && return 0
  bash "$root/scripts/lib/apt-install.sh" portaudio19-dev pkg-config && return 0
  echo "callbridge setup: lk needs PortAudio headers: apt-get install portaudio19-dev (or brew install portaudio), or set LK_BIN" >&2
  exit 1
}

if [ "$want_server" = 1 ]; then
  build livekit-server github.com/livekit/livekit-server/cmd/server "$LIVEKIT_SERVER_VERSION"
fi
if [ "$want_lk" = 1 ] && ! have_pinned lk "$LIVEKIT_CLI_VERSION"; then
  ensure_portaudio
  build lk github.com/livekit/livekit-cli/v2/cmd/lk "$LIVEKIT_CLI_VERSION" -tags portaudio_system
fi
echo "callbridge setup: ${needed[*]} ready in .tools/bin" >&2
