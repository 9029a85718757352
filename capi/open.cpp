// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI's handles: custauth_options_init, custauth_open* (through OpenStorage of
// custauth/open_storage.h), custauth_close, the host's verifiers, and the rule that a handle
// belongs to the process that opened it (fork(), SQLite files).
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capi_internal.h"
#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/open_storage.h"
#include "custauth/status.h"
#include "internal.h"
#include "process_generation.h"

namespace custauth::capi {

CustomerAuth& Auth(custauth_t* db) {
  if (db == nullptr) Invalid("the custauth handle is NULL");
  if (db->generation != internal::ProcessGeneration()) [[unlikely]] {
    Invalid("this custauth handle was opened by process " + std::to_string(db->pid) +
            "; open a new handle after fork()");
  }
  return *db->auth;
}

namespace {

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

// --- Verifiers ---------------------------------------------------------------------------------

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

// --- Opening -----------------------------------------------------------------------------------

// The keys of a handle: keys_json, the key file (given, or the one beside a SQLite database),
// fresh random keys (memory:) or none (a test handle derives its keys from its seed:
// CustomerAuth::Open). A failure is returned as its code with the thread's error set.
int ReadKeys(const custauth_options& o, const std::string& path, bool memory, bool test,
             AuthOptions& a) {
  if (o.key_file != nullptr && o.keys_json != nullptr) {
    Invalid("give key_file or keys_json, not both");
  }
  if (o.keys_json != nullptr) {
    auto keys = ParseKeys(o.keys_json);
    if (!keys.ok()) return Fail(keys.status());
    a.keys = std::move(keys).value();
  } else if (o.key_file != nullptr || (!memory && !test)) {
    const std::string file =
        o.key_file != nullptr ? std::string(o.key_file) : DefaultKeyFilePath(path);
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
  }
  return CUSTAUTH_OK;
}

// The options of `o` (NULL: the defaults) as a current-version struct, its version and test
// flags checked.
custauth_options CurrentOptions(const custauth_options* o) {
  custauth_options defaults;
  custauth_options_init(&defaults, CUSTAUTH_OPTIONS_VERSION);
  if (o == nullptr) return defaults;
  CheckOptionsVersion(o->version, "custauth_options");
  // An older struct is shorter: read its fields only, the rest keeps the defaults.
  custauth_options current = defaults;
  std::memcpy(&current, o, OptionsSize(o->version));
  if ((current.test_flags & ~kTestFlags) != 0) {
    Invalid("unknown test_flags " + std::to_string(current.test_flags & ~kTestFlags));
  }
  return current;
}

int Open(custauth_t** out, const char* storage_arg, const custauth_options* options,
         std::vector<std::shared_ptr<PasswordVerifier>> verifiers = {}) {
  if (out == nullptr) Invalid("out is NULL");
  *out = nullptr;
  if (storage_arg == nullptr || *storage_arg == '\0') {
    Invalid("storage is empty: give \"memory:\" or the path of a SQLite database");
  }
  const custauth_options o = CurrentOptions(options);
  const bool test = (o.test_flags & CUSTAUTH_TEST_HANDLE) != 0;
  auto name = ParseStorageName(storage_arg);
  if (!name.ok()) return Fail(name.status());
  const std::string path = name.value().location;
  const bool memory = name.value().kind == StorageKind::kMemory;
  const bool postgres = name.value().kind == StorageKind::kPostgres;
  if (postgres && !test && o.key_file == nullptr && o.keys_json == nullptr) {
    Invalid("a PostgreSQL storage needs key_file or keys_json");
  }

  AuthOptions a;
  // A test handle (custauth.h, "Test handles"); a seed on another handle is refused by Open.
  a.test_mode = test;
  if ((o.test_flags & CUSTAUTH_TEST_SEEDED) != 0) a.test_seed = o.test_seed;
  if (const int rc = ReadKeys(o, path, memory, test, a); rc != CUSTAUTH_OK) return rc;
  ReadOptions(o, test, a);

  if (!memory && !postgres) RefuseInheritedSqliteFile(path);
  OpenStorageOptions so;
  so.sqlite.synchronous_full = o.sqlite_synchronous == CUSTAUTH_SYNCHRONOUS_FULL;
  if (o.sqlite_busy_timeout_ms > 0) so.sqlite.busy_timeout_ms = o.sqlite_busy_timeout_ms;
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

}  // namespace
}  // namespace custauth::capi

namespace capi = custauth::capi;

extern "C" {

int custauth_options_init(custauth_options* opts, unsigned int version) {
  return capi::Guard([&] {
    if (opts == nullptr) capi::Invalid("opts is NULL");
    capi::CheckOptionsVersion(version, "custauth_options");
    custauth_options defaults = CUSTAUTH_OPTIONS_INIT;
    defaults.version = version;
    // An older struct ends before the fields of later versions: write no further.
    std::memcpy(opts, &defaults, capi::OptionsSize(version));
    return CUSTAUTH_OK;
  });
}

int custauth_open(custauth_t** out, const char* storage, const custauth_options* options) {
  return capi::Guard([&] { return capi::Open(out, storage, options); });
}

int custauth_open_with_verifiers(custauth_t** out, const char* storage,
                                 const custauth_options* options,
                                 const custauth_verifier* verifiers, size_t count) {
  return capi::Guard([&] {
    if (out != nullptr) *out = nullptr;
    return capi::Open(out, storage, options, capi::Verifiers(verifiers, count));
  });
}

int custauth_open_json(custauth_t** out, const char* storage, const char* options_json) {
  return custauth_open_json_with_verifiers(out, storage, options_json, nullptr, 0);
}

int custauth_open_json_with_verifiers(custauth_t** out, const char* storage,
                                      const char* options_json, const custauth_verifier* verifiers,
                                      size_t count) {
  return capi::Guard([&] {
    if (out == nullptr) capi::Invalid("out is NULL");
    *out = nullptr;
    const capi::json j = capi::ParseObject(options_json, "options_json");
    custauth_options o;
    custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION);
    std::optional<std::string> key_file;
    std::optional<std::string> keys_json;
    capi::OptionsFromJson(j, o, key_file, keys_json);
    const int rc = capi::Open(out, storage, &o, capi::Verifiers(verifiers, count));
    if (keys_json) sodium_memzero(keys_json->data(), keys_json->size());
    return rc;
  });
}

void custauth_close(custauth_t* db) {
  if (db == nullptr) return;
  try {
    if (db->generation != custauth::internal::ProcessGeneration()) {
      // A copy inherited across fork(): its database connections are the parent's, and closing
      // their descriptors would drop this process's SQLite locks on the file. Leak it, whole (it
      // stays in the list of inherited SQLite files: see RefuseInheritedSqliteFile).
      return;
    }
    capi::ForgetSqliteFile(db);
    delete db;
  } catch (...) {
    // Destructors do not throw; nothing to report from a void function.
  }
}

}  // extern "C"
