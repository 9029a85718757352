// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Test handles and fixtures (custauth/testing.h, custauth.h's "Test handles"): a normal handle
// refuses the clock, the seed and the read-back of secrets, from C++ and from C; a seed makes
// codes and tokens reproducible; fixtures create customers in both password formats.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../capi/custauth.h"
#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "custauth/password.h"
#include "custauth/testing.h"
#include "test_util.h"

namespace harness_test {

using namespace custauth;
using custauth::testing::TempDir;
using nlohmann::json;

namespace {

std::unique_ptr<CustomerAuth> OpenNormal() {
  AuthOptions o;
  o.keys = GenerateKeys(*SystemRandom::Shared());
  o.argon2 = CheapArgon2ForTests();
  auto auth = CustomerAuth::Open(MakeMemoryStorage(), o);
  REQUIRE(auth.ok());
  return std::move(auth).value();
}

std::unique_ptr<CustomerAuth> OpenTest(std::optional<std::uint64_t> seed,
                                       const std::string& storage = "memory:") {
  auto auth = custauth::testing::OpenTestAuth(seed, storage);
  REQUIRE(auth.ok());
  return std::move(auth).value();
}

testing::FixtureCustomer Assisted(const std::string& email) {
  return {.email = email, .password = "Password123", .allow_remote_shopping_assistance = true};
}

// Every random value a handle hands out, in one fixed sequence of calls.
std::vector<std::string> RandomValues(std::uint64_t seed, TokenFormat format = TokenFormat::kJwt) {
  AuthOptions o = testing::TestOptions(seed);
  o.tokens.format = format;
  auto opened = testing::OpenTestAuth(o);
  REQUIRE(opened.ok());
  CustomerAuth& auth = **opened;
  testing::FixtureCustomer legacy = Assisted("legacy@example.com");
  legacy.format = testing::PasswordFormat::kLegacy;
  auto created = testing::CreateCustomers(auth, {Assisted("roni_cost@example.com"), legacy});
  REQUIRE(created.ok());
  std::vector<std::string> out;
  out.push_back((*created)[1].password_hash);  // HASH:SALT:VERSIONS with a drawn salt
  out.push_back(*auth.issue_otc("roni_cost@example.com", 1, "help"));
  out.push_back(**auth.request_password_reset("roni_cost@example.com"));
  out.push_back(*auth.generate_customer_token("roni_cost@example.com", "Password123"));
  auto creds = auth.create_integration("social", {"exchange_external_customer_token"});
  REQUIRE(creds.ok());
  out.push_back(creds->consumer_key);
  out.push_back(creds->consumer_secret);
  out.push_back(creds->access_token);
  out.push_back(creds->token_secret);
  out.push_back(creds->integration.consumer_secret_sealed);
  out.push_back(*auth.issue_otc("legacy@example.com", 1, "help"));
  return out;
}

}  // namespace

// --- The refusal on a normal handle ------------------------------------------------------------

TEST_CASE("a normal handle refuses the test clock, the seed and the read-back", "[harness]") {
  auto auth = OpenNormal();
  CHECK_FALSE(auth->is_test_handle());
  const TimeMs before = auth->clock().now();
  Status s = auth->test_set_time(0);
  CHECK(s.code() == Code::kForbidden);
  CHECK(s.message() == "the clock can only be set on a test handle");
  CHECK(auth->test_advance(kHour).code() == Code::kForbidden);
  CHECK(auth->clock().now() - before < kHour);  // it did not move
  CHECK(auth->test_last_secret(SecretKind::kPasswordReset, "a@example.com").code() ==
        Code::kForbidden);
  CHECK(auth->test_last_secret(SecretKind::kAdminOtc, "a@example.com").status().message() ==
        "issued secrets can only be read back on a test handle");
  auto fixtures = testing::CreateCustomers(*auth, {{.email = "a@example.com"}});
  CHECK(fixtures.code() == Code::kForbidden);
  CHECK(testing::CreateCustomersFromJson(*auth, R"(["a@example.com"])").code() == Code::kForbidden);
  CHECK(auth->find_customer("a@example.com").code() == Code::kNotFound);

  SECTION("a seed without test_mode is refused at open") {
    AuthOptions o;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    o.test_seed = 7;
    auto opened = CustomerAuth::Open(MakeMemoryStorage(), o);
    CHECK(opened.code() == Code::kForbidden);
    CHECK(opened.status().message() == "a random seed can only be given to a test handle");
  }
  SECTION("a test handle needs a clock it can move, and a seed or a random source") {
    AuthOptions o = testing::TestOptions(7);
    o.clock = SystemClock::Shared();
    CHECK(testing::OpenTestAuth(o).code() == Code::kInvalidInput);
    o = testing::TestOptions(7);
    o.random = SystemRandom::Shared();
    CHECK(testing::OpenTestAuth(o).code() == Code::kInvalidInput);
    AuthOptions normal;
    CHECK(testing::OpenTestAuth(normal).code() == Code::kInvalidInput);
    // A normal handle still needs its keys.
    CHECK(CustomerAuth::Open(MakeMemoryStorage(), normal).code() == Code::kInvalidInput);
  }
}

TEST_CASE("C: a normal handle refuses every custauth_test_* and test.* call", "[harness][c]") {
  custauth_t* db = nullptr;
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  REQUIRE(custauth_open(&db, "memory:", &o) == CUSTAUTH_OK);
  CHECK(custauth_test_clock_set(db, 0) == CUSTAUTH_EFORBIDDEN);
  CHECK(std::string(custauth_error_last()) == "the clock can only be set on a test handle");
  CHECK(custauth_error_last_code() == CUSTAUTH_EFORBIDDEN);
  CHECK(custauth_test_clock_advance(db, 1000) == CUSTAUTH_EFORBIDDEN);
  std::int64_t now = -1;
  CHECK(custauth_test_clock_now(&now, db) == CUSTAUTH_EFORBIDDEN);
  CHECK(now == 0);
  char* out = reinterpret_cast<char*>(1);
  CHECK(custauth_test_secret_last(&out, db, "a@example.com", CUSTAUTH_SECRET_RESET_TOKEN,
                                  nullptr) == CUSTAUTH_EFORBIDDEN);
  CHECK(out == nullptr);
  CHECK(custauth_test_customers_create(&out, db, R"(["a@example.com"])", nullptr) ==
        CUSTAUTH_EFORBIDDEN);
  CHECK(out == nullptr);
  for (const char* op : {"test.set_time", "test.advance", "test.now", "test.last_reset_token",
                         "test.last_otc", "test.create_customers"}) {
    INFO(op);
    // Refused before the arguments are looked at.
    CHECK(custauth_call(&out, db, op, R"({"time_ms":0,"unknown":1})", nullptr) ==
          CUSTAUTH_EFORBIDDEN);
    custauth_free(out);
    CHECK(custauth_call(&out, db, op, nullptr, nullptr) == CUSTAUTH_EFORBIDDEN);
    REQUIRE(out != nullptr);
    CHECK(json::parse(out)["errors"][0]["extensions"]["code"] == "forbidden");
    custauth_free(out);
  }
  CHECK(custauth_call(&out, db, "customer_find", R"({"email":"a@example.com"})", nullptr) ==
        CUSTAUTH_ENOTFOUND);
  custauth_free(out);
  custauth_close(db);

  // A seed on a handle opened without CUSTAUTH_TEST_HANDLE is refused.
  o.test_flags = CUSTAUTH_TEST_SEEDED;
  o.test_seed = 7;
  CHECK(custauth_open(&db, "memory:", &o) == CUSTAUTH_EFORBIDDEN);
  CHECK(db == nullptr);
  CHECK(custauth_open_json(&db, "memory:", R"({"test_seed":7})") == CUSTAUTH_EFORBIDDEN);
  o.test_flags = 0x80;
  CHECK(custauth_open(&db, "memory:", &o) == CUSTAUTH_EINVALID);
  CHECK(custauth_open_json(&db, "memory:", R"({"version":1,"test":true})") == CUSTAUTH_EINVALID);
  CHECK(custauth_open_json(&db, "memory:", R"({"test":true,"test_seed":-1})") == CUSTAUTH_EINVALID);
}

TEST_CASE("C: version-1 options are still accepted and read as version 1", "[harness][c]") {
  constexpr std::size_t kV1 = offsetof(custauth_options, test_flags);
  custauth_options o;
  std::memset(&o, 0xAB, sizeof o);
  REQUIRE(custauth_options_init(&o, 1) == CUSTAUTH_OK);
  CHECK(o.version == 1u);
  CHECK(o.token_lifetime_s == 3600);
  // Nothing past a version-1 struct was written.
  const auto* bytes = reinterpret_cast<const unsigned char*>(&o);
  for (std::size_t i = kV1; i < sizeof o; ++i) CHECK(bytes[i] == 0xAB);
  // And nothing past it is read: test_flags of a version-1 struct is whatever lies there.
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  o.test_flags = CUSTAUTH_TEST_HANDLE;
  custauth_t* db = nullptr;
  REQUIRE(custauth_open(&db, "memory:", &o) == CUSTAUTH_OK);
  CHECK(custauth_test_clock_advance(db, 1) == CUSTAUTH_EFORBIDDEN);
  custauth_close(db);
  CHECK(custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION + 1) == CUSTAUTH_EINVALID);
  REQUIRE(custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION) == CUSTAUTH_OK);
  CHECK(o.version == 5u);
  CHECK(o.test_flags == 0u);
  CHECK(o.sessions == 0);
  CHECK(o.max_session_age_s == 2592000);
  CHECK(o.login_throttle_max_failures == 6);
  CHECK(o.login_throttle_lifetime_s == 1800);
  CHECK(custauth_open_json(&db, "memory:", R"({"version":1})") == CUSTAUTH_OK);
  custauth_close(db);
  // The throttle's fields are version 4's.
  CHECK(custauth_open_json(&db, "memory:", R"({"version":3,"login_throttle_max_failures":2})") ==
        CUSTAUTH_EINVALID);
  REQUIRE(
      custauth_open_json(
          &db, "memory:", R"({"login_throttle_max_failures":-1,"login_throttle_lifetime_s":60})") ==
      CUSTAUTH_OK);
  custauth_close(db);
}

