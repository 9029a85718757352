// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The rules every backend applies to sessions (storage.h, "Sessions"), in one place: what a
// renewal's write refuses, and when an ended session may be pruned. Not installed.
#ifndef CUSTAUTH_SRC_SESSION_CHECKS_H_
#define CUSTAUTH_SRC_SESSION_CHECKS_H_

#include <cstdint>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage_records.h"

namespace custauth::internal {

// kNotFound: "No such session with id = N".
Status NoSuchSession(std::int64_t id);

// What renew_session refuses, judged inside its write at `now` (storage.h): `customer` is null
// when the customer is gone. OK when the renewal may go ahead.
Status JudgeRenewal(const SessionRecord& session, const Customer* customer, TimeMs token_issued_at,
                    TimeMs now);

// Whether a session ended (revoked, or past its maximum age) at or before `cutoff`: then
// retention removes it.
inline bool SessionEndedBy(const SessionRecord& s, TimeMs cutoff) {
  return s.expires_at <= cutoff || (s.revoked_at > 0 && s.revoked_at <= cutoff);
}

// Whether a session is live at `now`: not revoked, before its expires_at.
inline bool SessionLive(const SessionRecord& s, TimeMs now) {
  return s.revoked_at == 0 && now < s.expires_at;
}

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_SESSION_CHECKS_H_
