// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What is particular to SqliteStorage: the file's settings (WAL, synchronous, schema version,
// application id), reopening, refusing files that are not custauth's or are newer, the busy bound,
// and atomicity across processes (fork(), then each process opens the same file). The general
// contracts of storage.h are pinned by storage_conformance_test.cpp, which runs against this
// backend too. Nothing sleeps: times are passed explicitly; the only wait is the busy bound itself.

#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "custauth/customer.h"
#include "custauth/memory_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "sqlite/schema.h"
#include "sqlite/sqlite_internal.h"

namespace custauth::sqlite_storage_test {
namespace {

constexpr TimeMs kT0 = 1748499421000;

// A directory made with mkdtemp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/custauth-sqlite-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed for " << pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A plain sqlite3 connection of its own, to look at (or meddle with) a file from outside.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    INFO(sqlite3_errstr(rc));
    REQUIRE(rc == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error != nullptr ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }

  // The first column of the first row, as text ("" for no row).
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    INFO(sql << ": " << sqlite3_errmsg(db_));
    REQUIRE(rc == SQLITE_OK);
    std::string out;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out = p == nullptr ? "" : p;
    }
    sqlite3_finalize(stmt);
    REQUIRE((rc == SQLITE_ROW || rc == SQLITE_DONE));
    return out;
  }

  std::int64_t Int(const std::string& sql) { return std::stoll(Text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<Storage> MustOpen(const std::string& path, const SqliteOptions& options = {}) {
  Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path, options);
  INFO(opened.status().to_string());
  REQUIRE(opened.ok());
  REQUIRE(opened.value() != nullptr);
  return std::move(opened).value();
}

NewCustomer Person(const std::string& email) {
  NewCustomer c;
  c.email = email;
  c.firstname = "Veronica";
  c.lastname = "Costello";
  return c;
}

Customer MustCreate(Storage& s, const NewCustomer& c, TimeMs now = kT0) {
  Result<Customer> r = s.create_customer(c, now);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

SecretRecord Secret(SecretKind kind, std::int64_t customer_id, std::string hash,
                    TimeMs created_at = kT0, TimeMs ttl = 30 * kSecond) {
  SecretRecord s;
  s.kind = kind;
  s.customer_id = customer_id;
  s.hash = std::move(hash);
  s.created_at = created_at;
  s.expires_at = created_at + ttl;
  return s;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs body(process index) in `processes` forked children at once and returns what each wrote.
// The children start together (they wait on a pipe the parent closes once all exist) and leave
// with _exit, so nothing of the parent's test runner runs in them. A child that throws or whose
// body returns no output fails the test.
//
// REQUIRES: the parent holds no open SqliteStorage and runs no other threads (fork() copies only
// the calling thread).
std::vector<std::string> RunInProcesses(int processes,
                                        const std::function<std::string(int)>& body) {
  int start[2];
  REQUIRE(pipe(start) == 0);
  std::vector<pid_t> pids;
  std::vector<int> outputs;
  for (int p = 0; p < processes; ++p) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(start[1]);
      close(out[0]);
      char ignored;
      while (read(start[0], &ignored, 1) > 0) {
      }
      int code = 0;
      std::string result;
      try {
        result = body(p);
      } catch (...) {
        code = 3;
      }
      std::size_t done = 0;
      while (done < result.size()) {
        const ssize_t n = write(out[1], result.data() + done, result.size() - done);
        if (n <= 0) {
          code = 4;
          break;
        }
        done += static_cast<std::size_t>(n);
      }
      close(out[1]);
      _exit(code);
    }
    close(out[1]);
    pids.push_back(pid);
    outputs.push_back(out[0]);
  }
  close(start[0]);
  close(start[1]);  // go
  std::vector<std::string> results;
  for (int fd : outputs) {
    std::string text;
    char buf[4096];
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    results.push_back(std::move(text));
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    INFO("child exit status " << status);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  return results;
}

// Runs body(thread index) on `threads` threads at once and joins them.
void RunInThreads(int threads, const std::function<void(int)>& body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t);
    });
  }
  go.store(true, std::memory_order_release);
  for (std::thread& th : pool) th.join();
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("sqlite: a new file is custauth's, in WAL mode, at the current schema version",
          "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  auto storage = MustOpen(path);
  CHECK(storage->describe() == "sqlite:" + path);
  CHECK(SqliteSchemaVersion() >= 1);
  CHECK(SqliteSchemaVersion() == sqlite_schema::kSchemaVersion);

  RawDb raw(path);
  CHECK(raw.Text("PRAGMA journal_mode") == "wal");
  CHECK(raw.Int("PRAGMA user_version") == SqliteSchemaVersion());
  CHECK(raw.Int("PRAGMA application_id") == sqlite_schema::kApplicationId);
  for (const char* table : {"customers", "secrets", "rate_events", "rate_buckets", "nonces",
                            "revocation_epoch", "opaque_tokens", "integrations", "audit"}) {
    INFO(table);
    CHECK(raw.Int(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                              "name = '") +
                  table + "'") == 1);
  }
  // Email uniqueness is the database's too, on the lowercased key.
  MustCreate(*storage, Person("Roni_Cost@Example.com"));
  CHECK(raw.Text("SELECT email FROM customers") == "Roni_Cost@Example.com");
  CHECK(raw.Text("SELECT email_key FROM customers") == "roni_cost@example.com");
}

