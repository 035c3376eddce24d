#!/usr/bin/env bash
# Makes the PostgreSQL server binaries available for the call-record tests, which start their own
# throwaway server (packages/testkit/src/postgres) on a free loopback port. Idempotent: does nothing
# when a server is already installed (or POSTGRES_BIN_DIR points at one).
set -euo pipefail

have_server() {
  if [ -n "${POSTGRES_BIN_DIR:-}" ] && [ -x "$POSTGRES_BIN_DIR/pg_ctl" ]; then return 0; fi
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

if have_server; then exit 0; fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  # The tests make their own clusters; skip the package's default cluster and service.
  mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  bash "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh" postgresql && have_server && exit 0
fi

cat >&2 <<MSG
callbridge setup: the PostgreSQL server is not installed, and the call-record tests run against a
real one. Any one of these works:
  - Debian/Ubuntu (as root): apt-get install postgresql
  - macOS: brew install postgresql, then export POSTGRES_BIN_DIR="\$(brew --prefix postgresql)/bin"
  - any install: export POSTGRES_BIN_DIR=/path/to/dir/with/initdb/and/pg_ctl
MSG
exit 1
