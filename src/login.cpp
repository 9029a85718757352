// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The login flow (generateCustomerToken, exchange_otc), decided at the write (DOMAIN.md,
// generateCustomerToken; DESIGN.md, "Rules"):
//   1. read the customer (no decision is taken on it);
//   2. take an attempt: one storage write that refuses when the token-request throttle or the
//      account lock is closed, counting the attempts in flight as failures, so that at most
//      max_failures guesses are ever evaluated at once, on any number of servers;
//   3. run the chain (custauth/verifier.h): by default the account password (Argon2 and the
//      other formats), then the one-time secrets, which are judged and consumed by the write of
//      step 4; a host's verifiers run under the same rules, at a seam that turns whatever they
//      do wrong into an error, never a token;
//   4. settle the attempt in one write: a sign-in (re-checks active and not locked, gives the
//      attempt back, reads the time the token's iat is taken from) or a failure (counts it, locks).
// change_password's current password is a guess under the same account lock: its attempt is taken
// before the Argon2 work and settled after it (ChangePassword, at the end).
#include <nlohmann/json.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth_impl.h"

namespace custauth {

LoginAttempt CustomerAuth::Impl::Attempt(std::int64_t website_id, std::string_view email,
                                         std::int64_t customer_id) const {
  LoginAttempt a;
  a.customer_id = customer_id;
  a.website_id = website_id;
  a.email_key = EmailKey(email);
  a.lockout = options.lockout;
  a.throttle = options.login_throttle;
  a.slot_lifetime = options.login_attempt_lifetime;
  return a;
}

AuditOf<LockState> CustomerAuth::Impl::FailureAudit(const Customer* c, const RequestContext& ctx,
                                                    std::string_view why, std::string_view email,
                                                    TimeMs now) const {
  std::vector<AuditRecord> records = {FailureRecord(c, ctx, why, email, now)};
  std::optional<AuditRecord> lock_record;
  if (c != nullptr) lock_record = MakeAudit("customer.lock", c, ctx);
  return [records = std::move(records), lock_record = std::move(lock_record),
          now](const LockState& state) {
    std::vector<AuditRecord> out = records;
    if (lock_record && state.newly_locked) {
      AuditRecord r = *lock_record;
      r.at = now;
      r.detail = nlohmann::json({{"failures_num", state.failures_num},
                                 {"lock_expires", internal::FormatTime(*state.lock_expires)}})
                     .dump();
      out.push_back(std::move(r));
    }
    return out;
  };
}

void CustomerAuth::Impl::KeepForRelease(const LoginAttempt& a) {
  constexpr std::size_t kMaxPending = 4096;  // beyond, the attempts' own expiry gives them back
  std::lock_guard<std::mutex> lock(pending_mu);
  if (pending_releases.size() < kMaxPending) pending_releases.push_back(a);
}

void CustomerAuth::Impl::ReleasePending() {
  std::vector<LoginAttempt> pending;
  {
    std::lock_guard<std::mutex> lock(pending_mu);
    if (pending_releases.empty()) return;
    pending.swap(pending_releases);
  }
  for (const LoginAttempt& a : pending) {
    const Status s = storage->release_login_attempt(a, now());
    if (!s.ok() && s.code() == Code::kStorage) KeepForRelease(a);
  }
}

struct CustomerAuth::Impl::LoginRun {
  Impl& impl;
  std::string_view email;
  std::string_view secret;
  const RequestContext& ctx;
  LoginAttempt attempt;
  Customer customer;  // as read by the attempt's write

  // Whether the attempt counts anywhere (an unknown email with the throttle off does not).
  bool Counted() const { return attempt.customer_id > 0 || attempt.throttle.max_failures > 0; }

  // The attempt was refused (throttle or lock): no verifier ran, nothing changed. The throttle
  // refuses known and unknown emails alike, at once; a locked account runs the dummy Argon2id, so
  // that it answers as late as an unknown email's wrong guess (and is kBusy alike at the limit).
  Status Refused(const Status& s, const Customer* c) {
    if (s.code() == Code::kLocked) CUSTAUTH_RETURN_IF_ERROR(impl.hasher->dummy_verify(secret));
    impl.AuditFailure(c, ctx, s.code() == Code::kRateLimited ? "throttled" : "locked", email);
    return SignInIncorrect();
  }