TEST_CASE("sqlite: synchronous is FULL by default and NORMAL on request; foreign keys on",
          "[sqlite]") {
  TempDir dir;
  SECTION("default options") {
    auto storage = MustOpen(dir.file("full.db"));
    Result<std::string> sync = internal::SqlitePragmaForTesting(*storage, "synchronous");
    REQUIRE(sync.ok());
    CHECK(*sync == "2");  // FULL
    Result<std::string> fk = internal::SqlitePragmaForTesting(*storage, "foreign_keys");
    REQUIRE(fk.ok());
    CHECK(*fk == "1");
    Result<std::string> mode = internal::SqlitePragmaForTesting(*storage, "journal_mode");
    REQUIRE(mode.ok());
    CHECK(*mode == "wal");
  }
  SECTION("synchronous_full = false, on every pooled connection") {
    SqliteOptions options;
    options.synchronous_full = false;
    options.max_connections = 3;
    auto storage = MustOpen(dir.file("normal.db"), options);
    // Make the pool open all its connections, then sample them. (Catch2 assertions are not
    // thread-safe: count in the threads, check after.)
    std::atomic<int> failures{0};
    RunInThreads(6, [&](int t) {
      const std::vector<RateRule> rules{{"b" + std::to_string(t), kHour, 1000, 0}};
      for (int i = 0; i < 10; ++i) {
        if (!storage->take_rate_slots(rules, kT0 + i).ok()) ++failures;
      }
    });
    CHECK(failures.load() == 0);
    for (int i = 0; i < 6; ++i) {
      Result<std::string> sync = internal::SqlitePragmaForTesting(*storage, "synchronous");
      REQUIRE(sync.ok());
      CHECK(*sync == "1");  // NORMAL
    }
  }
  SECTION("the hook refuses what it is not for") {
    auto memory = MakeMemoryStorage();
    CHECK(internal::SqlitePragmaForTesting(*memory, "synchronous").code() == Code::kInvalidInput);
    auto storage = MustOpen(dir.file("hook.db"));
    CHECK(internal::SqlitePragmaForTesting(*storage, "user_version; DROP TABLE audit").code() ==
          Code::kInvalidInput);
  }
}

