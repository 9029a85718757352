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

namespace ca = custauth;
namespace capi = custauth::capi;
using Facade = custauth::CustomerAuth;
using capi::Arg;
using capi::Context;

extern "C" {

int custauth_test_clock_set(custauth_t* db, int64_t now_ms) {
  return capi::StatusOf(db, nullptr,
                        [&](Facade& auth, const Context&) { return auth.test_set_time(now_ms); });
}

int custauth_test_clock_advance(custauth_t* db, int64_t delta_ms) {
  return capi::StatusOf(db, nullptr,
                        [&](Facade& auth, const Context&) { return auth.test_advance(delta_ms); });
}

int custauth_test_clock_now(int64_t* out, custauth_t* db) {
  return capi::Guard([&] {
    if (out == nullptr) capi::Invalid("out is NULL");
    *out = 0;
    Facade& auth = capi::Auth(db);
    if (!auth.is_test_handle()) {
      return capi::Fail(ca::Status(ca::Code::kForbidden, capi::kClockReadNeedsTestHandle));
    }
    *out = auth.clock().now();
    return CUSTAUTH_OK;
  });
}

int custauth_test_secret_last(char** out, custauth_t* db, const char* email, int kind,
                              const custauth_context* ctx) {
  return capi::StringOut(
      out, db, ctx, [&](Facade& auth, const Context& c) -> ca::Result<std::string> {
        // A production handle is refused before the kind is looked at.
        const bool test_handle = auth.is_test_handle();
        if (!test_handle)
          return ca::Status(ca::Code::kForbidden, ca::testing::kSecretsNeedTestHandle);
        if (kind != CUSTAUTH_SECRET_RESET_TOKEN && kind != CUSTAUTH_SECRET_ADMIN_OTC) {
          capi::Invalid("kind must be CUSTAUTH_SECRET_RESET_TOKEN or CUSTAUTH_SECRET_ADMIN_OTC");
        }
        return auth.test_last_secret(kind == CUSTAUTH_SECRET_RESET_TOKEN
                                         ? ca::SecretKind::kPasswordReset
                                         : ca::SecretKind::kAdminOtc,
                                     Arg(email), c.website_id);
      });
}

int custauth_test_customers_create(char** out, custauth_t* db, const char* customers_json,
                                   const custauth_context* ctx) {
  return capi::ListOut(
      out, db, ctx,
      [&](Facade& auth, const Context& c) {
        return ca::testing::CreateCustomersFromJson(auth, Arg(customers_json), c.request,
                                                    c.website_id);
      },
      [](const ca::Customer& customer) { return ca::internal::CustomerToJson(customer, true); });
}

}  // extern "C"
