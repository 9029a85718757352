// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// One-time codes: otc issue (an administrator's), exchange-otc (the customer's).
#include "cli.h"

namespace custauth::cli {

int CmdOtcIssue(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(
      args, 0, {{"email", true}, {"admin-id", true}, {"reason", true}, {"website-id", true}});
  const std::string email = p.required("email");
  const std::int64_t admin = ParseInt("admin-id", p.required("admin-id"));
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.issue_otc(email, admin, p.get("reason"), Context(), Website(p)),
                 [](const std::string& code) {
                   return Print({{"otp", code}});
                 });
  });
}

int CmdExchangeOtc(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(
      args, 0, {{"email", true}, {"otc", true}, {"website-id", true}, {"client-ip", true}});
  const std::string email = p.required("email");
  const std::string code = p.required("otc");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.exchange_otc(email, code, Context(p), Website(p)),
                 [](const IssuedToken& t) { return PrintCustomerToken(t.token); });
  });
}

}  // namespace custauth::cli
