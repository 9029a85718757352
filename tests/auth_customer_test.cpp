// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// CustomerAuth's customer operations on both embedded backends: create, find, update, and that
// every refused call writes nothing.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "test_util.h"

namespace auth_customer_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

struct Fixture {
  explicit Fixture(const std::string& backend) : storage(testing::MakeStorage(backend, dir)) {
    AuthOptions o;
    o.argon2 = CheapArgon2ForTests();
    o.clock = clock;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    auto a = CustomerAuth::Open(storage, o);
    REQUIRE(a.ok());
    auth = std::move(a).value();
  }
  CustomerInput Bob() {
    CustomerInput in;
    in.email = "bobloblaw@example.com";
    in.firstname = "Bob";
    in.lastname = "Loblaw";
    in.password = "b0bl0bl@w";
    return in;
  }
  // Every customer-visible piece of state, to prove a refused call changed nothing.
  std::string Snapshot() {
    std::string s;
    for (std::int64_t id = 1; id <= 10; ++id) {
      auto c = storage->find_customer_by_id(id);
      if (!c.ok()) continue;
      s += std::to_string(c->id) + "|" + c->email + "|" + c->firstname + "|" + c->lastname + "|" +
           c->password_hash + "|" + std::to_string(c->confirmed) + std::to_string(c->is_active) +
           std::to_string(c->allow_remote_shopping_assistance) + std::to_string(c->is_subscribed) +
           "|" + std::to_string(c->updated_at) + "|" + std::to_string(c->tokens_revoked_at) + "\n";
    }
    return s;
  }

  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1748499421000);
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
};

}  // namespace

TEST_CASE("CustomerAuth creates, finds and updates customers") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);

  auto bob = f.auth->create_customer(f.Bob());
  REQUIRE(bob.ok());
  CHECK(bob->id > 0);
  CHECK(bob->email == "bobloblaw@example.com");
  CHECK(bob->confirmed);
  CHECK(bob->is_active);
  CHECK_FALSE(bob->allow_remote_shopping_assistance);
  CHECK(bob->created_at == 1748499421000);
  REQUIRE(bob->password_hash.rfind("$argon2id$", 0) == 0);
  CHECK(bob->password_hash.find("b0bl0bl@w") == std::string::npos);
  auto verified = f.auth->hasher().verify("b0bl0bl@w", bob->password_hash);
  REQUIRE(verified.ok());
  CHECK(*verified);

  // Found case-insensitively; the email is kept as given.
  auto found = f.auth->find_customer("BobLoblaw@Example.COM");
  REQUIRE(found.ok());
  CHECK(found->id == bob->id);
  CHECK(f.auth->find_customer_by_id(bob->id)->email == "bobloblaw@example.com");

  f.clock->advance(5 * kSecond);
  CustomerUpdate u;
  u.allow_remote_shopping_assistance = true;
  u.firstname = "Robert";
  u.is_subscribed = true;
  auto updated = f.auth->update_customer("bobloblaw@example.com", u);
  REQUIRE(updated.ok());
  CHECK(updated->allow_remote_shopping_assistance);
  CHECK(updated->firstname == "Robert");
  CHECK(updated->lastname == "Loblaw");
  CHECK(updated->is_subscribed);
  CHECK(updated->updated_at == 1748499426000);
  CHECK(updated->password_hash == bob->password_hash);

  // The audit trail records the creation and the update.
  auto audit = f.storage->list_audit({});
  REQUIRE(audit.ok());
  REQUIRE(audit->size() == 2);
  CHECK((*audit)[0].event == "customer.create");
  CHECK((*audit)[1].event == "customer.update");
  CHECK((*audit)[1].customer_id == bob->id);
}

TEST_CASE("A customer without a password, and an unconfirmed one") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  CustomerInput in = f.Bob();
  in.password.reset();
  in.confirmed = false;
  auto c = f.auth->create_customer(in);
  REQUIRE(c.ok());
  CHECK_FALSE(c->has_password());
  CHECK_FALSE(c->confirmed);
}

TEST_CASE("Deactivating a customer revokes their tokens") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  auto bob = f.auth->create_customer(f.Bob());
  REQUIRE(bob.ok());
  CHECK(bob->tokens_revoked_at == 0);
  auto epoch_before = f.storage->revocation_epoch();
  REQUIRE(epoch_before.ok());
  f.clock->advance(kMinute);
  CustomerUpdate u;
  u.is_active = false;
  auto off = f.auth->update_customer(bob->email, u);
  REQUIRE(off.ok());
  CHECK_FALSE(off->is_active);
  CHECK(off->tokens_revoked_at == f.clock->now());
  CHECK(*f.storage->revocation_epoch() != *epoch_before);
}

