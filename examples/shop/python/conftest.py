# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""pytest fixtures of the shop's test suite: every test gets a fresh custauth test handle (in
memory, or on a throwaway SQLite file), and may record the codes and tokens it saw.

CUSTAUTH_SHOP_SEED (default 7) seeds every handle; CUSTAUTH_SHOP_RECORD names a JSON file that
receives what the tests recorded, so that two runs can be compared (check_reproducible.py)."""

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "bindings", "python", "src"))  # the package
sys.path.insert(0, HERE)

import custauth  # noqa: E402
from shop import Shop  # noqa: E402

SEED = int(os.environ.get("CUSTAUTH_SHOP_SEED", "7"))
_records = {}


@pytest.fixture(params=["memory", "sqlite"])
def auth(request, tmp_path):
    """A fresh test handle with the shop's usual customers."""
    storage = "memory:" if request.param == "memory" else str(tmp_path / "shop.db")
    handle = custauth.Custauth.for_tests(storage, seed=SEED)
    handle.create_customers([
        {"email": "roni_cost@example.com", "firstname": "Veronica", "lastname": "Costello"},
        {"email": "imported@example.com", "format": "legacy"},  # the platform's HASH:SALT:VERSIONS
        {"email": "assisted@example.com", "allow_remote_shopping_assistance": True},
    ], password="Password123")
    yield handle
    handle.close()


@pytest.fixture
def shop(auth):
    return Shop(auth)


@pytest.fixture
def record(request):
    """record(name, value): keeps a code or token this test saw, for CUSTAUTH_SHOP_RECORD."""
    def add(name, value):
        _records["%s::%s" % (request.node.nodeid, name)] = value
    return add


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("CUSTAUTH_SHOP_RECORD")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_records, f, indent=1, sort_keys=True)
