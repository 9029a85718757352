// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What every command uses: option parsing, printing, opening the database, reading files.
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "cli.h"
#include "custauth/json.h"
#include "custauth/open_storage.h"

namespace custauth::cli {

std::string Parsed::get(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::string() : it->second;
}

std::string Parsed::required(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) throw UsageError{"missing --" + name};
  return it->second;
}

Parsed ParseOptions(const Args& args, std::size_t start, const OptionSpec& spec) {
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

std::string Secret(const Parsed& p, const std::string& name) {
  if (p.has(name) && p.has(name + "-stdin")) {
    throw UsageError{"give --" + name + " or --" + name + "-stdin, not both"};
  }
  if (p.has(name)) return p.get(name);
  if (p.has(name + "-stdin")) return ReadSecretFromStdin();
  throw UsageError{"missing --" + name + " or --" + name + "-stdin"};
}

OptionSpec WithSecrets(OptionSpec spec, std::initializer_list<std::string> secrets) {
  for (const std::string& name : secrets) {
    spec[name] = true;
    spec[name + "-stdin"] = false;
  }
  return spec;
}

std::int64_t Website(const Parsed& p) {
  return p.has("website-id") ? ParseInt("website-id", p.get("website-id")) : kDefaultWebsiteId;
}

RequestContext Context() {
  RequestContext ctx;
  ctx.actor = "cli";
  return ctx;
}

RequestContext Context(const Parsed& p) {
  RequestContext ctx = Context();
  if (p.has("client-ip")) ctx.client_ip = p.get("client-ip");
  return ctx;
}

int Print(const json& j) {
  std::cout << j.dump(2) << "\n";
  return kExitOk;
}

int Refuse(const Status& s) {
  std::cout << json::parse(ErrorJson(s)).dump(2) << "\n";
  return kExitRefused;
}

int PrintCustomerToken(const std::string& token) {
  return Print({{"data", {{"generateCustomerToken", {{"token", token}}}}}});
}

int Reply(const Status& s, const json& done) { return s.ok() ? Print(done) : Refuse(s); }

Result<std::shared_ptr<Storage>> OpenDatabase(const Cli& cli, bool create) {
  OpenStorageOptions options;
  options.create_if_missing = create;
  auto storage = OpenStorage(cli.db, options);
  if (!create && storage.code() == Code::kNotFound) {
    // A SQLite file that is not there: name the command that creates it.
    auto name = ParseStorageName(cli.db);
    if (name.ok() && name->kind == StorageKind::kSqlite &&
        storage.status().message() == "database " + name->location + " does not exist") {
      return Status(Code::kNotFound, storage.status().message() + "; run 'custauth init'");
    }
  }
  return storage;
}

Result<std::unique_ptr<CustomerAuth>> OpenAuth(const Cli& cli, bool require_body_hash) {
  auto storage = OpenDatabase(cli, false);
  if (!storage.ok()) return storage.status();
  AuthOptions o;
  auto keys = LoadKeyFile(cli.key_file);
  if (!keys.ok()) {
    if (keys.code() == Code::kNotFound) {
      return Status(Code::kNotFound,
                    keys.status().message() + "; run 'custauth init' or pass --key-file");
    }
    return keys.status();
  }
  o.keys = std::move(keys).value();
  if (cli.token_format) o.tokens.format = *cli.token_format;
  if (cli.opslimit) o.argon2.opslimit = *cli.opslimit;
  if (cli.memlimit) o.argon2.memlimit = *cli.memlimit;
  o.exchange_require_body_hash = require_body_hash;
  if (cli.audit_retention_days) o.audit_retention_days = *cli.audit_retention_days;
  o.tokens.sessions = cli.sessions;
  return CustomerAuth::Open(std::move(storage).value(), o);
}

Result<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Code::kNotFound, what + " " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace custauth::cli
