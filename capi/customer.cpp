// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI's customers: custauth_customer_create, _update, _find and _delete.
#include <sodium.h>

#include <string>

#include "capi_internal.h"
#include "capi_wrappers.h"

extern "C" {

int custauth_customer_create(char** out, custauth_t* db, const char* email, const char* firstname,
                             const char* lastname, const char* password, unsigned int flags,
                             const custauth_context* ctx) {
  return CustomerOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) {
    constexpr unsigned int kKnown = CUSTAUTH_CUSTOMER_SUBSCRIBED | CUSTAUTH_CUSTOMER_UNCONFIRMED |
                                    CUSTAUTH_CUSTOMER_ALLOW_REMOTE_ASSISTANCE;
    if ((flags & ~kKnown) != 0) Invalid("unknown flags " + std::to_string(flags & ~kKnown));
    CustomerInput in;
    in.website_id = c.website_id;
    in.email = Arg(email);
    in.firstname = Arg(firstname);
    in.lastname = Arg(lastname);
    if (password != nullptr) in.password = password;
    in.is_subscribed = (flags & CUSTAUTH_CUSTOMER_SUBSCRIBED) != 0;
    in.confirmed = (flags & CUSTAUTH_CUSTOMER_UNCONFIRMED) == 0;
    in.allow_remote_shopping_assistance = (flags & CUSTAUTH_CUSTOMER_ALLOW_REMOTE_ASSISTANCE) != 0;
    auto customer = auth.create_customer(in, c.request);
    if (in.password) sodium_memzero(in.password->data(), in.password->size());
    return customer;
  });
}

int custauth_customer_update(char** out, custauth_t* db, const char* email,
                             const char* changes_json, const custauth_context* ctx) {
  return CustomerOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) {
    const json j = ParseObject(changes_json, "changes_json");
    Args a(j, "the changes");
    const CustomerUpdate u = CustomerUpdateFromJson(a);
    a.done();
    return auth.update_customer(Arg(email), u, c.request, c.website_id);
  });
}

int custauth_customer_find(char** out, custauth_t* db, const char* email,
                           const custauth_context* ctx) {
  return CustomerOut(out, db, ctx, [&](CustomerAuth& auth, const Context& c) {
    return auth.find_customer(Arg(email), c.website_id);
  });
}

int custauth_customer_delete(int64_t* out, custauth_t* db, const char* email,
                             const custauth_context* ctx) {
  return Guard([&] {
    if (out != nullptr) *out = 0;
    CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto customer = auth.delete_customer(Arg(email), c.request, c.website_id);
    if (!customer.ok()) return Fail(customer.status());
    if (out != nullptr) *out = customer->id;
    return CUSTAUTH_OK;
  });
}

}  // extern "C"
