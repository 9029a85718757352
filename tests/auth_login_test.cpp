// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// generateCustomerToken and its chain (account password → reset token → admin one-time code),
// lockout, password reset, Login as Customer, revocation and the audit trail, on both embedded
// backends, to the letter of DOMAIN.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "test_util.h"

namespace auth_login_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

const std::string kSignIn(msg::kSignInIncorrect);

struct Fixture {
  explicit Fixture(const std::string& backend, AuthOptions o = {})
      : storage(testing::MakeStorage(backend, dir)) {
    o.argon2 = CheapArgon2ForTests();
    o.clock = clock;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    // These tests send 10 and more wrong passwords to reach the account lock: the token-request
    // throttle (6) is off here; login_throttle_test.cpp has it.
    o.login_throttle.max_failures = 0;
    auto a = CustomerAuth::Open(storage, o);
    REQUIRE(a.ok());
    auth = std::move(a).value();
    CustomerInput in;
    in.email = "bobloblaw@example.com";
    in.firstname = "Bob";
    in.lastname = "Loblaw";
    in.password = "b0bl0bl@w";
    auto c = auth->create_customer(in);
    REQUIRE(c.ok());
    bob = *c;
  }
  Customer Reload() { return *storage->find_customer_by_id(bob.id); }
  void Consent(bool on) {
    CustomerUpdate u;
    u.allow_remote_shopping_assistance = on;
    REQUIRE(auth->update_customer(bob.email, u).ok());
  }
  std::vector<std::string> Events() {
    std::vector<std::string> e;
    auto records = storage->list_audit({std::nullopt, 0, 1000});
    REQUIRE(records.ok());
    for (const auto& r : *records) e.push_back(r.event);
    return e;
  }

  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1748499421000);
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
  Customer bob;
};

}  // namespace

TEST_CASE("generateCustomerToken with the account password") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto token = f.auth->generate_customer_token("bobloblaw@example.com", "b0bl0bl@w");
  REQUIRE(token.ok());
  auto claims = f.auth->verify_token(*token);
  REQUIRE(claims.ok());
  CHECK(claims->customer_id == f.bob.id);
  CHECK(claims->expires_at - claims->issued_at == 3600);
  // Email case does not matter.
  CHECK(f.auth->generate_customer_token("BobLoblaw@Example.com", "b0bl0bl@w").ok());
  CHECK(f.Events().back() == "login.success");
}

TEST_CASE("Input checks come first, with the platform's messages") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  auto e = f.auth->generate_customer_token("", "b0bl0bl@w");
  CHECK(e.code() == Code::kInvalidInput);
  CHECK(e.status().message() == "Specify the \"email\" value.");
  auto p = f.auth->generate_customer_token("bobloblaw@example.com", "");
  CHECK(p.code() == Code::kInvalidInput);
  CHECK(p.status().message() == "Specify the \"password\" value.");
  auto both = f.auth->generate_customer_token("", "");
  CHECK(both.status().message() == "Specify the \"email\" value.");
  CHECK(f.Reload().failures_num == 0);  // input errors are not failed logins
}

TEST_CASE("Unknown email, wrong password, locked and inactive all say the same") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  auto unknown = f.auth->generate_customer_token("nobody@example.com", "b0bl0bl@w");
  auto wrong = f.auth->generate_customer_token("bobloblaw@example.com", "wrong");
  auto invalid = f.auth->generate_customer_token("not an email", "b0bl0bl@w");
  auto huge = f.auth->generate_customer_token("bobloblaw@example.com", std::string(1 << 20, 'x'));
  for (const auto* r : {&unknown, &wrong, &invalid, &huge}) {
    CHECK(r->code() == Code::kAuthenticationFailed);
    CHECK(r->status().message() == kSignIn);
  }
  CustomerUpdate off;
  off.is_active = false;
  REQUIRE(f.auth->update_customer(f.bob.email, off).ok());
  auto inactive = f.auth->generate_customer_token("bobloblaw@example.com", "b0bl0bl@w");
  CHECK(inactive.code() == Code::kAuthenticationFailed);
  CHECK(inactive.status().message() == kSignIn);
}

