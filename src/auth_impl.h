// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The inside of CustomerAuth, shared by the files that implement its operations (auth.cpp,
// exchange.cpp, …). Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_AUTH_IMPL_H_
#define CUSTAUTH_SRC_AUTH_IMPL_H_

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.h"
#include "custauth/auth.h"
#include "internal.h"
#include "json.h"

namespace custauth {

namespace internal {

inline constexpr std::size_t kResetTokenLength = 32;
inline constexpr std::size_t kOtcLength = 32;
// Secrets longer than this are refused at login before any hashing.
inline constexpr std::size_t kMaxLoginSecret = 4096;

inline bool IsResetTokenShape(std::string_view s) {
  if (s.size() != kResetTokenLength) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

inline bool IsOtcShape(std::string_view s) {
  if (s.size() != kOtcLength) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

inline std::string SecretPurpose(SecretKind kind, std::int64_t customer_id) {
  return fmt::format("{}:{}", kind == SecretKind::kPasswordReset ? "reset" : "otc", customer_id);
}

inline const char* SourceName(SecretSource s) {
  switch (s) {
    case SecretSource::kAccountPassword:
      return "password";
    case SecretSource::kResetToken:
      return "reset_token";
    case SecretSource::kAdminOtc:
      return "otc";
  }
  return "unknown";
}

// The revocation time to store when revoking at `now` a customer whose tokens were last revoked at
// `previous`. Tokens carry iat in whole seconds, and a token issued in the same second as a
// revocation gets the next second as its iat (TokenIssuer::issue); a second revocation within that
// second must cover such tokens too, so it is moved to the start of the next second.
inline TimeMs RevocationTime(TimeMs previous, TimeMs now) {
  if (previous > 0 && previous / 1000 >= now / 1000) return (previous / 1000 + 1) * 1000;
  return now;
}

// An operation's `email` argument: DOMAIN.md's message when it is empty, else the email rules.
inline Status CheckEmailArgument(std::string_view email) {
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmail);
  return ValidateEmail(email);
}

inline Status SignInIncorrect() {
  return Status(Code::kAuthenticationFailed, msg::kSignInIncorrect);
}

}  // namespace internal

using internal::CheckEmailArgument;
using internal::IsOtcShape;
using internal::IsResetTokenShape;
using internal::kMaxLoginSecret;
using internal::kOtcLength;
using internal::kResetTokenLength;
using internal::RevocationTime;
using internal::SecretPurpose;
using internal::SignInIncorrect;
using internal::SourceName;

struct CustomerAuth::Impl {
  std::shared_ptr<Storage> storage;
  AuthOptions options;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<TokenIssuer> tokens;
  std::atomic<std::uint64_t> exchanges{0};  // exchange_external_customer_token calls, for pruning

  // Test handles only (options.test_mode): the clock test_set_time moves (also options.clock),
  // and the last one-time secret issued per (kind, customer), for test_last_secret.
  std::shared_ptr<ManualClock> test_clock;
  std::mutex test_mu;
  std::map<std::pair<SecretKind, std::int64_t>, std::string> test_secrets;

  void NoteTestSecret(SecretKind kind, std::int64_t customer_id, const std::string& secret) {
    if (!options.test_mode) return;
    std::lock_guard<std::mutex> lock(test_mu);
    test_secrets[{kind, customer_id}] = secret;
  }

  std::string SecretHash(SecretKind kind, std::int64_t customer_id, std::string_view secret) const {
    return internal::KeyedHash(options.keys.secret_key, SecretPurpose(kind, customer_id), secret);
  }

  std::string RandomString(std::string_view alphabet, std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) {
      c = alphabet[options.random->uniform(static_cast<std::uint32_t>(alphabet.size()))];
    }
    return out;
  }

  // Applies `patch` to customer `c`; with `revoke`, it also revokes the customer's tokens
  // (RevocationTime) and this handle's token cache learns it at once.
  Result<Customer> UpdateCustomer(const Customer& c, CustomerPatch patch, bool revoke, TimeMs now) {
    if (revoke) patch.revoke_tokens_at = RevocationTime(c.tokens_revoked_at, now);
    auto updated = storage->update_customer(c.id, patch, now);
    if (updated.ok() && revoke) tokens->note_revocation(updated->id, updated->tokens_revoked_at);
    return updated;
  }

  // One run of import_customers (import.cpp).
  struct CustomerImport;

  // Seals creds' secrets, stores the integration and audits `event` (exchange.cpp).
  Result<IntegrationCredentials> StoreIntegration(IntegrationCredentials creds,
                                                  std::string_view name,
                                                  const std::vector<std::string>& permissions,
                                                  const RequestContext& ctx, const char* event);

  struct Match {
    SecretSource source;
    std::optional<SecretRecord> secret;  // for one-time secrets
  };

