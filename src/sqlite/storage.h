// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage: Storage over the SQLite C API. The class is declared here and defined by
// connection.cpp (opening, migrations, transactions) and the operation files: customers.cpp,
// logins_and_secrets.cpp, tokens_and_audit.cpp.
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
#ifndef CUSTAUTH_SRC_SQLITE_STORAGE_H_
#define CUSTAUTH_SRC_SQLITE_STORAGE_H_

#include "custauth/sqlite_storage.h"
#include "sqlite/connection.h"

namespace custauth::sqlite_backend {

// ---------------------------------------------------------------------------------------------
// SQL

inline constexpr std::string_view kSelectCustomerById =
    "SELECT id, website_id, email, firstname, lastname, is_subscribed, confirmed, "
    "allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure, "
    "lock_expires, tokens_revoked_at, created_at, updated_at FROM customers WHERE id = ?1";

inline constexpr std::string_view kSelectCustomerByEmailKey =
    "SELECT id, website_id, email, firstname, lastname, is_subscribed, confirmed, "
    "allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure, "
    "lock_expires, tokens_revoked_at, created_at, updated_at FROM customers "
    "WHERE website_id = ?1 AND email_key = ?2";

inline constexpr std::string_view kInsertCustomer =
    "INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";

inline constexpr std::string_view kCustomerIdExists = "SELECT 1 FROM customers WHERE id = ?1";

inline constexpr std::string_view kUpdateCustomer =
    "UPDATE customers SET firstname = ?1, lastname = ?2, is_subscribed = ?3, confirmed = ?4, "
    "allow_remote_shopping_assistance = ?5, is_active = ?6, password_hash = ?7, "
    "failures_num = ?8, first_failure = ?9, lock_expires = ?10, tokens_revoked_at = ?11, "
    "updated_at = ?12 WHERE id = ?13";

inline constexpr std::string_view kImportCustomer =
    "INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "failures_num, first_failure, lock_expires, created_at, updated_at, tokens_revoked_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT DO NOTHING";

inline constexpr std::string_view kImportUpdateCustomer =
    "UPDATE customers SET website_id = ?2, email = ?3, email_key = ?4, firstname = ?5, "
    "lastname = ?6, is_subscribed = ?7, confirmed = ?8, allow_remote_shopping_assistance = ?9, "
    "is_active = ?10, password_hash = ?11, failures_num = ?12, first_failure = ?13, "
    "lock_expires = ?14, created_at = ?15, updated_at = ?16, "
    "tokens_revoked_at = max(tokens_revoked_at, ?17) WHERE id = ?1";

// The last customer id assigned or stored (schema.h).
inline constexpr std::string_view kLastCustomerId = "SELECT last_id FROM customer_ids WHERE id = 1";

inline constexpr std::string_view kSelectIdByEmailKey =
    "SELECT id FROM customers WHERE website_id = ?1 AND email_key = ?2";

inline constexpr std::string_view kBumpEpoch =
    "UPDATE revocation_epoch SET epoch = epoch + 1 WHERE id = 1";

inline constexpr std::string_view kVoidSecret =
    "DELETE FROM secrets WHERE customer_id = ?1 AND kind = ?2 AND used_at IS NULL";

// The customer of the current row of a statement selecting the columns of kSelectCustomerById.
Customer CustomerFromRow(const Stmt& st);

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
  Status Init();

  std::string describe() const override;

  // Runs `sql` (a pragma) on a pooled connection; for tests.
  Result<std::string> PragmaText(const std::string& sql);

