// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth: the command-line tool. An administrator's and a host developer's view of a custauth
// database: every operation of the library, JSON on stdout.
//
//   custauth [--db PATH] COMMAND ...
//
// Exit status: 0 on success; 1 when the operation is refused (stdout then holds
// {"errors":[{"message":"…","extensions":{"category":"…"}}]}); 2 on usage errors (stderr).
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/postgres_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/version.h"
#include "json.h"

namespace {

using custauth::Code;
using custauth::Status;
using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRejectedRows = 3;

const char kUsage[] =
    "usage: custauth [--db PATH] [--key-file PATH] [--argon2-opslimit N]\n"
    "                [--argon2-memlimit BYTES] [--token-format jwt|opaque]\n"
    "                [--audit-retention-days N] COMMAND ...\n"
    "\n"
    "--db (a SQLite path or a postgresql:// URI) defaults to $CUSTAUTH_DB, else ./custauth.db.\n"
    "--key-file defaults to $CUSTAUTH_KEY_FILE, else the database path with .key for .db\n"
    "(./custauth.key), and ./custauth.key for a PostgreSQL URI.\n"
    "--audit-retention-days: how long audit records are kept (default 180; 0: forever).\n"
    "\n"
    "commands:\n"
    "  init [--platform-crypt-key-file F]    create (or migrate) the database and create\n"
    "                                         the key file (mode 0600) if it is missing; with\n"
    "                                         F (the platform's crypt/key value) tokens are\n"
    "                                         signed and verified as the platform does\n"
    "  keys list                              the JWT key ring (kids, sizes; no secrets)\n"
    "  keys add-platform F [--replace]        add the platform's JWT key (kid \"1\") from F\n"
    "  customer create --email E --firstname F --lastname L\n"
    "                  [--password-stdin | --password P] [--unconfirmed]\n"
    "                  [--allow-remote-shopping-assistance] [--subscribed] [--website-id N]\n"
    "  customer update --email E [--firstname F] [--lastname L] [--confirmed true|false]\n"
    "                  [--active true|false] [--subscribed true|false]\n"
    "                  [--allow-remote-shopping-assistance true|false] [--website-id N]\n"
    "  customer show --email E [--website-id N]\n"
    "  customer change-password --email E (--current-password-stdin | --current-password P)\n"
    "                  (--new-password-stdin | --new-password N) [--website-id N]\n"
    "                  [--client-ip IP]\n"
    "                                         with both -stdin options, stdin holds the\n"
    "                                         current password, then the new one, one a line\n"
    "  customer delete --email E [--website-id N]\n"
    "                                         erase the customer (the right to erasure):\n"
    "                                         its secrets and tokens go, its audit records\n"
    "                                         lose email and IP\n"
    "  customer import FILE [--format auto|csv|jsonl] [--on-conflict skip|update|fail]\n"
    "                  [--strict] [--quiet] [--batch-size N]\n"
    "                                         import the platform's customer_entity export;\n"
    "                                         exit 3 when rows were rejected (listed)\n"
    "  generate-customer-token --email E (--password-stdin | --password P)\n"
    "  request-password-reset --email E [--client-ip IP]\n"
    "  reset-password --email E --token T (--new-password-stdin | --new-password P)\n"
    "  otc issue --email E --admin-id N [--reason R]\n"
    "  exchange-otc --email E --otc CODE\n"
    "  token verify TOKEN\n"
    "  token revoke --email E\n"
    "  token import-revocations FILE [--format auto|csv|jsonl] [--strict] [--quiet]\n"
    "                                         the platform's jwt_auth_revoked rows\n"
    "  audit list [--email E] [--after-id N] [--limit N]\n"
    "  prune                                  remove at once what is past its retention\n"
    "                                         (rate-limit events and buckets, nonces,\n"
    "                                         one-time secrets, opaque tokens, audit\n"
    "                                         records); prints the rows removed per table\n"
    "  integration create --name N [--permission P[,P...]]\n"
    "                                         prints the four OAuth 1.0a credentials (the\n"
    "                                         secrets are shown only here); P may be\n"
    "                                         exchange_external_customer_token\n"
    "  integration list\n"
    "  integration import FILE                integrations with their credentials (JSON: an\n"
    "                                         object or an array of {name, consumer_key,\n"
    "                                         consumer_secret, access_token, token_secret,\n"
    "                                         permissions})\n"
    "  integration revoke --consumer-key K\n"
    "  integration set-permissions --consumer-key K [--permission P[,P...]]\n"
    "  exchange-external-customer-token --method M --url URL [--authorization HEADER]\n"
    "                  [--content-type T] [--body BODY] --input JSON [--website-id N]\n"
    "                  [--require-body-hash]\n"
    "                                         checks the request's OAuth 1.0a signature and\n"
    "                                         prints the GraphQL-shaped result; with\n"
    "                                         --require-body-hash a body that is not a form\n"
    "                                         must carry oauth_body_hash\n"
    "  version\n"
    "\n"
    "Output is JSON on stdout. Exit status: 0 success, 1 refused, 2 usage error, 3 an import\n"
    "completed with rejected rows.\n";

struct UsageError {
  std::string message;
};

// The options of one command: name → whether it takes a value.
using OptionSpec = std::map<std::string, bool>;

struct Parsed {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool has(const std::string& name) const { return values.count(name) || flags.count(name); }
  std::string get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  }
  std::string required(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) throw UsageError{"missing --" + name};
    return it->second;
  }
};

