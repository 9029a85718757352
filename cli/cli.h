// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth: the command-line tool. An administrator's and a host developer's view of a custauth
// database: every operation of the library, JSON on stdout.
//
//   custauth [--db PATH] COMMAND ...
//
// Exit status: 0 on success; 1 when the operation is refused (stdout then holds
// {"errors":[{"message":"…","extensions":{"category":"…"}}]}); 2 on usage errors (stderr).
//
// What the command files share: the global options (Cli), the command table's entry and handler
// signature (main.cpp holds the table), option parsing and the helpers of common.cpp. Only the
// installed headers (include/custauth) are used.
#ifndef CUSTAUTH_CLI_CLI_H_
#define CUSTAUTH_CLI_CLI_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/token.h"

namespace custauth::cli {

using nlohmann::json;

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRejectedRows = 3;

// A usage error: main prints the message and the usage on stderr and exits kExitUsage.
struct UsageError {
  std::string message;
};

// The global options, given before the command.
struct Cli {
  std::string db;        // --db: a SQLite path or a postgresql:// URI
  std::string key_file;  // --key-file
  std::optional<TokenFormat> token_format;
  std::optional<std::uint64_t> opslimit;
  std::optional<std::size_t> memlimit;
  std::optional<int> audit_retention_days;
  bool sessions = false;  // --sessions: TokenOptions::sessions
};

using Args = std::vector<std::string>;

// A command's handler: `args` are the arguments after the command's name (one or two words).
// Returns the exit status; throws UsageError.
using Handler = int (*)(const Cli& cli, const Args& args);

// An entry of the command table: the name as typed ("prune", "customer create"), its usage
// (the lines of the help, from the name on) and its handler.
struct Command {
  const char* name;
  const char* usage;
  Handler handler;
};

// --- Options of one command ----------------------------------------------------------------------

// The options of one command: name → whether it takes a value.
using OptionSpec = std::map<std::string, bool>;

struct Parsed {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool has(const std::string& name) const { return values.count(name) || flags.count(name); }
  std::string get(const std::string& name) const;
  std::string required(const std::string& name) const;  // throws UsageError "missing --name"
};

// args[start…] as --name VALUE, --name=VALUE or --flag, per `spec`.
Parsed ParseOptions(const Args& args, std::size_t start, const OptionSpec& spec);
bool ParseBool(const std::string& name, const std::string& v);
std::int64_t ParseInt(const std::string& name, const std::string& v);

// One line of stdin, without its line end.
std::string ReadSecretFromStdin();
// --NAME or --NAME-stdin (one of them).
std::string Secret(const Parsed& p, const std::string& name);
// `spec` with the two options Secret reads for each of `secrets`.
OptionSpec WithSecrets(OptionSpec spec, std::initializer_list<std::string> secrets);
// --website-id, else the default website.
std::int64_t Website(const Parsed& p);
// The request context of a command: actor "cli", and --client-ip when given.
RequestContext Context();
RequestContext Context(const Parsed& p);

// --- Common helpers (common.cpp) -----------------------------------------------------------------

// Prints `j` (pretty-printed, as every command does) and returns kExitOk.
int Print(const json& j);
// Prints the refusal {"errors":[…]} and returns kExitRefused.
int Refuse(const Status& s);
// Prints a customer token as the platform's generateCustomerToken mutation answers.
int PrintCustomerToken(const std::string& token);

// `r`'s refusal printed (kExitRefused), or the exit status `show` gives for its value.
template <typename T, typename Show>
int Reply(const Result<T>& r, Show&& show) {
  if (!r.ok()) return Refuse(r.status());
  return show(*r);
}
// `s`'s refusal printed, or `done` printed (kExitOk).
int Reply(const Status& s, const json& done);

// Opens the database --db names; only `init` creates it.
Result<std::shared_ptr<Storage>> OpenDatabase(const Cli& cli, bool create);
// The database with the key file and the global options.
Result<std::unique_ptr<CustomerAuth>> OpenAuth(const Cli& cli, bool require_body_hash = false);
// The exit status `op` gives for the CustomerAuth OpenAuth opens, or its refusal printed.
template <typename Op>
int WithAuth(const Cli& cli, Op&& op) {
  auto auth = OpenAuth(cli);
  if (!auth.ok()) return Refuse(auth.status());
  return op(**auth);
}
// The whole file; kNotFound `<what> <path>` when it cannot be read.
Result<std::string> ReadFile(const std::string& path, const std::string& what);

// --- Handlers, by file ---------------------------------------------------------------------------

// keys.cpp
int CmdInit(const Cli& cli, const Args& args);
int CmdKeysList(const Cli& cli, const Args& args);
int CmdKeysAddPlatform(const Cli& cli, const Args& args);
// customer.cpp
int CmdCustomerCreate(const Cli& cli, const Args& args);
int CmdCustomerUpdate(const Cli& cli, const Args& args);
int CmdCustomerShow(const Cli& cli, const Args& args);
int CmdCustomerChangePassword(const Cli& cli, const Args& args);
int CmdCustomerDelete(const Cli& cli, const Args& args);
// import.cpp
int CmdCustomerImport(const Cli& cli, const Args& args);
int CmdTokenImportRevocations(const Cli& cli, const Args& args);
// login.cpp
int CmdGenerateCustomerToken(const Cli& cli, const Args& args);
int CmdRequestPasswordReset(const Cli& cli, const Args& args);
int CmdResetPassword(const Cli& cli, const Args& args);
int CmdTokenVerify(const Cli& cli, const Args& args);
int CmdTokenRevoke(const Cli& cli, const Args& args);
// session.cpp
int CmdTokenRenew(const Cli& cli, const Args& args);
int CmdSessionList(const Cli& cli, const Args& args);
int CmdSessionRevoke(const Cli& cli, const Args& args);
// otc.cpp
int CmdOtcIssue(const Cli& cli, const Args& args);
int CmdExchangeOtc(const Cli& cli, const Args& args);
// audit.cpp
int CmdAuditList(const Cli& cli, const Args& args);
int CmdPrune(const Cli& cli, const Args& args);
// integration.cpp
int CmdIntegrationCreate(const Cli& cli, const Args& args);
int CmdIntegrationList(const Cli& cli, const Args& args);
int CmdIntegrationImport(const Cli& cli, const Args& args);
int CmdIntegrationRevoke(const Cli& cli, const Args& args);
int CmdIntegrationSetPermissions(const Cli& cli, const Args& args);
int CmdExchangeExternalCustomerToken(const Cli& cli, const Args& args);

}  // namespace custauth::cli

#endif  // CUSTAUTH_CLI_CLI_H_
