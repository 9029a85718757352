// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Customers: the record, the email rules and the password policy.
#ifndef CUSTAUTH_CUSTOMER_H_
#define CUSTAUTH_CUSTOMER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "custauth/clock.h"
#include "custauth/export.h"
#include "custauth/status.h"

namespace custauth {

inline constexpr std::int64_t kDefaultWebsiteId = 1;
inline constexpr std::size_t kMaxEmailLength = 255;
inline constexpr std::size_t kMaxNameLength = 255;

// A customer as storage keeps it.
struct Customer {
  std::int64_t id = 0;  // assigned by storage, > 0
  std::int64_t website_id = kDefaultWebsiteId;
  std::string email;  // as given; unique per website, compared case-insensitively
  std::string firstname;
  std::string lastname;
  bool is_subscribed = false;
  bool confirmed = true;
  bool allow_remote_shopping_assistance = false;
  bool is_active = true;
  // A PasswordHasher string ($argon2id$… or the platform's HASH:SALT:VERSIONS); empty when the
  // customer has no password (created by an external login).
  std::string password_hash;
  // Lock state, as the platform keeps it.
  int failures_num = 0;
  std::optional<TimeMs> first_failure;
  std::optional<TimeMs> lock_expires;  // locked while lock_expires > now
  // Tokens issued at or before this time no longer verify (0: never revoked).
  TimeMs tokens_revoked_at = 0;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;

  bool locked_at(TimeMs now) const { return lock_expires.has_value() && *lock_expires > now; }
  bool has_password() const { return !password_hash.empty(); }
};

// The key under which emails are unique: ASCII lower case. (Emails are ASCII; see IsValidEmail.)
CUSTAUTH_EXPORT std::string EmailKey(std::string_view email);

// A practical RFC 5321/5322 subset: at most 255 bytes; one '@'; a local part of 1..64 bytes of
// atext and single, inner dots; a domain of at least two dot-separated labels of letters,
// digits and inner hyphens (each 1..63 bytes), whose last label is at least two letters long.
// No spaces, no control bytes, no quoted strings, no IP literals, no non-ASCII bytes.
CUSTAUTH_EXPORT bool IsValidEmail(std::string_view email) noexcept;

// Status form of IsValidEmail: kInvalidInput with DOMAIN.md's message, or OK.
CUSTAUTH_EXPORT Status ValidateEmail(std::string_view email);

// The password policy applied when a password is set or changed (not at login).
// Default: the platform's (8 characters, 3 of the 4 classes lower/upper/digit/other).
struct PasswordPolicy {
  std::size_t min_length = 8;
  int required_classes = 3;  // 0..4
  // Longer passwords are refused before hashing (a denial-of-service guard). Default: 256 bytes.
  std::size_t max_length = 256;
};

// Checks `password` against `policy` (and that it differs from `email`, and does not begin or end
// with a space, as the platform does). kInvalidInput with a message naming the rule, or OK.
CUSTAUTH_EXPORT Status CheckPasswordPolicy(std::string_view password, const PasswordPolicy& policy,
                                           std::string_view email = {});

}  // namespace custauth

#endif  // CUSTAUTH_CUSTOMER_H_
