// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Every security decision DOMAIN.md names, tried at its boundary: one below, at, and one above
// (lock threshold and expiry, token expiry with leeway, iat against the revocation time, one-time
// secret expiry, the OAuth timestamp window, password, email and name lengths, the reset rate
// limits), on both embedded backends where storage decides. Also what a mutation run of the
// security decisions (scripts/mutate) showed no other test catches: wrong current passwords of
// change_password counted as failures, ConstantTimeEquals over every length and position, the
// login's consent check for admin codes, and the minimum password length.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "crypto.h"
#include "custauth/auth.h"
#include "custauth/oauth1.h"
#include "custauth/testing.h"
#include "test_util.h"

namespace boundary_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

// 2025-05-29 06:17:01 UTC, a whole second.
constexpr TimeMs kT0 = 1748499421000;
constexpr char kEmail[] = "roni_cost@example.com";
constexpr char kPassword[] = "Password123";
constexpr char kWrong[] = "Wrong-password-1";

// A test handle on `backend` ("memory" or "sqlite", its file in `dir`) at kT0, with one
// customer (kEmail / kPassword).
std::unique_ptr<CustomerAuth> Open(const std::string& backend, const TempDir& dir,
                                   bool allow_assistance = false,
                                   AuthOptions options = testing::TestOptions(7)) {
  auto auth = testing::OpenTestAuth(std::move(options),
                                    backend == "memory" ? "memory:" : dir.file("custauth.db"));
  REQUIRE(auth.ok());
  REQUIRE((*auth)->test_set_time(kT0).ok());
  testing::FixtureCustomer c;
  c.email = kEmail;
  c.password = kPassword;
  c.allow_remote_shopping_assistance = allow_assistance;
  REQUIRE(testing::CreateCustomers(**auth, {c}).ok());
  return std::move(auth).value();
}

Customer Find(CustomerAuth& auth) {
  auto c = auth.find_customer(kEmail);
  REQUIRE(c.ok());
  return *c;
}

// Records `n` failures for the customer at the handle's time, straight through storage (what a
// wrong secret at login does), so that no throttle in front of the login changes the count.
void RecordFailures(CustomerAuth& auth, int n) {
  const Customer c = Find(auth);
  for (int i = 0; i < n; ++i) {
    REQUIRE(
        auth.storage().record_login_failure(c.id, auth.clock().now(), auth.options().lockout).ok());
  }
}

std::string Domain(std::size_t length) {
  // Labels of at most 60 letters joined by dots, ending in ".com".
  std::string d = "com";
  while (d.size() < length) {
    const std::size_t room = length - d.size() - 1;  // one for the dot
    d = std::string(std::min<std::size_t>(room == 0 ? 1 : room, 60), 'd') + "." + d;
  }
  REQUIRE(d.size() == length);
  return d;
}

}  // namespace

TEST_CASE("ConstantTimeEquals: every length 0..70, a difference at every position", "[ct]") {
  for (std::size_t n = 0; n <= 70; ++n) {
    std::string a(n, '\0');
    for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>('A' + i % 50);
    std::string b = a;
    INFO("length " << n);
    CHECK(internal::ConstantTimeEquals(a, b));
    for (std::size_t i = 0; i < n; ++i) {
      for (int bit : {0x01, 0x80}) {
        std::string c = a;
        c[i] = static_cast<char>(static_cast<unsigned char>(c[i]) ^ bit);
        INFO("difference at " << i << " bit " << bit);
        CHECK_FALSE(internal::ConstantTimeEquals(a, c));
        CHECK_FALSE(internal::ConstantTimeEquals(c, a));
      }
    }
    // A different length never matches, whatever the shared prefix.
    CHECK_FALSE(internal::ConstantTimeEquals(a, a + "A"));
    if (n > 0) CHECK_FALSE(internal::ConstantTimeEquals(a, a.substr(0, n - 1)));
  }
}

TEST_CASE("change_password: each wrong current password is a counted login failure",
          "[change_password][lock]") {
  const std::string backend = GENERATE("memory", "sqlite");
  TempDir dir;
  auto auth = Open(backend, dir);
  for (int i = 1; i <= 3; ++i) {
    Status s = auth->change_password(kEmail, kWrong, "NewPassword456");
    REQUIRE(s.code() == Code::kAuthenticationFailed);
    CHECK(Find(*auth).failures_num == i);
  }
  // The password is unchanged and the right one still counts as right.
  CHECK(auth->change_password(kEmail, kPassword, "NewPassword456").ok());
  CHECK(Find(*auth).failures_num == 0);
}

