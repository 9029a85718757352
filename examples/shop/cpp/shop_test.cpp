// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The tiny shop's own test suite (Catch2): how a C++ host tests its sign-in code with custauth.
// Every test gets a fresh test handle: in memory, cheap Argon2id, a clock the test moves, and a
// seed that makes every code and token the same on every run.
#define CATCH_CONFIG_MAIN
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "custauth/testing.h"
#include "oauth_signer.h"
#include "shop.h"

namespace {

using custauth::kMinute;
using custauth::kSecond;

constexpr std::uint64_t kSeed = 7;
const std::string kSignIn =
    "The account sign-in was incorrect or your account is disabled temporarily. Please wait and "
    "try again later.";

std::unique_ptr<custauth::CustomerAuth> OpenTestHandle(std::uint64_t seed,
                                                       const std::string& storage = "memory:") {
  auto auth = custauth::testing::OpenTestAuth(seed, storage);
  REQUIRE(auth.ok());
  return std::move(auth).value();
}

// A fresh handle with the shop's usual customers, and the shop on top of it.
class ShopFixture {
 protected:
  ShopFixture() : ShopFixture(OpenTestHandle(kSeed)) {}
  explicit ShopFixture(std::unique_ptr<custauth::CustomerAuth> auth)
      : auth_(std::move(auth)), shop_(*auth_, [](const std::string&, const std::string&) {}) {
    custauth::testing::FixtureCustomer roni{.email = "roni_cost@example.com",
                                            .firstname = "Veronica",
                                            .lastname = "Costello",
                                            .password = "Password123"};
    custauth::testing::FixtureCustomer legacy = roni;
    legacy.email = "imported@example.com";
    legacy.format = custauth::testing::PasswordFormat::kLegacy;  // HASH:SALT:VERSIONS
    custauth::testing::FixtureCustomer assisted = roni;
    assisted.email = "assisted@example.com";
    assisted.allow_remote_shopping_assistance = true;
    auto created = custauth::testing::CreateCustomers(*auth_, {roni, legacy, assisted});
    REQUIRE(created.ok());
  }

  custauth::CustomerAuth& auth() { return *auth_; }

