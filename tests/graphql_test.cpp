// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth/graphql.h: every mutation's answer and each of its errors with DOMAIN.md's messages,
// the projection of selected fields (aliases inside the selection too), `path` under an alias,
// selections refused before anything runs, CombineAnswers, ToGraphQLError, HttpStatusFor's table,
// and the C ABI's custauth_call answering through the same code.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "custauth.h"
#include "custauth/auth.h"
#include "custauth/graphql.h"
#include "custauth/memory_storage.h"
#include "custauth/oauth1.h"
#include "custauth/password.h"

namespace graphql_test {

using namespace custauth;
using graphql::Answer;
using graphql::Field;
using graphql::Selection;
using nlohmann::json;

namespace {

constexpr char kEmail[] = "bobloblaw@example.com";
constexpr char kPassword[] = "b0bl0bl@w";
constexpr char kSignIn[] =
    "The account sign-in was incorrect or your account is disabled temporarily. Please wait and "
    "try again later.";
constexpr char kRoni[] =
    R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com","is_subscribed":false}})";

struct Fixture {
  Fixture() {
    AuthOptions o;
    o.argon2 = CheapArgon2ForTests();
    o.keys = GenerateKeys(*SystemRandom::Shared());
    o.clock = clock;
    auto a = CustomerAuth::Open(storage, o);
    REQUIRE(a.ok());
    auth = std::move(a).value();
    CustomerInput in;
    in.email = kEmail;
    in.firstname = "Bob";
    in.lastname = "Loblaw";
    in.password = kPassword;
    REQUIRE(auth->create_customer(in).ok());
    auto c = auth->create_integration("Social login",
                                      {std::string(kPermissionExchangeExternalCustomerToken)});
    REQUIRE(c.ok());
    creds = std::move(c).value();
  }

  std::string Token() {
    auto t = auth->generate_customer_token(kEmail, kPassword);
    REQUIRE(t.ok());
    return *t;
  }
  int Failures() {
    auto c = auth->find_customer(kEmail);
    REQUIRE(c.ok());
    return c->failures_num;
  }