TEST_CASE("change_password: a locked account's password cannot be changed, even with the right one",
          "[change_password][lock]") {
  const std::string backend = GENERATE("memory", "sqlite");
  TempDir dir;
  auto auth = Open(backend, dir);
  RecordFailures(*auth, 10);
  const Status refused = auth->change_password(kEmail, kPassword, "NewPassword456");
  CHECK(refused.code() == Code::kLocked);
  CHECK(refused.message() == "The account is locked.");
  // Unchanged: once the lock expires the old password signs in, the new one does not.
  REQUIRE(auth->test_set_time(kT0 + 10 * kMinute).ok());
  CHECK(auth->generate_customer_token(kEmail, "NewPassword456").code() ==
        Code::kAuthenticationFailed);
  CHECK(auth->generate_customer_token(kEmail, kPassword).ok());
}

TEST_CASE("Login: the consent check stops an admin code put straight into storage",
          "[otc][consent]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const bool consent = GENERATE(false, true);
  TempDir dir;
  auto auth = Open(backend, dir, consent);
  const Customer c = Find(*auth);
  // What a third-party Storage that does not void codes on withdrawal would hold.
  const std::string code = "0123456789abcdef0123456789abcdef";
  SecretRecord s;
  s.kind = SecretKind::kAdminOtc;
  s.customer_id = c.id;
  s.hash =
      internal::KeyedHash(auth->options().keys.secret_key, "otc:" + std::to_string(c.id), code);
  s.created_at = kT0;
  s.expires_at = kT0 + 30 * kSecond;
  s.admin_id = 1;
  REQUIRE(auth->storage().put_secret(s).ok());
  INFO("allow_remote_shopping_assistance " << consent);
  auto token = auth->generate_customer_token(kEmail, code);
  CHECK(token.ok() == consent);
  if (!consent) {
    CHECK(token.code() == Code::kAuthenticationFailed);
    CHECK(auth->exchange_otc(kEmail, code).code() == Code::kAuthenticationFailed);
  }
}

TEST_CASE("Password policy: minimum length 7/8/9, maximum 256/257", "[policy]") {
  const PasswordPolicy policy;
  CHECK(CheckPasswordPolicy("Abcde1!", policy).code() == Code::kInvalidInput);
  CHECK(CheckPasswordPolicy("Abcde12!", policy).ok());
  CHECK(CheckPasswordPolicy("Abcde123!", policy).ok());
  const std::string base = "Aa1";
  CHECK(CheckPasswordPolicy(base + std::string(252, 'x'), policy).ok());  // 255
  CHECK(CheckPasswordPolicy(base + std::string(253, 'x'), policy).ok());  // 256
  CHECK(CheckPasswordPolicy(base + std::string(254, 'x'), policy).code() == Code::kInvalidInput);
  // The handle applies it on every set.
  TempDir dir;
  auto auth = Open("memory", dir);
  CHECK(auth->change_password(kEmail, kPassword, "Abcde1!").code() == Code::kInvalidInput);
  CHECK(auth->change_password(kEmail, kPassword, "Abcde12!").ok());
  CustomerInput in;
  in.email = "seven@example.com";
  in.firstname = "S";
  in.lastname = "S";
  in.password = "Abcde1!";
  CHECK(auth->create_customer(in).code() == Code::kInvalidInput);
  in.password = "Abcde12!";
  CHECK(auth->create_customer(in).ok());
}

TEST_CASE("Email and name lengths: local part 64/65, email 255/256, name 255/256", "[length]") {
  const std::string d = "@example.com";
  CHECK(IsValidEmail(std::string(63, 'a') + d));
  CHECK(IsValidEmail(std::string(64, 'a') + d));
  CHECK_FALSE(IsValidEmail(std::string(65, 'a') + d));
  const std::string local(64, 'l');
  for (std::size_t total : {254, 255, 256}) {
    const std::string email = local + "@" + Domain(total - 65);
    REQUIRE(email.size() == total);
    INFO("email of " << total << " bytes");
    CHECK(IsValidEmail(email) == (total <= 255));
    CHECK(ValidateEmail(email).ok() == (total <= 255));
  }
  CHECK(ValidateName(std::string(254, 'n'), "First Name").ok());
  CHECK(ValidateName(std::string(255, 'n'), "First Name").ok());
  CHECK(ValidateName(std::string(256, 'n'), "First Name").code() == Code::kInvalidInput);
}

