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

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "custauth/auth.h"
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

const char kUsage[] =
    "usage: custauth [--db PATH] [--argon2-opslimit N] [--argon2-memlimit BYTES] COMMAND ...\n"
    "\n"
    "PATH defaults to $CUSTAUTH_DB, else ./custauth.db.\n"
    "\n"
    "commands:\n"
    "  init                                   create (or migrate) the database\n"
    "  customer create --email E --firstname F --lastname L\n"
    "                  [--password-stdin | --password P] [--unconfirmed]\n"
    "                  [--allow-remote-shopping-assistance] [--subscribed] [--website-id N]\n"
    "  customer update --email E [--firstname F] [--lastname L] [--confirmed true|false]\n"
    "                  [--active true|false] [--subscribed true|false]\n"
    "                  [--allow-remote-shopping-assistance true|false] [--website-id N]\n"
    "  customer show --email E [--website-id N]\n"
    "  version\n"
    "\n"
    "Output is JSON on stdout. Exit status: 0 success, 1 refused, 2 usage error.\n";

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

Parsed ParseOptions(const std::vector<std::string>& args, std::size_t start, const OptionSpec& spec) {
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
  std::optional<std::uint64_t> opslimit;
  std::optional<std::size_t> memlimit;
};

class Cli {
 public:
  explicit Cli(Globals g) : g_(std::move(g)) {}

  int Run(const std::vector<std::string>& args) {
    if (args.empty()) throw UsageError{"no command"};
    const std::string& cmd = args[0];
    if (cmd == "version") return Print({{"version", custauth::VersionString()}});
    if (cmd == "init") return Init(ParseOptions(args, 1, {}));
    if (cmd == "customer" && args.size() >= 2) {
      const std::string& sub = args[1];
      if (sub == "create") return CustomerCreate(ParseOptions(args, 2, kCreateSpec));
      if (sub == "update") return CustomerUpdate(ParseOptions(args, 2, kUpdateSpec));
      if (sub == "show") return CustomerShow(ParseOptions(args, 2, kShowSpec));
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
      {"email", true},      {"firstname", true},  {"lastname", true},
      {"confirmed", true},  {"active", true},     {"subscribed", true},
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
  custauth::Result<std::shared_ptr<custauth::Storage>> OpenStorage(bool create) {
    custauth::SqliteOptions so;
    so.create_if_missing = create;
    if (!create && access(g_.db.c_str(), F_OK) != 0) {
      return Status(Code::kNotFound, "database " + g_.db + " does not exist; run 'custauth init'");
    }
    auto s = custauth::OpenSqliteStorage(g_.db, so);
    if (!s.ok()) return s.status();
    return std::shared_ptr<custauth::Storage>(std::move(s).value());
  }

  custauth::Result<std::unique_ptr<custauth::CustomerAuth>> OpenAuth() {
    auto storage = OpenStorage(false);
    if (!storage.ok()) return storage.status();
    custauth::AuthOptions o;
    if (g_.opslimit) o.argon2.opslimit = *g_.opslimit;
    if (g_.memlimit) o.argon2.memlimit = *g_.memlimit;
    return custauth::CustomerAuth::Open(std::move(storage).value(), o);
  }

  int Init(const Parsed&) {
    auto storage = OpenStorage(true);
    if (!storage.ok()) return Refuse(storage.status());
    return Print({{"database", g_.db},
                  {"backend", (*storage)->describe()},
                  {"schema_version", custauth::SqliteSchemaVersion()}});
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
      u.allow_remote_shopping_assistance = ParseBool(
          "allow-remote-shopping-assistance", p.get("allow-remote-shopping-assistance"));
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
      } else if (a == "--argon2-opslimit") {
        g.opslimit = static_cast<std::uint64_t>(ParseInt("argon2-opslimit", value(a)));
      } else if (a == "--argon2-memlimit") {
        g.memlimit = static_cast<std::size_t>(ParseInt("argon2-memlimit", value(a)));
      } else {
        break;
      }
    }
    args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    Cli cli(g);
    return cli.Run(args);
  } catch (const UsageError& e) {
    std::cerr << "custauth: " << e.message << "\n\n" << kUsage;
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cout << custauth::internal::ErrorToJson(Status(Code::kInternal, e.what())).dump(2)
              << "\n";
    return kExitRefused;
  }
}
