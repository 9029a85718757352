// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Known and unknown emails cost the same (DOMAIN.md, generateCustomerToken): for every operation
// that takes an email, a known account with a wrong secret and an unknown email run the same
// Argon2 work: counted through PasswordHasher::work_counts(), never timed (the times are
// measured by scripts/bench, bench/timing_logins.cpp). At the hasher's concurrency limit both
// answer kBusy.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "test_util.h"

namespace timing_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

const std::string kSignIn(msg::kSignInIncorrect);
constexpr char kUnknown[] = "nobody@example.com";
constexpr char kWrongReset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";  // reset token shape
constexpr char kWrongOtc[] = "0123456789abcdef0123456789abcdef";    // admin code shape

struct Fixture {
  explicit Fixture(const std::string& backend, Argon2Options argon2 = CheapArgon2ForTests(),
                   bool throttle = true)
      : storage(testing::MakeStorage(backend, dir)) {
    AuthOptions o;
    o.argon2 = argon2;
    if (!throttle) o.login_throttle.max_failures = 0;  // the account lock is what refuses
    o.clock = clock;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    auto a = CustomerAuth::Open(storage, o);
    REQUIRE(a.ok());
    auth = std::move(a).value();
    CustomerInput in;
    in.email = "bobloblaw@example.com";
    in.firstname = "Bob";
    in.lastname = "Loblaw";
    in.password = "b0bl0bl@w";
    in.allow_remote_shopping_assistance = true;
    auto c = auth->create_customer(in);
    REQUIRE(c.ok());
    bob = *c;
  }

  // A customer imported with `stored` as its password hash.
  Customer Import(const std::string& email, const std::string& stored) {
    NewCustomer imported;
    imported.email = email;
    imported.firstname = "Roni";
    imported.lastname = "Cost";
    imported.password_hash = stored;
    auto c = storage->create_customer(imported, clock->now());
    REQUIRE(c.ok());
    return *c;
  }

  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1748499421000);
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
  Customer bob;
};

struct Work {
  std::uint64_t verifications = 0;
  std::uint64_t hashes = 0;
  bool operator==(const Work&) const = default;
};

// The Argon2 work `op` made `auth`'s hasher do; `op` returns its status, checked against `code`.
Work Count(CustomerAuth& auth, Code code, const std::function<Status()>& op) {
  const auto before = auth.hasher().work_counts();
  const Status s = op();
  CHECK(s.code() == code);
  const auto after = auth.hasher().work_counts();
  return {after.argon2_verifications - before.argon2_verifications, after.hashes - before.hashes};
}

const nlohmann::json& ForeignVectors() {
  static const nlohmann::json doc = [] {
    std::ifstream in(CUSTAUTH_SOURCE_DIR "/tests/vectors/foreign_hashes.json");
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
  }();
  return doc;
}

// A stored foreign hash of `password` whose hash starts with `prefix`.
std::string ForeignHash(const std::string& prefix, const std::string& password) {
  for (const auto& v : ForeignVectors().at("vectors")) {
    if (v.at("hash").get<std::string>().starts_with(prefix) && v.at("password") == password) {
      return v.at("hash");
    }
  }
  FAIL("no vector " << prefix << " for " << password);
  return {};
}

// A verification that holds the hasher's only slot until joined.
class SlotHolder {
 public:
  explicit SlotHolder(PasswordHasher& hasher) {
    auto hash = legacy::Compute("slow-password", "slow-salt", "3_32_8_134217728");
    REQUIRE(hash.ok());
    stored_ = *hash + ":slow-salt:3_32_8_134217728";
    thread_ = std::thread([this, &hasher] {
      result_ = hasher.verify("slow-password", stored_);
      finished_ = true;
    });
    while (!finished_.load() && hasher.in_flight() == 0) std::this_thread::yield();
    REQUIRE_FALSE(finished_.load());
  }
  SlotHolder(const SlotHolder&) = delete;
  SlotHolder& operator=(const SlotHolder&) = delete;
  ~SlotHolder() {
    if (thread_.joinable()) thread_.join();
  }
  bool finished() const { return finished_.load(); }

