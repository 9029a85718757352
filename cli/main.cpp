// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth's main: the global options, the command table and its dispatch. The usage is made
// from the table, one entry a command, in the table's order.
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "cli.h"
#include "custauth/json.h"
#include "custauth/keys.h"
#include "custauth/open_storage.h"
#include "custauth/version.h"

namespace custauth::cli {
namespace {

int CmdVersion(const Cli&, const Args&) { return Print({{"version", VersionString()}}); }

const char kUsageHead[] =
    "usage: custauth [--db PATH] [--key-file PATH] [--argon2-opslimit N]\n"
    "                [--argon2-memlimit BYTES] [--token-format jwt|opaque]\n"
    "                [--audit-retention-days N] [--sessions] COMMAND ...\n"
    "\n"
    "--db (a SQLite path or a postgresql:// URI) defaults to $CUSTAUTH_DB, else ./custauth.db.\n"
    "--key-file defaults to $CUSTAUTH_KEY_FILE, else the database path with .key for .db\n"
    "(./custauth.key), and ./custauth.key for a PostgreSQL URI.\n"
    "--audit-retention-days: how long audit records are kept (default 180; 0: forever).\n"
    "--sessions: each sign-in starts a session that its tokens name (token renew renews a\n"
    "token, session revoke signs one device out).\n"
    "\n"
    "commands:\n";

const char kUsageTail[] =
    "\n"
    "Output is JSON on stdout. Exit status: 0 success, 1 refused, 2 usage error, 3 an import\n"
    "completed with rejected rows.\n";

// The continuation lines of a usage: options under the name, notes in the second column.
#define OPTS "\n                  "
#define NOTE "\n                                         "

const Command kCommands[] = {
    {"init",
     "init [--platform-crypt-key-file F]    create (or migrate) the database and create" NOTE
     "the key file (mode 0600) if it is missing; with" NOTE
     "F (the platform's crypt/key value) tokens are" NOTE
     "signed and verified as the platform does",
     CmdInit},
    {"keys list",
     "keys list                              the JWT key ring (kids, sizes; no secrets)",
     CmdKeysList},
    {"keys add-platform",
     "keys add-platform F [--replace]        add the platform's JWT key (kid \"1\") from F",
     CmdKeysAddPlatform},
    {"customer create",
     "customer create --email E --firstname F --lastname L" OPTS
     "[--password-stdin | --password P] [--unconfirmed]" OPTS
     "[--allow-remote-shopping-assistance] [--subscribed] [--website-id N]",
     CmdCustomerCreate},
    {"customer update",
     "customer update --email E [--firstname F] [--lastname L] [--confirmed true|false]" OPTS
     "[--active true|false] [--subscribed true|false]" OPTS
     "[--allow-remote-shopping-assistance true|false] [--website-id N]",
     CmdCustomerUpdate},
    {"customer show", "customer show --email E [--website-id N]", CmdCustomerShow},
    {"customer change-password",
     "customer change-password --email E (--current-password-stdin | --current-password P)" OPTS
     "(--new-password-stdin | --new-password N) [--website-id N]" OPTS "[--client-ip IP]" NOTE
     "with both -stdin options, stdin holds the" NOTE
     "current password, then the new one, one a line",
     CmdCustomerChangePassword},
    {"customer delete",
     "customer delete --email E [--website-id N]" NOTE
     "erase the customer (the right to erasure):" NOTE
     "its secrets and tokens go, its audit records" NOTE "lose email and IP",
     CmdCustomerDelete},
    {"customer import",
     "customer import FILE [--format auto|csv|jsonl] [--on-conflict skip|update|fail]" OPTS
     "[--strict] [--quiet] [--batch-size N]" NOTE
     "import the platform's customer_entity export;" NOTE "exit 3 when rows were rejected (listed)",
     CmdCustomerImport},
    {"generate-customer-token",
     "generate-customer-token --email E (--password-stdin | --password P)",
     CmdGenerateCustomerToken},
    {"request-password-reset", "request-password-reset --email E [--client-ip IP]",
     CmdRequestPasswordReset},
    {"reset-password",
     "reset-password --email E --token T (--new-password-stdin | --new-password P)",
     CmdResetPassword},
    {"otc issue", "otc issue --email E --admin-id N [--reason R]", CmdOtcIssue},
    {"exchange-otc", "exchange-otc --email E --otc CODE", CmdExchangeOtc},
    {"token verify", "token verify TOKEN", CmdTokenVerify},
    {"token revoke", "token revoke --email E", CmdTokenRevoke},
    {"token renew",
     "token renew TOKEN                      a fresh token for the session of a token" NOTE
     "issued with --sessions: {\"token\"," NOTE "\"expires_at\", \"session_id\"}",
     CmdTokenRenew},
    {"session list", "session list --email E [--website-id N]", CmdSessionList},
    {"session revoke",
     "session revoke TOKEN                   sign one device out: every token of the" NOTE
     "token's session is refused",
     CmdSessionRevoke},
    {"token import-revocations",
     "token import-revocations FILE [--format auto|csv|jsonl] [--strict] [--quiet]" NOTE
     "the platform's jwt_auth_revoked rows",
     CmdTokenImportRevocations},
    {"audit list", "audit list [--email E] [--after-id N] [--limit N]", CmdAuditList},
    {"prune",
     "prune                                  remove at once what is past its retention" NOTE
     "(rate-limit events and buckets, nonces," NOTE "one-time secrets, opaque tokens, audit" NOTE
     "records); prints the rows removed per table",
     CmdPrune},
    {"integration create",
     "integration create --name N [--permission P[,P...]]" NOTE
     "prints the four OAuth 1.0a credentials (the" NOTE
     "secrets are shown only here); P may be" NOTE "exchange_external_customer_token",
     CmdIntegrationCreate},
    {"integration list", "integration list", CmdIntegrationList},
    {"integration import",
     "integration import FILE                integrations with their credentials (JSON: an" NOTE
     "object or an array of {name, consumer_key," NOTE
     "consumer_secret, access_token, token_secret," NOTE "permissions})",
     CmdIntegrationImport},
    {"integration revoke", "integration revoke --consumer-key K", CmdIntegrationRevoke},
    {"integration set-permissions",
     "integration set-permissions --consumer-key K [--permission P[,P...]]",
     CmdIntegrationSetPermissions},
    {"exchange-external-customer-token",
     "exchange-external-customer-token --method M --url URL [--authorization HEADER]" OPTS
     "[--content-type T] [--body BODY] --input JSON [--website-id N]" OPTS
     "[--require-body-hash]" NOTE "checks the request's OAuth 1.0a signature and" NOTE
     "prints the GraphQL-shaped result; with" NOTE
     "--require-body-hash a body that is not a form" NOTE "must carry oauth_body_hash",
     CmdExchangeExternalCustomerToken},
    {"version", "version", CmdVersion},
};

#undef OPTS
#undef NOTE

std::string Usage() {
  std::string usage = kUsageHead;
  for (const Command& c : kCommands) {
    usage += "  ";
    usage += c.usage;
    usage += "\n";
  }
  return usage + kUsageTail;
}

// The command `args` start with (its name is one word or two); *words: how many.
const Command* FindCommand(const Args& args, std::size_t* words) {
  const std::string two = args.size() >= 2 ? args[0] + " " + args[1] : std::string();
  for (const Command& c : kCommands) {
    if (args[0] == c.name) {
      *words = 1;
      return &c;
    }
    if (!two.empty() && two == c.name) {
      *words = 2;
      return &c;
    }
  }
  return nullptr;
}

int Dispatch(const Cli& cli, const Args& args) {
  if (args.empty()) throw UsageError{"no command"};
  std::size_t words = 0;
  const Command* command = FindCommand(args, &words);
  if (command == nullptr) {
    throw UsageError{"unknown command '" + args[0] + (args.size() >= 2 ? " " + args[1] : "") + "'"};
  }
  return command->handler(cli, Args(args.begin() + static_cast<std::ptrdiff_t>(words), args.end()));
}

// The value of global option args[*i] (advancing *i).
std::string GlobalValue(const Args& args, std::size_t* i) {
  if (*i + 1 >= args.size()) throw UsageError{args[*i] + " needs a value"};
  return args[++*i];
}

// Sets the global option args[*i] (and takes its value); false when args[*i] is not one.
bool ParseGlobal(const Args& args, std::size_t* i, Cli* cli) {
  const std::string& a = args[*i];
  if (a == "--db") {
    cli->db = GlobalValue(args, i);
  } else if (a == "--key-file") {
    cli->key_file = GlobalValue(args, i);
  } else if (a == "--token-format") {
    const std::string f = GlobalValue(args, i);
    if (f == "jwt") {
      cli->token_format = TokenFormat::kJwt;
    } else if (f == "opaque") {
      cli->token_format = TokenFormat::kOpaque;
    } else {
      throw UsageError{"--token-format takes jwt or opaque"};
    }
  } else if (a == "--argon2-opslimit") {
    cli->opslimit = static_cast<std::uint64_t>(ParseInt("argon2-opslimit", GlobalValue(args, i)));
  } else if (a == "--argon2-memlimit") {
    cli->memlimit = static_cast<std::size_t>(ParseInt("argon2-memlimit", GlobalValue(args, i)));
  } else if (a == "--audit-retention-days") {
    const std::int64_t days = ParseInt("audit-retention-days", GlobalValue(args, i));
    if (days < 0 || days > 36600) throw UsageError{"--audit-retention-days takes 0..36600"};
    cli->audit_retention_days = static_cast<int>(days);
  } else if (a == "--sessions") {
    cli->sessions = true;
  } else {
    return false;
  }
  return true;
}

// The key file when --key-file is not given: $CUSTAUTH_KEY_FILE, else beside a SQLite file,
// else (a PostgreSQL URI) ./custauth.key.
std::string DefaultKeyFile(const std::string& db) {
  const char* env = std::getenv("CUSTAUTH_KEY_FILE");
  if (env != nullptr && *env != '\0') return env;
  auto name = ParseStorageName(db);
  if (name.ok() && name->kind == StorageKind::kSqlite) return DefaultKeyFilePath(name->location);
  return "./custauth.key";
}

int Main(Args args) {
  Cli cli;
  if (const char* env = std::getenv("CUSTAUTH_DB"); env != nullptr && *env != '\0') cli.db = env;
  if (cli.db.empty()) cli.db = "./custauth.db";
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help" || a == "help") {
      std::cout << Usage();
      return kExitOk;
    }
    if (!ParseGlobal(args, &i, &cli)) break;
  }
  args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  if (cli.key_file.empty()) cli.key_file = DefaultKeyFile(cli.db);
  return Dispatch(cli, args);
}

}  // namespace
}  // namespace custauth::cli

int main(int argc, char** argv) {
  using namespace custauth::cli;
  try {
    return Main(Args(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "custauth: " << e.message << "\n\n" << Usage();
    return kExitUsage;
  } catch (const std::exception& e) {
    return Refuse(custauth::Status(custauth::Code::kInternal, e.what()));
  }
}
