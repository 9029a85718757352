// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage: Storage over libpq. The class is declared here and defined by open.cpp
// (opening, migrations), transact.cpp (transactions, retries, resolving lost replies) and the
// operation files: customers.cpp, import.cpp, logins_and_secrets.cpp, tokens_and_audit.cpp.
// Connections and statements: connection.h.
//
// Transactions. Each Storage method is one of:
// - Tx::kRead: one autocommit statement that only reads;
// - Tx::kStatement: one autocommit statement that writes, atomic by itself (consume_secret's
//   UPDATE ... RETURNING, insert_nonce's INSERT ... ON CONFLICT, put_secret's upsert, ...);
// - Tx::kTransaction: BEGIN ISOLATION LEVEL READ COMMITTED ... COMMIT, for read-modify-write
//   sequences, which lock the rows they change first (SELECT ... FOR NO KEY UPDATE, or the row
//   lock of customer_ids / rate_buckets) so that concurrent callers on any server queue up
//   instead of losing updates.
// Any failure rolls the transaction back, so a failed call changes nothing.
//
// Retries. A serialization failure (40001) or deadlock (40P01) rolls back the whole statement or
// transaction, which is then run again, with a short jittered backoff, up to max_retries times;
// one that met a stale prepared statement is run again at once, up to pool_size + 1 times.
// A call whose connection turns out to be broken is run once more on a fresh connection when
// nothing can have been applied: a read, or a transaction whose BEGIN failed.
#ifndef CUSTAUTH_SRC_POSTGRES_STORAGE_H_
#define CUSTAUTH_SRC_POSTGRES_STORAGE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "custauth/postgres_storage.h"
#include "postgres/connection.h"
#include "postgres/postgres_internal.h"

namespace custauth::postgres_backend {

// ---------------------------------------------------------------------------------------------
// SQL

#define CUSTAUTH_PG_CUSTOMER_COLUMNS                                                          \
  "id, website_id, email, firstname, lastname, is_subscribed, confirmed, "                    \
  "allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure, " \
  "lock_expires, tokens_revoked_at, created_at, updated_at"

inline constexpr const char* kSelectCustomerById =
    "SELECT " CUSTAUTH_PG_CUSTOMER_COLUMNS " FROM customers WHERE id = $1";

// Locks the row for the rest of the transaction. NO KEY UPDATE, not UPDATE: the key columns never
// change, so concurrent inserts of secrets for this customer (whose foreign key check takes a KEY
// SHARE lock) need not wait, and cannot deadlock with update_customer voiding a secret.
inline constexpr const char* kLockCustomerById =
    "SELECT " CUSTAUTH_PG_CUSTOMER_COLUMNS " FROM customers WHERE id = $1 FOR NO KEY UPDATE";

inline constexpr const char* kSelectCustomerByEmailKey =
    "SELECT " CUSTAUTH_PG_CUSTOMER_COLUMNS
    " FROM customers WHERE website_id = $1 AND email_key = $2";

#undef CUSTAUTH_PG_CUSTOMER_COLUMNS

// Serializes the creation of customers (see schema.h on ids).
inline constexpr const char* kLockCustomerIds =
    "SELECT 1 FROM customer_ids WHERE id = 1 FOR UPDATE";

// Inserts unless the id or the email on the website is taken; returns the id when it inserted,
// 0 when no id is left to assign. Run while holding kLockCustomerIds: customer_ids.last_id + 1 is
// free, no racing creator interleaves, and last_id moves past the id inserted.
#define CUSTAUTH_PG_MAX_CUSTOMER_ID "9007199254740991"
inline constexpr const char* kInsertCustomer =
    "WITH next AS (SELECT COALESCE($1, last_id + 1) AS id FROM customer_ids WHERE id = 1), "
    "ins AS (INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "created_at, updated_at) "
    "SELECT next.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12 FROM next "
    "WHERE next.id <= " CUSTAUTH_PG_MAX_CUSTOMER_ID
    " ON CONFLICT DO NOTHING RETURNING id), "
    "bump AS (UPDATE customer_ids SET last_id = greatest(last_id, (SELECT id FROM ins)) "
    "WHERE id = 1) "
    "SELECT id FROM ins UNION ALL "
    "SELECT 0 FROM next WHERE next.id > " CUSTAUTH_PG_MAX_CUSTOMER_ID;
