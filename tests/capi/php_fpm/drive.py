# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""php_fpm_test's client: drives a php-fpm pool with cgi-fcgi (Debian's libfcgi-bin) from several
processes at once. Each customer: login + verify, an admin code exchanged by two requests at
once (exactly one wins), a reset token used by two requests at once (exactly one wins), then a
login with the new password and one with the old. Every answer is checked.
Usage: drive.py SOCKET APP PACKAGE DB IDS_JSON [--no-preload]"""

import json
import subprocess
import sys
import urllib.parse
from concurrent.futures import ProcessPoolExecutor

SOCK, APP, PKG, DB, IDS = sys.argv[1:6]
NO_PRELOAD = "--no-preload" in sys.argv


def start(params):
    env = {"SCRIPT_FILENAME": APP, "REQUEST_METHOD": "GET", "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": urllib.parse.urlencode(params),
           "CUSTAUTH_PACKAGE": PKG, "CUSTAUTH_DB": DB, "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(["cgi-fcgi", "-bind", "-connect", SOCK], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(p):
    out, err = p.communicate(timeout=60)
    head, _, body = out.partition(b"\r\n\r\n")
    try:
        return json.loads(body)
    except ValueError:
        return {"unreadable": (out + err).decode("utf-8", "replace")[:500]}


def req(params):
    return finish(start(params))


def customer(args):
    i, uid = args
    email = "c%d@example.com" % i
    bad, pids, n = [], set(), 0

    def expect(cond, what, answer):
        if not cond:
            bad.append("%s: %s -> %r" % (email, what, answer))

    def one(params):
        nonlocal n
        n += 1
        a = req(params)
        pids.add(a.get("pid"))
        return a

    def two(params):
        nonlocal n
        n += 2
        ps = [start(params), start(params)]
        answers = [finish(p) for p in ps]
        for a in answers:
            pids.add(a.get("pid"))
        return answers

    a = one({"op": "login", "email": email, "password": "Password-%d" % i})
    expect("token" in a and a.get("claims", {}).get("uid") == uid, "login", a)
    token = a.get("token", "")
    a = one({"op": "verify", "token": token})
    expect(a.get("claims", {}).get("uid") == uid and a["claims"].get("utypid") == 3, "verify", a)

    a = one({"op": "issue_otc", "email": email})
    code = a.get("code")
    expect(isinstance(code, str) and code, "issue_otc", a)
    answers = two({"op": "exchange_otc", "email": email, "code": code or ""})
    won = [x for x in answers if "token" in x]
    expect(len(won) == 1, "the admin code exchanged exactly once", answers)
    expect(all(x.get("claims", {}).get("uid") == uid for x in won), "exchange uid", answers)
    expect(all("error" in x and x["error"]["class"].startswith("Custauth\\")
               for x in answers if "token" not in x), "the loser is refused", answers)

    a = one({"op": "request_reset", "email": email})
    reset = a.get("token")
    expect(isinstance(reset, str) and reset, "request_reset", a)
    answers = two({"op": "reset", "email": email, "token": reset or "",
                   "password": "NewPassword-%d" % i})
    expect(sum(1 for x in answers if x.get("reset") is True) == 1,
           "the reset token used exactly once", answers)

    a = one({"op": "login", "email": email, "password": "NewPassword-%d" % i})
    expect(a.get("claims", {}).get("uid") == uid, "login with the new password", a)
    a = one({"op": "login", "email": email, "password": "Password-%d" % i})
    expect(a.get("error", {}).get("class") == "Custauth\\AuthenticationFailed",
           "the old password is refused", a)
    return bad, sorted(p for p in pids if p is not None), n


def main():
    if NO_PRELOAD:
        a = req({"op": "find", "email": "c0@example.com"})
        msg = a.get("error", {}).get("message", "")
        ok = (a.get("error", {}).get("class") == "Custauth\\InternalError" and
              "opcache.preload" in msg and "ffi.enable" in msg)
        print("no preload:", a)
        return 0 if ok else 1
    ids = json.loads(IDS)
    work = [(i, ids["c%d@example.com" % i]) for i in range(len(ids))]
    bad, pids, total = [], set(), 0
    with ProcessPoolExecutor(max_workers=6) as pool:
        for b, p, n in pool.map(customer, work):
            bad += b
            pids.update(p)
            total += n
    for b in bad[:20]:
        print("FAILED:", b)
    print("requests: %d, customers: %d, workers that answered: %d, failures: %d"
          % (total, len(work), len(pids), len(bad)))
    return 0 if not bad and total >= 200 and len(pids) == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
