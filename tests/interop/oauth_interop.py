#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# OAuth 1.0a interop with a real client library (oauthlib, Debian's python3-oauthlib), through the
# custauth command-line tool: requests oauthlib signs (HMAC-SHA256 and HMAC-SHA1; parameters in
# the Authorization header, the query string or a form body; with and without a form body) are
# accepted by exchange-external-customer-token, and any change to a signed part, a stale
# timestamp, a replayed nonce or a wrong secret is refused with the right message. oauthlib's
# oauth_body_hash (base64 SHA-1 of a non-form body) binds the JSON body: a body swapped after
# signing is refused, and --require-body-hash refuses a JSON body without one. A signed request
# refused after its signature passed (inactive customer, invalid input) is spent: sent again with
# another customer's email it is refused as a replay.
#
# usage: oauth_interop.py PATH/TO/custauth
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from oauthlib import oauth1

CLI = sys.argv[1] if len(sys.argv) > 1 else "custauth"

SIGNATURE_INVALID = "The signature is invalid. Verify and try again."
NO_PERMISSION = "You do not have permission to access this resource."
FORM = "application/x-www-form-urlencoded"
GRAPHQL_URL = "https://Shop.Example:443/graphql?store=default&lang=en%20US"


def customer_input(email, firstname="Roni", lastname="Cost", **extra):
    c = {"firstname": firstname, "lastname": lastname, "email": email}
    c.update(extra)
    return json.dumps({"customer": c})


def new_email():
    return f"u{uuid.uuid4().hex[:12]}@example.com"


