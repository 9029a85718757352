// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The shapes the C ABI's exported functions share, written once: the thread's error cleared, *out
// reset, the handle and the context read, the operation run on the facade, and its result handed
// out (or its status reported). Not installed.
#ifndef CUSTAUTH_CAPI_CAPI_WRAPPERS_H_
#define CUSTAUTH_CAPI_CAPI_WRAPPERS_H_

#include <string>
#include <string_view>

#include "capi_internal.h"
#include "json.h"

namespace custauth::capi {

// `op(auth, context)` returns a Result; on success `emit(value)` makes the char* for *out.
template <class Op, class Emit>
int ResultOut(char** out, custauth_t* db, const custauth_context* ctx, Op&& op, Emit&& emit) {
  return Guard([&] {
    ResetOut(out);
    CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto result = op(auth, c);
    if (!result.ok()) return Fail(result.status());
    *out = emit(*result);
    return CUSTAUTH_OK;
  });
}

// A string result (a token, a code, a secret) as a copy.
template <class Op>
int StringOut(char** out, custauth_t* db, const custauth_context* ctx, Op&& op) {
  return ResultOut(out, db, ctx, op, [](std::string_view s) { return Dup(s); });
}

// A customer as JSON (custauth.h, "Customers").
template <class Op>
int CustomerOut(char** out, custauth_t* db, const custauth_context* ctx, Op&& op) {
  return ResultOut(out, db, ctx, op, [](const Customer& customer) {
    return DupJson(internal::CustomerToJson(customer, true));
  });
}

// A list as a JSON array of `to_json(item)`.
template <class Op, class ToJson>
int ListOut(char** out, custauth_t* db, const custauth_context* ctx, Op&& op, ToJson&& to_json) {
  return ResultOut(out, db, ctx, op, [&](const auto& items) {
    json list = json::array();
    for (const auto& item : items) list.push_back(to_json(item));
    return DupJson(list);
  });
}

// `op(auth, context)` returns a Status: the function's code.
template <class Op>
int StatusOf(custauth_t* db, const custauth_context* ctx, Op&& op) {
  return Guard([&] {
    CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    const Status s = op(auth, c);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

// custauth_call and the exchange: `run()` stores the result in *out and returns its code; a
// failure, whatever it is, leaves a GraphQL error response in *out.
template <class Run>
int ResponseOut(char** out, Run&& run) {
  return Guard([&] {
    ResetOut(out);
    const int rc = Guard(run);
    if (rc != CUSTAUTH_OK) ErrorResponse(out);
    return rc;
  });
}

}  // namespace custauth::capi

// The files that include this header (customer, login, admin, testing and call) define the
// exported functions at global scope, in the terms of custauth and of its C ABI.
using namespace custauth;        // NOLINT(build/namespaces)
using namespace custauth::capi;  // NOLINT(build/namespaces)

#endif  // CUSTAUTH_CAPI_CAPI_WRAPPERS_H_
