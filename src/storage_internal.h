// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What the storage backends (memory, SQLite, PostgreSQL) share: their refusals, in the platform's
// words, the stored form of an integration's permissions, how they read and bind records, the
// decisions they make alike (a customer patch, the login attempts, rate buckets, pruning), and
// the SQL backends' connection pool and declarations. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_STORAGE_INTERNAL_H_
#define CUSTAUTH_SRC_STORAGE_INTERNAL_H_

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"

namespace custauth::internal {

// kNotFound: "No such entity with email = x" (msg::kCustomerNotFound).
Status NoSuchEmail(std::string_view email);
// kNotFound: "No such entity with customerId = N".
Status NoSuchCustomerId(std::int64_t id);
// kLocked: "The account is locked." (an update refused by CustomerPatch::refuse_when_locked).
Status LockedCustomer();
// kNotFound: "No such entity with consumerKey = K".
Status NoSuchIntegration(std::string_view consumer_key);
// kAlreadyExists: "A customer with customerId = N already exists".
Status CustomerIdTaken(std::int64_t id);
// The largest customer id: 2^53 - 1, the largest integer a JSON number (an IEEE double) holds
// exactly. Larger explicit ids are refused; assigned ids never pass it, and are never reused.
inline constexpr std::int64_t kMaxCustomerId = (std::int64_t{1} << 53) - 1;
// kInvalidInput: an explicit customer id above kMaxCustomerId.
Status CustomerIdTooLarge(std::int64_t id);
// kStorage: every id up to kMaxCustomerId was assigned or taken; `backend` as in messages.
Status NoCustomerIdLeft(std::string_view backend);
// kRateLimited, what take_rate_slots refuses with.
Status RateLimited();

// Permissions as an integration stores them: sorted, without duplicates.
std::vector<std::string> SortedUnique(std::vector<std::string> v);
// The stored text of permissions (a JSON array of SortedUnique(permissions)), and back;
// kStorage, naming `backend` ("sqlite", "postgresql"), when the stored text is not such an array.
std::string PermissionsToJson(const std::vector<std::string>& permissions);
Result<std::vector<std::string>> PermissionsFromJson(const std::string& text,
                                                     std::string_view backend);

// The Status of a Status or of a Result.
inline Status StatusOf(const Status& s) { return s; }
template <class T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// --- Rows and records, as every backend reads and writes them ---
//
// `row` below is one row of a backend's result, read by column: Int(k), OptInt(k), Bool(k) and
// Text(k) of column k (from 0). `out` is a statement's parameters, bound left to right: Int(v),
// OptInt(v), Bool(v), Text(v) and Bytes(v), each returning `out`.

// Reads column `col` of `row` into `v`, by v's type.
template <class Row>
void ReadColumn(const Row& row, int col, std::int64_t& v) {
  v = row.Int(col);
}
template <class Row>
void ReadColumn(const Row& row, int col, int& v) {
  v = static_cast<int>(row.Int(col));
}
template <class Row>
void ReadColumn(const Row& row, int col, std::optional<std::int64_t>& v) {
  v = row.OptInt(col);
}
template <class Row>
void ReadColumn(const Row& row, int col, bool& v) {
  v = row.Bool(col);
}
template <class Row>
void ReadColumn(const Row& row, int col, std::string& v) {
  v = row.Text(col);
}

// Reads the columns first, first + 1, ... of `row` into the fields of `r` that `fields` name (as
// &Record::field), in order.
template <class Row, class Record, class... Fields>
void ReadColumns(const Row& row, int first, Record& r, Fields... fields) {
  int col = first;
  (ReadColumn(row, col++, r.*fields), ...);
}

// Binds `v` as the next parameter of `out`, by v's type.
template <class Out>
void BindValue(Out& out, const std::int64_t& v) {
  out.Int(v);
}
template <class Out>
void BindValue(Out& out, const int& v) {
  out.Int(v);
}
template <class Out>
void BindValue(Out& out, const std::optional<std::int64_t>& v) {
  out.OptInt(v);
}
template <class Out>
void BindValue(Out& out, const bool& v) {
  out.Bool(v);
}
template <class Out>
void BindValue(Out& out, const std::string& v) {
  out.Text(v);
}

// Binds the fields of `r` that `fields` name (as &Record::field), in order.
template <class Out, class Record, class... Fields>
void BindValues(Out& out, const Record& r, Fields... fields) {
  (BindValue(out, r.*fields), ...);
}

// The customer of a row whose columns are id, website_id, email, firstname, lastname,
// is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash,
// failures_num, first_failure, lock_expires, tokens_revoked_at, created_at, updated_at.
template <class Row>
Customer CustomerFromColumns(const Row& row) {
  Customer c;
  ReadColumns(row, 0, c, &Customer::id, &Customer::website_id, &Customer::email,
              &Customer::firstname, &Customer::lastname, &Customer::is_subscribed,
              &Customer::confirmed, &Customer::allow_remote_shopping_assistance,
              &Customer::is_active, &Customer::password_hash, &Customer::failures_num,
              &Customer::first_failure, &Customer::lock_expires, &Customer::tokens_revoked_at,
              &Customer::created_at, &Customer::updated_at);
  return c;
}

// The audit record of a row whose columns are id, at, event, customer_id, admin_id, actor, reason,
// client_ip, detail.
template <class Row>
AuditRecord AuditRecordFromColumns(const Row& row) {
  AuditRecord r;
  ReadColumns(row, 0, r, &AuditRecord::id, &AuditRecord::at, &AuditRecord::event,
              &AuditRecord::customer_id, &AuditRecord::admin_id, &AuditRecord::actor,
              &AuditRecord::reason, &AuditRecord::client_ip, &AuditRecord::detail);
  return r;
}

// The unused secret of `kind` with `hash` of `customer_id` whose created_at, expires_at,
// admin_id and reason are the columns `first`, first + 1, ... of `row`.
template <class Row>
SecretRecord SecretFromColumns(const Row& row, int first, SecretKind kind, std::int64_t customer_id,
                               std::string_view hash) {
  SecretRecord r;
  r.kind = kind;
  r.customer_id = customer_id;
  r.hash = std::string(hash);
  ReadColumns(row, first, r, &SecretRecord::created_at, &SecretRecord::expires_at,
              &SecretRecord::admin_id, &SecretRecord::reason);
  return r;
}

// The session of a row whose columns are id, customer_id, created_at, renewed_at, expires_at,
// revoked_at, client_ip, user_agent, method.
template <class Row>
SessionRecord SessionFromColumns(const Row& row) {
  SessionRecord s;
  ReadColumns(row, 0, s, &SessionRecord::id, &SessionRecord::customer_id,
              &SessionRecord::created_at, &SessionRecord::renewed_at, &SessionRecord::expires_at,
              &SessionRecord::revoked_at, &SessionRecord::client_ip, &SessionRecord::user_agent,
              &SessionRecord::method);
  return s;
}

// The values of an audit record: at, event, customer_id, admin_id, actor, reason, client_ip,
// detail.
template <class Out>
void AuditRecordValues(Out& out, const AuditRecord& r) {
  BindValues(out, r, &AuditRecord::at, &AuditRecord::event, &AuditRecord::customer_id,
             &AuditRecord::admin_id, &AuditRecord::actor, &AuditRecord::reason,
             &AuditRecord::client_ip, &AuditRecord::detail);
}

// The values of a secret as put_secret stores it: customer_id, kind, hash (bytes), created_at,
// expires_at, admin_id, reason.
template <class Out>
void SecretValues(Out& out, const SecretRecord& s) {
  out.Int(s.customer_id).Int(static_cast<int>(s.kind)).Bytes(s.hash);
  BindValues(out, s, &SecretRecord::created_at, &SecretRecord::expires_at, &SecretRecord::admin_id,
             &SecretRecord::reason);
}

// The values of an integration as create_integration stores it: name, consumer_key,
// access_token, consumer_secret_sealed and token_secret_sealed (bytes), permissions
// (PermissionsToJson), active, created_at, revoked_at.
template <class Out>
void IntegrationValues(Out& out, const Integration& i) {
  BindValues(out, i, &Integration::name, &Integration::consumer_key, &Integration::access_token);
  out.Bytes(i.consumer_secret_sealed)
      .Bytes(i.token_secret_sealed)
      .Text(PermissionsToJson(i.permissions));
  BindValues(out, i, &Integration::active, &Integration::created_at, &Integration::revoked_at);
}

// The values a new customer's row is given: website_id, email, email_key (EmailKey(c.email)),
// firstname, lastname, is_subscribed, confirmed, allow_remote_shopping_assistance, is_active,
// password_hash.
template <class Out>
void NewCustomerValues(Out& out, const NewCustomer& c, const std::string& email_key) {
  BindValues(out, c, &NewCustomer::website_id, &NewCustomer::email);
  out.Text(email_key);
  BindValues(out, c, &NewCustomer::firstname, &NewCustomer::lastname, &NewCustomer::is_subscribed,
             &NewCustomer::confirmed, &NewCustomer::allow_remote_shopping_assistance,
             &NewCustomer::is_active, &NewCustomer::password_hash);
}

// The 17 values of an imported row: id, then NewCustomerValues, then failures_num, first_failure,
// lock_expires, created_at, updated_at, tokens_revoked_at.
template <class Out>
void ImportedCustomerValues(Out& out, const ImportedCustomer& row, const std::string& email_key) {
  out.Int(row.customer.id);
  NewCustomerValues(out, row.customer, email_key);
  BindValues(out, row, &ImportedCustomer::failures_num, &ImportedCustomer::first_failure,
             &ImportedCustomer::lock_expires, &ImportedCustomer::created_at,
             &ImportedCustomer::updated_at, &ImportedCustomer::tokens_revoked_at);
}

// The values that update_customer writes: firstname, lastname, is_subscribed, confirmed,
// allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure,
// lock_expires, tokens_revoked_at, updated_at, then the id of the row.
template <class Out>
void CustomerUpdateValues(Out& out, const Customer& c) {
  BindValues(out, c, &Customer::firstname, &Customer::lastname, &Customer::is_subscribed,
             &Customer::confirmed, &Customer::allow_remote_shopping_assistance,
             &Customer::is_active, &Customer::password_hash, &Customer::failures_num,
             &Customer::first_failure, &Customer::lock_expires, &Customer::tokens_revoked_at,
             &Customer::updated_at, &Customer::id);
}

// --- Operations every backend decides alike ---

// update_customer on the stored customer `c`, inside the backend's write: refuses (kConflict,
// kLocked) before changing anything, then applies `patch` and sets updated_at. The writes beyond
// the customer's row go through the backend: void_admin_otc() voids the customer's unused admin
// one-time code (consent withdrawn), bump_epoch() bumps the revocation epoch (tokens revoked);
// their first failure is returned. The revocation clock is read here, inside the write.
Status ApplyCustomerPatch(Customer& c, const CustomerPatch& patch, TimeMs now,
                          const std::function<Status()>& void_admin_otc,
                          const std::function<Status()>& bump_epoch);

// find_customer_by_email's answer from a backend's lookup by email: the customer, or NoSuchEmail.
Result<Customer> CustomerFoundByEmail(Result<std::optional<Customer>> found,
                                      std::string_view email);

// A bucket that take_rate_slots records one event in (however many of the rules name it): the
// widest window of those rules, and until when the bucket is kept (retention).
struct RateBucketTake {
  TimeMs window = 0;
  TimeMs keep_until = 0;
};
// The buckets the rules name, in sorted order (the order backends lock them in).
std::map<std::string_view, RateBucketTake> RateBucketTakes(std::span<const RateRule> rules,
                                                           TimeMs now);

// The tables a full prune goes through after the rate-limit buckets, in this order.
enum class PruneTable { kNonces, kExpiredSecrets, kUsedSecrets, kOpaqueTokens, kSessions, kAudit };
// Prunes each of them at the cut-offs of `policy` at `now` (AuditCutoff, GraceCutoff; nonces at
// `now`), in batches: batch(table, cutoff) removes up to kPruneBatch rows of `table` whose time is
// at or before `cutoff`, in one transaction, and returns how many went. Adds them up in `counts`;
// the first failure ends it.
Status PruneTables(TimeMs now, const RetentionPolicy& policy, PruneCounts* counts,
                   const std::function<Result<std::int64_t>(PruneTable, TimeMs)>& batch);

// --- Login attempts (storage.h, "decided at the write") ---
//
// Each backend keeps a table of login counters by key (AccountCounterKey, ThrottleCounterKey) and
// implements LoginTxn over ONE of its transactions; the rules themselves are the functions below,
// the same for every backend. A LoginTxn locks what it reads for the rest of its transaction
// (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks, the customer's first; memory: the mutex).

struct LoginCounter {
  int failures = 0;  // the throttle's failures, counted while now < expires_at
  TimeMs expires_at = 0;
  int in_flight = 0;  // attempts taken and not settled, counted while now < in_flight_expires
  TimeMs in_flight_expires = 0;

