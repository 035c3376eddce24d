#!/usr/bin/env bash
# Installs Debian packages when run as root on a machine with apt-get:
#   bash scripts/lib/apt-install.sh PACKAGE...
# `apt-get update` (tens of seconds) runs only when the install cannot be done with the package
# lists already on the machine: none yet (a fresh image) or stale ones (a download 404s).
# Exit status 0 when every package is installed, 1 otherwise (not root, no apt-get, or failed);
# the caller decides what to tell the user.
set -uo pipefail

[ "$#" -gt 0 ] || exit 0
command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || exit 1
export DEBIAN_FRONTEND=noninteractive

echo "callbridge setup: installing $* with apt-get" >&2
install() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
if compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null && install "$@" 2>/dev/null; then
  exit 0
fi
apt-get update -qq && install "$@"
