// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The libjwt peer (Debian's libjwt 1.10): jwt_decode with the key, then the checks a host makes
// itself (libjwt 1.10 checks no claims): alg, kid, exp, uid and utypid. And jwt_encode_str for
// the issue benchmark. Kept apart from cpp-jwt: libjwt's `struct jwt` clashes with its namespace.
#include <benchmark/benchmark.h>
#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "jwt_fixture.h"

namespace custauth_bench {
namespace {

bool LibjwtVerify(const JwtFixture& f, const char* token) {
  jwt_t* jwt = nullptr;
  if (jwt_decode(&jwt, token, reinterpret_cast<const unsigned char*>(f.key.data()),
                 static_cast<int>(f.key.size())) != 0) {
    return false;
  }
  bool ok = jwt_get_alg(jwt) == JWT_ALG_HS256;
  const char* kid = ok ? jwt_get_header(jwt, "kid") : nullptr;
  ok = ok && kid != nullptr && f.kid == kid;
  if (ok) {
    errno = 0;
    const long exp = jwt_get_grant_int(jwt, "exp");
    const long uid = jwt_get_grant_int(jwt, "uid");
    const long utypid = jwt_get_grant_int(jwt, "utypid");
    ok = errno == 0 && exp > NowSeconds() && uid > 0 && utypid == 3;
    benchmark::DoNotOptimize(uid);
  }
  jwt_free(jwt);
  return ok;
}

void BM_Verify_Libjwt(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  std::string tampered = f.token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  if (!LibjwtVerify(f, f.token.c_str()) || LibjwtVerify(f, tampered.c_str())) {
    state.SkipWithError("libjwt does not verify the fixture token as expected");
    return;
  }
  for (auto _ : state) {
    bool ok = LibjwtVerify(f, f.token.c_str());
    benchmark::DoNotOptimize(ok);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Verify_Libjwt)->Arg(0)->Arg(1);
BENCHMARK(BM_Verify_Libjwt)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();  // scaling

char* LibjwtEncode(const JwtFixture& f) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return nullptr;
  const std::int64_t iat = NowSeconds();
  char* out = nullptr;
  if (jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(f.key.data()),
                  static_cast<int>(f.key.size())) == 0 &&
      jwt_add_header(jwt, "kid", f.kid.c_str()) == 0 &&
      jwt_add_grant_int(jwt, "uid", static_cast<long>(f.uid)) == 0 &&
      jwt_add_grant_int(jwt, "utypid", 3) == 0 &&
      jwt_add_grant_int(jwt, "iat", static_cast<long>(iat)) == 0 &&
      jwt_add_grant_int(jwt, "exp", static_cast<long>(iat + 3600)) == 0) {
    out = jwt_encode_str(jwt);
  }
  jwt_free(jwt);
  return out;
}

void BM_Issue_Libjwt(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  char* sample = LibjwtEncode(f);
  const bool ok = sample != nullptr && LibjwtVerify(f, sample);
  std::free(sample);
  if (!ok) {
    state.SkipWithError("libjwt's encoded token does not verify");
    return;
  }
  for (auto _ : state) {
    char* token = LibjwtEncode(f);
    benchmark::DoNotOptimize(token);
    std::free(token);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Issue_Libjwt)->Arg(0)->Arg(1);
BENCHMARK(BM_Issue_Libjwt)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();  // scaling

}  // namespace
}  // namespace custauth_bench