  // No verifier matched: the attempt becomes a failure (and may lock the account), written with
  // its records (login.failure, customer.lock) in one write.
  Status Failed(const char* why, const Customer* c) {
    Result<LockState> lock = LockState{};
    const TimeMs now = impl.now();
    if (Counted()) {
      lock = impl.storage->record_attempt_failure(attempt, now, FailureAudit(why, c, now));
    } else {
      impl.AuditFailure(c, ctx, why, email);  // nothing counts: the record is all there is
    }
    if (!lock.ok() && lock.code() == Code::kStorage) impl.KeepForRelease(attempt);
    if (!lock.ok() && lock.code() != Code::kNotFound) return lock.status();
    return SignInIncorrect();
  }

  AuditOf<LockState> FailureAudit(const char* why, const Customer* c, TimeMs now) const {
    return impl.FailureAudit(c, ctx, why, email, now);
  }

  // The records of a sign-in through the verifier named `via` (otc.use for an admin code,
  // login.success), made inside its write, at the time it reads.
  AuditOf<SignInResult> SignInAudit(const std::string& via) const {
    AuditRecord base = impl.MakeAudit("", &customer, ctx);
    return [base = std::move(base), via](const SignInResult& r) {
      std::vector<AuditRecord> out;
      if (r.secret && r.secret->kind == SecretKind::kAdminOtc) {
        AuditRecord used = base;
        used.at = r.at;
        used.event = "otc.use";
        used.admin_id = r.secret->admin_id;
        used.reason = r.secret->reason;
        out.push_back(std::move(used));
      }
      nlohmann::json detail = {{"via", via}};
      if (r.rehashed) detail["rehashed"] = true;
      AuditRecord success = base;
      success.at = r.at;
      success.event = "login.success";
      success.customer_id = r.customer.id;
      success.detail = detail.dump();
      out.push_back(std::move(success));
      return out;
    };
  }

  // The flow stopped before deciding (the hasher's limit, storage): the attempt is given back.
  Status Abandoned(Status s) {
    if (!Counted()) return s;
    const Status released = impl.storage->release_login_attempt(attempt, impl.now());
    if (released.code() == Code::kStorage) impl.KeepForRelease(attempt);
    return s;
  }

  // What one verifier of the chain found.
  enum class Outcome { kNoMatch, kDone };

