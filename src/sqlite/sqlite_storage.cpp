// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage: Storage over the SQLite C API.
//
// Connections. Each connection is opened with SQLITE_OPEN_NOMUTEX and used by one thread at a
// time: a Pool hands them out (checkout/checkin under a mutex and condition variable) and opens up
// to SqliteOptions::max_connections lazily. Each connection caches its prepared statements.
//
// Transactions. Every Storage method runs in Transact(): one transaction per call, BEGIN IMMEDIATE
// for writes (so read-then-write sequences are atomic across threads and processes), autocommit
// for reads, each of which is a single statement. Any failure rolls back, so a failed call changes
// nothing.
//
// Busy handling. Each call has one deadline, busy_timeout_ms after it starts. A busy handler on
// every connection waits with a short backoff until that deadline; on top of it, Transact retries
// the whole transaction when SQLite still reports SQLITE_BUSY or SQLITE_LOCKED (which it does
// without calling the handler in some cases: SQLITE_BUSY_SNAPSHOT, WAL recovery, COMMIT). Past the
// deadline the call fails with kStorage and a message naming the bound; "database is locked" never
// reaches a caller.

#include "custauth/sqlite_storage.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"
#include "sqlite/schema.h"
#include "sqlite/sqlite_internal.h"
#include "storage_internal.h"

namespace custauth {
namespace {

using internal::CustomerIdTaken;
using internal::CustomerIdTooLarge;
using internal::kMaxCustomerId;
using internal::NoCustomerIdLeft;
using internal::NoSuchCustomerId;
using internal::NoSuchEmail;
using internal::NoSuchIntegration;
using internal::PermissionsFromJson;
using internal::PermissionsToJson;
using internal::RateLimited;
using internal::SortedUnique;

using SteadyClock = std::chrono::steady_clock;

bool IsBusyCode(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// ---------------------------------------------------------------------------------------------
// Connection: one sqlite3 handle, its statement cache, and the deadline of the call using it.

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }
  sqlite3** db_slot() { return &db_; }

  // The deadline of the call in progress; the busy handler waits no longer.
  SteadyClock::time_point deadline;
  // Whether the last failure reported through Fail() was SQLITE_BUSY / SQLITE_LOCKED.
  bool busy = false;

  // A kStorage Status for the failed result code `rc`, recording whether it was "busy".
  Status Fail(int rc) {
    busy = IsBusyCode(rc);
    const char* text = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    return Status(Code::kStorage, fmt::format("sqlite: {}", text));
  }

  // Runs SQL without results (one or more statements).
  Status Exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Fail(rc);
    return Status::Ok();
  }

  // The cached statement for `sql`, prepared on first use. `sql` must have static storage.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Fail(rc);
    }
    stmts_.emplace(sql, stmt);
    return stmt;
  }

  // Rolls back an open transaction, if any. False when the connection is left in an unknown state
  // (it should then be closed rather than reused).
  bool Rollback() {
    if (sqlite3_get_autocommit(db_) != 0) return true;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return sqlite3_get_autocommit(db_) != 0;
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string_view, sqlite3_stmt*> stmts_;
};