#undef CUSTAUTH_PG_MAX_CUSTOMER_ID

// Imports a batch given as parallel arrays ($1..$17, one element per row): inserts every row
// whose id and email are free, returns the rows it inserted (id, website_id, email_key). Run while
// holding kLockCustomerIds; the caller moves customer_ids.last_id past them.
inline constexpr const char* kImportCustomers =
    "INSERT INTO customers (id, website_id, email, email_key, firstname, lastname, "
    "is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash, "
    "failures_num, first_failure, lock_expires, created_at, updated_at, tokens_revoked_at) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::boolean[], $8::boolean[], $9::boolean[], $10::boolean[], $11::text[], "
    "$12::integer[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[]) "
    "ON CONFLICT DO NOTHING RETURNING id, website_id, email_key";

// The last id assigned or stored, locking the counter for the transaction.
inline constexpr const char* kLockLastCustomerId =
    "SELECT last_id FROM customer_ids WHERE id = 1 FOR UPDATE";
inline constexpr const char* kSetLastCustomerId =
    "UPDATE customer_ids SET last_id = $1 WHERE id = 1 AND last_id < $1";

inline constexpr const char* kImportUpdateCustomer =
    "UPDATE customers SET website_id = $2, email = $3, email_key = $4, firstname = $5, "
    "lastname = $6, is_subscribed = $7, confirmed = $8, allow_remote_shopping_assistance = $9, "
    "is_active = $10, password_hash = $11, failures_num = $12, first_failure = $13, "
    "lock_expires = $14, created_at = $15, updated_at = $16, "
    "tokens_revoked_at = GREATEST(tokens_revoked_at, $17) WHERE id = $1 AND NOT EXISTS "
    "(SELECT 1 FROM customers o WHERE o.website_id = $2 AND o.email_key = $4 AND o.id <> $1)";

inline constexpr const char* kCustomerIdExists = "SELECT 1 FROM customers WHERE id = $1";

inline constexpr const char* kUpdateCustomer =
    "UPDATE customers SET firstname = $1, lastname = $2, is_subscribed = $3, confirmed = $4, "
    "allow_remote_shopping_assistance = $5, is_active = $6, password_hash = $7, "
    "failures_num = $8, first_failure = $9, lock_expires = $10, tokens_revoked_at = $11, "
    "updated_at = $12 WHERE id = $13";

inline constexpr const char* kBumpEpoch =
    "UPDATE revocation_epoch SET epoch = epoch + 1 WHERE id = 1";

inline constexpr const char* kVoidSecret =
    "DELETE FROM secrets WHERE customer_id = $1 AND kind = $2 AND used_at IS NULL";

// The customer of row `row` of a statement selecting the columns of kSelectCustomerById.
Customer CustomerFromRow(const Rows& rows, int row);

// ---------------------------------------------------------------------------------------------

enum class Tx {
  kRead,         // one autocommit statement that only reads
  kStatement,    // one autocommit statement that writes
  kTransaction,  // BEGIN ISOLATION LEVEL READ COMMITTED ... COMMIT
};

// Audit records written by the write they record (storage_records.h, "Audit in the write"): one
// statement inserts up to kAuditRowsPerStatement records and removes expired ones as append_audit
// does, after `head` (other CTEs of the same statement, each ending with ", "; "" for none).
// Parameters from $first: at, event, customer_id, admin_id, actor, reason, client_ip, detail per
// record, then the audit cut-off and the prune limit. The texts are built once per (head, n) and
// kept: prepared statements are keyed by their text.
inline constexpr std::size_t kAuditRowsPerStatement = 4;

