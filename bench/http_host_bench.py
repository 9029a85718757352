#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# GET /me on custauth-http-host (a customer token verified per request) against the same host
# answering a static body (GET /health): requests per second and p50/p99 latency under a bounded
# local load of CONNECTIONS keep-alive connections for SECONDS each (custauth_http_load), and the
# same through ab -k when apache2-utils is installed. Prints one JSON object.
#
# usage: http_host_bench.py HOST_BIN CLI LOAD_BIN [SECONDS] [CONNECTIONS]
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

HOST_BIN, CLI, LOAD = sys.argv[1:4]
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
CONNECTIONS = int(sys.argv[5]) if len(sys.argv) > 5 else 8


def load(port, path, token=None):
    args = [LOAD, "127.0.0.1", str(port), path, str(CONNECTIONS), str(SECONDS)]
    if token:
        args.append(token)
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ab(port, path, token=None):
    if shutil.which("ab") is None:
        return None
    args = ["ab", "-q", "-k", "-c", str(CONNECTIONS), "-t", str(int(SECONDS)), "-n", "100000000"]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True).stdout
    rps = re.search(r"Requests per second:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\d+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\d+)", out, re.M)
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    if not rps:
        return {"error": out[-500:]}
    return {"rps": float(rps.group(1)), "p50_ms": int(p50.group(1)) if p50 else None,
            "p99_ms": int(p99.group(1)) if p99 else None,
            "failed": int(failed.group(1)) if failed else 0,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def main():
    with tempfile.TemporaryDirectory(prefix="custauth-http-bench-") as tmp:
        db = os.path.join(tmp, "shop.db")
        subprocess.run([CLI, "--db", db, "init"], check=True, capture_output=True)
        subprocess.run([CLI, "--db", db, "customer", "create", "--email", "bobloblaw@example.com",
                        "--firstname", "Bob", "--lastname", "Loblaw", "--password", "b0bl0bl@w"],
                       check=True, capture_output=True)
        host = subprocess.Popen([HOST_BIN, "--db", db, "--listen", "127.0.0.1:0"],
                                stdout=subprocess.PIPE, text=True)
        try:
            port = int(host.stdout.readline().split(":")[-1])
            query = ('mutation { generateCustomerToken(email: "bobloblaw@example.com", '
                     'password: "b0bl0bl@w") { token } }')
            req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                         json.dumps({"query": query}).encode(),
                                         {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                token = json.load(r)["data"]["generateCustomerToken"]["token"]
            result = {"connections": CONNECTIONS, "seconds": SECONDS,
                      "me": load(port, "/me", token), "static": load(port, "/health"),
                      "ab_me": ab(port, "/me", token), "ab_static": ab(port, "/health")}
        finally:
            host.send_signal(signal.SIGTERM)
            host.wait(timeout=30)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
