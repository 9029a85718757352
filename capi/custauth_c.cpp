// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI (custauth.h) over CustomerAuth. Every extern "C" body runs inside Guard(), which
// catches every exception and maps it to CUSTAUTH_EINTERNAL: nothing is thrown across the
// boundary. Results are JSON built with the shapes of src/json.h.
#include "custauth.h"

#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto.h"
#include "custauth/auth.h"
#include "custauth/graphql.h"
#include "custauth/keys.h"
#include "custauth/open_storage.h"
#include "custauth/status.h"
#include "custauth/testing.h"
#include "custauth/version.h"
#include "internal.h"
#include "json.h"
#include "process_generation.h"

// The C codes are custauth::Code's numbers.
static_assert(CUSTAUTH_OK == static_cast<int>(custauth::Code::kOk));
static_assert(CUSTAUTH_EINVALID == static_cast<int>(custauth::Code::kInvalidInput));
static_assert(CUSTAUTH_ENOTFOUND == static_cast<int>(custauth::Code::kNotFound));
static_assert(CUSTAUTH_EEXISTS == static_cast<int>(custauth::Code::kAlreadyExists));
static_assert(CUSTAUTH_EAUTH == static_cast<int>(custauth::Code::kAuthenticationFailed));
static_assert(CUSTAUTH_ENOTCONFIRMED == static_cast<int>(custauth::Code::kNotConfirmed));
static_assert(CUSTAUTH_ELOCKED == static_cast<int>(custauth::Code::kLocked));
static_assert(CUSTAUTH_EEXPIRED == static_cast<int>(custauth::Code::kExpired));
static_assert(CUSTAUTH_EFORBIDDEN == static_cast<int>(custauth::Code::kForbidden));
static_assert(CUSTAUTH_ERATELIMITED == static_cast<int>(custauth::Code::kRateLimited));
static_assert(CUSTAUTH_EUNSUPPORTED == static_cast<int>(custauth::Code::kUnsupported));
static_assert(CUSTAUTH_ESTORAGE == static_cast<int>(custauth::Code::kStorage));
static_assert(CUSTAUTH_EBUSY == static_cast<int>(custauth::Code::kBusy));
static_assert(CUSTAUTH_ECONFLICT == static_cast<int>(custauth::Code::kConflict));
static_assert(CUSTAUTH_EINTERNAL == static_cast<int>(custauth::Code::kInternal));
static_assert(CUSTAUTH_EINVALIDTOKEN == static_cast<int>(custauth::Code::kInvalidToken));
static_assert(CUSTAUTH_TOKEN_JWT == static_cast<int>(custauth::TokenFormat::kJwt));
static_assert(CUSTAUTH_TOKEN_OPAQUE == static_cast<int>(custauth::TokenFormat::kOpaque));

// The version macros mirror custauth/version.h (both are included above: a difference would also
// be a macro redefinition error).
static_assert(CUSTAUTH_VERSION_NUMBER == CUSTAUTH_VERSION_MAJOR * 1000000 +
                                             CUSTAUTH_VERSION_MINOR * 1000 +
                                             CUSTAUTH_VERSION_PATCH);

// What a custauth_t is: the facade, and the process that opened it (see fork() in custauth.h):
// its generation, which every call compares with the current one (one atomic load, no system
// call), and its id, for the message.
struct custauth_handle {
  std::unique_ptr<custauth::CustomerAuth> auth;
  std::uint64_t generation = 0;
  pid_t pid = 0;
};

namespace custauth {
namespace {

using nlohmann::json;

constexpr int kMinCode = CUSTAUTH_EINVALIDTOKEN;

// The bytes of a version-1 custauth_options: everything before the fields version 2 appended;
// of a version 2 one, everything before version 3's.
constexpr std::size_t kOptionsV1Size = offsetof(custauth_options, test_flags);
constexpr std::size_t kOptionsV2Size = offsetof(custauth_options, exchange_require_body_hash);
constexpr std::size_t kOptionsV3Size = offsetof(custauth_options, login_throttle_max_failures);

// The bytes of a custauth_options of `version` (a known one).
constexpr std::size_t OptionsSize(unsigned int version) {
  return version == 1   ? kOptionsV1Size
         : version == 2 ? kOptionsV2Size
         : version == 3 ? kOptionsV3Size
                        : sizeof(custauth_options);
}
constexpr unsigned int kTestFlags = CUSTAUTH_TEST_HANDLE | CUSTAUTH_TEST_SEEDED;
constexpr std::string_view kClockReadNeedsTestHandle =
    "the clock can only be read on a test handle";

// --- The thread's last error -------------------------------------------------------------------

// One thread_local object, so that a call finds it with one TLS lookup (__tls_get_addr in a
// shared library), not three.
struct LastError {
  std::string message;
  int code = CUSTAUTH_OK;
  bool oom = false;  // the message itself could not be stored
};
thread_local LastError t_last;

void ClearError() noexcept {
  LastError& e = t_last;
  if (e.code == CUSTAUTH_OK && e.message.empty() && !e.oom) return;  // already clear
  e.message.clear();
  e.code = CUSTAUTH_OK;
  e.oom = false;
}

int SetError(int code, std::string_view message) noexcept {
  LastError& e = t_last;
  e.code = code;
  try {
    e.message.assign(message);
    e.oom = false;
  } catch (...) {
    e.message.clear();
    e.oom = true;
  }
  return code;
}

int Fail(const Status& s) noexcept { return SetError(s.raw_code(), s.message()); }

// Raised inside the boundary for bad C arguments; Guard turns it into CUSTAUTH_EINVALID.
struct InvalidArgument {
  std::string message;
};

[[noreturn]] void Invalid(std::string message) { throw InvalidArgument{std::move(message)}; }

// Runs `f` (which returns a code) with the thread's error cleared first; no exception escapes.
template <class F>
int Guard(F&& f) noexcept {
  try {
    ClearError();
    return f();
  } catch (const InvalidArgument& e) {
    return SetError(CUSTAUTH_EINVALID, e.message);
  } catch (const std::bad_alloc&) {
    return SetError(CUSTAUTH_EINTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return SetError(CUSTAUTH_EINTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return SetError(CUSTAUTH_EINTERNAL, "internal error: unknown exception");
  }
}

// --- Strings out -------------------------------------------------------------------------------

// A malloc'd copy of `s` for the host (released by custauth_free).
char* Dup(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

char* DupJson(const json& j) {
  std::string s = Dump(j);
  char* p = Dup(s);
  sodium_memzero(s.data(), s.size());
  return p;
}

// Checks `out` and sets *out = NULL (what it holds on failure).
void ResetOut(char** out) {
  if (out == nullptr) Invalid("out is NULL");
  *out = nullptr;
}

// --- Arguments in ------------------------------------------------------------------------------

// A string argument; NULL reads as "" (so that an absent email or password gets the platform's
// own message, e.g. `Specify the "email" value.`).
std::string_view Arg(const char* s) { return s == nullptr ? std::string_view() : s; }

CustomerAuth& Auth(custauth_t* db) {
  if (db == nullptr) Invalid("the custauth handle is NULL");
  if (db->generation != internal::ProcessGeneration()) [[unlikely]] {
    Invalid("this custauth handle was opened by process " + std::to_string(db->pid) +
            "; open a new handle after fork()");
  }
  return *db->auth;
}

// --- SQLite files and fork() ------------------------------------------------------------------
//
// SQLite keeps its POSIX locks per process and per file (inode): every connection of a process to
// one file shares that state. A child of fork() inherits the parent's connections as memory that
// believes it holds locks, but POSIX locks are not inherited: a new connection the child opens to
// the same file would join that state and take no lock of its own (on the -shm file above all), so
// a parent that then closes its last connection checkpoints and truncates the WAL under the
// child's writes. So custauth_open refuses, in a process that inherited a handle on a SQLite file
// (same device and inode), a new handle on that file. The inherited handle itself is never used
// (CUSTAUTH_EINVALID) nor closed (custauth_close leaks it: closing its descriptors would drop the
// locks of connections this process still holds).

struct OpenSqliteFile {
  dev_t dev;
  ino_t ino;
  std::uint64_t generation;  // of the process that opened the handle
  pid_t pid;
  const custauth_handle* handle;
};

// Locked across fork() by the atfork handlers below, so that a child never inherits it locked.
std::mutex g_sqlite_files_mutex;
std::vector<OpenSqliteFile> g_sqlite_files;

void LockSqliteFiles() noexcept { g_sqlite_files_mutex.lock(); }
void UnlockSqliteFiles() noexcept { g_sqlite_files_mutex.unlock(); }
struct RegisterSqliteFilesAtFork {
  RegisterSqliteFilesAtFork() noexcept {
    if (pthread_atfork(&LockSqliteFiles, &UnlockSqliteFiles, &UnlockSqliteFiles) != 0) {
      std::abort();
    }
  }
};
const RegisterSqliteFilesAtFork g_register_sqlite_files_at_fork;

// Refuses `path` when this process inherited a handle on the same file.
void RefuseInheritedSqliteFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return;  // no file yet: nothing can be inherited on it
  const std::uint64_t now = internal::ProcessGeneration();
  std::lock_guard<std::mutex> lock(g_sqlite_files_mutex);
  for (const OpenSqliteFile& f : g_sqlite_files) {
    if (f.dev == st.st_dev && f.ino == st.st_ino && f.generation != now) {
      Invalid("the SQLite database " + path + " is open in a custauth handle that process " +
              std::to_string(f.pid) +
              " opened before fork(); a new handle here would share that handle's SQLite locks "
              "and could corrupt the file: close every custauth handle on it before fork() and "
              "open handles in each process after fork()");
    }
  }
}

void RememberSqliteFile(const std::string& path, const custauth_handle* handle) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return;
  std::lock_guard<std::mutex> lock(g_sqlite_files_mutex);
  g_sqlite_files.push_back(
      OpenSqliteFile{st.st_dev, st.st_ino, internal::ProcessGeneration(), getpid(), handle});
}

void ForgetSqliteFile(const custauth_handle* handle) noexcept {
  std::lock_guard<std::mutex> lock(g_sqlite_files_mutex);
  std::erase_if(g_sqlite_files, [&](const OpenSqliteFile& f) { return f.handle == handle; });
}

struct Context {
  RequestContext request;
  std::int64_t website_id = kDefaultWebsiteId;
};

std::int64_t WebsiteId(std::int64_t id) {
  if (id < 0) Invalid("website_id must be positive");
  return id == 0 ? kDefaultWebsiteId : id;
}

Context ToContext(const custauth_context* c) {
  Context ctx;
  if (c == nullptr) return ctx;
  if (c->version != CUSTAUTH_CONTEXT_VERSION) {
    Invalid("custauth_context version " + std::to_string(c->version) +
            " is not supported (this library knows version " +
            std::to_string(CUSTAUTH_CONTEXT_VERSION) + "); use CUSTAUTH_CONTEXT_INIT");
  }
  if (c->client_ip != nullptr) ctx.request.client_ip = c->client_ip;
  if (c->user_agent != nullptr) ctx.request.user_agent = c->user_agent;
  if (c->actor != nullptr) ctx.request.actor = c->actor;
  ctx.website_id = WebsiteId(c->website_id);
  return ctx;
}

std::vector<std::string> ToList(const char* const* items, std::size_t count) {
  if (items == nullptr && count != 0) Invalid("permissions is NULL but count is not 0");
  std::vector<std::string> v;
  v.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i] == nullptr) Invalid("permissions[" + std::to_string(i) + "] is NULL");
    v.emplace_back(items[i]);
  }
  return v;
}

