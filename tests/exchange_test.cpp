// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Integrations and exchangeExternalCustomerToken on both embedded backends: the whole operation,
// every message of the seed's Errors table, refusals that change nothing (and spend the nonce
// exactly when the signature passed), the body hash, the audit trail of refusals, the window's
// edge, secrets sealed at rest, and racing requests for a new email creating exactly one customer.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto.h"
#include "custauth.h"
#include "custauth/auth.h"
#include "custauth/oauth1.h"
#include "custauth/password.h"
#include "custauth/sqlite_storage.h"
#include "test_util.h"

namespace exchange_test {

using namespace custauth;
using custauth::testing::TempDir;
using nlohmann::json;

namespace {

constexpr char kRoni[] =
    R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com","is_subscribed":false}})";

// How a test request carries its body.
struct Body {
  std::string content_type = "application/json";
  std::string bytes = R"({"query":"mutation { exchangeExternalCustomerToken(...) }"})";
  bool hash = false;  // send oauth_body_hash (the OAuth Request Body Hash extension)
};

// Signs a GraphQL POST with the integration's credentials (Authorization header, HMAC-SHA256 by
// default). A JSON body is not a form, so it is not signed (RFC 5849 3.4.1.3.1) unless `body`
// asks for oauth_body_hash.
HttpRequest Signed(const IntegrationCredentials& c, std::int64_t timestamp,
                   const std::string& nonce, const std::string& method = "HMAC-SHA256",
                   const std::string& consumer_secret_override = {}, const Body& body = {}) {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://shop.example/graphql";
  r.content_type = body.content_type;
  r.body = body.bytes;
  std::vector<OAuthParam> params = {{"oauth_consumer_key", c.consumer_key},
                                    {"oauth_token", c.access_token},
                                    {"oauth_signature_method", method},
                                    {"oauth_timestamp", std::to_string(timestamp)},
                                    {"oauth_nonce", nonce},
                                    {"oauth_version", "1.0"}};
  if (body.hash) params.push_back({"oauth_body_hash", OAuthBodyHash(body.bytes)});
  std::string header = "OAuth realm=\"shop\"";
  for (const auto& p : params) header += ", " + p.name + "=\"" + PercentEncode(p.value) + "\"";
  r.authorization = header;
  auto base = SignatureBaseString(r);
  REQUIRE(base.ok());
  const std::string cs =
      consumer_secret_override.empty() ? c.consumer_secret : consumer_secret_override;
  auto sig = OAuthSignature(method == "HMAC-SHA1" ? kOAuthHmacSha1 : kOAuthHmacSha256, *base, cs,
                            c.token_secret);
  REQUIRE(sig.ok());
  r.authorization += ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
  return r;
}

AuthOptions Options(const Keys& keys, std::shared_ptr<Clock> clock) {
  AuthOptions o;
  o.argon2 = CheapArgon2ForTests();
  o.keys = keys;
  o.clock = std::move(clock);
  return o;
}

struct Fixture {
  explicit Fixture(const std::string& backend) : storage(testing::MakeStorage(backend, dir)) {
    auto a = CustomerAuth::Open(storage, Options(keys, clock));
    REQUIRE(a.ok());
    auth = std::move(a).value();
    auto c = auth->create_integration("Social login",
                                      {std::string(kPermissionExchangeExternalCustomerToken)});
    REQUIRE(c.ok());
    creds = std::move(c).value();
  }

  std::int64_t now_s() const { return clock->now() / 1000; }
  HttpRequest Next(const std::string& method = "HMAC-SHA256") {
    return Signed(creds, now_s(), "nonce-" + std::to_string(++nonce_counter), method);
  }
  Result<ExternalLoginResult> Exchange(std::string_view input) {
    return auth->exchange_external_customer_token(Next(), input);
  }
  // The customers (by id 1..20), for proving a refused call changed nothing.
  std::string Snapshot() {
    std::string s;
    for (std::int64_t id = 1; id <= 20; ++id) {
      auto c = storage->find_customer_by_id(id);
      if (!c.ok()) continue;
      s += std::to_string(c->id) + "|" + c->email + "|" + c->firstname + "|" + c->lastname + "|" +
           std::to_string(c->is_subscribed) + std::to_string(c->is_active) +
           std::to_string(c->confirmed) + "|" + std::to_string(c->updated_at) + "\n";
    }
    return s;
  }
  std::vector<AuditRecord> Audit(const std::string& event) {
    AuditQuery q;
    q.limit = 10000;
    auto all = storage->list_audit(q);
    REQUIRE(all.ok());
    std::vector<AuditRecord> out;
    for (auto& r : *all) {
      if (r.event == event) out.push_back(std::move(r));
    }
    return out;
  }
  std::size_t AuditCount(const std::string& event) { return Audit(event).size(); }

  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1748499421000);
  Keys keys = GenerateKeys(*SystemRandom::Shared());
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
  IntegrationCredentials creds;
  int nonce_counter = 0;
};

// Checks that a refused request changed no customer. (Whether its nonce was spent the caller
// checks: by sending it again.)
void RefusedChangesNothing(Fixture& f, const HttpRequest& r, std::string_view input, Code code,
                           std::string_view message) {
  const std::string before = f.Snapshot();
  auto refused = f.auth->exchange_external_customer_token(r, input);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == code);
  CHECK(refused.status().message() == message);
  CHECK(f.Snapshot() == before);
}

// Checks that `r`, refused after its signature passed, cannot serve again: sent once more with
// valid input for another customer, it is refused as a replay and creates no one.
void SpentOnReuse(Fixture& f, const HttpRequest& r) {
  const std::string before = f.Snapshot();
  auto reuse = f.auth->exchange_external_customer_token(
      r, R"({"customer":{"firstname":"V","lastname":"Ictim","email":"victim@example.com"}})");
  REQUIRE_FALSE(reuse.ok());
  CHECK(reuse.code() == Code::kForbidden);
  CHECK(reuse.status().message() == oauth_msg::kNonceUsed);
  CHECK(f.Snapshot() == before);
  CHECK(f.storage->find_customer_by_email(1, "victim@example.com").code() == Code::kNotFound);
}

}  // namespace

