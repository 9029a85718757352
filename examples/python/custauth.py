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

The library: $CUSTAUTH_LIBRARY, else a libcustauth.so in this checkout's build directories,
else the system's (ctypes.util.find_library). One Custauth may be used from many threads. Open
it after fork() (in each worker of a pre-forking server), never before.
"""

import ctypes
import ctypes.util
import glob
import json
import os

__all__ = [
    "Custauth", "CustauthError", "InvalidInput", "NotFound", "AlreadyExists",
    "AuthenticationFailed", "NotConfirmed", "Locked", "Expired", "Forbidden", "RateLimited",
    "Unsupported", "StorageError", "Busy", "Conflict", "InternalError", "InvalidToken",
    "generate_keys", "library_version", "load_library",
]


class CustauthError(Exception):
    """A refused operation: .code (negative, custauth.h's CUSTAUTH_E*), .name ("invalid_input"),
    .category (the GraphQL category), .message, and .response (the {"errors": [...]} JSON)."""

    code = -14
    name = "internal"

    def __init__(self, message, code=None, name=None, category="", response=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if name is not None:
            self.name = name
        self.category = category
        self.response = response or {}


def _error_class(class_name, code, name, doc):
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

_lib = None


def load_library(path=None):
    """Loads libcustauth (once) and declares the functions this module uses."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    candidates = [path, os.environ.get("CUSTAUTH_LIBRARY")]
    here = os.path.dirname(os.path.abspath(__file__))
    candidates += sorted(glob.glob(os.path.join(here, "..", "..", "build", "*", "libcustauth.so")))
    candidates.append(ctypes.util.find_library("custauth"))
    last_error = None
    for candidate in candidates:
        if not candidate:
            continue
        try:
            lib = ctypes.CDLL(candidate)
            break
        except OSError as e:
            last_error = e
    else:
        raise OSError("libcustauth not found; set CUSTAUTH_LIBRARY (%s)" % last_error)
    c_char_pp = ctypes.POINTER(ctypes.c_void_p)
    lib.custauth_open_json.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                       ctypes.c_char_p]
    lib.custauth_open_json.restype = ctypes.c_int
    lib.custauth_close.argtypes = [ctypes.c_void_p]
    lib.custauth_close.restype = None
    lib.custauth_call.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                  ctypes.c_char_p, c_char_pp]
    lib.custauth_call.restype = ctypes.c_int
    lib.custauth_free.argtypes = [ctypes.c_void_p]
    lib.custauth_free.restype = None
    lib.custauth_error_last.argtypes = []
    lib.custauth_error_last.restype = ctypes.c_char_p
    lib.custauth_error_last_code.argtypes = []
    lib.custauth_error_last_code.restype = ctypes.c_int
    lib.custauth_libversion.argtypes = []
    lib.custauth_libversion.restype = ctypes.c_char_p
    _lib = lib
    return lib


_CLAIMS_VERSION = 1


class _Claims(ctypes.Structure):
    """capi/custauth.h's custauth_claims."""
    _fields_ = [("version", ctypes.c_uint), ("uid", ctypes.c_int64), ("utypid", ctypes.c_int),
                ("format", ctypes.c_int), ("iat", ctypes.c_int64), ("exp", ctypes.c_int64),
                ("kid", ctypes.c_char * 65)]


def _verify_claims(claims_ref, handle, token):
    lib = load_library()
    fn = lib.custauth_verify_token_claims
    if fn.argtypes is None:
        fn.argtypes = [ctypes.POINTER(_Claims), ctypes.c_void_p, ctypes.c_char_p]
        fn.restype = ctypes.c_int
    return fn(claims_ref, handle, token)


def _raise(rc, response):
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


def _call(handle, operation, args, context):
    lib = load_library()
    out = ctypes.c_void_p()
    rc = lib.custauth_call(handle, operation.encode(), json.dumps(args).encode(),
                           json.dumps(context).encode() if context else None, ctypes.byref(out))
    response = {}
    if out.value:
        try:
            response = json.loads(ctypes.string_at(out.value).decode("utf-8"))
        finally:
            lib.custauth_free(out)
    if rc != 0:
        _raise(rc, response)
    return response


def library_version():
    """The runtime library's version string, e.g. "0.1.0"."""
    return load_library().custauth_libversion().decode()


