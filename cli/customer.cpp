// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// customer create, update, show, change-password, delete.
#include "cli.h"
#include "custauth/json.h"

namespace custauth::cli {
namespace {

const OptionSpec kCreateSpec = {
    {"email", true},           {"firstname", true},
    {"lastname", true},        {"password", true},
    {"password-stdin", false}, {"unconfirmed", false},
    {"subscribed", false},     {"allow-remote-shopping-assistance", false},
    {"website-id", true}};
const OptionSpec kUpdateSpec = {{"email", true},      {"firstname", true},
                                {"lastname", true},   {"confirmed", true},
                                {"active", true},     {"subscribed", true},
                                {"website-id", true}, {"allow-remote-shopping-assistance", true}};
const OptionSpec kShowSpec = {{"email", true}, {"website-id", true}};

int PrintCustomer(const Customer& c) {
  return Print({{"customer", json::parse(CustomerJson(c, /*admin=*/true))}});
}

}  // namespace

int CmdCustomerCreate(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, kCreateSpec);
  CustomerInput in;
  in.email = p.required("email");
  in.firstname = p.required("firstname");
  in.lastname = p.required("lastname");
  if (p.has("password") && p.has("password-stdin")) {
    throw UsageError{"give --password or --password-stdin, not both"};
  }
  if (p.has("password")) in.password = p.get("password");
  if (p.has("password-stdin")) in.password = ReadSecretFromStdin();
  in.confirmed = !p.has("unconfirmed");
  in.is_subscribed = p.has("subscribed");
  in.allow_remote_shopping_assistance = p.has("allow-remote-shopping-assistance");
  if (p.has("website-id")) in.website_id = ParseInt("website-id", p.get("website-id"));
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.create_customer(in, Context()), PrintCustomer);
  });
}

int CmdCustomerUpdate(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, kUpdateSpec);
  CustomerUpdate u;
  const std::string email = p.required("email");
  if (p.has("firstname")) u.firstname = p.get("firstname");
  if (p.has("lastname")) u.lastname = p.get("lastname");
  if (p.has("confirmed")) u.confirmed = ParseBool("confirmed", p.get("confirmed"));
  if (p.has("active")) u.is_active = ParseBool("active", p.get("active"));
  if (p.has("subscribed")) u.is_subscribed = ParseBool("subscribed", p.get("subscribed"));
  if (p.has("allow-remote-shopping-assistance")) {
    u.allow_remote_shopping_assistance =
        ParseBool("allow-remote-shopping-assistance", p.get("allow-remote-shopping-assistance"));
  }
  const std::int64_t website = Website(p);
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.update_customer(email, u, Context(), website), PrintCustomer);
  });
}

int CmdCustomerShow(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, kShowSpec);
  const std::string email = p.required("email");
  const std::int64_t website = Website(p);
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.find_customer(email, website), PrintCustomer);
  });
}

// The current password is read before the new one: with both -stdin options, stdin holds
// them in that order, one a line.
int CmdCustomerChangePassword(const Cli& cli, const Args& args) {
  const Parsed p =
      ParseOptions(args, 0,
                   WithSecrets({{"email", true}, {"website-id", true}, {"client-ip", true}},
                               {"current-password", "new-password"}));
  const std::string email = p.required("email");
  const std::string current = Secret(p, "current-password");
  const std::string password = Secret(p, "new-password");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.change_password(email, current, password, Context(p), Website(p)),
                 {{"changed", true}});
  });
}

int CmdCustomerDelete(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, kShowSpec);
  const std::string email = p.required("email");
  const std::int64_t website = Website(p);
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.delete_customer(email, Context(), website), [](const Customer& c) {
      return Print({{"deleted", true}, {"id", c.id}});
    });
  });
}

}  // namespace custauth::cli