TEST_CASE("create_integration: four 32-character credentials, secrets sealed at rest") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  for (const std::string* s : {&f.creds.consumer_key, &f.creds.consumer_secret,
                               &f.creds.access_token, &f.creds.token_secret}) {
    CHECK(s->size() == 32);
    CHECK(std::all_of(s->begin(), s->end(),
                      [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }));
  }
  CHECK(std::set<std::string>{f.creds.consumer_key, f.creds.consumer_secret, f.creds.access_token,
                              f.creds.token_secret}
            .size() == 4);
  CHECK(f.creds.integration.id > 0);
  CHECK(f.creds.integration.name == "Social login");
  CHECK(f.creds.integration.active);
  CHECK(f.creds.integration.permissions ==
        std::vector<std::string>{std::string(kPermissionExchangeExternalCustomerToken)});

  auto stored = f.storage->find_integration(f.creds.consumer_key);
  REQUIRE(stored.ok());
  CHECK(stored->access_token == f.creds.access_token);
  // nonce (24) + MAC (16) + 32 bytes, and no trace of the secrets.
  CHECK(stored->consumer_secret_sealed.size() == 72);
  CHECK(stored->token_secret_sealed.size() == 72);
  for (const std::string* sealed :
       {&stored->consumer_secret_sealed, &stored->token_secret_sealed}) {
    CHECK(sealed->find(f.creds.consumer_secret) == std::string::npos);
    CHECK(sealed->find(f.creds.token_secret) == std::string::npos);
  }
  CHECK(stored->consumer_secret_sealed != stored->token_secret_sealed);

  if (backend == "sqlite") {
    // Not in any file of the database either (main file and WAL).
    std::string bytes;
    for (const auto& entry : std::filesystem::directory_iterator(f.dir.path())) {
      std::ifstream in(entry.path(), std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    CHECK(bytes.find(f.creds.access_token) != std::string::npos);  // sanity: we read the data
    CHECK(bytes.find(f.creds.consumer_secret) == std::string::npos);
    CHECK(bytes.find(f.creds.token_secret) == std::string::npos);
  }

  auto listed = f.auth->list_integrations();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].consumer_key == f.creds.consumer_key);

  SECTION("refusals") {
    auto empty = f.auth->create_integration("  ", {});
    CHECK(empty.code() == Code::kInvalidInput);
    CHECK(empty.status().message() == "Specify the integration's name.");
    CHECK(f.auth->create_integration(std::string(256, 'n'), {}).code() == Code::kInvalidInput);
    CHECK(f.auth->create_integration("bad\x01name", {}).code() == Code::kInvalidInput);
    auto perm = f.auth->create_integration("x", {"admin"});
    CHECK(perm.code() == Code::kInvalidInput);
    CHECK(perm.status().message() == "Unknown permission \"admin\"");
    CHECK(f.auth->list_integrations()->size() == 1);
    CHECK(f.auth->revoke_integration(std::string(32, 'z')).code() == Code::kNotFound);
    CHECK(f.auth->revoke_integration("").code() == Code::kInvalidInput);
    CHECK(f.auth->set_integration_permissions(std::string(32, 'z'), {}).code() == Code::kNotFound);
    CHECK(f.auth->set_integration_permissions(f.creds.consumer_key, {"admin"}).code() ==
          Code::kInvalidInput);
    CHECK(f.storage->find_integration(f.creds.consumer_key)->permissions.size() == 1);
  }
  SECTION("audited") {
    CHECK(f.AuditCount("integration.create") == 1);
    REQUIRE(f.auth->set_integration_permissions(f.creds.consumer_key, {}).ok());
    CHECK(f.AuditCount("integration.permissions") == 1);
    REQUIRE(f.auth->revoke_integration(f.creds.consumer_key).ok());
    CHECK(f.AuditCount("integration.revoke") == 1);
    auto stored_after = f.storage->find_integration(f.creds.consumer_key);
    CHECK_FALSE(stored_after->active);
    CHECK(stored_after->revoked_at == f.clock->now());
  }
}