  // Runs `chain` for (customer, secret): the first match, nullopt when none matched, or a failure
  // of the machinery (kBusy, kStorage).
  Result<std::optional<Match>> RunChain(const Customer& c, std::string_view secret,
                                        const std::vector<SecretSource>& chain, TimeMs now) {
    bool verified = false;  // whether a password verification ran (else the dummy runs below)
    for (SecretSource source : chain) {
      switch (source) {
        case SecretSource::kAccountPassword: {
          if (!c.has_password()) break;
          auto ok = hasher->verify(secret, c.password_hash);
          if (!ok.ok()) {
            if (ok.code() == Code::kInvalidInput) break;  // an unreadable stored hash never matches
            return ok.status();
          }
          verified = true;
          if (*ok) return std::optional<Match>(Match{source, std::nullopt});
          break;
        }
        case SecretSource::kResetToken:
        case SecretSource::kAdminOtc: {
          const bool otc = source == SecretSource::kAdminOtc;
          if (otc ? !IsOtcShape(secret) : !IsResetTokenShape(secret)) break;
          if (otc && !c.allow_remote_shopping_assistance) break;
          const SecretKind kind = otc ? SecretKind::kAdminOtc : SecretKind::kPasswordReset;
          auto used = storage->consume_secret(kind, c.id, SecretHash(kind, c.id, secret), now);
          if (used.ok()) return std::optional<Match>(Match{source, std::move(used).value()});
          if (used.code() != Code::kNotFound && used.code() != Code::kExpired) {
            return used.status();
          }
          break;
        }
      }
    }
    // A known customer with no match costs what an unknown email costs (one Argon2 verification),
    // also when the chain verified no password (exchange_otc) or the customer has none.
    if (!verified) CUSTAUTH_RETURN_IF_ERROR(hasher->dummy_verify(secret));
    return std::optional<Match>();
  }

  // The login flow shared by generate_customer_token and exchange_otc.
  Result<std::string> Authenticate(std::string_view email, std::string_view secret,
                                   const std::vector<SecretSource>& chain,
                                   const RequestContext& ctx, std::int64_t website_id) {
    if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmail);
    if (secret.empty()) return Status(Code::kInvalidInput, msg::kSpecifyPassword);
    if (secret.size() > kMaxLoginSecret || !IsValidEmail(email)) return SignInIncorrect();
    const TimeMs now = this->now();
    auto found = storage->find_customer_by_email(website_id, email);
    if (!found.ok()) {
      if (found.code() != Code::kNotFound) return found.status();
      // An unknown email costs what a wrong password costs; kBusy alike at the hasher's limit.
      CUSTAUTH_RETURN_IF_ERROR(hasher->dummy_verify(secret));
      AuditFailure(nullptr, ctx, "unknown_email", email);
      return SignInIncorrect();
    }
    const Customer& c = *found;
    if (c.locked_at(now) || !c.is_active) {
      CUSTAUTH_RETURN_IF_ERROR(hasher->dummy_verify(secret));
      AuditFailure(&c, ctx, c.is_active ? "locked" : "inactive", email);
      return SignInIncorrect();
    }
    auto match = RunChain(c, secret, chain, now);
    if (!match.ok()) return match.status();
    if (!match->has_value()) {
      auto lock = storage->record_login_failure(c.id, now, options.lockout);
      AuditFailure(&c, ctx, "wrong_secret", email);
      if (lock.ok() && lock->newly_locked) {
        audit("customer.lock", &c, ctx,
              nlohmann::json({{"failures_num", lock->failures_num},
                              {"lock_expires", internal::FormatTime(*lock->lock_expires)}})
                  .dump());
      }
      return SignInIncorrect();
    }
    const Match& m = **match;
    if (m.source == SecretSource::kAdminOtc) {
      AuditRecord r;
      r.at = now;
      r.event = "otc.use";
      r.customer_id = c.id;
      r.admin_id = m.secret->admin_id;
      r.reason = m.secret->reason;
      r.actor = ctx.actor;
      r.client_ip = ctx.client_ip;
      (void)storage->append_audit(r);
    }
    if (!c.confirmed) {
      audit("login.not_confirmed", &c, ctx, nlohmann::json({{"via", SourceName(m.source)}}).dump());
      return Status(Code::kNotConfirmed, msg::kNotConfirmed);
    }
    Customer current = c;
    CustomerPatch patch;
    bool write = false;
    if (c.failures_num != 0 || c.first_failure || c.lock_expires) {
      patch.clear_lock = true;
      write = true;
    }
    if (m.source == SecretSource::kAccountPassword && hasher->needs_rehash(c.password_hash)) {
      auto rehashed = hasher->hash(secret);
      if (rehashed.ok()) {
        patch.password_hash = std::move(rehashed).value();
        patch.expect_password_hash = c.password_hash;
        write = true;
      }
    }
    bool rehashed = false;
    if (write) {
      auto updated = storage->update_customer(c.id, patch, now);
      if (updated.ok()) {
        current = std::move(updated).value();
        rehashed = patch.password_hash.has_value();
      } else if (updated.code() == Code::kConflict) {
        // The password changed meanwhile: keep the new one, still clear the lock.
        CustomerPatch clear;
        clear.clear_lock = true;
        (void)storage->update_customer(c.id, clear, now);
      } else {
        return updated.status();
      }
    }
    auto token = tokens->issue(current);
    if (!token.ok()) return token.status();
    nlohmann::json detail = {{"via", SourceName(m.source)}};
    if (rehashed) detail["rehashed"] = true;
    audit("login.success", &c, ctx, detail.dump());
    return token;
  }

  void AuditFailure(const Customer* c, const RequestContext& ctx, std::string_view why,
                    std::string_view email) {
    nlohmann::json d = {{"why", why}};
    if (c == nullptr) d["email"] = std::string(email);
    audit("login.failure", c, ctx, d.dump());
  }

  TimeMs now() const { return options.clock->now(); }

  void audit(std::string event, const Customer* c, const RequestContext& ctx,
             std::string detail = {}) {
    AuditRecord r;
    r.at = now();
    r.event = std::move(event);
    if (c != nullptr) r.customer_id = c->id;
    r.actor = ctx.actor;
    r.client_ip = ctx.client_ip;
    r.detail = std::move(detail);
    // The audit trail is best effort for these events: the operation already happened.
    (void)storage->append_audit(r);
  }
};

}  // namespace custauth

#endif  // CUSTAUTH_SRC_AUTH_IMPL_H_
