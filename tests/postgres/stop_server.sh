#!/usr/bin/env bash
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Stops the cluster that start_server.sh started for STATE_DIR and removes it with its data.
#
#   tests/postgres/stop_server.sh STATE_DIR
#
# OK when there is nothing to stop. Exits non-zero when a running server would not stop.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
state_dir=$1
[[ -f "$state_dir/cluster" ]] || exit 0
cluster=$(cat "$state_dir/cluster")
rm -f "$state_dir/uri"

case "$cluster" in
  */custauth-pg-*) ;;
  *) echo "stop_server.sh: $state_dir/cluster names $cluster, not a custauth test cluster" >&2
     exit 1 ;;
esac

status=0
if [[ -f "$cluster/data/postmaster.pid" ]]; then
  # shellcheck source=common.sh
  source "$(cd "$(dirname "$0")" && pwd)/common.sh"
  if ! pg_ctl_stop "$cluster"; then
    # Fall back to the postmaster's pid: never leave a server behind.
    pid=$(head -n 1 "$cluster/data/postmaster.pid" 2>/dev/null || true)
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -QUIT "$pid" 2>/dev/null || true
      sleep 1
    fi
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      echo "stop_server.sh: the server in $cluster (pid $pid) would not stop" >&2
      status=1
    fi
  fi
fi
if [[ $status -eq 0 ]]; then
  rm -rf "$cluster"
  rm -f "$state_dir/cluster"
fi
exit $status
