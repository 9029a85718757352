// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// OtcStore: one-time secrets over Storage (DESIGN.md, "The pieces"): an admin's Login-as-Customer
// code and a password-reset token are the same mechanism with another kind, shape and lifetime.
//   - issue: a fresh secret; only the latest works (issuing voids the customer's earlier secret of
//     the kind, in the same write);
//   - consume: atomically, once: of any number of racing consumers exactly one succeeds;
//   - void: the customer's unused secret of the kind stops working.
// Only a keyed hash of a secret is stored (keyed with Keys::secret_key, bound to the kind and the
// customer), so a copy of the database does not reveal live secrets.
//
// CustomerAuth::issue_otc, request_password_reset, the built-in verifiers and consent withdrawal
// go through the handle's OtcStore (CustomerAuth::otc_store()). Thread-safe.
#ifndef CUSTAUTH_OTC_STORE_H_
#define CUSTAUTH_OTC_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "custauth/clock.h"
#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

struct OtcStoreOptions {
  // Required: the key secrets are hashed with (Keys::secret_key, at least 32 bytes).
  std::string secret_key;
  // Lifetimes per kind. Defaults: the platform's 2 hours and 30 s.
  TimeMs reset_token_lifetime = 2 * kHour;
  TimeMs otc_lifetime = 30 * kSecond;
  // Default (null): SystemRandom::Shared().
  std::shared_ptr<Random> random;
};

// Who issued a secret and why (admin codes; kept with the secret and in the audit trail).
struct SecretIssuer {
  std::optional<std::int64_t> admin_id;
  std::string reason;
};

class CUSTAUTH_EXPORT OtcStore {
 public:
  // REQUIRES: storage != nullptr. kInvalidInput for a short key or a non-positive lifetime.
  static Result<std::unique_ptr<OtcStore>> Open(std::shared_ptr<Storage> storage,
                                                OtcStoreOptions options);

  OtcStore(const OtcStore&) = delete;
  OtcStore& operator=(const OtcStore&) = delete;
  ~OtcStore();

  // Issues a new secret of `kind` to the customer, valid from `now` for the kind's lifetime, and
  // returns it (and, in *record when given, what was stored): a reset token is 32 letters and
  // digits, an admin code 32 lowercase hex characters. The customer's earlier unused secret of
  // the kind stops working in the same write, which also appends `audit` (Storage::put_secret).
  // kNotFound (no such customer), kStorage.
  Result<std::string> issue(SecretKind kind, std::int64_t customer_id, TimeMs now,
                            const SecretIssuer& issuer = {}, SecretRecord* record = nullptr,
                            std::span<const AuditRecord> audit = {});

  // Consumes the customer's live secret of `kind` equal to `secret`, atomically: exactly one of
  // any number of racing callers gets it. kNotFound (wrong shape, never issued, replaced, voided
  // or used), kExpired (now >= its expiry; it stays unused), kStorage.
  Result<SecretRecord> consume(SecretKind kind, std::int64_t customer_id, std::string_view secret,
                               TimeMs now);

  // Voids the customer's unused secret of `kind`, if any. OK when there is none.
  Status void_secret(SecretKind kind, std::int64_t customer_id);

  // The keyed hash under which `secret` is stored for (kind, customer): what a sign-in write
  // consumes (Verdict::consume_hash).
  std::string hash_of(SecretKind kind, std::int64_t customer_id, std::string_view secret) const;

  // Whether `secret` has the shape of a secret of `kind` (checked before any storage access).
  static bool has_shape(SecretKind kind, std::string_view secret);

  TimeMs lifetime(SecretKind kind) const;

 private:
  OtcStore(std::shared_ptr<Storage> storage, OtcStoreOptions options);
  std::shared_ptr<Storage> storage_;
  OtcStoreOptions options_;
};

}  // namespace custauth

#endif  // CUSTAUTH_OTC_STORE_H_