TEST_CASE("An unconfirmed account is named only after a secret matched") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  CustomerUpdate u;
  u.confirmed = false;
  REQUIRE(f.auth->update_customer(f.bob.email, u).ok());
  auto wrong = f.auth->generate_customer_token(f.bob.email, "wrong-password");
  CHECK(wrong.status().message() == kSignIn);
  auto right = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  CHECK(right.code() == Code::kNotConfirmed);
  CHECK(right.status().message() == "This account isn't confirmed. Verify and try again.");
}

TEST_CASE("Lockout: 10 failures lock for 10 minutes; every path fails while locked") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  f.Consent(true);
  for (int i = 1; i <= 9; ++i) {
    REQUIRE(f.auth->generate_customer_token(f.bob.email, "wrong").status().message() == kSignIn);
    CHECK(f.Reload().failures_num == i);
    CHECK_FALSE(f.Reload().locked_at(f.clock->now()));
  }
  REQUIRE(f.auth->generate_customer_token(f.bob.email, "wrong").status().message() == kSignIn);
  Customer locked = f.Reload();
  REQUIRE(locked.lock_expires.has_value());
  CHECK(*locked.lock_expires == f.clock->now() + 10 * kMinute);
  CHECK(f.Events().back() == "customer.lock");

  // The right password, a fresh reset token and a fresh OTC all fail while locked.
  CHECK(f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w").status().message() == kSignIn);
  auto reset = f.auth->request_password_reset(f.bob.email);
  REQUIRE(reset.ok());
  REQUIRE(reset->has_value());
  CHECK(f.auth->generate_customer_token(f.bob.email, **reset).status().message() == kSignIn);
  auto otc = f.auth->issue_otc(f.bob.email, 7, "support call");
  REQUIRE(otc.ok());
  CHECK(f.auth->generate_customer_token(f.bob.email, *otc).status().message() == kSignIn);
  CHECK(f.auth->exchange_otc(f.bob.email, *otc).status().message() == kSignIn);
  // Attempts while locked neither extend the lock nor consume the one-time secrets.
  CHECK(*f.Reload().lock_expires == *locked.lock_expires);

  f.clock->advance(10 * kMinute - 1);
  CHECK(f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w").status().message() == kSignIn);
  f.clock->advance(1);  // lock_expires == now: no longer locked
  auto token = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  REQUIRE(token.ok());
  Customer after = f.Reload();
  CHECK(after.failures_num == 0);
  CHECK_FALSE(after.lock_expires.has_value());
  CHECK_FALSE(after.first_failure.has_value());
}

TEST_CASE("A failure after an expired lock starts a new count; success resets it") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  for (int i = 0; i < 10; ++i) (void)f.auth->generate_customer_token(f.bob.email, "wrong");
  REQUIRE(f.Reload().locked_at(f.clock->now()));
  f.clock->advance(10 * kMinute + 1);
  (void)f.auth->generate_customer_token(f.bob.email, "wrong");
  CHECK(f.Reload().failures_num == 1);
  CHECK_FALSE(f.Reload().locked_at(f.clock->now()));
  for (int i = 0; i < 3; ++i) (void)f.auth->generate_customer_token(f.bob.email, "wrong");
  CHECK(f.Reload().failures_num == 4);
  REQUIRE(f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w").ok());
  CHECK(f.Reload().failures_num == 0);
}

TEST_CASE("Lockout can be disabled") {
  AuthOptions o;
  o.lockout.max_failures = 0;
  Fixture f("memory", o);
  for (int i = 0; i < 25; ++i) (void)f.auth->generate_customer_token(f.bob.email, "wrong");
  CHECK_FALSE(f.Reload().locked_at(f.clock->now()));
  CHECK(f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w").ok());
}

TEST_CASE("A reset token logs in once, even though the password is unchanged") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto reset = f.auth->request_password_reset(f.bob.email, {"203.0.113.7", "", ""});
  REQUIRE(reset.ok());
  REQUIRE(reset->has_value());
  const std::string token = **reset;
  CHECK(token.size() == 32);
  auto login = f.auth->generate_customer_token(f.bob.email, token);
  REQUIRE(login.ok());
  CHECK(f.Events().back() == "login.success");
  // Consumed: the second use fails and counts as a failure.
  CHECK(f.auth->generate_customer_token(f.bob.email, token).status().message() == kSignIn);
  CHECK(f.Reload().failures_num == 1);
  // The password still works.
  CHECK(f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w").ok());
}

TEST_CASE("Reset tokens expire after 2 hours; a new one replaces the old") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  auto first = f.auth->request_password_reset(f.bob.email);
  REQUIRE(first->has_value());
  f.clock->advance(11 * kMinute);
  auto second = f.auth->request_password_reset(f.bob.email);
  REQUIRE(second->has_value());
  CHECK(f.auth->reset_password(f.bob.email, **first, "N3w-Passw0rd").message() ==
        "The password token is mismatched. Reset and try again.");
  f.clock->advance(2 * kHour);
  Status expired = f.auth->reset_password(f.bob.email, **second, "N3w-Passw0rd");
  CHECK(expired.code() == Code::kExpired);
  CHECK(expired.message() == "The password token is expired. Reset and try again.");
  CHECK(f.auth->generate_customer_token(f.bob.email, **second).status().message() == kSignIn);
}

TEST_CASE("reset_password: policy, consumption, unlock and revocation") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto old_token = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  REQUIRE(old_token.ok());
  for (int i = 0; i < 10; ++i) (void)f.auth->generate_customer_token(f.bob.email, "wrong");
  REQUIRE(f.Reload().locked_at(f.clock->now()));
  auto reset = f.auth->request_password_reset(f.bob.email);
  REQUIRE(reset->has_value());
  const std::string token = **reset;

  // Refusals change nothing: the token survives a policy failure.
  CHECK(f.auth->reset_password(f.bob.email, token, "weak").code() == Code::kInvalidInput);
  CHECK(f.auth->reset_password(f.bob.email, "short", "N3w-Passw0rd").message() ==
        "The password token is mismatched. Reset and try again.");
  CHECK(f.auth->reset_password(f.bob.email, std::string(32, 'A'), "N3w-Passw0rd").message() ==
        "The password token is mismatched. Reset and try again.");
  CHECK(f.auth->reset_password("roni_cost@example.com", token, "N3w-Passw0rd").message() ==
        "The password token is mismatched. Reset and try again.");
  CHECK(f.auth->reset_password("", token, "N3w-Passw0rd").message() ==
        "You must specify an email address.");
  CHECK(f.auth->reset_password(f.bob.email, "", "N3w-Passw0rd").message() ==
        "resetPasswordToken must be specified");
  CHECK(f.auth->reset_password(f.bob.email, token, "").message() ==
        "newPassword must be specified");
  const std::string hash_before = f.Reload().password_hash;

  f.clock->advance(kSecond);
  REQUIRE(f.auth->reset_password(f.bob.email, token, "N3w-Passw0rd").ok());
  Customer after = f.Reload();
  CHECK(after.password_hash != hash_before);
  CHECK(after.failures_num == 0);
  CHECK_FALSE(after.lock_expires.has_value());
  CHECK(after.tokens_revoked_at == f.clock->now());
  CHECK(f.auth->verify_token(*old_token).status().message() == "The token has been revoked.");
  CHECK(f.auth->reset_password(f.bob.email, token, "An0ther-Pass").message() ==
        "The password token is mismatched. Reset and try again.");
  CHECK(f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w").status().message() == kSignIn);
  auto fresh = f.auth->generate_customer_token(f.bob.email, "N3w-Passw0rd");
  REQUIRE(fresh.ok());
  CHECK(f.auth->verify_token(*fresh).ok());  // issued in the same second as the revocation
}

TEST_CASE("Password reset requests are rate limited per email and per client IP") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  const std::string limited(msg::kTooManyResets);
  RequestContext ip{"198.51.100.1", "", ""};
  REQUIRE(f.auth->request_password_reset(f.bob.email, ip)->has_value());
  // At least 10 minutes apart per email.
  auto soon = f.auth->request_password_reset(f.bob.email, ip);
  CHECK(soon.code() == Code::kRateLimited);
  CHECK(soon.status().message() == limited);
  f.clock->advance(10 * kMinute);
  REQUIRE(f.auth->request_password_reset(f.bob.email, ip).ok());
  // At most 5 per hour per email.
  f.clock->advance(10 * kMinute);
  REQUIRE(f.auth->request_password_reset(f.bob.email).ok());
  f.clock->advance(10 * kMinute);
  REQUIRE(f.auth->request_password_reset(f.bob.email).ok());
  f.clock->advance(10 * kMinute);
  REQUIRE(f.auth->request_password_reset(f.bob.email).ok());
  f.clock->advance(10 * kMinute);  // 5 within the hour already
  CHECK(f.auth->request_password_reset(f.bob.email).status().message() == limited);

  // Unknown emails: the same outward result, no token, and the same limits.
  RequestContext other{"198.51.100.2", "", ""};
  auto unknown = f.auth->request_password_reset("nobody@example.com", other);
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
  // Per IP: 5 per hour across emails.
  for (int i = 0; i < 4; ++i) {
    REQUIRE(
        f.auth->request_password_reset("nobody" + std::to_string(i) + "@example.com", other).ok());
  }
  auto by_ip = f.auth->request_password_reset("somebody@example.com", other);
  CHECK(by_ip.status().message() == limited);
  // A refused request took no slot in the per-email bucket either.
  CHECK(f.auth->request_password_reset("somebody@example.com").ok());
  CHECK(f.auth->request_password_reset("").status().message() ==
        "You must specify an email address.");
  CHECK(f.auth->request_password_reset("bad").status().message() ==
        "\"Email\" is not a valid email address.");
}

