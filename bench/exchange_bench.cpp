// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// exchangeExternalCustomerToken for an existing customer, single thread: OAuth 1.0a verification
// (HMAC-SHA256, RFC 5849), the integration lookup, the nonce insert, the customer lookup and the
// token. Its peer, oauthlib's server-side verification of the same kind of request, runs in
// bench/py_oauth.py (Python); scripts/bench puts both in RESULTS.md.
//
// Requests are signed before the timed loop (a client's work), each with its own nonce, as a
// client sends them: Authorization: OAuth ..., a JSON GraphQL body (not signed).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "custauth/oauth1.h"
#include "custauth/sqlite_storage.h"

namespace custauth_bench {
namespace {

constexpr char kUrl[] = "https://shop.example/graphql";
constexpr char kInput[] =
    R"({"customer":{"email":"roni_cost@example.com","firstname":"Veronica","lastname":"Costello"}})";

struct ExchangeWorld {
  std::shared_ptr<CountingStorage> storage;
  std::unique_ptr<custauth::CustomerAuth> auth;
  custauth::IntegrationCredentials creds;
};

ExchangeWorld MakeWorld(bool sqlite) {
  ExchangeWorld w;
  std::shared_ptr<custauth::Storage> base;
  if (sqlite) {
    auto s = custauth::OpenSqliteStorage(BenchFile("bench_exchange.db"));
    if (!s.ok()) Die("OpenSqliteStorage", s.status());
    base = std::move(s).value();
  } else {
    base = custauth::MakeMemoryStorage();
  }
  w.storage = std::make_shared<CountingStorage>(base);
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  auto auth = custauth::CustomerAuth::Open(w.storage, options);
  if (!auth.ok()) Die("CustomerAuth::Open", auth.status());
  w.auth = std::move(auth).value();
  auto creds = w.auth->create_integration(
      "social-login", {std::string(custauth::kPermissionExchangeExternalCustomerToken)});
  if (!creds.ok()) Die("create_integration", creds.status());
  w.creds = std::move(creds).value();
  return w;
}

// A POST to kUrl signed with HMAC-SHA256 by the integration, with nonce `n`.
custauth::HttpRequest SignedRequest(const custauth::IntegrationCredentials& c, std::int64_t n,
                                    std::int64_t now_s) {
  using custauth::PercentEncode;
  custauth::HttpRequest r;
  r.method = "POST";
  r.url = kUrl;
  r.content_type = "application/json";
  r.body = R"({"query":"mutation { exchangeExternalCustomerToken(input: $input) { token } }"})";
  std::string header = "OAuth oauth_consumer_key=\"" + PercentEncode(c.consumer_key) +
                       "\", oauth_nonce=\"bench" + std::to_string(n) + "x" + std::to_string(now_s) +
                       "\", oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"" +
                       std::to_string(now_s) + "\", oauth_token=\"" +
                       PercentEncode(c.access_token) + "\", oauth_version=\"1.0\"";
  r.authorization = header;
  auto base = custauth::SignatureBaseString(r);
  if (!base.ok()) Die("SignatureBaseString", base.status());
  auto sig = custauth::OAuthSignature(custauth::kOAuthHmacSha256, *base, c.consumer_secret,
                                      c.token_secret);
  if (!sig.ok()) Die("OAuthSignature", sig.status());
  r.authorization = header + ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
  return r;
}

void BM_Exchange_Custauth(benchmark::State& state) {
  const bool sqlite = state.range(0) == 1;
  ExchangeWorld w = MakeWorld(sqlite);
  const std::int64_t now_s = w.auth->clock().now() / 1000;
  // The first exchange creates the customer; the benchmark measures existing customers.
  auto first = w.auth->exchange_external_customer_token(SignedRequest(w.creds, 0, now_s), kInput);
  if (!first.ok() || !first->created) {
    state.SkipWithError(first.ok() ? "the customer was not created"
                                   : first.status().ToString().c_str());
    return;
  }
  // A replay must be refused (the nonce store works).
  auto replay = w.auth->exchange_external_customer_token(SignedRequest(w.creds, 0, now_s), kInput);
  if (replay.ok()) {
    state.SkipWithError("a replayed nonce was accepted");
    return;
  }
  const std::int64_t count = state.max_iterations;
  std::vector<custauth::HttpRequest> requests;
  requests.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 1; i <= count; ++i) requests.push_back(SignedRequest(w.creds, i, now_s));
  const std::int64_t writes_before = w.storage->writes();
  std::size_t next = 0;
  for (auto _ : state) {
    auto r = w.auth->exchange_external_customer_token(requests[next++], kInput);
    if (!r.ok() || r->created) {
      state.SkipWithError(r.ok() ? "created twice" : r.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["writes_per_exchange"] = static_cast<double>(w.storage->writes() - writes_before) /
                                          static_cast<double>(state.iterations());
  state.SetLabel(sqlite ? "sqlite-file(WAL,FULL)" : "memory");
}
// Fixed iteration counts: every request is signed before the loop with its own nonce.
BENCHMARK(BM_Exchange_Custauth)
    ->Arg(1)
    ->Iterations(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Exchange_Custauth)
    ->Arg(0)
    ->Iterations(20000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace custauth_bench

BENCHMARK_MAIN();