TEST_CASE("Lock threshold: 9 failures leave the account open, 10 and 11 lock it", "[lock]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const int failures = GENERATE(9, 10, 11);
  TempDir dir;
  auto auth = Open(backend, dir);
  RecordFailures(*auth, failures);
  const Customer c = Find(*auth);
  INFO(backend << ", " << failures << " failures");
  CHECK(c.failures_num == failures);
  CHECK(c.locked_at(kT0) == (failures >= 10));
  auto token = auth->generate_customer_token(kEmail, kPassword);
  CHECK(token.ok() == (failures < 10));
  if (failures >= 10) {
    CHECK(token.code() == Code::kAuthenticationFailed);
    CHECK(*c.lock_expires == kT0 + 10 * kMinute);
  }
}

TEST_CASE("Lock threshold through the login: the 10th wrong password locks", "[lock]") {
  const std::string backend = GENERATE("memory", "sqlite");
  TempDir dir;
  auto auth = Open(backend, dir);
  RecordFailures(*auth, 8);
  // Wrong passwords through the login itself (a throttle keyed by email may refuse further
  // requests without counting them; the lock must be in place either way).
  (void)auth->generate_customer_token(kEmail, kWrong);
  CHECK(Find(*auth).failures_num == 9);
  CHECK_FALSE(Find(*auth).locked_at(kT0));
  (void)auth->generate_customer_token(kEmail, kWrong);
  CHECK(Find(*auth).locked_at(kT0));
  CHECK(auth->generate_customer_token(kEmail, kPassword).code() == Code::kAuthenticationFailed);
}

TEST_CASE("Lock expiry: locked until lock_expires, open at it", "[lock]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const TimeMs offset = GENERATE(-1, 0, 1);
  TempDir dir;
  auto auth = Open(backend, dir);
  RecordFailures(*auth, 10);
  const TimeMs expires = *Find(*auth).lock_expires;
  REQUIRE(expires == kT0 + 10 * kMinute);
  REQUIRE(auth->test_set_time(expires + offset).ok());
  INFO(backend << ", lock_expires " << offset << " ms");
  CHECK(Find(*auth).locked_at(expires + offset) == (offset < 0));
  // A failure after an expired lock starts a new window at one failure.
  if (offset >= 0) {
    RecordFailures(*auth, 1);
    CHECK(Find(*auth).failures_num == 1);
    CHECK_FALSE(Find(*auth).locked_at(expires + offset));
  }
  CHECK(auth->generate_customer_token(kEmail, kPassword).ok() == (offset >= 0));
}

TEST_CASE("Lock window: failures outside the window start over", "[lock]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const TimeMs offset = GENERATE(-1, 0, 1);
  TempDir dir;
  auto auth = Open(backend, dir);
  RecordFailures(*auth, 9);
  REQUIRE(auth->test_set_time(kT0 + 10 * kMinute + offset).ok());
  RecordFailures(*auth, 1);
  const Customer c = Find(*auth);
  INFO(backend << ", window " << offset << " ms");
  // Within the window the 10th failure locks; at or after its end the count restarts.
  CHECK(c.failures_num == (offset < 0 ? 10 : 1));
  CHECK(c.locked_at(auth->clock().now()) == (offset < 0));
}

TEST_CASE("Token expiry: valid until exp + leeway, expired at it", "[token]") {
  const TokenFormat format = GENERATE(TokenFormat::kJwt, TokenFormat::kOpaque);
  const TimeMs offset = GENERATE(-1, 0, 1);
  TempDir dir;
  AuthOptions o = testing::TestOptions(7);
  o.tokens.format = format;
  auto auth = Open("memory", dir, false, o);
  auto token = auth->generate_customer_token(kEmail, kPassword);
  REQUIRE(token.ok());
  const TimeMs deadline = kT0 + 60 * kMinute + o.tokens.leeway;
  REQUIRE(auth->test_set_time(deadline + offset).ok());
  INFO("exp + leeway " << offset << " ms");
  auto claims = auth->verify_token(*token);
  CHECK(claims.ok() == (offset < 0));
  if (offset >= 0) CHECK(claims.code() == Code::kExpired);
}