TEST_CASE("exchange_external_customer_token creates once, then finds") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);

  auto first = f.Exchange(kRoni);
  REQUIRE(first.ok());
  CHECK(first->created);
  CHECK(first->customer.id > 0);
  CHECK(first->customer.email == "roni_cost@example.com");
  CHECK(first->customer.firstname == "Roni");
  CHECK(first->customer.lastname == "Cost");
  CHECK_FALSE(first->customer.is_subscribed);
  auto stored = f.storage->find_customer_by_id(first->customer.id);
  REQUIRE(stored.ok());
  CHECK(stored->confirmed);
  CHECK(stored->is_active);
  CHECK_FALSE(stored->has_password());
  CHECK(stored->website_id == kDefaultWebsiteId);
  // The token is a customer token for that customer, in the platform's format.
  auto claims = f.auth->verify_token(first->token);
  REQUIRE(claims.ok());
  CHECK(claims->customer_id == first->customer.id);
  CHECK(claims->user_type == kUserTypeCustomer);
  CHECK(claims->expires_at - claims->issued_at == 3600);
  CHECK(first->token.rfind("eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.", 0) == 0);

  // Again, with other names, another case of the email and is_subscribed: the stored customer.
  f.clock->advance(5 * kSecond);
  auto again = f.Exchange(
      R"({"customer":{"firstname":"Other","lastname":"Name","email":"RONI_COST@example.com","is_subscribed":true}})");
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->customer.id == first->customer.id);
  CHECK(again->customer.email == "roni_cost@example.com");
  CHECK(again->customer.firstname == "Roni");
  CHECK(again->customer.lastname == "Cost");
  CHECK_FALSE(again->customer.is_subscribed);
  CHECK(f.auth->verify_token(again->token)->customer_id == first->customer.id);

  // is_subscribed is taken for new customers; it is optional.
  auto sub = f.Exchange(
      R"({"customer":{"firstname":"S","lastname":"T","email":"sub@example.com","is_subscribed":true}})");
  REQUIRE(sub.ok());
  CHECK(sub->customer.is_subscribed);
  auto nosub =
      f.Exchange(R"({"customer":{"firstname":"N","lastname":"O","email":"nosub@example.com"}})");
  REQUIRE(nosub.ok());
  CHECK_FALSE(nosub->customer.is_subscribed);
  auto nullsub = f.Exchange(
      R"({"customer":{"firstname":"N","lastname":"O","email":"null@example.com","is_subscribed":null}})");
  REQUIRE(nullsub.ok());
  CHECK_FALSE(nullsub->customer.is_subscribed);

  // Websites are separate.
  auto w2 = f.auth->exchange_external_customer_token(f.Next(), kRoni, {}, 2);
  REQUIRE(w2.ok());
  CHECK(w2->created);
  CHECK(w2->customer.id != first->customer.id);
  CHECK(f.auth->exchange_external_customer_token(f.Next(), kRoni, {}, 0).code() ==
        Code::kInvalidInput);

  // HMAC-SHA1 works as well.
  auto sha1 = f.auth->exchange_external_customer_token(f.Next("HMAC-SHA1"), kRoni);
  REQUIRE(sha1.ok());
  CHECK(sha1->customer.id == first->customer.id);

  // Audited under the integration's name.
  AuditQuery q;
  q.customer_id = first->customer.id;
  auto records = f.auth->list_audit(q);
  REQUIRE(records.ok());
  std::size_t successes = 0;
  for (const auto& r : *records) {
    if (r.event != "exchange.success") continue;
    ++successes;
    CHECK(r.actor == "integration:" + f.creds.consumer_key);
  }
  CHECK(successes == 3);
  CHECK(f.AuditCount("customer.create") == 5);
}

TEST_CASE("exchange_external_customer_token: the seed's Errors table, each message") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  struct Case {
    const char* input;
    const char* message;
  };
  const Case cases[] = {
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example"}})",
       "\"Email\" is not a valid email address."},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":""}})",
       "\"Email\" is not a valid email address."},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost"}})",
       "Field CustomerCreateInput.email of required type String! was not provided"},
      {R"({"customer":{"firstname":"Roni","email":"roni_cost@example.com"}})",
       "Field CustomerCreateInput.lastname of required type String! was not provided"},
      {R"({"customer":{"lastname":"Cost","email":"roni_cost@example.com"}})",
       "Field CustomerCreateInput.firstname of required type String! was not provided"},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com","xyz":1}})",
       "Field \"xyz\" is not defined by type CustomerCreateInput."},
      // The order of checks: unknown fields, then email, firstname, lastname.
      {R"({"customer":{"xyz":1}})", "Field \"xyz\" is not defined by type CustomerCreateInput."},
      {R"({"customer":{}})",
       "Field CustomerCreateInput.email of required type String! was not provided"},
      {R"({"customer":{"email":"roni_cost@example.com"}})",
       "Field CustomerCreateInput.firstname of required type String! was not provided"},
      // Types.
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":5}})",
       "Field \"CustomerCreateInput.email\" expects type String!"},
      {R"({"customer":{"firstname":null,"lastname":"Cost","email":"roni_cost@example.com"}})",
       "Field \"CustomerCreateInput.firstname\" expects type String!"},
      {R"({"customer":{"firstname":"Roni","lastname":["Cost"],"email":"roni_cost@example.com"}})",
       "Field \"CustomerCreateInput.lastname\" expects type String!"},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com","is_subscribed":"yes"}})",
       "Field \"CustomerCreateInput.is_subscribed\" expects type Boolean"},
      // Names.
      {R"({"customer":{"firstname":"  ","lastname":"Cost","email":"roni_cost@example.com"}})",
       "\"First Name\" is a required value."},
      {R"({"customer":{"firstname":"Roni","lastname":"","email":"roni_cost@example.com"}})",
       "\"Last Name\" is a required value."},
      {R"({"customer":{"firstname":"Ro\u0001ni","lastname":"Cost","email":"roni_cost@example.com"}})",
       "\"First Name\" is not a valid value."},
      // The input object itself.
      {R"({})",
       "Field ExchangeExternalCustomerTokenInput.customer of required type CustomerCreateInput! "
       "was not provided"},
      {R"({"customer":null})",
       "Field ExchangeExternalCustomerTokenInput.customer of required type CustomerCreateInput! "
       "was not provided"},
      {R"({"customer":"roni"})",
       "Field \"ExchangeExternalCustomerTokenInput.customer\" expects type CustomerCreateInput!"},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com"},"store":1})",
       "Field \"store\" is not defined by type ExchangeExternalCustomerTokenInput."},
      {R"([1,2])", "The input must be a JSON object"},
      {R"({"customer":)", "The input is not valid JSON"},
      {"", "The input is not valid JSON"},
      {R"({"customer":{"firstname":"Roni"} } x)", "The input is not valid JSON"},
      // Duplicate keys would otherwise be resolved silently.
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"a@example.com","email":"roni_cost@example.com"}})",
       "The input has the field \"email\" more than once"},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com"},"customer":{}})",
       "The input has the field \"customer\" more than once"},
      {R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com","xyz":[[[[[[[[[1]]]]]]]]]}})",
       "The input is nested too deeply"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    const HttpRequest r = f.Next();
    const std::size_t refusals = f.AuditCount("exchange.refused");
    RefusedChangesNothing(f, r, c.input, Code::kInvalidInput, c.message);
    // Refused after its signature passed: audited, and its nonce is spent.
    CHECK(f.AuditCount("exchange.refused") == refusals + 1);
    SpentOnReuse(f, r);
  }
  REQUIRE(f.Exchange(kRoni).ok());
  CHECK(f.auth->exchange_external_customer_token(f.Next(), std::string(64 * 1024 + 1, ' '))
            .status()
            .message() == "The input is too large");

  SECTION("You do not have permission to access this resource.") {
    REQUIRE(f.auth->set_integration_permissions(f.creds.consumer_key, {}).ok());
    const std::size_t refusals = f.AuditCount("exchange.refused");
    const HttpRequest r = f.Next();
    RefusedChangesNothing(f, r, kRoni, Code::kForbidden, msg::kNoPermission);
    REQUIRE(f.auth
                ->set_integration_permissions(
                    f.creds.consumer_key, {std::string(kPermissionExchangeExternalCustomerToken)})
                .ok());
    // Signed, so its nonce was spent: granting the permission does not revive it.
    SpentOnReuse(f, r);
    CHECK(f.AuditCount("exchange.refused") == refusals + 2);  // the permission, the replay
    CHECK(f.Exchange(kRoni).ok());
  }
}

