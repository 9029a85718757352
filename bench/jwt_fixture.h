// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The JWT benchmarks' shared data: one platform-shaped HS256 token per key kind, issued by a
// CustomerAuth on an in-memory storage. This header names only standard types, so that the
// translation units of libjwt (struct jwt) and cpp-jwt (namespace jwt) can both include it.
#ifndef CUSTAUTH_BENCH_JWT_FIXTURE_H_
#define CUSTAUTH_BENCH_JWT_FIXTURE_H_

#include <cstdint>
#include <string>

namespace custauth {
class CustomerAuth;
}  // namespace custauth

namespace custauth_bench {

enum class KeyKind : int {
  kRandom32 = 0,  // custauth's default: 32 random bytes (GenerateKeys)
  kPlatform = 1,  // platform compatibility: a 32-character crypt key padded with '&' to 2048
};

struct JwtFixture {
  std::string token;          // header.payload.signature
  std::string signing_input;  // header.payload
  std::string key;            // the HMAC key (binary)
  std::string kid;            // "1"
  std::int64_t uid = 0;       // 6
  std::int64_t iat = 0;       // seconds
  std::int64_t exp = 0;       // seconds
};

// Built once, on first use; REQUIRES: called before the benchmarks run (main does it).
const JwtFixture& Fixture(KeyKind kind);

// The CustomerAuth that issued Fixture(kind).token (memory storage, a warm revocation cache,
// default TokenOptions: revocation_refresh 1 s).
custauth::CustomerAuth& FixtureAuth(KeyKind kind);

// Seconds since the epoch, as a host checking exp would read them.
std::int64_t NowSeconds();

// The label the benchmarks carry for a key kind.
const char* KeyLabel(KeyKind kind);

}  // namespace custauth_bench

#endif  // CUSTAUTH_BENCH_JWT_FIXTURE_H_
