#!/bin/sh
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Installs a custauth build to a temporary prefix, then builds and runs tests/consumer against the
# INSTALLED copy twice: with find_package(custauth) (CMAKE_PREFIX_PATH) and with pkg-config
# (PKG_CONFIG_PATH). Nothing of the build or source tree is on the consumers' paths.
# Usage: consumer_test.sh CMAKE BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR C_COMPILER CXX_COMPILER
set -eu
cmake=$1
build=$2
src=$3
work=$4
cc=$5
cxx=$6

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

echo "== install $build to $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/include/custauth/custauth.h"
pc=$(find "$prefix" -name custauth.pc | head -n 1)
test -n "$pc"
libdir=$(dirname "$(dirname "$pc")")

run() {
  echo "== run $1"
  LD_LIBRARY_PATH=$libdir "$1"
  # It ran against the installed library, not the build tree's.
  LD_LIBRARY_PATH=$libdir ldd "$1" | grep "libcustauth" | grep -q "$libdir/"
}

echo "== find_package(custauth), C only (shared library)"
"$cmake" -S "$src" -B "$work/cmake-c" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCONSUMER_CXX=OFF > "$work/cmake-c.log"
"$cmake" --build "$work/cmake-c" > "$work/cmake-c-build.log"
run "$work/cmake-c/consumer_c"

echo "== find_package(custauth), C and C++ (shared and static libraries)"
"$cmake" -S "$src" -B "$work/cmake-cxx" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="$cxx" > "$work/cmake-cxx.log"
"$cmake" --build "$work/cmake-cxx" > "$work/cmake-cxx-build.log"
run "$work/cmake-cxx/consumer_c"
echo "== run $work/cmake-cxx/consumer_cpp (static)"
"$work/cmake-cxx/consumer_cpp"
echo "== run $work/cmake-cxx/backend_conformance (the installed storage conformance suite)"
test -f "$prefix/include/custauth/sys/storage_backend.h"
test -x "$work/cmake-cxx/backend_conformance"
"$work/cmake-cxx/backend_conformance"

echo "== pkg-config"
# The .pc file finds its prefix from its own place (${pcfiledir}), so the install under --prefix
# is found as it is.
export PKG_CONFIG_PATH="$(dirname "$pc")"
pkg-config --exists --print-errors custauth
flags=$(pkg-config --cflags --libs custauth)
case "$flags" in *"$prefix"*) ;; *) echo "pkg-config flags do not point into $prefix" >&2; exit 1 ;; esac
echo "pkg-config: $flags"
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -pedantic -Werror "$src/consumer.c" $flags -o "$work/consumer_pc"
run "$work/consumer_pc"
echo "== all consumers ran"
