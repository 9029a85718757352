// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// JWT verify and issue: custauth's full path, and the floor (one HMAC-SHA256 of the signing input
// with the key's inner and outer states precomputed). The peers are in jwt_libjwt.cpp and
// jwt_cppjwt.cpp; all run on the tokens of jwt_fixture.cpp.
//
// The floor is written here from OpenSSL's low-level SHA-256, independently of custauth's
// internal HMAC, so that it stays a floor whatever custauth's own code does.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <benchmark/benchmark.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "custauth/password.h"
#include "custauth/testing.h"
#include "jwt_fixture.h"

namespace custauth_bench {
namespace {

// HMAC-SHA256 under one key with the padded-key states hashed once (RFC 2104).
class FloorHmac {
 public:
  explicit FloorHmac(std::string_view key) {
    unsigned char block[SHA256_CBLOCK] = {};
    if (key.size() > SHA256_CBLOCK) {
      SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[SHA256_CBLOCK];
    for (std::size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&inner_);
    SHA256_Update(&inner_, pad, sizeof pad);
    for (std::size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&outer_);
    SHA256_Update(&outer_, pad, sizeof pad);
  }

  std::array<unsigned char, 32> Mac(std::string_view message) const {
    std::array<unsigned char, 32> inner_digest;
    std::array<unsigned char, 32> out;
    SHA256_CTX ctx = inner_;
    SHA256_Update(&ctx, message.data(), message.size());
    SHA256_Final(inner_digest.data(), &ctx);
    ctx = outer_;
    SHA256_Update(&ctx, inner_digest.data(), inner_digest.size());
    SHA256_Final(out.data(), &ctx);
    return out;
  }

 private:
  SHA256_CTX inner_;
  SHA256_CTX outer_;
};

// Checks the floor against the token's own signature (base64url of the MAC), so that it computes
// what verification must compute.
bool FloorMatchesToken(const JwtFixture& f) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto mac = FloorHmac(f.key).Mac(f.signing_input);
  std::string b64;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : mac) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      b64.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) b64.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return f.token.substr(f.signing_input.size() + 1) == b64;
}

void BM_Verify_Floor(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  if (!FloorMatchesToken(f)) {
    state.SkipWithError("the floor's HMAC does not match the token's signature");
    return;
  }
  const FloorHmac hmac(f.key);
  const std::string_view input = f.signing_input;
  for (auto _ : state) {
    auto mac = hmac.Mac(input);
    benchmark::DoNotOptimize(mac);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Verify_Floor)->Arg(0)->Arg(1);
BENCHMARK(BM_Verify_Floor)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();  // scaling

bool CheckCustauth(custauth::CustomerAuth& auth, const JwtFixture& f) {
  std::string tampered = f.token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  auto good = auth.verify_token(f.token);
  auto bad = auth.verify_token(tampered);
  return good.ok() && good->customer_id == f.uid && !bad.ok();
}

// CustomerAuth::verify_token: split, base64url, header, kid lookup, HMAC, payload, claims, exp,
// and the revocation check from the cache (refreshed from storage at most once a second).
void BM_Verify_Custauth(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  custauth::CustomerAuth& auth = FixtureAuth(kind);
  if (!CheckCustauth(auth, f)) {
    state.SkipWithError("custauth does not verify the fixture token as expected");
    return;
  }
  const std::string_view token = f.token;
  for (auto _ : state) {
    auto claims = auth.verify_token(token);
    benchmark::DoNotOptimize(claims);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Verify_Custauth)->Arg(0)->Arg(1);
// Scaling: 1 and 2 threads on one CustomerAuth (the shared revocation cache under concurrent
// readers), in wall time. A run on 2 threads reports the wall time over both threads' iterations,
// i.e. 1 / the aggregate rate; every peer and the floor have the same pair of runs.
BENCHMARK(BM_Verify_Custauth)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();

// The same verify with sessions on (TokenOptions::sessions): a token of a live session, whose
// payload carries "sid", checked against the session as well as the customer (both from the
// revocation cache). One handle of its own on memory storage; 32-byte key.
void BM_Verify_CustauthSessions(benchmark::State& state) {
  custauth::AuthOptions o;
  o.keys = custauth::testing::TestKeys(41);
  o.argon2 = custauth::CheapArgon2ForTests();
  o.tokens.sessions = true;
  auto auth = custauth::CustomerAuth::Open(custauth::MakeMemoryStorage(), o);
  custauth::CustomerInput in;
  in.email = "roni_cost@example.com";
  in.firstname = "Veronica";
  in.lastname = "Costello";
  in.password = "Password123";
  if (!auth.ok() || !(*auth)->create_customer(in).ok()) {
    state.SkipWithError("no sessions fixture");
    return;
  }
  auto issued = (*auth)->sign_in(in.email, *in.password);
  if (!issued.ok() || issued->session_id <= 0 || !(*auth)->verify_token(issued->token).ok()) {
    state.SkipWithError("the session token does not verify");
    return;
  }
  const std::string token = issued->token;
  for (auto _ : state) {
    auto claims = (*auth)->verify_token(token);
    benchmark::DoNotOptimize(claims);
  }
  state.SetLabel("key:32B sessions");
}
BENCHMARK(BM_Verify_CustauthSessions);

// TokenIssuer::issue: the platform-shaped header and payload, base64url, HMAC.
void BM_Issue_Custauth(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  custauth::CustomerAuth& auth = FixtureAuth(kind);
  auto customer = auth.find_customer_by_id(f.uid);
  if (!customer.ok()) {
    state.SkipWithError("no fixture customer");
    return;
  }
  auto sample = auth.tokens().issue(*customer);
  if (!sample.ok() || !auth.verify_token(*sample).ok()) {
    state.SkipWithError("custauth's issued token does not verify");
    return;
  }
  for (auto _ : state) {
    auto token = auth.tokens().issue(*customer);
    benchmark::DoNotOptimize(token);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Issue_Custauth)->Arg(0)->Arg(1);
BENCHMARK(BM_Issue_Custauth)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();  // scaling

}  // namespace
}  // namespace custauth_bench

int main(int argc, char** argv) {
  // Build the fixtures (keys, storage, tokens) before anything is timed.
  (void)custauth_bench::Fixture(custauth_bench::KeyKind::kRandom32);
  (void)custauth_bench::Fixture(custauth_bench::KeyKind::kPlatform);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