 private:
  std::string stored_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  Result<bool> result_ = Status(Code::kInternal, "not run");
};

}  // namespace

}  // namespace timing_test

namespace Catch {
template <>
struct StringMaker<timing_test::Work> {
  static std::string convert(const timing_test::Work& w) {
    return "{verifications " + std::to_string(w.verifications) + ", hashes " +
           std::to_string(w.hashes) + "}";
  }
};
}  // namespace Catch

namespace timing_test {

TEST_CASE("generateCustomerToken: a wrong password and an unknown email run one verification") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto& a = *f.auth;
  const Work one{1, 0};
  CHECK(Count(a, Code::kAuthenticationFailed, [&] {
          return a.generate_customer_token(f.bob.email, "wrong-password").status();
        }) == one);
  CHECK(Count(a, Code::kAuthenticationFailed, [&] {
          return a.generate_customer_token(kUnknown, "wrong-password").status();
        }) == one);
  // A known account without a password: the same.
  CustomerInput nopw;
  nopw.email = "nopassword@example.com";
  nopw.firstname = "No";
  nopw.lastname = "Password";
  REQUIRE(a.create_customer(nopw).ok());
  CHECK(Count(a, Code::kAuthenticationFailed, [&] {
          return a.generate_customer_token(nopw.email, "wrong-password").status();
        }) == one);
}

TEST_CASE("generateCustomerToken: a locked account runs the dummy as an unknown email does") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend, CheapArgon2ForTests(), /*throttle=*/false);
  auto& a = *f.auth;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(a.generate_customer_token(f.bob.email, "wrong-" + std::to_string(i)).code() ==
            Code::kAuthenticationFailed);
  }
  REQUIRE(f.storage->find_customer_by_id(f.bob.id)->locked_at(f.clock->now()));
  const Work one{1, 0};
  const auto dummies = a.hasher().work_counts().dummies;
  // Refused at the attempt's write, the secret never evaluated (the right one neither): only the
  // dummy runs, as for an unknown email; the admin code's exchange alike.
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.generate_customer_token(f.bob.email, "b0bl0bl@w").status(); }) == one);
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.generate_customer_token(kUnknown, "b0bl0bl@w").status(); }) == one);
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.exchange_otc(f.bob.email, kWrongOtc).status(); }) == one);
  CHECK(a.hasher().work_counts().dummies == dummies + 3);
}

TEST_CASE("exchange_otc: a known and an unknown email run one verification") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto& a = *f.auth;
  REQUIRE(a.issue_otc(f.bob.email, 7, "support").ok());
  const Work one{1, 0};
  // A wrong code of the right shape, a code of the wrong shape, and an unknown email.
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.exchange_otc(f.bob.email, kWrongOtc).status(); }) == one);
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.exchange_otc(f.bob.email, "not-a-code").status(); }) == one);
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.exchange_otc(kUnknown, kWrongOtc).status(); }) == one);
  // A customer who withdrew consent: the same.
  CustomerUpdate off;
  off.allow_remote_shopping_assistance = false;
  REQUIRE(a.update_customer(f.bob.email, off).ok());
  CHECK(Count(a, Code::kAuthenticationFailed,
              [&] { return a.exchange_otc(f.bob.email, kWrongOtc).status(); }) == one);
}

TEST_CASE("reset_password: a known and an unknown email hash the new password once") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto& a = *f.auth;
  REQUIRE(a.request_password_reset(f.bob.email).ok());
  const Work one_hash{0, 1};
  auto known = Count(a, Code::kInvalidInput,
                     [&] { return a.reset_password(f.bob.email, kWrongReset, "N3w-passw0rd!"); });
  auto unknown = Count(a, Code::kInvalidInput,
                       [&] { return a.reset_password(kUnknown, kWrongReset, "N3w-passw0rd!"); });
  CHECK(known == one_hash);
  CHECK(unknown == one_hash);
  // Both are the same refusal.
  CHECK(a.reset_password(f.bob.email, kWrongReset, "N3w-passw0rd!").message() ==
        a.reset_password(kUnknown, kWrongReset, "N3w-passw0rd!").message());
}

