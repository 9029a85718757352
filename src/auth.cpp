// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/auth.h"

#include <fmt/format.h>
#include <sodium.h>

#include <limits>
#include <utility>

#include "auth_impl.h"
#include "crypto.h"
#include "custauth/testing.h"
#include "internal.h"
#include "json.h"

namespace custauth {

Status ValidateName(std::string_view name, std::string_view field) {
  if (internal::Trim(name).empty()) {
    return Status(Code::kInvalidInput, fmt::format("\"{}\" is a required value.", field));
  }
  if (name.size() > kMaxNameLength) {
    return Status(
        Code::kInvalidInput,
        fmt::format("\"{}\" uses too many characters. The maximum is {}.", field, kMaxNameLength));
  }
  if (!internal::IsValidUtf8(name) || internal::HasControlBytes(name)) {
    return Status(Code::kInvalidInput, fmt::format("\"{}\" is not a valid value.", field));
  }
  return Status::Ok();
}

namespace {

// A test handle gets a ManualClock (its own unless one was given), a seeded random source and
// keys derived from the seed; any other handle refuses a seed.
Result<std::shared_ptr<ManualClock>> PrepareTestMode(AuthOptions& options) {
  std::shared_ptr<ManualClock> test_clock;
  if (options.test_mode) {
    if (options.clock) {
      test_clock = std::dynamic_pointer_cast<ManualClock>(options.clock);
      if (!test_clock) {
        return Status(Code::kInvalidInput, "a test handle's clock must be a custauth::ManualClock");
      }
    } else {
      test_clock = std::make_shared<ManualClock>();
      options.clock = test_clock;
    }
    if (options.test_seed) {
      if (options.random) return Status(Code::kInvalidInput, "give test_seed or random, not both");
      options.random = std::make_shared<SeededRandom>(*options.test_seed);
    }
    if (options.keys.secret_key.empty() && options.keys.seal_key.empty() &&
        options.keys.jwt_keys.empty()) {
      options.keys = testing::TestKeys(options.test_seed);
    }
  } else if (options.test_seed) {
    return Status(Code::kForbidden, testing::kSeedNeedsTestHandle);
  }
  return test_clock;
}

// The policies and lifetimes: consistent and positive where they must be.
Status ValidatePolicies(const AuthOptions& options) {
  if (options.password_policy.min_length > options.password_policy.max_length ||
      options.password_policy.required_classes < 0 ||
      options.password_policy.required_classes > 4) {
    return Status(Code::kInvalidInput, "the password policy is inconsistent");
  }
  if (options.lockout.max_failures < 0 || options.lockout.lock_duration < 0 ||
      options.lockout.window < 0) {
    return Status(Code::kInvalidInput, "the lockout policy has a negative value");
  }
  if (options.login_throttle.max_failures < 0 || options.login_throttle.lifetime <= 0 ||
      options.login_attempt_lifetime <= 0) {
    return Status(Code::kInvalidInput,
                  "login_throttle.max_failures must not be negative, login_throttle.lifetime and "
                  "login_attempt_lifetime must be positive");
  }
  if (options.argon2.max_concurrent < 1) {
    return Status(Code::kInvalidInput, "argon2.max_concurrent must be at least 1");
  }
  CUSTAUTH_RETURN_IF_ERROR(ValidateKeys(options.keys));
  if (options.tokens.lifetime < kSecond || options.tokens.leeway < 0 ||
      options.tokens.revocation_refresh < 0) {
    return Status(Code::kInvalidInput, "token lifetime must be at least 1 s, leeway >= 0");
  }
  if (options.tokens.max_session_age < kSecond) {
    return Status(Code::kInvalidInput, "tokens.max_session_age must be at least 1 s");
  }
  if (options.oauth_timestamp_window <= 0) {
    return Status(Code::kInvalidInput, "oauth_timestamp_window must be positive");
  }
  if (options.audit_retention_days < 0 || options.audit_retention_days > kMaxRetentionDays) {
    return Status(Code::kInvalidInput,
                  fmt::format("audit_retention_days must be between 0 and {} (got {})",
                              kMaxRetentionDays, options.audit_retention_days));
  }
  if (options.verifier_time_limit <= 0) {
    return Status(Code::kInvalidInput, "verifier_time_limit must be positive");
  }
  if (options.reset_token_lifetime <= 0 || options.otc_lifetime <= 0) {
    return Status(Code::kInvalidInput, "one-time secret lifetimes must be positive");
  }
  return Status::Ok();
}

// Every bound that keeps later arithmetic and hashing from failing.
Status ValidateLimits(const AuthOptions& options) {
  // Every duration is bounded, so that no `now + duration` (lock expiry, token expiry plus leeway,
  // secret expiry) can overflow; the Argon2 limits are libsodium's, so that no hash fails later.
  const std::pair<const char*, TimeMs> durations[] = {
      {"tokens.lifetime", options.tokens.lifetime},
      {"tokens.leeway", options.tokens.leeway},
      {"tokens.revocation_refresh", options.tokens.revocation_refresh},
      {"tokens.max_session_age", options.tokens.max_session_age},
      {"lockout.lock_duration", options.lockout.lock_duration},
      {"lockout.window", options.lockout.window},
      {"login_throttle.lifetime", options.login_throttle.lifetime},
      {"login_attempt_lifetime", options.login_attempt_lifetime},
      {"reset_token_lifetime", options.reset_token_lifetime},
      {"reset_min_interval", options.reset_min_interval},
      {"otc_lifetime", options.otc_lifetime},
      {"oauth_timestamp_window", options.oauth_timestamp_window},
      {"argon2.wait_timeout", options.argon2.wait_timeout},
      {"verifier_time_limit", options.verifier_time_limit}};
  for (const auto& [name, value] : durations) {
    if (value < 0 || value > kMaxDuration) {
      return Status(Code::kInvalidInput,
                    fmt::format("{} must be between 0 and 100 years (got {} ms)", name, value));
    }
  }
  if (options.argon2.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
      options.argon2.opslimit > crypto_pwhash_OPSLIMIT_MAX) {
    return Status(Code::kInvalidInput,
                  fmt::format("argon2.opslimit must be between {} and {} (libsodium's range)",
                              crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_OPSLIMIT_MAX));
  }
  if (options.argon2.memlimit < crypto_pwhash_MEMLIMIT_MIN ||
      options.argon2.memlimit > crypto_pwhash_MEMLIMIT_MAX) {
    return Status(Code::kInvalidInput,
                  fmt::format("argon2.memlimit must be between {} and {} bytes (libsodium's range)",
                              crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_MEMLIMIT_MAX));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<CustomerAuth>> CustomerAuth::Open(std::shared_ptr<Storage> storage,
                                                         AuthOptions options) {
  if (!storage) return Status(Code::kInvalidInput, "CustomerAuth needs a storage");
  EnsureSodium();
  auto test_clock = PrepareTestMode(options);
  if (!test_clock.ok()) return test_clock.status();
  if (!options.clock) options.clock = SystemClock::Shared();
  if (!options.random) options.random = SystemRandom::Shared();
  CUSTAUTH_RETURN_IF_ERROR(ValidatePolicies(options));
  CUSTAUTH_RETURN_IF_ERROR(ValidateLimits(options));
  auto impl = std::make_unique<Impl>();
  impl->storage = std::move(storage);
  impl->test_clock = std::move(test_clock).value();
  impl->hasher = std::make_unique<PasswordHasher>(options.argon2);
  impl->options = std::move(options);
  impl->tokens =
      std::make_unique<TokenIssuer>(*impl->storage, impl->options.keys, impl->options.tokens,
                                    *impl->options.clock, *impl->options.random);
  OtcStoreOptions otc;
  otc.secret_key = impl->options.keys.secret_key;
  otc.reset_token_lifetime = impl->options.reset_token_lifetime;
  otc.otc_lifetime = impl->options.otc_lifetime;
  otc.random = impl->options.random;
  auto otc_store = OtcStore::Open(impl->storage, std::move(otc));
  if (!otc_store.ok()) return otc_store.status();
  impl->secrets = std::move(otc_store).value();
  CUSTAUTH_RETURN_IF_ERROR(impl->BuildChains());
  impl->storage->set_retention(impl->Retention());
  return std::unique_ptr<CustomerAuth>(new CustomerAuth(std::move(impl)));
}

Status CustomerAuth::Impl::BuildChains() {
  constexpr std::size_t kMaxVerifiers = 16;
  std::vector<std::shared_ptr<PasswordVerifier>> verifiers = options.verifiers;
  if (verifiers.empty()) {
    for (SecretSource source : options.verifier_chain) {
      switch (source) {
        case SecretSource::kAccountPassword:
          verifiers.push_back(AccountPasswordVerifier());
          break;
        case SecretSource::kResetToken:
          verifiers.push_back(ResetTokenVerifier());
          break;
        case SecretSource::kAdminOtc:
          verifiers.push_back(AdminOtcVerifier());
          break;
        default:
          return Status(Code::kInvalidInput, "verifier_chain names an unknown source");
      }
    }
  }
  if (verifiers.size() > kMaxVerifiers) {
    return Status(Code::kInvalidInput,
                  fmt::format("at most {} verifiers (got {})", kMaxVerifiers, verifiers.size()));
  }
  for (auto& v : verifiers) {
    if (v == nullptr) return Status(Code::kInvalidInput, "a verifier is null");
    std::string name;
    try {
      name = v->name();
    } catch (...) {
      return Status(Code::kInvalidInput, "a verifier's name() threw");
    }
    if (!IsValidVerifierName(name)) {
      return Status(Code::kInvalidInput,
                    fmt::format("invalid verifier name \"{}\" (1 to 64 of [a-z0-9_.:-])", name));
    }
    for (const ChainLink& l : login_chain) {
      if (l.name == name) {
        return Status(Code::kInvalidInput, fmt::format("two verifiers are named \"{}\"", name));
      }
    }
    login_chain.push_back(ChainLink{std::move(v), std::move(name)});
  }
  exchange_chain.push_back(ChainLink{AdminOtcVerifier(), "otc"});
  return Status::Ok();
}

OtcStore& CustomerAuth::otc_store() { return *impl_->secrets; }

Result<PruneCounts> CustomerAuth::prune() {
  return impl_->storage->prune(impl_->now(), impl_->Retention());
}

RetentionPolicy CustomerAuth::retention() const { return impl_->Retention(); }

CustomerAuth::CustomerAuth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CustomerAuth::~CustomerAuth() = default;

const AuthOptions& CustomerAuth::options() const { return impl_->options; }
Storage& CustomerAuth::storage() { return *impl_->storage; }
TokenIssuer& CustomerAuth::tokens() { return *impl_->tokens; }
PasswordHasher& CustomerAuth::hasher() { return *impl_->hasher; }
Clock& CustomerAuth::clock() { return *impl_->options.clock; }

Result<Customer> CustomerAuth::create_customer(const CustomerInput& input,
                                               const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  if (input.website_id <= 0) return Status(Code::kInvalidInput, "website_id must be positive");
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(input.email));
  CUSTAUTH_RETURN_IF_ERROR(ValidateName(input.firstname, "First Name"));
  CUSTAUTH_RETURN_IF_ERROR(ValidateName(input.lastname, "Last Name"));
  NewCustomer c;
  c.website_id = input.website_id;
  c.email = input.email;
  c.firstname = input.firstname;
  c.lastname = input.lastname;
  c.is_subscribed = input.is_subscribed;
  c.confirmed = input.confirmed;
  c.allow_remote_shopping_assistance = input.allow_remote_shopping_assistance;
  if (input.password.has_value()) {
    CUSTAUTH_RETURN_IF_ERROR(
        CheckPasswordPolicy(*input.password, impl_->options.password_policy, input.email));
    // Refuse a taken email before paying for a hash (the create below re-checks atomically).
    auto existing = impl_->storage->find_customer_by_email(input.website_id, input.email);
    if (existing.ok()) return Status(Code::kAlreadyExists, msg::kCustomerExists);
    if (existing.code() != Code::kNotFound) return existing.status();
    auto hash = impl_->hasher->hash(*input.password);
    if (!hash.ok()) return hash.status();
    c.password_hash = std::move(hash).value();
  }
  auto created = impl_->storage->create_customer(c, impl_->now());
  if (!created.ok()) return created.status();
  impl_->Audit("customer.create", &created.value(), ctx);
  return created;
}

Result<Customer> CustomerAuth::find_customer(std::string_view email, std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  return impl_->storage->find_customer_by_email(website_id, email);
}

Result<Customer> CustomerAuth::find_customer_by_id(std::int64_t id) {
  if (id <= 0) return Status(Code::kInvalidInput, "customer id must be positive");
  return impl_->storage->find_customer_by_id(id);
}

Result<Customer> CustomerAuth::update_customer(std::string_view email, const CustomerUpdate& update,
                                               const RequestContext& ctx, std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  if (update.firstname) CUSTAUTH_RETURN_IF_ERROR(ValidateName(*update.firstname, "First Name"));
  if (update.lastname) CUSTAUTH_RETURN_IF_ERROR(ValidateName(*update.lastname, "Last Name"));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  const TimeMs now = impl_->now();
  CustomerPatch patch;
  patch.firstname = update.firstname;
  patch.lastname = update.lastname;
  patch.is_subscribed = update.is_subscribed;
  patch.confirmed = update.confirmed;
  patch.is_active = update.is_active;
  patch.allow_remote_shopping_assistance = update.allow_remote_shopping_assistance;
  const bool deactivates = update.is_active.has_value() && !*update.is_active;
  nlohmann::json detail = nlohmann::json::object();
  if (update.firstname) detail["firstname"] = *update.firstname;
  if (update.lastname) detail["lastname"] = *update.lastname;
  if (update.is_subscribed) detail["is_subscribed"] = *update.is_subscribed;
  if (update.confirmed) detail["confirmed"] = *update.confirmed;
  if (update.is_active) detail["is_active"] = *update.is_active;
  if (update.allow_remote_shopping_assistance) {
    detail["allow_remote_shopping_assistance"] = *update.allow_remote_shopping_assistance;
  }
  return impl_->UpdateCustomer(*found, std::move(patch), deactivates, now,
                               impl_->MakeAudit("customer.update", &*found, ctx, detail.dump()));
}

Result<std::string> CustomerAuth::generate_customer_token(std::string_view email,
                                                          std::string_view password,
                                                          const RequestContext& ctx,
                                                          std::int64_t website_id) {
  auto issued = sign_in(email, password, ctx, website_id);
  if (!issued.ok()) return issued.status();
  return std::move(issued->token);
}

Result<IssuedToken> CustomerAuth::sign_in(std::string_view email, std::string_view password,
                                          const RequestContext& ctx, std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  return impl_->Authenticate(email, password, impl_->login_chain, ctx, website_id);
}

Result<IssuedToken> CustomerAuth::exchange_otc(std::string_view email, std::string_view code,
                                               const RequestContext& ctx, std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  return impl_->Authenticate(email, code, impl_->exchange_chain, ctx, website_id);
}

Result<std::optional<std::string>> CustomerAuth::request_password_reset(std::string_view email,
                                                                        const RequestContext& ctx,
                                                                        std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  // The platform's resolver's message for an empty email (DOMAIN.md, "Password reset").
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmailAddress);
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(email));
  const TimeMs now = impl_->now();
  // Limits apply before the lookup, so that known and unknown emails look the same.
  std::vector<RateRule> rules;
  RateRule per_email;
  per_email.bucket = fmt::format("reset:email:{}:{}", website_id, EmailKey(email));
  per_email.window = kHour;
  per_email.max_in_window = impl_->options.reset_max_per_email;
  per_email.min_interval = impl_->options.reset_min_interval;
  rules.push_back(per_email);
  if (!ctx.client_ip.empty()) {
    RateRule per_ip;
    per_ip.bucket = "reset:ip:" + ctx.client_ip;
    per_ip.window = kHour;
    per_ip.max_in_window = impl_->options.reset_max_per_ip;
    rules.push_back(per_ip);
  }
  Status limited = impl_->storage->take_rate_slots(rules, now);
  if (limited.code() == Code::kRateLimited) {
    // Retention: a refusal writes nothing (no audit record per refused request), so that a
    // flood of refused requests cannot grow the database.
    return Status(Code::kRateLimited, msg::kTooManyResets);
  }
  CUSTAUTH_RETURN_IF_ERROR(limited);
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) {
    if (found.code() == Code::kNotFound) return std::optional<std::string>();
    return found.status();
  }
  auto token = impl_->secrets->issue(SecretKind::kPasswordReset, found->id, now);
  if (!token.ok()) return token.status();
  impl_->NoteTestSecret(SecretKind::kPasswordReset, found->id, *token);
  impl_->Audit("reset.request", &found.value(), ctx);
  return std::optional<std::string>(std::move(token).value());
}

