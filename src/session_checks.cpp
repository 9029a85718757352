// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "session_checks.h"

#include <fmt/format.h>

namespace custauth::internal {

Status NoSuchSession(std::int64_t id) {
  return Status(Code::kNotFound, fmt::format("No such session with id = {}", id));
}

Status JudgeRenewal(const SessionRecord& session, const Customer* customer, TimeMs token_issued_at,
                    TimeMs now) {
  if (session.revoked_at > 0) return Status(Code::kInvalidToken, "The session has been revoked.");
  if (now >= session.expires_at) {
    return Status(Code::kExpired, "The session has reached its maximum age.");
  }
  if (customer == nullptr || !customer->is_active) {
    return Status(Code::kAuthenticationFailed, "The customer cannot sign in.");
  }
  if (customer->tokens_revoked_at > 0 && token_issued_at <= customer->tokens_revoked_at) {
    return Status(Code::kInvalidToken, "The token has been revoked.");
  }
  if (customer->locked_at(now)) return Status(Code::kLocked, "The account is locked.");
  return Status::Ok();
}

}  // namespace custauth::internal