std::string BuildAuditInsert(std::string_view head, int first, std::size_t n);

// Adds the parameters of BuildAuditInsert's statement: each record's, then the cut-off and the
// prune limit of `policy`.
void AddAuditParams(Params& params, std::span<const AuditRecord> records,
                    const RetentionPolicy& policy);

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::string uri, const PostgresOptions& options)
      : uri_(std::move(uri)),
        options_(options),
        pool_(options.pool_size, [this] { return OpenConnection(); }) {}

  Status Init();

  std::string describe() const override { return describe_; }

  internal::PostgresCounters counters() const;

  // Runs `sql` on each idle connection (for tests): the first column of the first row of each.
  Result<std::vector<std::string>> ExecOnIdleConnections(const std::string& sql);

  // The Storage operations (storage_internal.h), defined in customers.cpp, import.cpp,
  // logins_and_secrets.cpp and tokens_and_audit.cpp.
  //
  // Login attempts: each one transaction (storage_internal.h). The customer's row lock, then a
  // transaction-scoped advisory lock per counter key, serialize them across servers.
  //
  // prune: each table in batches of kPruneBatch rows, one statement per batch.
  CUSTAUTH_SQL_STORAGE_OPERATIONS

  void set_retention(const RetentionPolicy& policy) override { retention_.set(policy); }

  // Inside a transaction: inserts the records, kAuditRowsPerStatement per statement (one round
  // trip for the records of any one custauth operation).
  static Status InsertAudit(Connection& conn, std::span<const AuditRecord> records,
                            const RetentionPolicy& policy);

 private:
  // --- Retention (the per-write pruning; RetentionPolicy) ---

  // Removes up to `limit` expired rate-limit buckets, each with its events, in one statement;
  // returns (buckets, events) removed. Buckets another transaction holds are skipped.
  static Result<std::pair<std::int64_t, std::int64_t>> PruneBuckets(Connection& conn, TimeMs now,
                                                                    int limit);

  internal::RetentionHolder retention_;

  // --- Transactions (transact.cpp) ---

  // on a fresh connection when the connection broke before anything could apply (up to
  // pool_size + 1 times), and at once (up to pool_size + 1 times) when a prepared statement had
  // gone stale on the server: each run is the whole of fn from BEGIN, never one statement inside a
  // transaction the failure aborted.
  //
  // A connection that breaks once the write may have reached the server leaves the outcome
  // unknown: the COMMIT of a transaction, or the statement of a Tx::kStatement call that takes
  // `decode` (a marked statement: it writes the connection's marker() into custauth_call_outcomes
  // with its result, see consume_secret; a result only when it changed something). Such a call is
  // resolved on another connection (Resolve): when the marker is there the call committed, and
  // answers with fn's result (a transaction) or decode(the stored result) (a marked statement
  // that changed something); otherwise (Resolve has fenced the marker, so the lost call can never
  // commit; or the statement changed nothing) the call runs again.
  template <class Fn, class R = std::invoke_result_t<Fn&, Connection&>>
  R Transact(Tx tx, Fn&& fn,
             const std::function<std::type_identity_t<R>(const std::string&)>& decode = {}) {
    // The result of the run (or of decode) that answers the call, kept while RunCall decides.
    std::optional<R> kept;
    const auto keep = [&kept](R r) {
      Status status = StatusOf(r);
      kept.emplace(std::move(r));
      return status;
    };
    std::function<Status(const std::string&)> decode_kept;
    if (decode) decode_kept = [&](const std::string& stored) { return keep(decode(stored)); };
    const Status answer = RunCall(
        tx, [&](Connection& conn) { return keep(fn(conn)); }, decode_kept);
    if (!answer.ok()) return answer;
    return std::move(*kept);
  }

  // What one run of a call left behind, once its connection is back in the pool or discarded.
  struct Attempt;

  // Transact's body, apart from the result's type: run(connection) runs fn and keeps its result,
  // decode(stored) decodes a marked statement's stored result into the kept one (empty: the call
  // is no marked statement); both return the Status of what they kept. OK when the kept result
  // answers the call; otherwise the failure that does.
  Status RunCall(Tx tx, const std::function<Status(Connection&)>& run,
                 const std::function<Status(const std::string&)>& decode);

  // Runs the call once on a pooled connection: BEGIN (a transaction), run, COMMIT with the
  // call's marker; then gives the connection back to the pool, or discards it when broken.
  // A failure only when no connection could be had.
  Result<Attempt> RunOnce(Tx tx, bool marked_statement,
                          const std::function<Status(Connection&)>& run);

  // After a run whose connection broke: the call's answer when it is known (OK: the kept result,
  // of a transaction that committed; decode's Status; or the failure), nullopt when nothing can
  // have been applied and the call may run again on a fresh connection.
  std::optional<Status> SettleBroken(const Attempt& attempt, Tx tx, bool marked_statement,
                                     const std::function<Status(const std::string&)>& decode);

  // Learns, on another connection, whether the call that wrote `marker` committed: its stored
  // result (nullopt inside when it stored none) when it did; nullopt when it did not, and never
  // will. The fence: inserting the marker here either finds it committed (after waiting for the
  // lost call's transaction, should it still run on the server), or takes it first, and then the
  // lost call's own insert of the marker fails and rolls it back. Tries for connect_timeout_ms
  // at least 2 s (the server may be restarting); kStorage, saying the outcome is unknown, when
  // it cannot learn it.
  Result<std::optional<std::optional<std::string>>> Resolve(const std::string& marker);

  // Every 1024th call that committed a marker deletes the markers older than an hour: none is
  // looked up after the call that wrote it has returned.
  void MaybePruneOutcomes();

  // Sleeps a little before a retry: grows with the attempt, jittered so that racing servers
  // spread out.
  static void Backoff(int attempt);

  // --- Opening (open.cpp) ---

  // Opens a connection with custauth's settings.
  Result<std::unique_ptr<Connection>> OpenConnection();

  // The schema version of the database; -1 when it has no custauth_schema table.
  static Result<int> ReadVersion(Connection& conn);

  // OK when this custauth reads the schema `version` (-1: none yet, when it may create it).
  Status CheckVersion(int version) const;

  // Checks the schema version and runs the missing migrations under the advisory lock.
  Status Bootstrap();

  // Takes the migration lock for the session (waiting as long as another server migrates), then
  // migrates in one transaction. The lock is a session lock taken BEFORE the transaction begins,
  // not a transaction lock: a transaction that began before another server's migration committed
  // could still see the catalog as it was (to_regclass does not re-read it).
  Status Migrate(Connection& c);

  // --- Helpers that run inside a transaction ---

  // The customer of `id`, read with `sql` (kSelectCustomerById, or kLockCustomerById to lock it).
  static Result<Customer> FindById(Connection& conn, const char* sql, std::int64_t id);

  static Result<std::optional<Customer>> FindByEmail(Connection& conn, std::int64_t website_id,
                                                     std::string_view email);

  // Inserts `c` unless its id or email is taken (then nullopt). REQUIRES: kLockCustomerIds held.
  static Result<std::optional<Customer>> Insert(Connection& conn, const NewCustomer& c, TimeMs now);

  // The login operations inside one transaction: the customer's row lock, and an advisory lock
  // per counter key (a counter row may not exist yet, or be deleted by the holder).
  class Txn;

  static Status WriteCustomer(Connection& conn, const Customer& c);

  static Result<Integration> IntegrationFromRow(const Rows& rows, int row);

  const std::string uri_;
  const PostgresOptions options_;
  std::string describe_;  // set once by Init, before any other thread sees this
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> stale_reruns_{0};
  std::atomic<std::uint64_t> resolutions_{0};
  std::atomic<std::uint64_t> broken_reruns_{0};
  std::atomic<std::uint64_t> marked_calls_{0};
  StatementCounters statements_;
  Pool pool_;
};

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_SRC_POSTGRES_STORAGE_H_
