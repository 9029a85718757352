# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""Runs the shop's pytest suite twice with one seed and once with another, each recording the
codes and tokens its tests saw, and checks that the same seed gave identical records and the
other seed different ones.

Run: CUSTAUTH_LIBRARY=build/dev/libcustauth.so /usr/bin/python3 check_reproducible.py OUT_DIR
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(out_dir, name, seed):
    path = os.path.join(out_dir, name + ".json")
    env = dict(os.environ, CUSTAUTH_SHOP_SEED=str(seed), CUSTAUTH_SHOP_RECORD=path)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", HERE],
                   env=env, check=True)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out_dir, exist_ok=True)
    first, second = run(out_dir, "seed7-first", 7), run(out_dir, "seed7-second", 7)
    other = run(out_dir, "seed8", 8)
    if len(first) < 10:
        sys.exit("too few records: %d" % len(first))
    if first != second:
        diff = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
        sys.exit("the same seed gave different values: %s" % diff)
    same = sorted(k for k in first if other.get(k) == first[k])
    if same:
        sys.exit("another seed gave the same values: %s" % same)
    print("%d codes and tokens identical across two runs with seed 7; all differ with seed 8"
          % len(first))


if __name__ == "__main__":
    main()