// --- Results as JSON ---------------------------------------------------------------------------

json ClaimsToJson(const TokenClaims& c) {
  json j = {{"uid", c.customer_id},
            {"utypid", c.user_type},
            {"iat", c.issued_at},
            {"exp", c.expires_at},
            {"format", c.format == TokenFormat::kJwt ? "jwt" : "opaque"}};
  if (!c.kid.empty()) j["kid"] = c.kid;
  return j;
}

json IntegrationToJson(const Integration& i) {
  return {{"id", i.id},
          {"name", i.name},
          {"consumer_key", i.consumer_key},
          {"permissions", i.permissions},
          {"active", i.active},
          {"created_at", internal::FormatTime(i.created_at)},
          {"revoked_at", i.revoked_at ? json(internal::FormatTime(*i.revoked_at)) : json(nullptr)}};
}

json CredentialsToJson(const IntegrationCredentials& c) {
  json j = IntegrationToJson(c.integration);
  j.erase("revoked_at");
  j["consumer_secret"] = c.consumer_secret;
  j["access_token"] = c.access_token;
  j["token_secret"] = c.token_secret;
  return j;
}

json KeysToJson(const Keys& keys) {
  json j;
  j["version"] = 1;
  j["secret_key"] = internal::Base64Encode(keys.secret_key);
  j["seal_key"] = internal::Base64Encode(keys.seal_key);
  j["jwt_keys"] = json::array();
  for (const auto& k : keys.jwt_keys) {
    j["jwt_keys"].push_back({{"kid", k.kid}, {"secret", internal::Base64Encode(k.secret)}});
  }
  return j;
}

// The key-file JSON of keys.h, given as a string rather than a file.
Result<Keys> ParseKeys(std::string_view text) {
  auto invalid = [](const std::string& what) {
    return Status(Code::kInvalidInput, "keys_json: " + what);
  };
  auto parsed = internal::ParseJsonChecked(text, "the JSON");
  if (!parsed.ok()) return invalid(parsed.status().message());
  json j = std::move(parsed).value();
  if (!j.is_object()) return invalid("not a JSON object");
  if (!j.contains("version") || j["version"] != 1) return invalid("unsupported version");
  Keys keys;
  for (const char* name : {"secret_key", "seal_key"}) {
    if (!j.contains(name) || !j[name].is_string()) return invalid(std::string("no ") + name);
    auto d = internal::Base64Decode(j[name].get<std::string>());
    if (!d) return invalid(std::string(name) + " is not base64");
    (std::string_view(name) == "secret_key" ? keys.secret_key : keys.seal_key) = std::move(*d);
  }
  if (!j.contains("jwt_keys") || !j["jwt_keys"].is_array()) return invalid("no jwt_keys");
  for (const auto& e : j["jwt_keys"]) {
    if (!e.is_object() || !e.contains("kid") || !e["kid"].is_string()) {
      return invalid("a jwt_keys entry has no kid");
    }
    JwtKey k;
    k.kid = e["kid"].get<std::string>();
    if (e.contains("secret") && e["secret"].is_string()) {
      auto d = internal::Base64Decode(e["secret"].get<std::string>());
      if (!d) return invalid("JWT key '" + k.kid + "' secret is not base64");
      k.secret = std::move(*d);
    } else if (e.contains("platform_crypt_key") && e["platform_crypt_key"].is_string()) {
      k.secret = PlatformJwtSecret(e["platform_crypt_key"].get<std::string>());
    } else {
      return invalid("JWT key '" + k.kid + "' has neither secret nor platform_crypt_key");
    }
    keys.jwt_keys.push_back(std::move(k));
  }
  Status valid = ValidateKeys(keys);
  if (!valid.ok()) return invalid(valid.message());
  return keys;
}

// --- Opening -----------------------------------------------------------------------------------

// Refuses an options version this library does not know (1 to the current one are known).
void CheckOptionsVersion(unsigned int version, const char* what) {
  if (version < 1 || version > CUSTAUTH_OPTIONS_VERSION) {
    Invalid(std::string(what) + " version " + std::to_string(version) +
            " is not supported (this library knows versions 1 to " +
            std::to_string(CUSTAUTH_OPTIONS_VERSION) + "); use CUSTAUTH_OPTIONS_INIT");
  }
}

// Seconds (0: `def`) as TimeMs, refusing what would overflow.
TimeMs Seconds(std::int64_t s, TimeMs def, const char* name) {
  if (s == 0) return def;
  if (s < 0) Invalid(std::string(name) + " must not be negative");
  if (s > kMaxDuration / kSecond) Invalid(std::string(name) + " is more than 100 years");
  return s * kSecond;
}