TEST_CASE("exchange_external_customer_token: OAuth and integration refusals") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  const std::string before = f.Snapshot();

  SECTION("revoked integration") {
    const HttpRequest r = f.Next();
    REQUIRE(f.auth->revoke_integration(f.creds.consumer_key).ok());
    RefusedChangesNothing(f, r, kRoni, Code::kForbidden, msg::kNoPermission);
    RefusedChangesNothing(f, f.Next(), kRoni, Code::kForbidden, msg::kNoPermission);
  }
  SECTION("unknown consumer key") {
    IntegrationCredentials other = f.creds;
    other.consumer_key = std::string(32, 'x');
    RefusedChangesNothing(f, Signed(other, f.now_s(), "n1"), kRoni, Code::kForbidden,
                          msg::kNoPermission);
  }
  SECTION("another integration's access token") {
    auto second = f.auth->create_integration(
        "Second", {std::string(kPermissionExchangeExternalCustomerToken)});
    REQUIRE(second.ok());
    IntegrationCredentials mixed = f.creds;
    mixed.access_token = second->access_token;
    mixed.token_secret = second->token_secret;
    RefusedChangesNothing(f, Signed(mixed, f.now_s(), "n1"), kRoni, Code::kForbidden,
                          msg::kNoPermission);
    // The second integration works on its own.
    CHECK(f.auth->exchange_external_customer_token(Signed(*second, f.now_s(), "n1"), kRoni).ok());
  }
  SECTION("wrong consumer secret or token secret") {
    RefusedChangesNothing(f, Signed(f.creds, f.now_s(), "n1", "HMAC-SHA256", "wrong-secret"), kRoni,
                          Code::kForbidden, msg::kSignatureInvalid);
    IntegrationCredentials wrong = f.creds;
    wrong.token_secret[0] = wrong.token_secret[0] == 'a' ? 'b' : 'a';
    RefusedChangesNothing(f, Signed(wrong, f.now_s(), "n2"), kRoni, Code::kForbidden,
                          msg::kSignatureInvalid);
    // Neither burnt its nonce.
    CHECK(f.auth->exchange_external_customer_token(Signed(f.creds, f.now_s(), "n1"), kRoni).ok());
    CHECK(f.auth->exchange_external_customer_token(Signed(f.creds, f.now_s(), "n2"), kRoni).ok());
  }
  SECTION("a tampered request") {
    HttpRequest r = f.Next();
    r.url = "https://shop.example/graphql?store=other";
    RefusedChangesNothing(f, r, kRoni, Code::kForbidden, msg::kSignatureInvalid);
    r = f.Next();
    r.method = "PUT";
    RefusedChangesNothing(f, r, kRoni, Code::kForbidden, msg::kSignatureInvalid);
  }
  SECTION("unsupported signature method") {
    RefusedChangesNothing(f, Signed(f.creds, f.now_s(), "n1", "PLAINTEXT"), kRoni,
                          Code::kUnsupported, "Signature method PLAINTEXT is not supported");
  }
  SECTION("stale or future timestamp") {
    RefusedChangesNothing(f, Signed(f.creds, f.now_s() - 601, "n1"), kRoni, Code::kForbidden,
                          oauth_msg::kTimestampRefused);
    RefusedChangesNothing(f, Signed(f.creds, f.now_s() + 601, "n2"), kRoni, Code::kForbidden,
                          oauth_msg::kTimestampRefused);
    CHECK(f.auth->exchange_external_customer_token(Signed(f.creds, f.now_s() - 600, "n3"), kRoni)
              .ok());
  }
  SECTION("replayed nonce") {
    const HttpRequest r = f.Next();
    auto first = f.auth->exchange_external_customer_token(r, kRoni);
    REQUIRE(first.ok());
    const std::string after = f.Snapshot();
    auto replay = f.auth->exchange_external_customer_token(
        r, R"({"customer":{"firstname":"A","lastname":"B","email":"new@example.com"}})");
    REQUIRE_FALSE(replay.ok());
    CHECK(replay.code() == Code::kForbidden);
    CHECK(replay.status().message() == oauth_msg::kNonceUsed);
    CHECK(f.Snapshot() == after);
    CHECK(f.storage->find_customer_by_email(1, "new@example.com").code() == Code::kNotFound);
  }
  SECTION("no OAuth at all") {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://shop.example/graphql";
    RefusedChangesNothing(f, r, kRoni, Code::kInvalidInput,
                          "\"oauth_consumer_key\" is required. Enter and try again.");
  }
  SECTION("secrets sealed under another seal_key do not open") {
    Keys other = f.keys;
    other.seal_key = GenerateKeys(*SystemRandom::Shared()).seal_key;
    auto a = CustomerAuth::Open(f.storage, Options(other, f.clock));
    REQUIRE(a.ok());
    auto r = (*a)->exchange_external_customer_token(f.Next(), kRoni);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kInternal);
    CHECK(f.Snapshot() == before);
  }
}

