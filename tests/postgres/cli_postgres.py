#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# The custauth CLI on a PostgreSQL URI instead of a SQLite path: init, customers, tokens, codes,
# revocation, and the key file's default place (./custauth.key).
#
# usage: cli_postgres.py PATH/TO/custauth STATE_DIR   (STATE_DIR/uri from start_server.sh)
import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.parse

cli, state_dir = sys.argv[1], sys.argv[2]
with open(os.path.join(state_dir, "uri")) as f:
    server_uri = f.read().strip()

# A fresh database for this test.
name = "custauth_cli_" + secrets.token_hex(4)
subprocess.run(["psql", server_uri, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
               check=True)
parts = urllib.parse.urlsplit(server_uri)
uri = f"{parts.scheme}://{parts.netloc}/{name}" + (f"?{parts.query}" if parts.query else "")
work = tempfile.TemporaryDirectory(prefix="custauth-cli-pg-")


def run(*args, expect=0, stdin=None):
    p = subprocess.run([cli, "--db", uri, "--argon2-opslimit", "1", "--argon2-memlimit", "8192",
                        *args], capture_output=True, text=True, input=stdin, cwd=work.name,
                       timeout=60)
    if p.returncode != expect:
        sys.exit(f"custauth {args}: exit {p.returncode}, expected {expect}\n{p.stdout}{p.stderr}")
    return json.loads(p.stdout) if p.stdout.strip() else None


try:
    init = run("init")
    assert init["backend"].startswith("postgresql://"), init
    assert init["key_file"] == "./custauth.key" and init["key_file_created"], init
    assert oct(os.stat(os.path.join(work.name, "custauth.key")).st_mode & 0o777) == "0o600"
    assert "custauth" not in init["backend"].split("@")[0] or "password" not in init["backend"]

    run("customer", "create", "--email", "roni_cost@example.com", "--firstname", "Roni",
        "--lastname", "Cost", "--password-stdin", "--allow-remote-shopping-assistance",
        stdin="Password123\n")
    dup = run("customer", "create", "--email", "RONI_COST@example.com", "--firstname", "R",
              "--lastname", "C", expect=1)
    assert dup["errors"][0]["extensions"]["category"] == "graphql-already-exists", dup

    token = run("generate-customer-token", "--email", "roni_cost@example.com", "--password",
                "Password123")["data"]["generateCustomerToken"]["token"]
    assert run("token", "verify", token)["utypid"] == 3
    wrong = run("generate-customer-token", "--email", "roni_cost@example.com", "--password",
                "nope", expect=1)
    assert wrong["errors"][0]["message"].startswith("The account sign-in was incorrect"), wrong

    code = run("otc", "issue", "--email", "roni_cost@example.com", "--admin-id", "7")["otp"]
    run("exchange-otc", "--email", "roni_cost@example.com", "--otc", code)
    run("exchange-otc", "--email", "roni_cost@example.com", "--otc", code, expect=1)

    run("token", "revoke", "--email", "roni_cost@example.com")
    revoked = run("token", "verify", token, expect=1)
    assert revoked["errors"][0]["message"] == "The token has been revoked.", revoked
    events = [r["event"] for r in run("audit", "list", "--email", "roni_cost@example.com")["audit"]]
    assert "otc.issue" in events and "otc.use" in events and "tokens.revoke" in events, events
    print("cli_postgres: ok")
finally:
    subprocess.run(["psql", server_uri, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