// A host's verifier (custauth_verifier) as a PasswordVerifier.
class CVerifier final : public PasswordVerifier {
 public:
  CVerifier(std::string name, custauth_verify_fn fn, void* user_data)
      : name_(std::move(name)), fn_(fn), user_data_(user_data) {}
  std::string name() const override { return name_; }
  Result<Verdict> verify(const VerifyRequest& r) override {
    const std::string secret(r.secret);
    custauth_verify_request req;
    req.version = CUSTAUTH_VERIFIER_VERSION;
    req.customer_id = r.customer.id;
    req.website_id = r.customer.website_id;
    req.email = r.customer.email.c_str();
    req.password_hash = r.customer.password_hash.c_str();
    req.secret = secret.c_str();
    req.secret_len = secret.size();
    req.client_ip = r.context.client_ip.c_str();
    custauth_verify_answer answer;
    std::memset(&answer, 0, sizeof answer);
    const int rc = fn_(user_data_, &req, &answer);
    answer.message[sizeof answer.message - 1] = '\0';
    switch (rc) {
      case CUSTAUTH_VERIFY_NOT_MINE:
        return Verdict::NotMine(answer.costly != 0);
      case CUSTAUTH_VERIFY_MATCHED: {
        Verdict v = Verdict::Match(answer.costly != 0);
        if (answer.rehash != 0) {
          auto h = r.services.hasher().hash(r.secret);
          // A busy hasher does not refuse the sign-in: the upgrade waits for the next login.
          if (h.ok()) v.new_password_hash = std::move(h).value();
        }
        return v;
      }
      case CUSTAUTH_VERIFY_ERROR:
        return Status(Code::kInternal, answer.message[0] != '\0' ? std::string(answer.message)
                                                                 : std::string("an error"));
      default:
        return Status(Code::kInternal, "it returned " + std::to_string(rc) +
                                           ", not CUSTAUTH_VERIFY_MATCHED, _NOT_MINE or _ERROR");
    }
  }

 private:
  std::string name_;
  custauth_verify_fn fn_;
  void* user_data_;
};

// The chain custauth_open_with_verifiers was given, as PasswordVerifiers.
std::vector<std::shared_ptr<PasswordVerifier>> Verifiers(const custauth_verifier* v,
                                                         std::size_t count) {
  std::vector<std::shared_ptr<PasswordVerifier>> out;
  if (count == 0) return out;
  if (v == nullptr) Invalid("verifiers is NULL");
  if (count > 16) Invalid("at most 16 verifiers");
  for (std::size_t k = 0; k < count; ++k) {
    if (v[k].version != CUSTAUTH_VERIFIER_VERSION) {
      Invalid("custauth_verifier version " + std::to_string(v[k].version) +
              " is not supported; use CUSTAUTH_VERIFIER_INIT");
    }
    if (v[k].name == nullptr) Invalid("a verifier has no name");
    const std::string name(v[k].name);
    if (v[k].verify != nullptr) {
      out.push_back(std::make_shared<CVerifier>(name, v[k].verify, v[k].user_data));
    } else if (name == "password") {
      out.push_back(AccountPasswordVerifier());
    } else if (name == "reset_token") {
      out.push_back(ResetTokenVerifier());
    } else if (name == "otc") {
      out.push_back(AdminOtcVerifier());
    } else {
      Invalid("no built-in verifier is named \"" + name +
              "\" (password, reset_token, otc); give a verify callback");
    }
  }
  return out;
}

int Open(custauth_t** out, const char* storage_arg, const custauth_options* o,
         std::vector<std::shared_ptr<PasswordVerifier>> verifiers = {}) {
  if (out == nullptr) Invalid("out is NULL");
  *out = nullptr;
  if (storage_arg == nullptr || *storage_arg == '\0') {
    Invalid("storage is empty: give \"memory:\" or the path of a SQLite database");
  }
  custauth_options defaults;
  custauth_options_init(&defaults, CUSTAUTH_OPTIONS_VERSION);
  if (o == nullptr) o = &defaults;
  CheckOptionsVersion(o->version, "custauth_options");
  // An older struct is shorter: read its fields only, the rest keeps the defaults.
  custauth_options current = defaults;
  std::memcpy(&current, o, OptionsSize(o->version));
  o = &current;
  if ((o->test_flags & ~kTestFlags) != 0) {
    Invalid("unknown test_flags " + std::to_string(o->test_flags & ~kTestFlags));
  }
  const bool test = (o->test_flags & CUSTAUTH_TEST_HANDLE) != 0;
  auto name = ParseStorageName(storage_arg);
  if (!name.ok()) return Fail(name.status());
  const std::string path = name.value().location;
  const bool memory = name.value().kind == StorageKind::kMemory;
  const bool postgres = name.value().kind == StorageKind::kPostgres;
  if (postgres && !test && o->key_file == nullptr && o->keys_json == nullptr) {
    Invalid("a PostgreSQL storage needs key_file or keys_json");
  }

  AuthOptions a;
  // A test handle (custauth.h, "Test handles"); a seed on another handle is refused by Open.
  a.test_mode = test;
  if ((o->test_flags & CUSTAUTH_TEST_SEEDED) != 0) a.test_seed = o->test_seed;
  // Keys.
  if (o->key_file != nullptr && o->keys_json != nullptr) {
    Invalid("give key_file or keys_json, not both");
  }
  if (o->keys_json != nullptr) {
    auto keys = ParseKeys(o->keys_json);
    if (!keys.ok()) return Fail(keys.status());
    a.keys = std::move(keys).value();
  } else if (o->key_file != nullptr || (!memory && !test)) {
    const std::string file =
        o->key_file != nullptr ? std::string(o->key_file) : DefaultKeyFilePath(path);
    auto keys = LoadKeyFile(file);
    if (!keys.ok()) {
      if (keys.code() == Code::kNotFound) {
        return SetError(CUSTAUTH_ENOTFOUND,
                        keys.status().message() +
                            "; create it with custauth_keys_generate() or `custauth init`, or "
                            "pass keys_json");
      }
      return Fail(keys.status());
    }
    a.keys = std::move(keys).value();
  } else if (!test) {
    EnsureSodium();
    a.keys = GenerateKeys(*SystemRandom::Shared());
  }  // else: a test handle derives its keys from its seed (CustomerAuth::Open)
  // Tokens.
  if (o->token_format != CUSTAUTH_TOKEN_JWT && o->token_format != CUSTAUTH_TOKEN_OPAQUE) {
    Invalid("token_format must be CUSTAUTH_TOKEN_JWT or CUSTAUTH_TOKEN_OPAQUE");
  }
  a.tokens.format = static_cast<TokenFormat>(o->token_format);
  a.tokens.lifetime = Seconds(o->token_lifetime_s, a.tokens.lifetime, "token_lifetime_s");
  a.tokens.leeway =
      o->token_leeway_s < 0 ? 0 : Seconds(o->token_leeway_s, a.tokens.leeway, "token_leeway_s");
  if (o->revocation_refresh_ms < 0) {
    a.tokens.revocation_refresh = 0;
  } else if (o->revocation_refresh_ms > kMaxDuration) {
    Invalid("revocation_refresh_ms is more than 100 years");
  } else if (o->revocation_refresh_ms > 0) {
    a.tokens.revocation_refresh = o->revocation_refresh_ms;
  }
  // Lockout.
  if (o->lockout_max_failures < 0) {
    a.lockout.max_failures = 0;
  } else if (o->lockout_max_failures > 0) {
    a.lockout.max_failures = o->lockout_max_failures;
  }
  a.lockout.lock_duration =
      Seconds(o->lockout_duration_s, a.lockout.lock_duration, "lockout_duration_s");
  a.lockout.window = Seconds(o->lockout_window_s, a.lockout.window, "lockout_window_s");
  // The token-request throttle.
  if (o->login_throttle_max_failures < 0) {
    a.login_throttle.max_failures = 0;
  } else if (o->login_throttle_max_failures > 0) {
    a.login_throttle.max_failures = o->login_throttle_max_failures;
  }
  a.login_throttle.lifetime =
      Seconds(o->login_throttle_lifetime_s, a.login_throttle.lifetime, "login_throttle_lifetime_s");
  // One-time secrets.
  a.reset_token_lifetime =
      Seconds(o->reset_token_lifetime_s, a.reset_token_lifetime, "reset_token_lifetime_s");
  a.otc_lifetime = Seconds(o->otc_lifetime_s, a.otc_lifetime, "otc_lifetime_s");
  // Argon2id.
  // A test handle reads 0 and the platform's values (what CUSTAUTH_OPTIONS_INIT holds) as "the
  // default", which for it is the cheapest Argon2id.
  const Argon2Options platform;
  const bool test_default_ops =
      test && (o->argon2_opslimit == 0 || o->argon2_opslimit == platform.opslimit);
  const bool test_default_mem =
      test && (o->argon2_memlimit == 0 || o->argon2_memlimit == platform.memlimit);
  if (test) a.argon2 = CheapArgon2ForTests();
  if (o->argon2_opslimit != 0 && !test_default_ops) a.argon2.opslimit = o->argon2_opslimit;
  if (o->argon2_memlimit != 0 && !test_default_mem) {
    if (o->argon2_memlimit > std::numeric_limits<std::size_t>::max()) {
      Invalid("argon2_memlimit is too large");
    }
    a.argon2.memlimit = static_cast<std::size_t>(o->argon2_memlimit);
  }
  if (o->argon2_max_concurrent < 0) Invalid("argon2_max_concurrent must not be negative");
  if (o->argon2_max_concurrent > 0) a.argon2.max_concurrent = o->argon2_max_concurrent;
  // Storage.
  if (o->sqlite_synchronous != CUSTAUTH_SYNCHRONOUS_FULL &&
      o->sqlite_synchronous != CUSTAUTH_SYNCHRONOUS_NORMAL) {
    Invalid("sqlite_synchronous must be CUSTAUTH_SYNCHRONOUS_FULL or CUSTAUTH_SYNCHRONOUS_NORMAL");
  }
  if (o->sqlite_busy_timeout_ms < 0) Invalid("sqlite_busy_timeout_ms must not be negative");
  // exchangeExternalCustomerToken.
  a.exchange_require_body_hash = o->exchange_require_body_hash != 0;
  // Retention (0: the default; negative: forever; CustomerAuth::Open refuses too many days).
  if (o->audit_retention_days < 0) {
    a.audit_retention_days = 0;
  } else if (o->audit_retention_days > 0) {
    a.audit_retention_days = o->audit_retention_days;
  }

  if (!memory && !postgres) RefuseInheritedSqliteFile(path);
  OpenStorageOptions so;
  so.sqlite.synchronous_full = o->sqlite_synchronous == CUSTAUTH_SYNCHRONOUS_FULL;
  if (o->sqlite_busy_timeout_ms > 0) so.sqlite.busy_timeout_ms = o->sqlite_busy_timeout_ms;
  auto storage = OpenStorage(storage_arg, so);
  if (!storage.ok()) return Fail(storage.status());
  a.verifiers = std::move(verifiers);
  auto auth = CustomerAuth::Open(std::move(storage).value(), std::move(a));
  if (!auth.ok()) return Fail(auth.status());
  auto handle = std::make_unique<custauth_handle>();
  handle->auth = std::move(auth).value();
  handle->generation = internal::ProcessGeneration();
  handle->pid = getpid();
  if (!memory && !postgres) RememberSqliteFile(path, handle.get());
  *out = handle.release();
  return CUSTAUTH_OK;
}

