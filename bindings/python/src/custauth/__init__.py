# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""custauth from Python, through ctypes and the C ABI's one JSON entry point (custauth_call).

    import custauth
    with custauth.Custauth("memory:", argon2_opslimit=1, argon2_memlimit=8192) as auth:
        auth.create_customer("roni_cost@example.com", "Veronica", "Costello", password="Password123")
        token = auth.generate_customer_token("roni_cost@example.com", "Password123")
        claims = auth.verify_token(token)          # {"uid": 1, "utypid": 3, "iat": ..., ...}

A test handle, for a shop's own test suite (a clock that moves only when told to, random values
reproducible from a seed, the secrets it issued readable back, fixtures):

    auth = custauth.Custauth.for_tests(seed=7)      # "memory:", or a throwaway SQLite path
    auth.create_customers(["roni_cost@example.com"], password="Password123")
    auth.request_password_reset("roni_cost@example.com")
    token = auth.last_reset_token("roni_cost@example.com")
    auth.advance(seconds=31)

Failures raise CustauthError subclasses (AuthenticationFailed, InvalidInput, ...) whose
message is custauth's, e.g. the platform's "The account sign-in was incorrect or ...".

Every failure is a CustauthError subclass with .code, .name and .category (also a wrong argument
type, a string with a NUL character or one that is not valid Unicode: InvalidInput).

The library, the first that loads of: $CUSTAUTH_LIBRARY; libcustauth.so next to this file (a
package built with one inside); <sys.prefix>/lib and the other prefixes Python was installed
under (a virtual environment or a `cmake --install --prefix`); a libcustauth.so in the build
directories of a custauth checkout this package sits in; the system's (ctypes.util.find_library).

Threads: one Custauth may be used from many threads; close() waits for the calls in flight and
refuses new ones (InvalidInput "this Custauth is closed").

fork(): open a Custauth after fork(), in each worker of a pre-forking server, and close every
Custauth on a SQLite file before a process forks. A child that inherited an open one cannot use
it (InvalidInput naming fork()) and cannot open the same SQLite file again (InvalidInput naming
fork()): SQLite's locks are per process, and a second connection there would share the inherited
one's. gunicorn --preload, multiprocessing with "fork": open in the worker (post_fork), not at
import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import json
import os
import sys
import threading
import time
import types
from typing import (Any, Callable, Dict, Iterable, List, Mapping, NoReturn, Optional, Sequence,
                    Union)

__all__ = [
    "Custauth", "Verifier", "CustauthError", "InvalidInput", "NotFound", "AlreadyExists",
    "AuthenticationFailed", "NotConfirmed", "Locked", "Expired", "Forbidden", "RateLimited",
    "Unsupported", "StorageError", "Busy", "Conflict", "InternalError", "InvalidToken",
    "generate_keys", "library_version", "load_library", "library_candidates",
]


Json = Dict[str, Any]

# src/status.cpp's code_category: the GraphQL category of each code.
_CATEGORY = {
    -1: "graphql-input", -2: "graphql-no-such-entity", -3: "graphql-already-exists",
    -4: "graphql-authentication", -5: "graphql-authentication", -6: "graphql-authentication",
    -7: "graphql-input", -8: "graphql-authorization", -9: "graphql-input", -10: "graphql-input",
    -11: "internal", -12: "internal", -13: "internal", -14: "internal",
    -15: "graphql-authentication",
}


