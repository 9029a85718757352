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

extern "C" {

int custauth_keys_generate(char** out) {
  return Guard([&] {
    ResetOut(out);
    EnsureSodium();
    *out = DupJson(KeysToJson(GenerateKeys(*SystemRandom::Shared())));
    return CUSTAUTH_OK;
  });
}

int custauth_audit_list(char** out, custauth_t* db, const char* email, int64_t after_id,
                        size_t limit, const custauth_context* ctx) {
  return ListOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) -> Result<std::vector<AuditRecord>> {
        if (after_id < 0) Invalid("after_id must not be negative");
        if (limit > 100000) Invalid("limit must be at most 100000");
        AuditQuery q;
        q.after_id = after_id;
        if (limit > 0) q.limit = limit;
        if (email != nullptr) {
          auto customer = auth.find_customer(email, c.website_id);
          if (!customer.ok()) return customer.status();
          q.customer_id = customer->id;
        }
        return auth.list_audit(q);
      },
      [](const AuditRecord& r) { return internal::AuditToJson(r); });
}

int custauth_prune(char** out, custauth_t* db) {
  return ResultOut(
      out, db, nullptr, [&](CustomerAuth& auth, const Context&) { return auth.prune(); },
      [](const PruneCounts& counts) { return DupJson(PruneCountsToJson(counts)); });
}

int custauth_integration_create(char** out, custauth_t* db, const char* name,
                                const char* const* permissions, size_t count,
                                const custauth_context* ctx) {
  return ResultOut(
      out, db, ctx,
      [&](CustomerAuth& auth, const Context& c) {
        return auth.create_integration(Arg(name), ToList(permissions, count), c.request);
      },
      [](const IntegrationCredentials& creds) { return DupJson(CredentialsToJson(creds)); });
}

int custauth_integration_list(char** out, custauth_t* db) {
  return ListOut(
      out, db, nullptr,
      [&](CustomerAuth& auth, const Context&) { return auth.list_integrations(); },
      [](const Integration& i) { return IntegrationToJson(i); });
}

int custauth_integration_revoke(custauth_t* db, const char* consumer_key,
                                const custauth_context* ctx) {
  return StatusOf(db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.revoke_integration(Arg(consumer_key), c.request);
  });
}

int custauth_integration_set_permissions(custauth_t* db, const char* consumer_key,
                                         const char* const* permissions, size_t count,
                                         const custauth_context* ctx) {
  return StatusOf(db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.set_integration_permissions(Arg(consumer_key), ToList(permissions, count),
                                            c.request);
  });
}

}  // extern "C"
