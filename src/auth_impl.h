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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.h"
#include "custauth/auth.h"
#include "custauth/sys/storage_backend.h"
#include "internal.h"
#include "json.h"

namespace custauth {

namespace internal {

inline constexpr std::size_t kResetTokenLength = 32;
inline constexpr std::size_t kOtcLength = 32;
// Secrets longer than this are refused at login before any hashing.
inline constexpr std::size_t kMaxLoginSecret = 4096;
// The longest audit retention AuthOptions accepts: 100 years.
inline constexpr int kMaxRetentionDays = 36600;

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
using internal::kMaxRetentionDays;
using internal::kOtcLength;
using internal::kResetTokenLength;
using internal::SecretPurpose;
using internal::SignInIncorrect;
using internal::SourceName;

struct CustomerAuth::Impl {
  std::shared_ptr<Storage> storage;
  AuthOptions options;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<TokenIssuer> tokens;
  std::unique_ptr<OtcStore> secrets;  // one-time secrets

  // What the verifiers of this handle may use (custauth/verifier.h).
  struct Services final : VerifierServices {
    explicit Services(Impl& i) : impl(i) {}
    PasswordHasher& hasher() override { return *impl.hasher; }
    OtcStore& otc_store() override { return *impl.secrets; }
    Impl& impl;
  };
  Services services{*this};

  // One verifier of a chain, with its name read once at open.
  struct ChainLink {
    std::shared_ptr<PasswordVerifier> verifier;
    std::string name;
  };
  using Chain = std::vector<ChainLink>;
  Chain login_chain;     // generate_customer_token's (options.verifiers or verifier_chain)
  Chain exchange_chain;  // exchange_otc's: the built-in admin-code verifier alone
  // Builds login_chain and exchange_chain from options; kInvalidInput for a null verifier, a bad or
  // repeated name, more than 16.
  Status BuildChains();
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
  // `audit`: the record of the change, written by the update (none when it is refused).
  Result<Customer> UpdateCustomer(const Customer& c, CustomerPatch patch, bool revoke, TimeMs now,
                                  std::optional<AuditRecord> audit = std::nullopt) {
    // The revocation time is read inside the write (decide at the write): a sign-in whose write
    // committed before this one issued its token as of an earlier time, which this covers.
    if (revoke) patch.revoke_clock = options.clock.get();
    std::span<const AuditRecord> records;
    if (audit) records = std::span<const AuditRecord>(&*audit, 1);
    auto updated = storage->update_customer(c.id, patch, now, records);
    if (updated.ok() && revoke) tokens->note_revocation(updated->id, updated->tokens_revoked_at);
    return updated;
  }

  // One run of import_customers (import/batching.cpp).
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
    // also when the customer has no password.
    if (!verified) CUSTAUTH_RETURN_IF_ERROR(hasher->dummy_verify(secret));
    return std::optional<Match>();
  }

  // The login flow shared by generate_customer_token and exchange_otc (login.cpp): every
  // decision is taken by a storage write (DOMAIN.md, "Under concurrency the lock bounds guesses").
  Result<IssuedToken> Authenticate(std::string_view email, std::string_view secret,
                                   const Chain& chain, const RequestContext& ctx,
                                   std::int64_t website_id);

  // The token of a sign-in the write `at` recorded; with sessions on, it first stores the
  // session the token names (its method `via`: the verifier that matched, or "external").
  Result<IssuedToken> IssueForSignIn(const Customer& c, TimeMs at, const RequestContext& ctx,
                                     std::string_view via);

  // change_password after its input checks (login.cpp): the current password is a guess, counted
  // before it is verified as a login's is (an attempt taken by one write that refuses when the
  // account is locked or the failures recorded plus the guesses in flight reach the limit).
  Status ChangePassword(std::string_view email, std::string_view current_password,
                        std::string_view new_password, const RequestContext& ctx,
                        std::int64_t website_id);

  // The records of a counted failure (login.failure with `why`; customer.lock when it locked the
  // account), made inside its write from the lock state it leaves.
  AuditOf<LockState> FailureAudit(const Customer* c, const RequestContext& ctx,
                                  std::string_view why, std::string_view email, TimeMs now) const;

  // The attempt a login for `email` on `website_id` takes (customer_id 0: an unknown email).
  LoginAttempt Attempt(std::int64_t website_id, std::string_view email,
                       std::int64_t customer_id) const;

  struct LoginRun;     // one run of Authenticate (login.cpp)
  struct ExchangeRun;  // one exchangeExternalCustomerToken request (exchange.cpp)

  // Attempts this process took and could not give back (storage failed at that moment: a
  // restart, a lost connection). Given back before the next login of this handle, so that an
  // outage does not leave the accounts it touched refused for login_attempt_lifetime.
  std::mutex pending_mu;
  std::vector<LoginAttempt> pending_releases;
  void KeepForRelease(const LoginAttempt& a);
  void ReleasePending();

  void AuditFailure(const Customer* c, const RequestContext& ctx, std::string_view why,
                    std::string_view email) {
    (void)storage->append_audit(FailureRecord(c, ctx, why, email, now()));
  }
  // The record of a failed login (login.failure) at `at`.
  AuditRecord FailureRecord(const Customer* c, const RequestContext& ctx, std::string_view why,
                            std::string_view email, TimeMs at) const {
    nlohmann::json d = {{"why", why}};
    if (c == nullptr) d["email"] = std::string(email);
    AuditRecord r = MakeAudit("login.failure", c, ctx, d.dump());
    r.at = at;
    return r;
  }

  TimeMs now() const { return options.clock->now(); }

  // The retention of options (DOMAIN.md): audit_retention_days, and the defaults for the rest.
  RetentionPolicy Retention() const {
    RetentionPolicy policy;
    policy.audit = static_cast<TimeMs>(options.audit_retention_days) * 24 * kHour;
    return policy;
  }

  // The record of `event` now, for a write that carries it (storage_records.h, "Audit in the
  // write") or for Audit().
  AuditRecord MakeAudit(std::string event, const Customer* c, const RequestContext& ctx,
                        std::string detail = {}) const {
    AuditRecord r;
    r.at = now();
    r.event = std::move(event);
    if (c != nullptr) r.customer_id = c->id;
    r.actor = ctx.actor;
    r.client_ip = ctx.client_ip;
    r.detail = std::move(detail);
    return r;
  }

  // Appends the record of an event that changed nothing custauth keeps (a refusal), or whose
  // write does not carry its records yet; best effort: the operation already happened.
  void Audit(std::string event, const Customer* c, const RequestContext& ctx,
             std::string detail = {}) {
    (void)storage->append_audit(MakeAudit(std::move(event), c, ctx, std::move(detail)));
  }
};

}  // namespace custauth

#endif  // CUSTAUTH_SRC_AUTH_IMPL_H_