TEST_CASE("exchange_external_customer_token: existing customers that cannot sign in") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  REQUIRE(f.Exchange(kRoni).ok());

  SECTION("inactive: the sign-in message, and the header is spent") {
    CustomerUpdate u;
    u.is_active = false;
    REQUIRE(f.auth->update_customer("roni_cost@example.com", u).ok());
    const HttpRequest r = f.Next();
    RefusedChangesNothing(f, r, kRoni, Code::kAuthenticationFailed, msg::kSignInIncorrect);
    SpentOnReuse(f, r);
    u.is_active = true;
    REQUIRE(f.auth->update_customer("roni_cost@example.com", u).ok());
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).status().message() ==
          oauth_msg::kNonceUsed);
  }
  SECTION("unconfirmed") {
    CustomerUpdate u;
    u.confirmed = false;
    REQUIRE(f.auth->update_customer("roni_cost@example.com", u).ok());
    const HttpRequest r = f.Next();
    RefusedChangesNothing(f, r, kRoni, Code::kNotConfirmed, msg::kNotConfirmed);
    SpentOnReuse(f, r);
  }
}

TEST_CASE("exchange_external_customer_token_graphql: the seed's shapes") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  const std::string out = f.auth->exchange_external_customer_token_graphql(f.Next(), kRoni);
  const json j = json::parse(out);
  const std::string token = j["data"]["exchangeExternalCustomerToken"]["token"];
  CHECK(
      out ==
      R"({"data":{"exchangeExternalCustomerToken":{"customer":{"email":"roni_cost@example.com","firstname":"Roni","lastname":"Cost","is_subscribed":false},"token":")" +
          token + R"("}}})");
  CHECK(f.auth->verify_token(token).ok());

  const json err = json::parse(f.auth->exchange_external_customer_token_graphql(
      f.Next(), R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"x"}})"));
  REQUIRE(err.contains("errors"));
  CHECK_FALSE(err.contains("data"));
  CHECK(err["errors"][0]["message"] == "\"Email\" is not a valid email address.");
  CHECK(err["errors"][0]["extensions"]["category"] == "graphql-input");

  REQUIRE(f.auth->set_integration_permissions(f.creds.consumer_key, {}).ok());
  const json denied =
      json::parse(f.auth->exchange_external_customer_token_graphql(f.Next(), kRoni));
  CHECK(denied["errors"][0]["message"] == "You do not have permission to access this resource.");
  CHECK(denied["errors"][0]["extensions"]["category"] == "graphql-authorization");

  // A message quoting request bytes that are not UTF-8 still makes valid JSON.
  HttpRequest odd = f.Next();
  odd.url += "?\xFF=%zz";
  const json bad = json::parse(f.auth->exchange_external_customer_token_graphql(odd, kRoni));
  CHECK(bad["errors"][0]["message"] == "The parameter \"%FF\" is not properly percent-encoded");
}

TEST_CASE("16 threads exchanging for one new email create exactly one customer") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  constexpr int kThreads = 16;
  std::vector<HttpRequest> requests;
  for (int i = 0; i < kThreads; ++i) requests.push_back(f.Next());
  std::vector<std::int64_t> ids(kThreads, 0);
  std::vector<int> created(kThreads, -1);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      auto r = f.auth->exchange_external_customer_token(
          requests[static_cast<std::size_t>(i)],
          R"({"customer":{"firstname":"Race","lastname":"Winner","email":"race@example.com"}})");
      if (r.ok()) {
        ids[static_cast<std::size_t>(i)] = r->customer.id;
        created[static_cast<std::size_t>(i)] = r->created ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto stored = f.storage->find_customer_by_email(1, "race@example.com");
  REQUIRE(stored.ok());
  for (int i = 0; i < kThreads; ++i) {
    INFO(i);
    CHECK(ids[static_cast<std::size_t>(i)] == stored->id);
  }
  CHECK(std::count(created.begin(), created.end(), 1) == 1);
  CHECK(std::count(created.begin(), created.end(), 0) == kThreads - 1);
  CHECK(f.AuditCount("customer.create") == 1);
}

