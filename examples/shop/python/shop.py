# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""A tiny shop that uses custauth for its customers' sign-in: what a Python host's own code looks
like, for test_shop.py to test the way a shop tests its code (with a custauth test handle)."""

import custauth


class ShopError(Exception):
    """What the shop shows the customer when something is refused (custauth's message)."""


def _shown(f):
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except custauth.CustauthError as e:
            raise ShopError(str(e)) from e
    return wrapper


class Shop:
    CONTEXT = {"client_ip": "203.0.113.7", "user_agent": "shop"}

    def __init__(self, auth, mailer=None):
        self.auth = auth
        self.mailer = mailer or (lambda to, token: None)  # the shop's outgoing mail

    @_shown
    def register(self, email, firstname, lastname, password):
        return self.auth.create_customer(email, firstname, lastname, password=password)

    @_shown
    def sign_in(self, email, password):
        """mutation generateCustomerToken: a password, a reset token or an admin's code."""
        return self.auth.generate_customer_token(email, password, context=self.CONTEXT)

    @_shown
    def who_am_i(self, token):
        """GET /customer/account with "Authorization: Bearer <token>"."""
        claims = self.auth.verify_token(token)
        return claims["uid"]

    @_shown
    def forgot_password(self, email):
        """Mails a reset link; the page never says whether the email is known."""
        token = self.auth.request_password_reset(email, context=self.CONTEXT)
        if token is not None:
            self.mailer(email, token)
        return "If there is an account for %s, you will receive an email." % email

    @_shown
    def reset_password(self, email, token, new_password):
        self.auth.reset_password(email, token, new_password, context=self.CONTEXT)
        return "You updated your password."

    @_shown
    def admin_login_as(self, admin_id, email):
        """Admin "Login as Customer": a one-time code for the customer's storefront."""
        return self.auth.issue_otc(email, admin_id, "customer asked for help on the phone")

    @_shown
    def allow_assistance(self, email, allow):
        return self.auth.update_customer(email, allow_remote_shopping_assistance=allow)

    def social_login(self, method, url, authorization, body, input):
        """mutation exchangeExternalCustomerToken: the GraphQL response the shop returns."""
        request = {"method": method, "url": url, "authorization": authorization,
                   "content_type": "application/json", "body": body}
        try:
            return self.auth.exchange_external_customer_token(request, input)
        except custauth.CustauthError as e:
            return e.response
