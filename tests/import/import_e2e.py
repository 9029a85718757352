#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Moving a shop from the platform onto custauth, end to end through the command-line tool: the
# fixture export of make_platform_export.php (customers in every legacy hash version, the crypt
# key, platform tokens, jwt_auth_revoked rows, an integration) is imported, and then:
#   - the report counts; every customer's stored fields; entity_id kept as the customer id;
#   - every customer signs in with their password with the expected outcome and message; the
#     first successful login upgrades the hash to Argon2id exactly once (password_format, audit
#     login.success rehashed), locked / unconfirmed / inactive customers are not upgraded;
#   - a token the platform issued verifies, new tokens are signed the platform's way, revocations
#     imported from the platform refuse a revoked token (other user types skipped);
#   - an imported integration signs a real OAuth 1.0a exchange (oauthlib);
#   - re-importing changes nothing; JSON Lines gives the same customers as CSV (and CRLF as LF);
#   - bad rows are rejected with their line numbers (exit 3), --strict stops (exit 1);
#   - a truncated file, a wrong delimiter, a path that cannot be read and an empty file stop the
#     import (exit 1) with a message and change nothing;
#   - --on-conflict skip / update / fail.
#
# usage: import_e2e.py PATH/TO/custauth PATH/TO/php [POSTGRES_URI_FILE]
#
# With POSTGRES_URI_FILE (written by tests/postgres/start_server.sh) every database of the test is
# a fresh PostgreSQL database on that server, dropped at the end; else a SQLite file in a
# temporary folder. The tests run as root in CI, so "unreadable" is a directory and a missing
# path, not a file with mode 000 (root reads it anyway).
#
# New hashes use cheap Argon2id parameters (--argon2-opslimit 1 --argon2-memlimit 8192); the
# platform's legacy hashes of versions 2 and 3 are still verified at their own parameters.
import base64
import concurrent.futures
import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

from oauthlib import oauth1

if len(sys.argv) not in (3, 4):
    sys.exit("usage: import_e2e.py PATH/TO/custauth PATH/TO/php [POSTGRES_URI_FILE]")
CLI, PHP = sys.argv[1], sys.argv[2]
PG_URI_FILE = sys.argv[3] if len(sys.argv) == 4 else None
HERE = os.path.dirname(os.path.abspath(__file__))
CHEAP_ARGON = ["--argon2-opslimit", "1", "--argon2-memlimit", "8192"]
WORKERS = 3
REVOKED = "The token has been revoked."

failures = []
checks = [0]


def expect(cond, what):
    """A soft check: records the failure and goes on, so that one run reports every problem."""
    checks[0] += 1
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)
    return cond


def expect_eq(got, want, what):
    return expect(got == want, f"{what}: got {got!r}, expected {want!r}")


class Stop(Exception):
    """A check the rest of a section depends on failed."""


# --- Databases ------------------------------------------------------------------------------------