  int live_failures(TimeMs now) const { return expires_at > now ? failures : 0; }
  int live_in_flight(TimeMs now) const { return in_flight_expires > now ? in_flight : 0; }
  // Nothing left that counts: the backend may delete the row.
  bool empty_at(TimeMs now) const { return live_failures(now) == 0 && live_in_flight(now) == 0; }
};

// "account:<id>" (attempts in flight on a customer; its failures live on the customer) and
// "throttle:<website>:<email_key>" (ends with ":" + the EmailKey, as RateBucketNamesErased reads).
std::string AccountCounterKey(std::int64_t customer_id);
std::string ThrottleCounterKey(std::int64_t website_id, std::string_view email_key);

class LoginTxn {
 public:
  virtual ~LoginTxn() = default;
  // The customer, locked for the rest of the transaction; nullopt when there is none.
  virtual Result<std::optional<Customer>> customer(std::int64_t id) = 0;
  // Writes every field of `c` (as update_customer does).
  virtual Status write_customer(const Customer& c) = 0;
  // The counter under `key` (a zero one when there is none), locked for the transaction.
  virtual Result<LoginCounter> counter(const std::string& key) = 0;
  // Stores it; the backend may delete the row when it is empty at `now`.
  virtual Status write_counter(const std::string& key, const LoginCounter& c, TimeMs now) = 0;
  // The customer's unused secret of `kind` with this hash, expired or not; nullopt when none.
  virtual Result<std::optional<SecretRecord>> unused_secret(SecretKind kind,
                                                            std::int64_t customer_id,
                                                            std::string_view hash) = 0;
  virtual Status mark_secret_used(SecretKind kind, std::int64_t customer_id, TimeMs at) = 0;
  // Appends the records (storage_records.h, "Audit in the write"), in order, in this transaction.
  virtual Status append_audit(std::span<const AuditRecord> records) = 0;
};

// Storage::admit_login_attempt, record_sign_in (the clock is read once the customer is locked),
// record_attempt_failure, release_login_attempt and throttle_state, over one transaction.
Result<Customer> AdmitLoginAttempt(LoginTxn& tx, const LoginAttempt& a, TimeMs now);
// RecordSignIn's answer inside the transaction: a refusal that gives the attempt back must still
// commit, so it travels as `refusal` in a successful result; SignInAnswer turns it back into the
// caller's error once the transaction is over.
struct SignInCommit {
  Status refusal;
  SignInResult result;
};
Result<SignInCommit> RecordSignIn(LoginTxn& tx, const LoginAttempt& a, const SignIn& s,
                                  const Clock& clock);
Result<SignInResult> SignInAnswer(Result<SignInCommit> committed);
Result<LockState> RecordAttemptFailure(LoginTxn& tx, const LoginAttempt& a, TimeMs now,
                                       const AuditOf<LockState>& audit);
Status ReleaseLoginAttempt(LoginTxn& tx, const LoginAttempt& a, TimeMs now);
Result<ThrottleState> ReadThrottleState(LoginTxn& tx, std::int64_t website_id,
                                        std::string_view email_key, TimeMs now);
// The retention a backend's writes apply (Storage::set_retention), shared by its threads.
class RetentionHolder {
 public:
  void set(const RetentionPolicy& policy) {
    std::lock_guard<std::mutex> lock(mu_);
    policy_ = policy;
  }
  RetentionPolicy get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return policy_;
  }