// --- custauth_call -----------------------------------------------------------------------------

// The members of a JSON object argument, each read at most once; unknown members are refused.
class Args {
 public:
  Args(const json& j, std::string_view where) : j_(j), where_(where) {}

  bool has(const char* name) const { return j_.contains(name) && !j_.at(name).is_null(); }

  // A string member; absent reads as "" (the operation then reports what is missing).
  std::string str(const char* name) {
    seen_.insert(name);
    if (!has(name)) return {};
    const json& v = j_.at(name);
    if (!v.is_string()) Invalid(Where(name) + " must be a string");
    return v.get<std::string>();
  }
  std::optional<std::string> opt_str(const char* name) {
    if (!has(name)) {
      seen_.insert(name);
      return std::nullopt;
    }
    return str(name);
  }
  std::optional<bool> opt_bool(const char* name) {
    seen_.insert(name);
    if (!has(name)) return std::nullopt;
    const json& v = j_.at(name);
    if (!v.is_boolean()) Invalid(Where(name) + " must be true or false");
    return v.get<bool>();
  }
  std::optional<std::int64_t> opt_int(const char* name) {
    seen_.insert(name);
    if (!has(name)) return std::nullopt;
    const json& v = j_.at(name);
    if (!v.is_number_integer()) Invalid(Where(name) + " must be an integer");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      Invalid(Where(name) + " is too large");
    }
    return v.get<std::int64_t>();
  }
  std::vector<std::string> str_list(const char* name) {
    seen_.insert(name);
    if (!has(name)) return {};
    const json& v = j_.at(name);
    if (!v.is_array()) Invalid(Where(name) + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (!e.is_string()) Invalid(Where(name) + " must be an array of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  // A member of any type, or nullptr when absent.
  const json* raw(const char* name) {
    seen_.insert(name);
    return has(name) ? &j_.at(name) : nullptr;
  }
  const json& object(const char* name) {
    seen_.insert(name);
    if (!has(name) || !j_.at(name).is_object()) Invalid(Where(name) + " must be an object");
    return j_.at(name);
  }
  // Refuses members that were not read.
  void done() const {
    for (const auto& [key, value] : j_.items()) {
      if (!seen_.count(key)) Invalid("unknown argument '" + key + "' for " + where_);
    }
  }

 private:
  std::string Where(const char* name) const {
    return "argument '" + std::string(name) + "' of " + where_;
  }

  const json& j_;
  std::string where_;
  std::set<std::string, std::less<>> seen_;
};

// A JSON object argument: at most internal::kMaxJsonBytes, nested at most kMaxJsonDepth deep
// (checked before anything recursive runs), and with no member given twice: a host that reads
// the first would act on another value than custauth.
json ParseObject(const char* text, const char* what) {
  if (text == nullptr || *text == '\0') return json::object();
  auto j = internal::ParseJsonChecked(text, what);
  if (!j.ok()) Invalid(j.status().message());
  if (!j->is_object()) Invalid(std::string(what) + " must be a JSON object");
  return std::move(j).value();
}

Context ContextFromJson(const json& j) {
  Context ctx;
  Args a(j, "the context");
  ctx.request.client_ip = a.str("client_ip");
  ctx.request.user_agent = a.str("user_agent");
  ctx.request.actor = a.str("actor");
  if (auto w = a.opt_int("website_id")) ctx.website_id = WebsiteId(*w);
  a.done();
  return ctx;
}

// A failed status as the result of an operation of custauth_call.
struct Refused {
  Status status;
};

template <class T>
T Take(Result<T> r) {
  if (!r.ok()) throw Refused{r.status()};
  return std::move(r).value();
}
void Check(const Status& s) {
  if (!s.ok()) throw Refused{s};
}

json Ok() { return {{"ok", true}}; }

json PruneCountsToJson(const PruneCounts& c) {
  return {{"rate_events", c.rate_events}, {"rate_buckets", c.rate_buckets},   {"nonces", c.nonces},
          {"secrets", c.secrets},         {"opaque_tokens", c.opaque_tokens}, {"audit", c.audit}};
}

// The operations "test.*" of custauth_call: test handles only.
json DispatchTest(CustomerAuth& auth, std::string_view op, Args& a, const Context& ctx) {
  const bool clock_op = op == "test.set_time" || op == "test.advance" || op == "test.now";
  const bool secret_op = op == "test.last_reset_token" || op == "test.last_otc";
  const bool fixture_op = op == "test.create_customers";
  if (!clock_op && !secret_op && !fixture_op) {
    Invalid("unknown operation '" + std::string(op) + "'");
  }
  if (!auth.is_test_handle()) {
    std::string_view message = op == "test.now" ? kClockReadNeedsTestHandle
                               : clock_op       ? testing::kClockNeedsTestHandle
                               : secret_op      ? testing::kSecretsNeedTestHandle
                                                : testing::kFixturesNeedTestHandle;
    throw Refused{Status(Code::kForbidden, message)};
  }
  auto required = [&](const char* name) {
    auto v = a.opt_int(name);
    if (!v)
      Invalid("argument '" + std::string(name) + "' of operation '" + std::string(op) +
              "' is required");
    return *v;
  };
  if (op == "test.set_time") {
    const std::int64_t t = required("time_ms");
    a.done();
    Check(auth.test_set_time(t));
  } else if (op == "test.advance") {
    const std::int64_t ms = required("ms");
    a.done();
    Check(auth.test_advance(ms));
  } else if (op == "test.now") {
    a.done();
  }
  if (clock_op) return {{"now", auth.clock().now()}};
  if (secret_op) {
    const std::string email = a.str("email");
    a.done();
    const bool reset = op == "test.last_reset_token";
    auto secret = Take(auth.test_last_secret(
        reset ? SecretKind::kPasswordReset : SecretKind::kAdminOtc, email, ctx.website_id));
    return {{reset ? "token" : "code", std::move(secret)}};
  }
  json fixture = json::object();
  for (const char* name :
       {"customers", "password", "format", "legacy_versions", "firstname", "lastname"}) {
    if (const json* v = a.raw(name)) fixture[name] = *v;
  }
  a.done();
  if (!fixture.contains("customers"))
    Invalid("argument 'customers' of " + std::string(op) + " is required");
  json list = json::array();
  for (const auto& c :
       Take(testing::CreateCustomersFromJson(auth, Dump(fixture), ctx.request, ctx.website_id))) {
    list.push_back(internal::CustomerToJson(c, true));
  }
  return {{"customers", std::move(list)}};
}

// Runs one operation of custauth_call and returns its result; throws Refused or InvalidArgument.
// A response shaped elsewhere (the GraphQL one of the exchange) comes back in *verbatim instead,
// so that its members keep their order.
json Dispatch(custauth_t* db, std::string_view op, Args& a, Context ctx, std::string* verbatim) {
  if (op == "version") {
    a.done();
    return {{"version", VersionString()}, {"number", VersionNumber()}};
  }
  if (op == "keys_generate") {
    a.done();
    EnsureSodium();
    return {{"keys", KeysToJson(GenerateKeys(*SystemRandom::Shared()))}};
  }
  CustomerAuth& auth = Auth(db);
  if (auto w = a.opt_int("website_id")) ctx.website_id = WebsiteId(*w);
  const RequestContext& rc = ctx.request;
  const std::int64_t website = ctx.website_id;

  if (op == "customer_create") {
    CustomerInput in;
    in.website_id = website;
    in.email = a.str("email");
    in.firstname = a.str("firstname");
    in.lastname = a.str("lastname");
    in.password = a.opt_str("password");
    in.is_subscribed = a.opt_bool("is_subscribed").value_or(false);
    in.confirmed = a.opt_bool("confirmed").value_or(true);
    in.allow_remote_shopping_assistance =
        a.opt_bool("allow_remote_shopping_assistance").value_or(false);
    a.done();
    return {{"customer", internal::CustomerToJson(Take(auth.create_customer(in, rc)), true)}};
  }
  if (op == "customer_update") {
    const std::string email = a.str("email");
    CustomerUpdate u;
    u.firstname = a.opt_str("firstname");
    u.lastname = a.opt_str("lastname");
    u.is_subscribed = a.opt_bool("is_subscribed");
    u.confirmed = a.opt_bool("confirmed");
    u.is_active = a.opt_bool("is_active");
    u.allow_remote_shopping_assistance = a.opt_bool("allow_remote_shopping_assistance");
    a.done();
    return {{"customer",
             internal::CustomerToJson(Take(auth.update_customer(email, u, rc, website)), true)}};
  }
  if (op == "customer_find") {
    const std::string email = a.str("email");
    a.done();
    return {{"customer", internal::CustomerToJson(Take(auth.find_customer(email, website)), true)}};
  }
  if (op == "customer_delete") {
    const std::string email = a.str("email");
    a.done();
    return {{"id", Take(auth.delete_customer(email, rc, website)).id}};
  }
  if (op == "generate_customer_token") {
    const std::string email = a.str("email");
    std::string password = a.str("password");
    a.done();
    auto token = auth.generate_customer_token(email, password, rc, website);
    sodium_memzero(password.data(), password.size());
    return {{"token", Take(std::move(token))}};
  }
  if (op == "request_password_reset") {
    const std::string email = a.str("email");
    a.done();
    auto token = Take(auth.request_password_reset(email, rc, website));
    return {{"token", token ? json(*token) : json(nullptr)}};
  }
  if (op == "reset_password") {
    const std::string email = a.str("email");
    const std::string token = a.str("token");
    std::string password = a.str("new_password");
    a.done();
    Status s = auth.reset_password(email, token, password, rc, website);
    sodium_memzero(password.data(), password.size());
    Check(s);
    return Ok();
  }
  if (op == "change_password") {
    const std::string email = a.str("email");
    std::string current = a.str("current_password");
    std::string password = a.str("new_password");
    a.done();
    Status s = auth.change_password(email, current, password, rc, website);
    sodium_memzero(current.data(), current.size());
    sodium_memzero(password.data(), password.size());
    Check(s);
    return Ok();
  }
  if (op == "issue_otc") {
    const std::string email = a.str("email");
    const std::int64_t admin = a.opt_int("admin_id").value_or(0);
    const std::string reason = a.str("reason");
    a.done();
    return {{"code", Take(auth.issue_otc(email, admin, reason, rc, website))}};
  }
  if (op == "exchange_otc") {
    const std::string email = a.str("email");
    const std::string code = a.str("code");
    a.done();
    return {{"token", Take(auth.exchange_otc(email, code, rc, website))}};
  }
  if (op == "verify_token") {
    const std::string token = a.str("token");
    a.done();
    return {{"claims", ClaimsToJson(Take(auth.verify_token(token)))}};
  }
  if (op == "revoke_customer_tokens") {
    const std::string email = a.str("email");
    a.done();
    Check(auth.revoke_customer_tokens(email, rc, website));
    return Ok();
  }
  if (op == "audit_list") {
    AuditQuery q;
    const auto email = a.opt_str("email");
    q.after_id = a.opt_int("after_id").value_or(0);
    const std::int64_t limit = a.opt_int("limit").value_or(0);
    a.done();
    // The rules of custauth_audit_list.
    if (q.after_id < 0) Invalid("after_id must not be negative");
    if (limit < 0 || limit > 100000) Invalid("limit must be 0..100000");
    if (limit > 0) q.limit = static_cast<std::size_t>(limit);
    if (email) q.customer_id = Take(auth.find_customer(*email, website)).id;
    json list = json::array();
    for (const auto& r : Take(auth.list_audit(q))) list.push_back(internal::AuditToJson(r));
    return {{"audit", std::move(list)}};
  }
  if (op == "prune") {
    a.done();
    return {{"pruned", PruneCountsToJson(Take(auth.prune()))}};
  }
  if (op == "integration_create") {
    const std::string name = a.str("name");
    const auto permissions = a.str_list("permissions");
    a.done();
    return {
        {"integration", CredentialsToJson(Take(auth.create_integration(name, permissions, rc)))}};
  }
  if (op == "integration_list") {
    a.done();
    json list = json::array();
    for (const auto& i : Take(auth.list_integrations())) list.push_back(IntegrationToJson(i));
    return {{"integrations", std::move(list)}};
  }
  if (op == "integration_revoke") {
    const std::string key = a.str("consumer_key");
    a.done();
    Check(auth.revoke_integration(key, rc));
    return Ok();
  }
  if (op == "integration_set_permissions") {
    const std::string key = a.str("consumer_key");
    const auto permissions = a.str_list("permissions");
    a.done();
    Check(auth.set_integration_permissions(key, permissions, rc));
    return Ok();
  }
  if (op == "customer_import" || op == "revocations_import") {
    const bool revocations = op == "revocations_import";
    const std::string path = a.str("path");
    ImportOptions o;
    const auto format = ImportFormatFromName(a.opt_str("format").value_or("auto"));
    if (!format) Invalid("format must be auto, csv or jsonl");
    o.format = *format;
    o.strict = a.opt_bool("strict").value_or(false);
    if (!revocations) {
      const auto conflict = ImportConflictFromName(a.opt_str("on_conflict").value_or("skip"));
      if (!conflict) Invalid("on_conflict must be skip, update or fail");
      o.on_conflict = *conflict;
      const std::int64_t batch = a.opt_int("batch_size").value_or(5000);
      if (batch < 1 || batch > 100000) Invalid("batch_size must be 1..100000");
      o.batch_size = static_cast<std::size_t>(batch);
    }
    a.done();
    const ImportReport report =
        revocations ? auth.import_revocations(path, o, rc) : auth.import_customers(path, o, rc);
    return {{"report", json::parse(report.ToJson(revocations))}};
  }
  if (op == "integration_import") {
    const std::string name = a.str("name");
    const auto permissions = a.str_list("permissions");
    IntegrationCredentials creds;
    creds.consumer_key = a.str("consumer_key");
    creds.consumer_secret = a.str("consumer_secret");
    creds.access_token = a.str("access_token");
    creds.token_secret = a.str("token_secret");
    a.done();
    auto imported = auth.import_integration(name, permissions, creds, rc);
    sodium_memzero(creds.consumer_secret.data(), creds.consumer_secret.size());
    sodium_memzero(creds.token_secret.data(), creds.token_secret.size());
    return {{"integration", IntegrationToJson(Take(std::move(imported)).integration)}};
  }
  if (op == "exchange_external_customer_token") {
    Args r(a.object("request"), "request");
    HttpRequest req;
    req.method = r.str("method");
    req.url = r.str("url");
    req.authorization = r.str("authorization");
    req.content_type = r.str("content_type");
    req.body = r.str("body");
    r.done();
    const std::string input = Dump(a.object("input"));
    a.done();
    // custauth/graphql.h shapes the GraphQL response (fields in the platform's order); a refusal
    // is reported by its status, which ErrorResponse shapes there too.
    graphql::Answer answer =
        graphql::ExchangeExternalCustomerToken(auth, req, input, {}, rc, website);
    if (!answer.ok) throw Refused{std::move(answer.status)};
    std::string response = std::move(answer.body);
    *verbatim = std::move(response);
    return nullptr;
  }
  if (op.starts_with("test.")) return DispatchTest(auth, op, a, ctx);
  Invalid("unknown operation '" + std::string(op) + "'");
}

// Runs an operation and stores its JSON result in *out; a refusal is returned as its code.
int RunOperation(custauth_t* db, std::string_view op, Args& a, const Context& ctx, char** out) {
  try {
    std::string verbatim;
    json result = Dispatch(db, op, a, ctx, &verbatim);
    *out = verbatim.empty() ? DupJson(result) : Dup(verbatim);
    sodium_memzero(verbatim.data(), verbatim.size());
    return CUSTAUTH_OK;
  } catch (const Refused& r) {
    return Fail(r.status);
  }
}

// Puts the thread's last error into *out as a GraphQL error response, keeping the error.
void ErrorResponse(char** out) {
  const int code = t_last.code;
  const std::string message = t_last.oom ? std::string("out of memory") : t_last.message;
  *out = DupJson(internal::ErrorToJson(Status(static_cast<Code>(code), message)));
  SetError(code, message);
}

}  // namespace
}  // namespace custauth

