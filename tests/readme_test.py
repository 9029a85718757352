#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# README.md's code cannot drift: every ```cpp, ```c, ```python and ```php block is extracted and
# run as a complete program, in README order, in one fresh directory where
# `custauth --db shop.db init` has made shop.db and shop.key: C++ and C blocks compiled against the
# built libcustauth.so (warnings are errors), Python with bindings/python/src on the path, PHP
# with ffi.enable=1 and a vendor/autoload.php that loads bindings/php. A block that does not
# compile, or whose program exits non-zero (each checks every Result it uses), fails the test.
#
# usage: readme_test.py README CXX CC SOURCE_DIR LIBRARY CLI
import os
import re
import shutil
import subprocess
import sys
import tempfile

README, CXX, CC, SOURCE_DIR, LIBRARY, CLI = sys.argv[1:7]
CLI = os.path.abspath(CLI)
SOURCE_DIR = os.path.abspath(SOURCE_DIR)
LIBRARY = os.path.abspath(LIBRARY)
PHP = shutil.which("php")


def blocks(text):
    return [(m.group(1), m.group(2))
            for m in re.finditer(r"^```(cpp|c|python|php)\n(.*?)^```$", text, re.M | re.S)]


def build_and_run(i, lang, code, tmp):
    """None when the block compiled and ran, else what went wrong."""
    libdir = os.path.dirname(LIBRARY)
    env = dict(os.environ, CUSTAUTH_LIBRARY=LIBRARY,
               PYTHONPATH=os.path.join(SOURCE_DIR, "bindings", "python", "src"))
    ext = {"cpp": "cpp", "c": "c", "python": "py", "php": "php"}[lang]
    src = os.path.join(tmp, f"block{i}.{ext}")
    with open(src, "w", encoding="utf-8") as f:
        f.write(("<?php\n" if lang == "php" else "") + code)
    if lang in ("cpp", "c"):
        exe = os.path.join(tmp, f"block{i}")
        flags = ["-std=c++20"] if lang == "cpp" else ["-std=c99"]
        cc = subprocess.run(
            [CXX if lang == "cpp" else CC, *flags, "-Wall", "-Wextra", "-Wpedantic", "-Werror",
             "-I", os.path.join(SOURCE_DIR, "include"), "-I", os.path.join(tmp, "include"),
             src, "-o", exe, "-L", libdir, "-lcustauth", "-Wl,-rpath," + libdir],
            capture_output=True, text=True)
        if cc.returncode != 0:
            return f"does not compile:\n{cc.stderr}"
        cmd = [exe]
    elif lang == "python":
        cmd = ["/usr/bin/python3", src]
    else:
        if PHP is None:
            return "php is not installed"
        cmd = [PHP, "-d", "ffi.enable=1", src]
    run = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        return f"exits {run.returncode}:\n{run.stdout}{run.stderr}"
    print(f"block {i} ({lang}): ran: {run.stdout.strip()[:160]}")
    return None


def main():
    with open(README, encoding="utf-8") as f:
        found = blocks(f.read())
    counts = {lang: sum(1 for l, _ in found if l == lang) for lang in ("cpp", "c", "python", "php")}
    if counts["cpp"] < 5 or counts["c"] < 2 or counts["python"] < 2 or counts["php"] < 2:
        print(f"readme_test: fewer blocks than expected: {counts}", file=sys.stderr)
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="custauth-readme-") as tmp:
        subprocess.run([CLI, "--db", "shop.db", "init"], cwd=tmp, check=True,
                       capture_output=True)
        # <custauth/custauth.h> as installed (capi/custauth.h in the source tree).
        os.makedirs(os.path.join(tmp, "include", "custauth"))
        os.symlink(os.path.join(SOURCE_DIR, "capi", "custauth.h"),
                   os.path.join(tmp, "include", "custauth", "custauth.h"))
        os.mkdir(os.path.join(tmp, "vendor"))
        with open(os.path.join(tmp, "vendor", "autoload.php"), "w", encoding="utf-8") as f:
            f.write("<?php\nrequire " +
                    repr(os.path.join(os.path.abspath(SOURCE_DIR), "bindings", "php",
                                      "autoload.php")) + ";\n")
        for i, (lang, code) in enumerate(found, 1):
            why = build_and_run(i, lang, code, tmp)
            if why is not None:
                failures += 1
                first = code.strip().splitlines()[0]
                print(f"block {i} ({lang}: {first}) {why}", file=sys.stderr)
    if failures:
        print(f"readme_test: {failures} of {len(found)} blocks failed", file=sys.stderr)
        return 1
    print(f"readme_test: all {len(found)} blocks run {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