// --- The clock -----------------------------------------------------------------------------------

TEST_CASE("a test handle's clock moves only when told to", "[harness]") {
  auto auth = OpenTest(std::nullopt);
  CHECK(auth->is_test_handle());
  CHECK(auth->clock().now() == 1748499421000);
  REQUIRE(testing::CreateCustomers(*auth, {Assisted("roni_cost@example.com")}).ok());
  auto code = auth->issue_otc("roni_cost@example.com", 1, "");
  REQUIRE(code.ok());
  REQUIRE(auth->test_advance(30 * kSecond - 1).ok());
  auto again = auth->issue_otc("roni_cost@example.com", 1, "");  // voids `code`
  CHECK_FALSE(auth->exchange_otc("roni_cost@example.com", *code).ok());
  REQUIRE(auth->test_advance(30 * kSecond).ok());
  CHECK(auth->exchange_otc("roni_cost@example.com", *again).code() ==
        Code::kAuthenticationFailed);  // expired
  CHECK(auth->test_set_time(1000).ok());
  CHECK(auth->clock().now() == 1000);
  CHECK(auth->test_set_time(-1).code() == Code::kInvalidInput);
  CHECK(auth->test_advance(-1).code() == Code::kInvalidInput);
  CHECK(auth->test_advance(std::numeric_limits<TimeMs>::max()).code() == Code::kInvalidInput);
  CHECK(auth->clock().now() == 1000);

  SECTION("a ManualClock the host passes is the one that moves") {
    auto clock = std::make_shared<ManualClock>(5000);
    AuthOptions o = testing::TestOptions();
    o.clock = clock;
    auto opened = testing::OpenTestAuth(o);
    REQUIRE(opened.ok());
    REQUIRE((*opened)->test_advance(kMinute).ok());
    CHECK(clock->now() == 5000 + kMinute);
  }
}