// The busy handler of every connection: waits with a short backoff until the call's deadline.
int BusyHandler(void* arg, int count) {
  static constexpr int kDelaysMs[] = {1, 1, 2, 2, 5, 5, 10, 10, 20};
  auto* conn = static_cast<Connection*>(arg);
  const auto now = SteadyClock::now();
  if (now >= conn->deadline) return 0;
  const int index = std::min<int>(count, static_cast<int>(std::size(kDelaysMs)) - 1);
  const auto delay = std::min<SteadyClock::duration>(std::chrono::milliseconds(kDelaysMs[index]),
                                                     conn->deadline - now);
  std::this_thread::sleep_for(delay);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Stmt: one use of a cached statement. Binds parameters left to right; resets on destruction.
// At most one Stmt per SQL text may be alive on a connection at a time.

class Stmt {
 public:
  Stmt(Connection& conn, std::string_view sql) : conn_(conn) {
    Result<sqlite3_stmt*> stmt = conn.Prepare(sql);
    if (stmt.ok()) {
      stmt_ = *stmt;
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    } else {
      error_ = stmt.status();
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  Stmt& Int(std::int64_t v) {
    if (stmt_ != nullptr) Check(sqlite3_bind_int64(stmt_, next_++, v));
    return *this;
  }
  Stmt& Bool(bool v) { return Int(v ? 1 : 0); }
  Stmt& Null() {
    if (stmt_ != nullptr) Check(sqlite3_bind_null(stmt_, next_++));
    return *this;
  }
  Stmt& OptInt(const std::optional<std::int64_t>& v) { return v ? Int(*v) : Null(); }
  // Never binds NULL, also for an empty string.
  Stmt& Text(std::string_view v) {
    if (stmt_ != nullptr) {
      Check(sqlite3_bind_text64(stmt_, next_++, v.empty() ? "" : v.data(), v.size(),
                                SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    return *this;
  }
  Stmt& Blob(std::string_view v) {
    if (stmt_ != nullptr) {
      Check(sqlite3_bind_blob64(stmt_, next_++, v.empty() ? "" : v.data(), v.size(),
                                SQLITE_TRANSIENT));
    }
    return *this;
  }

  // Steps once: true with a row, false when done.
  Result<bool> Step() {
    if (!error_.ok()) return error_;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    error_ = conn_.Fail(rc);
    return error_;
  }

  // Steps to the end, ignoring rows.
  Status Run() {
    for (;;) {
      Result<bool> row = Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
    }
  }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t ColInt(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool ColBool(int col) const { return ColInt(col) != 0; }
  std::optional<std::int64_t> ColOptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return ColInt(col);
  }
  std::string ColText(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
  }
  std::string ColBlob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && error_.ok()) error_ = conn_.Fail(rc);
  }

  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 1;
  Status error_;
};

// Runs a statement that yields one integer (e.g. a pragma or a count).
Result<std::int64_t> QueryInt(Connection& conn, std::string_view sql) {
  Stmt st(conn, sql);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status(Code::kStorage, fmt::format("sqlite: no result from {}", sql));
  return st.ColInt(0);
}

// ---------------------------------------------------------------------------------------------
// Pool: up to `max` connections, each checked out by one thread at a time.

class Pool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Connection>>()>;

  Pool(std::size_t max, Opener opener) : max_(std::max<std::size_t>(max, 1)), opener_(opener) {}

  // Adds an already opened connection (the one that ran the migrations).
  void Adopt(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    idle_.push_back(std::move(conn));
  }

  // Waits for an idle connection, or opens one when fewer than `max` are open.
  Status Acquire(std::unique_ptr<Connection>* out) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
      if (!idle_.empty()) {
        *out = std::move(idle_.back());
        idle_.pop_back();
        return Status::Ok();
      }
      ++open_;  // reserve the slot; open outside the lock
    }
    Result<std::unique_ptr<Connection>> opened = opener_();
    if (!opened.ok()) {
      Discard();
      return opened.status();
    }
    *out = std::move(opened).value();
    return Status::Ok();
  }

  // Returns a healthy connection to the pool.
  void Release(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  // Forgets a connection that was closed (or never opened), freeing its slot.
  void Discard() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
    }
    cv_.notify_one();
  }

 private:
  const std::size_t max_;
  const Opener opener_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

// ---------------------------------------------------------------------------------------------
// SQL

constexpr std::string_view kSelectCustomerById =
    "SELECT id, website_id, email, firstname, lastname, is_subscribed, confirmed, "
    "allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure, "
    "lock_expires, tokens_revoked_at, created_at, updated_at FROM customers WHERE id = ?1";

constexpr std::string_view kSelectCustomerByEmailKey =
    "SELECT id, website_id, email, firstname, lastname, is_subscribed, confirmed, "
    "allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure, "
    "lock_expires, tokens_revoked_at, created_at, updated_at FROM customers "
    "WHERE website_id = ?1 AND email_key = ?2";

constexpr std::string_view kInsertCustomer =
    "INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";

constexpr std::string_view kCustomerIdExists = "SELECT 1 FROM customers WHERE id = ?1";

constexpr std::string_view kUpdateCustomer =
    "UPDATE customers SET firstname = ?1, lastname = ?2, is_subscribed = ?3, confirmed = ?4, "
    "allow_remote_shopping_assistance = ?5, is_active = ?6, password_hash = ?7, "
    "failures_num = ?8, first_failure = ?9, lock_expires = ?10, tokens_revoked_at = ?11, "
    "updated_at = ?12 WHERE id = ?13";

constexpr std::string_view kImportCustomer =
    "INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "failures_num, first_failure, lock_expires, created_at, updated_at, tokens_revoked_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT DO NOTHING";

constexpr std::string_view kImportUpdateCustomer =
    "UPDATE customers SET website_id = ?2, email = ?3, email_key = ?4, firstname = ?5, "
    "lastname = ?6, is_subscribed = ?7, confirmed = ?8, allow_remote_shopping_assistance = ?9, "
    "is_active = ?10, password_hash = ?11, failures_num = ?12, first_failure = ?13, "
    "lock_expires = ?14, created_at = ?15, updated_at = ?16, "
    "tokens_revoked_at = max(tokens_revoked_at, ?17) WHERE id = ?1";

// The last customer id assigned or stored (schema.h).
constexpr std::string_view kLastCustomerId = "SELECT last_id FROM customer_ids WHERE id = 1";

constexpr std::string_view kSelectIdByEmailKey =
    "SELECT id FROM customers WHERE website_id = ?1 AND email_key = ?2";

constexpr std::string_view kBumpEpoch =
    "UPDATE revocation_epoch SET epoch = epoch + 1 WHERE id = 1";

constexpr std::string_view kVoidSecret =
    "DELETE FROM secrets WHERE customer_id = ?1 AND kind = ?2 AND used_at IS NULL";

Customer CustomerFromRow(const Stmt& st) {
  Customer c;
  c.id = st.ColInt(0);
  c.website_id = st.ColInt(1);
  c.email = st.ColText(2);
  c.firstname = st.ColText(3);
  c.lastname = st.ColText(4);
  c.is_subscribed = st.ColBool(5);
  c.confirmed = st.ColBool(6);
  c.allow_remote_shopping_assistance = st.ColBool(7);
  c.is_active = st.ColBool(8);
  c.password_hash = st.ColText(9);
  c.failures_num = static_cast<int>(st.ColInt(10));
  c.first_failure = st.ColOptInt(11);
  c.lock_expires = st.ColOptInt(12);
  c.tokens_revoked_at = st.ColInt(13);
  c.created_at = st.ColInt(14);
  c.updated_at = st.ColInt(15);
  return c;
}

Status StatusOf(const Status& s) { return s; }
template <class T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// ---------------------------------------------------------------------------------------------

// Every read of SqliteStorage is a single statement, so it runs in autocommit mode (its own
// snapshot); every write takes the write lock up front.
enum class Tx {
  kAutocommit,  // one statement, no explicit transaction
  kWrite,       // BEGIN IMMEDIATE ... COMMIT
  // BEGIN IMMEDIATE ... COMMIT without waiting for the disk (synchronous = NORMAL for this
  // transaction; in WAL mode the commit is visible to every connection at once and made durable
  // by the next FULL commit or checkpoint). Only for writes whose loss at a power failure is
  // harmless: the login attempts in flight (admit_login_attempt, release_login_attempt) count
  // attempts of processes on this machine, which a power failure ends too.
  kWriteVolatile,
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::string path, const SqliteOptions& options)
      : path_(std::move(path)),
        options_(options),
        busy_timeout_(std::chrono::milliseconds(std::max(options.busy_timeout_ms, 0))),
        pool_(options.max_connections, [this] { return OpenConnection(/*create=*/false); }) {}

  // Opens the first connection, checks the file is custauth's (or new), and migrates it.
  Status Init() {
    if (options_.create_if_missing) CUSTAUTH_RETURN_IF_ERROR(CreateOwnerOnly());
    Result<std::unique_ptr<Connection>> first = OpenConnection(options_.create_if_missing);
    if (!first.ok()) return first.status();
    std::unique_ptr<Connection> conn = std::move(first).value();
    CUSTAUTH_RETURN_IF_ERROR(Bootstrap(*conn));
    pool_.Adopt(std::move(conn));
    return Status::Ok();
  }

  std::string describe() const override { return "sqlite:" + path_; }

  // Runs `sql` (a pragma) on a pooled connection; for tests.
  Result<std::string> PragmaText(const std::string& sql) {
    return Transact(Tx::kAutocommit, [&](Connection& c) -> Result<std::string> {
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v2(c.db(), sql.c_str(), -1, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return c.Fail(rc);
      }
      rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW) {
        Status s = rc == SQLITE_DONE ? Status(Code::kNotFound, "no result") : c.Fail(rc);
        sqlite3_finalize(stmt);
        return s;
      }
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      std::string value = p == nullptr ? "" : p;
      sqlite3_finalize(stmt);
      return value;
    });
  }

  // --- Customers ---

  Result<Customer> create_customer(const NewCustomer& c, TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) { return Create(conn, c, now); });
  }

  Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<FindOrCreateResult> {
      Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
      if (!found.ok()) return found.status();
      if (found->has_value()) return FindOrCreateResult{std::move(**found), false};
      Result<Customer> created = Create(conn, c, now);
      if (!created.ok()) return created.status();
      return FindOrCreateResult{std::move(created).value(), true};
    });
  }

  Result<std::vector<ImportOutcome>> import_customers(std::span<const ImportedCustomer> rows,
                                                      ImportConflict on_conflict) override {
    for (const ImportedCustomer& row : rows) {
      if (row.customer.id < 0) {
        return Status(Code::kInvalidInput, "An imported customer needs an id above 0, or 0");
      }
      if (row.customer.id > kMaxCustomerId) return CustomerIdTooLarge(row.customer.id);
    }
    const bool revokes = std::any_of(rows.begin(), rows.end(), [](const ImportedCustomer& r) {
      return r.tokens_revoked_at > 0;
    });
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::vector<ImportOutcome>> {
      if (revokes) CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
      std::vector<ImportOutcome> outcomes;
      outcomes.reserve(rows.size());
      for (const ImportedCustomer& given : rows) {
        // A row with id 0 is a new customer: the next id, assigned in this transaction.
        ImportedCustomer assigned;
        const ImportedCustomer* row_ptr = &given;
        if (given.customer.id == 0) {
          Result<std::int64_t> next = NextCustomerId(conn);
          if (!next.ok()) return next.status();
          assigned = given;
          assigned.customer.id = *next;
          row_ptr = &assigned;
        }
        const ImportedCustomer& row = *row_ptr;
        const std::string email_key = EmailKey(row.customer.email);
        {
          Stmt st(conn, kImportCustomer);
          BindImported(st, row, email_key);
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
        if (sqlite3_changes(conn.db()) == 1) {
          outcomes.push_back(ImportOutcome::kCreated);
          continue;
        }
        if (on_conflict == ImportConflict::kSkip) {
          outcomes.push_back(ImportOutcome::kSkipped);
          continue;
        }
        if (on_conflict == ImportConflict::kFail) {
          outcomes.push_back(ImportOutcome::kConflict);
          break;
        }
        if (given.customer.id == 0) {  // a new customer whose email is taken: never an update
          outcomes.push_back(ImportOutcome::kConflict);
          continue;
        }
        // kUpdate: the email must be free or the row's own.
        {
          Stmt st(conn, kSelectIdByEmailKey);
          st.Int(row.customer.website_id).Text(email_key);
          Result<bool> found = st.Step();
          if (!found.ok()) return found.status();
          if (*found && st.ColInt(0) != row.customer.id) {
            outcomes.push_back(ImportOutcome::kConflict);
            continue;
          }
        }
        {
          Stmt st(conn, kImportUpdateCustomer);
          BindImported(st, row, email_key);
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
        if (sqlite3_changes(conn.db()) != 1) {  // no such id: the email belongs to another
          outcomes.push_back(ImportOutcome::kConflict);
          continue;
        }
        if (!row.customer.allow_remote_shopping_assistance) {
          Stmt st(conn, kVoidSecret);
          st.Int(row.customer.id).Int(static_cast<int>(SecretKind::kAdminOtc));
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
        outcomes.push_back(ImportOutcome::kUpdated);
      }
      return outcomes;
    });
  }

  Result<Customer> find_customer_by_email(std::int64_t website_id,
                                          std::string_view email) override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<Customer> {
      Result<std::optional<Customer>> found = FindByEmail(conn, website_id, email);
      if (!found.ok()) return found.status();
      if (!found->has_value()) return NoSuchEmail(email);
      return std::move(**found);
    });
  }

  Result<Customer> find_customer_by_id(std::int64_t id) override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) { return FindById(conn, id); });
  }

  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,
                                   std::span<const AuditRecord> audit) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<Customer> {
      Result<Customer> found = FindById(conn, id);
      if (!found.ok()) return found.status();
      Customer c = std::move(found).value();
      if (patch.expect_password_hash && *patch.expect_password_hash != c.password_hash) {
        return Status(Code::kConflict,
                      fmt::format("The password of customerId = {} changed concurrently", id));
      }
      if (patch.firstname) c.firstname = *patch.firstname;
      if (patch.lastname) c.lastname = *patch.lastname;
      if (patch.is_subscribed) c.is_subscribed = *patch.is_subscribed;
      if (patch.confirmed) c.confirmed = *patch.confirmed;
      if (patch.is_active) c.is_active = *patch.is_active;
      if (patch.allow_remote_shopping_assistance) {
        c.allow_remote_shopping_assistance = *patch.allow_remote_shopping_assistance;
        if (!c.allow_remote_shopping_assistance) {
          Stmt st(conn, kVoidSecret);
          st.Int(id).Int(static_cast<int>(SecretKind::kAdminOtc));
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
      }
      if (patch.password_hash) c.password_hash = *patch.password_hash;
      if (patch.revoke_tokens_at && *patch.revoke_tokens_at > c.tokens_revoked_at) {
        c.tokens_revoked_at = *patch.revoke_tokens_at;
        CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
      }
      if (patch.revoke_clock != nullptr) {  // read inside the write (BEGIN IMMEDIATE holds it)
        c.tokens_revoked_at = RevocationTime(c.tokens_revoked_at, patch.revoke_clock->now());
        CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
      }
      if (patch.clear_lock) {
        c.failures_num = 0;
        c.first_failure.reset();
        c.lock_expires.reset();
      }
      c.updated_at = now;
      CUSTAUTH_RETURN_IF_ERROR(WriteCustomer(conn, c));
      CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
      return c;
    });
  }

  // Runs in one transaction, then checkpoints the write-ahead log into the database and truncates
  // it, so that the erased bytes (zeroed in the database by secure_delete, see OpenConnection)
  // leave the log too. The checkpoint is best effort: a connection reading at that moment keeps
  // the log, which a later checkpoint empties.
  Result<Customer> delete_customer(std::int64_t id, TimeMs /*now*/,
                                   std::span<const AuditRecord> audit) override {
    Result<Customer> erased = Transact(Tx::kWrite, [&](Connection& conn) -> Result<Customer> {
      Result<Customer> found = FindById(conn, id);
      if (!found.ok()) return found.status();
      const Customer& c = *found;
      // The records that name the customer: by id, or (a superset, narrowed below) by the email
      // in their detail.
      std::vector<AuditRecord> named;
      {
        Stmt st(conn,
                "SELECT id, customer_id, actor, reason, client_ip, detail FROM audit "
                "WHERE customer_id = ?1 OR instr(lower(detail), ?2) > 0");
        st.Int(id).Text(EmailKey(c.email));
        for (;;) {
          Result<bool> row = st.Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          AuditRecord r;
          r.id = st.ColInt(0);
          r.customer_id = st.ColOptInt(1);
          r.actor = st.ColText(2);
          r.reason = st.ColText(3);
          r.client_ip = st.ColText(4);
          r.detail = st.ColText(5);
          if (AuditRecordNamesCustomer(r, c)) named.push_back(std::move(r));
        }
      }
      std::vector<std::string> client_ips;
      for (AuditRecord& r : named) {
        client_ips.push_back(r.client_ip);
        if (!EraseCustomerFromAuditRecord(r, c)) continue;
        Stmt st(conn,
                "UPDATE audit SET actor = ?1, reason = ?2, client_ip = ?3, detail = ?4 "
                "WHERE id = ?5");
        st.Text(r.actor).Text(r.reason).Text(r.client_ip).Text(r.detail).Int(r.id);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
        {
          Stmt st(conn, "DELETE FROM rate_events WHERE substr(bucket, -length(?1)) = ?1");
          st.Text(suffix);
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
        Stmt st(conn, "DELETE FROM rate_buckets WHERE substr(bucket, -length(?1)) = ?1");
        st.Text(suffix);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      {
        Stmt st(conn, "DELETE FROM login_counters WHERE key = ?1");
        st.Text(internal::AccountCounterKey(id));
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
        Stmt st(conn, "DELETE FROM login_counters WHERE substr(key, -length(?1)) = ?1");
        st.Text(suffix);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      for (std::string_view sql : {"DELETE FROM secrets WHERE customer_id = ?1",
                                   "DELETE FROM opaque_tokens WHERE customer_id = ?1",
                                   "DELETE FROM customers WHERE id = ?1"}) {
        Stmt st(conn, sql);
        st.Int(id);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
      CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
      return std::move(found).value();
    });
    if (erased.ok()) {
      (void)Transact(Tx::kAutocommit, [](Connection& conn) -> Status {
        sqlite3_wal_checkpoint_v2(conn.db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
        return Status::Ok();
      });
    }
    return erased;
  }

  // --- Lockout ---

  Result<LockState> record_login_failure(std::int64_t customer_id, TimeMs now,
                                         const LockoutPolicy& policy) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<LockState> {
      Result<Customer> found = FindById(conn, customer_id);
      if (!found.ok()) return found.status();
      Customer c = std::move(found).value();
      const LockState state = ApplyLoginFailure(c, now, policy);
      c.updated_at = now;
      CUSTAUTH_RETURN_IF_ERROR(WriteCustomer(conn, c));
      return state;
    });
  }

  // --- Login attempts: each one BEGIN IMMEDIATE transaction (storage_internal.h) ---

  // The attempts in flight: volatile writes (Tx::kWriteVolatile); the failures and sign-ins that
  // settle them wait for the disk.
  Result<Customer> admit_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    return Transact(Tx::kWriteVolatile, [&](Connection& conn) -> Result<Customer> {
      Txn tx(conn);
      return internal::AdmitLoginAttempt(tx, attempt, now);
    });
  }

  Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,
                                      const Clock& clock) override {
    return internal::SignInAnswer(
        Transact(Tx::kWrite, [&](Connection& conn) -> Result<internal::SignInCommit> {
          Txn tx(conn, retention_.get());
          return internal::RecordSignIn(tx, attempt, sign_in, clock);
        }));
  }

  Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                           const AuditOf<LockState>& audit) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<LockState> {
      Txn tx(conn, retention_.get());
      return internal::RecordAttemptFailure(tx, attempt, now, audit);
    });
  }

  Status release_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    return Transact(Tx::kWriteVolatile, [&](Connection& conn) -> Status {
      Txn tx(conn);
      return internal::ReleaseLoginAttempt(tx, attempt, now);
    });
  }

  Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,
                                       TimeMs now) override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<ThrottleState> {
      Txn tx(conn);
      return internal::ReadThrottleState(tx, website_id, email_key, now);
    });
  }

  // --- One-time secrets ---

  Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      Result<bool> exists = CustomerExists(conn, s.customer_id);
      if (!exists.ok()) return exists.status();
      if (!*exists) return NoSuchCustomerId(s.customer_id);
      Stmt st(conn,
              "INSERT INTO secrets (customer_id, kind, hash, created_at, expires_at, admin_id, "
              "reason, used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL) "
              "ON CONFLICT (customer_id, kind) DO UPDATE SET hash = excluded.hash, "
              "created_at = excluded.created_at, expires_at = excluded.expires_at, "
              "admin_id = excluded.admin_id, reason = excluded.reason, used_at = NULL");
      st.Int(s.customer_id)
          .Int(static_cast<int>(s.kind))
          .Blob(s.hash)
          .Int(s.created_at)
          .Int(s.expires_at)
          .OptInt(s.admin_id)
          .Text(s.reason);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      const RetentionPolicy policy = retention_.get();
      CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, policy));
      return StatusOf(PruneSome(conn, kPruneExpiredSecrets,
                                internal::GraceCutoff(policy, s.created_at), policy.per_write));
    });
  }

  Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,
                                      std::string_view hash, TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<SecretRecord> {
      {
        Stmt st(conn,
                "UPDATE secrets SET used_at = ?1 WHERE customer_id = ?2 AND kind = ?3 AND "
                "hash = ?4 AND used_at IS NULL AND expires_at > ?1 "
                "RETURNING created_at, expires_at, admin_id, reason");
        st.Int(now).Int(customer_id).Int(static_cast<int>(kind)).Blob(hash);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (*row) {
          SecretRecord r;
          r.kind = kind;
          r.customer_id = customer_id;
          r.hash = std::string(hash);
          r.created_at = st.ColInt(0);
          r.expires_at = st.ColInt(1);
          r.admin_id = st.ColOptInt(2);
          r.reason = st.ColText(3);
          r.used_at = now;
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
          return r;
        }
      }
      // Nothing consumed: an unused secret with this hash that has expired, or none at all.
      Stmt st(conn,
              "SELECT 1 FROM secrets WHERE customer_id = ?1 AND kind = ?2 AND hash = ?3 AND "
              "used_at IS NULL");
      st.Int(customer_id).Int(static_cast<int>(kind)).Blob(hash);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (*row) return Status(Code::kExpired, "The secret is expired");
      return Status(Code::kNotFound, "No such secret");
    });
  }

  Status void_secrets(SecretKind kind, std::int64_t customer_id) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      Stmt st(conn, kVoidSecret);
      st.Int(customer_id).Int(static_cast<int>(kind));
      return st.Run();
    });
  }

  // --- Rate limits ---

  Status take_rate_slots(std::span<const RateRule> rules, TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      // Check every rule first; record only when all of them allow the request.
      for (const RateRule& rule : rules) {
        if (rule.max_in_window <= 0) return RateLimited();
        {
          Stmt st(conn,
                  "SELECT count(*) FROM rate_events WHERE bucket = ?1 AND at > ?2 AND at <= ?3");
          st.Text(rule.bucket).Int(now - rule.window).Int(now);
          Result<bool> row = st.Step();
          if (!row.ok()) return row.status();
          if (st.ColInt(0) >= rule.max_in_window) return RateLimited();
        }
        if (rule.min_interval > 0) {
          Stmt st(conn, "SELECT max(at) FROM rate_events WHERE bucket = ?1");
          st.Text(rule.bucket);
          Result<bool> row = st.Step();
          if (!row.ok()) return row.status();
          if (!st.IsNull(0) && now - st.ColInt(0) < rule.min_interval) return RateLimited();
        }
      }
      // One event per bucket per request, however many rules name it.
      std::map<std::string_view, TimeMs> widest;
      std::map<std::string_view, TimeMs> keep_until;  // retention: when the bucket expires
      for (const RateRule& rule : rules) {
        auto [it, inserted] = widest.emplace(rule.bucket, rule.window);
        if (!inserted) it->second = std::max(it->second, rule.window);
        TimeMs& until = keep_until[rule.bucket];
        until = std::max(until, now + std::max(rule.window, rule.min_interval));
      }
      for (const auto& [bucket, window] : widest) {
        {
          Stmt st(conn, "INSERT INTO rate_events (bucket, at) VALUES (?1, ?2)");
          st.Text(bucket).Int(now);
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
        TimeMs keep_window = window;
        {
          Stmt st(conn,
                  "INSERT INTO rate_buckets (bucket, widest_window, expires_at) "
                  "VALUES (?1, ?2, ?3) ON CONFLICT (bucket) DO UPDATE SET "
                  "widest_window = max(widest_window, excluded.widest_window), "
                  "expires_at = max(expires_at, excluded.expires_at) "
                  "RETURNING widest_window");
          st.Text(bucket).Int(window).Int(keep_until[bucket]);
          Result<bool> row = st.Step();
          if (!row.ok()) return row.status();
          if (*row) keep_window = st.ColInt(0);
          CUSTAUTH_RETURN_IF_ERROR(st.Run());
        }
        // Prune what no window seen on this bucket can count any more; keep the newest event
        // for min_interval.
        Stmt st(conn,
                "DELETE FROM rate_events WHERE bucket = ?1 AND at <= ?2 AND "
                "at < (SELECT max(at) FROM rate_events WHERE bucket = ?1)");
        st.Text(bucket).Int(now - keep_window);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      return PruneBuckets(conn, now, retention_.get().per_write, nullptr);
    });
  }

  // --- OAuth nonces ---

  Status insert_nonce(std::string_view consumer_key, std::string_view nonce, TimeMs expires_at,
                      TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      {
        Stmt st(conn, "SELECT expires_at FROM nonces WHERE consumer_key = ?1 AND nonce = ?2");
        st.Text(consumer_key).Text(nonce);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (*row && st.ColInt(0) > now) {
          return Status(Code::kAlreadyExists, "The nonce is already being used by the consumer");
        }
      }
      // Absent, or present but expired: (re)record it.
      Stmt st(conn,
              "INSERT INTO nonces (consumer_key, nonce, expires_at) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (consumer_key, nonce) DO UPDATE SET expires_at = excluded.expires_at");
      st.Text(consumer_key).Text(nonce).Int(expires_at);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      return StatusOf(PruneSome(conn, kPruneNonces, now, retention_.get().per_write));
    });
  }

  Result<std::int64_t> prune_nonces(TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::int64_t> {
      Stmt st(conn, "DELETE FROM nonces WHERE expires_at <= ?1");
      st.Int(now);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      return static_cast<std::int64_t>(sqlite3_changes64(conn.db()));
    });
  }

  // --- Revocation ---

  Result<std::uint64_t> revocation_epoch() override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::uint64_t> {
      Result<std::int64_t> epoch =
          QueryInt(conn, "SELECT epoch FROM revocation_epoch WHERE id = 1");
      if (!epoch.ok()) return epoch.status();
      return static_cast<std::uint64_t>(*epoch);
    });
  }

  // --- Opaque tokens ---

  Status put_opaque_token(const OpaqueTokenRecord& t) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      {
        Stmt st(conn, "SELECT 1 FROM opaque_tokens WHERE hash = ?1");
        st.Blob(t.hash);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (*row) return Status(Code::kAlreadyExists, "The token already exists");
      }
      Stmt st(conn,
              "INSERT INTO opaque_tokens (hash, customer_id, issued_at, expires_at) "
              "VALUES (?1, ?2, ?3, ?4)");
      st.Blob(t.hash).Int(t.customer_id).Int(t.issued_at).Int(t.expires_at);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      const RetentionPolicy policy = retention_.get();
      return StatusOf(PruneSome(conn, kPruneOpaqueTokens,
                                internal::GraceCutoff(policy, t.issued_at), policy.per_write));
    });
  }

  Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<OpaqueTokenRecord> {
      Stmt st(conn, "SELECT customer_id, issued_at, expires_at FROM opaque_tokens WHERE hash = ?1");
      st.Blob(hash);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status(Code::kNotFound, "No such token");
      OpaqueTokenRecord t;
      t.hash = std::string(hash);
      t.customer_id = st.ColInt(0);
      t.issued_at = st.ColInt(1);
      t.expires_at = st.ColInt(2);
      return t;
    });
  }

  Result<std::int64_t> prune_opaque_tokens(TimeMs before) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::int64_t> {
      Stmt st(conn, "DELETE FROM opaque_tokens WHERE expires_at <= ?1");
      st.Int(before);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      return static_cast<std::int64_t>(sqlite3_changes64(conn.db()));
    });
  }

  // --- Integrations ---

  Result<Integration> create_integration(const Integration& i) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<Integration> {
      {
        Stmt st(conn, "SELECT 1 FROM integrations WHERE consumer_key = ?1");
        st.Text(i.consumer_key);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (*row) {
          return Status(Code::kAlreadyExists,
                        "An integration with this consumer key already exists");
        }
      }
      {
        Stmt st(conn, "SELECT 1 FROM integrations WHERE access_token = ?1");
        st.Text(i.access_token);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (*row) {
          return Status(Code::kAlreadyExists,
                        "An integration with this access token already exists");
        }
      }
      Integration stored = i;
      stored.permissions = SortedUnique(i.permissions);
      Stmt st(conn,
              "INSERT INTO integrations (name, consumer_key, access_token, "
              "consumer_secret_sealed, token_secret_sealed, permissions, active, created_at, "
              "revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
      st.Text(i.name)
          .Text(i.consumer_key)
          .Text(i.access_token)
          .Blob(i.consumer_secret_sealed)
          .Blob(i.token_secret_sealed)
          .Text(PermissionsToJson(stored.permissions))
          .Bool(i.active)
          .Int(i.created_at)
          .OptInt(i.revoked_at);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      stored.id = sqlite3_last_insert_rowid(conn.db());
      return stored;
    });
  }

  Result<Integration> find_integration(std::string_view consumer_key) override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<Integration> {
      Stmt st(conn,
              "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
              "token_secret_sealed, permissions, active, created_at, revoked_at "
              "FROM integrations WHERE consumer_key = ?1");
      st.Text(consumer_key);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return NoSuchIntegration(consumer_key);
      return IntegrationFromRow(st);
    });
  }

  Result<std::vector<Integration>> list_integrations() override {
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::vector<Integration>> {
      Stmt st(conn,
              "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
              "token_secret_sealed, permissions, active, created_at, revoked_at "
              "FROM integrations ORDER BY id");
      std::vector<Integration> all;
      for (;;) {
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        Result<Integration> i = IntegrationFromRow(st);
        if (!i.ok()) return i.status();
        all.push_back(std::move(i).value());
      }
      return all;
    });
  }

  Status set_integration_permissions(std::string_view consumer_key,
                                     const std::vector<std::string>& permissions) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      Stmt st(conn, "UPDATE integrations SET permissions = ?1 WHERE consumer_key = ?2");
      st.Text(PermissionsToJson(permissions)).Text(consumer_key);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      if (sqlite3_changes64(conn.db()) == 0) return NoSuchIntegration(consumer_key);
      return Status::Ok();
    });
  }

  Status revoke_integration(std::string_view consumer_key, TimeMs now) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
      Stmt st(conn, "UPDATE integrations SET active = 0, revoked_at = ?1 WHERE consumer_key = ?2");
      st.Int(now).Text(consumer_key);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      if (sqlite3_changes64(conn.db()) == 0) return NoSuchIntegration(consumer_key);
      return Status::Ok();
    });
  }

  // --- Audit ---

  Result<std::int64_t> append_audit(const AuditRecord& r) override {
    return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::int64_t> {
      Result<std::int64_t> id = InsertAudit(conn, r, retention_.get());
      if (!id.ok()) return id.status();
      return id;
    });
  }

  // Inside a write: inserts `r`, removes up to policy.per_write expired records, and returns r's
  // id.
  static Result<std::int64_t> InsertAudit(Connection& conn, const AuditRecord& r,
                                          const RetentionPolicy& policy) {
    Stmt st(conn,
            "INSERT INTO audit (at, event, customer_id, admin_id, actor, reason, client_ip, "
            "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    st.Int(r.at)
        .Text(r.event)
        .OptInt(r.customer_id)
        .OptInt(r.admin_id)
        .Text(r.actor)
        .Text(r.reason)
        .Text(r.client_ip)
        .Text(r.detail);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    const auto id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(conn.db()));
    Result<std::int64_t> pruned =
        PruneSome(conn, kPruneAudit, internal::AuditCutoff(policy, r.at), policy.per_write);
    if (!pruned.ok()) return pruned.status();
    return id;
  }
  static Status InsertAudit(Connection& conn, std::span<const AuditRecord> records,
                            const RetentionPolicy& policy) {
    for (const AuditRecord& r : records) {
      CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, r, policy).status());
    }
    return Status::Ok();
  }

  Result<std::vector<AuditRecord>> list_audit(const AuditQuery& q) override {
    static constexpr std::string_view kAll =
        "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
        "FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2";
    static constexpr std::string_view kOfCustomer =
        "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
        "FROM audit WHERE id > ?1 AND customer_id = ?3 ORDER BY id LIMIT ?2";
    const auto limit = static_cast<std::int64_t>(
        std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max()));
    return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::vector<AuditRecord>> {
      Stmt st(conn, q.customer_id ? kOfCustomer : kAll);
      st.Int(q.after_id).Int(limit);
      if (q.customer_id) st.Int(*q.customer_id);
      std::vector<AuditRecord> out;
      for (;;) {
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        AuditRecord r;
        r.id = st.ColInt(0);
        r.at = st.ColInt(1);
        r.event = st.ColText(2);
        r.customer_id = st.ColOptInt(3);
        r.admin_id = st.ColOptInt(4);
        r.actor = st.ColText(5);
        r.reason = st.ColText(6);
        r.client_ip = st.ColText(7);
        r.detail = st.ColText(8);
        out.push_back(std::move(r));
      }
      return out;
    });
  }

  // --- Retention ---

  void set_retention(const RetentionPolicy& policy) override { retention_.set(policy); }

  // Each table in batches of kPruneBatch rows, one write transaction per batch.
  Result<PruneCounts> prune(TimeMs now, const RetentionPolicy& policy) override {
    PruneCounts counts;
    const auto batch = static_cast<int>(internal::kPruneBatch);
    for (;;) {
      PruneCounts part;
      CUSTAUTH_RETURN_IF_ERROR(Transact(
          Tx::kWrite, [&](Connection& conn) { return PruneBuckets(conn, now, batch, &part); }));
      counts.rate_buckets += part.rate_buckets;
      counts.rate_events += part.rate_events;
      if (part.rate_buckets < batch) break;
    }
    const TimeMs grace_cutoff = internal::GraceCutoff(policy, now);
    const std::pair<std::string_view, TimeMs> tables[] = {
        {kPruneNonces, now},
        {kPruneExpiredSecrets, grace_cutoff},
        {kPruneUsedSecrets, grace_cutoff},
        {kPruneOpaqueTokens, grace_cutoff},
        {kPruneAudit, internal::AuditCutoff(policy, now)}};
    std::int64_t* const into[] = {&counts.nonces, &counts.secrets, &counts.secrets,
                                  &counts.opaque_tokens, &counts.audit};
    for (std::size_t k = 0; k < std::size(tables); ++k) {
      for (;;) {
        Result<std::int64_t> n = Transact(Tx::kWrite, [&](Connection& conn) {
          return PruneSome(conn, tables[k].first, tables[k].second, batch);
        });
        if (!n.ok()) return n.status();
        *into[k] += *n;
        if (*n < batch) break;
      }
    }
    return counts;
  }

 private:
  // --- Retention (the per-write pruning; RetentionPolicy) ---

  // Each deletes up to ?2 rows whose time is at or before ?1, oldest first, on an index.
  static constexpr std::string_view kPruneNonces =
      "DELETE FROM nonces WHERE (consumer_key, nonce) IN (SELECT consumer_key, nonce FROM nonces "
      "WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";
  static constexpr std::string_view kPruneExpiredSecrets =
      "DELETE FROM secrets WHERE (customer_id, kind) IN (SELECT customer_id, kind FROM secrets "
      "WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";
  // Not on an index: a used secret also expires within its lifetime, and then goes by the index.
  static constexpr std::string_view kPruneUsedSecrets =
      "DELETE FROM secrets WHERE (customer_id, kind) IN (SELECT customer_id, kind FROM secrets "
      "WHERE used_at <= ?1 LIMIT ?2)";
  static constexpr std::string_view kPruneOpaqueTokens =
      "DELETE FROM opaque_tokens WHERE hash IN (SELECT hash FROM opaque_tokens "
      "WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";
  static constexpr std::string_view kPruneAudit =
      "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at <= ?1 ORDER BY at LIMIT ?2)";

  // Runs one of the statements above; returns how many rows went.
  static Result<std::int64_t> PruneSome(Connection& conn, std::string_view sql, TimeMs cutoff,
                                        int limit) {
    if (limit <= 0) return std::int64_t{0};
    Stmt st(conn, sql);
    st.Int(cutoff).Int(limit);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    return static_cast<std::int64_t>(sqlite3_changes64(conn.db()));
  }

  // Removes up to `limit` expired rate-limit buckets, each with its events.
  static Status PruneBuckets(Connection& conn, TimeMs now, int limit, PruneCounts* counts) {
    if (limit <= 0) return Status::Ok();
    std::vector<std::string> expired;
    {
      Stmt st(conn,
              "SELECT bucket FROM rate_buckets WHERE expires_at <= ?1 ORDER BY expires_at "
              "LIMIT ?2");
      st.Int(now).Int(limit);
      for (;;) {
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        expired.push_back(st.ColText(0));
      }
    }
    for (const std::string& bucket : expired) {
      {
        Stmt st(conn, "DELETE FROM rate_events WHERE bucket = ?1");
        st.Text(bucket);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
        if (counts != nullptr) counts->rate_events += sqlite3_changes64(conn.db());
      }
      Stmt st(conn, "DELETE FROM rate_buckets WHERE bucket = ?1");
      st.Text(bucket);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      if (counts != nullptr) counts->rate_buckets += sqlite3_changes64(conn.db());
    }
    return Status::Ok();
  }

  internal::RetentionHolder retention_;

  // Runs fn(connection) as one transaction of kind `tx` on a pooled connection: commits when fn
  // succeeds, rolls back otherwise, and retries the whole of it while SQLite reports a busy or
  // locked database, until busy_timeout_ms has passed since the call began.
  template <class Fn>
  auto Transact(Tx tx, Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    using R = std::invoke_result_t<Fn&, Connection&>;
    std::unique_ptr<Connection> conn;
    CUSTAUTH_RETURN_IF_ERROR(pool_.Acquire(&conn));
    Connection& c = *conn;
    c.deadline = SteadyClock::now() + busy_timeout_;
    // A volatile write lowers synchronous for its transaction only; the connection goes back to
    // the pool at FULL, or not at all.
    const bool volatile_commit = tx == Tx::kWriteVolatile && options_.synchronous_full;
    auto restore = [&]() -> bool {
      return !volatile_commit || c.Exec("PRAGMA synchronous = FULL").ok();
    };
    for (int attempt = 0;; ++attempt) {
      c.busy = false;
      Status failure;
      if (volatile_commit) failure = c.Exec("PRAGMA synchronous = NORMAL");
      if (failure.ok() && tx != Tx::kAutocommit) failure = c.Exec("BEGIN IMMEDIATE");
      if (failure.ok()) {
        R r = fn(c);
        if (r.ok()) {
          if (tx != Tx::kAutocommit) failure = c.Exec("COMMIT");
          if (failure.ok()) {
            if (!restore()) {
              conn.reset();
              pool_.Discard();
              return r;  // committed
            }
            pool_.Release(std::move(conn));
            return r;
          }
        } else {
          failure = StatusOf(r);
        }
      }
      const bool retry = c.busy && failure.code() == Code::kStorage;
      if (!c.Rollback() || !restore()) {
        conn.reset();
        pool_.Discard();
        return failure;
      }
      if (!retry) {
        pool_.Release(std::move(conn));
        return failure;
      }
      const auto now = SteadyClock::now();
      if (now >= c.deadline) {
        pool_.Release(std::move(conn));
        return Status(Code::kStorage,
                      fmt::format("sqlite: {} stayed locked by another connection for longer than "
                                  "busy_timeout_ms ({} ms)",
                                  path_, options_.busy_timeout_ms));
      }
      Backoff(attempt, c.deadline - now);
    }
  }

  // Sleeps a little before a retry: grows with the attempt, jittered so that racing processes
  // spread out, never past `remaining`.
  static void Backoff(int attempt, SteadyClock::duration remaining) {
    thread_local std::minstd_rand rng(static_cast<unsigned>(
        std::hash<std::thread::id>()(std::this_thread::get_id()) ^
        static_cast<std::size_t>(SteadyClock::now().time_since_epoch().count())));
    const int cap_us = 500 << std::min(attempt, 5);  // 0.5 ms .. 16 ms
    const auto delay = std::chrono::microseconds(100 + static_cast<int>(rng() % cap_us));
    std::this_thread::sleep_for(std::min<SteadyClock::duration>(delay, remaining));
  }

  // Creates the database file readable and writable by its owner only (0600, whatever the umask)
  // when it does not exist yet; SQLite then opens it as an empty database and gives the -wal and
  // -shm files it creates the same mode. An existing file keeps its mode.
  Status CreateOwnerOnly() const {
    if (path_ == ":memory:") return Status::Ok();
    const int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      const int err = errno;
      if (err == EEXIST) return Status::Ok();
      return Status(Code::kStorage,
                    fmt::format("sqlite: cannot create {}: {}", path_, std::strerror(err)));
    }
    const int err = fchmod(fd, 0600) != 0 ? errno : 0;
    close(fd);
    if (err != 0) {
      unlink(path_.c_str());
      return Status(Code::kStorage, fmt::format("sqlite: cannot make {} owner-only: {}", path_,
                                                std::strerror(err)));
    }
    return Status::Ok();
  }

  // Opens a connection with custauth's settings. `create`: create the file when missing.
  Result<std::unique_ptr<Connection>> OpenConnection(bool create) {
    auto conn = std::make_unique<Connection>();
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path_.c_str(), conn->db_slot(), flags, nullptr);
    if (rc != SQLITE_OK) {
      const char* why = conn->db() != nullptr ? sqlite3_errmsg(conn->db()) : sqlite3_errstr(rc);
      return Status(Code::kStorage, fmt::format("sqlite: cannot open {}: {}", path_, why));
    }
    sqlite3_extended_result_codes(conn->db(), 1);
    sqlite3_busy_handler(conn->db(), &BusyHandler, conn.get());
    // Per-connection settings. Setting synchronous reads the schema, so it may meet a lock (another
    // process switching the file to WAL or migrating it): it waits within the busy bound too.
    conn->deadline = SteadyClock::now() + busy_timeout_;
    const char* synchronous =
        options_.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    CUSTAUTH_RETURN_IF_ERROR(RetryBusy(*conn, [&] { return conn->Exec(synchronous); }));
    CUSTAUTH_RETURN_IF_ERROR(
        RetryBusy(*conn, [&] { return conn->Exec("PRAGMA foreign_keys = ON"); }));
    // Deleted and rewritten rows are overwritten with zeros, not left in free space: an erased
    // customer (delete_customer) leaves nothing in the file.
    CUSTAUTH_RETURN_IF_ERROR(
        RetryBusy(*conn, [&] { return conn->Exec("PRAGMA secure_delete = ON"); }));
    return conn;
  }

  // What the file's header says about it.
  struct FileIdentity {
    std::int64_t application_id = 0;
    std::int64_t user_version = 0;
    std::int64_t schema_objects = 0;
  };

  // One statement, so one snapshot: read as three statements, a process migrating the file between
  // them could be seen half-done (no application_id yet, tables already there) and the file taken
  // for someone else's.
  static Result<FileIdentity> ReadIdentity(Connection& conn) {
    Stmt st(conn,
            "SELECT (SELECT application_id FROM pragma_application_id),"
            " (SELECT user_version FROM pragma_user_version),"
            " (SELECT count(*) FROM sqlite_schema)");
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return Status(Code::kStorage, "sqlite: reading the file's identity returned nothing");
    }
    FileIdentity id;
    id.application_id = st.ColInt(0);
    id.user_version = st.ColInt(1);
    id.schema_objects = st.ColInt(2);
    return id;
  }

  // OK when the file is custauth's at a version this build reads, or empty.
  Status CheckIdentity(const FileIdentity& id) const {
    if (id.application_id == sqlite_schema::kApplicationId) {
      if (id.user_version > sqlite_schema::kSchemaVersion) {
        return Status(Code::kStorage,
                      fmt::format("database schema version {} is newer than this custauth ({})",
                                  id.user_version, sqlite_schema::kSchemaVersion));
      }
      return Status::Ok();
    }
    if (id.application_id == 0 && id.user_version == 0 && id.schema_objects == 0) {
      return Status::Ok();  // a new, empty database
    }
    return Status(Code::kStorage,
                  fmt::format("{} is not a custauth database (application_id {}, user_version {})",
                              path_, id.application_id, id.user_version));
  }

  // Checks the file before changing anything in it, switches it to WAL, and runs the missing
  // migrations under the write lock.
  Status Bootstrap(Connection& conn) {
    conn.deadline = SteadyClock::now() + busy_timeout_;
    Result<FileIdentity> id = RetryBusy(conn, [&] { return ReadIdentity(conn); });
    if (!id.ok()) return id.status();
    CUSTAUTH_RETURN_IF_ERROR(CheckIdentity(*id));

    Result<std::string> mode = RetryBusy(conn, [&]() -> Result<std::string> {
      Stmt st(conn, "PRAGMA journal_mode = WAL");
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status(Code::kStorage, "sqlite: PRAGMA journal_mode returned nothing");
      return st.ColText(0);
    });
    if (!mode.ok()) return mode.status();
    if (*mode != "wal") {
      return Status(
          Code::kStorage,
          fmt::format("sqlite: cannot use WAL mode on {} (journal_mode is {})", path_, *mode));
    }
    if (id->user_version == sqlite_schema::kSchemaVersion) return Status::Ok();

    return TransactOn(conn, [&](Connection& c) -> Status {
      // Another process may have migrated the file since it was read above.
      Result<FileIdentity> now = ReadIdentity(c);
      if (!now.ok()) return now.status();
      CUSTAUTH_RETURN_IF_ERROR(CheckIdentity(*now));
      for (std::int64_t v = now->user_version; v < sqlite_schema::kSchemaVersion; ++v) {
        CUSTAUTH_RETURN_IF_ERROR(c.Exec(sqlite_schema::kMigrations[v]));
      }
      CUSTAUTH_RETURN_IF_ERROR(
          c.Exec(fmt::format("PRAGMA user_version = {}", sqlite_schema::kSchemaVersion).c_str()));
      return c.Exec(
          fmt::format("PRAGMA application_id = {}", sqlite_schema::kApplicationId).c_str());
    });
  }

  // A write transaction on a connection that is not (yet) in the pool.
  template <class Fn>
  Status TransactOn(Connection& c, Fn&& fn) {
    c.deadline = SteadyClock::now() + busy_timeout_;
    for (int attempt = 0;; ++attempt) {
      c.busy = false;
      Status failure = c.Exec("BEGIN IMMEDIATE");
      if (failure.ok()) {
        failure = fn(c);
        if (failure.ok()) failure = c.Exec("COMMIT");
        if (failure.ok()) return failure;
      }
      const bool retry = c.busy && failure.code() == Code::kStorage;
      if (!c.Rollback() || !retry) return failure;
      const auto now = SteadyClock::now();
      if (now >= c.deadline) {
        return Status(Code::kStorage,
                      fmt::format("sqlite: {} stayed locked by another connection for longer than "
                                  "busy_timeout_ms ({} ms)",
                                  path_, options_.busy_timeout_ms));
      }
      Backoff(attempt, c.deadline - now);
    }
  }

  // Runs fn() (autocommit statements) again while it fails with a busy database, within the
  // connection's deadline.
  template <class Fn>
  auto RetryBusy(Connection& c, Fn&& fn) -> std::invoke_result_t<Fn&> {
    for (int attempt = 0;; ++attempt) {
      c.busy = false;
      auto r = fn();
      if (r.ok() || !c.busy || SteadyClock::now() >= c.deadline) return r;
      Backoff(attempt, c.deadline - SteadyClock::now());
    }
  }

  // --- Helpers that run inside a transaction ---

  // The login operations inside one BEGIN IMMEDIATE transaction (which already holds the lock).
  class Txn final : public internal::LoginTxn {
   public:
    explicit Txn(Connection& conn, RetentionPolicy retention = {})
        : conn_(conn), retention_(retention) {}
    Result<std::optional<Customer>> customer(std::int64_t id) override {
      Stmt st(conn_, kSelectCustomerById);
      st.Int(id);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return std::optional<Customer>();
      return std::optional<Customer>(CustomerFromRow(st));
    }
    Status write_customer(const Customer& c) override { return WriteCustomer(conn_, c); }
    Result<internal::LoginCounter> counter(const std::string& key) override {
      Stmt st(conn_,
              "SELECT failures, expires_at, in_flight, in_flight_expires FROM login_counters "
              "WHERE key = ?1");
      st.Text(key);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      internal::LoginCounter c;
      if (!*row) return c;
      c.failures = static_cast<int>(st.ColInt(0));
      c.expires_at = st.ColInt(1);
      c.in_flight = static_cast<int>(st.ColInt(2));
      c.in_flight_expires = st.ColInt(3);
      return c;
    }
    Status write_counter(const std::string& key, const internal::LoginCounter& c,
                         TimeMs now) override {
      if (c.empty_at(now)) {
        Stmt st(conn_, "DELETE FROM login_counters WHERE key = ?1");
        st.Text(key);
        return st.Run();
      }
      Stmt st(conn_,
              "INSERT INTO login_counters (key, failures, expires_at, in_flight, "
              "in_flight_expires) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET "
              "failures = excluded.failures, expires_at = excluded.expires_at, "
              "in_flight = excluded.in_flight, in_flight_expires = excluded.in_flight_expires");
      st.Text(key).Int(c.failures).Int(c.expires_at).Int(c.in_flight).Int(c.in_flight_expires);
      return st.Run();
    }
    Result<std::optional<SecretRecord>> unused_secret(SecretKind kind, std::int64_t customer_id,
                                                      std::string_view hash) override {
      Stmt st(conn_,
              "SELECT created_at, expires_at, admin_id, reason FROM secrets WHERE "
              "customer_id = ?1 AND kind = ?2 AND hash = ?3 AND used_at IS NULL");
      st.Int(customer_id).Int(static_cast<int>(kind)).Blob(hash);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return std::optional<SecretRecord>();
      SecretRecord r;
      r.kind = kind;
      r.customer_id = customer_id;
      r.hash = std::string(hash);
      r.created_at = st.ColInt(0);
      r.expires_at = st.ColInt(1);
      r.admin_id = st.ColOptInt(2);
      r.reason = st.ColText(3);
      return std::optional<SecretRecord>(std::move(r));
    }
    Status mark_secret_used(SecretKind kind, std::int64_t customer_id, TimeMs at) override {
      Stmt st(conn_, "UPDATE secrets SET used_at = ?1 WHERE customer_id = ?2 AND kind = ?3");
      st.Int(at).Int(customer_id).Int(static_cast<int>(kind));
      return st.Run();
    }
    Status append_audit(std::span<const AuditRecord> records) override {
      return InsertAudit(conn_, records, retention_);
    }

   private:
    Connection& conn_;
    RetentionPolicy retention_;
  };

  static Result<Customer> FindById(Connection& conn, std::int64_t id) {
    Stmt st(conn, kSelectCustomerById);
    st.Int(id);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return NoSuchCustomerId(id);
    return CustomerFromRow(st);
  }

  static Result<std::optional<Customer>> FindByEmail(Connection& conn, std::int64_t website_id,
                                                     std::string_view email) {
    Stmt st(conn, kSelectCustomerByEmailKey);
    st.Int(website_id).Text(EmailKey(email));
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Customer>();
    return std::optional<Customer>(CustomerFromRow(st));
  }

  static Result<bool> CustomerExists(Connection& conn, std::int64_t id) {
    Stmt st(conn, kCustomerIdExists);
    st.Int(id);
    return st.Step();
  }

  // Binds ?1..?17 of kImportCustomer / kImportUpdateCustomer.
  static void BindImported(Stmt& st, const ImportedCustomer& row, const std::string& email_key) {
    const NewCustomer& c = row.customer;
    st.Int(c.id)
        .Int(c.website_id)
        .Text(c.email)
        .Text(email_key)
        .Text(c.firstname)
        .Text(c.lastname)
        .Bool(c.is_subscribed)
        .Bool(c.confirmed)
        .Bool(c.allow_remote_shopping_assistance)
        .Bool(c.is_active)
        .Text(c.password_hash)
        .Int(row.failures_num)
        .OptInt(row.first_failure)
        .OptInt(row.lock_expires)
        .Int(row.created_at)
        .Int(row.updated_at)
        .Int(row.tokens_revoked_at);
  }

  // The id a new customer gets: customer_ids.last_id + 1. REQUIRES: a write transaction.
  static Result<std::int64_t> NextCustomerId(Connection& conn) {
    Stmt st(conn, kLastCustomerId);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status(Code::kStorage, "sqlite: customer_ids has no row");
    if (st.ColInt(0) >= kMaxCustomerId) return NoCustomerIdLeft("sqlite");
    return st.ColInt(0) + 1;
  }

  static Result<Customer> Create(Connection& conn, const NewCustomer& c, TimeMs now) {
    if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
    if (c.id > kMaxCustomerId) return CustomerIdTooLarge(c.id);
    {
      Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
      if (!found.ok()) return found.status();
      if (found->has_value()) return Status(Code::kAlreadyExists, msg::kCustomerExists);
    }
    if (c.id > 0) {
      Result<bool> taken = CustomerExists(conn, c.id);
      if (!taken.ok()) return taken.status();
      if (*taken) {
        return CustomerIdTaken(c.id);
      }
    }
    std::int64_t id = c.id;
    if (id == 0) {
      Result<std::int64_t> next = NextCustomerId(conn);
      if (!next.ok()) return next.status();
      id = *next;
    }
    Stmt st(conn, kInsertCustomer);
    st.Int(id)
        .Int(c.website_id)
        .Text(c.email)
        .Text(EmailKey(c.email))
        .Text(c.firstname)
        .Text(c.lastname)
        .Bool(c.is_subscribed)
        .Bool(c.confirmed)
        .Bool(c.allow_remote_shopping_assistance)
        .Bool(c.is_active)
        .Text(c.password_hash)
        .Int(now);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    Customer stored = c.ToCustomer(id, now);
    return stored;
  }

  static Status WriteCustomer(Connection& conn, const Customer& c) {
    Stmt st(conn, kUpdateCustomer);
    st.Text(c.firstname)
        .Text(c.lastname)
        .Bool(c.is_subscribed)
        .Bool(c.confirmed)
        .Bool(c.allow_remote_shopping_assistance)
        .Bool(c.is_active)
        .Text(c.password_hash)
        .Int(c.failures_num)
        .OptInt(c.first_failure)
        .OptInt(c.lock_expires)
        .Int(c.tokens_revoked_at)
        .Int(c.updated_at)
        .Int(c.id);
    return st.Run();
  }

  static Result<Integration> IntegrationFromRow(const Stmt& st) {
    Integration i;
    i.id = st.ColInt(0);
    i.name = st.ColText(1);
    i.consumer_key = st.ColText(2);
    i.access_token = st.ColText(3);
    i.consumer_secret_sealed = st.ColBlob(4);
    i.token_secret_sealed = st.ColBlob(5);
    Result<std::vector<std::string>> permissions = PermissionsFromJson(st.ColText(6), "sqlite");
    if (!permissions.ok()) return permissions.status();
    i.permissions = std::move(permissions).value();
    i.active = st.ColBool(7);
    i.created_at = st.ColInt(8);
    i.revoked_at = st.ColOptInt(9);
    return i;
  }

  const std::string path_;
  const SqliteOptions options_;
  const std::chrono::milliseconds busy_timeout_;
  Pool pool_;
};

}  // namespace

int SqliteSchemaVersion() noexcept { return sqlite_schema::kSchemaVersion; }

Result<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                   const SqliteOptions& options) {
  if (path.empty()) return Status(Code::kInvalidInput, "The SQLite database path is empty");
  auto storage = std::make_unique<SqliteStorage>(path, options);
  CUSTAUTH_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<Storage>(std::move(storage));
}

namespace internal {

Result<std::string> SqlitePragmaForTesting(Storage& storage, std::string_view name) {
  auto* sqlite = dynamic_cast<SqliteStorage*>(&storage);
  if (sqlite == nullptr) return Status(Code::kInvalidInput, "not a SqliteStorage");
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
      })) {
    return Status(Code::kInvalidInput, "not a pragma name");
  }
  return sqlite->PragmaText(fmt::format("PRAGMA {}", name));
}

}  // namespace internal

}  // namespace custauth
