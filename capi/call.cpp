// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth_call: every operation by name with JSON arguments, for FFI hosts. The operations are a
// table of {name, handler}; each handler reads its arguments (Args refuses unknown ones) and
// returns its result as JSON, or throws Refused (a failed status) or InvalidArgument.
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "capi_internal.h"
#include "capi_wrappers.h"
#include "custauth/auth.h"
#include "custauth/graphql.h"
#include "custauth/keys.h"
#include "custauth/status.h"
#include "custauth/testing.h"
#include "custauth/version.h"
#include "internal.h"
#include "json.h"

namespace custauth::capi {
namespace {

// A failed status as the result of an operation of custauth_call.
struct Refused {
  Status status;
};

template <class T>
T Take(Result<T> r) {
  if (!r.ok()) throw Refused{r.status()};
  return std::move(r).value();
}
void Check(const Status& s) {
  if (!s.ok()) throw Refused{s};
}

json Ok() { return {{"ok", true}}; }

// One call of an operation: its arguments, the handle's facade (NULL for the operations that
// need no handle), who asks, and where a response shaped elsewhere goes (`verbatim`).
struct Call {
  Args& a;
  CustomerAuth* auth;
  const RequestContext& rc;
  std::int64_t website;
  std::string* verbatim;
};

// --- The operations that need no handle --------------------------------------------------------

json OpVersion(Call& c) {
  c.a.done();
  return {{"version", VersionString()}, {"number", VersionNumber()}};
}

json OpKeysGenerate(Call& c) {
  c.a.done();
  EnsureSodium();
  return {{"keys", KeysToJson(GenerateKeys(*SystemRandom::Shared()))}};
}

// --- Customers ---------------------------------------------------------------------------------

json OpCustomerCreate(Call& c) {
  CustomerInput in;
  in.website_id = c.website;
  in.email = c.a.str("email");
  in.firstname = c.a.str("firstname");
  in.lastname = c.a.str("lastname");
  in.password = c.a.opt_str("password");
  in.is_subscribed = c.a.opt_bool("is_subscribed").value_or(false);
  in.confirmed = c.a.opt_bool("confirmed").value_or(true);
  in.allow_remote_shopping_assistance =
      c.a.opt_bool("allow_remote_shopping_assistance").value_or(false);
  c.a.done();
  return {{"customer", internal::CustomerToJson(Take(c.auth->create_customer(in, c.rc)), true)}};
}

json OpCustomerUpdate(Call& c) {
  const std::string email = c.a.str("email");
  const CustomerUpdate u = CustomerUpdateFromJson(c.a);
  c.a.done();
  return {{"customer", internal::CustomerToJson(
                           Take(c.auth->update_customer(email, u, c.rc, c.website)), true)}};
}

json OpCustomerFind(Call& c) {
  const std::string email = c.a.str("email");
  c.a.done();
  return {
      {"customer", internal::CustomerToJson(Take(c.auth->find_customer(email, c.website)), true)}};
}

json OpCustomerDelete(Call& c) {
  const std::string email = c.a.str("email");
  c.a.done();
  return {{"id", Take(c.auth->delete_customer(email, c.rc, c.website)).id}};
}

// --- Sign-in, passwords, one-time codes, tokens ------------------------------------------------

json OpGenerateCustomerToken(Call& c) {
  const std::string email = c.a.str("email");
  std::string password = c.a.str("password");
  c.a.done();
  auto token = c.auth->sign_in(email, password, c.rc, c.website);
  sodium_memzero(password.data(), password.size());
  return IssuedToJson(Take(std::move(token)));
}

json OpRequestPasswordReset(Call& c) {
  const std::string email = c.a.str("email");
  c.a.done();
  auto token = Take(c.auth->request_password_reset(email, c.rc, c.website));
  return {{"token", token ? json(*token) : json(nullptr)}};
}

json OpResetPassword(Call& c) {
  const std::string email = c.a.str("email");
  const std::string token = c.a.str("token");
  std::string password = c.a.str("new_password");
  c.a.done();
  Status s = c.auth->reset_password(email, token, password, c.rc, c.website);
  sodium_memzero(password.data(), password.size());
  Check(s);
  return Ok();
}

json OpChangePassword(Call& c) {
  const std::string email = c.a.str("email");
  std::string current = c.a.str("current_password");
  std::string password = c.a.str("new_password");
  c.a.done();
  Status s = c.auth->change_password(email, current, password, c.rc, c.website);
  sodium_memzero(current.data(), current.size());
  sodium_memzero(password.data(), password.size());
  Check(s);
  return Ok();
}

json OpIssueOtc(Call& c) {
  const std::string email = c.a.str("email");
  const std::int64_t admin = c.a.opt_int("admin_id").value_or(0);
  const std::string reason = c.a.str("reason");
  c.a.done();
  return {{"code", Take(c.auth->issue_otc(email, admin, reason, c.rc, c.website))}};
}

json OpExchangeOtc(Call& c) {
  const std::string email = c.a.str("email");
  const std::string code = c.a.str("code");
  c.a.done();
  return IssuedToJson(Take(c.auth->exchange_otc(email, code, c.rc, c.website)));
}

// The "token" argument of renew_token and revoke_session, the only one they take.
std::string SessionToken(Call& c) {
  std::string token = c.a.str("token");
  c.a.done();
  return token;
}

json OpRenewToken(Call& c) {
  return IssuedToJson(Take(c.auth->renew_token(SessionToken(c), c.rc)));
}

json OpRevokeSession(Call& c) {
  Check(c.auth->revoke_session(SessionToken(c), c.rc));
  return Ok();
}

json OpListSessions(Call& c) {
  const std::string email = c.a.str("email");
  c.a.done();
  json list = json::array();
  for (const auto& s : Take(c.auth->list_sessions(email, c.website))) {
    list.push_back(internal::SessionToJson(s));
  }
  return {{"sessions", std::move(list)}};
}

json OpVerifyToken(Call& c) {
  const std::string token = c.a.str("token");
  c.a.done();
  return {{"claims", internal::ClaimsToJson(Take(c.auth->verify_token(token)))}};
}

json OpRevokeCustomerTokens(Call& c) {
  const std::string email = c.a.str("email");
  c.a.done();
  Check(c.auth->revoke_customer_tokens(email, c.rc, c.website));
  return Ok();
}

// exchangeExternalCustomerToken: custauth/graphql.h shapes the GraphQL response (fields in the
// platform's order), which comes back verbatim; a refusal is reported by its status, which
// ErrorResponse shapes there too.
json OpExchangeExternalCustomerToken(Call& c) {
  Args r(c.a.object("request"), "request");
  const HttpRequest req{.method = r.str("method"),
                        .url = r.str("url"),
                        .authorization = r.str("authorization"),
                        .content_type = r.str("content_type"),
                        .body = r.str("body")};
  r.done();
  const std::string input = Dump(c.a.object("input"));
  c.a.done();
  graphql::Answer answer =
      graphql::ExchangeExternalCustomerToken(*c.auth, req, input, {}, c.rc, c.website);
  if (!answer.ok) throw Refused{std::move(answer.status)};
  std::string response = std::move(answer.body);
  *c.verbatim = std::move(response);
  return nullptr;
}

// --- Audit, retention, integrations, imports ---------------------------------------------------

json OpAuditList(Call& c) {
  AuditQuery q;
  const auto email = c.a.opt_str("email");
  q.after_id = c.a.opt_int("after_id").value_or(0);
  const std::int64_t limit = c.a.opt_int("limit").value_or(0);
  c.a.done();
  // The rules of custauth_audit_list.
  if (q.after_id < 0) Invalid("after_id must not be negative");
  if (limit < 0 || limit > 100000) Invalid("limit must be 0..100000");
  if (limit > 0) q.limit = static_cast<std::size_t>(limit);
  if (email) q.customer_id = Take(c.auth->find_customer(*email, c.website)).id;
  json list = json::array();
  for (const auto& r : Take(c.auth->list_audit(q))) list.push_back(internal::AuditToJson(r));
  return {{"audit", std::move(list)}};
}

json OpPrune(Call& c) {
  c.a.done();
  return {{"pruned", PruneCountsToJson(Take(c.auth->prune()))}};
}

json OpIntegrationCreate(Call& c) {
  const std::string name = c.a.str("name");
  const auto permissions = c.a.str_list("permissions");
  c.a.done();
  return {{"integration",
           CredentialsToJson(Take(c.auth->create_integration(name, permissions, c.rc)))}};
}

json OpIntegrationList(Call& c) {
  c.a.done();
  json list = json::array();
  for (const auto& i : Take(c.auth->list_integrations())) list.push_back(IntegrationToJson(i));
  return {{"integrations", std::move(list)}};
}

json OpIntegrationRevoke(Call& c) {
  const std::string key = c.a.str("consumer_key");
  c.a.done();
  Check(c.auth->revoke_integration(key, c.rc));
  return Ok();
}

json OpIntegrationSetPermissions(Call& c) {
  const std::string key = c.a.str("consumer_key");
  const auto permissions = c.a.str_list("permissions");
  c.a.done();
  Check(c.auth->set_integration_permissions(key, permissions, c.rc));
  return Ok();
}

json OpIntegrationImport(Call& c) {
  const std::string name = c.a.str("name");
  const auto permissions = c.a.str_list("permissions");
  IntegrationCredentials creds;
  creds.consumer_key = c.a.str("consumer_key");
  creds.consumer_secret = c.a.str("consumer_secret");
  creds.access_token = c.a.str("access_token");
  creds.token_secret = c.a.str("token_secret");
  c.a.done();
  auto imported = c.auth->import_integration(name, permissions, creds, c.rc);
  sodium_memzero(creds.consumer_secret.data(), creds.consumer_secret.size());
  sodium_memzero(creds.token_secret.data(), creds.token_secret.size());
  return {{"integration", IntegrationToJson(Take(std::move(imported)).integration)}};
}

// customer_import and revocations_import: the options they share, and customer_import's own.
json Import(Call& c, bool revocations) {
  const std::string path = c.a.str("path");
  ImportOptions o;
  const auto format = ImportFormatFromName(c.a.opt_str("format").value_or("auto"));
  if (!format) Invalid("format must be auto, csv or jsonl");
  o.format = *format;
  o.strict = c.a.opt_bool("strict").value_or(false);
  if (!revocations) {
    const auto conflict = ImportConflictFromName(c.a.opt_str("on_conflict").value_or("skip"));
    if (!conflict) Invalid("on_conflict must be skip, update or fail");
    o.on_conflict = *conflict;
    const std::int64_t batch = c.a.opt_int("batch_size").value_or(5000);
    if (batch < 1 || batch > 100000) Invalid("batch_size must be 1..100000");
    o.batch_size = static_cast<std::size_t>(batch);
  }
  c.a.done();
  const ImportReport report = revocations ? c.auth->import_revocations(path, o, c.rc)
                                          : c.auth->import_customers(path, o, c.rc);
  return {{"report", json::parse(report.ToJson(revocations))}};
}

json OpCustomerImport(Call& c) { return Import(c, false); }
json OpRevocationsImport(Call& c) { return Import(c, true); }

// --- The operations "test.*": test handles only -------------------------------------------------

std::int64_t RequiredInt(Call& c, std::string_view op, const char* name) {
  auto v = c.a.opt_int(name);
  if (!v) {
    Invalid("argument '" + std::string(name) + "' of operation '" + std::string(op) +
            "' is required");
  }
  return *v;
}

json DispatchTest(Call& c, std::string_view op) {
  const bool clock_op = op == "test.set_time" || op == "test.advance" || op == "test.now";
  const bool secret_op = op == "test.last_reset_token" || op == "test.last_otc";
  const bool fixture_op = op == "test.create_customers";
  if (!clock_op && !secret_op && !fixture_op) {
    Invalid("unknown operation '" + std::string(op) + "'");
  }
  CustomerAuth& auth = *c.auth;
  if (!auth.is_test_handle()) {
    std::string_view message = op == "test.now" ? kClockReadNeedsTestHandle
                               : clock_op       ? testing::kClockNeedsTestHandle
                               : secret_op      ? testing::kSecretsNeedTestHandle
                                                : testing::kFixturesNeedTestHandle;
    throw Refused{Status(Code::kForbidden, message)};
  }
  if (op == "test.set_time") {
    const std::int64_t t = RequiredInt(c, op, "time_ms");
    c.a.done();
    Check(auth.test_set_time(t));
  } else if (op == "test.advance") {
    const std::int64_t ms = RequiredInt(c, op, "ms");
    c.a.done();
    Check(auth.test_advance(ms));
  } else if (op == "test.now") {
    c.a.done();
  }
  if (clock_op) return {{"now", auth.clock().now()}};
  if (secret_op) {
    const std::string email = c.a.str("email");
    c.a.done();
    const bool reset = op == "test.last_reset_token";
    auto secret = Take(auth.test_last_secret(
        reset ? SecretKind::kPasswordReset : SecretKind::kAdminOtc, email, c.website));
    return {{reset ? "token" : "code", std::move(secret)}};
  }
  json fixture = json::object();
  for (const char* name :
       {"customers", "password", "format", "legacy_versions", "firstname", "lastname"}) {
    if (const json* v = c.a.raw(name)) fixture[name] = *v;
  }
  c.a.done();
  if (!fixture.contains("customers")) {
    Invalid("argument 'customers' of " + std::string(op) + " is required");
  }
  json list = json::array();
  for (const auto& customer :
       Take(testing::CreateCustomersFromJson(auth, Dump(fixture), c.rc, c.website))) {
    list.push_back(internal::CustomerToJson(customer, true));
  }
  return {{"customers", std::move(list)}};
}

// --- The table ---------------------------------------------------------------------------------

struct Operation {
  std::string_view name;
  json (*handler)(Call& c);
  bool needs_handle;
};

// The operations of custauth_call (custauth.h lists their arguments and results).
constexpr Operation kOperations[] = {
    {"version", &OpVersion, false},
    {"keys_generate", &OpKeysGenerate, false},
    {"customer_create", &OpCustomerCreate, true},
    {"customer_update", &OpCustomerUpdate, true},
    {"customer_find", &OpCustomerFind, true},
    {"customer_delete", &OpCustomerDelete, true},
    {"generate_customer_token", &OpGenerateCustomerToken, true},
    {"sign_in", &OpGenerateCustomerToken, true},
    {"request_password_reset", &OpRequestPasswordReset, true},
    {"reset_password", &OpResetPassword, true},
    {"change_password", &OpChangePassword, true},
    {"issue_otc", &OpIssueOtc, true},
    {"exchange_otc", &OpExchangeOtc, true},
    {"verify_token", &OpVerifyToken, true},
    {"revoke_customer_tokens", &OpRevokeCustomerTokens, true},
    {"renew_token", &OpRenewToken, true},
    {"revoke_session", &OpRevokeSession, true},
    {"list_sessions", &OpListSessions, true},
    {"audit_list", &OpAuditList, true},
    {"prune", &OpPrune, true},
    {"integration_create", &OpIntegrationCreate, true},
    {"integration_list", &OpIntegrationList, true},
    {"integration_revoke", &OpIntegrationRevoke, true},
    {"integration_set_permissions", &OpIntegrationSetPermissions, true},
    {"customer_import", &OpCustomerImport, true},
    {"revocations_import", &OpRevocationsImport, true},
    {"integration_import", &OpIntegrationImport, true},
    {"exchange_external_customer_token", &OpExchangeExternalCustomerToken, true},
};

const Operation* FindOperation(std::string_view op) {
  const auto it = std::find_if(std::begin(kOperations), std::end(kOperations),
                               [&](const Operation& o) { return o.name == op; });
  return it == std::end(kOperations) ? nullptr : it;
}

// Runs one operation of custauth_call and returns its result; throws Refused or InvalidArgument.
// A response shaped elsewhere (the GraphQL one of the exchange) comes back in *verbatim instead,
// so that its members keep their order. Every operation but version and keys_generate checks the
// handle first, an unknown one too.
json Dispatch(custauth_t* db, std::string_view op, Args& a, Context ctx, std::string* verbatim) {
  const Operation* found = FindOperation(op);
  if (found != nullptr && !found->needs_handle) {
    Call c{a, nullptr, ctx.request, ctx.website_id, verbatim};
    return found->handler(c);
  }
  CustomerAuth& auth = Auth(db);
  if (auto w = a.opt_int("website_id")) ctx.website_id = WebsiteId(*w);
  Call c{a, &auth, ctx.request, ctx.website_id, verbatim};
  if (found != nullptr) return found->handler(c);
  if (op.starts_with("test.")) return DispatchTest(c, op);
  Invalid("unknown operation '" + std::string(op) + "'");
}

}  // namespace

int RunOperation(custauth_t* db, std::string_view op, Args& a, const Context& ctx, char** out) {
  try {
    std::string verbatim;
    json result = Dispatch(db, op, a, ctx, &verbatim);
    *out = verbatim.empty() ? DupJson(result) : Dup(verbatim);
    sodium_memzero(verbatim.data(), verbatim.size());
    return CUSTAUTH_OK;
  } catch (const Refused& r) {
    return Fail(r.status);
  }
}

void ErrorResponse(char** out) {
  const int code = LastErrorCode();
  const std::string message = LastErrorMessage();
  *out = DupJson(internal::ErrorToJson(Status(static_cast<Code>(code), message)));
  SetError(code, message);
}

}  // namespace custauth::capi

extern "C" int custauth_call(char** out, custauth_t* db, const char* operation,
                             const char* args_json, const char* context_json) {
  return ResponseOut(out, [&] {
    if (operation == nullptr || *operation == '\0') Invalid("operation is empty");
    const json args = ParseObject(args_json, "args_json");
    const Context c = ContextFromJson(ParseObject(context_json, "context_json"));
    Args a(args, std::string("operation '") + operation + "'");
    return RunOperation(db, operation, a, c, out);
  });
}