Status CustomerAuth::reset_password(std::string_view email, std::string_view token,
                                    std::string_view new_password, const RequestContext& ctx,
                                    std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  // The platform's resolver's messages for empty arguments, before anything else (DOMAIN.md,
  // "Password reset").
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmailAddress);
  if (token.empty()) return Status(Code::kInvalidInput, msg::kSpecifyResetToken);
  if (new_password.empty()) return Status(Code::kInvalidInput, msg::kSpecifyNewPasswordForReset);
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(email));
  const Status mismatched(Code::kInvalidInput, msg::kResetTokenMismatch);
  if (!IsResetTokenShape(token)) return mismatched;
  CUSTAUTH_RETURN_IF_ERROR(
      CheckPasswordPolicy(new_password, impl_->options.password_policy, email));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok() && found.code() != Code::kNotFound) return found.status();
  // Hash before consuming, so that a busy hasher does not burn the token; for an unknown email
  // too, so that it costs (and is kBusy) as a known one does.
  auto hash = impl_->hasher->hash(new_password);
  if (!hash.ok()) return hash.status();
  if (!found.ok()) return mismatched;
  const TimeMs now = impl_->now();
  auto used = impl_->storage->consume_secret(
      SecretKind::kPasswordReset, found->id,
      impl_->SecretHash(SecretKind::kPasswordReset, found->id, token), now);
  if (!used.ok()) {
    if (used.code() == Code::kNotFound) return mismatched;
    if (used.code() == Code::kExpired) return Status(Code::kExpired, msg::kResetTokenExpired);
    return used.status();
  }
  CustomerPatch patch;
  patch.password_hash = std::move(hash).value();
  patch.clear_lock = true;
  auto updated = impl_->UpdateCustomer(*found, std::move(patch), /*revoke=*/true, now,
                                       impl_->MakeAudit("password.reset", &*found, ctx));
  if (!updated.ok()) return updated.status();
  return Status::Ok();
}

