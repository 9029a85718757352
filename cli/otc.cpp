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
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  auto code = (*auth)->issue_otc(email, admin, p.get("reason"), Context(), Website(p));
  if (!code.ok()) return Refuse(code.status());
  return Print({{"otp", *code}});
}

int CmdExchangeOtc(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(
      args, 0, {{"email", true}, {"otc", true}, {"website-id", true}, {"client-ip", true}});
  const std::string email = p.required("email");
  const std::string code = p.required("otc");
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  auto token = (*auth)->exchange_otc(email, code, Context(p), Website(p));
  if (!token.ok()) return Refuse(token.status());
  return Print({{"data", {{"generateCustomerToken", {{"token", token->token}}}}}});
}

}  // namespace custauth::cli
