// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "jwt_fixture.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"

namespace custauth_bench {
namespace {

struct Built {
  JwtFixture fixture;
  std::unique_ptr<custauth::CustomerAuth> auth;
};

[[noreturn]] void Die(const char* what, const custauth::Status& s) {
  std::fprintf(stderr, "jwt fixture: %s: %s\n", what, s.message().c_str());
  std::exit(1);
}

Built Build(KeyKind kind) {
  Built b;
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  if (kind == KeyKind::kPlatform) {
    options.keys.jwt_keys = {
        {"1", custauth::PlatformJwtSecret("f3e9a1c07b5d24e8a6c1f0b39d7e2a54")}};
  }
  std::shared_ptr<custauth::Storage> storage = custauth::MakeMemoryStorage();
  // The platform's example customer id, 6.
  custauth::NewCustomer nc;
  nc.id = 6;
  nc.email = "roni_cost@example.com";
  nc.firstname = "Veronica";
  nc.lastname = "Costello";
  auto created = storage->create_customer(nc, custauth::SystemClock::Shared()->now());
  if (!created.ok()) Die("create_customer", created.status());
  auto auth = custauth::CustomerAuth::Open(storage, options);
  if (!auth.ok()) Die("CustomerAuth::Open", auth.status());
  b.auth = std::move(auth).value();
  auto token = b.auth->tokens().issue(*created);
  if (!token.ok()) Die("issue", token.status());
  // Verify once: checks the token and warms the revocation cache.
  auto claims = b.auth->verify_token(*token);
  if (!claims.ok()) Die("verify_token", claims.status());
  b.fixture.token = *token;
  b.fixture.signing_input = token->substr(0, token->rfind('.'));
  b.fixture.key = options.keys.jwt_keys.back().secret;
  b.fixture.kid = claims->kid;
  b.fixture.uid = claims->customer_id;
  b.fixture.iat = claims->issued_at;
  b.fixture.exp = claims->expires_at;
  return b;
}

Built& Get(KeyKind kind) {
  static std::once_flag once[2];
  static Built built[2];
  const int i = static_cast<int>(kind);
  std::call_once(once[i], [&] { built[i] = Build(kind); });
  return built[i];
}

}  // namespace

const JwtFixture& Fixture(KeyKind kind) { return Get(kind).fixture; }

custauth::CustomerAuth& FixtureAuth(KeyKind kind) { return *Get(kind).auth; }

std::int64_t NowSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

const char* KeyLabel(KeyKind kind) {
  return kind == KeyKind::kRandom32 ? "key:32B" : "key:platform2048";
}

}  // namespace custauth_bench