TEST_CASE("sqlite: reopening keeps every kind of data", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  const std::string otc_hash("\x00\x01\xfe\xff otc", 8);  // binary, with a NUL: bound as a BLOB
  const std::string token_hash("\xff\x00token", 7);
  std::int64_t id = 0;
  std::uint64_t epoch = 0;
  {
    auto storage = MustOpen(path);
    NewCustomer c = Person("roni_cost@example.com");
    c.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    c.allow_remote_shopping_assistance = true;
    id = MustCreate(*storage, c).id;
    REQUIRE(storage->record_login_failure(id, kT0 + 1, LockoutPolicy{}).ok());
    CustomerPatch patch;
    patch.revoke_tokens_at = kT0 + 5;
    REQUIRE(storage->update_customer(id, patch, kT0 + 5).ok());
    SecretRecord s = Secret(SecretKind::kAdminOtc, id, otc_hash);
    s.admin_id = 7;
    s.reason = "phone support";
    REQUIRE(storage->put_secret(s).ok());
    REQUIRE(storage->insert_nonce("ck", "n1", kT0 + kMinute, kT0).ok());
    REQUIRE(storage->put_opaque_token({token_hash, id, kT0, kT0 + kHour}).ok());
    Integration integration;
    integration.name = "social";
    integration.consumer_key = std::string(32, 'k');
    integration.access_token = std::string(32, 't');
    integration.consumer_secret_sealed = std::string("\x00sealed", 7);
    integration.permissions = {"exchange_external_customer_token"};
    REQUIRE(storage->create_integration(integration).ok());
    AuditRecord a;
    a.at = kT0;
    a.event = "otc.issue";
    a.customer_id = id;
    a.admin_id = 7;
    REQUIRE(storage->append_audit(a).ok());
    Result<std::uint64_t> e = storage->revocation_epoch();
    REQUIRE(e.ok());
    epoch = *e;
    CHECK(epoch > 0);
  }
  auto storage = MustOpen(path);
  Result<Customer> c = storage->find_customer_by_email(kDefaultWebsiteId, "RONI_COST@example.com");
  REQUIRE(c.ok());
  CHECK(c->id == id);
  CHECK(c->password_hash == "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
  CHECK(c->allow_remote_shopping_assistance);
  CHECK(c->failures_num == 1);
  CHECK(c->first_failure == kT0 + 1);
  CHECK_FALSE(c->lock_expires.has_value());
  CHECK(c->tokens_revoked_at == kT0 + 5);
  CHECK(c->created_at == kT0);
  CHECK(c->updated_at == kT0 + 5);
  Result<std::uint64_t> e = storage->revocation_epoch();
  REQUIRE(e.ok());
  CHECK(*e == epoch);
  CHECK(storage->consume_secret(SecretKind::kAdminOtc, id, otc_hash.substr(0, 1), kT0 + 1).code() ==
        Code::kNotFound);  // a prefix up to the NUL is not the hash
  Result<SecretRecord> used = storage->consume_secret(SecretKind::kAdminOtc, id, otc_hash, kT0 + 1);
  REQUIRE(used.ok());
  CHECK(used->hash == otc_hash);
  CHECK(used->admin_id == 7);
  CHECK(used->reason == "phone support");
  CHECK(storage->insert_nonce("ck", "n1", kT0 + kMinute, kT0 + 1).code() == Code::kAlreadyExists);
  Result<OpaqueTokenRecord> token = storage->find_opaque_token(token_hash);
  REQUIRE(token.ok());
  CHECK(token->customer_id == id);
  CHECK(storage->find_opaque_token(token_hash.substr(0, 1)).code() == Code::kNotFound);
  Result<Integration> integration = storage->find_integration(std::string(32, 'k'));
  REQUIRE(integration.ok());
  CHECK(integration->consumer_secret_sealed == std::string("\x00sealed", 7));
  CHECK(integration->permissions == std::vector<std::string>{"exchange_external_customer_token"});
  Result<std::vector<AuditRecord>> audit = storage->list_audit({});
  REQUIRE(audit.ok());
  REQUIRE(audit->size() == 1);
  CHECK((*audit)[0].event == "otc.issue");
  CHECK((*audit)[0].admin_id == 7);
}

TEST_CASE("sqlite: a database with a newer schema is refused and left alone", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  { MustOpen(path); }
  const int newer = SqliteSchemaVersion() + 1;
  {
    RawDb raw(path);
    raw.Exec("PRAGMA user_version = " + std::to_string(newer));
  }
  Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.code() == Code::kStorage);
  CHECK(opened.status().message() == "database schema version " + std::to_string(newer) +
                                         " is newer than this custauth (" +
                                         std::to_string(SqliteSchemaVersion()) + ")");
  RawDb raw(path);
  CHECK(raw.Int("PRAGMA user_version") == newer);
}