// =============================================================================================
// The C ABI.

using custauth::Auth;
using custauth::Context;
using custauth::Dup;
using custauth::DupJson;
using custauth::Fail;
using custauth::Guard;
using custauth::ResetOut;
using custauth::ToContext;
using custauth::internal::CustomerToJson;
namespace ca = custauth;

extern "C" {

const char* custauth_libversion(void) { return ca::VersionString(); }
int custauth_libversion_number(void) { return ca::VersionNumber(); }

const char* custauth_code_name(int code) {
  if (code > 0 || code < ca::kMinCode) return "unknown";
  return ca::code_name(static_cast<ca::Code>(code));
}

const char* custauth_code_category(int code) {
  if (code > 0 || code < ca::kMinCode) return "internal";
  return ca::code_category(static_cast<ca::Code>(code));
}

const char* custauth_error_last(void) {
  return ca::t_last.oom ? "out of memory" : ca::t_last.message.c_str();
}

int custauth_error_last_code(void) { return ca::t_last.code; }

void custauth_free(void* ptr) {
  if (ptr == nullptr) return;
  // Every allocation handed out is a NUL-terminated string; some hold tokens and codes.
  sodium_memzero(ptr, std::strlen(static_cast<const char*>(ptr)));
  std::free(ptr);
}

int custauth_options_init(custauth_options* opts, unsigned int version) {
  return Guard([&] {
    if (opts == nullptr) ca::Invalid("opts is NULL");
    ca::CheckOptionsVersion(version, "custauth_options");
    custauth_options defaults = CUSTAUTH_OPTIONS_INIT;
    defaults.version = version;
    // An older struct ends before the fields of later versions: write no further.
    std::memcpy(opts, &defaults, ca::OptionsSize(version));
    return CUSTAUTH_OK;
  });
}

int custauth_keys_generate(char** out) {
  return Guard([&] {
    ResetOut(out);
    ca::EnsureSodium();
    *out = DupJson(ca::KeysToJson(ca::GenerateKeys(*ca::SystemRandom::Shared())));
    return CUSTAUTH_OK;
  });
}

int custauth_open(custauth_t** out, const char* storage, const custauth_options* options) {
  return Guard([&] { return ca::Open(out, storage, options); });
}

int custauth_open_with_verifiers(custauth_t** out, const char* storage,
                                 const custauth_options* options,
                                 const custauth_verifier* verifiers, size_t count) {
  return Guard([&] {
    if (out != nullptr) *out = nullptr;
    return ca::Open(out, storage, options, ca::Verifiers(verifiers, count));
  });
}

int custauth_open_json(custauth_t** out, const char* storage, const char* options_json) {
  return custauth_open_json_with_verifiers(out, storage, options_json, nullptr, 0);
}

int custauth_open_json_with_verifiers(custauth_t** out, const char* storage,
                                      const char* options_json, const custauth_verifier* verifiers,
                                      size_t count) {
  return Guard([&] {
    if (out == nullptr) ca::Invalid("out is NULL");
    *out = nullptr;
    const nlohmann::json j = ca::ParseObject(options_json, "options_json");
    ca::Args a(j, "the options");
    custauth_options o;
    custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION);
    const auto version = a.opt_int("version");
    if (version && (*version < 1 || *version > CUSTAUTH_OPTIONS_VERSION)) {
      ca::Invalid("options version " + std::to_string(*version) + " is not supported");
    }
    // Version 2: a test handle and its seed.
    if (a.opt_bool("test").value_or(false)) o.test_flags |= CUSTAUTH_TEST_HANDLE;
    if (auto seed = a.opt_int("test_seed")) {
      if (*seed < 0) ca::Invalid("test_seed must not be negative");
      o.test_flags |= CUSTAUTH_TEST_SEEDED;
      o.test_seed = static_cast<std::uint64_t>(*seed);
    }
    if (version && *version == 1 && o.test_flags != 0) {
      ca::Invalid("test and test_seed need options version 2");
    }
    const auto key_file = a.opt_str("key_file");
    auto keys_json = a.opt_str("keys_json");
    if (a.has("keys")) {
      if (keys_json) ca::Invalid("give keys or keys_json, not both");
      keys_json = ca::Dump(a.object("keys"));
    }
    if (key_file) o.key_file = key_file->c_str();
    if (keys_json) o.keys_json = keys_json->c_str();
    if (a.has("token_format") && j.at("token_format").is_string()) {
      const std::string f = a.str("token_format");
      if (f == "jwt") {
        o.token_format = CUSTAUTH_TOKEN_JWT;
      } else if (f == "opaque") {
        o.token_format = CUSTAUTH_TOKEN_OPAQUE;
      } else {
        ca::Invalid("token_format must be \"jwt\" or \"opaque\"");
      }
    }
    auto int64 = [&](const char* name, std::int64_t& field) {
      if (auto v = a.opt_int(name)) field = *v;
    };
    // Read whole and range-checked: a value that does not fit is refused, never truncated.
    auto int32 = [&](const char* name, int& field) {
      if (auto v = a.opt_int(name)) {
        if (*v < INT32_MIN || *v > INT32_MAX) ca::Invalid(std::string(name) + " is out of range");
        field = static_cast<int>(*v);
      }
    };
    if (!(a.has("token_format") && j.at("token_format").is_string())) {
      int32("token_format", o.token_format);
    }
    auto uint64 = [&](const char* name, std::uint64_t& field) {
      if (auto v = a.opt_int(name)) {
        if (*v < 0) ca::Invalid(std::string(name) + " must not be negative");
        field = static_cast<std::uint64_t>(*v);
      }
    };
    int64("token_lifetime_s", o.token_lifetime_s);
    int64("token_leeway_s", o.token_leeway_s);
    int64("revocation_refresh_ms", o.revocation_refresh_ms);
    int32("lockout_max_failures", o.lockout_max_failures);
    int64("lockout_duration_s", o.lockout_duration_s);
    int64("lockout_window_s", o.lockout_window_s);
    int64("reset_token_lifetime_s", o.reset_token_lifetime_s);
    int64("otc_lifetime_s", o.otc_lifetime_s);
    uint64("argon2_opslimit", o.argon2_opslimit);
    uint64("argon2_memlimit", o.argon2_memlimit);
    int32("argon2_max_concurrent", o.argon2_max_concurrent);
    int32("sqlite_synchronous", o.sqlite_synchronous);
    int32("sqlite_busy_timeout_ms", o.sqlite_busy_timeout_ms);
    // Version 3.
    if (auto v = a.opt_bool("exchange_require_body_hash")) {
      if (version && *version < 3)
        ca::Invalid("exchange_require_body_hash needs options version 3");
      o.exchange_require_body_hash = *v ? 1 : 0;
    }
    // Version 4.
    if (a.has("login_throttle_max_failures") || a.has("login_throttle_lifetime_s")) {
      if (version && *version < 4) ca::Invalid("login_throttle_* need options version 4");
      int32("login_throttle_max_failures", o.login_throttle_max_failures);
      int64("login_throttle_lifetime_s", o.login_throttle_lifetime_s);
    }
    if (a.has("audit_retention_days")) {
      if (version && *version < 4) ca::Invalid("audit_retention_days needs options version 4");
      int32("audit_retention_days", o.audit_retention_days);
    }
    a.done();
    const int rc = ca::Open(out, storage, &o, ca::Verifiers(verifiers, count));
    if (keys_json) sodium_memzero(keys_json->data(), keys_json->size());
    return rc;
  });
}

