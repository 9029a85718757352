#!/bin/sh
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Token verify from PHP under PHP-FPM with the documented preload (README, "Deploying under
# PHP-FPM"): the package against a pure-PHP HS256 check, in one request of a 1-worker pool.
# Usage: bench/php_fpm_verify.sh LIBCUSTAUTH_SO [N]     Prints one JSON object.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "$1")
N=${2:-20000}
WORK=$(mktemp -d)
chmod 0755 "$WORK"
RUN=""
if [ "$(id -u)" = 0 ]; then
  chown nobody:nogroup "$WORK"
  RUN="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
FPM=$(command -v php-fpm8.2 || echo /usr/sbin/php-fpm8.2)
$RUN env CUSTAUTH_LIBRARY="$LIB" php "$ROOT/tests/capi/php_fpm/setup.php" "$ROOT/bindings/php" \
  "$WORK/shop.db" 0 >/dev/null
$RUN env CUSTAUTH_LIBRARY="$LIB" php -r '
require $argv[1] . "/autoload.php";
$a = new Custauth\Custauth($argv[2], ["argon2_opslimit" => 1, "argon2_memlimit" => 8192]);
$a->createCustomer("bench@example.com", "B", "B", "Password123");' "$ROOT/bindings/php" "$WORK/shop.db"
cat >"$WORK/fpm.conf" <<CONF
[global]
pid = $WORK/fpm.pid
error_log = $WORK/fpm.log
daemonize = no
[bench]
listen = $WORK/fpm.sock
pm = static
pm.max_children = 1
CONF
$RUN env CUSTAUTH_LIBRARY="$LIB" "$FPM" -F -y "$WORK/fpm.conf" -d opcache.enable=1 \
  -d opcache.preload="$ROOT/bindings/php/preload.php" &
MASTER=$!
trap 'kill -TERM $MASTER 2>/dev/null || true; wait $MASTER 2>/dev/null || true; rm -rf "$WORK"' EXIT
i=0
while [ ! -S "$WORK/fpm.sock" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
SCRIPT_FILENAME="$ROOT/bench/php_fpm_verify.php" REQUEST_METHOD=GET QUERY_STRING="n=$N" \
  CUSTAUTH_PACKAGE="$ROOT/bindings/php" CUSTAUTH_DB="$WORK/shop.db" \
  cgi-fcgi -bind -connect "$WORK/fpm.sock" | sed -e '1,/^\r*$/d'
echo