 private:
  mutable std::mutex mu_;
  RetentionPolicy policy_;
};

// The cut-offs of a policy at `now`: a row whose time is at or before one has expired. When
// audit records are kept forever (policy.audit == 0) the audit cut-off is the smallest time, which
// no record has.
inline TimeMs AuditCutoff(const RetentionPolicy& policy, TimeMs now) {
  if (policy.audit <= 0) return std::numeric_limits<TimeMs>::min();
  return now - policy.audit;
}
inline TimeMs GraceCutoff(const RetentionPolicy& policy, TimeMs now) {
  return now - std::max<TimeMs>(policy.grace, 0);
}
// How many rows a full prune removes per table in one transaction.
inline constexpr std::int64_t kPruneBatch = 5000;

// The connections of a backend that has them (SQLite, PostgreSQL): up to `max`, each checked out
// by one thread at a time, opened lazily by `opener`. When Conn has StillOpen(), an idle
// connection is checked with it before it is handed out; one closed meanwhile (by a server) is
// dropped, and another taken or opened.
template <class Conn>
class ConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Conn>>()>;

  ConnectionPool(std::size_t max, Opener opener)
      : max_(std::max<std::size_t>(max, 1)), opener_(std::move(opener)) {}

  // Adds an already opened connection (the first one, opened by the storage's Init).
  void Adopt(std::unique_ptr<Conn> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    idle_.push_back(std::move(conn));
  }

  // Waits for an idle connection (still open), or opens one when fewer than `max` are.
  Status Acquire(std::unique_ptr<Conn>* out) {
    for (;;) {
      std::unique_ptr<Conn> idle;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
        if (!idle_.empty()) {
          idle = std::move(idle_.back());
          idle_.pop_back();
        } else {
          ++open_;  // reserve the slot; open outside the lock
        }
      }
      if (idle == nullptr) break;
      if constexpr (requires(Conn & c) { c.StillOpen(); }) {
        if (!idle->StillOpen()) {
          // Closed by the server while idle: drop it and take or open another.
          idle.reset();
          Discard();
          continue;
        }
      }
      *out = std::move(idle);
      return Status::Ok();
    }
    Result<std::unique_ptr<Conn>> opened = opener_();
    if (!opened.ok()) {
      Discard();
      return opened.status();
    }
    *out = std::move(opened).value();
    return Status::Ok();
  }

  // Returns a healthy connection to the pool.
  void Release(std::unique_ptr<Conn> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  // Calls fn(connection) for each idle connection, holding the pool's lock (for tests).
  template <class Fn>
  void ForEachIdle(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::unique_ptr<Conn>& conn : idle_) fn(*conn);
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
  std::vector<std::unique_ptr<Conn>> idle_;
  std::size_t open_ = 0;
};

}  // namespace custauth::internal