TEST_CASE("sqlite: files that are not custauth databases are refused with kStorage", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("other.db");
  SECTION("garbage bytes") {
    const std::string garbage(8192, '\x5a');
    WriteFile(path, garbage);
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.code() == Code::kStorage);
    CHECK_FALSE(opened.status().message().empty());
    CHECK(ReadFile(path) == garbage);  // untouched
  }
  SECTION("another application's SQLite database") {
    {
      RawDb raw(path);
      raw.Exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)");
      raw.Exec("INSERT INTO orders (total) VALUES (42)");
    }
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.code() == Code::kStorage);
    CHECK_THAT(opened.status().message(), Catch::Contains("is not a custauth database"));
    RawDb raw(path);
    CHECK(raw.Text("PRAGMA journal_mode") == "delete");  // not switched to WAL
    CHECK(raw.Int("SELECT count(*) FROM sqlite_schema") == 1);
    CHECK(raw.Int("SELECT total FROM orders") == 42);
  }
  SECTION("an empty database stamped with another application id") {
    {
      RawDb raw(path);
      raw.Exec("PRAGMA application_id = 1234");
    }
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.code() == Code::kStorage);
    CHECK_THAT(opened.status().message(), Catch::Contains("is not a custauth database"));
  }
  SECTION("a directory") {
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(dir.file(""));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.code() == Code::kStorage);
  }
  SECTION("an empty file becomes a custauth database") {
    WriteFile(path, "");
    auto storage = MustOpen(path);
    MustCreate(*storage, Person("a@example.com"));
    RawDb raw(path);
    CHECK(raw.Int("PRAGMA application_id") == sqlite_schema::kApplicationId);
  }
}

TEST_CASE("sqlite: create_if_missing = false refuses a missing file and creates nothing",
          "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("missing.db");
  SqliteOptions options;
  options.create_if_missing = false;
  Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path, options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.code() == Code::kStorage);
  CHECK_THAT(opened.status().message(), Catch::Contains(path));
  CHECK_FALSE(std::filesystem::exists(path));
  // An existing custauth file opens without it.
  { MustOpen(path); }
  auto storage = MustOpen(path, options);
  CHECK(storage->revocation_epoch().ok());
  CHECK(OpenSqliteStorage("", options).code() == Code::kInvalidInput);
}

TEST_CASE("sqlite: a write lock held past busy_timeout_ms gives kStorage and changes nothing",
          "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  SqliteOptions options;
  options.busy_timeout_ms = 150;
  auto storage = MustOpen(path, options);
  const Customer c = MustCreate(*storage, Person("roni_cost@example.com"));
  REQUIRE(storage->put_secret(Secret(SecretKind::kPasswordReset, c.id, "reset")).ok());
  const std::uint64_t epoch = storage->revocation_epoch().value();

  RawDb writer(path);
  writer.Exec("BEGIN IMMEDIATE");
  writer.Exec("INSERT INTO audit (at, event) VALUES (1, 'held')");

  const auto started = std::chrono::steady_clock::now();
  Result<Customer> created = storage->create_customer(Person("new@example.com"), kT0);
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(created.ok());
  CHECK(created.code() == Code::kStorage);
  CHECK_THAT(created.status().message(), Catch::Contains("busy_timeout_ms (150 ms)"));
  CHECK_THAT(created.status().message(), !Catch::Contains("database is locked"));
  CHECK(waited >= std::chrono::milliseconds(140));
  CHECK(waited < std::chrono::seconds(5));

  Result<SecretRecord> consumed =
      storage->consume_secret(SecretKind::kPasswordReset, c.id, "reset", kT0 + 1);
  CHECK(consumed.code() == Code::kStorage);
  CustomerPatch patch;
  patch.revoke_tokens_at = kT0 + 2;
  CHECK(storage->update_customer(c.id, patch, kT0 + 2).code() == Code::kStorage);
  CHECK(storage->record_login_failure(c.id, kT0 + 3, LockoutPolicy{}).code() == Code::kStorage);

  // WAL: readers are not blocked by the writer.
  Result<Customer> found = storage->find_customer_by_id(c.id);
  REQUIRE(found.ok());
  CHECK(found->failures_num == 0);
  CHECK(storage->revocation_epoch().value() == epoch);

  writer.Exec("ROLLBACK");
  // Nothing of the refused calls happened; now they go through.
  CHECK(storage->find_customer_by_email(kDefaultWebsiteId, "new@example.com").code() ==
        Code::kNotFound);
  CHECK(storage->find_customer_by_id(c.id)->tokens_revoked_at == 0);
  CHECK(storage->revocation_epoch().value() == epoch);
  CHECK(storage->consume_secret(SecretKind::kPasswordReset, c.id, "reset", kT0 + 1).ok());
  CHECK(storage->create_customer(Person("new@example.com"), kT0).ok());
}

