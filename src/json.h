// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// JSON shapes of the C ABI, and of custauth/json.h (their installed text form, which the
// command-line tool uses). Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_JSON_H_
#define CUSTAUTH_SRC_JSON_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "custauth/auth.h"
#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth::internal {

// Limits on every JSON document a caller hands custauth (SECURITY.md, "Bounded inputs"): arrays
// and objects nested at most kMaxJsonDepth deep, and at most kMaxJsonBytes bytes unless the entry
// point gives a smaller cap. Checked before any recursive code (dump, copy, compare) sees the
// document: nlohmann's parser is iterative, its serializer is not.
inline constexpr std::size_t kMaxJsonDepth = 8;
inline constexpr std::size_t kMaxJsonBytes = std::size_t{1} << 20;  // 1 MiB

// Parses `text` after checking, in one iterative pass that builds nothing, its size, its depth
// and that no object names a member twice (nlohmann would silently keep the last). `what` names
// the text in the kInvalidInput messages: "<what> is too large", "<what> is nested too deeply",
// "<what> has the field \"k\" more than once", "<what> is not valid JSON".
Result<nlohmann::json> ParseJsonChecked(std::string_view text, std::string_view what,
                                        std::size_t max_bytes = kMaxJsonBytes);

// "2026-11-23 12:48:27" (UTC), the platform's timestamp format.
std::string FormatTime(TimeMs t);

// A customer as a host shows it. `admin` adds the lock state and revocation time.
nlohmann::json CustomerToJson(const Customer& c, bool admin = false);

// {"errors":[{"message":"…","extensions":{"category":"…","code":"…"}}]}: graphql::ErrorResponse
// without a path (defined in graphql.cpp).
nlohmann::json ErrorToJson(const Status& s);

nlohmann::json AuditToJson(const AuditRecord& r);

nlohmann::json ClaimsToJson(const TokenClaims& c);

nlohmann::json SessionToJson(const SessionRecord& s);

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_JSON_H_
