// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The storage conformance suite for login attempts (storage.h, "decided at the write"), on every
// backend of storage_conformance.h: admit_login_attempt, record_sign_in, record_attempt_failure,
// release_login_attempt, throttle_state and update_customer's revoke_clock. The concurrency
// cases race many threads on one Storage; workers only record outcomes, the main thread checks.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"
#include "storage_conformance.h"

namespace custauth::conformance::login_conformance_test {
namespace {

Customer MustCreate(Storage& s, const NewCustomer& c, TimeMs now = kT0) {
  Result<Customer> r = s.create_customer(c, now);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

Customer MustFind(Storage& s, std::int64_t id) {
  Result<Customer> r = s.find_customer_by_id(id);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

LoginAttempt AttemptFor(const Customer& c, int throttle_max = 0) {
  LoginAttempt a;
  a.customer_id = c.id;
  a.website_id = c.website_id;
  a.email_key = EmailKey(c.email);
  a.throttle.max_failures = throttle_max;
  return a;
}

LoginAttempt UnknownEmail(const std::string& email, int throttle_max = 6) {
  LoginAttempt a;
  a.email_key = EmailKey(email);
  a.throttle.max_failures = throttle_max;
  return a;
}

SecretRecord Secret(SecretKind kind, std::int64_t customer_id, std::string hash,
                    TimeMs ttl = 30 * kSecond) {
  SecretRecord s;
  s.kind = kind;
  s.customer_id = customer_id;
  s.hash = std::move(hash);
  s.created_at = kT0;
  s.expires_at = kT0 + ttl;
  s.admin_id = 7;
  s.reason = "help";
  return s;
}

Code Admit(Storage& s, const LoginAttempt& a, TimeMs now = kT0) {
  return s.admit_login_attempt(a, now).code();
}

}  // namespace

TEMPLATE_TEST_CASE("admit_login_attempt counts attempts in flight against the lock",
                   "[storage][login]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType b;
  Storage& s = *b.storage;
  const Customer c = MustCreate(s, Person("roni_cost@example.com"));
  const LoginAttempt a = AttemptFor(c);

  SECTION("ten in flight: the eleventh is kLocked, and nothing changed") {
    for (int k = 0; k < 10; ++k) CHECK(Admit(s, a) == Code::kOk);
    CHECK(Admit(s, a) == Code::kLocked);
    CHECK(MustFind(s, c.id).failures_num == 0);
  }
  SECTION("failures of the window plus those in flight reach the limit") {
    for (int k = 0; k < 7; ++k) REQUIRE(s.record_login_failure(c.id, kT0, a.lockout).ok());
    for (int k = 0; k < 3; ++k) CHECK(Admit(s, a) == Code::kOk);
    CHECK(Admit(s, a) == Code::kLocked);
    // Each settled failure keeps the slot counted: the tenth locks the account.
    Result<LockState> last = LockState{};
    for (int k = 0; k < 3; ++k) last = s.record_attempt_failure(a, kT0 + 1);
    REQUIRE(last.ok());
    CHECK(last->failures_num == 10);
    CHECK(last->newly_locked);
    CHECK(MustFind(s, c.id).locked_at(kT0 + 2));
    CHECK(Admit(s, a, kT0 + 2) == Code::kLocked);
  }
  SECTION("a given-back attempt frees its place") {
    for (int k = 0; k < 10; ++k) REQUIRE(Admit(s, a) == Code::kOk);
    REQUIRE(s.release_login_attempt(a, kT0).ok());
    CHECK(Admit(s, a) == Code::kOk);
    CHECK(Admit(s, a) == Code::kLocked);
  }
  SECTION("an attempt never settled stops counting slot_lifetime after the last one taken") {
    for (int k = 0; k < 10; ++k) REQUIRE(Admit(s, a) == Code::kOk);
    CHECK(Admit(s, a, kT0 + a.slot_lifetime - 1) == Code::kLocked);
    CHECK(Admit(s, a, kT0 + a.slot_lifetime) == Code::kOk);
  }
  SECTION("a locked account is kLocked; a lock that expired is not") {
    LockoutPolicy p;
    for (int k = 0; k < 10; ++k) REQUIRE(s.record_login_failure(c.id, kT0, p).ok());
    CHECK(Admit(s, a, kT0 + 1) == Code::kLocked);
    CHECK(Admit(s, a, kT0 + p.lock_duration) == Code::kOk);
  }
  SECTION("max_failures 0: never refused") {
    LoginAttempt open = a;
    open.lockout.max_failures = 0;
    for (int k = 0; k < 30; ++k) CHECK(Admit(s, open) == Code::kOk);
  }
  SECTION("an unknown customer id is kNotFound") {
    LoginAttempt gone = a;
    gone.customer_id = c.id + 100;
    CHECK(Admit(s, gone) == Code::kNotFound);
  }
  SECTION("the customer comes back as read inside the write") {
    Result<Customer> admitted = s.admit_login_attempt(a, kT0);
    REQUIRE(admitted.ok());
    CHECK(admitted->id == c.id);
    CHECK(admitted->email == c.email);
  }
}

TEMPLATE_TEST_CASE("the token-request throttle: per email and website, unknown emails too",
                   "[storage][login][throttle]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType b;
  Storage& s = *b.storage;
  const LoginAttempt a = UnknownEmail("Nobody@Example.com");

  SECTION("six failures close it; each pushes the expiry; it opens at the last + lifetime") {
    for (int k = 0; k < 6; ++k) {
      REQUIRE(Admit(s, a, kT0 + k * kMinute) == Code::kOk);
      REQUIRE(s.record_attempt_failure(a, kT0 + k * kMinute).ok());
    }
    const TimeMs last = kT0 + 5 * kMinute;
    Result<ThrottleState> t = s.throttle_state(a.website_id, a.email_key, last);
    REQUIRE(t.ok());
    CHECK(t->failures == 6);
    CHECK(t->expires_at == last + 1800 * kSecond);
    CHECK(Admit(s, a, last + 1800 * kSecond - 1) == Code::kRateLimited);
    CHECK(Admit(s, a, last + 1800 * kSecond) == Code::kOk);
  }
  SECTION("attempts in flight count: the seventh concurrent one is refused") {
    for (int k = 0; k < 6; ++k) REQUIRE(Admit(s, a) == Code::kOk);
    CHECK(Admit(s, a) == Code::kRateLimited);
  }
  SECTION("another website or another email is another key; case is folded") {
    for (int k = 0; k < 6; ++k) REQUIRE(Admit(s, a) == Code::kOk);
    LoginAttempt other_site = a;
    other_site.website_id = 2;
    CHECK(Admit(s, other_site) == Code::kOk);
    CHECK(Admit(s, UnknownEmail("other@example.com")) == Code::kOk);
    CHECK(Admit(s, UnknownEmail("NOBODY@example.COM")) == Code::kRateLimited);
  }
  SECTION("it is checked before the account lock, and a success clears it") {
    const Customer c = MustCreate(s, Person("roni_cost@example.com"));
    const LoginAttempt known = AttemptFor(c, 6);
    for (int k = 0; k < 5; ++k) {
      REQUIRE(Admit(s, known) == Code::kOk);
      REQUIRE(s.record_attempt_failure(known, kT0).ok());
    }
    REQUIRE(Admit(s, known) == Code::kOk);
    ManualClock clock(kT0);
    REQUIRE(s.record_sign_in(known, SignIn{}, clock).ok());
    Result<ThrottleState> t = s.throttle_state(known.website_id, known.email_key, kT0);
    REQUIRE(t.ok());
    CHECK(t->failures == 0);
    CHECK(MustFind(s, c.id).failures_num == 0);
    for (int k = 0; k < 6; ++k) {
      REQUIRE(Admit(s, known) == Code::kOk);
      REQUIRE(s.record_attempt_failure(known, kT0).ok());
    }
    CHECK(Admit(s, known) == Code::kRateLimited);  // not kLocked: the throttle comes first
  }
  SECTION("off (max_failures 0): nothing is counted") {
    const LoginAttempt off = UnknownEmail("nobody@example.com", 0);
    for (int k = 0; k < 10; ++k) {
      REQUIRE(Admit(s, off) == Code::kOk);
      REQUIRE(s.record_attempt_failure(off, kT0).ok());
    }
    Result<ThrottleState> t = s.throttle_state(off.website_id, off.email_key, kT0);
    REQUIRE(t.ok());
    CHECK(t->failures == 0);
  }
}

TEMPLATE_TEST_CASE("record_sign_in decides at the write", "[storage][login]",
                   CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType b;
  Storage& s = *b.storage;
  NewCustomer p = Person("roni_cost@example.com");
  p.allow_remote_shopping_assistance = true;
  const Customer c = MustCreate(s, p);
  const LoginAttempt a = AttemptFor(c);
  ManualClock clock(kT0 + 5 * kSecond);
  REQUIRE(Admit(s, a) == Code::kOk);

  SECTION("success: the attempt is given back, the lock state cleared, the time read returned") {
    REQUIRE(s.record_login_failure(c.id, kT0, a.lockout).ok());
    Result<SignInResult> r = s.record_sign_in(a, SignIn{}, clock);
    REQUIRE(r.ok());
    CHECK(r->at == kT0 + 5 * kSecond);
    CHECK(r->customer.id == c.id);
    CHECK(r->customer.failures_num == 0);
    CHECK(MustFind(s, c.id).failures_num == 0);
    for (int k = 0; k < 10; ++k) CHECK(Admit(s, a) == Code::kOk);  // all ten places free
  }
  SECTION("a deactivation committed since the read wins: kAuthenticationFailed, slot back") {
    CustomerPatch off;
    off.is_active = false;
    REQUIRE(s.update_customer(c.id, off, kT0).ok());
    CHECK(s.record_sign_in(a, SignIn{}, clock).code() == Code::kAuthenticationFailed);
    for (int k = 0; k < 10; ++k) CHECK(Admit(s, a) == Code::kOk);
  }
  SECTION("a lock committed since the read wins for password-type sign-ins only") {
    for (int k = 0; k < 10; ++k) REQUIRE(s.record_login_failure(c.id, kT0, a.lockout).ok());
    CHECK(s.record_sign_in(a, SignIn{}, clock).code() == Code::kLocked);
    CHECK(MustFind(s, c.id).locked_at(clock.now()));
    SignIn external;
    external.holds_attempt = false;
    external.check_lock = false;
    Result<SignInResult> r = s.record_sign_in(a, external, clock);
    REQUIRE(r.ok());
    CHECK(MustFind(s, c.id).locked_at(clock.now()));  // the external sign-in leaves the lock
  }
  SECTION("an erased customer: kAuthenticationFailed") {
    REQUIRE(s.delete_customer(c.id, kT0).ok());
    CHECK(s.record_sign_in(a, SignIn{}, clock).code() == Code::kAuthenticationFailed);
  }
  SECTION("a one-time secret is judged at the write's time and consumed once") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "h1")).ok());
    SignIn otc;
    otc.secret_kind = SecretKind::kAdminOtc;
    otc.secret_hash = "wrong";
    CHECK(s.record_sign_in(a, otc, clock).code() == Code::kNotFound);
    otc.secret_hash = "h1";
    ManualClock late(kT0 + 30 * kSecond);
    CHECK(s.record_sign_in(a, otc, late).code() == Code::kExpired);
    Result<SignInResult> r = s.record_sign_in(a, otc, clock);
    REQUIRE(r.ok());
    REQUIRE(r->secret.has_value());
    CHECK(r->secret->admin_id == 7);
    CHECK(r->secret->reason == "help");
    CHECK(r->secret->used_at == clock.now());
    REQUIRE(Admit(s, a) == Code::kOk);
    CHECK(s.record_sign_in(a, otc, clock).code() == Code::kNotFound);  // spent
  }
  SECTION("an unconfirmed customer: kNotConfirmed, and the secret is NOT spent") {
    CustomerPatch unconfirm;
    unconfirm.confirmed = false;
    REQUIRE(s.update_customer(c.id, unconfirm, kT0).ok());
    REQUIRE(s.put_secret(Secret(SecretKind::kPasswordReset, c.id, "r1", kHour)).ok());
    SignIn reset;
    reset.secret_kind = SecretKind::kPasswordReset;
    reset.secret_hash = "r1";
    CHECK(s.record_sign_in(a, reset, clock).code() == Code::kNotConfirmed);
    CustomerPatch confirm;
    confirm.confirmed = true;
    REQUIRE(s.update_customer(c.id, confirm, kT0).ok());
    REQUIRE(Admit(s, a) == Code::kOk);
    CHECK(s.record_sign_in(a, reset, clock).ok());
  }
  SECTION("a rehash applies only over the hash it replaces") {
    SignIn rehash;
    rehash.password_hash = "new-hash";
    rehash.expect_password_hash = c.password_hash;
    Result<SignInResult> r = s.record_sign_in(a, rehash, clock);
    REQUIRE(r.ok());
    CHECK(r->rehashed);
    CHECK(MustFind(s, c.id).password_hash == "new-hash");
    REQUIRE(Admit(s, a) == Code::kOk);
    rehash.password_hash = "newer-hash";  // expects the old one: a change since wins
    r = s.record_sign_in(a, rehash, clock);
    REQUIRE(r.ok());
    CHECK_FALSE(r->rehashed);
    CHECK(MustFind(s, c.id).password_hash == "new-hash");
  }
}