void custauth_close(custauth_t* db) {
  if (db == nullptr) return;
  try {
    if (db->generation != ca::internal::ProcessGeneration()) {
      // A copy inherited across fork(): its database connections are the parent's, and closing
      // their descriptors would drop this process's SQLite locks on the file. Leak it, whole (it
      // stays in the list of inherited SQLite files: see RefuseInheritedSqliteFile).
      return;
    }
    ca::ForgetSqliteFile(db);
    delete db;
  } catch (...) {
    // Destructors do not throw; nothing to report from a void function.
  }
}

int custauth_customer_create(char** out, custauth_t* db, const char* email, const char* firstname,
                             const char* lastname, const char* password, unsigned int flags,
                             const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    constexpr unsigned int kKnown = CUSTAUTH_CUSTOMER_SUBSCRIBED | CUSTAUTH_CUSTOMER_UNCONFIRMED |
                                    CUSTAUTH_CUSTOMER_ALLOW_REMOTE_ASSISTANCE;
    if ((flags & ~kKnown) != 0) ca::Invalid("unknown flags " + std::to_string(flags & ~kKnown));
    ca::CustomerInput in;
    in.website_id = c.website_id;
    in.email = ca::Arg(email);
    in.firstname = ca::Arg(firstname);
    in.lastname = ca::Arg(lastname);
    if (password != nullptr) in.password = password;
    in.is_subscribed = (flags & CUSTAUTH_CUSTOMER_SUBSCRIBED) != 0;
    in.confirmed = (flags & CUSTAUTH_CUSTOMER_UNCONFIRMED) == 0;
    in.allow_remote_shopping_assistance = (flags & CUSTAUTH_CUSTOMER_ALLOW_REMOTE_ASSISTANCE) != 0;
    auto customer = auth.create_customer(in, c.request);
    if (in.password) sodium_memzero(in.password->data(), in.password->size());
    if (!customer.ok()) return Fail(customer.status());
    *out = DupJson(CustomerToJson(*customer, true));
    return CUSTAUTH_OK;
  });
}