  // A GraphQL POST signed with the integration's credentials (Authorization header).
  HttpRequest Signed(const std::string& method = "HMAC-SHA256", bool tamper = false) {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://shop.example/graphql";
    r.content_type = "application/json";
    r.body = R"({"query":"mutation { exchangeExternalCustomerToken(...) }"})";
    const std::vector<OAuthParam> params = {
        {"oauth_consumer_key", creds.consumer_key},
        {"oauth_token", creds.access_token},
        {"oauth_signature_method", method},
        {"oauth_timestamp", std::to_string(clock->now() / 1000)},
        {"oauth_nonce", "nonce-" + std::to_string(++nonces)},
        {"oauth_version", "1.0"}};
    std::string header = "OAuth realm=\"shop\"";
    for (const auto& p : params) header += ", " + p.name + "=\"" + PercentEncode(p.value) + "\"";
    r.authorization = header;
    auto base = SignatureBaseString(r);
    REQUIRE(base.ok());
    auto sig =
        OAuthSignature(method == "HMAC-SHA1" ? kOAuthHmacSha1 : kOAuthHmacSha256, *base,
                       tamper ? std::string(32, 'x') : creds.consumer_secret, creds.token_secret);
    if (method == "HMAC-SHA256" || method == "HMAC-SHA1") REQUIRE(sig.ok());
    r.authorization += ", oauth_signature=\"" + PercentEncode(sig.ok() ? *sig : "abc") + "\"";
    return r;
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1748499421000);
  std::shared_ptr<Storage> storage = MakeMemoryStorage();
  std::unique_ptr<CustomerAuth> auth;
  IntegrationCredentials creds;
  int nonces = 0;
};

Selection S(std::string name, std::vector<Selection> fields = {}, std::string alias = {}) {
  return Selection{std::move(name), std::move(alias), std::move(fields)};
}

// The one error of a refused answer, after checking the answer's shape: {"errors":[e]} only,
// e's path the key, its category and code those of the code.
json ErrorOf(const Answer& a, Code code, const std::string& key) {
  CHECK_FALSE(a.ok);
  CHECK(a.status.code() == code);
  CHECK(a.key == key);
  CHECK(a.value == "null");
  const json body = json::parse(a.body);
  REQUIRE(body.contains("errors"));
  CHECK_FALSE(body.contains("data"));
  REQUIRE(body["errors"].size() == 1);
  const json e = body["errors"][0];
  CHECK(e["path"] == json::array({key}));
  CHECK(e["extensions"]["category"] == code_category(code));
  CHECK(e["extensions"]["code"] == code_name(code));
  CHECK(e["message"] == a.status.message());
  CHECK(json::parse(a.error) == e);
  return e;
}

std::string MessageOf(const Answer& a, Code code, const std::string& key) {
  return ErrorOf(a, code, key)["message"].get<std::string>();
}

}  // namespace

TEST_CASE("generateCustomerToken: the seed's answer, projected, under an alias") {
  Fixture f;
  const Answer a = graphql::GenerateCustomerToken(*f.auth, kEmail, kPassword);
  REQUIRE(a.ok);
  CHECK(a.status.ok());
  CHECK(a.error.empty());
  const json body = json::parse(a.body);
  const std::string token = body["data"]["generateCustomerToken"]["token"];
  CHECK(a.body == R"({"data":{"generateCustomerToken":{"token":")" + token + R"("}}})");
  CHECK(f.auth->verify_token(token).ok());

  Field aliased;
  aliased.alias = "login";
  aliased.selection = {S("__typename"), S("token", {}, "t")};
  const Answer b = graphql::GenerateCustomerToken(*f.auth, kEmail, kPassword, aliased);
  REQUIRE(b.ok);
  const json bb = json::parse(b.body);
  CHECK(bb["data"]["login"]["__typename"] == "CustomerToken");
  CHECK(f.auth->verify_token(bb["data"]["login"]["t"].get<std::string>()).ok());
  CHECK(bb["data"]["login"].size() == 2);
  CHECK(b.key == "login");
}

TEST_CASE("generateCustomerToken: each error with DOMAIN.md's message, path the alias") {
  Fixture f;
  Field aliased;
  aliased.alias = "signIn";
  CHECK(MessageOf(graphql::GenerateCustomerToken(*f.auth, "", kPassword, aliased),
                  Code::kInvalidInput, "signIn") == "Specify the \"email\" value.");
  CHECK(MessageOf(graphql::GenerateCustomerToken(*f.auth, kEmail, "", aliased), Code::kInvalidInput,
                  "signIn") == "Specify the \"password\" value.");
  const json wrong = ErrorOf(graphql::GenerateCustomerToken(*f.auth, kEmail, "wrong-password"),
                             Code::kAuthenticationFailed, "generateCustomerToken");
  CHECK(wrong["message"] == kSignIn);
  CHECK(wrong["extensions"]["category"] == "graphql-authentication");
  CHECK(MessageOf(graphql::GenerateCustomerToken(*f.auth, "nobody@example.com", kPassword),
                  Code::kAuthenticationFailed, "generateCustomerToken") == kSignIn);
  CustomerUpdate unconfirm;
  unconfirm.confirmed = false;
  REQUIRE(f.auth->update_customer(kEmail, unconfirm).ok());
  CHECK(MessageOf(graphql::GenerateCustomerToken(*f.auth, kEmail, kPassword), Code::kNotConfirmed,
                  "generateCustomerToken") ==
        "This account isn't confirmed. Verify and try again.");
}

TEST_CASE("A selection the type does not have is refused before the mutation runs") {
  Fixture f;
  const int before = f.Failures();
  Field bad;
  bad.selection = {S("token"), S("xyz")};
  CHECK(MessageOf(graphql::GenerateCustomerToken(*f.auth, kEmail, "wrong-password", bad),
                  Code::kInvalidInput, "generateCustomerToken") ==
        "Cannot query field \"xyz\" on type \"CustomerToken\".");
  CHECK(f.Failures() == before);  // the wrong password was never tried

  Field sub;
  sub.selection = {S("token", {S("x")})};
  CHECK(MessageOf(graphql::GenerateCustomerToken(*f.auth, kEmail, kPassword, sub),
                  Code::kInvalidInput, "generateCustomerToken") ==
        "Field \"token\" must not have a selection since type \"String\" has no subfields.");

  Field nested;
  nested.alias = "x";
  nested.selection = {S("customer", {S("email"), S("password_hash")}), S("token")};
  const int customers_before = f.auth->find_customer("roni_cost@example.com").ok() ? 1 : 0;
  CHECK(MessageOf(graphql::ExchangeExternalCustomerToken(*f.auth, f.Signed(), kRoni, nested),
                  Code::kInvalidInput,
                  "x") == "Cannot query field \"password_hash\" on type \"Customer\".");
  CHECK(customers_before == 0);
  CHECK(f.auth->find_customer("roni_cost@example.com").code() == Code::kNotFound);

  Field on_boolean;
  on_boolean.selection = {S("result")};
  CHECK(MessageOf(graphql::RequestPasswordResetEmail(*f.auth, kEmail, on_boolean),
                  Code::kInvalidInput, "requestPasswordResetEmail") ==
        "Field \"requestPasswordResetEmail\" must not have a selection since type \"Boolean\" "
        "has no subfields.");
  // No reset was requested.
  AuditQuery q;
  q.limit = 1000;
  auto audit = f.auth->list_audit(q);
  REQUIRE(audit.ok());
  for (const auto& r : *audit) CHECK(r.event != "reset.request");
}

TEST_CASE("revokeCustomerToken: the bearer's customer signed out everywhere") {
  Fixture f;
  const std::string token = f.Token();
  const std::string other = f.Token();
  const Answer a = graphql::RevokeCustomerToken(*f.auth, token);
  REQUIRE(a.ok);
  CHECK(a.body == R"({"data":{"revokeCustomerToken":{"result":true}}})");
  CHECK_FALSE(f.auth->verify_token(other).ok());

  Field aliased;
  aliased.alias = "out";
  CHECK(MessageOf(graphql::RevokeCustomerToken(*f.auth, token, aliased), Code::kInvalidToken,
                  "out") == "The current customer isn't authorized.");
  CHECK(MessageOf(graphql::RevokeCustomerToken(*f.auth, ""), Code::kInvalidToken,
                  "revokeCustomerToken") == "The current customer isn't authorized.");
  CHECK(MessageOf(graphql::RevokeCustomerToken(*f.auth, "not-a-token"), Code::kInvalidToken,
                  "revokeCustomerToken") == "The current customer isn't authorized.");
}

TEST_CASE("requestPasswordResetEmail: true for known and unknown emails, the token for the host") {
  Fixture f;
  const Answer a = graphql::RequestPasswordResetEmail(*f.auth, kEmail);
  REQUIRE(a.ok);
  CHECK(a.body == R"({"data":{"requestPasswordResetEmail":true}})");
  REQUIRE(a.reset_token.has_value());
  CHECK(a.body.find(*a.reset_token) == std::string::npos);

  const Answer unknown = graphql::RequestPasswordResetEmail(*f.auth, "nobody@example.com");
  REQUIRE(unknown.ok);
  CHECK(unknown.body == a.body);
  CHECK_FALSE(unknown.reset_token.has_value());

  CHECK(MessageOf(graphql::RequestPasswordResetEmail(*f.auth, ""), Code::kInvalidInput,
                  "requestPasswordResetEmail") == "You must specify an email address.");
  // A second request within 10 minutes of the first.
  Field aliased;
  aliased.alias = "again";
  CHECK(MessageOf(graphql::RequestPasswordResetEmail(*f.auth, kEmail, aliased), Code::kRateLimited,
                  "again") ==
        "We received too many requests for password resets. Please wait and try again later.");
}

TEST_CASE("resetPassword: true; each error with DOMAIN.md's message") {
  Fixture f;
  const Answer requested = graphql::RequestPasswordResetEmail(*f.auth, kEmail);
  REQUIRE(requested.reset_token.has_value());
  const std::string reset = *requested.reset_token;
  const std::string old_token = f.Token();
  const std::string key = "resetPassword";

  CHECK(MessageOf(graphql::ResetPassword(*f.auth, "", reset, "N3w-passw0rd"), Code::kInvalidInput,
                  key) == "You must specify an email address.");
  CHECK(MessageOf(graphql::ResetPassword(*f.auth, kEmail, "", "N3w-passw0rd"), Code::kInvalidInput,
                  key) == "resetPasswordToken must be specified");
  CHECK(MessageOf(graphql::ResetPassword(*f.auth, kEmail, reset, ""), Code::kInvalidInput, key) ==
        "newPassword must be specified");
  CHECK(MessageOf(graphql::ResetPassword(*f.auth, kEmail, std::string(32, 'A'), "N3w-passw0rd"),
                  Code::kInvalidInput,
                  key) == "The password token is mismatched. Reset and try again.");

  const Answer ok = graphql::ResetPassword(*f.auth, kEmail, reset, "N3w-passw0rd");
  REQUIRE(ok.ok);
  CHECK(ok.body == R"({"data":{"resetPassword":true}})");
  CHECK_FALSE(f.auth->verify_token(old_token).ok());
  CHECK(f.auth->generate_customer_token(kEmail, "N3w-passw0rd").ok());
  // Spent.
  CHECK(MessageOf(graphql::ResetPassword(*f.auth, kEmail, reset, "An0ther-passw0rd"),
                  Code::kInvalidInput,
                  key) == "The password token is mismatched. Reset and try again.");

  // Expired: two hours after it was issued.
  f.clock->advance(11 * kMinute);
  const Answer again = graphql::RequestPasswordResetEmail(*f.auth, kEmail);
  REQUIRE(again.reset_token.has_value());
  f.clock->advance(2 * kHour + kSecond);
  Field aliased;
  aliased.alias = "late";
  CHECK(MessageOf(graphql::ResetPassword(*f.auth, kEmail, *again.reset_token, "An0ther-passw0rd",
                                         aliased),
                  Code::kExpired, "late") == "The password token is expired. Reset and try again.");
}

TEST_CASE("changeCustomerPassword: the customer, projected; each error") {
  Fixture f;
  const std::string token = f.Token();
  const std::string key = "changeCustomerPassword";
  CHECK(MessageOf(graphql::ChangeCustomerPassword(*f.auth, "", kPassword, "N3w-passw0rd"),
                  Code::kInvalidToken, key) == "The current customer isn't authorized.");
  CHECK(MessageOf(graphql::ChangeCustomerPassword(*f.auth, token, "", "N3w-passw0rd"),
                  Code::kInvalidInput, key) == "Specify the \"currentPassword\" value.");
  CHECK(MessageOf(graphql::ChangeCustomerPassword(*f.auth, token, kPassword, ""),
                  Code::kInvalidInput, key) == "Specify the \"newPassword\" value.");
  // A wrong current password counts towards the lock; the message is change_password's.
  const int before = f.Failures();
  const Answer wrong = graphql::ChangeCustomerPassword(*f.auth, token, "wrong-one", "N3w-passw0rd");
  const json e = ErrorOf(wrong, Code::kAuthenticationFailed, key);
  CHECK(e["message"] == f.auth->change_password(kEmail, "wrong-one", "N3w-passw0rd").message());
  CHECK(f.Failures() == before + 2);

  Field sel;
  sel.alias = "changed";
  sel.selection = {S("email"), S("lastname", {}, "surname")};
  const Answer ok = graphql::ChangeCustomerPassword(*f.auth, token, kPassword, "N3w-passw0rd", sel);
  REQUIRE(ok.ok);
  CHECK(ok.body == R"({"data":{"changed":{"email":"bobloblaw@example.com","surname":"Loblaw"}}})");
  CHECK_FALSE(f.auth->verify_token(token).ok());  // its tokens are revoked
  CHECK(f.auth->generate_customer_token(kEmail, "N3w-passw0rd").ok());
}

TEST_CASE("exchangeExternalCustomerToken: the seed's answer, projected, and its errors") {
  Fixture f;
  const Answer a = graphql::ExchangeExternalCustomerToken(*f.auth, f.Signed(), kRoni);
  REQUIRE(a.ok);
  const json body = json::parse(a.body);
  const std::string token = body["data"]["exchangeExternalCustomerToken"]["token"];
  CHECK(
      a.body ==
      R"({"data":{"exchangeExternalCustomerToken":{"customer":{"email":"roni_cost@example.com","firstname":"Roni","lastname":"Cost","is_subscribed":false},"token":")" +
          token + R"("}}})");
  CHECK(f.auth->verify_token(token).ok());
  // CustomerAuth's string answer is this one (HMAC-SHA1 too).
  const std::string again =
      f.auth->exchange_external_customer_token_graphql(f.Signed("HMAC-SHA1"), kRoni);
  CHECK(again.find(a.body.substr(0, a.body.size() - token.size() - 4)) == 0);

  Field sel;
  sel.alias = "social";
  sel.selection = {S("token", {}, "jwt"), S("customer", {S("email")})};
  const Answer p = graphql::ExchangeExternalCustomerToken(*f.auth, f.Signed(), kRoni, sel);
  REQUIRE(p.ok);
  const json pb = json::parse(p.body);
  CHECK(pb["data"]["social"]["customer"] == json({{"email", "roni_cost@example.com"}}));
  CHECK(pb["data"]["social"].size() == 2);
  CHECK(p.body.find(R"({"data":{"social":{"jwt":")") == 0);

  const std::string key = "exchangeExternalCustomerToken";
  CHECK(MessageOf(graphql::ExchangeExternalCustomerToken(
                      *f.auth, f.Signed(),
                      R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"x"}})"),
                  Code::kInvalidInput, key) == "\"Email\" is not a valid email address.");
  CHECK(MessageOf(
            graphql::ExchangeExternalCustomerToken(
                *f.auth, f.Signed(), R"({"customer":{"firstname":"Roni","lastname":"Cost"}})"),
            Code::kInvalidInput,
            key) == "Field CustomerCreateInput.email of required type String! was not provided");
  CHECK(MessageOf(
            graphql::ExchangeExternalCustomerToken(
                *f.auth, f.Signed(), R"({"customer":{"email":"a@example.com","lastname":"C"}})"),
            Code::kInvalidInput, key) ==
        "Field CustomerCreateInput.firstname of required type String! was not provided");
  CHECK(MessageOf(
            graphql::ExchangeExternalCustomerToken(
                *f.auth, f.Signed(), R"({"customer":{"email":"a@example.com","firstname":"R"}})"),
            Code::kInvalidInput,
            key) == "Field CustomerCreateInput.lastname of required type String! was not provided");
  CHECK(MessageOf(
            graphql::ExchangeExternalCustomerToken(
                *f.auth, f.Signed(),
                R"({"customer":{"firstname":"R","lastname":"C","email":"a@example.com","xyz":1}})"),
            Code::kInvalidInput,
            key) == "Field \"xyz\" is not defined by type CustomerCreateInput.");
  CHECK(MessageOf(graphql::ExchangeExternalCustomerToken(*f.auth, f.Signed("HMAC-SHA256", true),
                                                         kRoni, sel),
                  Code::kForbidden, "social") == "The signature is invalid. Verify and try again.");
  CHECK(MessageOf(graphql::ExchangeExternalCustomerToken(*f.auth, f.Signed("PLAINTEXT"), kRoni),
                  Code::kUnsupported, key) == "Signature method PLAINTEXT is not supported");
  REQUIRE(f.auth->set_integration_permissions(f.creds.consumer_key, {}).ok());
  const json denied = ErrorOf(graphql::ExchangeExternalCustomerToken(*f.auth, f.Signed(), kRoni),
                              Code::kForbidden, key);
  CHECK(denied["message"] == "You do not have permission to access this resource.");
  CHECK(denied["extensions"]["category"] == "graphql-authorization");
}

