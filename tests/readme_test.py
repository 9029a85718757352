#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# README.md's C++ blocks cannot drift: every ```cpp block is extracted, compiled as a complete
# program against the built library (warnings are errors) and run, in README order, in one fresh
# directory where `custauth --db shop.db init` has made shop.db and shop.key. A block that does
# not compile, or whose program exits non-zero (each checks every Result it uses), fails the test.
#
# usage: readme_test.py README CXX SOURCE_DIR LIBRARY CLI
import os
import re
import subprocess
import sys
import tempfile

README, CXX, SOURCE_DIR, LIBRARY, CLI = sys.argv[1:6]
CLI = os.path.abspath(CLI)


def blocks(text):
    return [m.group(1) for m in re.finditer(r"^```cpp\n(.*?)^```$", text, re.M | re.S)]


def main():
    with open(README, encoding="utf-8") as f:
        found = blocks(f.read())
    if len(found) < 5:
        print(f"readme_test: expected at least 5 C++ blocks, found {len(found)}", file=sys.stderr)
        return 1
    libdir = os.path.dirname(os.path.abspath(LIBRARY))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="custauth-readme-") as tmp:
        subprocess.run([CLI, "--db", "shop.db", "init"], cwd=tmp, check=True,
                       capture_output=True)
        for i, code in enumerate(found, 1):
            src = os.path.join(tmp, f"block{i}.cpp")
            exe = os.path.join(tmp, f"block{i}")
            with open(src, "w", encoding="utf-8") as f:
                f.write(code)
            first = code.strip().splitlines()[0]
            cc = subprocess.run(
                [CXX, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                 "-I", os.path.join(SOURCE_DIR, "include"), "-I", os.path.join(SOURCE_DIR, "capi"),
                 src, "-o", exe, "-L", libdir, "-lcustauth", "-Wl,-rpath," + libdir],
                capture_output=True, text=True)
            if cc.returncode != 0:
                failures += 1
                print(f"block {i} ({first}) does not compile:\n{cc.stderr}", file=sys.stderr)
                continue
            run = subprocess.run([exe], cwd=tmp, capture_output=True, text=True, timeout=120)
            if run.returncode != 0:
                failures += 1
                print(f"block {i} ({first}) exits {run.returncode}:\n{run.stdout}{run.stderr}",
                      file=sys.stderr)
                continue
            print(f"block {i}: compiled and ran: {run.stdout.strip()[:200]}")
    if failures:
        print(f"readme_test: {failures} of {len(found)} C++ blocks failed", file=sys.stderr)
        return 1
    print(f"readme_test: all {len(found)} C++ blocks compile and run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