class Backend:
    """Hands out fresh databases: SQLite files, or PostgreSQL databases created and dropped here."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.pg_server = None
        self.pg_databases = []
        if PG_URI_FILE:
            with open(PG_URI_FILE) as f:
                self.pg_server = f.read().strip()

    def new_database(self, name):
        if not self.pg_server:
            return os.path.join(self.workdir, name + ".db")
        db = f"custauth_import_{secrets.token_hex(4)}_{name}"
        subprocess.run(["psql", self.pg_server, "-v", "ON_ERROR_STOP=1", "-qc",
                        f"CREATE DATABASE {db}"], check=True, timeout=60)
        self.pg_databases.append(db)
        parts = urllib.parse.urlsplit(self.pg_server)
        return f"{parts.scheme}://{parts.netloc}/{db}" + (f"?{parts.query}" if parts.query else "")

    def cleanup(self):
        for db in self.pg_databases:
            subprocess.run(["psql", self.pg_server, "-qc",
                            f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], timeout=60)


class Shop:
    """One custauth database and its key file, driven through the CLI."""

    def __init__(self, backend, name):
        self.name = name
        self.db = backend.new_database(name)
        self.key_file = os.path.join(backend.workdir, name + ".key")

    def call(self, *args, stdin=None):
        p = subprocess.run([CLI, "--db", self.db, "--key-file", self.key_file, *CHEAP_ARGON,
                            *args], capture_output=True, text=True, input=stdin, timeout=120)
        out = None
        if p.stdout.strip():
            try:
                out = json.loads(p.stdout)
            except json.JSONDecodeError:
                out = {"_unparsed_stdout": p.stdout}
        return p.returncode, out, p.stderr

    def run(self, *args, expect_rc=0, stdin=None):
        rc, out, err = self.call(*args, stdin=stdin)
        if rc != expect_rc:
            raise Stop(f"[{self.name}] custauth {' '.join(args)}: exit {rc}, expected {expect_rc}\n"
                       f"stdout: {json.dumps(out, ensure_ascii=False)}\nstderr: {err}")
        return out

    def show(self, email, website_id=1):
        rc, out, _ = self.call("customer", "show", "--email", email, "--website-id",
                               str(website_id))
        return out["customer"] if rc == 0 and out and "customer" in out else None

    def snapshot(self, customers):
        """customer show of each (email, website_id), in parallel: {(email, website): json}."""
        keys = [(c["email"], c["website_id"]) for c in customers]
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            shown = list(pool.map(lambda k: self.show(*k), keys))
        return dict(zip(keys, shown))

    def login(self, email, password, website_id=1):
        return self.call("generate-customer-token", "--email", email, "--password-stdin",
                         "--website-id", str(website_id), stdin=password + "\n")

    def import_file(self, path, *options):
        return self.call("customer", "import", path, *options)


def error_message(out):
    try:
        return out["errors"][0]["message"]
    except (TypeError, KeyError, IndexError):
        return None


def has_error_message(report):
    errors = (report or {}).get("errors") or []
    return any(isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"]
               for e in errors)


def check_report(report, what, **want):
    if not expect(isinstance(report, dict), f"{what}: no JSON report ({report!r})"):
        return
    for key, value in want.items():
        got = report.get(key)
        if key == "unknown_columns" and isinstance(got, list):
            got, value = sorted(got), sorted(value)
        expect_eq(got, value, f"{what}: report[{key!r}]")


def check_stopped(shop, rc, report, what):
    expect_eq(rc, 1, f"{what}: exit status")
    expect(isinstance(report, dict) and report.get("completed") is False,
           f"{what}: the report must say \"completed\": false ({report!r})")
    expect(has_error_message(report), f"{what}: the report must hold an error with a message "
                                      f"({report!r})")


# --- The fixture ---------------------------------------------------------------------------------

def generate(workdir):
    out = os.path.join(workdir, "export")
    p = subprocess.run([PHP, os.path.join(HERE, "make_platform_export.php"), out],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Stop(f"make_platform_export.php: exit {p.returncode}\n{p.stdout}{p.stderr}")
    with open(os.path.join(out, "expected.json"), encoding="utf-8") as f:
        return out, json.load(f)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def platform_jwt_secret(key):
    """PHP str_pad($key, 2048, '&', STR_PAD_BOTH): the left side gets the smaller half."""
    if len(key) >= 2048:
        return key
    pad = 2048 - len(key)
    return "&" * (pad // 2) + key + "&" * (pad - pad // 2)


def rows_of(export_dir):
    with open(os.path.join(export_dir, "customers.csv"), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path, rows, columns, delimiter=",", line_end="\n"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=line_end)
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    return buf.getvalue()


def renamed(rows, prefix, id_offset):
    """The rows as other customers: emails prefixed, entity ids moved."""
    out = []
    for r in rows:
        r = dict(r)
        r["email"] = prefix + r["email"]
        r["entity_id"] = str(int(r["entity_id"]) + id_offset)
        out.append(r)
    return out


# --- Sections ------------------------------------------------------------------------------------

def expected_show(c):
    return {
        "id": c["entity_id"], "website_id": c["website_id"], "email": c["email"],
        "firstname": c["firstname"], "lastname": c["lastname"],
        "is_subscribed": c["is_subscribed"], "confirmed": c["confirmed"],
        "is_active": c["is_active"],
        "allow_remote_shopping_assistance": c["allow_remote_shopping_assistance"],
        "created_at": c["created_at"], "updated_at": c["updated_at"],
        "has_password": c["password"] is not None, "failures_num": c["failures_num"],
        "first_failure": c["first_failure"], "lock_expires": c["lock_expires"],
        "password_format": None if c["password"] is None else "platform",
    }


def check_imported(snapshot, exp, what):
    for c in exp["customers"]:
        shown = snapshot.get((c["email"], c["website_id"]))
        if not expect(shown is not None, f"{what}: {c['email']} (website {c['website_id']}) "
                                         f"was not imported"):
            continue
        for key, value in expected_show(c).items():
            expect_eq(shown.get(key), value, f"{what}: {c['email']} (website "
                                             f"{c['website_id']}) {key}")
        # An inactive customer comes in with their tokens revoked (the import's time), as
        # deactivating one does; the others with none revoked.
        expect_eq(shown.get("tokens_revoked_at") is not None, not c["is_active"],
                  f"{what}: {c['email']} (website {c['website_id']}) tokens revoked when inactive")


def same_customer(a, b):
    """Two imports of one customer agree on everything but the time the import revoked an
    inactive customer's tokens at (both set or both unset)."""
    if a is None or b is None:
        return a == b
    a, b = dict(a), dict(b)
    ra, rb = a.pop("tokens_revoked_at", None), b.pop("tokens_revoked_at", None)
    return a == b and (ra is None) == (rb is None)


