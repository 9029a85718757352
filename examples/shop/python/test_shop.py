# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""The tiny shop's own test suite (pytest): how a Python host tests its sign-in code with
custauth's test handles — a clock the test moves, fixtures, and the secrets the handle issued.

Run: CUSTAUTH_LIBRARY=build/dev/libcustauth.so /usr/bin/python3 -m pytest examples/shop/python
"""

from oauthlib import oauth1
import pytest

import custauth
from shop import ShopError

SIGN_IN = ("The account sign-in was incorrect or your account is disabled temporarily. "
           "Please wait and try again later.")
GRAPHQL = "https://shop.example/graphql"


def test_sign_in_with_password(auth, shop, record):
    token = shop.sign_in("roni_cost@example.com", "Password123")
    record("token", token)
    assert shop.who_am_i(token) == auth.find_customer("roni_cost@example.com")["id"]
    for email, password in [("roni_cost@example.com", "Password124"),
                            ("nobody@example.com", "Password123")]:
        with pytest.raises(ShopError, match="^%s$" % SIGN_IN):
            shop.sign_in(email, password)
    # A customer imported with the platform's legacy hash signs in too.
    record("imported", shop.sign_in("imported@example.com", "Password123"))


def test_admin_code_works_once_and_expires_after_30_s(auth, shop, record):
    code = shop.admin_login_as(7, "assisted@example.com")
    record("code", code)
    auth.advance(seconds=29)
    record("token", shop.sign_in("assisted@example.com", code))
    with pytest.raises(ShopError, match=SIGN_IN):
        shop.sign_in("assisted@example.com", code)  # used

    code = shop.admin_login_as(7, "assisted@example.com")
    assert auth.last_otc("assisted@example.com") == code
    auth.advance(seconds=30)
    with pytest.raises(ShopError, match=SIGN_IN):
        shop.sign_in("assisted@example.com", code)  # expired

    shop.allow_assistance("assisted@example.com", False)
    with pytest.raises(ShopError, match="assistance is disabled"):
        shop.admin_login_as(7, "assisted@example.com")


def test_reset_token_is_used_once(auth, shop, record):
    shop.forgot_password("roni_cost@example.com")
    token = auth.last_reset_token("roni_cost@example.com")  # instead of the shop's mailbox
    record("reset_token", token)
    shop.reset_password("roni_cost@example.com", token, "N3w-Password")
    record("token", shop.sign_in("roni_cost@example.com", "N3w-Password"))
    with pytest.raises(ShopError, match=SIGN_IN):
        shop.sign_in("roni_cost@example.com", "Password123")
    with pytest.raises(ShopError, match="The password token is mismatched"):
        shop.reset_password("roni_cost@example.com", token, "Other-Passw0rd")


def test_throttle_after_six_failures_lifts_after_thirty_minutes(auth, shop, record):
    for i in range(6):
        with pytest.raises(ShopError, match=SIGN_IN):
            shop.sign_in("roni_cost@example.com", "wrong-%d" % i)
    with pytest.raises(ShopError, match=SIGN_IN):
        shop.sign_in("roni_cost@example.com", "Password123")  # throttled: the right one fails too
    auth.advance(minutes=30, ms=-1)
    with pytest.raises(ShopError, match=SIGN_IN):
        shop.sign_in("roni_cost@example.com", "Password123")
    auth.advance(1)
    record("token", shop.sign_in("roni_cost@example.com", "Password123"))


def sign(creds, timestamp, nonce, **overrides):
    """The Authorization header an integration sends, signed by oauthlib (HMAC-SHA256)."""
    args = dict(client_secret=creds["consumer_secret"],
                resource_owner_key=creds["access_token"],
                resource_owner_secret=creds["token_secret"],
                signature_method=oauth1.SIGNATURE_HMAC_SHA256,
                timestamp=str(timestamp), nonce=nonce)
    args.update(overrides)
    client = oauth1.Client(creds["consumer_key"], **args)
    _, headers, _ = client.sign(GRAPHQL, http_method="POST")
    return headers["Authorization"]


def test_social_login_signed_by_a_test_integration(auth, shop, record):
    creds = auth.create_integration("social login", ["exchange_external_customer_token"])
    record("consumer_key", creds["consumer_key"])
    record("token_secret", creds["token_secret"])
    now = auth.now() // 1000  # the handle's clock, not the machine's
    body = '{"query":"mutation { exchangeExternalCustomerToken(...) }"}'
    new = {"customer": {"email": "new@example.com", "firstname": "New", "lastname": "Customer"}}

    response = shop.social_login("POST", GRAPHQL, sign(creds, now, "nonce-1"), body, new)
    result = response["data"]["exchangeExternalCustomerToken"]
    assert result["customer"]["email"] == "new@example.com"
    record("token", result["token"])
    # The same nonce again is a replay; another secret is an invalid signature.
    assert "errors" in shop.social_login("POST", GRAPHQL, sign(creds, now, "nonce-1"), body, new)
    wrong = sign(creds, now, "nonce-2", resource_owner_secret="x" * 32)
    assert (shop.social_login("POST", GRAPHQL, wrong, body, new)["errors"][0]["message"]
            == "The signature is invalid. Verify and try again.")
    # Eleven minutes later the same signature is out of the timestamp window.
    auth.advance(minutes=11)
    late = shop.social_login("POST", GRAPHQL, sign(creds, now, "nonce-3"), body, new)
    assert "errors" in late


def test_a_production_handle_refuses_test_controls():
    with custauth.Custauth("memory:", argon2_opslimit=1, argon2_memlimit=8192) as production:
        with pytest.raises(custauth.Forbidden, match="the clock can only be set on a test handle"):
            production.advance(minutes=10)
        with pytest.raises(custauth.Forbidden):
            production.last_reset_token("roni_cost@example.com")
    with pytest.raises(custauth.Forbidden, match="seed can only be given to a test handle"):
        custauth.Custauth("memory:", test_seed=7)
