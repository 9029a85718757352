// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A host in C++, built against an installed custauth: the C++ API.
#include <cstdio>
#include <string>

#include "custauth/auth.h"
#include "custauth/json.h"
#include "custauth/keys.h"
#include "custauth/memory_storage.h"
#include "custauth/password.h"
#include "custauth/version.h"

int main() {
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  options.argon2 = custauth::CheapArgon2ForTests();
  auto auth = custauth::CustomerAuth::Open(custauth::MakeMemoryStorage(), options);
  if (!auth.ok()) return 1;
  custauth::CustomerInput in;
  in.email = "roni_cost@example.com";
  in.firstname = "Veronica";
  in.lastname = "Costello";
  in.password = "Password123";
  auto customer = (*auth)->create_customer(in);
  if (!customer.ok()) return 1;
  // The installed JSON shapes (custauth/json.h).
  const std::string shown = custauth::CustomerJson(*customer);
  if (shown.find("\"email\":\"roni_cost@example.com\"") == std::string::npos) return 1;
  auto token = (*auth)->generate_customer_token(in.email, "Password123");
  if (!token.ok()) return 1;
  auto claims = (*auth)->verify_token(*token);
  if (!claims.ok()) return 1;
  std::printf("consumer (C++, custauth %s): uid %lld\n", custauth::VersionString(),
              static_cast<long long>(claims->customer_id));
  return 0;
}