Parsed ParseOptions(const std::vector<std::string>& args, std::size_t start,
                    const OptionSpec& spec) {
  Parsed p;
  for (std::size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) throw UsageError{"unexpected argument '" + a + "'"};
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it = spec.find(name);
    if (it == spec.end()) throw UsageError{"unknown option --" + name};
    if (p.has(name)) throw UsageError{"--" + name + " given twice"};
    if (it->second) {
      if (inline_value) {
        p.values[name] = *inline_value;
      } else {
        if (i + 1 >= args.size()) throw UsageError{"--" + name + " needs a value"};
        p.values[name] = args[++i];
      }
    } else {
      if (inline_value) throw UsageError{"--" + name + " takes no value"};
      p.flags.insert(name);
    }
  }
  return p;
}

bool ParseBool(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw UsageError{"--" + name + " takes true or false, not '" + v + "'"};
}

std::int64_t ParseInt(const std::string& name, const std::string& v) {
  try {
    std::size_t used = 0;
    long long n = std::stoll(v, &used, 10);
    if (used != v.size()) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    throw UsageError{"--" + name + " takes an integer, not '" + v + "'"};
  }
}

std::string ReadSecretFromStdin() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

struct Globals {
  std::string db;
  std::string key_file;
  std::optional<custauth::TokenFormat> token_format;
  std::optional<std::uint64_t> opslimit;
  std::optional<std::size_t> memlimit;
  std::optional<int> audit_retention_days;
};

class Cli {
 public:
  explicit Cli(Globals g) : g_(std::move(g)) {}