// The Storage operations that the SQL backends (SQLite, PostgreSQL) declare in their storage class
// and define in their operation files: every one but describe and set_retention.
#define CUSTAUTH_SQL_STORAGE_OPERATIONS                                                            \
  Result<Customer> create_customer(const NewCustomer& c, TimeMs now) override;                     \
  Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) override;   \
  Result<std::vector<ImportOutcome>> import_customers(std::span<const ImportedCustomer> rows,      \
                                                      ImportConflict on_conflict) override;        \
  Result<Customer> find_customer_by_email(std::int64_t website_id, std::string_view email)         \
      override;                                                                                    \
  Result<Customer> find_customer_by_id(std::int64_t id) override;                                  \
  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,        \
                                   std::span<const AuditRecord> audit) override;                   \
  Result<Customer> delete_customer(std::int64_t id, TimeMs now,                                    \
                                   std::span<const AuditRecord> audit) override;                   \
  Result<LockState> record_login_failure(std::int64_t customer_id, TimeMs now,                     \
                                         const LockoutPolicy& policy) override;                    \
  Result<Customer> admit_login_attempt(const LoginAttempt& attempt, TimeMs now) override;          \
  Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,          \
                                      const Clock& clock) override;                                \
  Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now,                \
                                           const AuditOf<LockState>& audit) override;              \
  Status release_login_attempt(const LoginAttempt& attempt, TimeMs now) override;                  \
  Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,        \
                                       TimeMs now) override;                                       \
  Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) override;           \
  Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,                   \
                                      std::string_view hash, TimeMs now) override;                 \
  Status void_secrets(SecretKind kind, std::int64_t customer_id) override;                         \
  Status take_rate_slots(std::span<const RateRule> rules, TimeMs now) override;                    \
  Status insert_nonce(std::string_view consumer_key, std::string_view nonce, TimeMs expires_at,    \
                      TimeMs now) override;                                                        \
  Result<std::int64_t> prune_nonces(TimeMs now) override;                                          \
  Result<std::uint64_t> revocation_epoch() override;                                               \
  Status put_opaque_token(const OpaqueTokenRecord& t) override;                                    \
  Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) override;                     \
  Result<std::int64_t> prune_opaque_tokens(TimeMs before) override;                                \
  Result<SessionRecord> create_session(const SessionRecord& s) override;                           \
  Result<SessionRecord> find_session(std::int64_t id) override;                                    \
  Result<std::vector<SessionRecord>> list_sessions(std::int64_t customer_id, TimeMs now) override; \
  Result<SessionRecord> revoke_session(std::int64_t id, TimeMs now) override;                      \
  Result<SessionRenewal> renew_session(std::int64_t id, std::int64_t customer_id,                  \
                                       TimeMs token_issued_at, const Clock& clock) override;       \
  Result<Integration> create_integration(const Integration& i) override;                           \
  Result<Integration> find_integration(std::string_view consumer_key) override;                    \
  Result<std::vector<Integration>> list_integrations() override;                                   \
  Status set_integration_permissions(std::string_view consumer_key,                                \
                                     const std::vector<std::string>& permissions) override;        \
  Status revoke_integration(std::string_view consumer_key, TimeMs now) override;                   \
  Result<std::int64_t> append_audit(const AuditRecord& r) override;                                \
  Result<std::vector<AuditRecord>> list_audit(const AuditQuery& q) override;                       \
  Result<PruneCounts> prune(TimeMs now, const RetentionPolicy& policy) override;

#endif  // CUSTAUTH_SRC_STORAGE_INTERNAL_H_