TEST_CASE("C: the test clock through the functions and custauth_call", "[harness][c]") {
  custauth_t* db = nullptr;
  REQUIRE(custauth_open_json(&db, "memory:", R"({"test":true})") == CUSTAUTH_OK);
  std::int64_t now = 0;
  REQUIRE(custauth_test_clock_now(&now, db) == CUSTAUTH_OK);
  CHECK(now == 1748499421000);
  CHECK(custauth_test_clock_advance(db, 500) == CUSTAUTH_OK);
  CHECK(custauth_test_clock_now(&now, db) == CUSTAUTH_OK);
  CHECK(now == 1748499421500);
  CHECK(custauth_test_clock_set(db, -5) == CUSTAUTH_EINVALID);
  CHECK(custauth_test_clock_advance(db, -5) == CUSTAUTH_EINVALID);
  char* out = nullptr;
  REQUIRE(custauth_call(&out, db, "test.set_time", R"({"time_ms":2000})", nullptr) == CUSTAUTH_OK);
  CHECK(json::parse(out) == json({{"now", 2000}}));
  custauth_free(out);
  REQUIRE(custauth_call(&out, db, "test.advance", R"({"ms":60000})", nullptr) == CUSTAUTH_OK);
  CHECK(json::parse(out) == json({{"now", 62000}}));
  custauth_free(out);
  REQUIRE(custauth_call(&out, db, "test.now", nullptr, nullptr) == CUSTAUTH_OK);
  CHECK(json::parse(out) == json({{"now", 62000}}));
  custauth_free(out);
  CHECK(custauth_call(&out, db, "test.advance", nullptr, nullptr) == CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK(custauth_call(&out, db, "test.advance", R"({"ms":1,"x":1})", nullptr) == CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK(custauth_call(&out, db, "test.travel", nullptr, nullptr) == CUSTAUTH_EINVALID);
  custauth_free(out);
  custauth_close(db);
}

// --- Reproducibility -----------------------------------------------------------------------------

TEST_CASE("the same seed gives the same codes and tokens; another seed other ones", "[harness]") {
  const auto a = RandomValues(7);
  const auto b = RandomValues(7);
  const auto c = RandomValues(8);
  CHECK(a == b);
  REQUIRE(a.size() == c.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(i);
    CHECK(a[i] != c[i]);
  }
  // Opaque tokens come from the seed too.
  const auto opaque = RandomValues(7, TokenFormat::kOpaque);
  CHECK(opaque[3].size() == 32);
  CHECK(opaque[3] == RandomValues(7, TokenFormat::kOpaque)[3]);
  CHECK(opaque[3] != RandomValues(8, TokenFormat::kOpaque)[3]);
  // Keys: derived from the seed, random without one.
  CHECK(testing::TestKeys(7).secret_key == testing::TestKeys(7).secret_key);
  CHECK(testing::TestKeys(7).jwt_keys[0].secret != testing::TestKeys(8).jwt_keys[0].secret);
  CHECK(testing::TestKeys().secret_key != testing::TestKeys().secret_key);
  // Without a seed, values differ from handle to handle.
  auto x = OpenTest(std::nullopt);
  auto y = OpenTest(std::nullopt);
  REQUIRE(testing::CreateCustomers(*x, {Assisted("roni_cost@example.com")}).ok());
  REQUIRE(testing::CreateCustomers(*y, {Assisted("roni_cost@example.com")}).ok());
  CHECK(*x->issue_otc("roni_cost@example.com", 1, "") !=
        *y->issue_otc("roni_cost@example.com", 1, ""));
}

TEST_CASE("C: seeded test handles agree, by struct and by JSON, in memory and on SQLite",
          "[harness][c]") {
  TempDir dir;
  auto values = [](custauth_t* db) {
    char* out = nullptr;
    std::vector<std::string> v;
    REQUIRE(custauth_test_customers_create(&out, db,
                                           R"({"customers":[{"email":"roni_cost@example.com",
                    "allow_remote_shopping_assistance":true}],"password":"Password123"})",
                                           nullptr) == CUSTAUTH_OK);
    custauth_free(out);
    const std::vector<std::pair<const char*, const char*>> calls = {
        {"issue_otc", R"({"email":"roni_cost@example.com","admin_id":1})"},
        {"request_password_reset", R"({"email":"roni_cost@example.com"})"},
        {"generate_customer_token",
         R"({"email":"roni_cost@example.com","password":"Password123"})"}};
    for (const auto& [op, args] : calls) {
      REQUIRE(custauth_call(&out, db, op, args, nullptr) == CUSTAUTH_OK);
      v.push_back(out);
      custauth_free(out);
    }
    return v;
  };
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  o.test_flags = CUSTAUTH_TEST_HANDLE | CUSTAUTH_TEST_SEEDED;
  o.test_seed = 42;
  custauth_t* a = nullptr;
  custauth_t* b = nullptr;
  custauth_t* c = nullptr;
  REQUIRE(custauth_open(&a, "memory:", &o) == CUSTAUTH_OK);
  REQUIRE(custauth_open_json(&b, "memory:", R"({"test":true,"test_seed":42})") == CUSTAUTH_OK);
  // No key file is read or needed for a test handle on SQLite.
  const std::string file = dir.file("shop.db");
  REQUIRE(custauth_open(&c, file.c_str(), &o) == CUSTAUTH_OK);
  const auto va = values(a);
  CHECK(va == values(b));
  CHECK(va == values(c));
  // A second test handle with the seed on the same file verifies the first one's tokens.
  custauth_t* d = nullptr;
  REQUIRE(custauth_open(&d, file.c_str(), &o) == CUSTAUTH_OK);
  char* out = nullptr;
  const std::string token = json::parse(va[2])["token"];
  CHECK(custauth_token_verify(&out, d, token.c_str()) == CUSTAUTH_OK);
  custauth_free(out);
  for (custauth_t* h : {a, b, c, d}) custauth_close(h);
}