class Shop:
    """A database and key file in a temporary folder, driven through the custauth CLI."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="custauth-oauth-")
        self.db = os.path.join(self.dir.name, "shop.db")
        self.run("init")
        out = self.run("integration", "create", "--name", "Social login", "--permission",
                       "exchange_external_customer_token")
        self.creds = out
        for k in ("consumer_key", "consumer_secret", "access_token", "token_secret"):
            assert len(out[k]) == 32, out

    def run(self, *args, expect=0):
        p = subprocess.run([CLI, "--db", self.db, "--argon2-opslimit", "1",
                            "--argon2-memlimit", "8192", *args],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != expect:
            raise AssertionError(f"custauth {args}: exit {p.returncode}\n{p.stdout}{p.stderr}")
        return json.loads(p.stdout)

    def client(self, **kw):
        args = dict(client_secret=self.creds["consumer_secret"],
                    resource_owner_key=self.creds["access_token"],
                    resource_owner_secret=self.creds["token_secret"],
                    signature_method=oauth1.SIGNATURE_HMAC_SHA256)
        args.update(kw)
        return oauth1.Client(self.creds["consumer_key"], **args)

    def exchange(self, method, url, headers, body, input_json, expect=0, require_body_hash=False):
        args = ["exchange-external-customer-token", "--method", method, "--url", url,
                "--input", input_json]
        if require_body_hash:
            args.append("--require-body-hash")
        if "Authorization" in headers:
            args += ["--authorization", headers["Authorization"]]
        if "Content-Type" in headers:
            args += ["--content-type", headers["Content-Type"]]
        if body is not None:
            args += ["--body", body]
        return self.run(*args, expect=expect)


def sign(client, method="POST", url=GRAPHQL_URL, body=None, content_type=None):
    headers = {"Content-Type": content_type} if content_type else {}
    uri, headers, body = client.sign(url, http_method=method, body=body, headers=headers)
    return method, uri, dict(headers), body


class OAuthInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shop = Shop()

    def assert_refused(self, signed, message, input_json=None):
        method, uri, headers, body = signed
        out = self.shop.exchange(method, uri, headers, body,
                                 input_json or customer_input(new_email()), expect=1)
        self.assertNotIn("data", out)
        self.assertEqual(out["errors"][0]["message"], message)
        return out

    def test_signed_requests_verify(self):
        methods = [oauth1.SIGNATURE_HMAC_SHA256, oauth1.SIGNATURE_HMAC_SHA1]
        placements = [oauth1.SIGNATURE_TYPE_AUTH_HEADER, oauth1.SIGNATURE_TYPE_QUERY]
        bodies = [(None, None), ("a3=2+q&c2=&name=J%C3%BCrgen&tilde=~", FORM),
                  ('{"query":"mutation { exchangeExternalCustomerToken }"}', "application/json")]
        for sig_method in methods:
            for placement in placements:
                for body, content_type in bodies:
                    with self.subTest(method=sig_method, placement=placement, body=body):
                        client = self.shop.client(signature_method=sig_method,
                                                  signature_type=placement, realm="shop")
                        method, uri, headers, signed_body = sign(client, "POST", GRAPHQL_URL,
                                                                 body, content_type)
                        email = new_email()
                        out = self.shop.exchange(method, uri, headers, signed_body,
                                                 customer_input(email, is_subscribed=True))
                        result = out["data"]["exchangeExternalCustomerToken"]
                        self.assertEqual(list(result["customer"].keys()),
                                         ["email", "firstname", "lastname", "is_subscribed"])
                        self.assertEqual(result["customer"]["email"], email)
                        self.assertTrue(result["customer"]["is_subscribed"])
                        self.assertEqual(len(result["token"].split(".")), 3)
        # Parameters in a form body (oauthlib's SIGNATURE_TYPE_BODY).
        client = self.shop.client(signature_type=oauth1.SIGNATURE_TYPE_BODY)
        signed = sign(client, "POST", GRAPHQL_URL, "x=1", FORM)
        self.assertIn("oauth_signature=", signed[3])
        out = self.shop.exchange(*signed, customer_input(new_email()))
        self.assertIn("data", out)
        # A GET, and a URL with a non-default port and an encoded path.
        signed = sign(self.shop.client(), "GET", "http://shop.example:8080/gr%61ph%20ql?q=%7E")
        self.assertIn("data", self.shop.exchange(*signed, customer_input(new_email())))

    def test_same_email_finds_the_customer(self):
        email = new_email()
        first = self.shop.exchange(*sign(self.shop.client()), customer_input(email))
        again = self.shop.exchange(*sign(self.shop.client()),
                                   customer_input(email.upper(), firstname="Other"))
        c1 = first["data"]["exchangeExternalCustomerToken"]["customer"]
        c2 = again["data"]["exchangeExternalCustomerToken"]["customer"]
        self.assertEqual(c1, c2)
        self.assertEqual(c2["firstname"], "Roni")
        token = again["data"]["exchangeExternalCustomerToken"]["token"]
        shown = self.shop.run("customer", "show", "--email", email)["customer"]
        self.assertEqual(self.shop.run("token", "verify", token)["uid"], shown["id"])
        self.assertFalse(shown["has_password"])
        self.assertTrue(shown["confirmed"])

    def test_altering_a_signed_part_is_refused(self):
        client = self.shop.client(realm="shop")
        base = sign(client, "POST", GRAPHQL_URL, "a=1&b=two", FORM)
        method, uri, headers, body = base

        def altered_header(name, value):
            h = dict(headers)
            auth = h["Authorization"]
            start = auth.index(name + '="') + len(name) + 2
            h["Authorization"] = auth[:start] + value + auth[auth.index('"', start):]
            return h

        cases = {
            "method": ("PUT", uri, headers, body),
            "path": (method, uri.replace("/graphql", "/graphq1"), headers, body),
            "host": (method, uri.replace("Shop.Example", "shop.example.org"), headers, body),
            "scheme": (method, uri.replace("https://", "http://"), headers, body),
            "port": (method, uri.replace(":443", ":8443"), headers, body),
            "query value": (method, uri.replace("store=default", "store=admin"), headers, body),
            "query added": (method, uri + "&extra=1", headers, body),
            "body value": (method, uri, headers, "a=1&b=three"),
            "body added": (method, uri, headers, body + "&c=3"),
            "body dropped": (method, uri, headers, "a=1"),
            "form became json": (method, uri, dict(headers, **{"Content-Type": "text/plain"}),
                                 body),
            "oauth_timestamp": (method, uri,
                                altered_header("oauth_timestamp", str(int(time.time()) - 1)),
                                body),
            "oauth_nonce": (method, uri, altered_header("oauth_nonce", "another-nonce"), body),
            "oauth_version absent": (method, uri, dict(
                headers, Authorization=headers["Authorization"].replace(
                    'oauth_version="1.0", ', "")), body),
        }
        for name, signed in cases.items():
            with self.subTest(name):
                self.assert_refused(signed, SIGNATURE_INVALID)
        # realm is not signed: changing it changes nothing, and the untouched request still
        # verifies (none of the refusals burnt its nonce).
        self.assertIn("data", self.shop.exchange(method, uri, altered_header("realm", "other"),
                                                 body, customer_input(new_email())))

    def test_query_signed_tampering(self):
        client = self.shop.client(signature_type=oauth1.SIGNATURE_TYPE_QUERY,
                                  signature_method=oauth1.SIGNATURE_HMAC_SHA1)
        method, uri, headers, body = sign(client, "GET", "https://shop.example/graphql?x=1")
        self.assert_refused((method, uri.replace("x=1", "x=2"), headers, body), SIGNATURE_INVALID)
        self.assert_refused((method, uri.replace("oauth_nonce=", "oauth_nonce=1"), headers, body),
                            SIGNATURE_INVALID)
        self.assertIn("data", self.shop.exchange(method, uri, headers, body,
                                                 customer_input(new_email())))

    def test_wrong_secrets(self):
        for kw in ({"client_secret": "0" * 32}, {"resource_owner_secret": "0" * 32}):
            with self.subTest(kw):
                self.assert_refused(sign(self.shop.client(**kw)), SIGNATURE_INVALID)
        self.assert_refused(sign(self.shop.client(resource_owner_key="0" * 32)), NO_PERMISSION)
        unknown = oauth1.Client("0" * 32, client_secret=self.shop.creds["consumer_secret"],
                                resource_owner_key=self.shop.creds["access_token"],
                                resource_owner_secret=self.shop.creds["token_secret"])
        self.assert_refused(sign(unknown), NO_PERMISSION)

    def test_stale_and_future_timestamps(self):
        now = int(time.time())
        self.assert_refused(sign(self.shop.client(timestamp=str(now - 700))),
                            "Incorrect timestamp value in the oauth_timestamp parameter")
        self.assert_refused(sign(self.shop.client(timestamp=str(now + 700))),
                            "Incorrect timestamp value in the oauth_timestamp parameter")
        signed = sign(self.shop.client(timestamp=str(now - 500)))
        self.assertIn("data", self.shop.exchange(*signed, customer_input(new_email())))

    def test_replayed_nonce(self):
        signed = sign(self.shop.client())
        email = new_email()
        self.assertIn("data", self.shop.exchange(*signed, customer_input(email)))
        self.assert_refused(signed, "The nonce is already being used by the consumer")
        # A request refused for its input, once its signature passed, is spent.
        signed = sign(self.shop.client())
        self.assert_refused(signed, "Field CustomerCreateInput.email of required type String! "
                            "was not provided", input_json='{"customer":{"firstname":"A",'
                            '"lastname":"B"}}')
        self.assert_refused(signed, "The nonce is already being used by the consumer",
                            input_json=customer_input(new_email()))
        # One refused before its signature passed is not.
        method, uri, headers, body = sign(self.shop.client())
        self.assert_refused(("PUT", uri, headers, body), SIGNATURE_INVALID)
        self.assertIn("data", self.shop.exchange(method, uri, headers, body,
                                                 customer_input(new_email())))

    def last_refusal(self):
        rows = self.shop.run("audit", "list", "--limit", "100000")["audit"]
        refused = [r for r in rows if r["event"] == "exchange.refused"]
        self.assertTrue(refused)
        return refused[-1]

    def test_refused_after_signature_is_spent_and_audited(self):
        victim = new_email()
        # An invalid email from a correctly signed integration.
        signed = sign(self.shop.client())
        self.assert_refused(signed, '"Email" is not a valid email address.',
                            input_json=customer_input("victim@"))
        row = self.last_refusal()
        self.assertEqual(row["actor"], "integration:" + self.shop.creds["consumer_key"])
        self.assertEqual(row["detail"]["why"], "input")
        self.assertEqual(row["detail"]["email"], "victim@")
        self.assert_refused(signed, "The nonce is already being used by the consumer",
                            input_json=customer_input(victim))
        self.assertEqual(self.last_refusal()["detail"]["email"], victim)
        # An inactive customer.
        inactive = new_email()
        self.assertIn("data", self.shop.exchange(*sign(self.shop.client()),
                                                 customer_input(inactive)))
        self.shop.run("customer", "update", "--email", inactive, "--active", "false")
        signed = sign(self.shop.client())
        self.assert_refused(signed, "The account sign-in was incorrect or your account is "
                            "disabled temporarily. Please wait and try again later.",
                            input_json=customer_input(inactive))
        self.assertEqual(self.last_refusal()["detail"]["why"], "inactive")
        self.assert_refused(signed, "The nonce is already being used by the consumer",
                            input_json=customer_input(victim))
        self.shop.run("customer", "show", "--email", victim, expect=1)
        # A signed request with a stale timestamp is audited too.
        stale = sign(self.shop.client(timestamp=str(int(time.time()) - 700)))
        self.assert_refused(stale, "Incorrect timestamp value in the oauth_timestamp parameter",
                            input_json=customer_input(victim))
        row = self.last_refusal()
        self.assertEqual(row["detail"]["why"], "timestamp")
        self.assertEqual(row["detail"]["email"], victim)

    def test_body_hash(self):
        victim = new_email()
        graphql = '{"query":"mutation($i: ExchangeExternalCustomerTokenInput!) {...}",' \
                  '"variables":{"i":%s}}'
        # oauthlib adds oauth_body_hash to a JSON body.
        email = new_email()
        method, uri, headers, body = sign(self.shop.client(), "POST", GRAPHQL_URL,
                                          graphql % customer_input(email), "application/json")
        self.assertIn("oauth_body_hash=", headers["Authorization"])
        # The same header with a victim's body and input: refused, and the genuine request
        # still goes through (the tampered one did not spend its nonce).
        self.assert_refused((method, uri, headers, graphql % customer_input(victim)),
                            SIGNATURE_INVALID, input_json=customer_input(victim))
        self.assertEqual(self.last_refusal()["detail"]["why"], "body_hash")
        out = self.shop.exchange(method, uri, headers, body, customer_input(email),
                                 require_body_hash=True)
        self.assertEqual(out["data"]["exchangeExternalCustomerToken"]["customer"]["email"], email)
        self.shop.run("customer", "show", "--email", victim, expect=1)
        # A JSON body signed without one (oauthlib adds none when it is not told the content
        # type): accepted by default, refused with --require-body-hash.
        json_body = graphql % customer_input(new_email())
        for strict, expect in ((True, 1), (False, 0)):
            with self.subTest(require_body_hash=strict):
                method, uri, headers, body = sign(self.shop.client(), "POST", GRAPHQL_URL,
                                                  json_body)
                self.assertNotIn("oauth_body_hash", headers["Authorization"])
                headers = dict(headers, **{"Content-Type": "application/json"})
                out = self.shop.exchange(method, uri, headers, body, customer_input(new_email()),
                                         expect=expect, require_body_hash=strict)
                if strict:
                    self.assertEqual(out["errors"][0]["message"], SIGNATURE_INVALID)
                else:
                    self.assertIn("data", out)
        # A form body is signed by its parameters: accepted with --require-body-hash.
        signed = sign(self.shop.client(), "POST", GRAPHQL_URL, "a=1", FORM)
        self.assertIn("data", self.shop.exchange(*signed, customer_input(new_email()),
                                                 require_body_hash=True))

    def test_url_edges(self):
        # oauthlib signs https://shop.example/graphql#?a=1 without a query; custauth agrees.
        signed = sign(self.shop.client(), "GET", "https://shop.example/graphql#?a=1")
        self.assertIn("data", self.shop.exchange(*signed, customer_input(new_email())))
        # Signed over ?a=1, sent as #?a=1: the signed query is missing.
        method, uri, headers, body = sign(self.shop.client(), "GET",
                                          "https://shop.example/graphql?a=1")
        self.assert_refused((method, "https://shop.example/graphql#?a=1", headers, body),
                            SIGNATURE_INVALID)
        # Port 0443 is https's default, for oauthlib and custauth alike.
        for url in ("https://shop.example:0443/graphql", "http://shop.example:080/graphql",
                    "https://shop.example:08443/graphql"):
            with self.subTest(url):
                signed = sign(self.shop.client(), "POST", url)
                self.assertIn("data", self.shop.exchange(*signed, customer_input(new_email())))

    def test_unsupported_method_and_version(self):
        plaintext = self.shop.client(signature_method=oauth1.SIGNATURE_PLAINTEXT)
        self.assert_refused(sign(plaintext), "Signature method PLAINTEXT is not supported")
        method, uri, headers, body = sign(self.shop.client())
        headers = dict(headers, Authorization=headers["Authorization"].replace(
            'oauth_version="1.0"', 'oauth_version="2.0"'))
        self.assert_refused((method, uri, headers, body), 'OAuth version "2.0" is not supported')

    def test_permission_and_revocation(self):
        shop = Shop()
        self.addCleanup(shop.dir.cleanup)
        key = shop.creds["consumer_key"]
        shop.run("integration", "set-permissions", "--consumer-key", key)
        out = shop.exchange(*sign(shop.client()), customer_input(new_email()), expect=1)
        self.assertEqual(out["errors"][0]["message"], NO_PERMISSION)
        self.assertEqual(out["errors"][0]["extensions"]["category"], "graphql-authorization")
        shop.run("integration", "set-permissions", "--consumer-key", key, "--permission",
                 "exchange_external_customer_token")
        self.assertIn("data", shop.exchange(*sign(shop.client()), customer_input(new_email())))
        listed = shop.run("integration", "list")["integrations"]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("consumer_secret", json.dumps(listed))
        self.assertNotIn(shop.creds["consumer_secret"], json.dumps(listed))
        shop.run("integration", "revoke", "--consumer-key", key)
        out = shop.exchange(*sign(shop.client()), customer_input(new_email()), expect=1)
        self.assertEqual(out["errors"][0]["message"], NO_PERMISSION)
        self.assertFalse(shop.run("integration", "list")["integrations"][0]["active"])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
