// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Moving a shop onto custauth: customer import (the platform's customer_entity export) and
// token import-revocations (its jwt_auth_revoked rows).
#include <fmt/format.h>

#include <iostream>
#include <utility>

#include "cli.h"
#include "custauth/json.h"

namespace custauth::cli {
namespace {

// Progress on stderr, as the rows go by.
void ShowProgress(const ImportProgress& pr) {
  const double rate = pr.seconds > 0 ? static_cast<double>(pr.rows) / pr.seconds : 0;
  if (pr.bytes_total > 0) {
    std::cerr << fmt::format(
        "custauth: {} rows, {:.0f}%, {:.0f} rows/s\n", pr.rows,
        100.0 * static_cast<double>(pr.bytes_read) / static_cast<double>(pr.bytes_total), rate);
  } else {
    std::cerr << fmt::format("custauth: {} rows, {:.0f} rows/s\n", pr.rows, rate);
  }
}

ImportOptions ParseImportOptions(const Args& args, bool revocations) {
  OptionSpec spec = {{"format", true}, {"strict", false}, {"quiet", false}};
  if (!revocations) {
    spec["on-conflict"] = true;
    spec["batch-size"] = true;
  }
  const Parsed p = ParseOptions(args, 1, spec);
  ImportOptions o;
  if (p.has("format")) {
    const auto format = ImportFormatFromName(p.get("format"));
    if (!format) throw UsageError{"--format takes auto, csv or jsonl"};
    o.format = *format;
  }
  if (p.has("on-conflict")) {
    const auto conflict = ImportConflictFromName(p.get("on-conflict"));
    if (!conflict) throw UsageError{"--on-conflict takes skip, update or fail"};
    o.on_conflict = *conflict;
  }
  if (p.has("batch-size")) {
    const std::int64_t n = ParseInt("batch-size", p.get("batch-size"));
    if (n < 1 || n > 100000) throw UsageError{"--batch-size takes 1..100000"};
    o.batch_size = static_cast<std::size_t>(n);
  }
  o.strict = p.has("strict");
  if (!p.has("quiet")) o.progress = ShowProgress;
  return o;
}

// args: FILE [options].
int Import(const Cli& cli, const Args& args, bool revocations) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    throw UsageError{std::string(revocations ? "token import-revocations" : "customer import") +
                     " takes a FILE"};
  }
  const ImportOptions o = ParseImportOptions(args, revocations);
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  const std::string& file = args[0];
  const ImportReport report = revocations ? (*auth)->import_revocations(file, o, Context())
                                          : (*auth)->import_customers(file, o, Context());
  // "errors" lists the rejected rows ({line, reason}) and, when the import stopped, ends with
  // why ({message, extensions, line}), as every refused command's "errors" does.
  json j = json::parse(report.ToJson(revocations));
  if (!report.completed()) {
    json why = json::parse(ErrorJson(report.status))["errors"][0];
    why["line"] = report.stopped_at_line;
    j["errors"].push_back(std::move(why));
  }
  std::cout << j.dump(2) << "\n";
  if (!report.completed()) return kExitRefused;
  return report.rejected > 0 ? kExitRejectedRows : kExitOk;
}

}  // namespace

int CmdCustomerImport(const Cli& cli, const Args& args) {
  return Import(cli, args, /*revocations=*/false);
}

int CmdTokenImportRevocations(const Cli& cli, const Args& args) {
  return Import(cli, args, /*revocations=*/true);
}

}  // namespace custauth::cli