TEST_CASE("sqlite: a refused update rolls back every part of it", "[sqlite]") {
  TempDir dir;
  auto storage = MustOpen(dir.file("shop.db"));
  NewCustomer n = Person("roni_cost@example.com");
  n.password_hash = "old";
  n.allow_remote_shopping_assistance = true;
  const Customer c = MustCreate(*storage, n);
  REQUIRE(storage->put_secret(Secret(SecretKind::kAdminOtc, c.id, "otc")).ok());
  const std::uint64_t epoch = storage->revocation_epoch().value();

  CustomerPatch patch;
  patch.expect_password_hash = "not-the-stored-one";
  patch.password_hash = "new";
  patch.allow_remote_shopping_assistance = false;  // would void the OTC
  patch.revoke_tokens_at = kT0 + 9;                // would bump the epoch
  patch.firstname = "Changed";
  CHECK(storage->update_customer(c.id, patch, kT0 + 9).code() == Code::kConflict);

  Result<Customer> after = storage->find_customer_by_id(c.id);
  REQUIRE(after.ok());
  CHECK(after->password_hash == "old");
  CHECK(after->firstname == "Veronica");
  CHECK(after->allow_remote_shopping_assistance);
  CHECK(after->tokens_revoked_at == 0);
  CHECK(after->updated_at == kT0);
  CHECK(storage->revocation_epoch().value() == epoch);
  CHECK(storage->consume_secret(SecretKind::kAdminOtc, c.id, "otc", kT0 + 1).ok());
}

TEST_CASE("sqlite: the revocation epoch is shared by every handle on the file", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  auto a = MustOpen(path);
  auto b = MustOpen(path);
  const Customer c = MustCreate(*a, Person("roni_cost@example.com"));
  const std::uint64_t e0 = b->revocation_epoch().value();

  CustomerPatch deactivate;
  deactivate.is_active = false;
  REQUIRE(a->update_customer(c.id, deactivate, kT0 + 1).ok());
  CHECK(b->revocation_epoch().value() == e0);  // tokens_revoked_at did not change

  CustomerPatch revoke;
  revoke.revoke_tokens_at = kT0 + 10;
  REQUIRE(a->update_customer(c.id, revoke, kT0 + 10).ok());
  const std::uint64_t e1 = b->revocation_epoch().value();
  CHECK(e1 != e0);
  CHECK(b->find_customer_by_id(c.id)->tokens_revoked_at == kT0 + 10);

  revoke.revoke_tokens_at = kT0 + 5;  // lower: ignored
  REQUIRE(a->update_customer(c.id, revoke, kT0 + 11).ok());
  CHECK(b->revocation_epoch().value() == e1);
  CHECK(b->find_customer_by_id(c.id)->tokens_revoked_at == kT0 + 10);

  RawDb raw(path);
  CHECK(raw.Int("SELECT epoch FROM revocation_epoch") == static_cast<std::int64_t>(e1));
}

TEST_CASE("sqlite: many threads over a small pool keep read-modify-writes atomic", "[sqlite]") {
  TempDir dir;
  SqliteOptions options;
  options.max_connections = 2;
  options.synchronous_full = false;
  auto storage = MustOpen(dir.file("shop.db"), options);
  const Customer c = MustCreate(*storage, Person("roni_cost@example.com"));
  constexpr int kThreads = 8;
  constexpr int kEach = 15;
  LockoutPolicy count_only;
  count_only.max_failures = 0;
  count_only.window = 365LL * 24 * kHour;
  std::atomic<int> errors{0};
  std::atomic<int> slots{0};
  const std::vector<RateRule> rules{{"reset:email:roni", kHour, 40, 0}};
  RunInThreads(kThreads, [&](int) {
    for (int i = 0; i < kEach; ++i) {
      if (!storage->record_login_failure(c.id, kT0 + 1, count_only).ok()) ++errors;
      const Status s = storage->take_rate_slots(rules, kT0 + 2);
      if (s.ok()) {
        ++slots;
      } else if (s.code() != Code::kRateLimited) {
        ++errors;
      }
    }
  });
  CHECK(errors.load() == 0);
  CHECK(storage->find_customer_by_id(c.id)->failures_num == kThreads * kEach);
  CHECK(slots.load() == 40);
}