TEST_CASE("Login as Customer: consent, one-time, 30 s, only the latest code") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto refused = f.auth->issue_otc(f.bob.email, 7, "support");
  CHECK(refused.code() == Code::kForbidden);
  CHECK(refused.status().message() ==
        "Login as Customer assistance is disabled for this Customer.");

  f.Consent(true);
  auto code = f.auth->issue_otc(f.bob.email, 7, "support call #42");
  REQUIRE(code.ok());
  REQUIRE(code->size() == 32);
  for (char c : *code) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));

  // Through generateCustomerToken (step 3 of the chain), once.
  auto token = f.auth->generate_customer_token(f.bob.email, *code);
  REQUIRE(token.ok());
  CHECK(f.auth->verify_token(*token)->customer_id == f.bob.id);
  CHECK(f.auth->generate_customer_token(f.bob.email, *code).status().message() == kSignIn);

  // Directly with exchange_otc; expired after 30 s.
  auto second = f.auth->issue_otc(f.bob.email, 7, "again");
  REQUIRE(second.ok());
  f.clock->advance(29999);
  auto third = f.auth->issue_otc(f.bob.email, 8, "a colleague");
  REQUIRE(third.ok());
  CHECK(f.auth->exchange_otc(f.bob.email, *second).status().message() == kSignIn);  // replaced
  f.clock->advance(30 * kSecond);
  CHECK(f.auth->exchange_otc(f.bob.email, *third).status().message() == kSignIn);  // expired
  auto fourth = f.auth->issue_otc(f.bob.email, 8, "last");
  REQUIRE(fourth.ok());
  f.clock->advance(29 * kSecond);
  REQUIRE(f.auth->exchange_otc(f.bob.email, *fourth).ok());

  // The audit trail says who, whom, when, why.
  auto audit = *f.storage->list_audit({f.bob.id, 0, 1000});
  std::vector<AuditRecord> otc;
  for (const auto& r : audit) {
    if (r.event.rfind("otc.", 0) == 0) otc.push_back(r);
  }
  REQUIRE(otc.size() == 6);  // 4 issues, 2 uses
  CHECK(otc[0].event == "otc.issue");
  CHECK(otc[0].admin_id == 7);
  CHECK(otc[0].reason == "support call #42");
  CHECK(otc[1].event == "otc.use");
  CHECK(otc[1].admin_id == 7);
  CHECK(otc[5].event == "otc.use");
  CHECK(otc[5].admin_id == 8);
  CHECK(otc[5].reason == "last");
}