def platform_jwt(key, uid, iat, exp_):
    """A customer token as the platform signs it."""
    def b64url(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    header = b64url(b'{"kid":"1","alg":"HS256"}')
    payload = b64url(json.dumps({"uid": uid, "utypid": 3, "iat": iat, "exp": exp_},
                                separators=(",", ":")).encode())
    signing_input = header + "." + payload
    mac = hmac.new(platform_jwt_secret(key).encode(), signing_input.encode(),
                   hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def login_email(c):
    # Emails are compared case-insensitively: sign in with another case than stored.
    e = c["email"]
    return e.lower() if e != e.lower() else e.upper() if c["entity_id"] % 2 else e


def login_events(shop, c):
    out = shop.run("audit", "list", "--email", c["email"], "--website-id", str(c["website_id"]))
    return [r for r in out["audit"] if r.get("event") == "login.success"]


def check_customer_logins(shop, c, exp):
    """Signs one customer in (twice when it works) and checks the outcome and the upgrade."""
    email, web = c["email"], c["website_id"]
    tag = f"{email} (website {web}, {c['versions']}, {c['note'] or c['outcome']})"
    password = c["password"] if c["password"] is not None else "Any-Password-1"
    rc, out, err = shop.login(login_email(c), password, web)
    if c["outcome"] == "ok":
        if not expect(rc == 0, f"{tag}: login refused: {out!r} {err}"):
            return
        token = out["data"]["generateCustomerToken"]["token"]
        claims = shop.run("token", "verify", token)
        expect_eq(claims.get("uid"), c["entity_id"], f"{tag}: uid of the issued token")
        header = json.loads(b64url_decode(token.split(".")[0]))
        expect_eq(header, {"kid": "1", "alg": "HS256"}, f"{tag}: token header")
        signing_input = token.rsplit(".", 1)[0].encode()
        mac = hmac.new(platform_jwt_secret(exp["crypt_keys"][-1]).encode(), signing_input,
                       hashlib.sha256).digest()
        expect(hmac.compare_digest(b64url_decode(token.rsplit(".", 1)[1]), mac),
               f"{tag}: a new token must be signed with the platform's current key")
        rc2, out2, err2 = shop.login(email, password, web)
        expect(rc2 == 0, f"{tag}: second login refused: {out2!r} {err2}")
        shown = shop.show(email, web)
        expect_eq(shown.get("password_format"), "argon2id", f"{tag}: password_format after login")
        expect_eq(shown.get("failures_num"), 0, f"{tag}: failures_num after login")
        expect_eq(shown.get("lock_expires"), None, f"{tag}: lock_expires after login")
        events = login_events(shop, c)
        expect_eq(len(events), 2, f"{tag}: login.success events")
        rehashed = [bool((e.get("detail") or {}).get("rehashed")) for e in events]
        expect_eq(rehashed, [True, False], f"{tag}: rehashed on the first login only")
    else:
        expect_eq(rc, 1, f"{tag}: exit status of a refused login")
        expect_eq(error_message(out), c["message"], f"{tag}: message")
        shown = shop.show(email, web)
        want = None if c["password"] is None else "platform"
        expect_eq(shown.get("password_format"), want, f"{tag}: password_format (not upgraded)")
        expect_eq(login_events(shop, c), [], f"{tag}: login.success events")


def section_main(backend, export, exp, state):
    shop = Shop(backend, "main")
    state["main"] = shop
    csv_path = os.path.join(export, "customers.csv")
    n = len(exp["customers"])

    init = shop.run("init", "--platform-crypt-key-file", os.path.join(export, "crypt_key.txt"))
    expect(isinstance(init, dict), f"init: {init!r}")
    expect_eq(oct(os.stat(shop.key_file).st_mode & 0o777), "0o600", "key file mode")
    listed = shop.run("keys", "list")
    text = json.dumps(listed)
    expect('"1"' in text, f"keys list shows kid \"1\": {text}")
    for key in exp["crypt_keys"]:
        expect(key not in text, "keys list must not print the platform's crypt key")

    rc, report, err = shop.import_file(csv_path)
    expect_eq(rc, 0, f"import customers.csv: exit status ({err.strip()})")
    check_report(report, "import customers.csv", rows=n, created=n, updated=0, skipped=0,
                 rejected=0, unknown_columns=exp["unknown_columns"], errors=[], completed=True)
    before = shop.snapshot(exp["customers"])
    state["csv_snapshot"] = before
    check_imported(before, exp, "customers.csv")

    # The platform's token verifies before anything else happens, and so does the one revoked
    # later (the revocations are not imported yet).
    for name in ("platform_token", "revoked_token"):
        t = exp[name]
        with open(os.path.join(export, t["file"])) as f:
            token = f.read().strip()
        rc, claims, _ = shop.call("token", "verify", token)
        expect(rc == 0, f"{name}: the platform's token must verify after the import: {claims!r}")
        if rc == 0:
            for k in ("uid", "iat", "exp"):
                expect_eq(claims.get(k), t[k], f"{name}: {k}")
            expect_eq(claims.get("kid"), "1", f"{name}: kid")

    # A wrong password on a legacy hash: refused, counted, not upgraded.
    c7 = next(c for c in exp["customers"] if c["entity_id"] == 7)
    rc, out, _ = shop.login(c7["email"], c7["password"] + "x")
    expect_eq(error_message(out), exp["messages"]["auth_failed"], "wrong password: message")
    shown = shop.show(c7["email"])
    expect_eq(shown.get("failures_num"), 1, "wrong password: failures_num")
    expect_eq(shown.get("password_format"), "platform", "wrong password: password_format")
    # A customer of website 1 with website 2's password, and the other way round.
    shared = {c["website_id"]: c for c in exp["customers"] if c["email"] == "shared@example.com"}
    for web, other in ((1, 2), (2, 1)):
        rc, out, _ = shop.login("shared@example.com", shared[other]["password"], web)
        expect_eq(error_message(out), exp["messages"]["auth_failed"],
                  f"website {web} with website {other}'s password")

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        for f in [pool.submit(check_customer_logins, shop, c, exp) for c in exp["customers"]]:
            try:
                f.result()
            except Stop as e:
                expect(False, str(e))

    # The platform's token still verifies after its customer's hash was upgraded.
    with open(os.path.join(export, exp["platform_token"]["file"])) as f:
        platform_token = f.read().strip()
    rc, claims, _ = shop.call("token", "verify", platform_token)
    expect(rc == 0 and claims.get("uid") == exp["platform_token"]["uid"],
           f"platform token after the upgrade of its customer's hash: {claims!r}")

    # A token the platform issued to a customer it has since deactivated does not verify here;
    # one of an active customer does.
    now = int(time.time())
    for c in exp["customers"]:
        token = platform_jwt(exp["crypt_keys"][-1], c["entity_id"], now - 120, now + 3600)
        rc, out, _ = shop.call("token", "verify", token)
        if c["is_active"]:
            expect_eq(rc, 0, f"platform token of active {c['email']}: {out!r}")
        else:
            expect_eq(error_message(out), "The token has been revoked.",
                      f"platform token of inactive {c['email']}")

    # Revocations from jwt_auth_revoked.
    with open(os.path.join(export, exp["revoked_token"]["file"])) as f:
        revoked_token = f.read().strip()
    rc, report, err = shop.call("token", "import-revocations",
                                os.path.join(export, "revocations.csv"))
    expect_eq(rc, 0, f"import-revocations: exit status ({err.strip()})")
    r = exp["revocations"]
    check_report(report, "import-revocations", revoked=r["revoked"],
                 skipped_user_types=r["skipped_user_types"], not_found=r["not_found"], rejected=0)
    rc, out, _ = shop.call("token", "verify", revoked_token)
    expect_eq(rc, 1, "revoked platform token: exit status")
    expect_eq(error_message(out), REVOKED, "revoked platform token: message")
    rc, claims, _ = shop.call("token", "verify", platform_token)
    expect(rc == 0, f"a token of a customer not revoked still verifies: {claims!r}")
    b = next(c for c in exp["customers"] if c["entity_id"] == exp["revoked_token"]["uid"])
    expect_eq(shop.show(b["email"]).get("tokens_revoked_at"),
              time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(exp["revoked_token"]["revoke_before"])),
              "tokens_revoked_at of the revoked customer")
    rc, out, _ = shop.login(b["email"], b["password"])
    if expect(rc == 0, f"revoked customer signs in again: {out!r}"):
        token = out["data"]["generateCustomerToken"]["token"]
        rc, claims, _ = shop.call("token", "verify", token)
        expect(rc == 0 and claims.get("uid") == b["entity_id"],
               f"a token issued after the revocation verifies: {claims!r}")

    # Importing the revocations again moves no revocation back in time: a later revocation made
    # in custauth stays.
    shop.run("token", "revoke", "--email", b["email"])
    revoked_at = shop.show(b["email"]).get("tokens_revoked_at")
    rc, report, err = shop.call("token", "import-revocations",
                                os.path.join(export, "revocations.csv"))
    expect_eq(rc, 0, f"import-revocations again: exit status ({err.strip()})")
    expect_eq(shop.show(b["email"]).get("tokens_revoked_at"), revoked_at,
              "import-revocations again: a later revocation stays")

    # A customer created after the import gets an id of its own.
    out = shop.run("customer", "create", "--email", "after.import@example.com", "--firstname",
                   "After", "--lastname", "Import", "--password", "After-Import-1")
    new_id = out["customer"]["id"]
    expect(new_id not in {c["entity_id"] for c in exp["customers"]},
           f"a new customer's id {new_id} must not be an imported one")

    section_integration(shop, export, exp)

    # Importing the same file again changes nothing.
    everyone = exp["customers"]
    before = shop.snapshot(everyone)
    rc, report, err = shop.import_file(csv_path)
    expect_eq(rc, 0, f"re-import: exit status ({err.strip()})")
    check_report(report, "re-import", rows=n, created=0, updated=0, skipped=n, rejected=0,
                 completed=True)
    after = shop.snapshot(everyone)
    for key in before:
        expect_eq(after[key], before[key], f"re-import: customer {key}")


def section_integration(shop, export, exp):
    integ = exp["integration"]
    rc, out, err = shop.call("integration", "import", os.path.join(export, "integration.json"))
    if not expect_eq(rc, 0, f"integration import: exit status ({out!r} {err.strip()})"):
        return
    listed = shop.run("integration", "list")["integrations"]
    mine = [i for i in listed if i.get("consumer_key") == integ["consumer_key"]]
    if not expect_eq(len(mine), 1, "integration list: the imported integration"):
        return
    expect_eq(mine[0].get("name"), integ["name"], "integration name")
    expect_eq(mine[0].get("access_token"), integ["access_token"], "integration access token")
    expect_eq(mine[0].get("permissions"), integ["permissions"], "integration permissions")
    expect_eq(mine[0].get("active"), True, "integration active")
    text = json.dumps(listed)
    expect(integ["consumer_secret"] not in text and integ["token_secret"] not in text,
           "integration list must not show the secrets")

    def exchange(email, firstname, lastname):
        client = oauth1.Client(integ["consumer_key"], client_secret=integ["consumer_secret"],
                               resource_owner_key=integ["access_token"],
                               resource_owner_secret=integ["token_secret"],
                               signature_method=oauth1.SIGNATURE_HMAC_SHA256)
        uri, headers, _ = client.sign("https://shop.example/graphql", http_method="POST")
        inp = json.dumps({"customer": {"firstname": firstname, "lastname": lastname,
                                       "email": email}})
        return shop.call("exchange-external-customer-token", "--method", "POST", "--url", uri,
                         "--authorization", headers["Authorization"], "--input", inp)

    # An imported customer: found, stored names returned, token for the entity id.
    roni = next(c for c in exp["customers"] if c["entity_id"] == 1)
    rc, out, _ = exchange(roni["email"].upper(), "Other", "Name")
    if expect(rc == 0, f"OAuth exchange for an imported customer: {out!r}"):
        result = out["data"]["exchangeExternalCustomerToken"]
        expect_eq(result["customer"]["firstname"], roni["firstname"], "exchange: stored firstname")
        claims = shop.run("token", "verify", result["token"])
        expect_eq(claims.get("uid"), roni["entity_id"], "exchange: uid")
    # A new email: a new customer with an id of its own.
    rc, out, _ = exchange("social.newcomer@example.com", "Social", "Newcomer")
    if expect(rc == 0, f"OAuth exchange for a new customer: {out!r}"):
        claims = shop.run("token", "verify", out["data"]["exchangeExternalCustomerToken"]["token"])
        expect(claims.get("uid") not in {c["entity_id"] for c in exp["customers"]},
               f"exchange: the new customer's id {claims.get('uid')} is not an imported one")


def section_jsonl_and_stops(backend, export, exp, state):
    """JSON Lines into a shop whose key file got the platform key by keys add-platform; then the
    imports that must stop, and --on-conflict."""
    shop = Shop(backend, "jsonl")
    n = len(exp["customers"])
    shop.run("init")
    crypt_key_file = os.path.join(export, "crypt_key.txt")
    rc, out, _ = shop.call("keys", "add-platform", crypt_key_file)
    expect_eq(rc, 1, f"keys add-platform over the generated kid \"1\" must refuse ({out!r})")
    shop.run("keys", "add-platform", crypt_key_file, "--replace")
    expect_eq(oct(os.stat(shop.key_file).st_mode & 0o777), "0o600", "key file mode after add")

    rc, report, err = shop.import_file(os.path.join(export, "customers.jsonl"), "--batch-size", "7")
    expect_eq(rc, 0, f"import customers.jsonl: exit status ({err.strip()})")
    check_report(report, "import customers.jsonl", rows=n, created=n, updated=0, skipped=0,
                 rejected=0, errors=[], completed=True)
    snap = shop.snapshot(exp["customers"])
    check_imported(snap, exp, "customers.jsonl")
    csv_snap = state.get("csv_snapshot")
    if csv_snap:
        for key, shown in csv_snap.items():
            expect(same_customer(snap.get(key), shown),
                   f"JSONL and CSV give the same customer {key}: {snap.get(key)!r} / {shown!r}")
    with open(os.path.join(export, exp["platform_token"]["file"])) as f:
        rc, claims, _ = shop.call("token", "verify", f.read().strip())
    expect(rc == 0 and claims.get("uid") == exp["platform_token"]["uid"],
           f"platform token verifies with the key of keys add-platform: {claims!r}")

    # --- Imports that stop: each changes nothing. -------------------------------------------
    # Each case's rows are other customers (their own emails and ids), all valid up to where the
    # file is cut: none of them may be written.
    work = backend.workdir
    rows = rows_of(export)
    columns = exp["columns"]

    def case_rows(i):
        return renamed(rows, f"stop{i}.", 10_000_000_000 * (i + 1))

    def path(name):
        return os.path.join(work, name)

    cases = []  # (what, file, its rows)
    text = write_csv(path("truncated.csv"), case_rows(0), columns)
    cut = text.index('"Seán ""Jack""') + len('"Seán ""Ja')
    with open(path("truncated.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(text[:cut])
    cases.append(("truncated CSV (cut mid quoted field)", path("truncated.csv"), case_rows(0)))
    with open(os.path.join(export, "customers.jsonl"), encoding="utf-8") as f:
        objects = [json.loads(line) for line in f]
    for o, r in zip(objects, case_rows(1)):
        o["email"], o["entity_id"] = r["email"], int(r["entity_id"])
    jsonl = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    with open(path("truncated.jsonl"), "w", encoding="utf-8") as f:
        f.write(jsonl[:-40])
    cases.append(("truncated JSONL (cut mid line)", path("truncated.jsonl"), case_rows(1)))
    write_csv(path("semicolon.csv"), case_rows(2), columns, delimiter=";")
    cases.append(("wrong delimiter (semicolon)", path("semicolon.csv"), case_rows(2)))
    open(path("empty.csv"), "w").close()
    cases.append(("empty file", path("empty.csv"), []))
    os.makedirs(path("a-directory.csv"), exist_ok=True)
    cases.append(("a directory, not a file", path("a-directory.csv"), []))
    cases.append(("a path that does not exist", path("no-such-export.csv"), []))
    for what, file, case in cases:
        rc, report, _ = shop.import_file(file)
        check_stopped(shop, rc, report, what)
        for r in case[:3]:
            expect(shop.show(r["email"], int(r["website_id"])) is None,
                   f"{what}: {r['email']} must not have been imported")
        if report and case:
            expect_eq(report.get("created"), 0, f"{what}: report['created']")
    after = shop.snapshot(exp["customers"])
    for key in snap:
        expect_eq(after.get(key), snap[key], f"after the stopped imports: customer {key}")

    # --- --on-conflict --------------------------------------------------------------------------
    by_id = {int(r["entity_id"]): r for r in rows}
    changed = dict(by_id[7], firstname="Johnny", is_subscribed="1")
    c7 = next(c for c in exp["customers"] if c["entity_id"] == 7)
    write_csv(os.path.join(work, "conflict-skip.csv"), [changed], columns)
    rc, report, _ = shop.import_file(os.path.join(work, "conflict-skip.csv"))
    expect_eq(rc, 0, "on-conflict skip (default): exit status")
    check_report(report, "on-conflict skip", rows=1, created=0, updated=0, skipped=1, rejected=0,
                 completed=True)
    expect_eq(shop.show(c7["email"]), snap[(c7["email"], 1)], "on-conflict skip: unchanged")

    newcomer = dict(by_id[1], entity_id="8001", email="conflict.newcomer@example.com")
    write_csv(os.path.join(work, "conflict-update.csv"), [changed, newcomer], columns)
    rc, report, _ = shop.import_file(os.path.join(work, "conflict-update.csv"),
                                     "--on-conflict", "update")
    expect_eq(rc, 0, "on-conflict update: exit status")
    check_report(report, "on-conflict update", rows=2, created=1, updated=1, skipped=0,
                 rejected=0, completed=True)
    shown = shop.show(c7["email"]) or {}
    expect_eq(shown.get("firstname"), "Johnny", "on-conflict update: firstname")
    expect_eq(shown.get("is_subscribed"), True, "on-conflict update: is_subscribed")
    expect_eq(shown.get("id"), 7, "on-conflict update: id")
    expect_eq((shop.show("conflict.newcomer@example.com") or {}).get("id"), 8001,
              "on-conflict update: the new row")

    c12 = next(c for c in exp["customers"] if c["entity_id"] == 12)
    write_csv(os.path.join(work, "conflict-fail.csv"),
              [dict(by_id[1], entity_id="8101", email="before.conflict@example.com"),
               dict(by_id[12], firstname="Changed"),
               dict(by_id[1], entity_id="8102", email="after.conflict@example.com")], columns)
    rc, report, _ = shop.import_file(os.path.join(work, "conflict-fail.csv"),
                                     "--on-conflict", "fail")
    check_stopped(shop, rc, report, "on-conflict fail")
    expect_eq(shop.show(c12["email"]), snap[(c12["email"], 1)], "on-conflict fail: unchanged")
    expect(shop.show("after.conflict@example.com") is None,
           "on-conflict fail: a row after the conflict must not be imported")
    before_row = shop.show("before.conflict@example.com") is not None
    expect_eq(before_row, (report or {}).get("created") == 1,
              "on-conflict fail: the report's created count matches what was written")


BAD_ROWS_GOOD = ["good.one@example.com", "good.two@example.com", "good.three@example.com",
                 "good.four@example.com"]


def bad_rows_file(work, export, exp):
    """A file with good and bad rows; returns its path and the line numbers of the bad rows."""
    rows = rows_of(export)
    base = next(r for r in rows if r["entity_id"] == "21")  # its password is known

    def row(entity_id, email, **kw):
        return dict(base, entity_id=str(entity_id), email=email, **kw)

    records = [  # (row, bad?)
        (row(7001, "good.one@example.com"), False),                       # line 2
        (row(7002, "not-an-email"), True),                                # line 3
        (row(7003, "good.two@example.com"), False),                       # line 4
        (row(7004, "GOOD.ONE@example.com"), True),                        # line 5: duplicate email
        (row(7005, "bad.hash@example.com", password_hash="zz:salt:1"), True),   # line 6
        (row(7006, "bad.number@example.com", website_id="one"), True),    # line 7
        (row(7007, "no.firstname@example.com", firstname=""), True),      # line 8: required
        (row(7003, "dup.id@example.com"), True),                          # line 9: duplicate id
        # A quoted line break (in a column custauth does not use): one record on lines 10-11.
        (row(7009, "good.three@example.com", created_in="Main Website\nDefault Store View"),
         False),
        (row(7010, "bad.failures@example.com", failures_num="x"), True),  # line 12
        (row(7011, "good.four@example.com"), False),                      # line 13
    ]
    path = os.path.join(work, "bad-rows.csv")
    write_csv(path, [r for r, _ in records], exp["columns"])
    bad_lines = [3, 5, 6, 7, 8, 9, 12]
    return path, len(records), bad_lines


def section_bad_rows(backend, export, exp, state):
    path, n, bad_lines = bad_rows_file(backend.workdir, export, exp)
    shop = Shop(backend, "badrows")
    shop.run("init", "--platform-crypt-key-file", os.path.join(export, "crypt_key.txt"))
    rc, report, err = shop.import_file(path)
    expect_eq(rc, 3, f"bad rows: exit status ({err.strip()})")
    check_report(report, "bad rows", rows=n, created=n - len(bad_lines), updated=0, skipped=0,
                 rejected=len(bad_lines), completed=True)
    errors = (report or {}).get("errors") or []
    expect_eq(sorted(e.get("line") for e in errors if isinstance(e, dict)), bad_lines,
              f"bad rows: the lines reported ({errors!r})")
    expect(all(isinstance(e, dict) and e.get("reason") for e in errors),
           f"bad rows: every error has a reason ({errors!r})")
    for email in BAD_ROWS_GOOD:
        expect(shop.show(email) is not None, f"bad rows: {email} imported")
    for email in ("not-an-email", "bad.hash@example.com", "bad.number@example.com",
                  "no.firstname@example.com", "dup.id@example.com", "bad.failures@example.com"):
        expect(shop.show(email) is None, f"bad rows: {email} must not be imported")
    expect_eq((shop.show("good.one@example.com") or {}).get("id"), 7001,
              "bad rows: the first of two rows with one email wins")
    expect_eq((shop.show("good.two@example.com") or {}).get("id"), 7003,
              "bad rows: the first of two rows with one id wins")
    c21 = next(c for c in exp["customers"] if c["entity_id"] == 21)
    rc, out, _ = shop.login("good.one@example.com", c21["password"])
    expect(rc == 0, f"bad rows: a good row's customer signs in: {out!r}")

    strict = Shop(backend, "strict")
    strict.run("init")
    rc, report, _ = strict.import_file(path, "--strict")
    check_stopped(strict, rc, report, "--strict with bad rows")
    for email in BAD_ROWS_GOOD[1:]:
        expect(strict.show(email) is None, f"--strict: {email} (after the first bad row) "
                                           f"must not be imported")
    first = strict.show(BAD_ROWS_GOOD[0]) is not None
    expect_eq(first, (report or {}).get("created") == 1,
              "--strict: the report's created count matches what was written")


def section_crlf(backend, export, exp, state):
    """The same export with CRLF line ends (and --quiet, --format csv on a .txt name)."""
    shop = Shop(backend, "crlf")
    shop.run("init")
    with open(os.path.join(export, "customers.csv"), encoding="utf-8", newline="") as f:
        text = f.read()
    path = os.path.join(backend.workdir, "customers-crlf.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text.replace("\n", "\r\n"))
    n = len(exp["customers"])
    rc, report, err = shop.import_file(path, "--format", "csv", "--quiet")
    expect_eq(rc, 0, f"CRLF import: exit status ({err.strip()})")
    check_report(report, "CRLF import", rows=n, created=n, rejected=0, completed=True)
    csv_snap = state.get("csv_snapshot")
    if csv_snap:
        snap = shop.snapshot(exp["customers"])
        for key, shown in csv_snap.items():
            expect(same_customer(snap.get(key), shown),
                   f"CRLF and LF give the same customer {key}: {snap.get(key)!r} / {shown!r}")


def main():
    started = time.monotonic()
    for tool in (CLI, PHP):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            sys.exit(f"import_e2e: {tool} is not an executable")
    workdir = tempfile.mkdtemp(prefix="custauth-import-")
    backend = Backend(workdir)
    state = {}
    try:
        export, exp = generate(workdir)
        sections = [section_main, section_jsonl_and_stops, section_bad_rows, section_crlf]
        for section in sections:
            t0 = time.monotonic()
            try:
                section(backend, export, exp, state)
            except Stop as e:
                expect(False, f"{section.__name__} stopped: {e}")
            except Exception:  # noqa: BLE001 - report and go on with the next section
                expect(False, f"{section.__name__} raised:\n{traceback.format_exc()}")
            print(f"{section.__name__}: {time.monotonic() - t0:.1f} s", flush=True)
    finally:
        backend.cleanup()
        subprocess.run(["rm", "-rf", workdir])
    where = "PostgreSQL" if PG_URI_FILE else "SQLite"
    if failures:
        print(f"import_e2e ({where}): {len(failures)} failure(s) of {checks[0]} checks in "
              f"{time.monotonic() - started:.1f} s")
        return 1
    print(f"import_e2e ({where}): {checks[0]} checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