TEST_CASE("change_password: a wrong password, a locked account and an unknown email cost alike") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto& a = *f.auth;
  const Work one{1, 0};
  const std::string invalid(msg::kInvalidLoginOrPassword);
  auto change = [&](const std::string& email, Code code, const std::string& message) {
    return Count(a, code, [&] {
      const Status s = a.change_password(email, "wrong-password", "N3w-passw0rd!");
      CHECK(s.message() == message);
      return s;
    });
  };
  CHECK(change(f.bob.email, Code::kAuthenticationFailed, invalid) == one);
  CHECK(change(kUnknown, Code::kAuthenticationFailed, invalid) == one);
  // Imported with the platform's sha256 (a fast hash, then the dummy), with and without VERSIONS.
  const Customer roni =
      f.Import("roni_cost@example.com", *legacy::Compute("Password123", "salt", "1") + ":salt:1");
  CHECK(change(roni.email, Code::kAuthenticationFailed, invalid) == one);
  const Customer veronica =
      f.Import("veronica@example.com", *legacy::Compute("Password123", "salt", "1") + ":salt");
  CHECK(change(veronica.email, Code::kAuthenticationFailed, invalid) == one);
  // No password (created by an external login): the dummy.
  CustomerInput nopw;
  nopw.email = "nopassword@example.com";
  nopw.firstname = "No";
  nopw.lastname = "Password";
  REQUIRE(a.create_customer(nopw).ok());
  CHECK(change(nopw.email, Code::kAuthenticationFailed, invalid) == one);
  // Inactive: the dummy, and the message of a wrong password.
  CustomerUpdate off;
  off.is_active = false;
  REQUIRE(a.update_customer(nopw.email, off).ok());
  CHECK(change(nopw.email, Code::kAuthenticationFailed, invalid) == one);
  // Locked: the dummy (the stored hash is never tried while locked), and DOMAIN.md's message;
  // the right password too.
  for (int i = 0; i < 8; ++i) {
    CHECK(change(f.bob.email, Code::kAuthenticationFailed, invalid) == one);
  }
  // The failure that locks answers as a locked account (as the platform's does).
  CHECK(change(f.bob.email, Code::kLocked, std::string(msg::kAccountLocked)) == one);
  CHECK(change(f.bob.email, Code::kLocked, std::string(msg::kAccountLocked)) == one);
  CHECK(Count(a, Code::kLocked,
              [&] { return a.change_password(f.bob.email, "b0bl0bl@w", "N3w-passw0rd!"); }) == one);
}

TEST_CASE("A fast legacy or foreign hash: a wrong password costs one verification too") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  auto& a = *f.auth;
  struct Case {
    const char* name;
    std::string stored;
  };
  const Case cases[] = {
      {"sha256 (the platform's default)", *legacy::Compute("Password123", "salt", "1") + ":salt"},
      {"sha256, VERSIONS 1", *legacy::Compute("Password123", "salt", "1") + ":salt:1"},
      {"md5", *legacy::Compute("Password123", "salt", "0") + ":salt:0"},
      {"md5 then sha256", *legacy::Compute("Password123", "salt", "0:1") + ":salt:0:1"},
      {"bcrypt", ForeignHash("$2y$", "Password123")},
      {"phpass", ForeignHash("$P$", "Password123")},
      {"WordPress bcrypt", ForeignHash("$wp$", "Password123")},
      // At the hasher's (cheap) options, a legacy Argon2 step is the verification itself.
      {"legacy Argon2 at the current cost",
       *legacy::Compute("Password123", "salt", "3_32_1_8192") + ":salt:3_32_1_8192"},
  };
  const Work one{1, 0};
  int n = 0;
  for (const Case& c : cases) {
    INFO(c.name);
    const Customer imported = f.Import("imported" + std::to_string(++n) + "@example.com", c.stored);
    CHECK(Count(a, Code::kAuthenticationFailed, [&] {
            return a.generate_customer_token(imported.email, "wrong-password").status();
          }) == one);
    CHECK(Count(a, Code::kAuthenticationFailed, [&] {
            return a.generate_customer_token("x" + imported.email, "wrong-password").status();
          }) == one);
    // The other operations that take an email: exchange_otc runs the dummy, reset_password
    // hashes the new password, change_password verifies as the login does.
    CHECK(Count(a, Code::kAuthenticationFailed,
                [&] { return a.exchange_otc(imported.email, kWrongOtc).status(); }) == one);
    CHECK(Count(a, Code::kInvalidInput, [&] {
            return a.reset_password(imported.email, kWrongReset, "N3w-passw0rd!");
          }) == Work{0, 1});
    CHECK(Count(a, Code::kAuthenticationFailed, [&] {
            return a.change_password(imported.email, "wrong-password", "N3w-passw0rd!");
          }) == one);
    // The right password still signs in (and is upgraded: one verification, one hash).
    CHECK(
        Count(a, Code::kOk,
              [&] { return a.generate_customer_token(imported.email, "Password123").status(); }) ==
        Work{c.stored.starts_with("$") || c.stored.find(":3_") == std::string::npos ? 0u : 1u, 1});
  }
}

