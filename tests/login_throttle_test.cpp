// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The token-request throttle (DOMAIN.md, generateCustomerToken, "Two locks"; the platform's
// oauth/authentication_lock and its CustomerTokenServiceTest::testThrottlingAccountLockout), on
// both embedded backends: 6 failures per email as given (case-folded) and website, unknown
// emails too, each pushing the expiry to now + 1800 s; checked before the account lock and
// before any hash; a success clears it.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "test_util.h"

namespace login_throttle_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr char kEmail[] = "roni_cost@example.com";
constexpr char kPassword[] = "Roni_Cost123";

struct Fixture {
  explicit Fixture(const std::string& backend, int max_concurrent = 4)
      : storage(testing::MakeStorage(backend, dir)) {
    AuthOptions o;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    o.argon2 = CheapArgon2ForTests();
    o.argon2.max_concurrent = max_concurrent;
    o.clock = clock;
    auto a = CustomerAuth::Open(storage, o);
    INFO(a.status().to_string());
    REQUIRE(a.ok());
    auth = std::move(a).value();
    CustomerInput in;
    in.email = kEmail;
    in.firstname = "Roni";
    in.lastname = "Cost";
    in.password = kPassword;
    auto c = auth->create_customer(in);
    REQUIRE(c.ok());
    id = c->id;
  }
  void Wrong(int n, const std::string& email = kEmail) {
    for (int k = 0; k < n; ++k) {
      auto r = auth->generate_customer_token(email, "wrong-" + std::to_string(k));
      REQUIRE(r.code() == Code::kAuthenticationFailed);
      REQUIRE(r.status().message() == msg::kSignInIncorrect);
    }
  }
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
  std::int64_t id = 0;
};

}  // namespace

TEST_CASE("The throttle's defaults are the platform's") {
  AuthOptions o;
  CHECK(o.login_throttle.max_failures == 6);
  CHECK(o.login_throttle.lifetime == 1800 * kSecond);
}

TEST_CASE("6 wrong passwords then the right one: the generic refusal; 5 then the right: a token") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  SECTION("six") {
    f.Wrong(6);
    const std::uint64_t before = f.auth->hasher().computations();
    auto r = f.auth->generate_customer_token(kEmail, kPassword);
    CHECK(r.code() == Code::kAuthenticationFailed);
    CHECK(r.status().message() == msg::kSignInIncorrect);
    CHECK(f.auth->hasher().computations() == before);  // refused before any hash
    // Not the account lock (10): the customer is not locked.
    auto c = f.auth->find_customer_by_id(f.id);
    REQUIRE(c.ok());
    CHECK(c->failures_num == 6);
    CHECK_FALSE(c->locked_at(f.clock->now()));
  }
  SECTION("five") {
    f.Wrong(5);
    auto r = f.auth->generate_customer_token(kEmail, kPassword);
    INFO(r.status().to_string());
    CHECK(r.ok());
    // The success cleared it: six more wrong ones are needed to close it again.
    f.Wrong(5);
    CHECK(f.auth->generate_customer_token(kEmail, kPassword).ok());
  }
  SECTION("the email as given, case-folded, and the website") {
    f.Wrong(3);
    f.Wrong(3, "Roni_Cost@Example.COM");
    CHECK(f.auth->generate_customer_token(kEmail, kPassword).code() == Code::kAuthenticationFailed);
    // Website 2 is another key (and has no such customer).
    CHECK(f.auth->generate_customer_token(kEmail, kPassword, {}, 2).code() ==
          Code::kAuthenticationFailed);
  }
  SECTION("unknown emails too: the seventh runs no hash") {
    f.Wrong(6, "nobody@example.com");
    const std::uint64_t before = f.auth->hasher().computations();
    CHECK(f.auth->generate_customer_token("nobody@example.com", "x").code() ==
          Code::kAuthenticationFailed);
    CHECK(f.auth->hasher().computations() == before);
    CHECK(f.auth->generate_customer_token(kEmail, kPassword).ok());  // another key
  }
}

TEST_CASE("The throttle expires 1800 s after the last failure") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  for (int k = 0; k < 6; ++k) {
    f.Wrong(1);
    f.clock->advance(100 * kSecond);  // each failure pushes the expiry
  }
  const TimeMs last = f.clock->now() - 100 * kSecond;
  f.clock->set(last + 1800 * kSecond - 1);
  CHECK(f.auth->generate_customer_token(kEmail, kPassword).code() == Code::kAuthenticationFailed);
  f.clock->set(last + 1800 * kSecond);
  auto r = f.auth->generate_customer_token(kEmail, kPassword);
  INFO(r.status().to_string());
  CHECK(r.ok());
}

TEST_CASE("64 concurrent wrong guesses with the throttle on: at most 6 evaluated") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend, 16);
  const std::uint64_t before = f.auth->hasher().computations();
  std::atomic<bool> go{false};
  std::atomic<int> tokens{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      if (f.auth->generate_customer_token(kEmail, "wrong-" + std::to_string(t)).ok()) ++tokens;
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  CHECK(tokens == 0);
  const std::uint64_t evaluated = f.auth->hasher().computations() - before;
  INFO("evaluated " << evaluated);
  CHECK(evaluated <= 6);
  auto c = f.auth->find_customer_by_id(f.id);
  REQUIRE(c.ok());
  CHECK(c->failures_num <= 6);
}

TEST_CASE("The throttle's options are checked at open; 0 turns it off") {
  TempDir dir;
  AuthOptions o;
  o.keys = GenerateKeys(*SystemRandom::Shared());
  o.argon2 = CheapArgon2ForTests();
  o.login_throttle.max_failures = -1;
  CHECK(CustomerAuth::Open(MakeMemoryStorage(), o).code() == Code::kInvalidInput);
  o.login_throttle.max_failures = 6;
  o.login_throttle.lifetime = 0;
  CHECK(CustomerAuth::Open(MakeMemoryStorage(), o).code() == Code::kInvalidInput);
  o.login_throttle.lifetime = kHour;
  o.login_attempt_lifetime = -1;
  CHECK(CustomerAuth::Open(MakeMemoryStorage(), o).code() == Code::kInvalidInput);
  o.login_attempt_lifetime = kMinute;
  o.login_throttle.max_failures = 0;
  auto a = CustomerAuth::Open(MakeMemoryStorage(), o);
  REQUIRE(a.ok());
  CustomerInput in;
  in.email = kEmail;
  in.firstname = "Roni";
  in.lastname = "Cost";
  in.password = kPassword;
  REQUIRE((*a)->create_customer(in).ok());
  for (int k = 0; k < 9; ++k) REQUIRE_FALSE((*a)->generate_customer_token(kEmail, "wrong").ok());
  CHECK((*a)->generate_customer_token(kEmail, kPassword).ok());
}

}  // namespace login_throttle_test