int custauth_customer_update(char** out, custauth_t* db, const char* email,
                             const char* changes_json, const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    const nlohmann::json j = ca::ParseObject(changes_json, "changes_json");
    ca::Args a(j, "the changes");
    ca::CustomerUpdate u;
    u.firstname = a.opt_str("firstname");
    u.lastname = a.opt_str("lastname");
    u.is_subscribed = a.opt_bool("is_subscribed");
    u.confirmed = a.opt_bool("confirmed");
    u.is_active = a.opt_bool("is_active");
    u.allow_remote_shopping_assistance = a.opt_bool("allow_remote_shopping_assistance");
    a.done();
    auto customer = auth.update_customer(ca::Arg(email), u, c.request, c.website_id);
    if (!customer.ok()) return Fail(customer.status());
    *out = DupJson(CustomerToJson(*customer, true));
    return CUSTAUTH_OK;
  });
}

int custauth_customer_find(char** out, custauth_t* db, const char* email,
                           const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto customer = auth.find_customer(ca::Arg(email), c.website_id);
    if (!customer.ok()) return Fail(customer.status());
    *out = DupJson(CustomerToJson(*customer, true));
    return CUSTAUTH_OK;
  });
}

int custauth_customer_delete(int64_t* out, custauth_t* db, const char* email,
                             const custauth_context* ctx) {
  return Guard([&] {
    if (out != nullptr) *out = 0;
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto customer = auth.delete_customer(ca::Arg(email), c.request, c.website_id);
    if (!customer.ok()) return Fail(customer.status());
    if (out != nullptr) *out = customer->id;
    return CUSTAUTH_OK;
  });
}

int custauth_generate_customer_token(char** out, custauth_t* db, const char* email,
                                     const char* password, const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto token =
        auth.generate_customer_token(ca::Arg(email), ca::Arg(password), c.request, c.website_id);
    if (!token.ok()) return Fail(token.status());
    *out = Dup(*token);
    return CUSTAUTH_OK;
  });
}

int custauth_request_password_reset(char** out, custauth_t* db, const char* email,
                                    const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto token = auth.request_password_reset(ca::Arg(email), c.request, c.website_id);
    if (!token.ok()) return Fail(token.status());
    if (token->has_value()) *out = Dup(**token);
    return CUSTAUTH_OK;
  });
}

int custauth_reset_password(custauth_t* db, const char* email, const char* token,
                            const char* new_password, const custauth_context* ctx) {
  return Guard([&] {
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    ca::Status s = auth.reset_password(ca::Arg(email), ca::Arg(token), ca::Arg(new_password),
                                       c.request, c.website_id);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_change_password(custauth_t* db, const char* email, const char* current_password,
                             const char* new_password, const custauth_context* ctx) {
  return Guard([&] {
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    ca::Status s = auth.change_password(ca::Arg(email), ca::Arg(current_password),
                                        ca::Arg(new_password), c.request, c.website_id);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_issue_otc(char** out, custauth_t* db, const char* email, int64_t admin_id,
                       const char* reason, const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto code = auth.issue_otc(ca::Arg(email), admin_id, ca::Arg(reason), c.request, c.website_id);
    if (!code.ok()) return Fail(code.status());
    *out = Dup(*code);
    return CUSTAUTH_OK;
  });
}

int custauth_exchange_otc(char** out, custauth_t* db, const char* email, const char* code,
                          const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto token = auth.exchange_otc(ca::Arg(email), ca::Arg(code), c.request, c.website_id);
    if (!token.ok()) return Fail(token.status());
    *out = Dup(*token);
    return CUSTAUTH_OK;
  });
}

int custauth_verify_token(char** out, custauth_t* db, const char* token) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    auto claims = auth.verify_token(ca::Arg(token));
    if (!claims.ok()) return Fail(claims.status());
    *out = DupJson(ca::ClaimsToJson(*claims));
    return CUSTAUTH_OK;
  });
}

