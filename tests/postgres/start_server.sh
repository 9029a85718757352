#!/usr/bin/env bash
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Starts a throwaway PostgreSQL cluster for custauth's tests and writes where to reach it.
#
#   tests/postgres/start_server.sh STATE_DIR
#
# Makes a new cluster (initdb) in a fresh directory under ${TMPDIR:-/tmp}, starts it listening
# only on a unix socket in that directory (no TCP port, so parallel runs never collide), with a
# trusted superuser `custauth`, and durability switched off (fsync, full_page_writes): the data is
# thrown away anyway. Then writes:
#   STATE_DIR/uri      a libpq URI of the cluster's `postgres` database, e.g.
#                      postgresql:///postgres?host=/tmp/custauth-pg-Ab12Cd&port=5432&user=custauth
#   STATE_DIR/cluster  the cluster's directory, for stop_server.sh
# A cluster left running by an earlier, interrupted run in STATE_DIR is stopped first.
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as the `postgres`
# user (override with CUSTAUTH_PG_OS_USER). The server binaries are found on PATH, else in the
# newest /usr/lib/postgresql/*/bin (override with CUSTAUTH_PG_BINDIR).
#
# Exits non-zero, printing the server's log, when the cluster cannot be made or started: the tests
# that need it then fail rather than skip.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
state_dir=$1
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)
if [[ -f "$state_dir/cluster" ]]; then
  "$here/stop_server.sh" "$state_dir" || true
fi
rm -f "$state_dir/uri" "$state_dir/cluster"

# shellcheck source=common.sh
source "$here/common.sh"
if [[ -z "$bindir" || ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
  echo "start_server.sh: no PostgreSQL server binaries (initdb, pg_ctl) found;" \
       "install the postgresql package (scripts/setup) or set CUSTAUTH_PG_BINDIR" >&2
  exit 1
fi

cluster=$(mktemp -d "${TMPDIR:-/tmp}/custauth-pg-XXXXXX")
if [[ ${#run[@]} -gt 0 ]]; then
  chown "${CUSTAUTH_PG_OS_USER:-postgres}" "$cluster"
  chmod 0700 "$cluster"
fi
# Written now, so that stop_server.sh cleans up even when starting fails half-way.
echo "$cluster" > "$state_dir/cluster"

fail() {
  echo "start_server.sh: $*" >&2
  if [[ -f "$cluster/server.log" ]]; then
    echo "--- server log ($cluster/server.log) ---" >&2
    cat "$cluster/server.log" >&2 || true
  fi
  exit 1
}

"${run[@]}" "$bindir/initdb" -D "$cluster/data" -U custauth --auth=trust -E UTF8 --locale=C \
  --no-sync > "$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; fail "initdb failed"; }

pg_ctl_start "$cluster" || fail "pg_ctl start failed"

uri="postgresql:///postgres?host=$cluster&port=$port&user=custauth"
if [[ -x "$bindir/psql" ]]; then
  "${run[@]}" "$bindir/psql" -X -q -d "$uri" -c "SELECT 1" > /dev/null ||
    fail "the server does not answer at $uri"
fi
echo "$uri" > "$state_dir/uri"
echo "start_server.sh: PostgreSQL running at $uri"
