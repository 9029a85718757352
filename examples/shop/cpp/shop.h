// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A tiny shop that uses custauth for its customers' sign-in: what a C++ host's own code looks
// like, for shop_test.cpp to test the way a shop tests its code (with a test handle).
#ifndef CUSTAUTH_EXAMPLES_SHOP_CPP_SHOP_H_
#define CUSTAUTH_EXAMPLES_SHOP_CPP_SHOP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "custauth/auth.h"

namespace shop {

// What the shop's pages and endpoints answer: a value, or the message to show.
struct Answer {
  bool ok = false;
  std::string value;    // a session token, a code, a GraphQL response, an email
  std::string message;  // what the shop shows when !ok (custauth's, the platform's wording)
};

class Shop {
 public:
  // The shop mails reset links through `mail` (to, token); tests pass one that drops them.
  using Mailer = std::function<void(const std::string&, const std::string&)>;

  Shop(custauth::CustomerAuth& auth, Mailer mail) : auth_(auth), mail_(std::move(mail)) {}

  // POST /customer/account/create
  Answer Register(const std::string& email, const std::string& firstname,
                  const std::string& lastname, const std::string& password) {
    custauth::CustomerInput in;
    in.email = email;
    in.firstname = firstname;
    in.lastname = lastname;
    in.password = password;
    return From(auth_.create_customer(in), [](const custauth::Customer& c) { return c.email; });
  }

  // mutation generateCustomerToken: a password, a reset token or an admin's code.
  Answer SignIn(const std::string& email, const std::string& password) {
    return From(auth_.generate_customer_token(email, password, Context()), Same);
  }

  // GET /customer/account with "Authorization: Bearer <token>": whose session it is.
  Answer WhoAmI(const std::string& token) {
    auto claims = auth_.verify_token(token);
    if (!claims.ok()) return Refused(claims.status());
    return From(auth_.find_customer_by_id(claims->customer_id),
                [](const custauth::Customer& c) { return c.email; });
  }

  // POST /customer/account/forgotpassword: mails a reset link; the page never says whether the
  // email is known.
  Answer ForgotPassword(const std::string& email) {
    auto token = auth_.request_password_reset(email, Context());
    if (!token.ok()) return Refused(token.status());
    if (token->has_value()) mail_(email, **token);
    return {true, "If there is an account for " + email + ", you will receive an email.", ""};
  }

  // POST /customer/account/resetpassword
  Answer ResetPassword(const std::string& email, const std::string& token,
                       const std::string& new_password) {
    custauth::Status s = auth_.reset_password(email, token, new_password, Context());
    if (!s.ok()) return Refused(s);
    return {true, "You updated your password.", ""};
  }

  // Admin: "Login as Customer" gives the admin a one-time code for the customer's storefront.
  Answer AdminLoginAs(std::int64_t admin_id, const std::string& email) {
    return From(auth_.issue_otc(email, admin_id, "customer asked for help on the phone"), Same);
  }

  // Admin: the customer's consent, from their account page.
  Answer AllowAssistance(const std::string& email, bool allow) {
    custauth::CustomerUpdate u;
    u.allow_remote_shopping_assistance = allow;
    return From(auth_.update_customer(email, u),
                [](const custauth::Customer& c) { return c.email; });
  }

  // mutation exchangeExternalCustomerToken: the GraphQL response, as the shop returns it.
  Answer SocialLogin(const custauth::HttpRequest& request, const std::string& input_json) {
    std::string response = auth_.exchange_external_customer_token_graphql(request, input_json);
    const bool ok = response.find("\"errors\"") == std::string::npos;
    return {ok, response, ok ? "" : response};
  }

 private:
  static custauth::RequestContext Context() {
    return custauth::RequestContext{.client_ip = "203.0.113.7", .user_agent = "shop", .actor = ""};
  }
  static std::string Same(const std::string& s) { return s; }
  static Answer Refused(const custauth::Status& s) { return {false, "", s.message()}; }
  template <class T, class F>
  static Answer From(const custauth::Result<T>& r, F show) {
    if (!r.ok()) return Refused(r.status());
    return {true, show(*r), ""};
  }

  custauth::CustomerAuth& auth_;
  Mailer mail_;
};

}  // namespace shop

#endif  // CUSTAUTH_EXAMPLES_SHOP_CPP_SHOP_H_