TEST_CASE("CombineAnswers: several mutations of one document, in order") {
  Fixture f;
  Field first;
  first.alias = "ok";
  Field second;
  second.alias = "bad";
  const std::vector<Answer> answers = {
      graphql::GenerateCustomerToken(*f.auth, kEmail, kPassword, first),
      graphql::GenerateCustomerToken(*f.auth, kEmail, "wrong-password", second)};
  const json j = json::parse(graphql::CombineAnswers(answers));
  REQUIRE(j["errors"].size() == 1);
  CHECK(j["errors"][0]["path"] == json::array({"bad"}));
  CHECK(j["errors"][0]["message"] == kSignIn);
  CHECK(j["data"]["bad"].is_null());
  CHECK(f.auth->verify_token(j["data"]["ok"]["token"].get<std::string>()).ok());
  CHECK(graphql::CombineAnswers(answers).find(R"({"errors":)") == 0);
  // One answer combines to its own body, refused or not.
  CHECK(graphql::CombineAnswers({answers[0]}) == answers[0].body);
  CHECK(graphql::CombineAnswers({answers[1]}) == answers[1].body);
}

TEST_CASE("ToGraphQLError and ErrorResponse") {
  const Status s(Code::kRateLimited, "slow down");
  CHECK(
      graphql::ToGraphQLError(s, "a") ==
      R"({"message":"slow down","path":["a"],"extensions":{"category":"graphql-input","code":"rate_limited"}})");
  CHECK(
      graphql::ToGraphQLError(s) ==
      R"({"message":"slow down","extensions":{"category":"graphql-input","code":"rate_limited"}})");
  CHECK(
      graphql::ErrorResponse(Status(Code::kInvalidToken, "no"), "me") ==
      R"({"errors":[{"message":"no","path":["me"],"extensions":{"category":"graphql-authentication","code":"invalid_token"}}]})");
}

