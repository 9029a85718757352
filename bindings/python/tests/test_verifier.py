# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""A host verifier written in Python (custauth.Verifier, through the C ABI's custauth_verifier):
it logs customers in from a host table in the chain order set, the lock bounds its guesses, the
audit names it, and a verifier that raises gives InternalError, never a token.
Run against the installed package (tests/capi/python_package_test.sh)."""

import threading

import pytest

import custauth

OPTS = {"argon2_opslimit": 1, "argon2_memlimit": 8192, "login_throttle_max_failures": -1}
EMAIL = "roni_cost@example.com"
PASSWORD = "Password123"


class HostTable(custauth.Verifier):
    """Accepts the secret a host table holds for an email (e.g. a shop's old app PINs)."""
    name = "host_table"

    def __init__(self, table, fail=False):
        super().__init__()
        self.table = table
        self.fail = fail
        self.calls = 0
        self.lock = threading.Lock()

    def verify(self, request):
        with self.lock:
            self.calls += 1
        if self.fail:
            raise RuntimeError("host directory down")
        return self.table.get(request.email) == request.secret


def open_with(chain):
    a = custauth.Custauth("memory:", verifiers=chain, **OPTS)
    a.create_customer(EMAIL, "Veronica", "Costello", password=PASSWORD)
    return a


def vias(a):
    return [r["detail"].get("via") for r in a.audit(EMAIL) if r["event"] == "login.success"]


def test_a_python_verifier_logs_in_in_the_chain_order_set():
    host = HostTable({EMAIL: "pin-4711"})
    a = open_with(["password", host])
    try:
        token = a.generate_customer_token(EMAIL, "pin-4711")
        assert a.verify_token(token)["uid"] == a.find_customer(EMAIL)["id"]
        a.generate_customer_token(EMAIL, PASSWORD)
        assert host.calls == 1  # the password matched first: the host was not asked
        assert vias(a) == ["host_table", "password"]
    finally:
        a.close()
    # First in the chain, it is asked first.
    host = HostTable({EMAIL: "pin-4711"})
    a = open_with([host, "password"])
    try:
        a.generate_customer_token(EMAIL, PASSWORD)
        assert host.calls == 1
    finally:
        a.close()


def test_the_lock_bounds_a_python_verifiers_guesses():
    host = HostTable({EMAIL: "pin-4711"})
    a = open_with([host])
    try:
        for k in range(10):
            with pytest.raises(custauth.AuthenticationFailed):
                a.generate_customer_token(EMAIL, "wrong-%d" % k)
        assert host.calls == 10
        with pytest.raises(custauth.AuthenticationFailed):
            a.generate_customer_token(EMAIL, "pin-4711")  # locked: not asked
        assert host.calls == 10
    finally:
        a.close()


def test_a_failing_python_verifier_gives_an_error_never_a_token():
    host = HostTable({EMAIL: "pin-4711"}, fail=True)
    a = open_with([host, "password"])
    try:
        with pytest.raises(custauth.InternalError) as e:
            a.generate_customer_token(EMAIL, PASSWORD)
        assert "host_table" in str(e.value) and "host directory down" in str(e.value)
        assert vias(a) == []
        assert a.find_customer(EMAIL)["failures_num"] == 0  # first in the chain: given back
    finally:
        a.close()


def test_a_bad_chain_is_refused():
    with pytest.raises(custauth.InvalidInput):
        custauth.Custauth("memory:", verifiers=["nonesuch"], **OPTS)
    with pytest.raises(custauth.InvalidInput):
        custauth.Custauth("memory:", verifiers=[object()], **OPTS)
