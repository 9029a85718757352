// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Logging in and the tokens: generate-customer-token, request-password-reset, reset-password,
// token verify, token revoke.
#include "cli.h"
#include "custauth/json.h"

namespace custauth::cli {

int CmdGenerateCustomerToken(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(
      args, 0,
      WithSecrets({{"email", true}, {"website-id", true}, {"client-ip", true}}, {"password"}));
  const std::string email = p.required("email");
  const std::string password = Secret(p, "password");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.generate_customer_token(email, password, Context(p), Website(p)),
                 PrintCustomerToken);
  });
}

int CmdRequestPasswordReset(const Cli& cli, const Args& args) {
  const Parsed p =
      ParseOptions(args, 0, {{"email", true}, {"website-id", true}, {"client-ip", true}});
  const std::string email = p.required("email");
  // What the host would mail; null for an unknown email (the customer sees the same result).
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(
        auth.request_password_reset(email, Context(p), Website(p)),
        [](const std::optional<std::string>& token) {
          return Print({{"requested", true}, {"token", token ? json(*token) : json(nullptr)}});
        });
  });
}

int CmdResetPassword(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(
      args, 0,
      WithSecrets({{"email", true}, {"token", true}, {"website-id", true}}, {"new-password"}));
  const std::string email = p.required("email");
  const std::string token = p.required("token");
  const std::string password = Secret(p, "new-password");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.reset_password(email, token, password, Context(p), Website(p)),
                 {{"reset", true}});
  });
}

int CmdTokenVerify(const Cli& cli, const Args& args) {
  if (args.size() != 1) throw UsageError{"token verify takes one TOKEN"};
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.verify_token(args[0]),
                 [](const TokenClaims& claims) { return Print(json::parse(ClaimsJson(claims))); });
  });
}

int CmdTokenRevoke(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"email", true}, {"website-id", true}});
  const std::string email = p.required("email");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.revoke_customer_tokens(email, Context(), Website(p)), {{"revoked", true}});
  });
}

}  // namespace custauth::cli