TEST_CASE("4 processes exchanging for one new email on SQLite create exactly one customer") {
  constexpr int kProcesses = 4;
  TempDir dir;
  const std::string db = dir.file("custauth.db");
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto clock = std::make_shared<ManualClock>(1748499421000);
  IntegrationCredentials creds;
  {
    auto storage = OpenSqliteStorage(db);
    REQUIRE(storage.ok());
    auto auth = CustomerAuth::Open(std::shared_ptr<Storage>(std::move(storage).value()),
                                   Options(keys, clock));
    REQUIRE(auth.ok());
    auto c = (*auth)->create_integration("Race",
                                         {std::string(kPermissionExchangeExternalCustomerToken)});
    REQUIRE(c.ok());
    creds = std::move(c).value();
  }
  for (int round = 0; round < 3; ++round) {
    const std::string email = "proc" + std::to_string(round) + "@example.com";
    const std::string input =
        R"({"customer":{"firstname":"P","lastname":"Q","email":")" + email + R"("}})";
    std::vector<HttpRequest> requests;
    for (int i = 0; i < kProcesses; ++i) {
      requests.push_back(Signed(creds, clock->now() / 1000,
                                "r" + std::to_string(round) + "p" + std::to_string(i)));
    }
    int results[2];
    REQUIRE(pipe(results) == 0);
    int go[2];
    REQUIRE(pipe(go) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        close(go[1]);
        close(results[0]);
        auto storage = OpenSqliteStorage(db);
        if (!storage.ok()) _exit(10);
        auto auth = CustomerAuth::Open(std::shared_ptr<Storage>(std::move(storage).value()),
                                       Options(keys, clock));
        if (!auth.ok()) _exit(11);
        char c;
        if (read(go[0], &c, 1) != 0) _exit(12);  // EOF is the start signal
        auto r =
            (*auth)->exchange_external_customer_token(requests[static_cast<std::size_t>(i)], input);
        if (!r.ok()) _exit(13);
        const std::string line =
            std::to_string(r->customer.id) + " " + (r->created ? "1" : "0") + "\n";
        if (write(results[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          _exit(14);
        }
        _exit(0);
      }
      pids.push_back(pid);
    }
    close(go[0]);
    close(results[1]);
    close(go[1]);
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
    std::string all;
    char buf[256];
    ssize_t n;
    while ((n = read(results[0], buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
    close(results[0]);
    auto storage = OpenSqliteStorage(db);
    REQUIRE(storage.ok());
    auto stored = (*storage)->find_customer_by_email(1, email);
    REQUIRE(stored.ok());
    const std::string id = std::to_string(stored->id);
    int lines = 0, creators = 0;
    std::size_t pos = 0;
    while (pos < all.size()) {
      const std::size_t end = all.find('\n', pos);
      const std::string line = all.substr(pos, end - pos);
      pos = end + 1;
      ++lines;
      CHECK(line.substr(0, line.find(' ')) == id);
      if (line.back() == '1') ++creators;
    }
    CHECK(lines == kProcesses);
    CHECK(creators == 1);
  }
}

TEST_CASE("Expired nonces are pruned by later exchanges") {
  const std::string backend = GENERATE("memory", "sqlite");
  Fixture f(backend);  // the default prunes on the 1st, 257th, … exchange of a handle
  REQUIRE(f.Exchange(kRoni).ok());  // 1st: prunes (nothing yet), then its nonce is recorded
  for (int i = 0; i < 255; ++i) REQUIRE(f.Exchange(kRoni).ok());
  f.clock->advance(601 * kSecond);  // every nonce so far has left the window
  REQUIRE(f.Exchange(kRoni).ok());  // the 257th: prunes the 256 expired ones
  CHECK(f.storage->prune_nonces(f.clock->now()).value() == 0);
  f.clock->advance(601 * kSecond);
  CHECK(f.storage->prune_nonces(f.clock->now()).value() == 1);  // only the 257th was left
}

TEST_CASE("exchange: a header refused after its signature passed never serves again") {
  // The attack: an integration's request is refused (the customer is inactive, or the input is
  // invalid); whoever saw its Authorization header sends it again with a victim's email.
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  REQUIRE(f.Exchange(kRoni).ok());

  SECTION("inactive customer") {
    CustomerUpdate u;
    u.is_active = false;
    REQUIRE(f.auth->update_customer("roni_cost@example.com", u).ok());
    const HttpRequest r = f.Next();
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).code() == Code::kAuthenticationFailed);
    SpentOnReuse(f, r);
    // Audited under the integration, naming the customer it targeted.
    const auto rows = f.Audit("exchange.refused");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].actor == "integration:" + f.creds.consumer_key);
    CHECK(rows[0].customer_id == f.storage->find_customer_by_email(1, "roni_cost@example.com")->id);
    CHECK(json::parse(rows[0].detail)["why"] == "inactive");
    // The replay names the email it targeted.
    CHECK(json::parse(rows[1].detail)["why"] == "replay");
    CHECK(json::parse(rows[1].detail)["email"] == "victim@example.com");
    CHECK_FALSE(rows[1].customer_id.has_value());
  }
  SECTION("invalid email") {
    const HttpRequest r = f.Next();
    auto bad = f.auth->exchange_external_customer_token(
        r, R"({"customer":{"firstname":"A","lastname":"B","email":"victim@"}})");
    CHECK(bad.status().message() == msg::kInvalidEmail);
    SpentOnReuse(f, r);
    const auto rows = f.Audit("exchange.refused");
    REQUIRE(rows.size() == 2);
    const json detail = json::parse(rows[0].detail);
    CHECK(detail["why"] == "input");
    CHECK(detail["email"] == "victim@");
    CHECK(detail["message"] == msg::kInvalidEmail);
    CHECK(rows[0].actor == "integration:" + f.creds.consumer_key);
  }
  SECTION("input without an email, or not JSON: audited without one") {
    const HttpRequest r = f.Next();
    CHECK(f.auth->exchange_external_customer_token(r, "{\"customer\":").code() ==
          Code::kInvalidInput);
    const auto rows = f.Audit("exchange.refused");
    REQUIRE(rows.size() == 1);
    CHECK(json::parse(rows[0].detail)["why"] == "input");
    CHECK_FALSE(json::parse(rows[0].detail).contains("email"));
    SpentOnReuse(f, r);
  }
  SECTION("an over-long email is named cut to 255 bytes") {
    const std::string email = std::string(300, 'a') + "@example.com";
    const HttpRequest r = f.Next();
    CHECK(f.auth
              ->exchange_external_customer_token(
                  r, R"({"customer":{"firstname":"A","lastname":"B","email":")" + email + "\"}}")
              .code() == Code::kInvalidInput);
    const auto rows = f.Audit("exchange.refused");
    REQUIRE(rows.size() == 1);
    CHECK(json::parse(rows[0].detail)["email"] == email.substr(0, 255));
  }
  SECTION("a refusal before the signature passed leaves the nonce unused and names no email") {
    HttpRequest r = f.Next();
    HttpRequest tampered = r;
    tampered.url += "?store=admin";
    CHECK(f.auth->exchange_external_customer_token(tampered, kRoni).status().message() ==
          msg::kSignatureInvalid);
    const auto rows = f.Audit("exchange.refused");
    REQUIRE(rows.size() == 1);
    CHECK(json::parse(rows[0].detail)["why"] == "signature");
    CHECK_FALSE(json::parse(rows[0].detail).contains("email"));
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).ok());
  }
}