TEST_CASE("Revocation: a token issued at or before revoke_before stops verifying", "[token]") {
  const TokenFormat format = GENERATE(TokenFormat::kJwt, TokenFormat::kOpaque);
  const TimeMs offset = GENERATE(-1, 0, 1);
  TempDir dir;
  AuthOptions o = testing::TestOptions(7);
  o.tokens.format = format;
  auto auth = Open("memory", dir, false, o);
  REQUIRE(auth->test_set_time(kT0 + 400).ok());
  auto token = auth->generate_customer_token(kEmail, kPassword);
  REQUIRE(token.ok());
  auto claims = auth->verify_token(*token);
  REQUIRE(claims.ok());
  // The instant the token counts as issued: iat (whole seconds) for a JWT, the ms for opaque.
  const TimeMs issued = format == TokenFormat::kJwt ? kT0 : kT0 + 400;
  REQUIRE(auth->test_set_time(issued + offset).ok());
  REQUIRE(auth->revoke_customer_tokens(kEmail).ok());
  REQUIRE(Find(*auth).tokens_revoked_at == issued + offset);
  REQUIRE(auth->test_set_time(kT0 + 2 * kSecond).ok());
  INFO("revoke_before = issued " << offset << " ms");
  auto after = auth->verify_token(*token);
  CHECK(after.ok() == (offset < 0));
  if (offset >= 0) CHECK(after.code() == Code::kInvalidToken);
  // A token issued after the revocation verifies.
  auto fresh = auth->generate_customer_token(kEmail, kPassword);
  REQUIRE(fresh.ok());
  CHECK(auth->verify_token(*fresh).ok());
}

TEST_CASE("Admin code expiry: valid while now < expires_at", "[otc][expiry]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const TimeMs offset = GENERATE(-1, 0, 1);
  TempDir dir;
  auto auth = Open(backend, dir, /*allow_assistance=*/true);
  auto code = auth->issue_otc(kEmail, 1, "boundary");
  REQUIRE(code.ok());
  REQUIRE(auth->test_set_time(kT0 + 30 * kSecond + offset).ok());
  INFO(backend << ", expires_at " << offset << " ms");
  CHECK(auth->exchange_otc(kEmail, *code).ok() == (offset < 0));
}

TEST_CASE("Reset token expiry: valid while now < expires_at", "[reset][expiry]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const TimeMs offset = GENERATE(-1, 0, 1);
  const bool via_login = GENERATE(false, true);
  TempDir dir;
  auto auth = Open(backend, dir);
  auto token = auth->request_password_reset(kEmail);
  REQUIRE(token.ok());
  REQUIRE(token->has_value());
  REQUIRE(auth->test_set_time(kT0 + 2 * kHour + offset).ok());
  INFO(backend << ", expires_at " << offset << " ms, via login " << via_login);
  if (via_login) {
    CHECK(auth->generate_customer_token(kEmail, **token).ok() == (offset < 0));
  } else {
    Status s = auth->reset_password(kEmail, **token, "NewPassword456");
    CHECK(s.ok() == (offset < 0));
    if (offset >= 0) CHECK(s.code() == Code::kExpired);
  }
}

TEST_CASE("Reset rate limits: 5 an hour and 10 minutes apart per email, 5 an hour per IP",
          "[reset][rate]") {
  const std::string backend = GENERATE("memory", "sqlite");
  TempDir dir;
  auto auth = Open(backend, dir);
  auto request = [&](TimeMs at, const char* email = kEmail, const char* ip = "") {
    REQUIRE(auth->test_set_time(at).ok());
    RequestContext ctx;
    ctx.client_ip = ip;
    return auth->request_password_reset(email, ctx).code();
  };
  SECTION("the minimum interval: refused 1 ms before, accepted at 10 minutes") {
    CHECK(request(kT0) == Code::kOk);
    CHECK(request(kT0 + 10 * kMinute - 1) == Code::kRateLimited);
    CHECK(request(kT0 + 10 * kMinute) == Code::kOk);
    CHECK(request(kT0 + 20 * kMinute + 1) == Code::kOk);
  }
  SECTION("the 5th request of an hour is accepted, the 6th refused until the 1st leaves") {
    for (int i = 0; i < 5; ++i) CHECK(request(kT0 + i * 10 * kMinute) == Code::kOk);
    CHECK(request(kT0 + 50 * kMinute) == Code::kRateLimited);
    CHECK(request(kT0 + 60 * kMinute - 1) == Code::kRateLimited);
    CHECK(request(kT0 + 60 * kMinute) == Code::kOk);
  }
  SECTION("per client IP: the 6th email from one address in an hour is refused") {
    const std::vector<std::string> emails = {"a@example.com", "b@example.com", "c@example.com",
                                             "d@example.com", "e@example.com", "f@example.com"};
    for (int i = 0; i < 5; ++i) {
      CHECK(request(kT0 + i, emails[i].c_str(), "203.0.113.7") == Code::kOk);
    }
    CHECK(request(kT0 + 5, emails[5].c_str(), "203.0.113.7") == Code::kRateLimited);
    CHECK(request(kT0 + 6, emails[5].c_str(), "203.0.113.8") == Code::kOk);
  }
}

