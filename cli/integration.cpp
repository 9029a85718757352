// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Integrations (OAuth 1.0a consumers) and the external exchange: integration create, list,
// import, revoke, set-permissions; exchange-external-customer-token.
#include <fmt/format.h>

#include <iostream>
#include <utility>

#include "cli.h"
#include "custauth/json.h"

namespace custauth::cli {
namespace {

// --permission takes a comma-separated list; absent or empty means none.
std::vector<std::string> Permissions(const Parsed& p) {
  std::vector<std::string> out;
  const std::string list = p.get("permission");
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

json IntegrationToJson(const Integration& i) {
  return {{"id", i.id},
          {"name", i.name},
          {"consumer_key", i.consumer_key},
          {"access_token", i.access_token},
          {"permissions", i.permissions},
          {"active", i.active},
          {"created_at", FormatPlatformTime(i.created_at)},
          {"revoked_at", i.revoked_at ? json(FormatPlatformTime(*i.revoked_at)) : json(nullptr)}};
}

// One entry of an `integration import` file.
struct ImportEntry {
  std::string name;
  std::vector<std::string> permissions;
  IntegrationCredentials creds;
};

// Entry `k` of `file` checked for shape; kInvalidInput "FILE: entry K: why" when it is not one.
Result<ImportEntry> ReadImportEntry(const json& e, const std::string& file, std::size_t k) {
  ImportEntry entry;
  auto invalid = [&](const std::string& why) {
    return Status(Code::kInvalidInput, fmt::format("{}: entry {}: {}", file, k, why));
  };
  for (auto [field, out] : {std::pair{"name", &entry.name},
                            {"consumer_key", &entry.creds.consumer_key},
                            {"consumer_secret", &entry.creds.consumer_secret},
                            {"access_token", &entry.creds.access_token},
                            {"token_secret", &entry.creds.token_secret}}) {
    if (!e.is_object() || !e.contains(field) || !e[field].is_string()) {
      return invalid(fmt::format("no string \"{}\"", field));
    }
    *out = e[field].get<std::string>();
  }
  if (e.contains("permissions")) {
    if (!e["permissions"].is_array()) return invalid("permissions must be an array");
    for (const json& perm : e["permissions"]) {
      if (!perm.is_string()) return invalid("permissions must be strings");
      entry.permissions.push_back(perm.get<std::string>());
    }
  }
  return entry;
}

// Every entry of `file`, checked for shape before anything is stored; a file that is not a list
// of such entries is refused as a whole.
Result<std::vector<ImportEntry>> ReadImportFile(const std::string& file) {
  auto text = ReadFile(file, "Cannot read");
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) j = json::array({j});
  if (!j.is_array()) return Status(Code::kInvalidInput, file + " holds no JSON object or array");
  std::vector<ImportEntry> entries;
  for (std::size_t k = 0; k < j.size(); ++k) {
    auto entry = ReadImportEntry(j[k], file, k);
    if (!entry.ok()) return entry.status();
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

}  // namespace

int CmdIntegrationCreate(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"name", true}, {"permission", true}});
  const std::string name = p.required("name");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.create_integration(name, Permissions(p), Context()),
                 [](const IntegrationCredentials& creds) {
                   return Print({{"integration", IntegrationToJson(creds.integration)},
                                 {"consumer_key", creds.consumer_key},
                                 {"consumer_secret", creds.consumer_secret},
                                 {"access_token", creds.access_token},
                                 {"token_secret", creds.token_secret}});
                 });
  });
}

int CmdIntegrationList(const Cli& cli, const Args& args) {
  ParseOptions(args, 0, {});
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.list_integrations(), [](const std::vector<Integration>& all) {
      json list = json::array();
      for (const auto& i : all) list.push_back(IntegrationToJson(i));
      return Print({{"integrations", list}});
    });
  });
}

int CmdIntegrationImport(const Cli& cli, const Args& args) {
  if (args.size() != 1) throw UsageError{"integration import takes one FILE"};
  const std::string& file = args[0];
  auto entries = ReadImportFile(file);
  if (!entries.ok()) return Refuse(entries.status());
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  json imported = json::array();
  json skipped = json::array();
  for (std::size_t k = 0; k < entries->size(); ++k) {
    const ImportEntry& entry = (*entries)[k];
    auto r = (*auth)->import_integration(entry.name, entry.permissions, entry.creds, Context());
    if (r.code() == Code::kAlreadyExists) {
      skipped.push_back({{"consumer_key", entry.creds.consumer_key},
                         {"reason", "the consumer key or access token is already stored"}});
      continue;
    }
    if (!r.ok()) {
      // Named with its entry and what was stored before it (a re-run skips those).
      return Refuse(Status(r.code(), fmt::format("{}: entry {}: {} ({} imported before it)", file,
                                                 k, r.status().message(), imported.size())));
    }
    imported.push_back(IntegrationToJson(r->integration));
  }
  return Print({{"imported", imported}, {"skipped", skipped}});
}

int CmdIntegrationRevoke(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"consumer-key", true}});
  const std::string key = p.required("consumer-key");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.revoke_integration(key, Context()), {{"revoked", true}});
  });
}

int CmdIntegrationSetPermissions(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"consumer-key", true}, {"permission", true}});
  const std::string key = p.required("consumer-key");
  return WithAuth(cli, [&](CustomerAuth& auth) {
    return Reply(auth.set_integration_permissions(key, Permissions(p), Context()),
                 {{"consumer_key", key}, {"permissions", Permissions(p)}});
  });
}

int CmdExchangeExternalCustomerToken(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0,
                                {{"method", true},
                                 {"url", true},
                                 {"authorization", true},
                                 {"content-type", true},
                                 {"body", true},
                                 {"input", true},
                                 {"website-id", true},
                                 {"client-ip", true},
                                 {"require-body-hash", false}});
  const HttpRequest r{.method = p.required("method"),
                      .url = p.required("url"),
                      .authorization = p.get("authorization"),
                      .content_type = p.get("content-type"),
                      .body = p.get("body")};
  const std::string input = p.required("input");
  auto auth = OpenAuth(cli, p.has("require-body-hash"));
  if (!auth.ok()) return Refuse(auth.status());
  const std::string out =
      (*auth)->exchange_external_customer_token_graphql(r, input, Context(p), Website(p));
  // Pretty-printed like every other command, the fields in the platform's order.
  const auto j = nlohmann::ordered_json::parse(out);
  std::cout << j.dump(2) << "\n";
  return j.contains("errors") ? kExitRefused : kExitOk;
}

}  // namespace custauth::cli