// --- Fixtures ------------------------------------------------------------------------------------

TEST_CASE("fixtures: many customers at once, in the current and the legacy format", "[harness]") {
  auto auth = OpenTest(1);
  std::vector<testing::FixtureCustomer> many;
  for (int i = 0; i < 50; ++i) {
    testing::FixtureCustomer f{.email = "customer" + std::to_string(i) + "@example.com",
                               .password = "weak" + std::to_string(i)};  // no policy applies
    if (i % 2 == 1) f.format = testing::PasswordFormat::kLegacy;
    many.push_back(f);
  }
  many[2].password.reset();
  many[3].legacy_salt = "abcdefghijklmnopqrstuvwxyzABCDEF";
  many[3].legacy_versions = "0:1";
  many[4].confirmed = false;
  many[6].is_active = false;
  auto created = testing::CreateCustomers(*auth, many);
  REQUIRE(created.ok());
  REQUIRE(created->size() == 50);
  CHECK((*created)[0].password_hash.rfind("$argon2id$", 0) == 0);
  CHECK((*created)[1].password_hash.find(":1") != std::string::npos);
  CHECK_FALSE((*created)[2].has_password());
  CHECK((*created)[3].password_hash ==
        *legacy::Compute("weak3", "abcdefghijklmnopqrstuvwxyzABCDEF", "0:1") +
            ":abcdefghijklmnopqrstuvwxyzABCDEF:0:1");
  // Every one signs in with its known password; legacy hashes are upgraded on the way.
  for (int i : {0, 1, 3, 49}) {
    INFO(i);
    CHECK(auth->generate_customer_token(many[i].email, *many[i].password).ok());
  }
  CHECK(auth->find_customer(many[1].email)->password_hash.rfind("$argon2id$", 0) == 0);
  CHECK(auth->generate_customer_token(many[4].email, "weak4").code() == Code::kNotConfirmed);
  CHECK(auth->generate_customer_token(many[6].email, "weak6").code() ==
        Code::kAuthenticationFailed);
  auto audit = auth->list_audit({.customer_id = (*created)[0].id});
  REQUIRE(audit.ok());
  CHECK(audit->front().event == "customer.create");
  CHECK(audit->front().detail == R"({"fixture":true})");

  SECTION("a bad entry writes nothing") {
    std::vector<testing::FixtureCustomer> bad = {{.email = "ok@example.com"},
                                                 {.email = "not an email"}};
    auto r = testing::CreateCustomers(*auth, bad);
    CHECK(r.code() == Code::kInvalidInput);
    CHECK(r.status().message().find("fixture customer 1") != std::string::npos);
    CHECK(auth->find_customer("ok@example.com").code() == Code::kNotFound);
    bad = {{.email = "ok@example.com"}, {.email = "OK@example.com"}};
    CHECK(testing::CreateCustomers(*auth, bad).code() == Code::kInvalidInput);
    bad = {{.email = "ok@example.com"}, {.email = "customer0@example.com"}};
    CHECK(testing::CreateCustomers(*auth, bad).code() == Code::kAlreadyExists);
    bad = {{.email = "ok@example.com",
            .password = "x",
            .format = testing::PasswordFormat::kLegacy,
            .legacy_versions = "9"}};
    CHECK(testing::CreateCustomers(*auth, bad).code() == Code::kInvalidInput);
    bad = {{.email = "ok@example.com",
            .password = "x",
            .format = testing::PasswordFormat::kLegacy,
            .legacy_salt = "a:b"}};
    CHECK(testing::CreateCustomers(*auth, bad).code() == Code::kInvalidInput);
    CHECK(auth->find_customer("ok@example.com").code() == Code::kNotFound);
  }
}