class CustauthError(Exception):
    """A refused operation: .code (negative, custauth.h's CUSTAUTH_E*), .name ("invalid_input"),
    .category (the GraphQL category, never empty), .message, and .response (the
    {"errors": [...]} JSON, {} when the call had none)."""

    code: int = -14
    name: str = "internal"

    def __init__(self, message: str, code: Optional[int] = None, name: Optional[str] = None,
                 category: str = "", response: Optional[Json] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if name is not None:
            self.name = name
        self.category = category or _CATEGORY.get(self.code, "internal")
        self.response: Json = response or {}


def _error_class(class_name: str, code: int, name: str, doc: str) -> Any:
    return type(class_name, (CustauthError,), {"code": code, "name": name, "__doc__": doc})


InvalidInput = _error_class("InvalidInput", -1, "invalid_input", "A malformed or missing argument.")
NotFound = _error_class("NotFound", -2, "not_found", "No such customer, secret or integration.")
AlreadyExists = _error_class("AlreadyExists", -3, "already_exists", "A unique key is taken.")
AuthenticationFailed = _error_class(
    "AuthenticationFailed", -4, "authentication_failed",
    "Wrong credentials, unknown email, locked or inactive account.")
NotConfirmed = _error_class("NotConfirmed", -5, "not_confirmed", "The account is not confirmed.")
Locked = _error_class("Locked", -6, "locked", "The account is locked.")
Expired = _error_class("Expired", -7, "expired", "A token, code or reset token expired.")
Forbidden = _error_class("Forbidden", -8, "forbidden", "Missing permission or consent.")
RateLimited = _error_class("RateLimited", -9, "rate_limited", "Too many requests.")
Unsupported = _error_class("Unsupported", -10, "unsupported", "An unsupported choice.")
StorageError = _error_class("StorageError", -11, "storage", "The storage failed.")
Busy = _error_class("Busy", -12, "busy", "A resource limit was reached.")
Conflict = _error_class("Conflict", -13, "conflict", "Lost a race with a concurrent change.")
InternalError = _error_class("InternalError", -14, "internal", "A failure inside custauth.")
InvalidToken = _error_class("InvalidToken", -15, "invalid_token", "A token that does not verify.")

_BY_CODE = {cls.code: cls for cls in (
    InvalidInput, NotFound, AlreadyExists, AuthenticationFailed, NotConfirmed, Locked, Expired,
    Forbidden, RateLimited, Unsupported, StorageError, Busy, Conflict, InternalError, InvalidToken)}

_CLAIMS_VERSION = 2


class _Claims(ctypes.Structure):
    """capi/custauth.h's custauth_claims (version 2)."""
    _fields_ = [("version", ctypes.c_uint), ("uid", ctypes.c_int64), ("utypid", ctypes.c_int),
                ("format", ctypes.c_int), ("iat", ctypes.c_int64), ("exp", ctypes.c_int64),
                ("kid", ctypes.c_char * 65), ("session_id", ctypes.c_int64)]


_lib: Any = None
_verify_fast: Any = None
_tls = threading.local()
_KIDS: Dict[bytes, str] = {}  # kid bytes -> text, a handful of keys


def _kid_text(kid: bytes) -> str:
    text = kid.decode("ascii", "replace")
    if len(_KIDS) < 64:
        _KIDS[kid] = text
    return text

_lib_lock = threading.Lock()


def library_candidates() -> List[str]:
    """Where load_library looks, in order (see the module's documentation)."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("CUSTAUTH_LIBRARY") or ""]
    candidates += sorted(glob.glob(os.path.join(here, "libcustauth.so*")))
    for prefix in dict.fromkeys([sys.prefix, sys.base_prefix, sys.exec_prefix]):
        for libdir in ("lib", "lib64", os.path.join("lib", "x86_64-linux-gnu")):
            candidates.append(os.path.join(prefix, libdir, "libcustauth.so"))
    for up in (("..", ".."), ("..", "..", "..", "..")):  # bindings/python/src/custauth
        candidates += sorted(glob.glob(os.path.join(here, *up, "build", "*", "libcustauth.so")))
    candidates.append(ctypes.util.find_library("custauth") or "")
    return [c for c in candidates if c]


def load_library(path: Optional[str] = None) -> Any:
    """Loads libcustauth (once) and declares the functions this module uses."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    with _lib_lock:
        if _lib is not None and path is None:
            return _lib
        return _load_library(path)


def _load_library(path: Optional[str]) -> Any:
    global _lib
    candidates = [path] if path else library_candidates()
    tried = []
    for candidate in candidates:
        if os.path.sep in candidate and not os.path.exists(candidate):
            continue
        try:
            lib = ctypes.CDLL(candidate)
            break
        except OSError as e:
            tried.append(str(e))
    else:
        raise InternalError("libcustauth.so not found: set CUSTAUTH_LIBRARY to its path, or "
                            "install it next to the custauth package or under %s/lib (%s)"
                            % (sys.prefix, "; ".join(tried) or "no candidate exists"))
    c_char_pp = ctypes.POINTER(ctypes.c_void_p)
    lib.custauth_open_json.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                       ctypes.c_char_p]
    lib.custauth_open_json.restype = ctypes.c_int
    lib.custauth_open_json_with_verifiers.argtypes = [
        ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p,
        ctypes.POINTER(_CVerifier), ctypes.c_size_t]
    lib.custauth_open_json_with_verifiers.restype = ctypes.c_int
    lib.custauth_close.argtypes = [ctypes.c_void_p]
    lib.custauth_close.restype = None
    lib.custauth_call.argtypes = [c_char_pp, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                  ctypes.c_char_p]
    lib.custauth_call.restype = ctypes.c_int
    lib.custauth_free.argtypes = [ctypes.c_void_p]
    lib.custauth_free.restype = None
    lib.custauth_error_last.argtypes = []
    lib.custauth_error_last.restype = ctypes.c_char_p
    lib.custauth_error_last_code.argtypes = []
    lib.custauth_error_last_code.restype = ctypes.c_int
    lib.custauth_libversion.argtypes = []
    lib.custauth_libversion.restype = ctypes.c_char_p
    lib.custauth_token_verify_claims.argtypes = [ctypes.POINTER(_Claims), ctypes.c_void_p,
                                                 ctypes.c_char_p]
    lib.custauth_token_verify_claims.restype = ctypes.c_int
    # The fast path's own function object, without argtypes: ctypes then converts nothing (the
    # caller passes byref(claims), a c_void_p and bytes), which halves the call's cost.
    global _verify_fast
    _verify_fast = lib._FuncPtr(("custauth_token_verify_claims", lib))
    _lib = lib
    return lib