TEST_CASE("sqlite: several processes may open a new file at once", "[sqlite][process]") {
  // Each round a fresh file: the race (one process migrating while the others read the header) is
  // brief, so one round rarely meets it.
  TempDir dir;
  constexpr int kRounds = 12;
  constexpr int kProcesses = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = dir.file("shop" + std::to_string(round) + ".db");
    std::vector<std::string> results = RunInProcesses(kProcesses, [&](int p) -> std::string {
      Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
      if (!opened.ok()) return "open: " + opened.status().to_string();
      Result<Customer> c =
          (*opened)->create_customer(Person("p" + std::to_string(p) + "@example.com"), kT0);
      return c.ok() ? "ok" : "create: " + c.status().to_string();
    });
    INFO("round " << round);
    REQUIRE(results.size() == static_cast<std::size_t>(kProcesses));
    for (const std::string& r : results) CHECK(r == "ok");
    RawDb raw(path);
    CHECK(raw.Int("SELECT count(*) FROM customers") == kProcesses);
    CHECK(raw.Int("PRAGMA user_version") == SqliteSchemaVersion());
    CHECK(raw.Int("PRAGMA application_id") != 0);
  }
}

TEST_CASE("sqlite: processes racing consume_secret: exactly one winner per code",
          "[sqlite][process]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  constexpr int kRounds = 60;
  constexpr int kProcesses = 3;
  constexpr int kThreadsEach = 2;
  std::vector<std::int64_t> ids;
  {
    auto storage = MustOpen(path);
    for (int r = 0; r < kRounds; ++r) {
      const Customer c = MustCreate(*storage, Person("c" + std::to_string(r) + "@example.com"));
      ids.push_back(c.id);
      REQUIRE(storage
                  ->put_secret(Secret(SecretKind::kAdminOtc, c.id,
                                      std::string("code\0", 5) + std::to_string(r)))
                  .ok());
    }
  }
  // Each process reports, per round, how many of its threads won, then "errors=<n>" for any
  // outcome other than a win or kNotFound.
  std::vector<std::string> results = RunInProcesses(kProcesses, [&](int) -> std::string {
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
    if (!opened.ok()) return "open: " + opened.status().to_string();
    Storage& storage = **opened;
    std::vector<std::atomic<int>> wins(kRounds);
    std::atomic<int> errors{0};
    RunInThreads(kThreadsEach, [&](int) {
      for (int r = 0; r < kRounds; ++r) {
        Result<SecretRecord> got = storage.consume_secret(
            SecretKind::kAdminOtc, ids[r], std::string("code\0", 5) + std::to_string(r), kT0 + 1);
        if (got.ok()) {
          ++wins[r];
        } else if (got.code() != Code::kNotFound) {
          ++errors;
        }
      }
    });
    std::string out;
    for (int r = 0; r < kRounds; ++r) out += static_cast<char>('0' + wins[r].load());
    return out + " errors=" + std::to_string(errors.load());
  });
  REQUIRE(results.size() == static_cast<std::size_t>(kProcesses));
  std::vector<int> winners(kRounds, 0);
  for (const std::string& r : results) {
    INFO(r);
    REQUIRE(r.size() > static_cast<std::size_t>(kRounds));
    CHECK(r.substr(kRounds) == " errors=0");
    for (int i = 0; i < kRounds; ++i) winners[i] += r[i] - '0';
  }
  for (int i = 0; i < kRounds; ++i) {
    INFO("round " << i);
    CHECK(winners[i] == 1);
  }
  RawDb raw(path);
  CHECK(raw.Int("SELECT count(*) FROM secrets WHERE used_at IS NOT NULL") == kRounds);
}