TEST_CASE("A hasher whose Argon2 options are costlier than a stored hash's adds the dummy") {
  Argon2Options cheap = CheapArgon2ForTests();
  PasswordHasher cheap_hasher(cheap);
  auto weak = cheap_hasher.hash("Password123");
  REQUIRE(weak.ok());
  Argon2Options costlier = cheap;
  costlier.opslimit = 2;
  PasswordHasher hasher(costlier);
  auto r = hasher.verify("wrong-password", *weak);
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  CHECK(hasher.work_counts().argon2_verifications == 2);  // the weak hash, then the dummy
  r = hasher.verify("Password123", *weak);
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(hasher.work_counts().argon2_verifications == 3);  // a match adds nothing
  CHECK(hasher.work_counts().hashes == 0);
}

TEST_CASE("At the hasher's concurrency limit known and unknown emails both get kBusy") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Argon2Options one_slot = CheapArgon2ForTests();
  one_slot.max_concurrent = 1;
  one_slot.wait_timeout = 0;
  Fixture f(backend, one_slot);
  auto& a = *f.auth;
  REQUIRE(a.issue_otc(f.bob.email, 7, "support").ok());
  REQUIRE(a.request_password_reset(f.bob.email).ok());
  const Customer roni =
      f.Import("roni_cost@example.com", *legacy::Compute("Password123", "salt", "1") + ":salt");
  const Customer bcrypt = f.Import("bcrypt@example.com", ForeignHash("$2y$", "Password123"));
  // A locked account: change_password runs the dummy for it, so it is kBusy too.
  CustomerInput locked_in;
  locked_in.email = "locked@example.com";
  locked_in.firstname = "Locked";
  locked_in.lastname = "Out";
  locked_in.password = "b0bl0bl@w";
  REQUIRE(a.create_customer(locked_in).ok());
  for (int i = 0; i < 10; ++i) (void)a.change_password(locked_in.email, "wrong", "N3w-passw0rd!");
  REQUIRE(a.change_password(locked_in.email, "wrong", "N3w-passw0rd!").code() == Code::kLocked);

  SlotHolder holder(a.hasher());
  const Work none{0, 0};
  for (const std::string& email : {f.bob.email, roni.email, bcrypt.email, std::string(kUnknown)}) {
    INFO(email);
    CHECK(Count(a, Code::kBusy, [&] {
            return a.generate_customer_token(email, "wrong-password").status();
          }) == none);
    CHECK(Count(a, Code::kBusy, [&] { return a.exchange_otc(email, kWrongOtc).status(); }) == none);
    CHECK(Count(a, Code::kBusy, [&] {
            return a.change_password(email, "wrong-password", "N3w-passw0rd!");
          }) == none);
    CHECK(Count(a, Code::kBusy,
                [&] { return a.reset_password(email, kWrongReset, "N3w-passw0rd!"); }) == none);
  }
  CHECK(Count(a, Code::kBusy, [&] {
          return a.change_password(locked_in.email, "wrong-password", "N3w-passw0rd!");
        }) == none);
  REQUIRE_FALSE(holder.finished());  // every call above ran while the slot was held
}

}  // namespace timing_test
