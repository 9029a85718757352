// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The JSON shapes custauth shows its records in (the command-line tool's output, the C ABI's
// results), as compact JSON text for a host to parse or pass on. Members are in name order. Bytes
// that are not UTF-8 (custauth stores none) come out as U+FFFD.
#ifndef CUSTAUTH_JSON_H_
#define CUSTAUTH_JSON_H_

#include <string>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage_records.h"
#include "custauth/token.h"

namespace custauth {

// "2026-11-23 12:48:27": `t` in UTC, in the platform's timestamp format.
CUSTAUTH_EXPORT std::string FormatPlatformTime(TimeMs t);

// A customer as a host shows it: {"id", "website_id", "email", "firstname", "lastname",
// "is_subscribed", "confirmed", "is_active", "allow_remote_shopping_assistance", "created_at",
// "updated_at"} (times as FormatPlatformTime). `admin` adds what only an administrator sees:
// "has_password", "password_format" ("argon2id", "argon2i", "platform" for an imported hash, null
// without a password), "failures_num", "first_failure", "lock_expires" and "tokens_revoked_at"
// (times, or null). No password hash, ever.
CUSTAUTH_EXPORT std::string CustomerJson(const Customer& c, bool admin = false);

// An audit record: {"id", "at", "event", "actor", "reason", "client_ip", "customer_id",
// "admin_id"} (the ids null when absent), and "detail" when the record has one: the object it
// holds, or its text when that is not JSON.
CUSTAUTH_EXPORT std::string AuditJson(const AuditRecord& r);

// A refused operation, as GraphQL reports it (graphql::ErrorResponse without a path):
// {"errors":[{"message":…,"extensions":{"category":…,"code":…}}]}. REQUIRES: !s.ok().
CUSTAUTH_EXPORT std::string ErrorJson(const Status& s);

// A verified token's claims: {"uid", "utypid", "iat", "exp", "format" ("jwt" or "opaque")},
// "kid" when the token names its key, and "sid" when it names a session (TokenOptions::sessions).
CUSTAUTH_EXPORT std::string ClaimsJson(const TokenClaims& c);

// A session (TokenOptions::sessions): {"id", "created_at", "renewed_at", "expires_at" (times as
// FormatPlatformTime), "client_ip", "user_agent", "method"} ("method": the verifier that matched
// at the sign-in, or "external").
CUSTAUTH_EXPORT std::string SessionJson(const SessionRecord& s);

}  // namespace custauth

#endif  // CUSTAUTH_JSON_H_