TEST_CASE("sqlite: processes racing find_or_create_customer create each customer once",
          "[sqlite][process]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  constexpr int kEmails = 40;
  constexpr int kProcesses = 3;
  constexpr int kThreadsEach = 2;
  { MustOpen(path); }
  // Each worker reports "<email index>:<id>:<created>" lines; workers vary the email's case.
  std::vector<std::string> results = RunInProcesses(kProcesses, [&](int p) -> std::string {
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
    if (!opened.ok()) return "open: " + opened.status().to_string();
    Storage& storage = **opened;
    std::vector<std::string> lines(kThreadsEach);
    std::atomic<int> errors{0};
    RunInThreads(kThreadsEach, [&](int t) {
      for (int e = 0; e < kEmails; ++e) {
        std::string email = "new" + std::to_string(e) + "@example.com";
        if ((p + t) % 2 == 1) email[0] = 'N';
        Result<FindOrCreateResult> r = storage.find_or_create_customer(Person(email), kT0);
        if (!r.ok()) {
          ++errors;
          continue;
        }
        lines[t] += std::to_string(e) + ":" + std::to_string(r->customer.id) + ":" +
                    (r->created ? "1" : "0") + "\n";
      }
    });
    std::string out;
    for (const std::string& l : lines) out += l;
    return out + "errors=" + std::to_string(errors.load()) + "\n";
  });
  REQUIRE(results.size() == static_cast<std::size_t>(kProcesses));
  std::map<int, std::set<std::int64_t>> ids;
  std::map<int, int> created;
  int reports = 0;
  for (const std::string& r : results) {
    std::istringstream in(r);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("errors=", 0) == 0) {
        CHECK(line == "errors=0");
        continue;
      }
      int e = 0;
      long long id = 0;
      int was_created = 0;
      INFO(line);
      REQUIRE(std::sscanf(line.c_str(), "%d:%lld:%d", &e, &id, &was_created) == 3);
      ids[e].insert(id);
      created[e] += was_created;
      ++reports;
    }
  }
  CHECK(reports == kEmails * kProcesses * kThreadsEach);
  for (int e = 0; e < kEmails; ++e) {
    INFO("email " << e);
    CHECK(ids[e].size() == 1);
    CHECK(created[e] == 1);
  }
  RawDb raw(path);
  CHECK(raw.Int("SELECT count(*) FROM customers") == kEmails);
}

TEST_CASE("sqlite: processes recording failures and taking rate slots lose no update",
          "[sqlite][process]") {
  TempDir dir;
  const std::string path = dir.file("shop.db");
  constexpr int kProcesses = 3;
  constexpr int kEach = 20;
  constexpr int kLimit = 25;
  std::int64_t id = 0;
  {
    auto storage = MustOpen(path);
    id = MustCreate(*storage, Person("roni_cost@example.com")).id;
  }
  std::vector<std::string> results = RunInProcesses(kProcesses, [&](int) -> std::string {
    SqliteOptions options;
    options.synchronous_full = false;
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path, options);
    if (!opened.ok()) return "open: " + opened.status().to_string();
    Storage& storage = **opened;
    LockoutPolicy count_only;
    count_only.max_failures = 0;
    count_only.window = 365LL * 24 * kHour;
    const std::vector<RateRule> rules{{"reset:ip:10.0.0.1", kHour, kLimit, 0}};
    int slots = 0;
    int errors = 0;
    for (int i = 0; i < kEach; ++i) {
      if (!storage.record_login_failure(id, kT0 + 1, count_only).ok()) ++errors;
      const Status s = storage.take_rate_slots(rules, kT0 + 2);
      if (s.ok()) {
        ++slots;
      } else if (s.code() != Code::kRateLimited) {
        ++errors;
      }
    }
    return std::to_string(slots) + " " + std::to_string(errors);
  });
  int slots = 0;
  for (const std::string& r : results) {
    INFO(r);
    int s = 0;
    int errors = -1;
    REQUIRE(std::sscanf(r.c_str(), "%d %d", &s, &errors) == 2);
    CHECK(errors == 0);
    slots += s;
  }
  CHECK(slots == kLimit);
  auto storage = MustOpen(path);
  CHECK(storage->find_customer_by_id(id)->failures_num == kProcesses * kEach);
}

}  // namespace
}  // namespace custauth::sqlite_storage_test
