// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Sessions (the global --sessions; README, "Sessions"): token renew, session list, session revoke.
#include "cli.h"
#include "custauth/json.h"

namespace custauth::cli {

int CmdTokenRenew(const Cli& cli, const Args& args) {
  if (args.size() != 1) throw UsageError{"token renew takes one TOKEN"};
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.renew_token(args[0], Context()), [](const IssuedToken& t) {
      json j = {{"token", t.token}, {"expires_at", t.expires_at / kSecond}};
      if (t.session_id > 0) j["session_id"] = t.session_id;
      return Print(j);
    });
  });
}

int CmdSessionList(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"email", true}, {"website-id", true}});
  const std::string email = p.required("email");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.list_sessions(email, Website(p)),
                 [](const std::vector<SessionRecord>& sessions) {
                   json list = json::array();
                   for (const auto& s : sessions) list.push_back(json::parse(SessionJson(s)));
                   return Print({{"sessions", std::move(list)}});
                 });
  });
}

int CmdSessionRevoke(const Cli& cli, const Args& args) {
  if (args.size() != 1) throw UsageError{"session revoke takes one TOKEN"};
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.revoke_session(args[0], Context()), {{"ok", true}});
  });
}

}  // namespace custauth::cli
