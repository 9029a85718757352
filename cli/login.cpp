// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Logging in and the tokens: generate-customer-token, request-password-reset, reset-password,
// token verify, token revoke.
#include "cli.h"

namespace custauth::cli {

int CmdGenerateCustomerToken(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0,
                                {{"email", true},
                                 {"password", true},
                                 {"password-stdin", false},
                                 {"website-id", true},
                                 {"client-ip", true}});
  const std::string email = p.required("email");
  const std::string password = Secret(p, "password");
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  auto token = (*auth)->generate_customer_token(email, password, Context(p), Website(p));
  if (!token.ok()) return Refuse(token.status());
  return Print({{"data", {{"generateCustomerToken", {{"token", *token}}}}}});
}

int CmdRequestPasswordReset(const Cli& cli, const Args& args) {
  const Parsed p =
      ParseOptions(args, 0, {{"email", true}, {"website-id", true}, {"client-ip", true}});
  const std::string email = p.required("email");
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  auto token = (*auth)->request_password_reset(email, Context(p), Website(p));
  if (!token.ok()) return Refuse(token.status());
  // What the host would mail; null for an unknown email (the customer sees the same result).
  return Print(
      {{"requested", true}, {"token", token->has_value() ? json(**token) : json(nullptr)}});
}

int CmdResetPassword(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0,
                                {{"email", true},
                                 {"token", true},
                                 {"new-password", true},
                                 {"new-password-stdin", false},
                                 {"website-id", true}});
  const std::string email = p.required("email");
  const std::string token = p.required("token");
  const std::string password = Secret(p, "new-password");
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  Status s = (*auth)->reset_password(email, token, password, Context(p), Website(p));
  if (!s.ok()) return Refuse(s);
  return Print({{"reset", true}});
}

int CmdTokenVerify(const Cli& cli, const Args& args) {
  if (args.size() != 1) throw UsageError{"token verify takes one TOKEN"};
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  auto claims = (*auth)->verify_token(args[0]);
  if (!claims.ok()) return Refuse(claims.status());
  json j = {{"uid", claims->customer_id},
            {"utypid", claims->user_type},
            {"iat", claims->issued_at},
            {"exp", claims->expires_at},
            {"format", claims->format == TokenFormat::kJwt ? "jwt" : "opaque"}};
  if (!claims->kid.empty()) j["kid"] = claims->kid;
  return Print(j);
}

int CmdTokenRevoke(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"email", true}, {"website-id", true}});
  const std::string email = p.required("email");
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  Status s = (*auth)->revoke_customer_tokens(email, Context(), Website(p));
  if (!s.ok()) return Refuse(s);
  return Print({{"revoked", true}});
}

}  // namespace custauth::cli
