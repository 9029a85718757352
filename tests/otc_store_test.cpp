// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// OtcStore (custauth/otc_store.h) on both embedded backends: only the latest secret of a kind
// works, a secret is consumed once by 16 threads racing for it, void, expiry, and the handle's
// issue_otc / consent withdrawal going through it.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/otc_store.h"
#include "test_util.h"

namespace otc_store_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

struct Fixture {
  explicit Fixture(const std::string& backend) : storage(testing::MakeStorage(backend, dir)) {
    NewCustomer c;
    c.email = "roni_cost@example.com";
    c.firstname = "Roni";
    c.lastname = "Cost";
    auto created = storage->create_customer(c, 1000);
    REQUIRE(created.ok());
    id = created->id;
    OtcStoreOptions o;
    o.secret_key = std::string(32, 'k');
    auto s = OtcStore::Open(storage, o);
    REQUIRE(s.ok());
    otc = std::move(s).value();
  }
  TempDir dir;
  std::shared_ptr<Storage> storage;
  std::unique_ptr<OtcStore> otc;
  std::int64_t id = 0;
};

constexpr TimeMs kNow = 1'700'000'000'000;

}  // namespace

TEST_CASE("OtcStore: only the latest secret of a kind works") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  const SecretKind kind = GENERATE(SecretKind::kAdminOtc, SecretKind::kPasswordReset);
  auto first = f.otc->issue(kind, f.id, kNow);
  auto second = f.otc->issue(kind, f.id, kNow + 1);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);
  CHECK(OtcStore::has_shape(kind, *second));
  CHECK(f.otc->consume(kind, f.id, *first, kNow + 2).code() == Code::kNotFound);
  auto used = f.otc->consume(kind, f.id, *second, kNow + 2);
  REQUIRE(used.ok());
  CHECK(used->expires_at == kNow + 1 + f.otc->lifetime(kind));
  CHECK(f.otc->consume(kind, f.id, *second, kNow + 3).code() == Code::kNotFound);  // once
  // The other kind is another secret: issuing one does not void the other.
  const SecretKind other =
      kind == SecretKind::kAdminOtc ? SecretKind::kPasswordReset : SecretKind::kAdminOtc;
  auto a = f.otc->issue(kind, f.id, kNow);
  auto b = f.otc->issue(other, f.id, kNow);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(f.otc->consume(kind, f.id, *a, kNow).ok());
  CHECK(f.otc->consume(other, f.id, *b, kNow).ok());
}

TEST_CASE("OtcStore: expiry, void, unknown customers") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  auto code = f.otc->issue(SecretKind::kAdminOtc, f.id, kNow, SecretIssuer{7, "support call"});
  REQUIRE(code.ok());
  const TimeMs expiry = kNow + 30 * kSecond;
  CHECK(f.otc->consume(SecretKind::kAdminOtc, f.id, *code, expiry).code() == Code::kExpired);
  auto used = f.otc->consume(SecretKind::kAdminOtc, f.id, *code, expiry - 1);  // still unused
  REQUIRE(used.ok());
  CHECK(used->admin_id == 7);
  CHECK(used->reason == "support call");
  auto again = f.otc->issue(SecretKind::kAdminOtc, f.id, kNow);
  REQUIRE(again.ok());
  REQUIRE(f.otc->void_secret(SecretKind::kAdminOtc, f.id).ok());
  CHECK(f.otc->consume(SecretKind::kAdminOtc, f.id, *again, kNow).code() == Code::kNotFound);
  CHECK(f.otc->void_secret(SecretKind::kAdminOtc, f.id).ok());  // none: OK
  CHECK(f.otc->issue(SecretKind::kAdminOtc, f.id + 999, kNow).code() == Code::kNotFound);
  CHECK(f.otc->consume(SecretKind::kAdminOtc, f.id, "not-a-code", kNow).code() == Code::kNotFound);
}

TEST_CASE("OtcStore: 16 threads racing consume a secret exactly once") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);
  for (int round = 0; round < 5; ++round) {
    auto code = f.otc->issue(SecretKind::kAdminOtc, f.id, kNow);
    REQUIRE(code.ok());
    std::atomic<int> ready{0};
    std::atomic<int> won{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < 16) std::this_thread::yield();
        auto r = f.otc->consume(SecretKind::kAdminOtc, f.id, *code, kNow + 1);
        if (r.ok()) {
          won.fetch_add(1);
        } else if (r.code() != Code::kNotFound) {
          other.fetch_add(1);
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(won == 1);
    CHECK(other == 0);
  }
}

TEST_CASE("CustomerAuth's admin codes and consent withdrawal go through its OtcStore") {
  const std::string backend = GENERATE("memory", "sqlite");
  TempDir dir;
  auto storage = testing::MakeStorage(backend, dir);
  AuthOptions o;
  o.keys = GenerateKeys(*SystemRandom::Shared());
  o.argon2 = CheapArgon2ForTests();
  auto a = CustomerAuth::Open(storage, o);
  REQUIRE(a.ok());
  auto& auth = **a;
  CustomerInput in;
  in.email = "roni_cost@example.com";
  in.firstname = "Roni";
  in.lastname = "Cost";
  in.allow_remote_shopping_assistance = true;
  auto c = auth.create_customer(in);
  REQUIRE(c.ok());
  auto first = auth.issue_otc(in.email, 7, "call");
  auto code = auth.issue_otc(in.email, 7, "call");
  REQUIRE(first.ok());
  REQUIRE(code.ok());
  // The handle's store hashes as the handle does: only the latest code is there.
  const TimeMs now = auth.clock().now();
  CHECK(auth.otc_store().consume(SecretKind::kAdminOtc, c->id, *first, now).code() ==
        Code::kNotFound);
  CHECK(auth.exchange_otc(in.email, *code).ok());
  auto third = auth.issue_otc(in.email, 7, "call");
  REQUIRE(third.ok());
  CustomerUpdate withdraw;
  withdraw.allow_remote_shopping_assistance = false;
  REQUIRE(auth.update_customer(in.email, withdraw).ok());
  CHECK(auth.otc_store().consume(SecretKind::kAdminOtc, c->id, *third, now).code() ==
        Code::kNotFound);
}

}  // namespace otc_store_test
