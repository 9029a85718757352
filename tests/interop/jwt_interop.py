#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# JWT interop with a real JWT library (PyJWT, Debian's python3-jwt): tokens custauth issues verify
# with PyJWT given the key, and PyJWT-made HS256 tokens with the same claims verify with custauth;
# tokens PyJWT makes with other algorithms or keys are refused.
#
# usage: jwt_interop.py PATH/TO/custauth
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import jwt  # PyJWT

CLI = sys.argv[1] if len(sys.argv) > 1 else "custauth"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Shop:
    """A database and key file in a temporary folder, driven through the custauth CLI."""

    def __init__(self, jwt_key: dict):
        self.dir = tempfile.TemporaryDirectory(prefix="custauth-jwt-")
        self.db = os.path.join(self.dir.name, "shop.db")
        self.key_file = os.path.join(self.dir.name, "shop.key")
        keys = {
            "version": 1,
            "secret_key": b64(os.urandom(32)),
            "seal_key": b64(os.urandom(32)),
            "jwt_keys": [jwt_key],
        }
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(keys, f)
        self.run("init")
        out = self.run("customer", "create", "--email", "roni_cost@example.com", "--firstname",
                       "Roni", "--lastname", "Cost", "--password", "Password123")
        self.uid = out["customer"]["id"]

    def run(self, *args, expect=0):
        p = subprocess.run([CLI, "--db", self.db, "--key-file", self.key_file,
                            "--argon2-opslimit", "1", "--argon2-memlimit", "8192", *args],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != expect:
            raise AssertionError(f"custauth {args}: exit {p.returncode}\n{p.stdout}{p.stderr}")
        return json.loads(p.stdout)

    def token(self) -> str:
        out = self.run("generate-customer-token", "--email", "roni_cost@example.com",
                       "--password", "Password123")
        return out["data"]["generateCustomerToken"]["token"]


SECRET = os.urandom(32)


class JwtInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shop = Shop({"kid": "1", "secret": b64(SECRET)})

    def test_custauth_token_verifies_with_pyjwt(self):
        token = self.shop.token()
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        self.assertEqual(claims["uid"], self.shop.uid)
        self.assertEqual(claims["utypid"], 3)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 5)
        self.assertEqual(jwt.get_unverified_header(token), {"kid": "1", "alg": "HS256"})
        # The exact bytes and claim order of the platform's tokens.
        header, payload, _ = token.split(".")
        self.assertEqual(b64url_decode(header), b'{"kid":"1","alg":"HS256"}')
        self.assertEqual(
            b64url_decode(payload),
            ('{"uid":%d,"utypid":3,"iat":%d,"exp":%d}' %
             (self.shop.uid, claims["iat"], claims["exp"])).encode())
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(token, os.urandom(32), algorithms=["HS256"])

    def pyjwt_token(self, key=SECRET, algorithm="HS256", headers=None, **overrides):
        now = int(time.time())
        claims = {"uid": self.shop.uid, "utypid": 3, "iat": now, "exp": now + 3600}
        claims.update(overrides)
        return jwt.encode(claims, key, algorithm=algorithm,
                          headers={"kid": "1"} if headers is None else headers)

    def test_pyjwt_token_verifies_with_custauth(self):
        token = self.pyjwt_token()
        out = self.shop.run("token", "verify", token)
        self.assertEqual(out["uid"], self.shop.uid)
        self.assertEqual(out["utypid"], 3)
        self.assertEqual(out["kid"], "1")
        self.assertEqual(out["format"], "jwt")

    def refused(self, token, message):
        out = self.shop.run("token", "verify", token, expect=1)
        self.assertEqual(out["errors"][0]["message"], message)

    def test_pyjwt_tokens_custauth_refuses(self):
        self.refused(self.pyjwt_token(key=os.urandom(32)), "The token signature is invalid.")
        self.refused(self.pyjwt_token(algorithm="HS512"), "The token algorithm is not allowed.")
        self.refused(self.pyjwt_token(algorithm="HS384"), "The token algorithm is not allowed.")
        self.refused(self.pyjwt_token(algorithm="none", key=None),
                     "The token is malformed.")  # no signature at all
        self.refused(self.pyjwt_token(headers={"kid": "2"}), "The token key id is unknown.")
        self.refused(self.pyjwt_token(headers={}), "The token key id is unknown.")
        now = int(time.time())
        self.refused(self.pyjwt_token(iat=now - 7200, exp=now - 3600), "The token has expired.")
        self.refused(self.pyjwt_token(utypid=2), "The token is malformed.")
        self.refused(self.pyjwt_token(uid=str(self.shop.uid)), "The token is malformed.")

    def test_revoked_pyjwt_token(self):
        shop = Shop({"kid": "1", "secret": b64(SECRET)})
        token = jwt.encode({"uid": shop.uid, "utypid": 3, "iat": int(time.time()) - 5,
                            "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256",
                           headers={"kid": "1"})
        shop.run("token", "verify", token)
        shop.run("token", "revoke", "--email", "roni_cost@example.com")
        out = shop.run("token", "verify", token, expect=1)
        self.assertEqual(out["errors"][0]["message"], "The token has been revoked.")


class PlatformCompatibility(unittest.TestCase):
    def test_platform_crypt_key(self):
        crypt_key = "a4c4f1a9b6e0d2c3f5e6a7b8c9d0e1f2"
        shop = Shop({"kid": "1", "platform_crypt_key": crypt_key})
        token = shop.token()
        # The platform's key: the crypt key padded with '&' to 2048 characters, both sides.
        padded = crypt_key.center(2048, "&")
        left = (2048 - len(crypt_key)) // 2
        padded = "&" * left + crypt_key + "&" * (2048 - len(crypt_key) - left)
        claims = jwt.decode(token, padded.encode(), algorithms=["HS256"])
        self.assertEqual(claims["uid"], shop.uid)
        # And the other way round: a token the platform would make verifies with custauth.
        now = int(time.time())
        platform_token = jwt.encode({"uid": shop.uid, "utypid": 3, "iat": now, "exp": now + 3600},
                                    padded.encode(), algorithm="HS256", headers={"kid": "1"})
        self.assertEqual(shop.run("token", "verify", platform_token)["uid"], shop.uid)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