Status CustomerAuth::change_password(std::string_view email, std::string_view current_password,
                                     std::string_view new_password, const RequestContext& ctx,
                                     std::int64_t website_id) {
  // DOMAIN.md, "Password change": the platform's messages. The input checks (the empty fields,
  // the email's form, the new password's policy) come before the account is looked at, so that
  // they tell nothing about it and cost no Argon2 work. Then exactly one Argon2 verification for
  // every account state: an unknown email, an inactive or locked account (the dummy; the lock
  // stops the real password from being tried) and a wrong current password (the stored hash, a
  // fast legacy one followed by the dummy) cost alike, and are kBusy alike at the hasher's limit.
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmail);
  if (current_password.empty()) return Status(Code::kInvalidInput, msg::kSpecifyCurrentPassword);
  if (new_password.empty()) return Status(Code::kInvalidInput, msg::kSpecifyNewPassword);
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(email));
  CUSTAUTH_RETURN_IF_ERROR(
      CheckPasswordPolicy(new_password, impl_->options.password_policy, email));
  return impl_->ChangePassword(email, current_password, new_password, ctx, website_id);
}

Result<std::string> CustomerAuth::issue_otc(std::string_view email, std::int64_t admin_id,
                                            std::string_view reason, const RequestContext& ctx,
                                            std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  if (admin_id <= 0) return Status(Code::kInvalidInput, "admin_id must be positive");
  if (reason.size() > 1024 || !internal::IsValidUtf8(reason)) {
    return Status(Code::kInvalidInput, "the reason must be valid UTF-8 of at most 1024 bytes");
  }
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  if (!found->allow_remote_shopping_assistance) {
    return Status(Code::kForbidden, msg::kAssistanceDisabled);
  }
  const TimeMs now = impl_->now();
  AuditRecord r;
  r.at = now;
  r.event = "otc.issue";
  r.customer_id = found->id;
  r.admin_id = admin_id;
  r.reason = std::string(reason);
  r.actor = ctx.actor.empty() ? fmt::format("admin:{}", admin_id) : ctx.actor;
  r.client_ip = ctx.client_ip;
  r.detail = nlohmann::json(
                 {{"expires_at",
                   internal::FormatTime(now + impl_->secrets->lifetime(SecretKind::kAdminOtc))}})
                 .dump();
  // The code and its record (otc.issue) in one write.
  SecretRecord s;
  auto code = impl_->secrets->issue(SecretKind::kAdminOtc, found->id, now,
                                    SecretIssuer{admin_id, std::string(reason)}, &s,
                                    std::span<const AuditRecord>(&r, 1));
  if (!code.ok()) return code.status();
  impl_->NoteTestSecret(s.kind, s.customer_id, *code);
  return code;
}

