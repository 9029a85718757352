// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The audit trail and retention: audit list, prune.
#include "cli.h"
#include "custauth/json.h"

namespace custauth::cli {

int CmdAuditList(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(
      args, 0, {{"email", true}, {"after-id", true}, {"limit", true}, {"website-id", true}});
  AuditQuery q;
  if (p.has("after-id")) q.after_id = ParseInt("after-id", p.get("after-id"));
  if (p.has("limit")) {
    const std::int64_t limit = ParseInt("limit", p.get("limit"));
    if (limit < 1 || limit > 100000) throw UsageError{"--limit takes 1..100000"};
    q.limit = static_cast<std::size_t>(limit);
  }
  return WithAuth(cli, [&](CustomerAuth& auth) {
    if (p.has("email")) {
      auto c = auth.find_customer(p.get("email"), Website(p));
      if (!c.ok()) return Refuse(c.status());
      q.customer_id = c->id;
    }
    return Reply(auth.list_audit(q), [](const std::vector<AuditRecord>& records) {
      json list = json::array();
      for (const auto& r : records) list.push_back(json::parse(AuditJson(r)));
      return Print({{"audit", list}});
    });
  });
}

int CmdPrune(const Cli& cli, const Args& args) {
  ParseOptions(args, 0, {});
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.prune(), [&](const PruneCounts& counts) {
      return Print({{"pruned",
                     {{"rate_events", counts.rate_events},
                      {"rate_buckets", counts.rate_buckets},
                      {"nonces", counts.nonces},
                      {"secrets", counts.secrets},
                      {"opaque_tokens", counts.opaque_tokens},
                      {"audit", counts.audit}}},
                    {"audit_retention_days", auth.options().audit_retention_days}});
    });
  });
}

}  // namespace custauth::cli