TEST_CASE("exchange: oauth_body_hash binds the body the host builds input from") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  const std::string victim =
      R"({"customer":{"firstname":"V","lastname":"Ictim","email":"victim@example.com"}})";
  Body hashed;
  hashed.bytes =
      std::string(R"j({"query":"mutation($input: ...)","variables":{"input":)j") + kRoni + "}}";
  hashed.hash = true;
  auto next = [&](const Body& body) {
    return Signed(f.creds, f.now_s(), "b" + std::to_string(++f.nonce_counter), "HMAC-SHA256", {},
                  body);
  };

  SECTION("a body swapped after signing is refused, and the genuine request still works") {
    const HttpRequest r = next(hashed);
    HttpRequest swapped = r;
    swapped.body =
        std::string(R"j({"query":"mutation($input: ...)","variables":{"input":)j") + victim + "}}";
    const std::string before = f.Snapshot();
    auto refused = f.auth->exchange_external_customer_token(swapped, victim);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == Code::kForbidden);
    CHECK(refused.status().message() == msg::kSignatureInvalid);
    CHECK(f.Snapshot() == before);
    const auto rows = f.Audit("exchange.refused");
    REQUIRE(rows.size() == 1);
    CHECK(json::parse(rows[0].detail)["why"] == "body_hash");
    // Not the integration's request: its nonce is unused, the genuine one goes through once.
    auto genuine = f.auth->exchange_external_customer_token(r, kRoni);
    REQUIRE(genuine.ok());
    CHECK(genuine->customer.email == "roni_cost@example.com");
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).status().message() ==
          oauth_msg::kNonceUsed);
  }
  SECTION("a JSON body without oauth_body_hash: accepted by default") {
    CHECK(f.auth->exchange_external_customer_token(f.Next(), kRoni).ok());
  }
  SECTION("exchange_require_body_hash refuses a JSON body without one") {
    AuthOptions o = Options(f.keys, f.clock);
    o.exchange_require_body_hash = true;
    auto strict = CustomerAuth::Open(f.storage, o);
    REQUIRE(strict.ok());
    const HttpRequest r = f.Next();
    const std::string before = f.Snapshot();
    auto refused = (*strict)->exchange_external_customer_token(r, kRoni);
    CHECK(refused.code() == Code::kForbidden);
    CHECK(refused.status().message() == msg::kSignatureInvalid);
    CHECK(f.Snapshot() == before);
    // Refused before it counted as signed: its nonce is unused (a lenient handle takes it).
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).ok());
    // With the hash, a form body, or no body at all, it is accepted.
    CHECK((*strict)->exchange_external_customer_token(next(hashed), kRoni).ok());
    Body form;
    form.content_type = "application/x-www-form-urlencoded; charset=UTF-8";
    form.bytes = "query=mutation&x=1";
    CHECK((*strict)->exchange_external_customer_token(next(form), kRoni).ok());
    Body empty;
    empty.bytes.clear();
    CHECK((*strict)->exchange_external_customer_token(next(empty), kRoni).ok());
    // A wrong hash is refused on both handles.
    Body wrong = hashed;
    HttpRequest w = next(wrong);
    w.body += " ";
    CHECK((*strict)->exchange_external_customer_token(w, kRoni).status().message() ==
          msg::kSignatureInvalid);
    CHECK(f.auth->exchange_external_customer_token(w, kRoni).status().message() ==
          msg::kSignatureInvalid);
  }
}

TEST_CASE("exchange: a stale timestamp is audited only under a valid signature") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  // Anyone can send a stale request with a made-up signature: no audit row for it.
  auto forged = f.auth->exchange_external_customer_token(
      Signed(f.creds, f.now_s() - 601, "s1", "HMAC-SHA256", "wrong-secret"), kRoni);
  CHECK(forged.status().message() == oauth_msg::kTimestampRefused);
  CHECK(f.AuditCount("exchange.refused") == 0);
  // The integration's own stale request (or a replay of it once the window passed) is audited.
  const HttpRequest stale = Signed(f.creds, f.now_s() - 601, "s2");
  CHECK(f.auth->exchange_external_customer_token(stale, kRoni).status().message() ==
        oauth_msg::kTimestampRefused);
  const auto rows = f.Audit("exchange.refused");
  REQUIRE(rows.size() == 1);
  CHECK(json::parse(rows[0].detail)["why"] == "timestamp");
  CHECK(json::parse(rows[0].detail)["email"] == "roni_cost@example.com");
  CHECK(rows[0].actor == "integration:" + f.creds.consumer_key);
  // A future one, signed: refused and audited, and accepted later, once, when its time comes.
  const HttpRequest early = Signed(f.creds, f.now_s() + 601, "s3");
  CHECK(f.auth->exchange_external_customer_token(early, kRoni).code() == Code::kForbidden);
  CHECK(f.AuditCount("exchange.refused") == 2);
  f.clock->advance(kSecond);
  CHECK(f.auth->exchange_external_customer_token(early, kRoni).ok());
  CHECK(f.auth->exchange_external_customer_token(early, kRoni).status().message() ==
        oauth_msg::kNonceUsed);
}