TEST_CASE("HttpStatusFor: the table of graphql.h") {
  const std::vector<std::pair<Code, int>> table = {{Code::kOk, 200},
                                                   {Code::kInvalidInput, 400},
                                                   {Code::kNotFound, 404},
                                                   {Code::kAlreadyExists, 409},
                                                   {Code::kAuthenticationFailed, 401},
                                                   {Code::kNotConfirmed, 401},
                                                   {Code::kLocked, 401},
                                                   {Code::kExpired, 400},
                                                   {Code::kForbidden, 403},
                                                   {Code::kRateLimited, 429},
                                                   {Code::kUnsupported, 400},
                                                   {Code::kStorage, 503},
                                                   {Code::kBusy, 503},
                                                   {Code::kConflict, 409},
                                                   {Code::kInternal, 500},
                                                   {Code::kInvalidToken, 401}};
  REQUIRE(table.size() == 16);  // every code, 0 to -15
  for (const auto& [code, status] : table) {
    INFO(code_name(code));
    CHECK(graphql::HttpStatusFor(code) == status);
  }
  CHECK(graphql::HttpStatusFor(static_cast<Code>(-99)) == 500);
}

TEST_CASE("CurrentCustomer: the bearer's customer; every refusal the same") {
  Fixture f;
  const std::string token = f.Token();
  auto c = graphql::CurrentCustomer(*f.auth, token);
  REQUIRE(c.ok());
  CHECK(c->email == kEmail);
  CustomerUpdate off;
  off.is_active = false;
  REQUIRE(f.auth->update_customer(kEmail, off).ok());
  for (const std::string& t : {token, std::string(), std::string("x.y.z")}) {
    auto r = graphql::CurrentCustomer(*f.auth, t);
    CHECK(r.code() == Code::kInvalidToken);
    CHECK(r.status().message() == "The current customer isn't authorized.");
  }
}

TEST_CASE("custauth_call answers refusals with graphql's error shape, without a path") {
  custauth_t* db = nullptr;
  REQUIRE(custauth_open_json(&db, "memory:", R"({"test": true})") == CUSTAUTH_OK);
  char* out = nullptr;
  const int rc =
      custauth_call(&out, db, "generate_customer_token", R"({"email":"","password":"x"})", nullptr);
  CHECK(rc == CUSTAUTH_EINVALID);
  REQUIRE(out != nullptr);
  CHECK(json::parse(out) == json::parse(graphql::ErrorResponse(
                                Status(Code::kInvalidInput, "Specify the \"email\" value."))));
  custauth_free(out);
  custauth_close(db);
}

}  // namespace graphql_test
