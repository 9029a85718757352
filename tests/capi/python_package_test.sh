#!/bin/sh
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# The Python package as a user installs it (README, "Installing the Python package"): a fresh
# virtual environment over Debian's Python (--system-site-packages: setuptools and pytest come
# from Debian; PyPI is not used), `pip install --no-build-isolation` offline from a copy of
# bindings/python (so the build leaves nothing in the source tree), then its pytest suite run
# from a scratch folder against the installed package. Then where it finds libcustauth.so
# without CUSTAUTH_LIBRARY: next to the package, and under the environment's prefix.
# Usage: python_package_test.sh PYTHON3 SOURCE_DIR LIBCUSTAUTH WORK_DIR
set -eu
PY=$1 SRC=$2 LIB=$3 WORK=$4

rm -rf "$WORK"
mkdir -p "$WORK/scratch"
cp -r "$SRC/bindings/python" "$WORK/package"
"$PY" -m venv --system-site-packages "$WORK/venv"
VPY="$WORK/venv/bin/python"
PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$VPY" -m pip install -q --no-build-isolation --no-index "$WORK/package"

cd "$WORK/scratch"
CUSTAUTH_LIBRARY=$LIB PYTHONDONTWRITEBYTECODE=1 \
  "$VPY" -m pytest -q -p no:cacheprovider "$SRC/bindings/python/tests"

# The thin example runs on the installed package.
CUSTAUTH_LIBRARY=$LIB "$VPY" "$SRC/examples/python/example.py" >/dev/null

# The library found without CUSTAUTH_LIBRARY: next to the installed package, then in <prefix>/lib.
PKG=$("$VPY" -c 'import os, custauth; print(os.path.dirname(custauth.__file__))')
check() {
  env -u CUSTAUTH_LIBRARY "$VPY" -c '
import custauth, sys
lib = custauth.load_library()
with custauth.Custauth("memory:") as a:
    a.create_customer("roni_cost@example.com", "V", "C")
print(lib._name)
assert lib._name.startswith(sys.argv[1]), (lib._name, sys.argv[1])
' "$1"
}
cp "$LIB" "$PKG/libcustauth.so"
check "$PKG/"
rm "$PKG/libcustauth.so"
mkdir -p "$WORK/venv/lib"
cp "$LIB" "$WORK/venv/lib/libcustauth.so"
check "$WORK/venv/lib/"
rm "$WORK/venv/lib/libcustauth.so"
echo "python_package_test: ok"