def _raise(rc: int, response: Optional[Json]) -> NoReturn:
    """Raises the CustauthError of a failed call (response: its {"errors": [...]} object)."""
    message, name, category = "", None, ""
    errors = response.get("errors") if isinstance(response, dict) else None
    if errors:
        message = errors[0].get("message", "")
        extensions = errors[0].get("extensions", {})
        name = extensions.get("code")
        category = extensions.get("category", "")
    if not message:
        message = load_library().custauth_error_last().decode("utf-8", "replace")
    cls = _BY_CODE.get(rc, CustauthError)
    raise cls(message, code=rc, name=name, category=category, response=response)


def _invalid(message: str) -> NoReturn:
    raise InvalidInput(message, code=-1, name="invalid_input")


def _c_string(value: Any, what: str) -> bytes:
    """`value` (str, or bytes for paths and tokens) as a C string; InvalidInput for another type,
    a NUL character (C would cut the string there) or text that is not valid Unicode."""
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            _invalid("%s is not valid Unicode text (a lone surrogate?)" % what)
    elif isinstance(value, bytes):
        raw = value
    else:
        _invalid("%s must be a string, not %s" % (what, type(value).__name__))
    if b"\0" in raw:
        _invalid("%s contains a NUL character" % what)
    return raw


def _refuse_nul(value: Any, what: str) -> None:
    """InvalidInput when a string anywhere in `value` (keys too) holds a NUL character."""
    if isinstance(value, str):
        if "\0" in value:
            _invalid("%s contains a NUL character" % what)
    elif isinstance(value, dict):
        for k, v in value.items():
            _refuse_nul(k, what)
            _refuse_nul(v, "%s (%s)" % (what, k) if isinstance(k, str) else what)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _refuse_nul(v, what)