namespace {

// A signed exchange request (Authorization header, HMAC-SHA256) at `timestamp` seconds.
HttpRequest SignedAt(const IntegrationCredentials& c, std::int64_t timestamp,
                     const std::string& nonce) {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://shop.example/graphql";
  r.content_type = "application/json";
  r.body = "{}";
  r.authorization =
      "OAuth oauth_consumer_key=\"" + c.consumer_key + "\", oauth_token=\"" + c.access_token +
      "\", oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"" + std::to_string(timestamp) +
      "\", oauth_nonce=\"" + nonce + "\", oauth_version=\"1.0\"";
  auto base = SignatureBaseString(r);
  REQUIRE(base.ok());
  auto sig = OAuthSignature(kOAuthHmacSha256, *base, c.consumer_secret, c.token_secret);
  REQUIRE(sig.ok());
  r.authorization += ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
  return r;
}

constexpr char kInput[] =
    R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com"}})";

}  // namespace

TEST_CASE("OAuth timestamp window: 600 s either way accepted, 601 s refused", "[oauth]") {
  const std::int64_t skew = GENERATE(-601, -600, 0, 600, 601);
  TempDir dir;
  auto auth = Open("memory", dir);
  auto creds =
      auth->create_integration("social", {std::string(kPermissionExchangeExternalCustomerToken)});
  REQUIRE(creds.ok());
  INFO("timestamp now " << skew << " s");
  auto r =
      auth->exchange_external_customer_token(SignedAt(*creds, kT0 / 1000 + skew, "n1"), kInput);
  const bool inside = skew >= -600 && skew <= 600;
  CHECK(r.ok() == inside);
  if (!inside) CHECK(r.code() == Code::kForbidden);
}

TEST_CASE("OAuth nonce: spent once within the window, accepted again after it", "[oauth]") {
  TempDir dir;
  auto auth = Open("memory", dir);
  auto creds =
      auth->create_integration("social", {std::string(kPermissionExchangeExternalCustomerToken)});
  REQUIRE(creds.ok());
  const HttpRequest r = SignedAt(*creds, kT0 / 1000, "n1");
  REQUIRE(auth->exchange_external_customer_token(r, kInput).ok());
  CHECK(auth->exchange_external_customer_token(r, kInput).code() == Code::kForbidden);
  // Another consumer's request with the same nonce is its own.
  auto other =
      auth->create_integration("other", {std::string(kPermissionExchangeExternalCustomerToken)});
  REQUIRE(other.ok());
  CHECK(auth->exchange_external_customer_token(SignedAt(*other, kT0 / 1000, "n1"), kInput).ok());
  // A nonce is kept for as long as its timestamp is accepted.
  for (TimeMs offset : {599 * kSecond, 600 * kSecond + 1}) {
    REQUIRE(auth->test_set_time(kT0 + offset).ok());
    INFO("timestamp + " << offset << " ms");
    CHECK(auth->exchange_external_customer_token(r, kInput).code() == Code::kForbidden);
  }
}

// The last instant the window accepts a timestamp (now == timestamp + 600 s): the nonce must
// still be live then (it is kept 1 s past the window), so a replay at that millisecond is refused.
TEST_CASE("OAuth nonce: a replay at the window's last millisecond is refused", "[oauth]") {
  TempDir dir;
  auto auth = Open("memory", dir);
  auto creds =
      auth->create_integration("social", {std::string(kPermissionExchangeExternalCustomerToken)});
  REQUIRE(creds.ok());
  const HttpRequest r = SignedAt(*creds, kT0 / 1000, "n1");
  REQUIRE(auth->exchange_external_customer_token(r, kInput).ok());
  REQUIRE(auth->test_set_time(kT0 + 600 * kSecond).ok());
  CHECK(auth->exchange_external_customer_token(r, kInput).code() == Code::kForbidden);
}

TEST_CASE("Exchange: revoked integrations and missing permissions are refused", "[oauth]") {
  TempDir dir;
  auto auth = Open("memory", dir);
  auto creds = auth->create_integration("social", {});
  REQUIRE(creds.ok());
  CHECK(auth->exchange_external_customer_token(SignedAt(*creds, kT0 / 1000, "n1"), kInput).code() ==
        Code::kForbidden);
  REQUIRE(auth->set_integration_permissions(creds->consumer_key,
                                            {std::string(kPermissionExchangeExternalCustomerToken)})
              .ok());
  CHECK(auth->exchange_external_customer_token(SignedAt(*creds, kT0 / 1000, "n2"), kInput).ok());
  REQUIRE(auth->revoke_integration(creds->consumer_key).ok());
  CHECK(auth->exchange_external_customer_token(SignedAt(*creds, kT0 / 1000, "n3"), kInput).code() ==
        Code::kForbidden);
}

}  // namespace boundary_test
