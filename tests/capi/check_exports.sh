#!/bin/sh
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Fails unless every symbol libcustauth.so exports is the C ABI (custauth_*) or the C++ API
# (namespace custauth: functions, type information, vtables, thunks), none of it
# custauth::internal, and unless every function custauth.h declares is exported.
# Usage: check_exports.sh LIBCUSTAUTH.SO
set -eu
lib=$1
header=$(dirname "$0")/../../capi/custauth.h

syms=$(nm -D --defined-only "$lib" | awk '{print $NF}')
if [ -z "$syms" ]; then
  echo "no exported symbols in $lib" >&2
  exit 1
fi

bad=0
for s in $syms; do
  case $s in
    *N8custauth8internal*) ok=no ;;
    custauth_*) ok=yes ;;
    _ZN8custauth* | _ZNK8custauth*) ok=yes ;;
    _ZTIN8custauth* | _ZTSN8custauth* | _ZTVN8custauth*) ok=yes ;;
    _ZThn*_N8custauth* | _ZThn*_NK8custauth* | _ZTv*_N8custauth* | _ZTv*_NK8custauth*) ok=yes ;;
    *) ok=no ;;
  esac
  if [ "$ok" = no ]; then
    echo "not part of the API: $s ($(echo "$s" | c++filt))" >&2
    bad=$((bad + 1))
  fi
done

# Every function of the C header is there.
missing=0
for f in $(grep -o 'custauth_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u); do
  if ! echo "$syms" | grep -qx "$f"; then
    echo "declared in custauth.h but not exported: $f" >&2
    missing=$((missing + 1))
  fi
done

total=$(echo "$syms" | wc -l)
c_api=$(echo "$syms" | grep -c '^custauth_' || true)
echo "$lib: $total exported symbols, $c_api of the C ABI; $bad outside the API; $missing missing"
[ "$bad" -eq 0 ] && [ "$missing" -eq 0 ]
