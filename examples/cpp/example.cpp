// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth from C++: open CustomerAuth on a storage, create a customer, sign in, verify, revoke.
#include <cstdio>
#include <memory>

#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/memory_storage.h"

int main() {
  custauth::AuthOptions options;
  // A host keeps its keys (custauth::LoadKeyFile("shop.key")); this example makes throwaway ones.
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  // Or custauth::OpenSqliteStorage("shop.db") (custauth/sqlite_storage.h).
  auto auth = custauth::CustomerAuth::Open(custauth::MakeMemoryStorage(), options);
  if (!auth.ok()) {
    std::fprintf(stderr, "open: %s\n", auth.status().to_string().c_str());
    return 1;
  }

  custauth::CustomerInput input;
  input.email = "roni_cost@example.com";
  input.firstname = "Veronica";
  input.lastname = "Costello";
  input.password = "Password123";
  if (auto c = (*auth)->create_customer(input); !c.ok()) {
    std::fprintf(stderr, "create: %s\n", c.status().to_string().c_str());
    return 1;
  }

  auto token = (*auth)->generate_customer_token("roni_cost@example.com", "Password123");
  if (!token.ok()) {
    std::fprintf(stderr, "sign-in: %s\n", token.status().to_string().c_str());
    return 1;
  }
  auto claims = (*auth)->verify_token(*token);
  if (!claims.ok()) {
    std::fprintf(stderr, "verify: %s\n", claims.status().to_string().c_str());
    return 1;
  }
  std::printf("token %s\ncustomer %lld, expires %lld\n", token->c_str(),
              static_cast<long long>(claims->customer_id),
              static_cast<long long>(claims->expires_at));

  // A wrong password gets the platform's one message for every failed sign-in.
  auto wrong = (*auth)->generate_customer_token("roni_cost@example.com", "not-it");
  std::printf("wrong password: %s\n", wrong.status().message().c_str());

  // Revoked tokens stop verifying at once.
  if (!(*auth)->revoke_customer_tokens("roni_cost@example.com").ok()) return 1;
  const bool revoked = (*auth)->verify_token(*token).code() == custauth::Code::kInvalidToken;
  std::printf("revoked: %s\n", revoked ? "yes" : "no");
  return revoked && wrong.code() == custauth::Code::kAuthenticationFailed ? 0 : 1;
}