def generate_keys():
    """Fresh keys in the key-file format (a dict): pass as keys= or save to a 0600 file."""
    return _call(None, "keys_generate", {}, None)["keys"]


class Custauth:
    """An open custauth: storage is "memory:" or a SQLite path. Options are custauth.h's
    custauth_options fields: keys (dict) or keys_json or key_file, token_format ("jwt" or
    "opaque"), token_lifetime_s, argon2_opslimit, argon2_memlimit, lockout_max_failures, ...

    context (optional, per instance or per call): {"client_ip", "user_agent", "actor",
    "website_id"}."""

    @classmethod
    def for_tests(cls, storage="memory:", seed=None, context=None, **options):
        """A test handle on "memory:" or a throwaway SQLite path: cheap Argon2id, keys derived
        from `seed` (random without one), a clock at 2025-05-29 06:17:01 UTC that only set_time
        and advance move, and with a seed every code and token reproducible."""
        options["test"] = True
        if seed is not None:
            options["test_seed"] = seed
        return cls(storage, context=context, **options)

    def __init__(self, storage="memory:", context=None, **options):
        lib = load_library()
        handle = ctypes.c_void_p()
        rc = lib.custauth_open_json(ctypes.byref(handle), os.fsencode(storage),
                                    json.dumps(options).encode())
        if rc != 0:
            _raise(rc, {})
        self._handle = handle
        self.context = context

    def close(self):
        if getattr(self, "_handle", None):
            load_library().custauth_close(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit the library may be gone already
            pass

    def call(self, operation, context=None, **args):
        """Runs any operation of custauth_call by name; returns its JSON result as a dict."""
        if not self._handle:
            raise InvalidInput("this Custauth is closed", code=-1, name="invalid_input")
        return _call(self._handle, operation, args, context or self.context)

    # --- Customers ---
    def create_customer(self, email, firstname, lastname, password=None, context=None, **fields):
        """fields: is_subscribed, confirmed (default True), allow_remote_shopping_assistance."""
        args = dict(fields, email=email, firstname=firstname, lastname=lastname)
        if password is not None:
            args["password"] = password
        return self.call("customer_create", context, **args)["customer"]

    def update_customer(self, email, context=None, **changes):
        return self.call("customer_update", context, email=email, **changes)["customer"]

    def find_customer(self, email, context=None):
        return self.call("customer_find", context, email=email)["customer"]

    def delete_customer(self, email, context=None):
        """Erases the customer (the right to erasure) and returns its id: its secrets and tokens
        go, its tokens stop verifying, its audit records lose email and IP."""
        return self.call("customer_delete", context, email=email)["id"]

    # --- Sign-in and one-time secrets ---
    def generate_customer_token(self, email, password, context=None):
        return self.call("generate_customer_token", context, email=email, password=password)["token"]

    def request_password_reset(self, email, context=None):
        """The reset token to mail, or None for an unknown email."""
        return self.call("request_password_reset", context, email=email)["token"]

    def reset_password(self, email, token, new_password, context=None):
        self.call("reset_password", context, email=email, token=token, new_password=new_password)

    def change_password(self, email, current_password, new_password, context=None):
        self.call("change_password", context, email=email, current_password=current_password,
                  new_password=new_password)

    def issue_otc(self, email, admin_id, reason="", context=None):
        return self.call("issue_otc", context, email=email, admin_id=admin_id, reason=reason)["code"]

    def exchange_otc(self, email, code, context=None):
        return self.call("exchange_otc", context, email=email, code=code)["token"]

    # --- Tokens ---
    def verify_token(self, token):
        """The token's claims: {"uid", "utypid", "iat", "exp", "format", "kid" (JWT only)}.

        The fast path: custauth_verify_token_claims fills a struct, no JSON either way."""
        if not self._handle:
            raise InvalidInput("this Custauth is closed", code=-1, name="invalid_input")
        claims = _Claims()
        claims.version = _CLAIMS_VERSION
        raw = token.encode("utf-8") if isinstance(token, str) else token
        rc = _verify_claims(ctypes.byref(claims), self._handle, raw)
        if rc != 0:
            _raise(rc, None)
        out = {"uid": claims.uid, "utypid": claims.utypid, "iat": claims.iat, "exp": claims.exp,
               "format": "jwt" if claims.format == 0 else "opaque"}
        if claims.kid:
            out["kid"] = claims.kid.decode("ascii")
        return out

    def revoke_customer_tokens(self, email, context=None):
        self.call("revoke_customer_tokens", context, email=email)

    def audit(self, email=None, after_id=0, limit=100, context=None):
        args = {"after_id": after_id, "limit": limit}
        if email is not None:
            args["email"] = email
        return self.call("audit_list", context, **args)["audit"]

    def prune(self, context=None):
        """Removes at once what is past its retention (audit records after the handle's
        audit_retention_days option, default 180, 0 forever); returns the rows removed per table:
        {"rate_events", "rate_buckets", "nonces", "secrets", "opaque_tokens", "audit"}."""
        return self.call("prune", context)["pruned"]

    # --- Integrations and exchangeExternalCustomerToken ---
    def create_integration(self, name, permissions=(), context=None):
        return self.call("integration_create", context, name=name,
                         permissions=list(permissions))["integration"]

    def list_integrations(self):
        return self.call("integration_list")["integrations"]

    def revoke_integration(self, consumer_key, context=None):
        self.call("integration_revoke", context, consumer_key=consumer_key)

    def set_integration_permissions(self, consumer_key, permissions, context=None):
        self.call("integration_set_permissions", context, consumer_key=consumer_key,
                  permissions=list(permissions))

    def import_integration(self, name, consumer_key, consumer_secret, access_token, token_secret,
                           permissions=(), context=None):
        """Stores an integration moved over from the platform with its credentials."""
        return self.call("integration_import", context, name=name, permissions=list(permissions),
                         consumer_key=consumer_key, consumer_secret=consumer_secret,
                         access_token=access_token, token_secret=token_secret)["integration"]

    def import_customers(self, path, on_conflict="skip", strict=False, format="auto",
                         batch_size=5000, context=None):
        """Imports the platform's customer_entity export (CSV or JSON Lines); returns the report
        (see custauth/import.h): report["completed"] is False, with report["error"], when the
        import stopped."""
        return self.call("customer_import", context, path=str(path), on_conflict=on_conflict,
                         strict=strict, format=format, batch_size=batch_size)["report"]

    def import_revocations(self, path, strict=False, format="auto", context=None):
        """Imports the platform's jwt_auth_revoked rows; returns the report."""
        return self.call("revocations_import", context, path=str(path), strict=strict,
                         format=format)["report"]

    def exchange_external_customer_token(self, request, input, context=None):
        """request: {"method", "url", "authorization", "content_type", "body"}; input:
        {"customer": {...}}. Returns the GraphQL response; a refusal raises, with the GraphQL
        error response in the exception's .response."""
        return self.call("exchange_external_customer_token", context, request=request, input=input)

    # --- Test handles only (Custauth.for_tests); a normal handle raises Forbidden ---
    def now(self):
        """The test clock, in ms since the Unix epoch."""
        return self.call("test.now")["now"]

    def set_time(self, ms):
        """Sets the test clock (ms since the Unix epoch); returns it."""
        return self.call("test.set_time", time_ms=int(ms))["now"]

    def advance(self, ms=0, *, seconds=0, minutes=0):
        """Moves the test clock forward; returns it."""
        return self.call("test.advance", ms=int(ms + seconds * 1000 + minutes * 60000))["now"]

    def last_reset_token(self, email, context=None):
        """The last password-reset token this handle issued to the customer (used or not)."""
        return self.call("test.last_reset_token", context, email=email)["token"]

    def last_otc(self, email, context=None):
        """The last admin one-time code this handle issued to the customer (used or not)."""
        return self.call("test.last_otc", context, email=email)["code"]

    def create_customers(self, customers, context=None, **defaults):
        """Fixture customers at once: entries are emails or dicts ("email", "password", "format":
        "current"|"legacy", "legacy_salt", "legacy_versions", "firstname", "lastname",
        "confirmed", "allow_remote_shopping_assistance", ...); defaults (password, format,
        legacy_versions, firstname, lastname) apply to entries without them. Returns the
        customers."""
        return self.call("test.create_customers", context, customers=list(customers),
                         **defaults)["customers"]