  int Run(const std::vector<std::string>& args) {
    if (args.empty()) throw UsageError{"no command"};
    const std::string& cmd = args[0];
    if (cmd == "version") return Print({{"version", custauth::VersionString()}});
    if (cmd == "init") return Init(ParseOptions(args, 1, {{"platform-crypt-key-file", true}}));
    if (cmd == "keys" && args.size() >= 2) {
      if (args[1] == "list") return KeysList(ParseOptions(args, 2, {}));
      if (args[1] == "add-platform") {
        if (args.size() < 3 || args[2].rfind("--", 0) == 0) {
          throw UsageError{"keys add-platform takes the crypt key FILE"};
        }
        return KeysAddPlatform(args[2], ParseOptions(args, 3, {{"replace", false}}));
      }
    }
    if (cmd == "customer" && args.size() >= 2) {
      const std::string& sub = args[1];
      if (sub == "create") return CustomerCreate(ParseOptions(args, 2, kCreateSpec));
      if (sub == "update") return CustomerUpdate(ParseOptions(args, 2, kUpdateSpec));
      if (sub == "show") return CustomerShow(ParseOptions(args, 2, kShowSpec));
      if (sub == "delete") return CustomerDelete(ParseOptions(args, 2, kShowSpec));
      if (sub == "change-password") {
        return ChangePassword(ParseOptions(args, 2,
                                           {{"email", true},
                                            {"current-password", true},
                                            {"current-password-stdin", false},
                                            {"new-password", true},
                                            {"new-password-stdin", false},
                                            {"website-id", true},
                                            {"client-ip", true}}));
      }
      if (sub == "import") return Import(args, /*revocations=*/false);
    }
    if (cmd == "generate-customer-token") {
      return GenerateToken(ParseOptions(args, 1,
                                        {{"email", true},
                                         {"password", true},
                                         {"password-stdin", false},
                                         {"website-id", true},
                                         {"client-ip", true}}));
    }
    if (cmd == "request-password-reset") {
      return RequestReset(
          ParseOptions(args, 1, {{"email", true}, {"website-id", true}, {"client-ip", true}}));
    }
    if (cmd == "reset-password") {
      return ResetPassword(ParseOptions(args, 1,
                                        {{"email", true},
                                         {"token", true},
                                         {"new-password", true},
                                         {"new-password-stdin", false},
                                         {"website-id", true}}));
    }
    if (cmd == "otc" && args.size() >= 2 && args[1] == "issue") {
      return OtcIssue(ParseOptions(
          args, 2, {{"email", true}, {"admin-id", true}, {"reason", true}, {"website-id", true}}));
    }
    if (cmd == "exchange-otc") {
      return ExchangeOtc(ParseOptions(
          args, 1, {{"email", true}, {"otc", true}, {"website-id", true}, {"client-ip", true}}));
    }
    if (cmd == "token" && args.size() >= 2 && args[1] == "verify") {
      if (args.size() != 3) throw UsageError{"token verify takes one TOKEN"};
      return TokenVerify(args[2]);
    }
    if (cmd == "token" && args.size() >= 2 && args[1] == "import-revocations") {
      return Import(args, /*revocations=*/true);
    }
    if (cmd == "token" && args.size() >= 2 && args[1] == "revoke") {
      return TokenRevoke(ParseOptions(args, 2, {{"email", true}, {"website-id", true}}));
    }
    if (cmd == "prune") return Prune(ParseOptions(args, 1, {}));
    if (cmd == "audit" && args.size() >= 2 && args[1] == "list") {
      return AuditList(ParseOptions(
          args, 2, {{"email", true}, {"after-id", true}, {"limit", true}, {"website-id", true}}));
    }
    if (cmd == "integration" && args.size() >= 2) {
      const std::string& sub = args[1];
      if (sub == "create") {
        return IntegrationCreate(ParseOptions(args, 2, {{"name", true}, {"permission", true}}));
      }
      if (sub == "list") return IntegrationList(ParseOptions(args, 2, {}));
      if (sub == "import") {
        if (args.size() != 3) throw UsageError{"integration import takes one FILE"};
        return IntegrationImport(args[2]);
      }
      if (sub == "revoke") {
        return IntegrationRevoke(ParseOptions(args, 2, {{"consumer-key", true}}));
      }
      if (sub == "set-permissions") {
        return IntegrationSetPermissions(
            ParseOptions(args, 2, {{"consumer-key", true}, {"permission", true}}));
      }
    }
    if (cmd == "exchange-external-customer-token") {
      return ExchangeExternal(ParseOptions(args, 1,
                                           {{"method", true},
                                            {"url", true},
                                            {"authorization", true},
                                            {"content-type", true},
                                            {"body", true},
                                            {"input", true},
                                            {"website-id", true},
                                            {"client-ip", true},
                                            {"require-body-hash", false}}));
    }
    throw UsageError{"unknown command '" + cmd + (args.size() >= 2 ? " " + args[1] : "") + "'"};
  }

 private:
  inline static const OptionSpec kCreateSpec = {
      {"email", true},           {"firstname", true},
      {"lastname", true},        {"password", true},
      {"password-stdin", false}, {"unconfirmed", false},
      {"subscribed", false},     {"allow-remote-shopping-assistance", false},
      {"website-id", true}};
  inline static const OptionSpec kUpdateSpec = {
      {"email", true},      {"firstname", true},
      {"lastname", true},   {"confirmed", true},
      {"active", true},     {"subscribed", true},
      {"website-id", true}, {"allow-remote-shopping-assistance", true}};
  inline static const OptionSpec kShowSpec = {{"email", true}, {"website-id", true}};