TEST_CASE("Withdrawing consent voids outstanding codes at once") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  f.Consent(true);
  auto code = f.auth->issue_otc(f.bob.email, 7, "support");
  REQUIRE(code.ok());
  f.Consent(false);
  f.Consent(true);  // turning it on again does not revive the old code
  CHECK(f.auth->exchange_otc(f.bob.email, *code).status().message() == kSignIn);
  auto fresh = f.auth->issue_otc(f.bob.email, 7, "support");
  REQUIRE(fresh.ok());
  f.Consent(false);
  CHECK(f.auth->generate_customer_token(f.bob.email, *fresh).status().message() == kSignIn);
}

TEST_CASE("OTC refusals") {
  Fixture f("memory");
  f.Consent(true);
  CHECK(f.auth->issue_otc("nobody@example.com", 7, "").code() == Code::kNotFound);
  CHECK(f.auth->issue_otc(f.bob.email, 0, "").code() == Code::kInvalidInput);
  CHECK(f.auth->issue_otc(f.bob.email, 7, std::string(2000, 'r')).code() == Code::kInvalidInput);
  CHECK(f.auth->issue_otc("", 7, "").status().message() == "Specify the \"email\" value.");
  auto code = f.auth->issue_otc(f.bob.email, 7, "x");
  REQUIRE(code.ok());
  std::string upper = *code;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(f.auth->exchange_otc(f.bob.email, upper).status().message() == kSignIn);
  CHECK(f.auth->exchange_otc(f.bob.email, code->substr(1)).status().message() == kSignIn);
  CHECK(f.auth->exchange_otc(f.bob.email, "").status().message() ==
        "Specify the \"password\" value.");
  // The code still works after all that (wrong forms never consume it).
  CHECK(f.auth->exchange_otc(f.bob.email, *code).ok());
}

