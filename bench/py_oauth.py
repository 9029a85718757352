#!/usr/bin/env python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""The peer of exchangeExternalCustomerToken: oauthlib's server-side verification (ResourceEndpoint,
RFC 5849) of the same kind of request custauth_bench_exchange verifies — a POST to
https://shop.example/graphql with a JSON body, signed with HMAC-SHA256 by a consumer key/secret and
an access token/secret of 32 characters, each request with its own nonce. The validator keeps the
nonces in memory (oauthlib does no storage of its own), so this is a CPU-only floor for it.

Usage: py_oauth.py [N [SECONDS]]. Prints one JSON object: {"oauthlib_verify_per_s": ..., "n": ...},
and with SECONDS, "scaling": 1 process against 2 processes (bench/py_scaling.py), each process
verifying requests it signed beforehand (SECONDS per run).
"""
import json
import secrets
import string
import sys
import time

from oauthlib.oauth1 import Client, RequestValidator, ResourceEndpoint, SIGNATURE_HMAC_SHA256

import py_scaling  # bench/py_scaling.py

URL = "https://shop.example/graphql"
BODY = '{"query":"mutation { exchangeExternalCustomerToken(input: $input) { token } }"}'
ALPHABET = string.ascii_letters + string.digits


def cred():
    return "".join(secrets.choice(ALPHABET) for _ in range(32))


CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, TOKEN_SECRET = cred(), cred(), cred(), cred()


class Validator(RequestValidator):
    """What a host must supply to oauthlib: credential lookups and a nonce store."""

    def __init__(self):
        super().__init__()
        self.nonces = set()

    @property
    def client_key_length(self):
        return 32, 32

    @property
    def access_token_length(self):
        return 32, 32

    @property
    def nonce_length(self):
        return 1, 255

    @property
    def enforce_ssl(self):
        return True

    @property
    def allowed_signature_methods(self):
        return ("HMAC-SHA256", "HMAC-SHA1")

    @property
    def dummy_client(self):
        return "dummy_client_key_000000000000000"

    @property
    def dummy_access_token(self):
        return "dummy_access_token_0000000000000"

    def validate_client_key(self, client_key, request):
        return client_key == CONSUMER_KEY

    def get_client_secret(self, client_key, request):
        return CONSUMER_SECRET if client_key == CONSUMER_KEY else "dummy"

    def validate_access_token(self, client_key, token, request):
        return token == ACCESS_TOKEN

    def get_access_token_secret(self, client_key, token, request):
        return TOKEN_SECRET if token == ACCESS_TOKEN else "dummy"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request,
                                     request_token=None, access_token=None):
        key = (client_key, nonce)
        if key in self.nonces:
            return False
        self.nonces.add(key)
        return True

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    client = Client(CONSUMER_KEY, client_secret=CONSUMER_SECRET, resource_owner_key=ACCESS_TOKEN,
                    resource_owner_secret=TOKEN_SECRET, signature_method=SIGNATURE_HMAC_SHA256)
    requests = []
    for _ in range(n):
        uri, headers, body = client.sign(URL, http_method="POST", body=BODY,
                                         headers={"Content-Type": "application/json"})
        requests.append((uri, headers, body))
    endpoint = ResourceEndpoint(Validator())
    valid, _ = endpoint.validate_protected_resource_request(*requests[0][:1], http_method="POST",
                                                            body=requests[0][2],
                                                            headers=requests[0][1])
    if not valid:
        sys.exit("oauthlib refuses the signed request")
    replay, _ = endpoint.validate_protected_resource_request(requests[0][0], http_method="POST",
                                                             body=requests[0][2],
                                                             headers=requests[0][1])
    if replay:
        sys.exit("oauthlib accepted a replayed nonce")
    t0 = time.perf_counter()
    for uri, headers, body in requests[1:]:
        ok, _ = endpoint.validate_protected_resource_request(uri, http_method="POST", body=body,
                                                             headers=headers)
        if not ok:
            sys.exit("oauthlib refused a request")
    dt = time.perf_counter() - t0
    result = {"oauthlib_verify_per_s": (n - 1) / dt, "n": n - 1}
    if seconds > 0:
        per_run = int(seconds * 15000)  # more than one process verifies in SECONDS here
        result["scaling"] = py_scaling.scaling({"oauthlib": lambda: verifier(client, per_run)}, seconds,
                                               threads=False)["oauthlib"]
    print(json.dumps(result))


def verifier(client, n):
    """A callable verifying the next of n requests signed now (StopIteration after the last)."""
    endpoint = ResourceEndpoint(Validator())
    pending = iter([client.sign(URL, http_method="POST", body=BODY,
                                headers={"Content-Type": "application/json"}) for _ in range(n)])

    def verify():
        uri, headers, body = next(pending)
        ok, _ = endpoint.validate_protected_resource_request(uri, http_method="POST", body=body,
                                                             headers=headers)
        if not ok:
            raise RuntimeError("oauthlib refused a request")
    return verify


if __name__ == "__main__":
    main()
