#!/usr/bin/env bash
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Stops or restarts the server of the cluster start_server.sh made for STATE_DIR, keeping its
# data: for tests of what custauth does while its server is away.
#
#   tests/postgres/server_ctl.sh STATE_DIR stop|start
set -euo pipefail

if [[ $# -ne 2 || ( $2 != stop && $2 != start ) ]]; then
  echo "usage: $0 STATE_DIR stop|start" >&2
  exit 2
fi
cluster=$(cat "$1/cluster")
# shellcheck source=common.sh
source "$(cd "$(dirname "$0")" && pwd)/common.sh"
if [[ $2 == stop ]]; then
  pg_ctl_stop "$cluster"
else
  pg_ctl_start "$cluster"
fi