TEST_CASE("exchange: a request at the window's edge cannot replay") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  SECTION("first sent at the edge") {
    const HttpRequest r = Signed(f.creds, f.now_s() - 600, "edge-1");
    REQUIRE(f.auth->exchange_external_customer_token(r, kRoni).ok());
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).status().message() ==
          oauth_msg::kNonceUsed);
  }
  SECTION("first sent at once, replayed at the last accepted moment") {
    const HttpRequest r = Signed(f.creds, f.now_s(), "edge-2");
    REQUIRE(f.auth->exchange_external_customer_token(r, kRoni).ok());
    f.clock->advance(600 * kSecond);  // the timestamp is exactly 600 s old: still accepted
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).status().message() ==
          oauth_msg::kNonceUsed);
    f.clock->advance(1);  // one millisecond later the timestamp itself is refused
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).status().message() ==
          oauth_msg::kTimestampRefused);
  }
  SECTION("a future timestamp at the edge") {
    const HttpRequest r = Signed(f.creds, f.now_s() + 600, "edge-3");
    REQUIRE(f.auth->exchange_external_customer_token(r, kRoni).ok());
    f.clock->advance(1200 * kSecond);
    CHECK(f.auth->exchange_external_customer_token(r, kRoni).status().message() ==
          oauth_msg::kNonceUsed);
  }
}

TEST_CASE("exchange: the fragment never supplies the query; the port is a number") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  // Signed over https://shop.example/graphql?a=1, sent as ...#?a=1: the signed query is absent.
  HttpRequest r = f.Next();
  r.url = "https://shop.example/graphql?a=1";
  r.authorization = r.authorization.substr(0, r.authorization.find(", oauth_signature=\""));
  auto base = SignatureBaseString(r);
  REQUIRE(base.ok());
  auto sig = OAuthSignature(kOAuthHmacSha256, *base, f.creds.consumer_secret, f.creds.token_secret);
  REQUIRE(sig.ok());
  r.authorization += ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
  HttpRequest fragment = r;
  fragment.url = "https://shop.example/graphql#?a=1";
  CHECK(f.auth->exchange_external_customer_token(fragment, kRoni).status().message() ==
        msg::kSignatureInvalid);
  CHECK(f.auth->exchange_external_customer_token(r, kRoni).ok());
  // Port 0443 is the default port of https: the same signed URL.
  HttpRequest p = f.Next();
  p.url = "https://shop.example:0443/graphql";
  CHECK(f.auth->exchange_external_customer_token(p, kRoni).ok());
}

TEST_CASE("exchange_require_body_hash through the C ABI's options (struct version 3 and JSON)") {
  // Opens a test handle (its clock at 1748499421000), makes an integration and exchanges a JSON
  // body with and without oauth_body_hash; returns whether each was accepted.
  auto run = [](custauth_t* db) {
    REQUIRE(db != nullptr);
    char* out = nullptr;
    REQUIRE(custauth_call(&out, db, "integration_create",
                          R"({"name":"Social","permissions":["exchange_external_customer_token"]})",
                          nullptr) == CUSTAUTH_OK);
    const json made = json::parse(out)["integration"];
    custauth_free(out);
    IntegrationCredentials c;
    c.consumer_key = made["consumer_key"];
    c.consumer_secret = made["consumer_secret"];
    c.access_token = made["access_token"];
    c.token_secret = made["token_secret"];
    std::vector<bool> accepted;
    for (bool hash : {false, true}) {
      Body body;
      body.hash = hash;
      const HttpRequest r =
          Signed(c, 1748499421, hash ? "with" : "without", "HMAC-SHA256", {}, body);
      const json args = {{"request",
                          {{"method", r.method},
                           {"url", r.url},
                           {"authorization", r.authorization},
                           {"content_type", r.content_type},
                           {"body", r.body}}},
                         {"input", json::parse(kRoni)}};
      const int rc =
          custauth_call(&out, db, "exchange_external_customer_token", args.dump().c_str(), nullptr);
      const json result = json::parse(out);
      custauth_free(out);
      if (rc != CUSTAUTH_OK) CHECK(result["errors"][0]["message"] == msg::kSignatureInvalid);
      accepted.push_back(rc == CUSTAUTH_OK);
    }
    custauth_close(db);
    return accepted;
  };
  const std::vector<bool> lenient = {true, true};
  const std::vector<bool> strict = {false, true};
  custauth_t* db = nullptr;

  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  CHECK(o.version >= 3u);
  CHECK(o.exchange_require_body_hash == 0);
  o.test_flags = CUSTAUTH_TEST_HANDLE;
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  REQUIRE(custauth_open(&db, "memory:", &o) == CUSTAUTH_OK);
  CHECK(run(db) == lenient);
  o.exchange_require_body_hash = 1;
  REQUIRE(custauth_open(&db, "memory:", &o) == CUSTAUTH_OK);
  CHECK(run(db) == strict);
  // A version-2 struct ends before the field: whatever lies there is not read.
  o.version = 2;
  REQUIRE(custauth_open(&db, "memory:", &o) == CUSTAUTH_OK);
  CHECK(run(db) == lenient);

  REQUIRE(custauth_open_json(
              &db, "memory:", R"({"test":true,"exchange_require_body_hash":true})") == CUSTAUTH_OK);
  CHECK(run(db) == strict);
  REQUIRE(custauth_open_json(&db, "memory:",
                             R"({"test":true,"exchange_require_body_hash":false})") == CUSTAUTH_OK);
  CHECK(run(db) == lenient);
  CHECK(custauth_open_json(&db, "memory:", R"({"exchange_require_body_hash":1})") ==
        CUSTAUTH_EINVALID);
  CHECK(custauth_open_json(
            &db, "memory:", R"({"version":2,"test":true,"exchange_require_body_hash":true})") ==
        CUSTAUTH_EINVALID);
}

}  // namespace exchange_test
