// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI's sign-in: customer tokens (generate, verify, revoke), passwords (reset, change),
// admin one-time codes and exchangeExternalCustomerToken.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "capi_internal.h"
#include "capi_wrappers.h"
#include "custauth/auth.h"
#include "json.h"

extern "C" {

int custauth_generate_customer_token(char** out, custauth_t* db, const char* email,
                                     const char* password, const custauth_context* ctx) {
  return StringOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.generate_customer_token(Arg(email), Arg(password), c.request, c.website_id);
  });
}

int custauth_password_reset_request(char** out, custauth_t* db, const char* email,
                                    const custauth_context* ctx) {
  return ResultOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) {
        return auth.request_password_reset(Arg(email), c.request, c.website_id);
      },
      // An unknown email succeeds too, with nothing to mail: *out stays NULL.
      [](const std::optional<std::string>& token) {
        return token.has_value() ? Dup(*token) : nullptr;
      });
}

int custauth_password_reset(custauth_t* db, const char* email, const char* token,
                            const char* new_password, const custauth_context* ctx) {
  return StatusOf(db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.reset_password(Arg(email), Arg(token), Arg(new_password), c.request, c.website_id);
  });
}

int custauth_password_change(custauth_t* db, const char* email, const char* current_password,
                             const char* new_password, const custauth_context* ctx) {
  return StatusOf(db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.change_password(Arg(email), Arg(current_password), Arg(new_password), c.request,
                                c.website_id);
  });
}

int custauth_otc_issue(char** out, custauth_t* db, const char* email, int64_t admin_id,
                       const char* reason, const custauth_context* ctx) {
  return StringOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.issue_otc(Arg(email), admin_id, Arg(reason), c.request, c.website_id);
  });
}

int custauth_otc_exchange(char** out, custauth_t* db, const char* email, const char* code,
                          const custauth_context* ctx) {
  return StringOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) {
    auto issued = auth.exchange_otc(Arg(email), Arg(code), c.request, c.website_id);
    return issued.ok() ? Result<std::string>(std::move(issued->token))
                       : Result<std::string>(issued.status());
  });
}

int custauth_sign_in(char** out, custauth_t* db, const char* email, const char* password,
                     const custauth_context* ctx) {
  return ResultOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) {
        return auth.sign_in(Arg(email), Arg(password), c.request, c.website_id);
      },
      [](const IssuedToken& t) { return DupJson(IssuedToJson(t)); });
}

int custauth_token_renew(char** out, custauth_t* db, const char* token,
                         const custauth_context* ctx) {
  return ResultOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) { return auth.renew_token(Arg(token), c.request); },
      [](const IssuedToken& t) { return DupJson(IssuedToJson(t)); });
}

int custauth_session_revoke(custauth_t* db, const char* token, const custauth_context* ctx) {
  return StatusOf(db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.revoke_session(Arg(token), c.request);
  });
}

int custauth_session_list(char** out, custauth_t* db, const char* email,
                          const custauth_context* ctx) {
  return ListOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) {
        return auth.list_sessions(Arg(email), c.website_id);
      },
      [](const SessionRecord& s) { return internal::SessionToJson(s); });
}

int custauth_token_verify(char** out, custauth_t* db, const char* token) {
  return ResultOut(
      out, db, nullptr,
      [&](CustomerAuth& auth, const Context&) { return auth.verify_token(Arg(token)); },
      [](const TokenClaims& claims) { return DupJson(internal::ClaimsToJson(claims)); });
}

int custauth_token_verify_claims(custauth_claims* out, custauth_t* db, const char* token) {
  return Guard([&] {
    if (out == nullptr) Invalid("out is NULL");
    if (out->version < 1 || out->version > CUSTAUTH_CLAIMS_VERSION) {
      Invalid("custauth_claims.version must be CUSTAUTH_CLAIMS_VERSION");
    }
    const unsigned int version = out->version;
    // A version 1 struct ends before session_id: write no further.
    std::memset(out, 0, version == 1 ? kClaimsV1Size : sizeof *out);
    out->version = version;
    CustomerAuth& auth = Auth(db);
    auto claims = auth.verify_token(Arg(token));
    if (!claims.ok()) return Fail(claims.status());
    out->uid = claims->customer_id;
    out->utypid = claims->user_type;
    out->format = claims->format == TokenFormat::kJwt ? 0 : 1;
    out->iat = claims->issued_at;
    out->exp = claims->expires_at;
    const std::size_t n = std::min(claims->kid.size(), sizeof out->kid - 1);
    std::memcpy(out->kid, claims->kid.data(), n);
    if (version >= 2) out->session_id = claims->session_id;
    return CUSTAUTH_OK;
  });
}

int custauth_token_revoke_all(custauth_t* db, const char* email, const custauth_context* ctx) {
  return StatusOf(db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.revoke_customer_tokens(Arg(email), c.request, c.website_id);
  });
}

int custauth_exchange_external_customer_token(char** out, custauth_t* db,
                                              const custauth_http_request* request,
                                              const char* input_json, const custauth_context* ctx) {
  // Refusals are GraphQL responses too: *out holds {"errors":[...]} whatever the failure.
  return ResponseOut(out, [&] {
    const Context c = ToContext(ctx);
    if (request == nullptr) Invalid("request is NULL");
    const json args = {{"request",
                        {{"method", Arg(request->method)},
                         {"url", Arg(request->url)},
                         {"authorization", Arg(request->authorization)},
                         {"content_type", Arg(request->content_type)},
                         {"body", Arg(request->body)}}},
                       {"input", ParseObject(input_json, "input_json")}};
    Args a(args, "exchange_external_customer_token");
    return RunOperation(db, "exchange_external_customer_token", a, c, out);
  });
}

}  // extern "C"
