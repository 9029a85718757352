// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Sessions (TokenOptions::sessions): the session a sign-in starts, renewal, signing out one
// device, and the list of a customer's sessions.

#include <nlohmann/json.hpp>

#include "auth_impl.h"

namespace custauth {
namespace {

constexpr std::string_view kNoSession = "The token has no session.";
constexpr std::string_view kSessionRevoked = "The session has been revoked.";
constexpr std::string_view kTokenRevoked = "The token has been revoked.";
constexpr std::string_view kSessionTooOld = "The session has reached its maximum age.";

// A verified token's session id, or kInvalidInput for a token issued with sessions off.
Result<std::int64_t> SessionOf(const TokenClaims& claims) {
  if (claims.session_id <= 0) return Status(Code::kInvalidInput, kNoSession);
  return claims.session_id;
}

// What a renewal's write refused, as the caller sees it.
Status RenewalRefusal(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound:
      return Status(Code::kInvalidToken, kTokenRevoked);
    case Code::kInvalidToken:
      return s.message() == kSessionRevoked ? s : Status(Code::kInvalidToken, kTokenRevoked);
    case Code::kExpired:
      return Status(Code::kExpired, kSessionTooOld);
    case Code::kAuthenticationFailed:
    case Code::kLocked:
      return SignInIncorrect();
    default:
      return s;
  }
}

std::string SessionDetail(std::int64_t session_id) {
  return nlohmann::json({{"session_id", session_id}}).dump();
}

}  // namespace

Result<IssuedToken> CustomerAuth::Impl::IssueForSignIn(const Customer& c, TimeMs at,
                                                       const RequestContext& ctx,
                                                       std::string_view via) {
  if (!options.tokens.sessions) return tokens->issue_token(c, at);
  SessionRecord s;
  s.customer_id = c.id;
  s.created_at = at;
  s.renewed_at = at;
  s.expires_at = at + options.tokens.max_session_age;
  s.client_ip = ctx.client_ip;
  s.user_agent = ctx.user_agent;
  s.method = std::string(via);
  auto stored = storage->create_session(s);
  if (!stored.ok()) return stored.status();
  return tokens->issue_token(c, at, &*stored);
}

Result<IssuedToken> CustomerAuth::renew_token(std::string_view token, const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  auto claims = impl_->tokens->verify(token);
  if (!claims.ok()) return claims.status();
  auto sid = SessionOf(*claims);
  if (!sid.ok()) return sid.status();
  // Decided at the write: the session, the customer and the revocation time as they are now.
  auto renewed = impl_->storage->renew_session(*sid, claims->customer_id, claims->issued_at_ms,
                                               *impl_->options.clock);
  if (!renewed.ok()) {
    if (renewed.code() == Code::kStorage || renewed.code() == Code::kUnsupported) {
      return renewed.status();
    }
    const Status refused = RenewalRefusal(renewed.status());
    impl_->Audit(
        "session.renew_refused", nullptr, ctx,
        nlohmann::json({{"session_id", *sid}, {"why", renewed.status().message()}}).dump());
    return refused;
  }
  auto issued = impl_->tokens->issue_token(renewed->customer, renewed->at, &renewed->session);
  if (!issued.ok()) return issued.status();
  impl_->Audit("session.renew", &renewed->customer, ctx, SessionDetail(*sid));
  return issued;
}

Status CustomerAuth::revoke_session(std::string_view token, const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  auto claims = impl_->tokens->verify(token);
  if (!claims.ok()) return claims.status();
  auto sid = SessionOf(*claims);
  if (!sid.ok()) return sid.status();
  auto revoked = impl_->storage->revoke_session(*sid, impl_->now());
  if (!revoked.ok()) {
    return revoked.code() == Code::kNotFound ? Status(Code::kInvalidToken, kTokenRevoked)
                                             : revoked.status();
  }
  impl_->tokens->note_session_revocation(*sid);
  Customer who;
  who.id = revoked->customer_id;
  impl_->Audit("session.revoke", &who, ctx, SessionDetail(*sid));
  return Status::Ok();
}

Result<std::vector<SessionRecord>> CustomerAuth::list_sessions(std::string_view email,
                                                               std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  const TimeMs now = impl_->now();
  auto sessions = impl_->storage->list_sessions(found->id, now);
  if (!sessions.ok()) return sessions;
  // A session whose last token (issued at its last renewal) has expired can no longer be renewed
  // or used: the device is signed out, and the row waits for retention.
  const TimeMs usable = impl_->options.tokens.lifetime + impl_->options.tokens.leeway;
  std::erase_if(*sessions, [&](const SessionRecord& s) { return s.renewed_at + usable <= now; });
  return sessions;
}

}  // namespace custauth
