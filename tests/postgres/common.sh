# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Shared by the scripts of tests/postgres/ (sourced, not run).
#
# Sets:
#   bindir  the PostgreSQL server binaries: $CUSTAUTH_PG_BINDIR, else the directory of initdb on
#           PATH, else the newest /usr/lib/postgresql/*/bin (Debian); "" when none is found.
#   run     the command prefix that runs a server binary: PostgreSQL refuses to run as root, so as
#           root it runs as $CUSTAUTH_PG_OS_USER (default: postgres); otherwise as the caller.
#   port    the port of the test cluster (only the name of its socket file: no TCP listener).

bindir=${CUSTAUTH_PG_BINDIR:-}
if [[ -z "$bindir" ]]; then
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v initdb)")
  else
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
fi

run=()
if [[ $(id -u) -eq 0 ]]; then
  run=(runuser -u "${CUSTAUTH_PG_OS_USER:-postgres}" --)
fi

port=5432

# pg_ctl_start CLUSTER: starts the server of CLUSTER/data, listening only on a unix socket in
# CLUSTER, and waits until it accepts connections.
pg_ctl_start() {
  "${run[@]}" "$bindir/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$1' -c port=$port" \
    -o "-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300" \
    start > /dev/null
}

# pg_ctl_stop CLUSTER: stops the server of CLUSTER/data (fast shutdown) and waits for it.
pg_ctl_stop() {
  "${run[@]}" "$bindir/pg_ctl" -D "$1/data" -m fast -w -t 60 stop > /dev/null
}