  std::unique_ptr<custauth::CustomerAuth> auth_;
  shop::Shop shop_;
};

TEST_CASE_METHOD(ShopFixture, "a customer signs in with the password") {
  auto session = shop_.SignIn("roni_cost@example.com", "Password123");
  REQUIRE(session.ok);
  CHECK(shop_.WhoAmI(session.value).value == "roni_cost@example.com");
  // The same wrong-password message for a known and an unknown email.
  CHECK(shop_.SignIn("roni_cost@example.com", "Password124").message == kSignIn);
  CHECK(shop_.SignIn("nobody@example.com", "Password123").message == kSignIn);
  // A customer imported with the platform's legacy hash signs in too.
  CHECK(shop_.SignIn("imported@example.com", "Password123").ok);
}

TEST_CASE_METHOD(ShopFixture, "an admin's code works once and expires after 30 s") {
  auto code = shop_.AdminLoginAs(7, "assisted@example.com");
  REQUIRE(code.ok);
  REQUIRE(auth().test_advance(29 * kSecond).ok());
  CHECK(shop_.SignIn("assisted@example.com", code.value).ok);
  CHECK(shop_.SignIn("assisted@example.com", code.value).message == kSignIn);  // used

  code = shop_.AdminLoginAs(7, "assisted@example.com");
  REQUIRE(auth().test_advance(30 * kSecond).ok());
  CHECK(shop_.SignIn("assisted@example.com", code.value).message == kSignIn);  // expired
  // The test handle hands back the code it issued, as an admin's screen would show it.
  CHECK(auth().test_last_secret(custauth::SecretKind::kAdminOtc, "assisted@example.com").value() ==
        code.value);
  // Without the customer's consent there is no code.
  REQUIRE(shop_.AllowAssistance("assisted@example.com", false).ok);
  CHECK(shop_.AdminLoginAs(7, "assisted@example.com").message ==
        "Login as Customer assistance is disabled for this Customer.");
}

TEST_CASE_METHOD(ShopFixture, "a reset token resets the password once") {
  REQUIRE(shop_.ForgotPassword("roni_cost@example.com").ok);
  // What the test would otherwise fish out of the shop's outgoing mail.
  auto token =
      auth().test_last_secret(custauth::SecretKind::kPasswordReset, "roni_cost@example.com");
  REQUIRE(token.ok());
  CHECK(shop_.ResetPassword("roni_cost@example.com", *token, "N3w-Password").ok);
  CHECK(shop_.SignIn("roni_cost@example.com", "N3w-Password").ok);
  CHECK(shop_.SignIn("roni_cost@example.com", "Password123").message == kSignIn);
  CHECK(shop_.ResetPassword("roni_cost@example.com", *token, "Other-Passw0rd").message ==
        "The password token is mismatched. Reset and try again.");
}

TEST_CASE_METHOD(ShopFixture, "six failures close the email for 30 minutes (the throttle)") {
  for (int i = 0; i < 6; ++i) {
    CHECK(shop_.SignIn("roni_cost@example.com", "wrong-" + std::to_string(i)).message == kSignIn);
  }
  // Throttled: even the right password fails, with the same message, until 1800 s after the
  // last failure (the platform's CustomerTokenServiceTest::testThrottlingAccountLockout).
  CHECK(shop_.SignIn("roni_cost@example.com", "Password123").message == kSignIn);
  REQUIRE(auth().test_advance(30 * kMinute - 1).ok());
  CHECK_FALSE(shop_.SignIn("roni_cost@example.com", "Password123").ok);
  REQUIRE(auth().test_advance(1).ok());
  CHECK(shop_.SignIn("roni_cost@example.com", "Password123").ok);
}

TEST_CASE_METHOD(ShopFixture, "a test integration signs a social login") {
  auto integration = auth().create_integration(
      "social login", {std::string(custauth::kPermissionExchangeExternalCustomerToken)});
  REQUIRE(integration.ok());
  const shop::OAuthCredentials creds{integration->consumer_key, integration->consumer_secret,
                                     integration->access_token, integration->token_secret};
  const std::string url = "https://shop.example/graphql";
  custauth::HttpRequest request{
      .method = "POST",
      .url = url,
      .authorization =
          shop::SignOAuth("POST", url, creds, auth().clock().now() / kSecond, "nonce-1"),
      .content_type = "application/json",
      .body = "{\"query\":\"mutation { exchangeExternalCustomerToken(...) }\"}"};
  const std::string input =
      R"({"customer":{"email":"new@example.com","firstname":"New","lastname":"Customer"}})";
  auto answer = shop_.SocialLogin(request, input);
  REQUIRE(answer.ok);
  CHECK(answer.value.find("\"email\":\"new@example.com\"") != std::string::npos);
  // The same nonce again is a replay.
  CHECK_FALSE(shop_.SocialLogin(request, input).ok);
  // A request signed with another secret is refused.
  shop::OAuthCredentials wrong = creds;
  wrong.token_secret[0] = wrong.token_secret[0] == 'a' ? 'b' : 'a';
  request.authorization =
      shop::SignOAuth("POST", url, wrong, auth().clock().now() / kSecond, "nonce-2");
  CHECK(shop_.SocialLogin(request, input).message.find("The signature is invalid.") !=
        std::string::npos);
}

TEST_CASE("the same seed gives the same codes and tokens") {
  auto run = [](std::uint64_t seed) {
    auto auth = OpenTestHandle(seed);
    REQUIRE(custauth::testing::CreateCustomers(*auth, {{.email = "assisted@example.com",
                                                        .password = "Password123",
                                                        .allow_remote_shopping_assistance = true}})
                .ok());
    std::vector<std::string> out;
    out.push_back(*auth->issue_otc("assisted@example.com", 1, ""));
    out.push_back(**auth->request_password_reset("assisted@example.com"));
    out.push_back(*auth->generate_customer_token("assisted@example.com", "Password123"));
    return out;
  };
  CHECK(run(kSeed) == run(kSeed));
  CHECK(run(kSeed) != run(kSeed + 1));
}

TEST_CASE("a throwaway SQLite file works the same") {
  const auto path =
      std::filesystem::temp_directory_path() / ("shop-test-" + std::to_string(::getpid()) + ".db");
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(p.string() + suffix);
      }
    }
  } remove{path};
  auto auth = OpenTestHandle(kSeed, path.string());
  shop::Shop shop(*auth, [](const std::string&, const std::string&) {});
  REQUIRE(shop.Register("roni_cost@example.com", "Veronica", "Costello", "Password123").ok);
  auto session = shop.SignIn("roni_cost@example.com", "Password123");
  REQUIRE(session.ok);
  REQUIRE(auth->test_advance(61 * kMinute).ok());  // past the 60-minute lifetime
  CHECK_FALSE(shop.WhoAmI(session.value).ok);
}

TEST_CASE("a production handle refuses to move time") {
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  auto auth = custauth::CustomerAuth::Open(custauth::MakeMemoryStorage(), options);
  REQUIRE(auth.ok());
  CHECK((*auth)->test_advance(kMinute).code() == custauth::Code::kForbidden);
  CHECK((*auth)->test_advance(kMinute).message() == "the clock can only be set on a test handle");
}

}  // namespace