def _json_arg(value: Any, what: str) -> bytes:
    _refuse_nul(value, what)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        _invalid("%s is not valid Unicode text (a lone surrogate?)" % what)
    except (TypeError, ValueError) as e:
        _invalid("%s cannot be sent as JSON: %s" % (what, e))


def _call(handle: Optional[int], operation: str, args: Mapping[str, Any],
          context: Optional[Mapping[str, Any]]) -> Json:
    lib = load_library()
    op = _c_string(operation, "the operation name")
    args_json = _json_arg(dict(args), "an argument")
    context_json = _json_arg(dict(context), "a context value") if context else None
    out = ctypes.c_void_p()
    rc = lib.custauth_call(ctypes.byref(out), handle, op, args_json, context_json)
    response: Json = {}
    if out.value:
        try:
            response = json.loads(ctypes.string_at(out.value).decode("utf-8", "replace"))
        finally:
            lib.custauth_free(out)
    if rc != 0:
        _raise(rc, response)
    return response


def library_version() -> str:
    """The runtime library's version string, e.g. "0.1.0"."""
    return str(load_library().custauth_libversion().decode())


def generate_keys() -> Json:
    """Fresh keys in the key-file format (a dict): pass as keys= or save to a 0600 file."""
    return dict(_call(None, "keys_generate", {}, None)["keys"])


# --- Verifiers (custauth.h, "Verifiers") ---------------------------------------------------------

class _CVerifyRequest(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("customer_id", ctypes.c_int64),
                ("website_id", ctypes.c_int64), ("email", ctypes.c_char_p),
                ("password_hash", ctypes.c_char_p), ("secret", ctypes.c_void_p),
                ("secret_len", ctypes.c_size_t), ("client_ip", ctypes.c_char_p)]


class _CVerifyAnswer(ctypes.Structure):
    _fields_ = [("rehash", ctypes.c_int), ("costly", ctypes.c_int),
                ("message", ctypes.c_char * 256)]


_VERIFY_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_CVerifyRequest),
                              ctypes.POINTER(_CVerifyAnswer))


class _CVerifier(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("name", ctypes.c_char_p),
                ("user_data", ctypes.c_void_p), ("verify", _VERIFY_FN)]


_VERIFIER_VERSION = 1
_VERIFY_NOT_MINE, _VERIFY_MATCHED, _VERIFY_ERROR = 0, 1, -1


class Verifier:
    """A host's verifier in generateCustomerToken's chain (Custauth(verifiers=[...])).

    Subclass it (or pass name and verify): verify(request) gets a request with customer_id,
    website_id, email, password_hash ("" for none), secret (str; secret_bytes: the bytes) and
    client_ip, and returns True (matched), False or None (not mine), or a dict
    {"matched": bool, "rehash": bool, "costly": bool}: rehash stores an Argon2id hash of the
    secret as the customer's password; costly says the check cost what an Argon2id verification
    costs (else custauth runs a dummy one). An exception is the verifier's failure: the login
    raises InternalError naming it, never a token. The lock, the not-confirmed refusal and the
    audit's "via" (the name) apply as for the built-ins. Called from the threads that log in."""

    def __init__(self, name: Optional[str] = None,
                 verify: Optional[Callable[[Any], Any]] = None) -> None:
        if name is not None:
            self.name = name
        if verify is not None:
            self.verify = verify  # type: ignore[method-assign]

    name = ""

    def verify(self, request: Any) -> Any:
        raise NotImplementedError("give verify or override it")