TEMPLATE_TEST_CASE("update_customer reads the revocation time inside its write",
                   "[storage][login][revocation]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType b;
  Storage& s = *b.storage;
  const Customer c = MustCreate(s, Person("roni_cost@example.com"));
  ManualClock clock(kT0 + 42 * kSecond + 250);
  CustomerPatch off;
  off.is_active = false;
  off.revoke_clock = &clock;
  const std::uint64_t before = s.revocation_epoch().value();
  Result<Customer> r = s.update_customer(c.id, off, kT0);
  REQUIRE(r.ok());
  CHECK(r->tokens_revoked_at == kT0 + 42 * kSecond + 250);
  CHECK(MustFind(s, c.id).tokens_revoked_at == kT0 + 42 * kSecond + 250);
  CHECK(s.revocation_epoch().value() != before);
  // Within the same second again: the start of the next second (RevocationTime).
  r = s.update_customer(c.id, off, kT0);
  REQUIRE(r.ok());
  CHECK(r->tokens_revoked_at == kT0 + 43 * kSecond);
}

TEMPLATE_TEST_CASE("64 threads guessing at once: at most max_failures are admitted",
                   "[storage][login][concurrency]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType b;
  Storage& s = *b.storage;
  const Customer c = MustCreate(s, Person("roni_cost@example.com"));
  const bool throttle = GENERATE(false, true);
  const LoginAttempt a = AttemptFor(c, throttle ? 6 : 0);
  std::atomic<int> admitted{0}, refused{0}, errors{0}, newly_locked{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 64; ++t) {
    workers.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      Result<Customer> r = s.admit_login_attempt(a, kT0);
      if (r.ok()) {
        ++admitted;
        Result<LockState> f = s.record_attempt_failure(a, kT0);
        if (!f.ok()) ++errors;
        if (f.ok() && f->newly_locked) ++newly_locked;
      } else if (r.code() == Code::kLocked || r.code() == Code::kRateLimited) {
        ++refused;
      } else {
        ++errors;
      }
    });
  }
  go = true;
  for (std::thread& w : workers) w.join();
  CHECK(errors == 0);
  CHECK(admitted + refused == 64);
  if (throttle) {
    CHECK(admitted <= 6);
    CHECK(MustFind(s, c.id).failures_num <= 6);
  } else {
    CHECK(admitted <= 10);
    CHECK(MustFind(s, c.id).failures_num == admitted.load());
    CHECK(newly_locked == (admitted == 10 ? 1 : 0));
  }
}

}  // namespace custauth::conformance::login_conformance_test
