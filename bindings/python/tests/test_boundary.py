# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""The package at the C boundary (issue 20): close() against calls in flight, strings that C
would cut, every failure a typed CustauthError with its category, fork() and SQLite.
Run against the installed package (tests/capi/python_package_test.sh)."""

import os
import sys
import tempfile
import threading

import pytest

import custauth

CHEAP = {"argon2_opslimit": 1, "argon2_memlimit": 8192}


def test_the_installed_package_is_under_test():
    # Not the source folder: the package pip installed into this environment.
    assert os.path.realpath(custauth.__file__).startswith(os.path.realpath(sys.prefix))
    assert os.path.exists(os.path.join(os.path.dirname(custauth.__file__), "py.typed"))


@pytest.fixture
def auth():
    a = custauth.Custauth("memory:", **CHEAP)
    a.create_customer("roni_cost@example.com", "Veronica", "Costello", password="Password123")
    yield a
    a.close()


def token_of(a):
    return a.generate_customer_token("roni_cost@example.com", "Password123")


def test_close_waits_for_calls_in_flight():
    # 8 threads verify on one handle while the main thread closes it: no crash; every call
    # either verified or raised InvalidInput "this Custauth is closed".
    for _ in range(5):
        a = custauth.Custauth("memory:", **CHEAP)
        a.create_customer("roni_cost@example.com", "V", "C", password="Password123")
        token = token_of(a)
        verified = [0] * 8
        wrong = []
        started = threading.Barrier(9)

        def worker(i):
            started.wait()
            while True:
                try:
                    assert a.verify_token(token)["uid"] == 1
                    a.find_customer("roni_cost@example.com")
                    verified[i] += 1
                except custauth.InvalidInput as e:
                    if str(e) != "this Custauth is closed":
                        wrong.append(repr(e))
                    return
                except Exception as e:  # noqa: BLE001
                    wrong.append(repr(e))
                    return

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        started.wait()
        while sum(verified) < 200 or min(verified) < 3:
            pass
        a.close()
        for t in threads:
            t.join()
        assert wrong == []
        assert all(n > 0 for n in verified)
        assert a.closed
        a.close()  # idempotent


def test_nul_is_refused_not_cut(auth):
    token = token_of(auth)
    with pytest.raises(custauth.InvalidInput, match="NUL") as e:
        auth.verify_token(token + "\x00junk")
    assert e.value.category == "graphql-input"
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        auth.verify_token(token.encode() + b"\x00junk")
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        auth.call("customer_find\x00junk", email="roni_cost@example.com")
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        auth.find_customer("roni_cost@example.com\x00junk")
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        auth.generate_customer_token("roni_cost@example.com", "Password123\x00junk")
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        custauth.Custauth("memory:\x00shop.db")
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        custauth.Custauth("memory:", keys_json="{}\x00")
    with pytest.raises(custauth.InvalidInput, match="NUL"):
        auth.find_customer("roni_cost@example.com", context={"client_ip": "1.2.3.4\x00"})


def test_every_failure_is_typed_with_its_category(auth):
    cases = [
        (lambda: auth.verify_token(12), custauth.InvalidInput, "graphql-input"),
        (lambda: auth.verify_token(None), custauth.InvalidInput, "graphql-input"),
        (lambda: auth.verify_token("\udc80"), custauth.InvalidInput, "graphql-input"),
        (lambda: auth.verify_token("not.a.token"), custauth.InvalidToken,
         "graphql-authentication"),
        (lambda: auth.find_customer("\udc80@example.com"), custauth.InvalidInput,
         "graphql-input"),
        (lambda: auth.generate_customer_token("roni_cost@example.com", "\ud800"),
         custauth.InvalidInput, "graphql-input"),
        (lambda: auth.find_customer("nobody@example.com"), custauth.NotFound,
         "graphql-no-such-entity"),
        (lambda: auth.generate_customer_token("roni_cost@example.com", "wrong"),
         custauth.AuthenticationFailed, "graphql-authentication"),
        (lambda: auth.call("customer_find", email=object()), custauth.InvalidInput,
         "graphql-input"),
        (lambda: custauth.Custauth(12), custauth.InvalidInput, "graphql-input"),
    ]
    for run, cls, category in cases:
        with pytest.raises(custauth.CustauthError) as e:
            run()
        assert type(e.value) is cls, (cls, e.value)
        assert e.value.category == category
        assert e.value.code == cls.code
        assert e.value.message


def test_fork_inherited_sqlite_file_is_refused_and_the_rule_holds():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "shop.db")
        keys = custauth.generate_keys()
        parent = custauth.Custauth(path, keys=keys, **CHEAP)
        parent.create_customer("parent@example.com", "P", "P")
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                custauth.Custauth(path, keys=keys, **CHEAP)
                code = 1
            except custauth.InvalidInput as e:
                code = 0 if "fork()" in str(e) else 2
            except BaseException:  # noqa: BLE001
                code = 3
            try:
                parent.find_customer("parent@example.com")
                code = code or 4
            except custauth.InvalidInput as e:
                code = code or (0 if "fork()" in str(e) else 5)
            except BaseException:  # noqa: BLE001
                code = code or 6
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        parent.find_customer("parent@example.com")  # the parent's handle still works
        parent.close()

        # The rule: closed before fork(), opened in each process after it. Writers, readers and
        # the parent closing its handles while they run: no reader error, no lost create.
        done = os.path.join(tmp, "done")
        writers, readers = [], []
        for r in range(2):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    a = custauth.Custauth(path, keys=keys, **CHEAP)
                    n = 0
                    while not (n % 20 == 0 and os.path.exists(done)):
                        a.find_customer("parent@example.com")
                        n += 1
                    a.close()
                except BaseException as e:  # noqa: BLE001
                    sys.stderr.write("reader: %r\n" % e)
                    code = 1
                os._exit(code)
            readers.append(pid)
        for w in range(3):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    a = custauth.Custauth(path, keys=keys, **CHEAP)
                    for n in range(100):
                        a.create_customer("w%d-%d@example.com" % (w, n), "W", "W")
                    a.close()
                except BaseException as e:  # noqa: BLE001
                    sys.stderr.write("writer: %r\n" % e)
                    code = 1
                os._exit(code)
            writers.append(pid)
        for n in range(20):  # the parent opens and closes handles meanwhile
            with custauth.Custauth(path, keys=keys, **CHEAP) as a:
                a.create_customer("parent-%d@example.com" % n, "P", "P")
        for pid in writers:
            assert os.waitpid(pid, 0)[1] == 0
        open(done, "w").close()
        for pid in readers:
            assert os.waitpid(pid, 0)[1] == 0
        with custauth.Custauth(path, keys=keys, **CHEAP) as a:
            for w in range(3):
                for n in range(100):
                    a.find_customer("w%d-%d@example.com" % (w, n))
            for n in range(20):
                a.find_customer("parent-%d@example.com" % n)
