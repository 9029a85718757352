#!/bin/sh
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# The PHP package under a real PHP-FPM (README, "Deploying under PHP-FPM"): Debian's php8.2-fpm
# with its own php.ini (ffi.enable=preload, the default), run unprivileged (as nobody when the
# test runs as root), a unix socket in a scratch folder, 4 static workers, and the documented
# preload (opcache.preload=bindings/php/preload.php). drive.py sends ≥ 200 requests through
# cgi-fcgi from 6 processes at once (login, verify, resets and admin codes, each code used by two
# requests at once: exactly one wins). Then a second pool without the preload: every request gets
# the package's clear error (Custauth\InternalError naming opcache.preload and ffi.enable), not a
# crash. And the CLI without the FFI extension (php -n): the same kind of clear error.
# Usage: php_fpm_test.sh PHP_FPM PHP PYTHON3 SOURCE_DIR LIBCUSTAUTH WORK_DIR
set -eu
FPM=$1 PHP=$2 PY=$3 SRC=$4 LIB=$5 WORK=$6
PKG=$SRC/bindings/php
HERE=$SRC/tests/capi/php_fpm

rm -rf "$WORK"
mkdir -p "$WORK"
RUN=""
if [ "$(id -u)" = 0 ]; then
  chown nobody:nogroup "$WORK"
  RUN="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
MASTERS=""
stop() {
  for pid in $MASTERS; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $MASTERS; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT

pool() {  # pool NAME [php-fpm -d options...]: starts a pool, waits for its socket
  name=$1
  shift
  cat >"$WORK/$name.conf" <<CONF
[global]
pid = $WORK/$name.pid
error_log = $WORK/$name.log
daemonize = no
[$name]
listen = $WORK/$name.sock
pm = static
pm.max_children = 4
clear_env = no
catch_workers_output = yes
CONF
  $RUN env CUSTAUTH_LIBRARY="$LIB" "$FPM" -F -y "$WORK/$name.conf" "$@" &
  MASTERS="$MASTERS $!"
  i=0
  while [ ! -S "$WORK/$name.sock" ]; do
    i=$((i + 1))
    if [ $i -gt 200 ]; then
      echo "php_fpm_test: pool $name did not start" >&2
      cat "$WORK/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.05
  done
}

# The database and its 24 customers, made from the CLI (FFI::cdef) as the pool's user.
IDS=$($RUN env CUSTAUTH_LIBRARY="$LIB" "$PHP" "$HERE/setup.php" "$PKG" "$WORK/shop.db" 24)

pool preloaded -d opcache.enable=1 -d opcache.preload="$PKG/preload.php"
"$PY" "$HERE/drive.py" "$WORK/preloaded.sock" "$HERE/app.php" "$PKG" "$WORK/shop.db" "$IDS"

pool plain -d opcache.enable=1
"$PY" "$HERE/drive.py" "$WORK/plain.sock" "$HERE/app.php" "$PKG" "$WORK/shop.db" "$IDS" --no-preload

# No FFI extension at all (php -n loads no ini file, so no shared extension).
out=$(env CUSTAUTH_LIBRARY="$LIB" "$PHP" -n -r '
require $argv[1] . "/autoload.php";
try { new Custauth\Custauth("memory:"); echo "opened"; }
catch (Custauth\InternalError $e) { echo $e->getMessage(); }' "$PKG")
case $out in
  *extension=ffi*ffi.enable*opcache.preload*) ;;
  *) echo "php_fpm_test: without FFI: $out" >&2; exit 1 ;;
esac
# The thin example (CLI, FFI::cdef).
env CUSTAUTH_LIBRARY="$LIB" "$PHP" "$SRC/examples/php/example.php" >/dev/null
if grep -E "SIGSEGV|exited on signal|core dumped" "$WORK"/*.log; then exit 1; fi
echo "php_fpm_test: ok"
