#!/usr/bin/env python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""Token verification from Python: custauth through ctypes against PyJWT, on the same token.

  custauth (module)  bindings/python (the custauth package), the ctypes module a Python host imports
                     (measured when it exists)
  custauth (ctypes)  custauth_token_verify() of libcustauth.so called directly through ctypes,
                     the claims JSON parsed into a dict, as a host would
  PyJWT              jwt.api_jwt.decode_complete(token, key, algorithms=["HS256"]) (signature, exp, iat),
                     then the kid header and utypid checked, as a host would

The token is a platform-shaped customer token issued by a custauth handle ("memory:") with fresh
keys; PyJWT gets the same HS256 key. Usage: py_verify.py LIBCUSTAUTH_SO [SECONDS_PER_FIGURE].
Prints one JSON object.

Then scaling (bench/py_scaling.py): PyJWT and the module in 1 process against 2 processes (each its
own interpreter and handle), and 2 threads of one process (GIL-bound; ctypes releases the GIL only
during the C call), under "scaling".
"""
import base64
import ctypes
import importlib.util
import json
import os
import sys
import time

import jwt  # PyJWT
import jwt.api_jwt

import py_scaling  # bench/py_scaling.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def per_second(fn, seconds):
    """Calls fn() repeatedly for about `seconds`; best of 3 rounds, in calls per second."""
    best = 0.0
    for _ in range(3):
        n = 0
        t0 = time.perf_counter()
        deadline = t0 + seconds / 3
        while True:
            for _ in range(200):
                fn()
            n += 200
            t = time.perf_counter()
            if t >= deadline:
                break
        best = max(best, n / (t - t0))
    return best


class Lib:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        lib = self.lib
        lib.custauth_keys_generate.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.custauth_open_json.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                           ctypes.c_char_p]
        lib.custauth_call.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p,
                                      ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.custauth_token_verify.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p,
                                              ctypes.c_char_p]
        lib.custauth_free.argtypes = [ctypes.c_void_p]
        lib.custauth_close.argtypes = [ctypes.c_void_p]
        lib.custauth_error_last.restype = ctypes.c_char_p

    def take(self, ptr):
        s = ctypes.string_at(ptr).decode()
        self.lib.custauth_free(ptr)
        return s

    def check(self, rc, what):
        if rc != 0:
            sys.exit(f"{what}: {rc} {self.lib.custauth_error_last().decode()}")

    def call(self, db, op, args):
        out = ctypes.c_void_p()
        rc = self.lib.custauth_call(ctypes.byref(out), db, op.encode(),
                                    json.dumps(args).encode(), None)
        result = json.loads(self.take(out)) if out.value else None
        if rc != 0:
            sys.exit(f"custauth_call {op}: {rc} {result}")
        return result


def main():
    lib_path = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    c = Lib(lib_path)
    out = ctypes.c_void_p()
    c.check(c.lib.custauth_keys_generate(ctypes.byref(out)), "custauth_keys_generate")
    keys_json = c.take(out)
    keys = json.loads(keys_json)
    key = base64.b64decode(keys["jwt_keys"][-1]["secret"])
    # Cheap Argon2 for the one customer this needs; verification does not touch Argon2.
    options = {"keys_json": keys_json, "argon2_opslimit": 1, "argon2_memlimit": 8192}
    customer = {"email": "roni_cost@example.com", "firstname": "Veronica",
                "lastname": "Costello", "password": "Bench-Password-2026"}
    handle, module_error = load_module(lib_path, options)
    if handle is not None:
        # One handle for both paths ("memory:" is one customer base per handle).
        handle.create_customer(**customer)
        token = handle.generate_customer_token(customer["email"], customer["password"])
        db = handle._handle  # the module's custauth_t*, for the raw ctypes path
    else:
        db = ctypes.c_void_p()
        c.check(c.lib.custauth_open_json(ctypes.byref(db), b"memory:",
                                         json.dumps(options).encode()), "custauth_open_json")
        c.call(db, "customer_create", customer)
        token = c.call(db, "generate_customer_token",
                       {"email": customer["email"], "password": customer["password"]})["token"]
    token_b = token.encode()

    def custauth_ctypes():
        o = ctypes.c_void_p()
        rc = c.lib.custauth_token_verify(ctypes.byref(o), db, token_b)
        if rc != 0:
            raise RuntimeError(f"custauth_token_verify: {rc}")
        claims = json.loads(ctypes.string_at(o))
        c.lib.custauth_free(o)
        return claims

    def pyjwt():
        d = jwt.api_jwt.decode_complete(token, key, algorithms=["HS256"])
        if d["header"].get("kid") != "1" or d["payload"].get("utypid") != 3:
            raise RuntimeError("PyJWT: unexpected claims")
        return d["payload"]

    # Both must accept the token and refuse a tampered one.
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert custauth_ctypes()["uid"] == pyjwt()["uid"]
    o = ctypes.c_void_p()
    assert c.lib.custauth_token_verify(ctypes.byref(o), db, tampered.encode()) != 0
    try:
        jwt.decode(tampered, key, algorithms=["HS256"])
        sys.exit("PyJWT accepted a tampered token")
    except jwt.InvalidSignatureError:
        pass

    result = {"token": token, "python": sys.version.split()[0], "pyjwt": jwt.__version__}
    result["pyjwt_per_s"] = per_second(pyjwt, seconds)
    result["custauth_ctypes_per_s"] = per_second(custauth_ctypes, seconds)
    if handle is not None:
        def custauth_module():
            claims = handle.verify_token(token)
            if claims["utypid"] != 3:
                raise RuntimeError("custauth: unexpected claims")
            return claims

        assert custauth_module()["uid"] == pyjwt()["uid"]
        result["custauth_module_per_s"] = per_second(custauth_module, seconds)
        handle.close()
    else:
        result["custauth_module_error"] = module_error
        c.lib.custauth_close(db)
    result["scaling"] = scaling(lib_path, options, customer, token, key, seconds / 4,
                                with_module=handle is not None)
    print(json.dumps(result))


def scaling(lib_path, options, customer, token, key, seconds, with_module):
    """1 process against 2 processes (and 2 threads of one process), for PyJWT and the module."""
    def pyjwt_factory():
        def verify():
            d = jwt.api_jwt.decode_complete(token, key, algorithms=["HS256"])
            if d["header"].get("kid") != "1" or d["payload"].get("utypid") != 3:
                raise RuntimeError("PyJWT: unexpected claims")
        return verify

    def module_factory():
        # A handle of this process's own, on its own "memory:" customer base, with its own token.
        handle, error = load_module(lib_path, options)
        if handle is None:
            raise RuntimeError(error)
        handle.create_customer(**customer)
        mine = handle.generate_customer_token(customer["email"], customer["password"])

        def verify():
            if handle.verify_token(mine)["utypid"] != 3:
                raise RuntimeError("custauth: unexpected claims")
        return verify

    factories = {"pyjwt": pyjwt_factory}
    if with_module:
        factories["custauth_module"] = module_factory
    return py_scaling.scaling(factories, seconds)


def load_module(lib_path, options):
    """(an open bindings/python custauth.Custauth on "memory:", None), or (None, why not).
    The installed package when this interpreter has one (run with a venv's python after
    `pip install --no-build-isolation bindings/python`), else the source folder's copy."""
    module_path = os.path.join(ROOT, "bindings", "python", "src", "custauth", "__init__.py")
    try:
        if importlib.util.find_spec("custauth") is not None:
            import custauth as mod  # the installed package
        elif not os.path.exists(module_path):
            return None, "bindings/python/src/custauth/__init__.py does not exist"
        else:
            spec = importlib.util.spec_from_file_location("custauth", module_path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        mod.load_library(lib_path)
        return mod.Custauth("memory:", **options), None
    except Exception as e:  # noqa: BLE001 — report why the module could not be measured
        return None, f"{type(e).__name__}: {e}"


if __name__ == "__main__":
    main()