TEST_CASE("One code raced by 16 threads yields exactly one token") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  AuthOptions o;
  o.lockout.max_failures = 0;
  Fixture f(backend, o);
  f.Consent(true);
  for (int round = 0; round < 20; ++round) {
    auto code = f.auth->issue_otc(f.bob.email, 7, "race");
    REQUIRE(code.ok());
    std::atomic<int> wins{0}, losses{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&] {
        auto r = f.auth->exchange_otc(f.bob.email, *code);
        if (r.ok()) {
          ++wins;
        } else if (r.code() == Code::kAuthenticationFailed) {
          ++losses;
        }
      });
    }
    for (auto& t : threads) t.join();
    REQUIRE(wins.load() == 1);
    REQUIRE(losses.load() == 15);
  }
}

TEST_CASE("A legacy hash logs in and is upgraded to Argon2id") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  NewCustomer imported;
  imported.email = "roni_cost@example.com";
  imported.firstname = "Roni";
  imported.lastname = "Cost";
  imported.password_hash =
      "bce37f2351ff493135f30ab4d05c5a61cd26723012c9d57257ad2a7ec0854447:"
      "abcdefghijklmnopqrstuvwxyzABCDEF:3_32_2_67108864";
  auto roni = f.storage->create_customer(imported, f.clock->now());
  REQUIRE(roni.ok());
  CHECK(f.auth->generate_customer_token(imported.email, "password123").status().message() ==
        kSignIn);
  auto token = f.auth->generate_customer_token(imported.email, "Password123");
  REQUIRE(token.ok());
  const std::string upgraded = f.storage->find_customer_by_id(roni->id)->password_hash;
  CHECK(upgraded.rfind("$argon2id$", 0) == 0);
  CHECK_FALSE(f.auth->hasher().needs_rehash(upgraded));
  CHECK(f.auth->generate_customer_token(imported.email, "Password123").ok());
  CHECK(f.storage->find_customer_by_id(roni->id)->password_hash == upgraded);  // stable now
}

