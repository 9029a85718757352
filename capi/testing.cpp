// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI's test handles (custauth.h, "Test handles"): the clock, the last secrets issued and
// fixture customers. On any other handle every function here fails with CUSTAUTH_EFORBIDDEN.
#include <cstdint>
#include <string>
#include <string_view>

#include "capi_internal.h"
#include "capi_wrappers.h"
#include "custauth/auth.h"
#include "custauth/testing.h"
#include "json.h"

extern "C" {

int custauth_test_clock_set(custauth_t* db, int64_t now_ms) {
  return StatusOf(db, nullptr,
                  [&](CustomerAuth& auth, const Context&) { return auth.test_set_time(now_ms); });
}

int custauth_test_clock_advance(custauth_t* db, int64_t delta_ms) {
  return StatusOf(db, nullptr,
                  [&](CustomerAuth& auth, const Context&) { return auth.test_advance(delta_ms); });
}

int custauth_test_clock_now(int64_t* out, custauth_t* db) {
  return Guard([&] {
    if (out == nullptr) Invalid("out is NULL");
    *out = 0;
    CustomerAuth& auth = Auth(db);
    if (!auth.is_test_handle()) {
      return Fail(Status(Code::kForbidden, kClockReadNeedsTestHandle));
    }
    *out = auth.clock().now();
    return CUSTAUTH_OK;
  });
}

int custauth_test_secret_last(char** out, custauth_t* db, const char* email, int kind,
                              const custauth_context* ctx) {
  return StringOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) -> Result<std::string> {
    // A production handle is refused before the kind is looked at.
    const bool test_handle = auth.is_test_handle();
    if (!test_handle) return Status(Code::kForbidden, testing::kSecretsNeedTestHandle);
    if (kind != CUSTAUTH_SECRET_RESET_TOKEN && kind != CUSTAUTH_SECRET_ADMIN_OTC) {
      Invalid("kind must be CUSTAUTH_SECRET_RESET_TOKEN or CUSTAUTH_SECRET_ADMIN_OTC");
    }
    return auth.test_last_secret(
        kind == CUSTAUTH_SECRET_RESET_TOKEN ? SecretKind::kPasswordReset : SecretKind::kAdminOtc,
        Arg(email), c.website_id);
  });
}

int custauth_test_customers_create(char** out, custauth_t* db, const char* customers_json,
                                   const custauth_context* ctx) {
  return ListOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) {
        return testing::CreateCustomersFromJson(auth, Arg(customers_json), c.request, c.website_id);
      },
      [](const Customer& customer) { return internal::CustomerToJson(customer, true); });
}

}  // extern "C"