TEST_CASE("Refused creates carry the right code and message and write nothing") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  REQUIRE(f.auth->create_customer(f.Bob()).ok());
  const std::string before = f.Snapshot();
  auto audit_before = f.storage->list_audit({})->size();

  struct Case {
    const char* name;
    CustomerInput input;
    Code code;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, auto mutate, Code code, std::string message) {
    CustomerInput in = f.Bob();
    in.email = "roni_cost@example.com";
    mutate(in);
    cases.push_back({name, in, code, std::move(message)});
  };
  add(
      "duplicate email, other case", [](CustomerInput& in) { in.email = "BOBLOBLAW@example.com"; },
      Code::kAlreadyExists, std::string(msg::kCustomerExists));
  add(
      "duplicate without password",
      [](CustomerInput& in) {
        in.email = "bobloblaw@example.com";
        in.password.reset();
      },
      Code::kAlreadyExists, std::string(msg::kCustomerExists));
  add(
      "invalid email", [](CustomerInput& in) { in.email = "roni_cost@"; }, Code::kInvalidInput,
      std::string(msg::kInvalidEmail));
  add(
      "empty email", [](CustomerInput& in) { in.email = ""; }, Code::kInvalidInput,
      std::string(msg::kInvalidEmail));
  add(
      "email with SQL", [](CustomerInput& in) { in.email = "x'); DROP TABLE customers;--@a.com"; },
      Code::kInvalidInput, std::string(msg::kInvalidEmail));
  add(
      "empty first name", [](CustomerInput& in) { in.firstname = ""; }, Code::kInvalidInput,
      "\"First Name\" is a required value.");
  add(
      "empty last name", [](CustomerInput& in) { in.lastname = " "; }, Code::kInvalidInput,
      "\"Last Name\" is a required value.");
  add(
      "short password", [](CustomerInput& in) { in.password = "Ab1"; }, Code::kInvalidInput,
      "The password needs at least 8 characters. Create a new password and try again.");
  add(
      "weak password", [](CustomerInput& in) { in.password = "abcdefghi"; }, Code::kInvalidInput,
      "Minimum of different classes of characters in password is 3. Classes of characters: "
      "Lower Case, Upper Case, Digits, Special Characters.");
  add(
      "megabyte password", [](CustomerInput& in) { in.password = std::string(1 << 20, 'A'); },
      Code::kInvalidInput, "Please enter a password with at most 256 characters.");
  add(
      "bad website", [](CustomerInput& in) { in.website_id = 0; }, Code::kInvalidInput,
      "website_id must be positive");

  for (const auto& c : cases) {
    INFO(c.name);
    auto r = f.auth->create_customer(c.input);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == c.code);
    CHECK(r.status().message() == c.message);
  }
  CHECK(f.Snapshot() == before);
  CHECK(f.storage->list_audit({})->size() == audit_before);
  CHECK(f.auth->find_customer("roni_cost@example.com").code() == Code::kNotFound);

  // The same email on another website is another customer.
  CustomerInput other = f.Bob();
  other.website_id = 2;
  auto on2 = f.auth->create_customer(other);
  REQUIRE(on2.ok());
  CHECK(on2->website_id == 2);
  CHECK(f.auth->find_customer("bobloblaw@example.com", 2)->id == on2->id);
}

TEST_CASE("Refused updates and lookups") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  REQUIRE(f.auth->create_customer(f.Bob()).ok());
  const std::string before = f.Snapshot();
  CustomerUpdate u;
  u.confirmed = false;
  CHECK(f.auth->update_customer("nobody@example.com", u).code() == Code::kNotFound);
  CHECK(f.auth->update_customer("", u).status().message() == std::string(msg::kSpecifyEmail));
  CHECK(f.auth->update_customer("nobody", u).status().message() == std::string(msg::kInvalidEmail));
  CustomerUpdate bad_name;
  bad_name.lastname = "";
  bad_name.confirmed = false;
  CHECK(f.auth->update_customer("bobloblaw@example.com", bad_name).status().message() ==
        "\"Last Name\" is a required value.");
  CHECK(f.Snapshot() == before);
  CHECK(f.auth->find_customer("").status().message() == std::string(msg::kSpecifyEmail));
  CHECK(f.auth->find_customer_by_id(0).code() == Code::kInvalidInput);
  CHECK(f.auth->find_customer_by_id(999).code() == Code::kNotFound);
}

TEST_CASE("Open refuses inconsistent options") {
  auto storage = std::shared_ptr<Storage>(MakeMemoryStorage());
  CHECK(CustomerAuth::Open(nullptr).code() == Code::kInvalidInput);
  CHECK(CustomerAuth::Open(storage).code() == Code::kInvalidInput);  // no keys
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  AuthOptions good;
  good.keys = keys;
  CHECK(CustomerAuth::Open(storage, good).ok());
  AuthOptions o = good;
  o.password_policy.required_classes = 5;
  CHECK(CustomerAuth::Open(storage, o).code() == Code::kInvalidInput);
  o = good;
  o.lockout.max_failures = -1;
  CHECK(CustomerAuth::Open(storage, o).code() == Code::kInvalidInput);
  o = good;
  o.argon2.max_concurrent = 0;
  CHECK(CustomerAuth::Open(storage, o).code() == Code::kInvalidInput);
  o = good;
  o.keys.jwt_keys.clear();
  CHECK(CustomerAuth::Open(storage, o).code() == Code::kInvalidInput);
  o = good;
  o.tokens.lifetime = 0;
  CHECK(CustomerAuth::Open(storage, o).code() == Code::kInvalidInput);
}

}  // namespace auth_customer_test