TEST_CASE("The chain's order and membership are configuration") {
  AuthOptions o;
  o.verifier_chain = {SecretSource::kAccountPassword};
  Fixture f("memory", o);
  f.Consent(true);
  auto reset = f.auth->request_password_reset(f.bob.email);
  REQUIRE(reset->has_value());
  CHECK(f.auth->generate_customer_token(f.bob.email, **reset).status().message() == kSignIn);
  auto code = f.auth->issue_otc(f.bob.email, 7, "x");
  CHECK(f.auth->generate_customer_token(f.bob.email, *code).status().message() == kSignIn);
  CHECK(f.auth->exchange_otc(f.bob.email, *code).ok());  // the direct exchange still works
  // The reset token was not consumed by the failed login.
  CHECK(f.auth->reset_password(f.bob.email, **reset, "N3w-Passw0rd").ok());
}

TEST_CASE("revoke_customer_tokens and change_password revoke at once") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  auto t1 = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  REQUIRE(f.auth->verify_token(*t1).ok());
  REQUIRE(f.auth->revoke_customer_tokens(f.bob.email).ok());
  CHECK(f.auth->verify_token(*t1).status().message() == "The token has been revoked.");
  auto t2 = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  REQUIRE(f.auth->verify_token(*t2).ok());
  f.clock->advance(kSecond);
  CHECK(f.auth->change_password(f.bob.email, "wrong", "N3w-Passw0rd").message() ==
        "Invalid login or password.");
  REQUIRE(f.auth->change_password(f.bob.email, "b0bl0bl@w", "N3w-Passw0rd").ok());
  CHECK(f.auth->verify_token(*t2).status().message() == "The token has been revoked.");
  CHECK(f.auth->generate_customer_token(f.bob.email, "N3w-Passw0rd").ok());
  CHECK(f.auth->revoke_customer_tokens("nobody@example.com").code() == Code::kNotFound);
}

TEST_CASE("Revocations within one second still cover every token issued before them") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  // Revoke, log in (the token's iat is the next second), revoke again, log in, revoke again:
  // all within the same millisecond of the clock.
  REQUIRE(f.auth->revoke_customer_tokens(f.bob.email).ok());
  auto a = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  REQUIRE(f.auth->verify_token(*a).ok());
  REQUIRE(f.auth->revoke_customer_tokens(f.bob.email).ok());
  CHECK(f.auth->verify_token(*a).status().message() == "The token has been revoked.");
  auto b = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  REQUIRE(f.auth->verify_token(*b).ok());
  REQUIRE(f.auth->revoke_customer_tokens(f.bob.email).ok());
  CHECK(f.auth->verify_token(*b).status().message() == "The token has been revoked.");
  auto c = f.auth->generate_customer_token(f.bob.email, "b0bl0bl@w");
  CHECK(f.auth->verify_token(*c).ok());
  // A second later nothing is in the future any more.
  f.clock->advance(5 * kSecond);
  CHECK(f.auth->verify_token(*c).ok());
}

TEST_CASE("Failures and lockouts are in the audit trail") {
  Fixture f("sqlite");
  (void)f.auth->generate_customer_token("nobody@example.com", "x");
  for (int i = 0; i < 10; ++i) (void)f.auth->generate_customer_token(f.bob.email, "wrong");
  auto events = f.Events();
  CHECK(std::count(events.begin(), events.end(), "login.failure") == 11);
  CHECK(std::count(events.begin(), events.end(), "customer.lock") == 1);
  auto all = *f.storage->list_audit({std::nullopt, 0, 1000});
  bool saw_unknown = false;
  for (const auto& r : all) {
    if (r.event == "login.failure" && !r.customer_id) {
      saw_unknown = r.detail.find("nobody@example.com") != std::string::npos;
    }
  }
  CHECK(saw_unknown);
}

}  // namespace auth_login_test
