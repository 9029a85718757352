// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Parsing an OAuth 1.0a request with many parameter names, before any credential is checked:
// 8,000 and 80,000 distinct oauth_* names, in a form body (OAuth1Verifier::read: the parameter
// parse, the base string, the duplicate check) and in an Authorization header
// (ParseAuthorizationHeader). Linear parsing takes about 10 times as long for 10 times the names;
// a duplicate scan per name (what custauth did before) took 100 times as long.
//
// The caps (256 parameters, 256 KiB) refuse such requests before parsing; to measure the parsers
// themselves the benchmark raises them. BM_OAuthParse_DefaultCaps is what an attacker meets: the
// 80,000-name body refused by the default caps.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "custauth/memory_storage.h"
#include "custauth/oauth1.h"

namespace custauth_bench {
namespace {

constexpr custauth::TimeMs kNow = 1748499421000;

// A signed-looking POST: the six protocol parameters in the header, `names` distinct oauth_x<i>
// names in the form body.
custauth::HttpRequest ManyNames(std::int64_t names) {
  custauth::HttpRequest r;
  r.method = "POST";
  r.url = "https://shop.example/graphql";
  r.content_type = "application/x-www-form-urlencoded";
  for (std::int64_t i = 0; i < names; ++i) {
    if (i > 0) r.body += '&';
    r.body += "oauth_x" + std::to_string(i) + "=v";
  }
  r.authorization = "OAuth oauth_consumer_key=\"" + std::string(32, 'k') + "\", oauth_token=\"" +
                    std::string(32, 't') +
                    "\", oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"" +
                    std::to_string(kNow / 1000) +
                    "\", oauth_nonce=\"n\", oauth_version=\"1.0\", oauth_signature=\"c2ln\"";
  return r;
}

std::string HeaderOfNames(std::int64_t names) {
  std::string h = "OAuth ";
  for (std::int64_t i = 0; i < names; ++i) {
    if (i > 0) h += ", ";
    h += "oauth_x" + std::to_string(i) + "=\"v\"";
  }
  return h;
}

void Report(benchmark::State& state, std::size_t bytes) {
  state.counters["names"] = static_cast<double>(state.range(0));
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_OAuthParse_FormBody(benchmark::State& state) {
  auto storage = custauth::MakeMemoryStorage();
  custauth::ManualClock clock(kNow);
  custauth::OAuth1Options wide;
  wide.max_parameters = 1 << 20;
  wide.max_request_bytes = 64 << 20;
  custauth::OAuth1Verifier verifier(*storage, clock, wide);
  const custauth::HttpRequest r = ManyNames(state.range(0));
  for (auto _ : state) {
    auto parsed = verifier.read(r);
    if (!parsed.ok()) {
      state.SkipWithError(parsed.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(parsed->base_string.data());
  }
  Report(state, r.body.size());
}
BENCHMARK(BM_OAuthParse_FormBody)->Arg(8000)->Arg(80000)->Unit(benchmark::kMillisecond);

void BM_OAuthParse_Header(benchmark::State& state) {
  const std::string header = HeaderOfNames(state.range(0));
  for (auto _ : state) {
    auto parsed = custauth::ParseAuthorizationHeader(header);
    if (!parsed.ok()) {
      state.SkipWithError(parsed.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(parsed->params.data());
  }
  Report(state, header.size());
}
BENCHMARK(BM_OAuthParse_Header)->Arg(8000)->Arg(80000)->Unit(benchmark::kMillisecond);

void BM_OAuthParse_DefaultCaps(benchmark::State& state) {
  auto storage = custauth::MakeMemoryStorage();
  custauth::ManualClock clock(kNow);
  custauth::OAuth1Verifier verifier(*storage, clock);
  const custauth::HttpRequest r = ManyNames(state.range(0));
  for (auto _ : state) {
    auto parsed = verifier.read(r);
    if (parsed.ok() || parsed.code() != custauth::Code::kInvalidInput) {
      state.SkipWithError("the default caps did not refuse the request");
      break;
    }
    benchmark::DoNotOptimize(parsed.status().message().data());
  }
  Report(state, r.body.size());
}
BENCHMARK(BM_OAuthParse_DefaultCaps)->Arg(80000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace custauth_bench

BENCHMARK_MAIN();
