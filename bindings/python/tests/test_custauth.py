# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""The seed flows through the Python package (ctypes over custauth_call).

Run against the installed package (tests/capi/python_package_test.sh does, in a fresh venv):
CUSTAUTH_LIBRARY=build/dev/libcustauth.so python -m pytest bindings/python/tests
"""

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
import unittest
import urllib.parse

import custauth

SIGN_IN = ("The account sign-in was incorrect or your account is disabled temporarily. "
           "Please wait and try again later.")
CHEAP = {"argon2_opslimit": 1, "argon2_memlimit": 8192}


def pct(s):
    return urllib.parse.quote(s, safe="-._~")


def oauth_header(method, url, creds, params=None, nonce=None, timestamp=None):
    """An RFC 5849 Authorization header signed with HMAC-SHA256."""
    oauth = {
        "oauth_consumer_key": creds["consumer_key"],
        "oauth_token": creds["access_token"],
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": str(int(timestamp if timestamp is not None else time.time())),
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_version": "1.0",
    }
    pairs = sorted((pct(k), pct(v)) for k, v in list(oauth.items()) + list((params or {}).items()))
    normalized = "&".join("%s=%s" % kv for kv in pairs)
    base = "&".join([method.upper(), pct(url), pct(normalized)])
    key = pct(creds["consumer_secret"]) + "&" + pct(creds["token_secret"])
    oauth["oauth_signature"] = base64.b64encode(
        hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    return "OAuth " + ", ".join('%s="%s"' % (k, pct(v)) for k, v in oauth.items())


class SeedFlows(unittest.TestCase):
    def setUp(self):
        self.auth = custauth.Custauth("memory:", **CHEAP)
        self.customer = self.auth.create_customer("roni_cost@example.com", "Veronica", "Costello",
                                                  password="Password123")

    def tearDown(self):
        self.auth.close()

    def test_version(self):
        self.assertRegex(custauth.library_version(), r"^\d+\.\d+\.\d+$")

    def test_generate_customer_token_with_password(self):
        token = self.auth.generate_customer_token("roni_cost@example.com", "Password123")
        self.assertTrue(token.startswith("eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ."))
        claims = self.auth.verify_token(token)
        self.assertEqual(claims["uid"], self.customer["id"])
        self.assertEqual(claims["utypid"], 3)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)

    def test_wrong_password_message(self):
        with self.assertRaises(custauth.AuthenticationFailed) as cm:
            self.auth.generate_customer_token("roni_cost@example.com", "Wrong123!")
        self.assertEqual(str(cm.exception), SIGN_IN)
        self.assertEqual(cm.exception.code, -4)
        self.assertEqual(cm.exception.category, "graphql-authentication")
        # An unknown email gets the very same answer.
        with self.assertRaises(custauth.AuthenticationFailed) as cm:
            self.auth.generate_customer_token("nobody@example.com", "Password123")
        self.assertEqual(str(cm.exception), SIGN_IN)

    def test_input_messages(self):
        with self.assertRaises(custauth.InvalidInput) as cm:
            self.auth.generate_customer_token("", "Password123")
        self.assertEqual(str(cm.exception), 'Specify the "email" value.')
        with self.assertRaises(custauth.InvalidInput) as cm:
            self.auth.generate_customer_token("roni_cost@example.com", "")
        self.assertEqual(str(cm.exception), 'Specify the "password" value.')
        with self.assertRaises(custauth.InvalidInput) as cm:
            self.auth.create_customer("not an email", "A", "B")
        self.assertEqual(str(cm.exception), '"Email" is not a valid email address.')
        with self.assertRaises(custauth.InvalidInput):
            self.auth.call("no_such_operation")
        with self.assertRaises(custauth.InvalidInput):
            self.auth.call("customer_find", email="roni_cost@example.com", typo=1)

    def test_unconfirmed_message(self):
        self.auth.create_customer("new@example.com", "N", "C", password="Password123",
                                  confirmed=False)
        with self.assertRaises(custauth.NotConfirmed) as cm:
            self.auth.generate_customer_token("new@example.com", "Password123")
        self.assertEqual(str(cm.exception), "This account isn't confirmed. Verify and try again.")
        with self.assertRaises(custauth.AuthenticationFailed):
            self.auth.generate_customer_token("new@example.com", "Wrong123!")

    def test_reset_token_login(self):
        reset = self.auth.request_password_reset("roni_cost@example.com")
        self.assertEqual(len(reset), 32)
        token = self.auth.generate_customer_token("roni_cost@example.com", reset)
        self.assertEqual(self.auth.verify_token(token)["uid"], self.customer["id"])
        with self.assertRaises(custauth.AuthenticationFailed):  # one-time
            self.auth.generate_customer_token("roni_cost@example.com", reset)
        self.assertIsNone(self.auth.request_password_reset("nobody@example.com"))
        with self.assertRaises(custauth.RateLimited):
            self.auth.request_password_reset("roni_cost@example.com")

    def test_reset_password(self):
        self.auth.create_customer("reset@example.com", "R", "S", password="Password123")
        old = self.auth.generate_customer_token("reset@example.com", "Password123")
        reset = self.auth.request_password_reset("reset@example.com")
        with self.assertRaises(custauth.InvalidInput) as cm:
            self.auth.reset_password("reset@example.com", "x" * 32, "NewPassword456")
        self.assertEqual(str(cm.exception),
                         "The password token is mismatched. Reset and try again.")
        self.auth.reset_password("reset@example.com", reset, "NewPassword456")
        with self.assertRaises(custauth.InvalidToken):  # reset revokes the old tokens
            self.auth.verify_token(old)
        self.auth.generate_customer_token("reset@example.com", "NewPassword456")
        with self.assertRaises(custauth.InvalidInput) as cm:
            self.auth.reset_password("", reset, "NewPassword456")
        self.assertEqual(str(cm.exception), "You must specify an email address.")
        # change_password: the platform's messages (DOMAIN.md, "Password change").
        for current, new, error, message in (
                ("", "Changed789x", custauth.InvalidInput, 'Specify the "currentPassword" value.'),
                ("NewPassword456", "", custauth.InvalidInput, 'Specify the "newPassword" value.'),
                ("Wrong456xyz", "Changed789x", custauth.AuthenticationFailed,
                 "Invalid login or password.")):
            with self.assertRaises(error) as cm:
                self.auth.change_password("reset@example.com", current, new)
            self.assertEqual(str(cm.exception), message)
        self.auth.change_password("reset@example.com", "NewPassword456", "Changed789x")
        self.auth.generate_customer_token("reset@example.com", "Changed789x")

    def test_otc_issue_and_exchange(self):
        admin = {"actor": "admin:7", "client_ip": "203.0.113.7"}
        with self.assertRaises(custauth.Forbidden) as cm:
            self.auth.issue_otc("roni_cost@example.com", 7, "ticket 42", context=admin)
        self.assertEqual(str(cm.exception),
                         "Login as Customer assistance is disabled for this Customer.")
        self.auth.update_customer("roni_cost@example.com", allow_remote_shopping_assistance=True)
        code = self.auth.issue_otc("roni_cost@example.com", 7, "ticket 42", context=admin)
        self.assertRegex(code, r"^[0-9a-f]{32}$")
        token = self.auth.exchange_otc("roni_cost@example.com", code)
        self.assertEqual(self.auth.verify_token(token)["uid"], self.customer["id"])
        with self.assertRaises(custauth.AuthenticationFailed):
            self.auth.exchange_otc("roni_cost@example.com", code)
        # Through generateCustomerToken too; a newer code voids the older one.
        older = self.auth.issue_otc("roni_cost@example.com", 7, "again", context=admin)
        newer = self.auth.issue_otc("roni_cost@example.com", 7, "again", context=admin)
        with self.assertRaises(custauth.AuthenticationFailed):
            self.auth.generate_customer_token("roni_cost@example.com", older)
        self.auth.generate_customer_token("roni_cost@example.com", newer)
        events = [r["event"] for r in self.auth.audit("roni_cost@example.com")]
        self.assertTrue(any(e.startswith("otc.") for e in events), events)

    def test_verify_and_revoke(self):
        token = self.auth.generate_customer_token("roni_cost@example.com", "Password123")
        self.auth.verify_token(token)
        self.auth.revoke_customer_tokens("roni_cost@example.com")
        with self.assertRaises(custauth.InvalidToken):
            self.auth.verify_token(token)
        with self.assertRaises(custauth.InvalidToken):
            self.auth.verify_token("garbage")
        with self.assertRaises(custauth.NotFound):
            self.auth.revoke_customer_tokens("nobody@example.com")
        fresh = self.auth.generate_customer_token("roni_cost@example.com", "Password123")
        self.auth.verify_token(fresh)

    def test_threads_share_one_handle(self):
        errors = []

        def work():
            try:
                for _ in range(10):
                    t = self.auth.generate_customer_token("roni_cost@example.com", "Password123")
                    self.auth.verify_token(t)
                    with self.assertRaises(custauth.InvalidToken):
                        self.auth.verify_token("garbage")
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class ExternalCustomerToken(unittest.TestCase):
    URL = "https://shop.example/graphql"

    def setUp(self):
        self.auth = custauth.Custauth("memory:", **CHEAP)
        self.creds = self.auth.create_integration(
            "social login", ["exchange_external_customer_token"])

    def tearDown(self):
        self.auth.close()

    def request(self, creds=None, **kw):
        return {"method": "POST", "url": self.URL, "content_type": "application/json",
                "authorization": oauth_header("POST", self.URL, creds or self.creds, **kw)}

    def test_exchange_creates_then_finds(self):
        customer = {"email": "social@example.com", "firstname": "So", "lastname": "Cial"}
        response = self.auth.exchange_external_customer_token(self.request(),
                                                              {"customer": customer})
        result = response["data"]["exchangeExternalCustomerToken"]
        self.assertEqual(result["customer"]["email"], "social@example.com")
        self.assertEqual(result["customer"]["is_subscribed"], False)
        claims = self.auth.verify_token(result["token"])
        self.assertEqual(claims["uid"], self.auth.find_customer("social@example.com")["id"])
        again = self.auth.exchange_external_customer_token(self.request(), {"customer": customer})
        self.assertEqual(self.auth.verify_token(
            again["data"]["exchangeExternalCustomerToken"]["token"])["uid"], claims["uid"])

    def test_refusals(self):
        customer = {"email": "social@example.com", "firstname": "So", "lastname": "Cial"}
        # A replayed nonce.
        request = self.request(nonce="n" * 16)
        self.auth.exchange_external_customer_token(request, {"customer": customer})
        with self.assertRaises(custauth.Forbidden) as cm:
            self.auth.exchange_external_customer_token(request, {"customer": customer})
        self.assertIn("errors", cm.exception.response)
        # A wrong secret.
        wrong = dict(self.creds, consumer_secret="x" * 32)
        with self.assertRaises(custauth.Forbidden):
            self.auth.exchange_external_customer_token(self.request(wrong), {"customer": customer})
        # The input's own messages.
        with self.assertRaises(custauth.InvalidInput) as cm:
            self.auth.exchange_external_customer_token(
                self.request(), {"customer": {"email": "a@example.com", "firstname": "A"}})
        self.assertEqual(str(cm.exception), "Field CustomerCreateInput.lastname of required type "
                                            "String! was not provided")
        # Without the permission.
        self.auth.set_integration_permissions(self.creds["consumer_key"], [])
        with self.assertRaises(custauth.Forbidden) as cm:
            self.auth.exchange_external_customer_token(self.request(), {"customer": customer})
        self.assertEqual(str(cm.exception), "You do not have permission to access this resource.")
        listed = self.auth.list_integrations()
        self.assertEqual(listed[0]["consumer_key"], self.creds["consumer_key"])
        self.auth.revoke_integration(self.creds["consumer_key"])
        self.assertFalse(self.auth.list_integrations()[0]["active"])


class SqliteHandles(unittest.TestCase):
    def test_two_handles_share_a_database(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "shop.db")
            keys = custauth.generate_keys()
            self.assertEqual(keys["version"], 1)
            with self.assertRaises(custauth.NotFound):  # no key file beside the database
                custauth.Custauth(path, **CHEAP)
            options = dict(CHEAP, keys=keys, revocation_refresh_ms=-1, sqlite_synchronous=1)
            with custauth.Custauth(path, **options) as a, custauth.Custauth(path, **options) as b:
                a.create_customer("roni_cost@example.com", "Veronica", "Costello",
                                  password="Password123")
                token = b.generate_customer_token("roni_cost@example.com", "Password123")
                a.verify_token(token)
                a.revoke_customer_tokens("roni_cost@example.com")
                with self.assertRaises(custauth.InvalidToken):
                    b.verify_token(token)
            with self.assertRaises(custauth.InvalidInput):
                custauth.Custauth(path, keys=keys, no_such_option=1)


class PlatformImport(unittest.TestCase):
    """Customers, revocations and an integration moved over from the platform."""

    def test_import_customers_revocations_and_an_integration(self):
        salt = "abcdefghijklmnopqrstuvwxyzABCDEF"
        legacy = hashlib.sha256((salt + "Password123").encode()).hexdigest() + ":" + salt + ":1"
        with tempfile.TemporaryDirectory() as tmp, custauth.Custauth("memory:", **CHEAP) as auth:
            path = os.path.join(tmp, "customer_entity.csv")
            with open(path, "w") as f:
                f.write("entity_id,website_id,email,firstname,lastname,password_hash,"
                        "confirmation,is_active,created_at\n")
                f.write("6,1,roni_cost@example.com,Veronica,Costello,%s,\\N,1,"
                        "2021-02-02 01:07:13\n" % legacy)
                f.write("7,1,not-an-email,Bad,Row,,,1,\n")
            report = auth.import_customers(path)
            self.assertTrue(report["completed"])
            self.assertEqual((report["created"], report["rejected"]), (1, 1))
            self.assertEqual(report["errors"][0]["line"], 3)
            self.assertEqual(auth.import_customers(path)["skipped"], 1)  # idempotent
            token = auth.generate_customer_token("roni_cost@example.com", "Password123")
            self.assertEqual(auth.verify_token(token)["uid"], 6)
            self.assertEqual(auth.find_customer("roni_cost@example.com")["password_format"],
                             "argon2id")

            revocations = os.path.join(tmp, "jwt_auth_revoked.csv")
            with open(revocations, "w") as f:
                f.write("user_type_id,user_id,revoke_before\n3,6,%d\n2,1,1\n" % (time.time() + 5))
            report = auth.import_revocations(revocations)
            self.assertEqual((report["revoked"], report["skipped_user_types"]), (1, 1))
            with self.assertRaises(custauth.InvalidToken):
                auth.verify_token(token)

            missing = auth.import_customers(os.path.join(tmp, "nope.csv"))
            self.assertFalse(missing["completed"])
            self.assertEqual(missing["error"]["code"], "not_found")

            creds = {k: secrets.token_hex(16) for k in
                     ("consumer_key", "consumer_secret", "access_token", "token_secret")}
            integration = auth.import_integration(
                "Social login", permissions=["exchange_external_customer_token"], **creds)
            self.assertEqual(integration["consumer_key"], creds["consumer_key"])
            url = "https://shop.example/graphql"
            result = auth.exchange_external_customer_token(
                {"method": "POST", "url": url, "authorization": oauth_header("POST", url, creds)},
                {"customer": {"email": "new@example.com", "firstname": "N", "lastname": "W"}})
            self.assertIn("token", result["data"]["exchangeExternalCustomerToken"])


class CustomerErasure(unittest.TestCase):
    def test_delete_customer(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "shop.db")
            options = dict(CHEAP, keys=custauth.generate_keys(), revocation_refresh_ms=-1)
            ctx = {"client_ip": "198.51.100.23"}
            with custauth.Custauth(path, **options) as a, custauth.Custauth(path, **options) as b:
                created = a.create_customer("Erin.Erase@example.com", "Erin", "Erase",
                                            password="Password123", context=ctx)
                token = a.generate_customer_token("erin.erase@example.com", "Password123",
                                                  context=ctx)
                b.verify_token(token)  # b has the customer in its cache
                self.assertEqual(a.delete_customer("ERIN.ERASE@example.com"), created["id"])
                for handle in (a, b):
                    with self.assertRaises(custauth.InvalidToken):
                        handle.verify_token(token)
                    with self.assertRaises(custauth.NotFound):
                        handle.find_customer("erin.erase@example.com")
                with self.assertRaises(custauth.NotFound):
                    a.delete_customer("erin.erase@example.com")
                with self.assertRaises(custauth.InvalidInput):
                    a.delete_customer("")
                records = a.audit()
                self.assertEqual(records[-1]["event"], "customer.delete")
                self.assertEqual(records[-1]["customer_id"], created["id"])
                dump = repr(records).lower()
                self.assertNotIn("erin.erase@example.com", dump)
                self.assertNotIn("198.51.100.23", dump)
                self.assertIn("login.success", [r["event"] for r in records])
                # The email is free again, for a new customer.
                a.create_customer("erin.erase@example.com", "Erin", "Erase")
class Retention(unittest.TestCase):
    def test_prune_after_the_audit_retention(self):
        auth = custauth.Custauth.for_tests(seed=23, audit_retention_days=1)
        try:
            auth.request_password_reset("nobody@example.com", {"client_ip": "203.0.113.7"})
            with self.assertRaises(custauth.AuthenticationFailed):
                auth.generate_customer_token("nobody@example.com", "Wrong-Password-1")
            self.assertEqual(auth.prune()["audit"], 0)
            auth.advance(minutes=2 * 24 * 60)
            pruned = auth.prune()
            self.assertEqual(pruned["audit"], 1)
            self.assertEqual(pruned["rate_buckets"], 2)
            self.assertEqual(auth.audit(), [])
        finally:
            auth.close()

    def test_retention_option_is_checked(self):
        with self.assertRaises(custauth.InvalidInput):
            custauth.Custauth.for_tests(audit_retention_days=36601)


if __name__ == "__main__":
    unittest.main()


class Sessions(unittest.TestCase):
    def setUp(self):
        self.auth = custauth.Custauth.for_tests(sessions=True)
        self.auth.create_customer("roni_cost@example.com", "Veronica", "Costello",
                                  password="Password123")

    def tearDown(self):
        self.auth.close()

    def test_two_devices_one_signed_out(self):
        phone = self.auth.sign_in("roni_cost@example.com", "Password123",
                                  context={"client_ip": "198.51.100.1"})
        self.auth.advance(seconds=60)
        laptop = self.auth.sign_in("roni_cost@example.com", "Password123")
        self.assertGreater(phone["session_id"], 0)
        self.assertGreater(laptop["session_id"], phone["session_id"])
        self.assertIsInstance(laptop["expires_at"], int)
        claims = self.auth.verify_token(laptop["token"])
        self.assertEqual(claims["sid"], laptop["session_id"])
        self.assertEqual(claims["exp"], laptop["expires_at"])
        sessions = self.auth.list_sessions("roni_cost@example.com")
        self.assertEqual([s["id"] for s in sessions], [phone["session_id"], laptop["session_id"]])
        self.assertEqual(sessions[0]["client_ip"], "198.51.100.1")
        self.assertEqual(sessions[0]["method"], "password")

        self.assertIsNone(self.auth.revoke_session(phone["token"]))
        self.assertEqual(self.auth.verify_token(laptop["token"])["uid"], claims["uid"])
        with self.assertRaises(custauth.InvalidToken):
            self.auth.verify_token(phone["token"])
        with self.assertRaises(custauth.InvalidToken):
            self.auth.renew_token(phone["token"])
        sessions = self.auth.list_sessions("roni_cost@example.com")
        self.assertEqual([s["id"] for s in sessions], [laptop["session_id"]])

        self.auth.advance(minutes=5)
        renewed = self.auth.renew_token(laptop["token"])
        self.assertGreater(renewed["expires_at"], laptop["expires_at"])
        self.assertEqual(renewed["session_id"], laptop["session_id"])
        self.assertEqual(self.auth.verify_token(renewed["token"])["sid"], laptop["session_id"])

    def test_sessions_off(self):
        with custauth.Custauth.for_tests() as auth:
            auth.create_customer("roni_cost@example.com", "V", "C", password="Password123")
            issued = auth.sign_in("roni_cost@example.com", "Password123")
            self.assertNotIn("session_id", issued)
            self.assertNotIn("sid", auth.verify_token(issued["token"]))
            with self.assertRaises(custauth.InvalidInput) as e:
                auth.renew_token(issued["token"])
            self.assertEqual(str(e.exception), "The token has no session.")
            with self.assertRaises(custauth.InvalidInput):
                auth.revoke_session(issued["token"])
        with self.assertRaises(custauth.InvalidInput):
            custauth.Custauth.for_tests(sessions=True, max_session_age_s=-1)
