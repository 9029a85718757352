// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI's administration: keys, the audit trail, retention (custauth_prune) and
// integrations.
#include <string>
#include <vector>

#include "capi_internal.h"
#include "capi_wrappers.h"
#include "custauth/auth.h"
#include "custauth/keys.h"
#include "internal.h"
#include "json.h"

namespace ca = custauth;
namespace capi = custauth::capi;
using Facade = custauth::CustomerAuth;
using capi::Arg;
using capi::Context;

extern "C" {

int custauth_keys_generate(char** out) {
  return capi::Guard([&] {
    capi::ResetOut(out);
    ca::EnsureSodium();
    *out = capi::DupJson(capi::KeysToJson(ca::GenerateKeys(*ca::SystemRandom::Shared())));
    return CUSTAUTH_OK;
  });
}

int custauth_audit_list(char** out, custauth_t* db, const char* email, int64_t after_id,
                        size_t limit, const custauth_context* ctx) {
  return capi::ListOut(
      out, db, ctx,
      [&](Facade& auth, const Context& c) -> ca::Result<std::vector<ca::AuditRecord>> {
        if (after_id < 0) capi::Invalid("after_id must not be negative");
        if (limit > 100000) capi::Invalid("limit must be at most 100000");
        ca::AuditQuery q;
        q.after_id = after_id;
        if (limit > 0) q.limit = limit;
        if (email != nullptr) {
          auto customer = auth.find_customer(email, c.website_id);
          if (!customer.ok()) return customer.status();
          q.customer_id = customer->id;
        }
        return auth.list_audit(q);
      },
      [](const ca::AuditRecord& r) { return ca::internal::AuditToJson(r); });
}

int custauth_prune(char** out, custauth_t* db) {
  return capi::ResultOut(
      out, db, nullptr, [&](Facade& auth, const Context&) { return auth.prune(); },
      [](const ca::PruneCounts& counts) { return capi::DupJson(capi::PruneCountsToJson(counts)); });
}

int custauth_integration_create(char** out, custauth_t* db, const char* name,
                                const char* const* permissions, size_t count,
                                const custauth_context* ctx) {
  return capi::ResultOut(
      out, db, ctx,
      [&](Facade& auth, const Context& c) {
        return auth.create_integration(Arg(name), capi::ToList(permissions, count), c.request);
      },
      [](const ca::IntegrationCredentials& creds) {
        return capi::DupJson(capi::CredentialsToJson(creds));
      });
}

int custauth_integration_list(char** out, custauth_t* db) {
  return capi::ListOut(
      out, db, nullptr, [&](Facade& auth, const Context&) { return auth.list_integrations(); },
      [](const ca::Integration& i) { return capi::IntegrationToJson(i); });
}

int custauth_integration_revoke(custauth_t* db, const char* consumer_key,
                                const custauth_context* ctx) {
  return capi::StatusOf(db, ctx, [&](Facade& auth, const Context& c) {
    return auth.revoke_integration(Arg(consumer_key), c.request);
  });
}

int custauth_integration_set_permissions(custauth_t* db, const char* consumer_key,
                                         const char* const* permissions, size_t count,
                                         const custauth_context* ctx) {
  return capi::StatusOf(db, ctx, [&](Facade& auth, const Context& c) {
    return auth.set_integration_permissions(Arg(consumer_key), capi::ToList(permissions, count),
                                            c.request);
  });
}

}  // extern "C"