TEST_CASE("fixtures from JSON", "[harness]") {
  auto auth = OpenTest(1);
  auto created = testing::CreateCustomersFromJson(*auth, R"({
      "customers": ["a@example.com",
                    {"email": "b@example.com", "firstname": "Bea", "format": "legacy",
                     "legacy_versions": "3_32_2_8192", "allow_remote_shopping_assistance": true},
                    {"email": "c@example.com", "password": null, "website_id": 2}],
      "password": "Password123", "lastname": "Shopper"})");
  REQUIRE(created.ok());
  REQUIRE(created->size() == 3);
  CHECK((*created)[0].firstname == "Test");
  CHECK((*created)[0].lastname == "Shopper");
  CHECK((*created)[1].firstname == "Bea");
  CHECK((*created)[1].allow_remote_shopping_assistance);
  CHECK((*created)[1].password_hash.find(":3_32_2_8192") != std::string::npos);
  CHECK((*created)[2].website_id == 2);
  CHECK_FALSE((*created)[2].has_password());
  CHECK(auth->generate_customer_token("a@example.com", "Password123").ok());
  CHECK(auth->generate_customer_token("b@example.com", "Password123").ok());
  // A bare array of entries.
  CHECK(testing::CreateCustomersFromJson(*auth, R"([{"email":"d@example.com"}])").ok());
  // What is refused.
  for (const char* bad : {R"({"customers":["e@example.com"],"colour":"red"})",
                          R"([{"email":"e@example.com","colour":"red"}])",
                          R"([{"email":"e@example.com","confirmed":"yes"}])",
                          R"([{"email":"e@example.com","format":"md5"}])", R"([{}])", R"([42])",
                          R"("e@example.com")", R"({not json)", R"({"customers":{}})"}) {
    INFO(bad);
    CHECK(testing::CreateCustomersFromJson(*auth, bad).code() == Code::kInvalidInput);
  }
  CHECK(auth->find_customer("e@example.com").code() == Code::kNotFound);
}

