#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# custauth-http-host driven by real clients: curl with the seed documents' request bodies as the
# platform's storefront documentation writes them (generateCustomerToken with the right and a
# wrong password, an alias, variables, several mutations in one document),
# exchangeExternalCustomerToken signed by requests_oauthlib (HMAC-SHA256 and HMAC-SHA1), GET /me
# with a token, a revoked token and none, documents the host refuses; then SIGTERM stops it.
#
# usage: http_host_test.py CLI HOST
import json
import os
import signal
import subprocess
import sys
import tempfile

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

CLI, HOST = sys.argv[1], sys.argv[2]

SIGN_IN = ("The account sign-in was incorrect or your account is disabled temporarily. "
           "Please wait and try again later.")
NOT_AUTHORIZED = "The current customer isn't authorized."

# The seeds' requests, verbatim (generateCustomerToken.txt, exchangeExternalCustomerToken.txt).
SEED_GENERATE = """mutation {
generateCustomerToken(
email: "bobloblaw@example.com"
password: "b0bl0bl@w"
) {
token
}
}"""
SEED_EXCHANGE = """mutation {
exchangeExternalCustomerToken(
input: {
customer: {
firstname: "Roni"
lastname: "Cost"
email: "roni_cost@example.com"
is_subscribed: false
}
}
) {
customer {
email
firstname
lastname
is_subscribed
}
token
}
}"""

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def cli(db, *args):
    out = subprocess.run([CLI, "--db", db, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def curl(url, body=None, headers=(), tmp=None):
    """(status, parsed JSON body, raw headers) of one curl request."""
    cmd = ["curl", "-sS", "-D", "-", "-o", os.path.join(tmp, "out.json"), url]
    if body is not None:
        path = os.path.join(tmp, "body.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        cmd += ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@" + path]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    status = int(out.split("\r\n", 1)[0].split(" ")[1])
    with open(os.path.join(tmp, "out.json"), encoding="utf-8") as f:
        return status, json.load(f), out


def graphql(base, tmp, query, variables=None, headers=()):
    doc = {"query": query}
    if variables is not None:
        doc["variables"] = variables
    status, body, _ = curl(base + "/graphql", json.dumps(doc), headers, tmp)
    check(status == 200, f"POST /graphql answers 200 ({status})")
    return body


def error_of(body, path=None):
    check("errors" in body and len(body["errors"]) >= 1, f"an error: {body}")
    e = body["errors"][0]
    if path is not None:
        check(e.get("path") == [path], f"error path {path}: {e}")
    return e


def main():
    with tempfile.TemporaryDirectory(prefix="custauth-http-host-") as tmp:
        db = os.path.join(tmp, "shop.db")
        cli(db, "init")
        cli(db, "customer", "create", "--email", "bobloblaw@example.com", "--firstname", "Bob",
            "--lastname", "Loblaw", "--password", "b0bl0bl@w")
        creds = cli(db, "integration", "create", "--name", "Social login", "--permission",
                    "exchange_external_customer_token")

        host = subprocess.Popen([HOST, "--db", db, "--listen", "127.0.0.1:0"],
                                stdout=subprocess.PIPE, text=True)
        try:
            line = host.stdout.readline()
            check(line.startswith("listening on 127.0.0.1:"), f"the host listens: {line!r}")
            base = "http://" + line.split()[-1]
            run(base, tmp, creds)
        finally:
            host.send_signal(signal.SIGTERM)
            try:
                rc = host.wait(timeout=30)
            except subprocess.TimeoutExpired:
                host.kill()
                rc = host.wait()
        check(rc == 0, f"SIGTERM stops the host with status 0 ({rc})")

    if failures:
        print(f"{len(failures)} checks failed", file=sys.stderr)
        return 1
    print("http_host_test: all checks passed")
    return 0


def run(base, tmp, creds):
    # generateCustomerToken: the seed's request, right password.
    body = graphql(base, tmp, SEED_GENERATE)
    check(list(body) == ["data"], f"the seed answers data only: {body}")
    token = body["data"]["generateCustomerToken"]["token"]
    check(list(body["data"]["generateCustomerToken"]) == ["token"], "only the selected field")
    check(token.count(".") == 2, "a JWT")

    # A wrong password: the platform's message, under the field's path.
    wrong = graphql(base, tmp, SEED_GENERATE.replace("b0bl0bl@w", "not-the-password"))
    e = error_of(wrong, "generateCustomerToken")
    check(e["message"] == SIGN_IN, f"wrong password message: {e}")
    check(e["extensions"]["category"] == "graphql-authentication", f"category: {e}")
    check("data" not in wrong, "a refused single mutation answers errors only")

    # An empty email: DOMAIN.md's input message.
    e = error_of(graphql(base, tmp, SEED_GENERATE.replace("bobloblaw@example.com", "")))
    check(e["message"] == 'Specify the "email" value.', f"empty email: {e}")

    # An alias: the answer and the error's path under it.
    aliased = 'mutation { login: generateCustomerToken(email: "bobloblaw@example.com", ' \
              'password: "wrong-one") { jwt: token } }'
    e = error_of(graphql(base, tmp, aliased), "login")
    check(e["message"] == SIGN_IN, f"aliased wrong password: {e}")
    ok = graphql(base, tmp, aliased.replace("wrong-one", "b0bl0bl@w"))
    check(list(ok["data"]) == ["login"] and list(ok["data"]["login"]) == ["jwt"],
          f"aliases: {ok}")

    # Variables.
    with_vars = """mutation SignIn($email: String!, $password: String!) {
      generateCustomerToken(email: $email, password: $password) { token }
    }"""
    v = graphql(base, tmp, with_vars, {"email": "bobloblaw@example.com", "password": "b0bl0bl@w"})
    check(v.get("data", {}).get("generateCustomerToken", {}).get("token", "").count(".") == 2,
          f"variables: {v}")
    e = error_of(graphql(base, tmp, with_vars, {"email": "bobloblaw@example.com"}))
    check("$password" in e["message"], f"a missing variable is named: {e}")

    # Comments, commas and escapes: "bob\u006coblaw" is bobloblaw.
    escaped = ('# signs Bob in\nmutation Named { generateCustomerToken(email: '
               '"bob\\u006coblaw@example.com", password: "b0bl0bl\\u0040w",) { token } }')
    v = graphql(base, tmp, escaped)
    check(v.get("data", {}).get("generateCustomerToken", {}).get("token", "").count(".") == 2,
          f"escapes: {v}")
    e = error_of(graphql(base, tmp, 'mutation { generateCustomerToken(email: "bob) { token } }'))
    check(e["message"].startswith("Syntax Error"), f"an unterminated string: {e}")

    # Several mutations in one document, answered in order.
    several = """mutation {
      first: generateCustomerToken(email: "bobloblaw@example.com", password: "b0bl0bl@w") { token }
      second: generateCustomerToken(email: "bobloblaw@example.com", password: "nope") { token }
      reset: requestPasswordResetEmail(email: "nobody@example.com")
    }"""
    s = graphql(base, tmp, several)
    check(list(s["data"]) == ["first", "second", "reset"], f"in order: {s}")
    check(s["data"]["second"] is None and s["data"]["reset"] is True, f"values: {s}")
    check(len(s["errors"]) == 1 and s["errors"][0]["path"] == ["second"], f"errors: {s}")

    # What the host does not support is refused, naming it, and nothing runs.
    for doc, named in [
        ("query { customer { email } }", 'Operation type "query"'),
        ("{ customer { email } }", "Queries are not supported"),
        ("mutation { ...F } fragment F on Mutation { revokeCustomerToken { result } }",
         "Fragments"),
        ('mutation { generateCustomerToken(email: "a@b.co", password: "x") @skip(if: true) '
         '{ token } }', "Directives"),
        ("mutation { a: revokeCustomerToken { result } } mutation { b: revokeCustomerToken "
         "{ result } }", "Several operations"),
        ('mutation { createCustomer(input: {}) { customer { email } } }',
         'Cannot query field "createCustomer" on type "Mutation".'),
        ('mutation { generateCustomerToken(email: "bobloblaw@example.com", password: "b0bl0bl@w")'
         ' { token secret } }', 'Cannot query field "secret" on type "CustomerToken".'),
        ('mutation { generateCustomerToken(email: "bobloblaw@example.com") { token } }',
         'argument "password" of type "String!" is required'),
    ]:
        e = error_of(graphql(base, tmp, doc))
        check(named in e["message"], f"{doc!r} refused naming {named!r}: {e}")

    # GET /me with the token, then revoked, then none.
    status, me, _ = curl(base + "/me", headers=["Authorization: Bearer " + token], tmp=tmp)
    check(status == 200 and me == {"id": me.get("id"), "email": "bobloblaw@example.com"},
          f"GET /me: {status} {me}")
    check(isinstance(me.get("id"), int) and me["id"] > 0, f"the id: {me}")
    revoked = graphql(base, tmp, "mutation { revokeCustomerToken { result } }",
                      headers=["Authorization: Bearer " + token])
    check(revoked == {"data": {"revokeCustomerToken": {"result": True}}}, f"revoke: {revoked}")
    status, me, raw = curl(base + "/me", headers=["Authorization: Bearer " + token], tmp=tmp)
    check(status == 401 and "www-authenticate: bearer" in raw.lower(), f"revoked: {status}")
    check(me["errors"][0]["message"] == NOT_AUTHORIZED, f"revoked: {me}")
    check(me["errors"][0]["extensions"]["code"] == "invalid_token", f"revoked: {me}")
    status, me, _ = curl(base + "/me", tmp=tmp)
    check(status == 401 and me["errors"][0]["message"] == NOT_AUTHORIZED, f"none: {status} {me}")
    status, _, _ = curl(base + "/nowhere", tmp=tmp)
    check(status == 404, f"an unknown path: {status}")

    # exchangeExternalCustomerToken signed by requests_oauthlib, the seed's document verbatim.
    def exchange(method, secret=None, query=SEED_EXCHANGE):
        auth = OAuth1(creds["consumer_key"], secret or creds["consumer_secret"],
                      creds["access_token"], creds["token_secret"], signature_method=method,
                      signature_type="AUTH_HEADER")
        r = requests.post(base + "/graphql?store=default", auth=auth,
                          data=json.dumps({"query": query}),
                          headers={"Content-Type": "application/json"}, timeout=30)
        check(r.status_code == 200, f"exchange status {r.status_code}")
        return r.json()

    first = exchange(SIGNATURE_HMAC_SHA256)
    out = first.get("data", {}).get("exchangeExternalCustomerToken")
    check(out is not None, f"HMAC-SHA256 exchange: {first}")
    if out is not None:
        check(out["customer"] == {"email": "roni_cost@example.com", "firstname": "Roni",
                                  "lastname": "Cost", "is_subscribed": False},
              f"the seed's customer: {out}")
        check(list(out) == ["customer", "token"], f"the seed's order: {out}")
        status, me, _ = curl(base + "/me", headers=["Authorization: Bearer " + out["token"]],
                             tmp=tmp)
        check(status == 200 and me["email"] == "roni_cost@example.com", f"/me Roni: {me}")
    second = exchange(SIGNATURE_HMAC_SHA1)
    out2 = second.get("data", {}).get("exchangeExternalCustomerToken")
    check(out2 is not None and out2["customer"]["email"] == "roni_cost@example.com",
          f"HMAC-SHA1 exchange: {second}")
    e = error_of(exchange(SIGNATURE_HMAC_SHA256, secret="x" * 32),
                 "exchangeExternalCustomerToken")
    check(e["message"] == "The signature is invalid. Verify and try again.", f"tampered: {e}")
    e = error_of(exchange(SIGNATURE_HMAC_SHA1, query=SEED_EXCHANGE.replace(
        'email: "roni_cost@example.com"', 'email: "roni"')))
    check(e["message"] == '"Email" is not a valid email address.', f"bad email: {e}")


if __name__ == "__main__":
    sys.exit(main())