Result<TokenClaims> CustomerAuth::verify_token(std::string_view token) {
  return impl_->tokens->verify(token);
}

Status CustomerAuth::revoke_customer_tokens(std::string_view email, const RequestContext& ctx,
                                            std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  const TimeMs now = impl_->now();
  CustomerPatch patch;
  auto updated = impl_->UpdateCustomer(*found, std::move(patch), /*revoke=*/true, now,
                                       impl_->MakeAudit("tokens.revoke", &*found, ctx));
  if (!updated.ok()) return updated.status();
  return Status::Ok();
}

Result<std::vector<AuditRecord>> CustomerAuth::list_audit(const AuditQuery& query) {
  return impl_->storage->list_audit(query);
}

// --- Test handles --------------------------------------------------------------------------------

bool CustomerAuth::is_test_handle() const { return impl_->options.test_mode; }

Status CustomerAuth::test_set_time(TimeMs now) {
  if (!impl_->test_clock) return Status(Code::kForbidden, testing::kClockNeedsTestHandle);
  if (now < 0) return Status(Code::kInvalidInput, "the time must not be negative");
  impl_->test_clock->set(now);
  return Status::Ok();
}

Status CustomerAuth::test_advance(TimeMs delta) {
  if (!impl_->test_clock) return Status(Code::kForbidden, testing::kClockNeedsTestHandle);
  if (delta < 0) {
    return Status(Code::kInvalidInput, "advance by a non-negative amount; set_time goes back");
  }
  if (impl_->test_clock->now() > std::numeric_limits<TimeMs>::max() - delta) {
    return Status(Code::kInvalidInput, "the time would overflow");
  }
  impl_->test_clock->advance(delta);
  return Status::Ok();
}

Result<std::string> CustomerAuth::test_last_secret(SecretKind kind, std::string_view email,
                                                   std::int64_t website_id) {
  if (!impl_->options.test_mode) {
    return Status(Code::kForbidden, testing::kSecretsNeedTestHandle);
  }
  if (kind != SecretKind::kPasswordReset && kind != SecretKind::kAdminOtc) {
    return Status(Code::kInvalidInput, "unknown secret kind");
  }
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  std::lock_guard<std::mutex> lock(impl_->test_mu);
  auto it = impl_->test_secrets.find({kind, found->id});
  if (it == impl_->test_secrets.end()) {
    return Status(
        Code::kNotFound,
        fmt::format("this handle issued no {} to {}",
                    kind == SecretKind::kPasswordReset ? "reset token" : "admin code", email));
  }
  return it->second;
}

}  // namespace custauth