  static int Print(const json& j) {
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  static int Refuse(const Status& s) {
    std::cout << custauth::internal::ErrorToJson(s).dump(2) << "\n";
    return kExitRefused;
  }

  // Opens the database; only `init` may create it.
  static bool IsPostgresUri(const std::string& db) {
    return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
  }

  custauth::Result<std::shared_ptr<custauth::Storage>> OpenStorage(bool create) {
    if (IsPostgresUri(g_.db)) {
      custauth::PostgresOptions po;
      po.create_if_missing = create;
      auto s = custauth::OpenPostgresStorage(g_.db, po);
      if (!s.ok()) return s.status();
      return std::shared_ptr<custauth::Storage>(std::move(s).value());
    }
    custauth::SqliteOptions so;
    so.create_if_missing = create;
    if (!create && access(g_.db.c_str(), F_OK) != 0) {
      return Status(Code::kNotFound, "database " + g_.db + " does not exist; run 'custauth init'");
    }
    auto s = custauth::OpenSqliteStorage(g_.db, so);
    if (!s.ok()) return s.status();
    return std::shared_ptr<custauth::Storage>(std::move(s).value());
  }

  custauth::Result<std::unique_ptr<custauth::CustomerAuth>> OpenAuth(
      bool require_body_hash = false) {
    auto storage = OpenStorage(false);
    if (!storage.ok()) return storage.status();
    custauth::AuthOptions o;
    auto keys = custauth::LoadKeyFile(g_.key_file);
    if (!keys.ok()) {
      if (keys.code() == Code::kNotFound) {
        return Status(Code::kNotFound,
                      keys.status().message() + "; run 'custauth init' or pass --key-file");
      }
      return keys.status();
    }
    o.keys = std::move(keys).value();
    if (g_.token_format) o.tokens.format = *g_.token_format;
    if (g_.opslimit) o.argon2.opslimit = *g_.opslimit;
    if (g_.memlimit) o.argon2.memlimit = *g_.memlimit;
    o.exchange_require_body_hash = require_body_hash;
    if (g_.audit_retention_days) o.audit_retention_days = *g_.audit_retention_days;
    return custauth::CustomerAuth::Open(std::move(storage).value(), o);
  }

  // The platform's JWT key from a file holding its crypt/key setting.
  static custauth::Result<custauth::JwtKey> ReadPlatformKey(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status(Code::kNotFound, "Cannot read the crypt key file " + path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return custauth::PlatformJwtKey(text);
  }

  // Adds `key` to `keys` as the signing key. kAlreadyExists when its kid is taken by another key
  // (unless `replace`: then that key goes, and the tokens it signed stop verifying).
  static Status AddSigningKey(custauth::Keys& keys, const custauth::JwtKey& key, bool replace,
                              bool* changed) {
    *changed = false;
    auto same_kid = [&](const custauth::JwtKey& k) { return k.kid == key.kid; };
    auto it = std::find_if(keys.jwt_keys.begin(), keys.jwt_keys.end(), same_kid);
    if (it != keys.jwt_keys.end()) {
      if (it->secret == key.secret && std::next(it) == keys.jwt_keys.end()) return Status::Ok();
      if (it->secret != key.secret && !replace) {
        return Status(Code::kAlreadyExists,
                      "The key ring already has a key with kid \"" + key.kid +
                          "\"; --replace swaps it for the platform's key (tokens it signed are "
                          "then refused)");
      }
      keys.jwt_keys.erase(it);
    }
    keys.jwt_keys.push_back(key);  // the last key signs
    *changed = true;
    return Status::Ok();
  }

  int Init(const Parsed& p) {
    // The key file first: a database without its keys is of no use.
    std::optional<custauth::JwtKey> platform;
    if (p.has("platform-crypt-key-file")) {
      auto key = ReadPlatformKey(p.get("platform-crypt-key-file"));
      if (!key.ok()) return Refuse(key.status());
      platform = std::move(key).value();
    }
    bool created_keys = false;
    auto existing = custauth::LoadKeyFile(g_.key_file);
    if (existing.code() == Code::kNotFound) {
      custauth::Keys keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
      if (platform) keys.jwt_keys = {*platform};
      Status saved = custauth::SaveKeyFile(g_.key_file, keys);
      if (!saved.ok()) return Refuse(saved);
      created_keys = true;
    } else if (!existing.ok()) {
      return Refuse(existing.status());
    } else if (platform) {
      bool changed = false;
      Status added = AddSigningKey(*existing, *platform, /*replace=*/false, &changed);
      if (!added.ok()) return Refuse(added);
      if (changed) {
        Status saved = custauth::SaveKeyFile(g_.key_file, *existing, /*overwrite=*/true);
        if (!saved.ok()) return Refuse(saved);
      }
    }
    auto storage = OpenStorage(true);
    if (!storage.ok()) return Refuse(storage.status());
    return Print({{"database", g_.db},
                  {"backend", (*storage)->describe()},
                  {"schema_version", IsPostgresUri(g_.db) ? custauth::PostgresSchemaVersion()
                                                          : custauth::SqliteSchemaVersion()},
                  {"key_file", g_.key_file},
                  {"key_file_created", created_keys}});
  }

  int KeysList(const Parsed&) {
    auto keys = custauth::LoadKeyFile(g_.key_file);
    if (!keys.ok()) return Refuse(keys.status());
    json list = json::array();
    for (std::size_t k = 0; k < keys->jwt_keys.size(); ++k) {
      const auto& key = keys->jwt_keys[k];
      list.push_back({{"kid", key.kid},
                      {"bytes", key.secret.size()},
                      {"signs", k + 1 == keys->jwt_keys.size()}});
    }
    return Print({{"key_file", g_.key_file}, {"jwt_keys", list}});
  }

  int KeysAddPlatform(const std::string& file, const Parsed& p) {
    auto key = ReadPlatformKey(file);
    if (!key.ok()) return Refuse(key.status());
    auto keys = custauth::LoadKeyFile(g_.key_file);
    if (!keys.ok()) return Refuse(keys.status());
    bool changed = false;
    Status added = AddSigningKey(*keys, *key, p.has("replace"), &changed);
    if (!added.ok()) return Refuse(added);
    if (changed) {
      Status saved = custauth::SaveKeyFile(g_.key_file, *keys, /*overwrite=*/true);
      if (!saved.ok()) return Refuse(saved);
    }
    return Print({{"key_file", g_.key_file}, {"kid", key->kid}, {"added", changed}});
  }

  // customer import / token import-revocations.
  int Import(const std::vector<std::string>& args, bool revocations) {
    if (args.size() < 3 || args[2].rfind("--", 0) == 0) {
      throw UsageError{std::string(revocations ? "token import-revocations" : "customer import") +
                       " takes a FILE"};
    }
    OptionSpec spec = {{"format", true}, {"strict", false}, {"quiet", false}};
    if (!revocations) {
      spec["on-conflict"] = true;
      spec["batch-size"] = true;
    }
    const Parsed p = ParseOptions(args, 3, spec);
    custauth::ImportOptions o;
    if (p.has("format")) {
      const auto format = custauth::ImportFormatFromName(p.get("format"));
      if (!format) throw UsageError{"--format takes auto, csv or jsonl"};
      o.format = *format;
    }
    if (p.has("on-conflict")) {
      const auto conflict = custauth::ImportConflictFromName(p.get("on-conflict"));
      if (!conflict) throw UsageError{"--on-conflict takes skip, update or fail"};
      o.on_conflict = *conflict;
    }
    if (p.has("batch-size")) {
      const std::int64_t n = ParseInt("batch-size", p.get("batch-size"));
      if (n < 1 || n > 100000) throw UsageError{"--batch-size takes 1..100000"};
      o.batch_size = static_cast<std::size_t>(n);
    }
    o.strict = p.has("strict");
    if (!p.has("quiet")) {
      o.progress = [](const custauth::ImportProgress& pr) {
        const double rate = pr.seconds > 0 ? static_cast<double>(pr.rows) / pr.seconds : 0;
        if (pr.bytes_total > 0) {
          std::cerr << fmt::format(
              "custauth: {} rows, {:.0f}%, {:.0f} rows/s\n", pr.rows,
              100.0 * static_cast<double>(pr.bytes_read) / static_cast<double>(pr.bytes_total),
              rate);
        } else {
          std::cerr << fmt::format("custauth: {} rows, {:.0f} rows/s\n", pr.rows, rate);
        }
      };
    }
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    const std::string& file = args[2];
    const custauth::ImportReport report = revocations
                                              ? (*auth)->import_revocations(file, o, Context())
                                              : (*auth)->import_customers(file, o, Context());
    // "errors" lists the rejected rows ({line, reason}) and, when the import stopped, ends with
    // why ({message, extensions, line}), as every refused command's "errors" does.
    json j = json::parse(report.ToJson(revocations));
    if (!report.completed()) {
      json why = custauth::internal::ErrorToJson(report.status)["errors"][0];
      why["line"] = report.stopped_at_line;
      j["errors"].push_back(std::move(why));
    }
    std::cout << j.dump(2) << "\n";
    if (!report.completed()) return kExitRefused;
    return report.rejected > 0 ? kExitRejectedRows : kExitOk;
  }

  int IntegrationImport(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Refuse(Status(Code::kNotFound, "Cannot read " + file));
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) j = json::array({j});
    if (!j.is_array()) {
      return Refuse(Status(Code::kInvalidInput, file + " holds no JSON object or array"));
    }
    // Every entry is checked for shape before anything is stored; a file that is not a list of
    // such entries is refused as a whole.
    struct Entry {
      std::string name;
      std::vector<std::string> permissions;
      custauth::IntegrationCredentials creds;
    };
    std::vector<Entry> entries;
    for (std::size_t k = 0; k < j.size(); ++k) {
      const json& e = j[k];
      Entry entry;
      auto invalid = [&](const std::string& why) {
        return Refuse(Status(Code::kInvalidInput, fmt::format("{}: entry {}: {}", file, k, why)));
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
      entries.push_back(std::move(entry));
    }
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    json imported = json::array();
    json skipped = json::array();
    for (const Entry& entry : entries) {
      auto r = (*auth)->import_integration(entry.name, entry.permissions, entry.creds, Context());
      if (r.code() == Code::kAlreadyExists) {
        skipped.push_back({{"consumer_key", entry.creds.consumer_key},
                           {"reason", "the consumer key or access token is already stored"}});
        continue;
      }
      if (!r.ok()) {
        // Named with its entry and what was stored before it (a re-run skips those).
        return Refuse(Status(
            r.code(), fmt::format("{}: entry {}: {} ({} imported before it)", file,
                                  &entry - entries.data(), r.status().message(), imported.size())));
      }
      imported.push_back(IntegrationToJson(r->integration));
    }
    return Print({{"imported", imported}, {"skipped", skipped}});
  }

  static std::int64_t Website(const Parsed& p) {
    return p.has("website-id") ? ParseInt("website-id", p.get("website-id"))
                               : custauth::kDefaultWebsiteId;
  }

  static custauth::RequestContext Context(const Parsed& p) {
    custauth::RequestContext ctx = Context();
    if (p.has("client-ip")) ctx.client_ip = p.get("client-ip");
    return ctx;
  }

  static std::string Secret(const Parsed& p, const std::string& name) {
    if (p.has(name) && p.has(name + "-stdin")) {
      throw UsageError{"give --" + name + " or --" + name + "-stdin, not both"};
    }
    if (p.has(name)) return p.get(name);
    if (p.has(name + "-stdin")) return ReadSecretFromStdin();
    throw UsageError{"missing --" + name + " or --" + name + "-stdin"};
  }

  int GenerateToken(const Parsed& p) {
    const std::string email = p.required("email");
    const std::string password = Secret(p, "password");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto token = (*auth)->generate_customer_token(email, password, Context(p), Website(p));
    if (!token.ok()) return Refuse(token.status());
    return Print({{"data", {{"generateCustomerToken", {{"token", *token}}}}}});
  }

  int RequestReset(const Parsed& p) {
    const std::string email = p.required("email");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto token = (*auth)->request_password_reset(email, Context(p), Website(p));
    if (!token.ok()) return Refuse(token.status());
    // What the host would mail; null for an unknown email (the customer sees the same result).
    return Print(
        {{"requested", true}, {"token", token->has_value() ? json(**token) : json(nullptr)}});
  }

  int ResetPassword(const Parsed& p) {
    const std::string email = p.required("email");
    const std::string token = p.required("token");
    const std::string password = Secret(p, "new-password");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    Status s = (*auth)->reset_password(email, token, password, Context(p), Website(p));
    if (!s.ok()) return Refuse(s);
    return Print({{"reset", true}});
  }

  int OtcIssue(const Parsed& p) {
    const std::string email = p.required("email");
    const std::int64_t admin = ParseInt("admin-id", p.required("admin-id"));
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto code = (*auth)->issue_otc(email, admin, p.get("reason"), Context(), Website(p));
    if (!code.ok()) return Refuse(code.status());
    return Print({{"otp", *code}});
  }

  int ExchangeOtc(const Parsed& p) {
    const std::string email = p.required("email");
    const std::string code = p.required("otc");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto token = (*auth)->exchange_otc(email, code, Context(p), Website(p));
    if (!token.ok()) return Refuse(token.status());
    return Print({{"data", {{"generateCustomerToken", {{"token", *token}}}}}});
  }

  int TokenVerify(const std::string& token) {
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto claims = (*auth)->verify_token(token);
    if (!claims.ok()) return Refuse(claims.status());
    json j = {{"uid", claims->customer_id},
              {"utypid", claims->user_type},
              {"iat", claims->issued_at},
              {"exp", claims->expires_at},
              {"format", claims->format == custauth::TokenFormat::kJwt ? "jwt" : "opaque"}};
    if (!claims->kid.empty()) j["kid"] = claims->kid;
    return Print(j);
  }

  int TokenRevoke(const Parsed& p) {
    const std::string email = p.required("email");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    Status s = (*auth)->revoke_customer_tokens(email, Context(), Website(p));
    if (!s.ok()) return Refuse(s);
    return Print({{"revoked", true}});
  }

  int AuditList(const Parsed& p) {
    custauth::AuditQuery q;
    if (p.has("after-id")) q.after_id = ParseInt("after-id", p.get("after-id"));
    if (p.has("limit")) {
      const std::int64_t limit = ParseInt("limit", p.get("limit"));
      if (limit < 1 || limit > 100000) throw UsageError{"--limit takes 1..100000"};
      q.limit = static_cast<std::size_t>(limit);
    }
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    if (p.has("email")) {
      auto c = (*auth)->find_customer(p.get("email"), Website(p));
      if (!c.ok()) return Refuse(c.status());
      q.customer_id = c->id;
    }
    auto records = (*auth)->list_audit(q);
    if (!records.ok()) return Refuse(records.status());
    json list = json::array();
    for (const auto& r : *records) list.push_back(custauth::internal::AuditToJson(r));
    return Print({{"audit", list}});
  }

  int Prune(const Parsed& /*p*/) {
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto counts = (*auth)->prune();
    if (!counts.ok()) return Refuse(counts.status());
    return Print({{"pruned",
                   {{"rate_events", counts->rate_events},
                    {"rate_buckets", counts->rate_buckets},
                    {"nonces", counts->nonces},
                    {"secrets", counts->secrets},
                    {"opaque_tokens", counts->opaque_tokens},
                    {"audit", counts->audit}}},
                  {"audit_retention_days", (*auth)->options().audit_retention_days}});
  }

  int CustomerCreate(const Parsed& p) {
    custauth::CustomerInput in;
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
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto c = (*auth)->create_customer(in, Context());
    if (!c.ok()) return Refuse(c.status());
    return Print({{"customer", custauth::internal::CustomerToJson(*c, true)}});
  }

  int CustomerUpdate(const Parsed& p) {
    custauth::CustomerUpdate u;
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
    std::int64_t website = custauth::kDefaultWebsiteId;
    if (p.has("website-id")) website = ParseInt("website-id", p.get("website-id"));
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto c = (*auth)->update_customer(email, u, Context(), website);
    if (!c.ok()) return Refuse(c.status());
    return Print({{"customer", custauth::internal::CustomerToJson(*c, true)}});
  }

  int CustomerShow(const Parsed& p) {
    const std::string email = p.required("email");
    std::int64_t website = custauth::kDefaultWebsiteId;
    if (p.has("website-id")) website = ParseInt("website-id", p.get("website-id"));
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto c = (*auth)->find_customer(email, website);
    if (!c.ok()) return Refuse(c.status());
    return Print({{"customer", custauth::internal::CustomerToJson(*c, true)}});
  }

  // The current password is read before the new one: with both -stdin options, stdin holds
  // them in that order, one a line.
  int ChangePassword(const Parsed& p) {
    const std::string email = p.required("email");
    const std::string current = Secret(p, "current-password");
    const std::string password = Secret(p, "new-password");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    Status s = (*auth)->change_password(email, current, password, Context(p), Website(p));
    if (!s.ok()) return Refuse(s);
    return Print({{"changed", true}});
  }

  int CustomerDelete(const Parsed& p) {
    const std::string email = p.required("email");
    std::int64_t website = custauth::kDefaultWebsiteId;
    if (p.has("website-id")) website = ParseInt("website-id", p.get("website-id"));
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto c = (*auth)->delete_customer(email, Context(), website);
    if (!c.ok()) return Refuse(c.status());
    return Print({{"deleted", true}, {"id", c->id}});
  }

  // --permission takes a comma-separated list; absent or empty means none.
  static std::vector<std::string> Permissions(const Parsed& p) {
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

  static json IntegrationToJson(const custauth::Integration& i) {
    return {{"id", i.id},
            {"name", i.name},
            {"consumer_key", i.consumer_key},
            {"access_token", i.access_token},
            {"permissions", i.permissions},
            {"active", i.active},
            {"created_at", custauth::internal::FormatTime(i.created_at)},
            {"revoked_at",
             i.revoked_at ? json(custauth::internal::FormatTime(*i.revoked_at)) : json(nullptr)}};
  }

  int IntegrationCreate(const Parsed& p) {
    const std::string name = p.required("name");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto creds = (*auth)->create_integration(name, Permissions(p), Context());
    if (!creds.ok()) return Refuse(creds.status());
    return Print({{"integration", IntegrationToJson(creds->integration)},
                  {"consumer_key", creds->consumer_key},
                  {"consumer_secret", creds->consumer_secret},
                  {"access_token", creds->access_token},
                  {"token_secret", creds->token_secret}});
  }

  int IntegrationList(const Parsed&) {
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    auto all = (*auth)->list_integrations();
    if (!all.ok()) return Refuse(all.status());
    json list = json::array();
    for (const auto& i : *all) list.push_back(IntegrationToJson(i));
    return Print({{"integrations", list}});
  }

  int IntegrationRevoke(const Parsed& p) {
    const std::string key = p.required("consumer-key");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    Status s = (*auth)->revoke_integration(key, Context());
    if (!s.ok()) return Refuse(s);
    return Print({{"revoked", true}});
  }

  int IntegrationSetPermissions(const Parsed& p) {
    const std::string key = p.required("consumer-key");
    auto auth = OpenAuth();
    if (!auth.ok()) return Refuse(auth.status());
    Status s = (*auth)->set_integration_permissions(key, Permissions(p), Context());
    if (!s.ok()) return Refuse(s);
    return Print({{"consumer_key", key}, {"permissions", Permissions(p)}});
  }

  int ExchangeExternal(const Parsed& p) {
    custauth::HttpRequest r;
    r.method = p.required("method");
    r.url = p.required("url");
    r.authorization = p.get("authorization");
    r.content_type = p.get("content-type");
    r.body = p.get("body");
    const std::string input = p.required("input");
    auto auth = OpenAuth(p.has("require-body-hash"));
    if (!auth.ok()) return Refuse(auth.status());
    const std::string out =
        (*auth)->exchange_external_customer_token_graphql(r, input, Context(p), Website(p));
    // Pretty-printed like every other command, the fields in the platform's order.
    const auto j = nlohmann::ordered_json::parse(out);
    std::cout << j.dump(2) << "\n";
    return j.contains("errors") ? kExitRefused : kExitOk;
  }

  static custauth::RequestContext Context() {
    custauth::RequestContext ctx;
    ctx.actor = "cli";
    return ctx;
  }

  Globals g_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Globals g;
  if (const char* env = std::getenv("CUSTAUTH_DB"); env != nullptr && *env != '\0') g.db = env;
  if (g.db.empty()) g.db = "./custauth.db";
  try {
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "-h" || a == "--help" || a == "help") {
        std::cout << kUsage;
        return kExitOk;
      }
      auto value = [&](const std::string& name) {
        if (i + 1 >= args.size()) throw UsageError{name + " needs a value"};
        return args[++i];
      };
      if (a == "--db") {
        g.db = value(a);
      } else if (a == "--key-file") {
        g.key_file = value(a);
      } else if (a == "--token-format") {
        const std::string f = value(a);
        if (f == "jwt") {
          g.token_format = custauth::TokenFormat::kJwt;
        } else if (f == "opaque") {
          g.token_format = custauth::TokenFormat::kOpaque;
        } else {
          throw UsageError{"--token-format takes jwt or opaque"};
        }
      } else if (a == "--argon2-opslimit") {
        g.opslimit = static_cast<std::uint64_t>(ParseInt("argon2-opslimit", value(a)));
      } else if (a == "--argon2-memlimit") {
        g.memlimit = static_cast<std::size_t>(ParseInt("argon2-memlimit", value(a)));
      } else if (a == "--audit-retention-days") {
        const std::int64_t days = ParseInt("audit-retention-days", value(a));
        if (days < 0 || days > 36600) throw UsageError{"--audit-retention-days takes 0..36600"};
        g.audit_retention_days = static_cast<int>(days);
      } else {
        break;
      }
    }
    args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    if (g.key_file.empty()) {
      const char* env = std::getenv("CUSTAUTH_KEY_FILE");
      // Beside a SQLite file; for a PostgreSQL URI, ./custauth.key.
      const bool uri = g.db.rfind("postgresql://", 0) == 0 || g.db.rfind("postgres://", 0) == 0;
      g.key_file = env != nullptr && *env != '\0' ? env
                   : uri                          ? std::string("./custauth.key")
                                                  : custauth::DefaultKeyFilePath(g.db);
    }
    Cli cli(g);
    return cli.Run(args);
  } catch (const UsageError& e) {
    std::cerr << "custauth: " << e.message << "\n\n" << kUsage;
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cout << custauth::internal::ErrorToJson(Status(Code::kInternal, e.what())).dump(2) << "\n";
    return kExitRefused;
  }
}