  // Asks one verifier, at the seam: whatever it does (an error, an exception, a wrong answer,
  // running past the time limit) becomes a Status naming it, never a match.
  Result<Verdict> Ask(const ChainLink& link) {
    const auto started = std::chrono::steady_clock::now();
    Result<Verdict> verdict = Status(Code::kInternal, "");
    try {
      verdict = link.verifier->verify(VerifyRequest{customer, secret, ctx, impl.services});
      // kBusy and kStorage are the machinery's (the hasher's limit, an outage); anything else
      // is the verifier's failure, named.
      if (!verdict.ok() && verdict.code() != Code::kBusy && verdict.code() != Code::kStorage) {
        verdict = Status(Code::kInternal, fmt::format("the verifier \"{}\" failed: {}", link.name,
                                                      verdict.status().message()));
      }
    } catch (const std::exception& e) {
      verdict = Status(Code::kInternal,
                       fmt::format("the verifier \"{}\" threw: {}", link.name, e.what()));
    } catch (...) {
      verdict = Status(Code::kInternal, fmt::format("the verifier \"{}\" threw", link.name));
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (elapsed.count() > impl.options.verifier_time_limit) {
      return Status(Code::kBusy, fmt::format("the verifier \"{}\" took longer than {} ms",
                                             link.name, impl.options.verifier_time_limit));
    }
    if (!verdict.ok()) return verdict;
    if (verdict->matched && verdict->consume_kind.has_value() && verdict->consume_hash.empty()) {
      return Status(
          Code::kInternal,
          fmt::format("the verifier \"{}\" matched a one-time secret without its hash", link.name));
    }
    if (verdict->new_password_hash.has_value() && verdict->new_password_hash->empty()) {
      return Status(Code::kInternal,
                    fmt::format("the verifier \"{}\" gave an empty password hash", link.name));
    }
    return verdict;
  }

  // A verifier matched: the sign-in write does what its match does, and decides.
  Outcome SignInWith(const ChainLink& link, Verdict& v, Result<IssuedToken>& out) {
    SignIn s;
    if (v.consume_kind.has_value()) {
      s.secret_kind = v.consume_kind;
      s.secret_hash = std::move(v.consume_hash);
    }
    if (v.new_password_hash.has_value()) {
      s.password_hash = std::move(v.new_password_hash);
      s.expect_password_hash = customer.password_hash;
    }
    s.audit = SignInAudit(link.name);
    auto signed_in = impl.storage->record_sign_in(attempt, s, WallClock());
    // A one-time secret is judged at the write: none such, or expired at the write's time,
    // changed nothing, and is "not mine".
    if (s.secret_kind.has_value() &&
        (signed_in.code() == Code::kNotFound || signed_in.code() == Code::kExpired)) {
      return Outcome::kNoMatch;
    }
    out = Finish(link.name, std::move(signed_in));
    return Outcome::kDone;
  }

  // A verifier failed: never a token. The attempt counts as a failure when an earlier verifier
  // already answered "not mine" (a failing verifier after the password must not give unbounded
  // password guesses); otherwise it is given back.
  Status VerifierFailed(Status s, bool answered) {
    if (!answered) return Abandoned(std::move(s));
    const Status failed = Failed("verifier_error", &customer);
    if (failed.code() == Code::kStorage) return failed;
    return s;
  }

  const Clock& WallClock() const { return *impl.options.clock; }

  // The sign-in write's answer, into the caller's.
  Result<IssuedToken> Finish(const std::string& via, Result<SignInResult> signed_in) {
    if (!signed_in.ok()) {
      switch (signed_in.code()) {
        case Code::kNotConfirmed:
          impl.Audit("login.not_confirmed", &customer, ctx, nlohmann::json({{"via", via}}).dump());
          return Status(Code::kNotConfirmed, msg::kNotConfirmed);
        case Code::kAuthenticationFailed:
          impl.AuditFailure(&customer, ctx, "inactive", email);
          return SignInIncorrect();
        case Code::kLocked:
          impl.AuditFailure(&customer, ctx, "locked", email);
          return SignInIncorrect();
        default:
          return Abandoned(signed_in.status());
      }
    }
    const SignInResult& r = *signed_in;
    // As of the time read inside the write: a revocation committed after it covers the token.
    // (The sign-in's records, login.success and otc.use, were written by that write.)
    return impl.IssueForSignIn(r.customer, r.at, ctx, via);
  }

  Result<IssuedToken> RunChain(const Chain& chain) {
    bool costly = false;    // whether a verifier did Argon2-class work (else the dummy runs)
    bool answered = false;  // whether a verifier answered "not mine"
    for (const ChainLink& link : chain) {
      Result<Verdict> verdict = Ask(link);
      if (!verdict.ok()) return VerifierFailed(verdict.status(), answered);
      costly = costly || verdict->costly;
      if (verdict->matched) {
        Result<IssuedToken> out = SignInIncorrect();
        if (SignInWith(link, *verdict, out) == Outcome::kDone) return out;
      }
      answered = true;
    }
    // A known customer with no match costs what an unknown email costs (one Argon2
    // verification), also when the chain verified no password (exchange_otc), the customer
    // has none, or the host's verifiers did no costly work; kBusy alike at the hasher's limit.
    if (!costly) {
      const Status s = impl.hasher->dummy_verify(secret);
      if (!s.ok()) return Abandoned(s);
    }
    return Failed("wrong_secret", &customer);
  }
};

Result<IssuedToken> CustomerAuth::Impl::Authenticate(std::string_view email,
                                                     std::string_view secret, const Chain& chain,
                                                     const RequestContext& ctx,
                                                     std::int64_t website_id) {
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmail);
  if (secret.empty()) return Status(Code::kInvalidInput, msg::kSpecifyPassword);
  if (secret.size() > kMaxLoginSecret || !IsValidEmail(email)) return SignInIncorrect();
  ReleasePending();
  auto found = storage->find_customer_by_email(website_id, email);
  if (!found.ok() && found.code() != Code::kNotFound) return found.status();
  const std::int64_t id = found.ok() ? found->id : 0;
  LoginRun run{*this, email, secret, ctx, Attempt(website_id, email, id), Customer{}};
  Result<Customer> admitted = Customer{};
  if (run.Counted()) admitted = storage->admit_login_attempt(run.attempt, now());
  if (!admitted.ok()) {
    if (admitted.code() == Code::kRateLimited || admitted.code() == Code::kLocked) {
      return run.Refused(admitted.status(), found.ok() ? &*found : nullptr);
    }
    if (admitted.code() != Code::kNotFound) return admitted.status();
    // Erased since the read: an unknown email from here on.
    run.attempt.customer_id = 0;
    found = Status(Code::kNotFound, "erased");
    admitted = Customer{};
    if (run.Counted()) admitted = storage->admit_login_attempt(run.attempt, now());
    if (!admitted.ok()) {
      if (admitted.code() == Code::kRateLimited) return run.Refused(admitted.status(), nullptr);
      return admitted.status();
    }
  }
  if (!found.ok()) {
    // An unknown email costs what a wrong password costs; kBusy alike at the hasher's limit.
    const Status s = hasher->dummy_verify(secret);
    if (!s.ok()) return run.Abandoned(s);
    return run.Failed("unknown_email", nullptr);
  }
  run.customer = std::move(admitted).value();
  if (!run.customer.is_active) {
    if (Status s = hasher->dummy_verify(secret); !s.ok()) return run.Abandoned(s);
    if (storage->release_login_attempt(run.attempt, now()).code() == Code::kStorage) {
      KeepForRelease(run.attempt);
    }
    AuditFailure(&run.customer, ctx, "inactive", email);
    return SignInIncorrect();
  }
  return run.RunChain(chain);
}

Status CustomerAuth::Impl::ChangePassword(std::string_view email, std::string_view current_password,
                                          std::string_view new_password, const RequestContext& ctx,
                                          std::int64_t website_id) {
  const Status invalid_login(Code::kAuthenticationFailed, msg::kInvalidLoginOrPassword);
  const Status locked(Code::kLocked, msg::kAccountLocked);
  ReleasePending();
  auto found = storage->find_customer_by_email(website_id, email);
  if (!found.ok() && found.code() != Code::kNotFound) return found.status();
  // The token-request throttle is generateCustomerToken's alone; the account lock bounds these
  // guesses, also when they arrive together.
  LoginAttempt attempt = Attempt(website_id, email, found.ok() ? found->id : 0);
  attempt.throttle.max_failures = 0;
  Result<Customer> admitted = Status(Code::kNotFound, "unknown email");
  if (found.ok()) admitted = storage->admit_login_attempt(attempt, now());
  const auto give_back = [&](Status s) {
    if (storage->release_login_attempt(attempt, now()).code() == Code::kStorage) {
      KeepForRelease(attempt);
    }
    return s;
  };
  if (!admitted.ok()) {
    if (admitted.code() != Code::kNotFound && admitted.code() != Code::kLocked) {
      return admitted.status();
    }
    // An unknown email, an account erased since the read and a locked one cost what a wrong
    // password costs (one Argon2 verification, the dummy), and are kBusy alike at the limit.
    CUSTAUTH_RETURN_IF_ERROR(hasher->dummy_verify(current_password));
    if (admitted.code() == Code::kNotFound) {
      AuditFailure(nullptr, ctx, "change_password_unknown_email", email);
      return invalid_login;
    }
    AuditFailure(&*found, ctx, found->is_active ? "locked" : "inactive", email);
    return found->is_active ? locked : invalid_login;
  }
  const Customer c = std::move(admitted).value();
  if (!c.is_active) {
    const Status s = give_back(hasher->dummy_verify(current_password));
    if (!s.ok()) return s;
    AuditFailure(&c, ctx, "inactive", email);
    return invalid_login;
  }
  static const std::vector<SecretSource> kPasswordOnly = {SecretSource::kAccountPassword};
  auto match = RunChain(c, current_password, kPasswordOnly, now());
  if (!match.ok()) return give_back(match.status());
  if (!match->has_value()) {
    // Counts towards the lock, with its records, in one write; the failure that locks the
    // account answers as a locked one (as the platform's Authentication::authenticate does).
    const TimeMs at = now();
    auto lock = storage->record_attempt_failure(
        attempt, at, FailureAudit(&c, ctx, "wrong_current_password", email, at));
    if (!lock.ok() && lock.code() == Code::kStorage) KeepForRelease(attempt);
    if (!lock.ok() && lock.code() != Code::kNotFound) return lock.status();
    return lock.ok() && lock->locked ? locked : invalid_login;
  }
  auto hash = hasher->hash(new_password);
  if (!hash.ok()) return give_back(hash.status());
  CustomerPatch patch;
  patch.password_hash = std::move(hash).value();
  patch.expect_password_hash = c.password_hash;
  patch.clear_lock = true;
  patch.refuse_when_locked = true;  // a lock committed while the password was verified wins
  auto updated = UpdateCustomer(c, std::move(patch), /*revoke=*/true, now(),
                                MakeAudit("password.change", &c, ctx));
  if (updated.code() == Code::kLocked) {
    AuditFailure(&c, ctx, "locked", email);
    return give_back(locked);
  }
  return give_back(updated.ok() ? Status::Ok() : updated.status());
}

}  // namespace custauth
