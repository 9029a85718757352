// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the input of exchangeExternalCustomerToken (the mutation's `input` JSON, with its
// CustomerCreateInput) behind a request that the harness signs correctly, so that every input
// reaches the input validation and, when valid, find-or-create and token issue.
// The fuzzer's bytes are the input JSON; inputs of odd length go through the GraphQL-shaped
// variant. Each call gets a fresh nonce and the current timestamp; the clock moves 1 s per call.
// Invariants:
//   - success returns a confirmed, active customer whose email matches the input's (ignoring
//     ASCII case), and a token that verifies for that customer;
//   - the GraphQL variant always returns a JSON object with exactly one of "data" and "errors";
//   - a refusal is one of the codes the header documents for the input (kInvalidInput).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "custauth/oauth1.h"

using namespace custauth;

namespace {

constexpr TimeMs kStart = 1748499421000;
constexpr int kCallsPerWorld = 20000;  // a fresh storage now and then keeps memory bounded

struct World {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kStart);
  std::unique_ptr<CustomerAuth> auth;
  IntegrationCredentials creds;
  std::uint64_t nonce = 0;
  int calls = 0;

  World() {
    AuthOptions o;
    o.keys.secret_key = std::string(32, 's');
    o.keys.seal_key = std::string(32, 'e');
    o.keys.jwt_keys.push_back({"1", std::string(32, 'k')});
    o.clock = clock;
    o.random = std::make_shared<SeededRandom>(3);
    o.argon2 = CheapArgon2ForTests();
    auto a = CustomerAuth::Open(std::shared_ptr<Storage>(MakeMemoryStorage()), o);
    if (!a.ok()) std::abort();
    auth = std::move(a).value();
    auto c =
        auth->create_integration("fuzz", {std::string(kPermissionExchangeExternalCustomerToken)});
    if (!c.ok()) std::abort();
    creds = *c;
    // One existing customer, so that "find" is reached as well as "create".
    CustomerInput in;
    in.email = "roni_cost@example.com";
    in.firstname = "Roni";
    in.lastname = "Cost";
    if (!auth->create_customer(in).ok()) std::abort();
  }

  HttpRequest Signed() {
    clock->advance(kSecond);
    HttpRequest req;
    req.method = "POST";
    req.url = "https://shop.example/graphql";
    req.content_type = "application/json";
    const std::string params = "oauth_consumer_key=\"" + creds.consumer_key + "\", oauth_token=\"" +
                               creds.access_token +
                               "\", oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"" +
                               std::to_string(clock->now() / 1000) + "\", oauth_nonce=\"n" +
                               std::to_string(++nonce) + "\", oauth_version=\"1.0\"";
    req.authorization = "OAuth " + params;
    auto base = SignatureBaseString(req);
    if (!base.ok()) std::abort();
    auto sig = OAuthSignature(kOAuthHmacSha256, *base, creds.consumer_secret, creds.token_secret);
    if (!sig.ok()) std::abort();
    req.authorization += ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
    return req;
  }
};

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<World> world;
  if (!world || world->calls >= kCallsPerWorld) world = std::make_unique<World>();
  World& w = *world;
  ++w.calls;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const HttpRequest req = w.Signed();

  if (size % 2 == 1) {
    const std::string out = w.auth->exchange_external_customer_token_graphql(req, input);
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();
    if (j.contains("data") == j.contains("errors")) std::abort();
    return 0;
  }

  auto r = w.auth->exchange_external_customer_token(req, input);
  if (!r.ok()) {
    if (r.code() != Code::kInvalidInput) std::abort();  // the request itself is always valid
    return 0;
  }
  const nlohmann::json j = nlohmann::json::parse(input);  // accepted input is valid JSON
  const std::string email = j.at("customer").at("email").get<std::string>();
  if (AsciiLower(email) != AsciiLower(r->customer.email)) std::abort();
  if (!r->customer.confirmed || !r->customer.is_active || r->customer.id <= 0) std::abort();
  auto claims = w.auth->verify_token(r->token);
  if (!claims.ok() || claims->customer_id != r->customer.id) std::abort();
  return 0;
}