  // The Storage operations (storage_internal.h), defined in customers.cpp,
  // logins_and_secrets.cpp and tokens_and_audit.cpp.
  //
  // delete_customer runs in one transaction, then checkpoints the write-ahead log into the
  // database and truncates it, so that the erased bytes (zeroed in the database by secure_delete,
  // see OpenConnection) leave the log too. The checkpoint is best effort: a connection reading at
  // that moment keeps the log, which a later checkpoint empties.
  //
  // Login attempts: each one BEGIN IMMEDIATE transaction (storage_internal.h). The attempts in
  // flight (admit_login_attempt, release_login_attempt) are volatile writes
  // (Tx::kWriteVolatile); the failures and sign-ins that settle them wait for the disk.
  //
  // prune: each table in batches of kPruneBatch rows, one write transaction per batch.
  CUSTAUTH_SQL_STORAGE_OPERATIONS

  void set_retention(const RetentionPolicy& policy) override;

  // Inside a write: inserts `r`, removes up to policy.per_write expired records, and returns r's
  // id.
  static Result<std::int64_t> InsertAudit(Connection& conn, const AuditRecord& r,
                                          const RetentionPolicy& policy);
  static Status InsertAudit(Connection& conn, std::span<const AuditRecord> records,
                            const RetentionPolicy& policy);

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
  static constexpr std::string_view kPruneSessions =
      "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
      "WHERE ends_at <= ?1 ORDER BY ends_at LIMIT ?2)";
  static constexpr std::string_view kPruneAudit =
      "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at <= ?1 ORDER BY at LIMIT ?2)";

  // Runs one of the statements above; returns how many rows went.
  static Result<std::int64_t> PruneSome(Connection& conn, std::string_view sql, TimeMs cutoff,
                                        int limit);

  // Removes up to `limit` expired rate-limit buckets, each with its events.
  static Status PruneBuckets(Connection& conn, TimeMs now, int limit, PruneCounts* counts);

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
  static void Backoff(int attempt, SteadyClock::duration remaining);

  // Creates the database file readable and writable by its owner only (0600, whatever the umask)
  // when it does not exist yet; SQLite then opens it as an empty database and gives the -wal and
  // -shm files it creates the same mode. An existing file keeps its mode.
  Status CreateOwnerOnly() const;

  // Opens a connection with custauth's settings. `create`: create the file when missing.
  Result<std::unique_ptr<Connection>> OpenConnection(bool create);

  // What the file's header says about it.
  struct FileIdentity {
    std::int64_t application_id = 0;
    std::int64_t user_version = 0;
    std::int64_t schema_objects = 0;
  };

  // One statement, so one snapshot: read as three statements, a process migrating the file between
  // them could be seen half-done (no application_id yet, tables already there) and the file taken
  // for someone else's.
  static Result<FileIdentity> ReadIdentity(Connection& conn);

  // OK when the file is custauth's at a version this build reads, or empty.
  Status CheckIdentity(const FileIdentity& id) const;

  // Checks the file before changing anything in it, switches it to WAL, and runs the missing
  // migrations under the write lock.
  Status Bootstrap(Connection& conn);

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

  // The login operations inside one BEGIN IMMEDIATE transaction (logins_and_secrets.cpp).
  class Txn;

  static Result<Customer> FindById(Connection& conn, std::int64_t id);

  static Result<std::optional<Customer>> FindByEmail(Connection& conn, std::int64_t website_id,
                                                     std::string_view email);

  static Result<bool> CustomerExists(Connection& conn, std::int64_t id);

  // Binds ?1..?17 of kImportCustomer / kImportUpdateCustomer.
  static void BindImported(Stmt& st, const ImportedCustomer& row, const std::string& email_key);

  // The id a new customer gets: customer_ids.last_id + 1. REQUIRES: a write transaction.
  static Result<std::int64_t> NextCustomerId(Connection& conn);

  static Result<Customer> Create(Connection& conn, const NewCustomer& c, TimeMs now);

  static Status WriteCustomer(Connection& conn, const Customer& c);

  static Result<Integration> IntegrationFromRow(const Stmt& st);

  const std::string path_;
  const SqliteOptions options_;
  const std::chrono::milliseconds busy_timeout_;
  Pool pool_;
};

}  // namespace custauth::sqlite_backend

#endif  // CUSTAUTH_SRC_SQLITE_STORAGE_H_
