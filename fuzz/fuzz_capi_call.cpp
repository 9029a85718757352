// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the C ABI's one JSON entry point, custauth_call(&out, handle, operation, args_json,
// context_json), on an in-memory handle with the cheapest Argon2id. The first byte
// picks the operation (one of the documented ones, or a fuzzed name); the rest is args_json and
// context_json. A customer with consent and a password exists, so that the operations reach
// storage, not only their argument checks.
// Invariants (custauth.h): out is ALWAYS a JSON object, holding "errors" exactly when the
// return code is not CUSTAUTH_OK; the code is 0 or one of the CUSTAUTH_E* codes;
// custauth_error_last() is never NULL and empty exactly on success; no exception escapes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "custauth.h"

namespace {

constexpr const char* kOperations[] = {"customer_create",
                                       "customer_update",
                                       "customer_find",
                                       "generate_customer_token",
                                       "request_password_reset",
                                       "reset_password",
                                       "change_password",
                                       "issue_otc",
                                       "exchange_otc",
                                       "verify_token",
                                       "revoke_customer_tokens",
                                       "sign_in",
                                       "renew_token",
                                       "revoke_session",
                                       "list_sessions",
                                       "audit_list",
                                       "integration_create",
                                       "integration_list",
                                       "integration_revoke",
                                       "integration_set_permissions",
                                       "exchange_external_customer_token",
                                       "keys_generate",
                                       "version"};
constexpr std::size_t kOperationCount = sizeof kOperations / sizeof kOperations[0];
constexpr int kCallsPerHandle = 5000;  // a fresh handle now and then keeps memory bounded

custauth_t* OpenHandle() {
  custauth_options o;
  if (custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION) != CUSTAUTH_OK) std::abort();
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  o.sessions = 1;  // the session operations then do their work
  custauth_t* db = nullptr;
  if (custauth_open(&db, "memory:", &o) != CUSTAUTH_OK) std::abort();
  char* out = nullptr;
  if (custauth_customer_create(&out, db, "roni_cost@example.com", "Roni", "Cost", "Password123",
                               CUSTAUTH_CUSTOMER_ALLOW_REMOTE_ASSISTANCE, nullptr) != CUSTAUTH_OK) {
    std::abort();
  }
  custauth_free(out);
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static custauth_t* db = nullptr;
  static int calls = 0;
  if (db == nullptr || ++calls >= kCallsPerHandle) {
    custauth_close(db);
    db = OpenHandle();
    calls = 0;
  }
  FuzzedDataProvider fdp(data, size);
  const std::uint8_t pick = fdp.ConsumeIntegral<std::uint8_t>();
  std::string op = pick < kOperationCount ? kOperations[pick]
                   : pick == 255          ? fdp.ConsumeRandomLengthString(40)
                                          : kOperations[pick % kOperationCount];
  const bool null_context = fdp.ConsumeBool();
  const std::string context = fdp.ConsumeRandomLengthString(256);
  const std::string args = fdp.ConsumeRemainingBytesAsString();

  char* out = nullptr;
  const int rc =
      custauth_call(&out, db, op.c_str(), args.c_str(), null_context ? nullptr : context.c_str());
  if (rc > 0 || rc < -15) std::abort();
  if (out == nullptr) std::abort();
  const char* last = custauth_error_last();
  if (last == nullptr || (rc == CUSTAUTH_OK) != (*last == '\0')) std::abort();
  if (custauth_error_last_code() != rc) std::abort();
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) std::abort();
  if ((rc != CUSTAUTH_OK) != j.contains("errors")) std::abort();
  custauth_free(out);
  return 0;
}
