// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The GraphQL face of the host API (custauth/graphql.h): the one place that shapes GraphQL
// responses. The C ABI's custauth_call and the bindings answer through it.
#include "custauth/graphql.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "custauth/json.h"
#include "json.h"

namespace custauth {
namespace graphql {
namespace {

using ojson = nlohmann::ordered_json;

// Messages and stored names are valid UTF-8; `replace` keeps a bug there from throwing.
std::string Dump(const ojson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// --- The output types and their fields, in the platform's order ---

struct Type;
struct FieldDef {
  const char* name;
  const char* scalar;  // the scalar's type name, or null for an object field
  const Type* type;    // the object type, or null for a scalar field
  // custauth's addition to the platform's type: answered only when the selection names it, so
  // that an empty selection set answers the platform's fields alone.
  bool only_when_selected = false;
};
struct Type {
  const char* name;
  std::vector<FieldDef> fields;
};

const Type kCustomer = {"Customer",
                        {{"email", "String", nullptr},
                         {"firstname", "String", nullptr},
                         {"lastname", "String", nullptr},
                         {"is_subscribed", "Boolean", nullptr}}};
// expires_at: the token's expiry, as FormatPlatformTime writes it (UTC).
const Type kCustomerToken = {
    "CustomerToken", {{"token", "String", nullptr}, {"expires_at", "String", nullptr, true}}};
const Type kRevokeOutput = {"RevokeCustomerTokenOutput", {{"result", "Boolean!", nullptr}}};
const Type kExchangeOutput = {"ExchangeExternalCustomerTokenOutput",
                              {{"customer", nullptr, &kCustomer},
                               {"token", "String", nullptr},
                               {"expires_at", "String", nullptr, true}}};

const FieldDef* Find(const Type& type, std::string_view name) {
  for (const auto& f : type.fields) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// Refuses a selection set that asks for something `type` does not have (graphql-php's
// messages), before the mutation runs.
Status CheckSelection(const std::vector<Selection>& selection, const Type& type) {
  for (const auto& s : selection) {
    if (s.name == "__typename") {
      if (!s.fields.empty()) {
        return Status(Code::kInvalidInput,
                      "Field \"__typename\" must not have a selection since "
                      "type \"String!\" has no subfields.");
      }
      continue;
    }
    const FieldDef* f = Find(type, s.name);
    if (f == nullptr) {
      return Status(Code::kInvalidInput,
                    "Cannot query field \"" + s.name + "\" on type \"" + type.name + "\".");
    }
    if (f->type == nullptr && !s.fields.empty()) {
      return Status(Code::kInvalidInput, "Field \"" + s.name +
                                             "\" must not have a selection since type \"" +
                                             f->scalar + "\" has no subfields.");
    }
    if (f->type != nullptr) CUSTAUTH_RETURN_IF_ERROR(CheckSelection(s.fields, *f->type));
  }
  return Status::Ok();
}

// `full` (every field of `type`, in order) cut to `selection`, in the selection's order and
// under its aliases; an empty selection keeps everything.
ojson Project(const ojson& full, const std::vector<Selection>& selection, const Type& type) {
  if (selection.empty()) {
    ojson out = full;
    for (const auto& f : type.fields) {
      if (f.only_when_selected) out.erase(f.name);
    }
    return out;
  }
  ojson out = ojson::object();
  for (const auto& s : selection) {
    if (out.contains(s.key())) continue;  // a key asked for twice answers once
    if (s.name == "__typename") {
      out[s.key()] = type.name;
      continue;
    }
    const FieldDef* f = Find(type, s.name);
    const ojson& v = full.at(s.name);
    out[s.key()] = (f->type != nullptr && v.is_object()) ? Project(v, s.fields, *f->type) : v;
  }
  return out;
}

ojson CustomerObject(const Customer& c) {
  ojson j;
  j["email"] = c.email;
  j["firstname"] = c.firstname;
  j["lastname"] = c.lastname;
  j["is_subscribed"] = c.is_subscribed;
  return j;
}

ojson ErrorObject(const Status& status, std::string_view path) {
  ojson e;
  e["message"] = status.message();
  if (!path.empty()) e["path"] = ojson::array({std::string(path)});
  ojson ext;
  ext["category"] = code_category(status.code());
  ext["code"] = code_name(status.code());
  e["extensions"] = std::move(ext);
  return e;
}

std::string KeyOf(const Field& field, std::string_view name) {
  return field.alias.empty() ? std::string(name) : field.alias;
}

Answer Refuse(Status status, const std::string& key) {
  if (status.ok()) status = Status(Code::kInternal, "a refusal without a failure");
  Answer a;
  a.ok = false;
  a.key = key;
  a.value = "null";
  const ojson error = ErrorObject(status, key);
  a.error = Dump(error);
  ojson body;
  body["errors"] = ojson::array({error});
  a.body = Dump(body);
  a.status = std::move(status);
  return a;
}

Answer Give(ojson value, const std::string& key) {
  Answer a;
  a.ok = true;
  a.key = key;
  a.value = Dump(value);
  ojson body;
  body["data"][key] = std::move(value);
  a.body = Dump(body);
  return a;
}

// A Boolean mutation takes no selection set.
Status CheckScalar(const Field& field, std::string_view name) {
  if (field.selection.empty()) return Status::Ok();
  return Status(Code::kInvalidInput, "Field \"" + std::string(name) +
                                         "\" must not have a selection since type \"Boolean\" "
                                         "has no subfields.");
}

// Wipes a copy of a secret argument when it goes.
struct Wiped {
  std::string s;
  explicit Wiped(std::string_view v) : s(v) {}
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { sodium_memzero(s.data(), s.size()); }
};

}  // namespace

Result<Customer> CurrentCustomer(CustomerAuth& auth, std::string_view bearer_token) {
  const Status unauthorized(Code::kInvalidToken, kNotAuthorized);
  auto passes = [](Code c) {
    return c == Code::kStorage || c == Code::kBusy || c == Code::kInternal;
  };
  if (bearer_token.empty()) return unauthorized;
  auto claims = auth.verify_token(bearer_token);
  if (!claims.ok()) return passes(claims.code()) ? claims.status() : unauthorized;
  auto customer = auth.find_customer_by_id(claims->customer_id);
  if (!customer.ok()) return passes(customer.code()) ? customer.status() : unauthorized;
  if (!customer->is_active) return unauthorized;
  return customer;
}

Answer GenerateCustomerToken(CustomerAuth& auth, std::string_view email, std::string_view password,
                             const Field& field, const RequestContext& ctx,
                             std::int64_t website_id) {
  const std::string key = KeyOf(field, "generateCustomerToken");
  if (Status s = CheckSelection(field.selection, kCustomerToken); !s.ok()) return Refuse(s, key);
  auto token = auth.sign_in(email, password, ctx, website_id);
  if (!token.ok()) return Refuse(token.status(), key);
  ojson full;
  full["token"] = token->token;
  full["expires_at"] = FormatPlatformTime(token->expires_at);
  Answer a = Give(Project(full, field.selection, kCustomerToken), key);
  sodium_memzero(token->token.data(), token->token.size());
  return a;
}

Answer RevokeCustomerToken(CustomerAuth& auth, std::string_view bearer_token, const Field& field,
                           const RequestContext& ctx) {
  const std::string key = KeyOf(field, "revokeCustomerToken");
  if (Status s = CheckSelection(field.selection, kRevokeOutput); !s.ok()) return Refuse(s, key);
  auto customer = CurrentCustomer(auth, bearer_token);
  if (!customer.ok()) return Refuse(customer.status(), key);
  Status s = auth.revoke_customer_tokens(customer->email, ctx, customer->website_id);
  if (!s.ok()) return Refuse(s, key);
  ojson full;
  full["result"] = true;
  return Give(Project(full, field.selection, kRevokeOutput), key);
}

Answer RequestPasswordResetEmail(CustomerAuth& auth, std::string_view email, const Field& field,
                                 const RequestContext& ctx, std::int64_t website_id) {
  const std::string key = KeyOf(field, "requestPasswordResetEmail");
  if (Status s = CheckScalar(field, key); !s.ok()) return Refuse(s, key);
  // The platform's resolver, before anything else.
  if (email.empty()) {
    return Refuse(Status(Code::kInvalidInput, "You must specify an email address."), key);
  }
  auto token = auth.request_password_reset(email, ctx, website_id);
  if (!token.ok()) return Refuse(token.status(), key);
  Answer a = Give(true, key);
  a.reset_token = std::move(token).value();
  return a;
}

Answer ResetPassword(CustomerAuth& auth, std::string_view email,
                     std::string_view reset_password_token, std::string_view new_password,
                     const Field& field, const RequestContext& ctx, std::int64_t website_id) {
  const std::string key = KeyOf(field, "resetPassword");
  if (Status s = CheckScalar(field, key); !s.ok()) return Refuse(s, key);
  // The platform's resolver, before anything else.
  if (email.empty()) {
    return Refuse(Status(Code::kInvalidInput, "You must specify an email address."), key);
  }
  if (reset_password_token.empty()) {
    return Refuse(Status(Code::kInvalidInput, "resetPasswordToken must be specified"), key);
  }
  if (new_password.empty()) {
    return Refuse(Status(Code::kInvalidInput, "newPassword must be specified"), key);
  }
  Status s = auth.reset_password(email, reset_password_token, new_password, ctx, website_id);
  if (!s.ok()) return Refuse(s, key);
  return Give(true, key);
}

Answer ChangeCustomerPassword(CustomerAuth& auth, std::string_view bearer_token,
                              std::string_view current_password, std::string_view new_password,
                              const Field& field, const RequestContext& ctx) {
  const std::string key = KeyOf(field, "changeCustomerPassword");
  if (Status s = CheckSelection(field.selection, kCustomer); !s.ok()) return Refuse(s, key);
  // As the platform's resolver: the customer first, then the arguments.
  auto customer = CurrentCustomer(auth, bearer_token);
  if (!customer.ok()) return Refuse(customer.status(), key);
  if (current_password.empty()) {
    return Refuse(Status(Code::kInvalidInput, "Specify the \"currentPassword\" value."), key);
  }
  if (new_password.empty()) {
    return Refuse(Status(Code::kInvalidInput, "Specify the \"newPassword\" value."), key);
  }
  Status s = auth.change_password(customer->email, current_password, new_password, ctx,
                                  customer->website_id);
  if (!s.ok()) return Refuse(s, key);
  return Give(Project(CustomerObject(*customer), field.selection, kCustomer), key);
}

Answer ExchangeExternalCustomerToken(CustomerAuth& auth, const HttpRequest& request,
                                     std::string_view input_json, const Field& field,
                                     const RequestContext& ctx, std::int64_t website_id) {
  const std::string key = KeyOf(field, "exchangeExternalCustomerToken");
  if (Status s = CheckSelection(field.selection, kExchangeOutput); !s.ok()) return Refuse(s, key);
  auto r = auth.exchange_external_customer_token(request, input_json, ctx, website_id);
  if (!r.ok()) return Refuse(r.status(), key);
  ojson full;
  full["customer"] = CustomerObject(r->customer);
  full["token"] = r->token;
  full["expires_at"] = FormatPlatformTime(r->expires_at);
  Answer a = Give(Project(full, field.selection, kExchangeOutput), key);
  sodium_memzero(r->token.data(), r->token.size());
  return a;
}

std::string CombineAnswers(const std::vector<Answer>& answers) {
  ojson errors = ojson::array();
  ojson data = ojson::object();
  bool any_ok = false;
  for (const auto& a : answers) {
    if (!a.error.empty()) errors.push_back(ojson::parse(a.error));
    if (!data.contains(a.key)) data[a.key] = ojson::parse(a.value.empty() ? "null" : a.value);
    any_ok = any_ok || a.ok;
  }
  const bool refused = !errors.empty();
  ojson body;
  if (refused) body["errors"] = std::move(errors);
  if (any_ok || !refused) body["data"] = std::move(data);
  return Dump(body);
}

std::string ToGraphQLError(const Status& status, std::string_view path) {
  return Dump(ErrorObject(status, path));
}

std::string ErrorResponse(const Status& status, std::string_view path) {
  ojson body;
  body["errors"] = ojson::array({ErrorObject(status, path)});
  return Dump(body);
}

int HttpStatusFor(Code code) noexcept {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidInput:
    case Code::kUnsupported:
    case Code::kExpired:
      return 400;
    case Code::kAuthenticationFailed:
    case Code::kNotConfirmed:
    case Code::kLocked:
    case Code::kInvalidToken:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kConflict:
      return 409;
    case Code::kRateLimited:
      return 429;
    case Code::kInternal:
      return 500;
    case Code::kStorage:
    case Code::kBusy:
      return 503;
  }
  return 500;
}

}  // namespace graphql

namespace internal {

// The error response of the C ABI and the command-line tool: graphql's, without a path.
nlohmann::json ErrorToJson(const Status& s) {
  return nlohmann::json::parse(graphql::ErrorResponse(s));
}

}  // namespace internal
}  // namespace custauth
