// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The GraphQL face of the operations DOMAIN.md defines for a host's API: each function runs one
// mutation on a CustomerAuth and returns the response object the platform gives for it, ready to
// be written to the client as it is:
//
//   {"data":{"<alias or name>":{…only the selected fields…}}}
//   {"errors":[{"message":"…","path":["<alias or name>"],
//               "extensions":{"category":"graphql-…","code":"…"}}]}
//
// The host parses the document (custauth has no GraphQL parser: examples/http_host has a small
// strict one) and passes each mutation's arguments, the alias it answers under and its selection
// set. A selection naming a field the type does not have is refused before anything runs
// (`Cannot query field "x" on type "T".`), so a refused call changes nothing.
//
// Several mutations of one document are run in order, one call each, and CombineAnswers() makes
// the one response the client gets.
//
// For REST hosts, HttpStatusFor() maps every Code to one HTTP status (the table is below).
#ifndef CUSTAUTH_GRAPHQL_H_
#define CUSTAUTH_GRAPHQL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/auth.h"
#include "custauth/export.h"
#include "custauth/status.h"

namespace custauth::graphql {

// One field of a selection set: `customer { email firstname }` is {"customer", "", {{"email"},
// {"firstname"}}}. `alias` ("" when none) is the key the field answers under.
struct Selection {
  std::string name;
  std::string alias;
  std::vector<Selection> fields;  // the field's own selection set; empty for a scalar

  const std::string& key() const { return alias.empty() ? name : alias; }
};

// How a mutation is asked for: the alias it answers under ("" = its own name: the response key
// and the error's path) and its selection set. An empty selection set selects every field of
// the type, in the platform's order (`customer` with all its fields). The four mutations whose
// type is an object (generateCustomerToken, revokeCustomerToken, changeCustomerPassword,
// exchangeExternalCustomerToken) accept only their type's fields (and `__typename`); the two
// that answer a Boolean (requestPasswordResetEmail, resetPassword) accept no selection set.
struct Field {
  std::string alias;
  std::vector<Selection> selection;
};

// The answer to one mutation.
struct Answer {
  bool ok = false;
  // The response object (see the top of this file), serialised; fields in the platform's order.
  std::string body;
  // OK, or why the mutation was refused (the code and DOMAIN.md's message).
  Status status;
  // The response key (the alias, else the mutation's name) and the field's value alone:
  // its JSON ("null" when refused), and the error object (empty when ok). CombineAnswers uses
  // these.
  std::string key;
  std::string value;
  std::string error;
  // requestPasswordResetEmail only: the reset token for the host to mail to the customer (never
  // in body); empty when the email is unknown (the body is the same `true` either way).
  std::optional<std::string> reset_token;
};

// generateCustomerToken(email, password) { token }. Type CustomerToken.
CUSTAUTH_EXPORT Answer GenerateCustomerToken(CustomerAuth& auth, std::string_view email,
                                             std::string_view password, const Field& field = {},
                                             const RequestContext& ctx = {},
                                             std::int64_t website_id = kDefaultWebsiteId);

// revokeCustomerToken { result }: revokes every token of the customer the bearer token (the
// request's `Authorization: Bearer` value) names. Type RevokeCustomerTokenOutput. A missing or
// invalid bearer token: kInvalidToken, "The current customer isn't authorized.".
CUSTAUTH_EXPORT Answer RevokeCustomerToken(CustomerAuth& auth, std::string_view bearer_token,
                                           const Field& field = {}, const RequestContext& ctx = {});

// requestPasswordResetEmail(email): Boolean. `true` for known and unknown emails alike; the token
// is in Answer::reset_token.
CUSTAUTH_EXPORT Answer RequestPasswordResetEmail(CustomerAuth& auth, std::string_view email,
                                                 const Field& field = {},
                                                 const RequestContext& ctx = {},
                                                 std::int64_t website_id = kDefaultWebsiteId);

// resetPassword(email, resetPasswordToken, newPassword): Boolean.
CUSTAUTH_EXPORT Answer ResetPassword(CustomerAuth& auth, std::string_view email,
                                     std::string_view reset_password_token,
                                     std::string_view new_password, const Field& field = {},
                                     const RequestContext& ctx = {},
                                     std::int64_t website_id = kDefaultWebsiteId);

// changeCustomerPassword(currentPassword, newPassword) { email firstname … } for the customer the
// bearer token names (as revokeCustomerToken). Type Customer.
CUSTAUTH_EXPORT Answer ChangeCustomerPassword(CustomerAuth& auth, std::string_view bearer_token,
                                              std::string_view current_password,
                                              std::string_view new_password,
                                              const Field& field = {},
                                              const RequestContext& ctx = {});

// exchangeExternalCustomerToken(input) { customer { … } token }: `request` is the HTTP request
// as the client signed it (CustomerAuth::exchange_external_customer_token), `input_json` the
// mutation's input object. Type ExchangeExternalCustomerTokenOutput.
CUSTAUTH_EXPORT Answer ExchangeExternalCustomerToken(CustomerAuth& auth, const HttpRequest& request,
                                                     std::string_view input_json,
                                                     const Field& field = {},
                                                     const RequestContext& ctx = {},
                                                     std::int64_t website_id = kDefaultWebsiteId);

// One response for the answers of a document's mutations, in order:
// {"errors":[…the refused ones' errors…], "data":{key: value or null, …}}: "errors" only when
// one was refused, "data" only when one succeeded (so that one answer combines to its own body).
// A key answered twice keeps its first value.
CUSTAUTH_EXPORT std::string CombineAnswers(const std::vector<Answer>& answers);

// The GraphQL error object of a failed Status: {"message":…, "path":[path], "extensions":
// {"category": code_category(code), "code": code_name(code)}} ("path" omitted when `path` is
// empty). REQUIRES: !status.ok().
CUSTAUTH_EXPORT std::string ToGraphQLError(const Status& status, std::string_view path = {});

// The response of one refused request: {"errors":[ToGraphQLError(status, path)]}.
CUSTAUTH_EXPORT std::string ErrorResponse(const Status& status, std::string_view path = {});

// The HTTP status a REST host answers a Code with (GraphQL hosts answer 200 with the body, as
// the platform does):
//
//   kOk                    200    kForbidden             403
//   kInvalidInput          400    kRateLimited           429
//   kUnsupported           400    kAlreadyExists         409
//   kExpired               400    kConflict              409
//   kNotFound              404    kStorage               503
//   kAuthenticationFailed  401    kBusy                  503
//   kNotConfirmed          401    kInternal              500
//   kLocked                401
//   kInvalidToken          401
//
// 401 answers should carry `WWW-Authenticate: Bearer`; 429 and 503 may carry Retry-After.
CUSTAUTH_EXPORT int HttpStatusFor(Code code) noexcept;

// The message a mutation that needs a customer token answers with when the request has none or
// one that does not verify (the platform's).
inline constexpr std::string_view kNotAuthorized = "The current customer isn't authorized.";

// The customer a bearer token names (what `GET /me` or a customer-scoped mutation needs): the
// token must verify (CustomerAuth::verify_token) and its customer exist and be active. Every
// refusal of the token (none, malformed, bad signature, expired, revoked, erased or inactive
// customer) is kInvalidToken with kNotAuthorized, so that nothing tells them apart; kStorage,
// kBusy and kInternal pass through.
CUSTAUTH_EXPORT Result<Customer> CurrentCustomer(CustomerAuth& auth, std::string_view bearer_token);

}  // namespace custauth::graphql

#endif  // CUSTAUTH_GRAPHQL_H_