TEST_CASE("the last reset token and admin code a test handle issued", "[harness]") {
  auto auth = OpenTest(3);
  REQUIRE(testing::CreateCustomers(
              *auth, {Assisted("roni_cost@example.com"), Assisted("other@example.com")})
              .ok());
  CHECK(auth->test_last_secret(SecretKind::kPasswordReset, "roni_cost@example.com").code() ==
        Code::kNotFound);
  CHECK(auth->test_last_secret(SecretKind::kAdminOtc, "nobody@example.com").code() ==
        Code::kNotFound);
  CHECK(auth->test_last_secret(SecretKind::kAdminOtc, "not an email").code() ==
        Code::kInvalidInput);
  auto first = auth->request_password_reset("roni_cost@example.com");
  REQUIRE(first.ok());
  CHECK(*auth->test_last_secret(SecretKind::kPasswordReset, "roni_cost@example.com") == **first);
  REQUIRE(auth->test_advance(10 * kMinute).ok());  // the per-email interval
  auto second = auth->request_password_reset("roni_cost@example.com");
  REQUIRE(second.ok());
  CHECK(*auth->test_last_secret(SecretKind::kPasswordReset, "roni_cost@example.com") == **second);
  auto code = auth->issue_otc("roni_cost@example.com", 9, "");
  REQUIRE(code.ok());
  CHECK(*auth->test_last_secret(SecretKind::kAdminOtc, "roni_cost@example.com") == *code);
  CHECK(auth->test_last_secret(SecretKind::kAdminOtc, "other@example.com").code() ==
        Code::kNotFound);
  // Still readable after use: it is the last one issued.
  REQUIRE(auth->exchange_otc("roni_cost@example.com", *code).ok());
  CHECK(*auth->test_last_secret(SecretKind::kAdminOtc, "roni_cost@example.com") == *code);

  SECTION("through C") {
    custauth_t* db = nullptr;
    REQUIRE(custauth_open_json(&db, "memory:", R"({"test":true})") == CUSTAUTH_OK);
    char* out = nullptr;
    REQUIRE(custauth_call(&out, db, "test.create_customers",
                          R"({"customers":[{"email":"roni_cost@example.com",
                              "allow_remote_shopping_assistance":true}]})",
                          nullptr) == CUSTAUTH_OK);
    CHECK(json::parse(out)["customers"][0]["email"] == "roni_cost@example.com");
    custauth_free(out);
    REQUIRE(custauth_otc_issue(&out, db, "roni_cost@example.com", 1, "", nullptr) == CUSTAUTH_OK);
    const std::string issued = out;
    custauth_free(out);
    REQUIRE(custauth_test_secret_last(&out, db, "roni_cost@example.com", CUSTAUTH_SECRET_ADMIN_OTC,
                                      nullptr) == CUSTAUTH_OK);
    CHECK(issued == out);
    custauth_free(out);
    REQUIRE(custauth_call(&out, db, "test.last_otc", R"({"email":"roni_cost@example.com"})",
                          nullptr) == CUSTAUTH_OK);
    CHECK(json::parse(out)["code"] == issued);
    custauth_free(out);
    CHECK(custauth_call(&out, db, "test.last_reset_token", R"({"email":"roni_cost@example.com"})",
                        nullptr) == CUSTAUTH_ENOTFOUND);
    custauth_free(out);
    CHECK(custauth_test_secret_last(&out, db, "roni_cost@example.com", 3, nullptr) ==
          CUSTAUTH_EINVALID);
    custauth_close(db);
  }
}

}  // namespace harness_test
