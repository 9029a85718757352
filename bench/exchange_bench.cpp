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
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "fixtures.h"

namespace custauth_bench {
namespace {

void BM_Exchange_Custauth(benchmark::State& state) {
  const bool sqlite = state.range(0) == 1;
  ExchangeWorld w =
      MakeExchangeWorld(sqlite ? FreshSqlite("bench_exchange.db") : custauth::MakeMemoryStorage());
  const std::int64_t now_s = w.auth->clock().now() / 1000;
  // The first exchange creates the customer (the benchmark measures existing customers), and a
  // replay of it must be refused (the nonce store works).
  const std::string broken = ExchangeWorks(w, now_s);
  if (!broken.empty()) {
    state.SkipWithError(broken.c_str());
    return;
  }
  const std::int64_t count = state.max_iterations;
  std::vector<custauth::HttpRequest> requests;
  requests.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 1; i <= count; ++i) requests.push_back(SignedRequest(w.creds, i, now_s));
  const std::int64_t writes_before = w.storage->writes();
  std::size_t next = 0;
  for (auto _ : state) {
    const std::string failed = ExchangeExisting(*w.auth, requests[next++]);
    if (!failed.empty()) {
      state.SkipWithError(failed.c_str());
      break;
    }
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