int custauth_verify_token_claims(custauth_claims* out, custauth_t* db, const char* token) {
  return Guard([&] {
    if (out == nullptr) ca::Invalid("out is NULL");
    if (out->version != CUSTAUTH_CLAIMS_VERSION) {
      ca::Invalid("custauth_claims.version must be CUSTAUTH_CLAIMS_VERSION");
    }
    const unsigned int version = out->version;
    std::memset(out, 0, sizeof *out);
    out->version = version;
    ca::CustomerAuth& auth = Auth(db);
    auto claims = auth.verify_token(ca::Arg(token));
    if (!claims.ok()) return Fail(claims.status());
    out->uid = claims->customer_id;
    out->utypid = claims->user_type;
    out->format = claims->format == ca::TokenFormat::kJwt ? 0 : 1;
    out->iat = claims->issued_at;
    out->exp = claims->expires_at;
    const std::size_t n = std::min(claims->kid.size(), sizeof out->kid - 1);
    std::memcpy(out->kid, claims->kid.data(), n);
    return CUSTAUTH_OK;
  });
}

int custauth_revoke_customer_tokens(custauth_t* db, const char* email,
                                    const custauth_context* ctx) {
  return Guard([&] {
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    ca::Status s = auth.revoke_customer_tokens(ca::Arg(email), c.request, c.website_id);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_audit_list(char** out, custauth_t* db, const char* email, int64_t after_id,
                        size_t limit, const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    if (after_id < 0) ca::Invalid("after_id must not be negative");
    if (limit > 100000) ca::Invalid("limit must be at most 100000");
    ca::AuditQuery q;
    q.after_id = after_id;
    if (limit > 0) q.limit = limit;
    if (email != nullptr) {
      auto customer = auth.find_customer(email, c.website_id);
      if (!customer.ok()) return Fail(customer.status());
      q.customer_id = customer->id;
    }
    auto records = auth.list_audit(q);
    if (!records.ok()) return Fail(records.status());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : *records) list.push_back(ca::internal::AuditToJson(r));
    *out = DupJson(list);
    return CUSTAUTH_OK;
  });
}

int custauth_prune(char** out, custauth_t* db) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    auto counts = auth.prune();
    if (!counts.ok()) return Fail(counts.status());
    *out = DupJson(ca::PruneCountsToJson(*counts));
    return CUSTAUTH_OK;
  });
}

int custauth_integration_create(char** out, custauth_t* db, const char* name,
                                const char* const* permissions, size_t count,
                                const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto creds = auth.create_integration(ca::Arg(name), ca::ToList(permissions, count), c.request);
    if (!creds.ok()) return Fail(creds.status());
    *out = DupJson(ca::CredentialsToJson(*creds));
    return CUSTAUTH_OK;
  });
}

int custauth_integration_list(char** out, custauth_t* db) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    auto list = auth.list_integrations();
    if (!list.ok()) return Fail(list.status());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& i : *list) j.push_back(ca::IntegrationToJson(i));
    *out = DupJson(j);
    return CUSTAUTH_OK;
  });
}

int custauth_integration_revoke(custauth_t* db, const char* consumer_key,
                                const custauth_context* ctx) {
  return Guard([&] {
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    ca::Status s = auth.revoke_integration(ca::Arg(consumer_key), c.request);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_integration_set_permissions(custauth_t* db, const char* consumer_key,
                                         const char* const* permissions, size_t count,
                                         const custauth_context* ctx) {
  return Guard([&] {
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    ca::Status s = auth.set_integration_permissions(ca::Arg(consumer_key),
                                                    ca::ToList(permissions, count), c.request);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_exchange_external_customer_token(char** out, custauth_t* db,
                                              const custauth_http_request* request,
                                              const char* input_json, const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    // Refusals are GraphQL responses too: *out holds {"errors":[...]} whatever the failure.
    const int rc = Guard([&] {
      const Context c = ToContext(ctx);
      if (request == nullptr) ca::Invalid("request is NULL");
      const nlohmann::json args = {{"request",
                                    {{"method", ca::Arg(request->method)},
                                     {"url", ca::Arg(request->url)},
                                     {"authorization", ca::Arg(request->authorization)},
                                     {"content_type", ca::Arg(request->content_type)},
                                     {"body", ca::Arg(request->body)}}},
                                   {"input", ca::ParseObject(input_json, "input_json")}};
      ca::Args a(args, "exchange_external_customer_token");
      return ca::RunOperation(db, "exchange_external_customer_token", a, c, out);
    });
    if (rc != CUSTAUTH_OK) ca::ErrorResponse(out);
    return rc;
  });
}

int custauth_test_set_time(custauth_t* db, int64_t now_ms) {
  return Guard([&] {
    ca::Status s = Auth(db).test_set_time(now_ms);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_test_advance(custauth_t* db, int64_t delta_ms) {
  return Guard([&] {
    ca::Status s = Auth(db).test_advance(delta_ms);
    return s.ok() ? CUSTAUTH_OK : Fail(s);
  });
}

int custauth_test_now(int64_t* out, custauth_t* db) {
  return Guard([&] {
    if (out == nullptr) ca::Invalid("out is NULL");
    *out = 0;
    ca::CustomerAuth& auth = Auth(db);
    if (!auth.is_test_handle()) {
      return Fail(ca::Status(ca::Code::kForbidden, ca::kClockReadNeedsTestHandle));
    }
    *out = auth.clock().now();
    return CUSTAUTH_OK;
  });
}

int custauth_test_last_secret(char** out, custauth_t* db, const char* email, int kind,
                              const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    if (!auth.is_test_handle()) {
      return Fail(ca::Status(ca::Code::kForbidden, ca::testing::kSecretsNeedTestHandle));
    }
    if (kind != CUSTAUTH_SECRET_RESET_TOKEN && kind != CUSTAUTH_SECRET_ADMIN_OTC) {
      ca::Invalid("kind must be CUSTAUTH_SECRET_RESET_TOKEN or CUSTAUTH_SECRET_ADMIN_OTC");
    }
    auto secret =
        auth.test_last_secret(kind == CUSTAUTH_SECRET_RESET_TOKEN ? ca::SecretKind::kPasswordReset
                                                                  : ca::SecretKind::kAdminOtc,
                              ca::Arg(email), c.website_id);
    if (!secret.ok()) return Fail(secret.status());
    *out = Dup(*secret);
    return CUSTAUTH_OK;
  });
}

int custauth_test_create_customers(char** out, custauth_t* db, const char* customers_json,
                                   const custauth_context* ctx) {
  return Guard([&] {
    ResetOut(out);
    ca::CustomerAuth& auth = Auth(db);
    const Context c = ToContext(ctx);
    auto customers = ca::testing::CreateCustomersFromJson(auth, ca::Arg(customers_json), c.request,
                                                          c.website_id);
    if (!customers.ok()) return Fail(customers.status());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& customer : *customers) list.push_back(CustomerToJson(customer, true));
    *out = DupJson(list);
    return CUSTAUTH_OK;
  });
}

int custauth_call(custauth_t* db, const char* operation, const char* args_json,
                  const char* context_json, char** out_json) {
  return Guard([&] {
    ResetOut(out_json);
    const int rc = Guard([&] {
      if (operation == nullptr || *operation == '\0') ca::Invalid("operation is empty");
      const nlohmann::json args = ca::ParseObject(args_json, "args_json");
      const Context c = ca::ContextFromJson(ca::ParseObject(context_json, "context_json"));
      ca::Args a(args, std::string("operation '") + operation + "'");
      return ca::RunOperation(db, operation, a, c, out_json);
    });
    if (rc != CUSTAUTH_OK) ca::ErrorResponse(out_json);
    return rc;
  });
}

}  // extern "C"