def _c_verify_callback(verifier: Verifier) -> Any:
    def callback(_user: Any, req_p: Any, answer_p: Any) -> int:
        try:
            req = req_p.contents
            raw = ctypes.string_at(req.secret, req.secret_len) if req.secret_len else b""
            request = types.SimpleNamespace(
                customer_id=req.customer_id, website_id=req.website_id,
                email=(req.email or b"").decode("utf-8", "replace"),
                password_hash=(req.password_hash or b"").decode("utf-8", "replace"),
                secret=raw.decode("utf-8", "replace"), secret_bytes=raw,
                client_ip=(req.client_ip or b"").decode("utf-8", "replace"))
            result = verifier.verify(request)
            answer = answer_p.contents
            if isinstance(result, dict):
                answer.rehash = 1 if result.get("rehash") else 0
                answer.costly = 1 if result.get("costly") else 0
                matched = bool(result.get("matched"))
            else:
                matched = result is True
            return _VERIFY_MATCHED if matched else _VERIFY_NOT_MINE
        except BaseException as e:  # nothing may unwind through C; the login reports it
            try:
                message = ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace")[:255]
                answer_p.contents.message = message
            except BaseException:
                pass
            return _VERIFY_ERROR
    return _VERIFY_FN(callback)


class Custauth:
    """An open custauth: storage is "memory:" or a SQLite path. Options are custauth.h's
    custauth_options fields: keys (dict) or keys_json or key_file, token_format ("jwt" or
    "opaque"), token_lifetime_s, argon2_opslimit, argon2_memlimit, lockout_max_failures, ...

    context (optional, per instance or per call): {"client_ip", "user_agent", "actor",
    "website_id"}."""

    @classmethod
    def for_tests(cls, storage: str = "memory:", seed: Optional[int] = None,
                  context: Optional[Mapping[str, Any]] = None, **options: Any) -> "Custauth":
        """A test handle on "memory:" or a throwaway SQLite path: cheap Argon2id, keys derived
        from `seed` (random without one), a clock at 2025-05-29 06:17:01 UTC that only set_time
        and advance move, and with a seed every code and token reproducible."""
        options["test"] = True
        if seed is not None:
            options["test_seed"] = seed
        return cls(storage, context=context, **options)

    def __init__(self, storage: Union[str, "os.PathLike[str]"] = "memory:",
                 context: Optional[Mapping[str, Any]] = None,
                 verifiers: Optional[Sequence[Union[str, Verifier]]] = None,
                 sessions: bool = False, max_session_age_s: Optional[int] = None,
                 **options: Any) -> None:
        """verifiers: generateCustomerToken's chain in order; a str names a built-in
        ("password", "reset_token", "otc"), a Verifier is the host's. None: the platform's.

        sessions: each sign-in starts a session that its tokens name, so that a token can be
        renewed (renew_token) and one device signed out (revoke_session); max_session_age_s: how
        long a session may be renewed for, from its sign-in (default 30 days)."""
        if sessions:
            options["sessions"] = True
        if max_session_age_s is not None:
            options["max_session_age_s"] = max_session_age_s
        # The calls in flight: each appends before it reads the handle and pops when the C call
        # returned. list.append/pop are atomic under the GIL; a call appends first and then
        # checks _closing, close() sets _closing first and then waits for the list to empty, so
        # either close() waits for the call or the call sees _closing.
        self._inflight: List[None] = []
        self._closing = False
        self._handle: Optional[int] = None
        self.context = context
        lib = load_library()
        if isinstance(storage, os.PathLike):
            storage = os.fspath(storage)
        path = _c_string(storage, "storage")
        handle = ctypes.c_void_p()
        # The callbacks must live as long as the handle: kept on it.
        self._verifier_refs: List[Any] = []
        chain = (_CVerifier * max(1, len(verifiers or [])))()
        for k, v in enumerate(verifiers or []):
            if isinstance(v, str):
                name, fn = v, _VERIFY_FN()
            elif isinstance(v, Verifier):
                name, fn = v.name, _c_verify_callback(v)
            else:
                raise InvalidInput("a verifier must be a built-in's name or a custauth.Verifier")
            name_c = _c_string(name, "a verifier's name")
            self._verifier_refs += [name_c, fn]
            chain[k] = _CVerifier(_VERIFIER_VERSION, name_c, None, fn)
        rc = lib.custauth_open_json_with_verifiers(
            ctypes.byref(handle), path, _json_arg(options, "an option"), chain,
            len(verifiers or []))
        if rc != 0:
            _raise(rc, {})
        self._handle = handle.value
        self._handle_c = ctypes.c_void_p(handle.value)  # for the fast path (no conversion)

    def close(self) -> None:
        """Closes the handle: waits for the calls running on it in other threads, then frees it.
        Calls that start afterwards raise InvalidInput ("this Custauth is closed"). Idempotent."""
        self._closing = True
        while self._inflight:
            time.sleep(0.0005)
        handle, self._handle = self._handle, None
        if handle:
            load_library().custauth_close(handle)

    @property
    def closed(self) -> bool:
        return self._closing

    def __enter__(self) -> "Custauth":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_handle", None):
                load_library().custauth_close(self._handle)
                self._handle = None
        except Exception:  # noqa: BLE001 - at interpreter exit the library may be gone already
            pass

    def _enter(self) -> int:
        """Registers a call in flight and returns the handle; InvalidInput once closed."""
        self._inflight.append(None)
        handle = self._handle
        if self._closing or not handle:
            self._inflight.pop()
            _invalid("this Custauth is closed")
        return handle

    def call(self, operation: str, context: Optional[Mapping[str, Any]] = None,
             **args: Any) -> Json:
        """Runs any operation of custauth_call by name; returns its JSON result as a dict."""
        handle = self._enter()
        try:
            return _call(handle, operation, args, context or self.context)
        finally:
            self._inflight.pop()

    # --- Customers ---
    def create_customer(self, email: str, firstname: str, lastname: str,
                        password: Optional[str] = None, context: Optional[Mapping[str, Any]] = None,
                        **fields: Any) -> Json:
        """fields: is_subscribed, confirmed (default True), allow_remote_shopping_assistance."""
        args = dict(fields, email=email, firstname=firstname, lastname=lastname)
        if password is not None:
            args["password"] = password
        return self.call("customer_create", context, **args)["customer"]

    def update_customer(self, email: str, context: Optional[Mapping[str, Any]] = None, **changes: Any) -> Json:
        return self.call("customer_update", context, email=email, **changes)["customer"]

    def find_customer(self, email: str, context: Optional[Mapping[str, Any]] = None) -> Json:
        return self.call("customer_find", context, email=email)["customer"]

    def delete_customer(self, email: str, context: Optional[Mapping[str, Any]] = None) -> int:
        """Erases the customer (the right to erasure) and returns its id: its secrets and tokens
        go, its tokens stop verifying, its audit records lose email and IP."""
        return self.call("customer_delete", context, email=email)["id"]

    # --- Sign-in and one-time secrets ---
    def generate_customer_token(self, email: str, password: str, context: Optional[Mapping[str, Any]] = None) -> str:
        return self.call("generate_customer_token", context, email=email, password=password)["token"]

    def sign_in(self, email: str, password: str, context: Optional[Mapping[str, Any]] = None) -> Json:
        """generate_customer_token with what a client needs besides the token: {"token",
        "expires_at" (seconds since the epoch), "session_id" (with sessions on)}."""
        return self.call("sign_in", context, email=email, password=password)

    def request_password_reset(self, email: str, context: Optional[Mapping[str, Any]] = None) -> Optional[str]:
        """The reset token to mail, or None for an unknown email."""
        return self.call("request_password_reset", context, email=email)["token"]

    def reset_password(self, email: str, token: str, new_password: str,
                       context: Optional[Mapping[str, Any]] = None) -> None:
        self.call("reset_password", context, email=email, token=token, new_password=new_password)

    def change_password(self, email: str, current_password: str, new_password: str,
                        context: Optional[Mapping[str, Any]] = None) -> None:
        self.call("change_password", context, email=email, current_password=current_password,
                  new_password=new_password)

    def issue_otc(self, email: str, admin_id: int, reason: str = "", context: Optional[Mapping[str, Any]] = None) -> str:
        return self.call("issue_otc", context, email=email, admin_id=admin_id, reason=reason)["code"]

    def exchange_otc(self, email: str, code: str, context: Optional[Mapping[str, Any]] = None) -> str:
        return self.call("exchange_otc", context, email=email, code=code)["token"]

    # --- Tokens ---
    def verify_token(self, token: Union[str, bytes]) -> Json:
        """The token's claims: {"uid", "utypid", "iat", "exp", "format", "kid" (JWT only), "sid"
        (only when the token names a session)}.

        The fast path: custauth_token_verify_claims fills a struct, no JSON either way. A token
        that is not a string, or holds a NUL character or a lone surrogate, raises InvalidInput."""
        if type(token) is str:
            try:
                raw = token.encode("utf-8")
            except UnicodeEncodeError:
                raw = _c_string(token, "the token")  # raises InvalidInput
        else:
            raw = _c_string(token, "the token")
        if b"\0" in raw:
            _invalid("the token contains a NUL character")
        # A claims struct per thread, reused (the C call fills it while the GIL is released, so
        # one per handle would be shared by threads).
        try:
            claims, ref = _tls.claims
        except AttributeError:
            claims = _Claims()
            ref = ctypes.byref(claims)
            _tls.claims = (claims, ref)
        claims.version = _CLAIMS_VERSION
        inflight = self._inflight
        inflight.append(None)
        try:
            if self._closing or not self._handle:
                _invalid("this Custauth is closed")
            rc = _verify_fast(ref, self._handle_c, raw)
        finally:
            inflight.pop()
        if rc != 0:
            _raise(rc, None)
        kid = claims.kid
        out = {"uid": claims.uid, "utypid": claims.utypid, "iat": claims.iat, "exp": claims.exp,
               "format": "jwt" if claims.format == 0 else "opaque"}
        if kid:
            out["kid"] = _KIDS.get(kid) or _kid_text(kid)
        if claims.session_id > 0:
            out["sid"] = claims.session_id
        return out

    def revoke_customer_tokens(self, email: str, context: Optional[Mapping[str, Any]] = None) -> None:
        self.call("revoke_customer_tokens", context, email=email)

    # --- Sessions (sessions=True) ---
    def renew_token(self, token: str, context: Optional[Mapping[str, Any]] = None) -> Json:
        """A fresh token for the session of a valid token: {"token", "expires_at",
        "session_id"}, its expiry capped at the session's maximum age. InvalidInput ("The token
        has no session.") for a token issued with sessions off."""
        return self.call("renew_token", context, token=token)

    def revoke_session(self, token: str, context: Optional[Mapping[str, Any]] = None) -> None:
        """Signs one device out: every token of the token's session is refused."""
        self.call("revoke_session", context, token=token)

    def list_sessions(self, email: str, context: Optional[Mapping[str, Any]] = None) -> List[Json]:
        """The customer's live sessions, oldest first: {"id", "created_at", "renewed_at",
        "expires_at", "client_ip", "user_agent", "method"}."""
        return list(self.call("list_sessions", context, email=email)["sessions"])

    def audit(self, email: Optional[str] = None, after_id: int = 0, limit: int = 100,
              context: Optional[Mapping[str, Any]] = None) -> List[Json]:
        args = {"after_id": after_id, "limit": limit}
        if email is not None:
            args["email"] = email
        return self.call("audit_list", context, **args)["audit"]

    def prune(self, context: Optional[Mapping[str, Any]] = None) -> Json:
        """Removes at once what is past its retention (audit records after the handle's
        audit_retention_days option, default 180, 0 forever); returns the rows removed per table:
        {"rate_events", "rate_buckets", "nonces", "secrets", "opaque_tokens", "audit"}."""
        return self.call("prune", context)["pruned"]

    # --- Integrations and exchangeExternalCustomerToken ---
    def create_integration(self, name: str, permissions: Iterable[str] = (),
                           context: Optional[Mapping[str, Any]] = None) -> Json:
        return self.call("integration_create", context, name=name,
                         permissions=list(permissions))["integration"]

    def list_integrations(self) -> List[Json]:
        return self.call("integration_list")["integrations"]

    def revoke_integration(self, consumer_key: str, context: Optional[Mapping[str, Any]] = None) -> None:
        self.call("integration_revoke", context, consumer_key=consumer_key)

    def set_integration_permissions(self, consumer_key: str, permissions: Iterable[str],
                                    context: Optional[Mapping[str, Any]] = None) -> None:
        self.call("integration_set_permissions", context, consumer_key=consumer_key,
                  permissions=list(permissions))

    def import_integration(self, name: str, consumer_key: str, consumer_secret: str,
                           access_token: str, token_secret: str,
                           permissions: Iterable[str] = (), context: Optional[Mapping[str, Any]] = None) -> Json:
        """Stores an integration moved over from the platform with its credentials."""
        return self.call("integration_import", context, name=name, permissions=list(permissions),
                         consumer_key=consumer_key, consumer_secret=consumer_secret,
                         access_token=access_token, token_secret=token_secret)["integration"]

    def import_customers(self, path: Union[str, "os.PathLike[str]"], on_conflict: str = "skip",
                         strict: bool = False, format: str = "auto", batch_size: int = 5000,
                         context: Optional[Mapping[str, Any]] = None) -> Json:
        """Imports the platform's customer_entity export (CSV or JSON Lines); returns the report
        (see custauth/import.h): report["completed"] is False, with report["error"], when the
        import stopped."""
        return self.call("customer_import", context, path=os.fspath(path), on_conflict=on_conflict,
                         strict=strict, format=format, batch_size=batch_size)["report"]

    def import_revocations(self, path: Union[str, "os.PathLike[str]"], strict: bool = False,
                           format: str = "auto", context: Optional[Mapping[str, Any]] = None) -> Json:
        """Imports the platform's jwt_auth_revoked rows; returns the report."""
        return self.call("revocations_import", context, path=os.fspath(path), strict=strict,
                         format=format)["report"]

    def exchange_external_customer_token(self, request: Mapping[str, Any],
                                         input: Mapping[str, Any], context: Optional[Mapping[str, Any]] = None) -> Json:
        """request: {"method", "url", "authorization", "content_type", "body"}; input:
        {"customer": {...}}. Returns the GraphQL response; a refusal raises, with the GraphQL
        error response in the exception's .response."""
        return self.call("exchange_external_customer_token", context, request=request, input=input)

    # --- Test handles only (Custauth.for_tests); a normal handle raises Forbidden ---
    def now(self) -> int:
        """The test clock, in ms since the Unix epoch."""
        return self.call("test.now")["now"]

    def set_time(self, ms: int) -> int:
        """Sets the test clock (ms since the Unix epoch); returns it."""
        return self.call("test.set_time", time_ms=int(ms))["now"]

    def advance(self, ms: float = 0, *, seconds: float = 0, minutes: float = 0) -> int:
        """Moves the test clock forward; returns it."""
        return self.call("test.advance", ms=int(ms + seconds * 1000 + minutes * 60000))["now"]

    def last_reset_token(self, email: str, context: Optional[Mapping[str, Any]] = None) -> str:
        """The last password-reset token this handle issued to the customer (used or not)."""
        return self.call("test.last_reset_token", context, email=email)["token"]

    def last_otc(self, email: str, context: Optional[Mapping[str, Any]] = None) -> str:
        """The last admin one-time code this handle issued to the customer (used or not)."""
        return self.call("test.last_otc", context, email=email)["code"]

    def create_customers(self, customers: Iterable[Union[str, Mapping[str, Any]]],
                         context: Optional[Mapping[str, Any]] = None, **defaults: Any) -> List[Json]:
        """Fixture customers at once: entries are emails or dicts ("email", "password", "format":
        "current"|"legacy", "legacy_salt", "legacy_versions", "firstname", "lastname",
        "confirmed", "allow_remote_shopping_assistance", ...); defaults (password, format,
        legacy_versions, firstname, lastname) apply to entries without them. Returns the
        customers."""
        return self.call("test.create_customers", context, customers=list(customers),
                         **defaults)["customers"]
