// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// CustomerAuth: the facade a host calls, one method per operation of DOMAIN.md. It composes
// Storage, PasswordHasher, the clock and the random source; it owns no SQL and no crypto itself.
//
// Thread safety: one CustomerAuth may be used from many threads at once. Several CustomerAuth
// objects (in one process or several) may share one database; every rule holds across them.
//
// Every method validates its input before touching storage; a refused call changes nothing.
#ifndef CUSTAUTH_AUTH_H_
#define CUSTAUTH_AUTH_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/password.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

// Who is asking, passed through every operation: used for rate limits and the audit trail.
struct RequestContext {
  std::string client_ip;   // e.g. "203.0.113.7"; may be empty
  std::string user_agent;  // may be empty
  std::string actor;       // e.g. "cli", "admin:7"; may be empty
};

struct AuthOptions {
  // Applied when a password is set. Default: the platform's.
  PasswordPolicy password_policy;
  // Argon2id parameters and the concurrency limit. Default: the platform's (ops 2, 64 MiB).
  Argon2Options argon2;
  // Default: 10 failures within 10 minutes lock for 10 minutes.
  LockoutPolicy lockout;
  // Default (null): SystemClock::Shared().
  std::shared_ptr<Clock> clock;
  // Default (null): SystemRandom::Shared().
  std::shared_ptr<Random> random;
};

// The fields of a new customer, as a host passes them.
struct CustomerInput {
  std::int64_t website_id = kDefaultWebsiteId;
  std::string email;
  std::string firstname;
  std::string lastname;
  // Absent: the customer has no password (e.g. created by an external login).
  std::optional<std::string> password;
  bool is_subscribed = false;
  bool confirmed = true;
  bool allow_remote_shopping_assistance = false;
};

// What update_customer may change; unset fields stay as they are.
struct CustomerUpdate {
  std::optional<std::string> firstname;
  std::optional<std::string> lastname;
  std::optional<bool> is_subscribed;
  std::optional<bool> confirmed;
  // false deactivates the customer and revokes their tokens.
  std::optional<bool> is_active;
  // false voids outstanding admin one-time codes at once.
  std::optional<bool> allow_remote_shopping_assistance;
};

class CUSTAUTH_EXPORT CustomerAuth {
 public:
  // REQUIRES: storage != nullptr. The CustomerAuth shares ownership of storage.
  static Result<std::unique_ptr<CustomerAuth>> Open(std::shared_ptr<Storage> storage,
                                                    AuthOptions options = {});

  CustomerAuth(const CustomerAuth&) = delete;
  CustomerAuth& operator=(const CustomerAuth&) = delete;
  ~CustomerAuth();

  // Creates a customer. kInvalidInput (bad email, names or password policy, with the message of
  // the first broken rule), kAlreadyExists (email taken on the website), kBusy, kStorage.
  Result<Customer> create_customer(const CustomerInput& input, const RequestContext& ctx = {});

  // Looks a customer up. kInvalidInput (empty or invalid email), kNotFound.
  Result<Customer> find_customer(std::string_view email,
                                 std::int64_t website_id = kDefaultWebsiteId);
  Result<Customer> find_customer_by_id(std::int64_t id);

  // Updates the customer with this email. kInvalidInput, kNotFound, kStorage.
  Result<Customer> update_customer(std::string_view email, const CustomerUpdate& update,
                                   const RequestContext& ctx = {},
                                   std::int64_t website_id = kDefaultWebsiteId);

  const AuthOptions& options() const;
  Storage& storage();
  PasswordHasher& hasher();
  Clock& clock();

 private:
  struct Impl;
  explicit CustomerAuth(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Validates a customer's first or last name: not empty after trimming, at most 255 bytes, no
// control bytes, valid UTF-8. `field` is "First Name" or "Last Name" (used in the message).
CUSTAUTH_EXPORT Status ValidateName(std::string_view name, std::string_view field);

}  // namespace custauth

#endif  // CUSTAUTH_AUTH_H_
