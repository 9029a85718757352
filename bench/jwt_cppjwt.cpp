// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The cpp-jwt peer (Debian's cpp-jwt 1.4): jwt::decode with algorithms({"HS256"}), the secret
// and verify(true) (which checks the signature and exp), then the kid header and the claims a
// host reads. Kept apart from libjwt: its namespace jwt clashes with libjwt's struct.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <jwt/jwt.hpp>
#include <string>
#include <system_error>

#include "jwt_fixture.h"

namespace custauth_bench {
namespace {

bool CppJwtVerify(const JwtFixture& f, const std::string& token) {
  using namespace jwt::params;
  std::error_code ec;
  auto obj = jwt::decode(token, algorithms({"HS256"}), ec, secret(f.key), verify(true));
  if (ec) return false;
  if (!obj.header().has_header("kid")) return false;
  const auto& payload = obj.payload();
  if (!payload.has_claim("uid") || !payload.has_claim("utypid")) return false;
  const auto uid = payload.get_claim_value<std::int64_t>("uid");
  const auto utypid = payload.get_claim_value<std::int64_t>("utypid");
  benchmark::DoNotOptimize(uid);
  return uid > 0 && utypid == 3;
}

void BM_Verify_CppJwt(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  std::string tampered = f.token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  if (!CppJwtVerify(f, f.token) || CppJwtVerify(f, tampered)) {
    state.SkipWithError("cpp-jwt does not verify the fixture token as expected");
    return;
  }
  for (auto _ : state) {
    bool ok = CppJwtVerify(f, f.token);
    benchmark::DoNotOptimize(ok);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Verify_CppJwt)->Arg(0)->Arg(1);
BENCHMARK(BM_Verify_CppJwt)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();  // scaling

std::string CppJwtEncode(const JwtFixture& f) {
  using namespace jwt::params;
  const std::int64_t iat = NowSeconds();
  jwt::jwt_object obj{algorithm("HS256"), secret(f.key), headers({{"kid", f.kid}})};
  obj.add_claim("uid", f.uid)
      .add_claim("utypid", 3)
      .add_claim("iat", iat)
      .add_claim("exp", iat + 3600);
  return obj.signature();
}

void BM_Issue_CppJwt(benchmark::State& state) {
  const auto kind = static_cast<KeyKind>(state.range(0));
  const JwtFixture& f = Fixture(kind);
  if (!CppJwtVerify(f, CppJwtEncode(f))) {
    state.SkipWithError("cpp-jwt's encoded token does not verify");
    return;
  }
  for (auto _ : state) {
    std::string token = CppJwtEncode(f);
    benchmark::DoNotOptimize(token);
  }
  state.SetLabel(KeyLabel(kind));
}
BENCHMARK(BM_Issue_CppJwt)->Arg(0)->Arg(1);
BENCHMARK(BM_Issue_CppJwt)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();  // scaling

}  // namespace
}  // namespace custauth_bench
