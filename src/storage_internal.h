// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What the storage backends (memory, SQLite, PostgreSQL) share: their refusals, in the platform's
// words, and the stored form of an integration's permissions. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_STORAGE_INTERNAL_H_
#define CUSTAUTH_SRC_STORAGE_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
// OptInt(v), Bool(v) and Text(v), each returning `out`.

// The customer of a row whose columns are id, website_id, email, firstname, lastname,
// is_subscribed, confirmed, allow_remote_shopping_assistance, is_active, password_hash,
// failures_num, first_failure, lock_expires, tokens_revoked_at, created_at, updated_at.
template <class Row>
Customer CustomerFromColumns(const Row& row) {
  Customer c;
  c.id = row.Int(0);
  c.website_id = row.Int(1);
  c.email = row.Text(2);
  c.firstname = row.Text(3);
  c.lastname = row.Text(4);
  c.is_subscribed = row.Bool(5);
  c.confirmed = row.Bool(6);
  c.allow_remote_shopping_assistance = row.Bool(7);
  c.is_active = row.Bool(8);
  c.password_hash = row.Text(9);
  c.failures_num = static_cast<int>(row.Int(10));
  c.first_failure = row.OptInt(11);
  c.lock_expires = row.OptInt(12);
  c.tokens_revoked_at = row.Int(13);
  c.created_at = row.Int(14);
  c.updated_at = row.Int(15);
  return c;
}

// The audit record of a row whose columns are id, at, event, customer_id, admin_id, actor, reason,
// client_ip, detail.
template <class Row>
AuditRecord AuditRecordFromColumns(const Row& row) {
  AuditRecord r;
  r.id = row.Int(0);
  r.at = row.Int(1);
  r.event = row.Text(2);
  r.customer_id = row.OptInt(3);
  r.admin_id = row.OptInt(4);
  r.actor = row.Text(5);
  r.reason = row.Text(6);
  r.client_ip = row.Text(7);
  r.detail = row.Text(8);
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
  r.created_at = row.Int(first);
  r.expires_at = row.Int(first + 1);
  r.admin_id = row.OptInt(first + 2);
  r.reason = row.Text(first + 3);
  return r;
}

// The values of an audit record: at, event, customer_id, admin_id, actor, reason, client_ip,
// detail.
template <class Out>
void AuditRecordValues(Out& out, const AuditRecord& r) {
  out.Int(r.at)
      .Text(r.event)
      .OptInt(r.customer_id)
      .OptInt(r.admin_id)
      .Text(r.actor)
      .Text(r.reason)
      .Text(r.client_ip)
      .Text(r.detail);
}

// The values a new customer's row is given: website_id, email, email_key (EmailKey(c.email)),
// firstname, lastname, is_subscribed, confirmed, allow_remote_shopping_assistance, is_active,
// password_hash.
template <class Out>
void NewCustomerValues(Out& out, const NewCustomer& c, const std::string& email_key) {
  out.Int(c.website_id)
      .Text(c.email)
      .Text(email_key)
      .Text(c.firstname)
      .Text(c.lastname)
      .Bool(c.is_subscribed)
      .Bool(c.confirmed)
      .Bool(c.allow_remote_shopping_assistance)
      .Bool(c.is_active)
      .Text(c.password_hash);
}

// The 17 values of an imported row: id, then NewCustomerValues, then failures_num, first_failure,
// lock_expires, created_at, updated_at, tokens_revoked_at.
template <class Out>
void ImportedCustomerValues(Out& out, const ImportedCustomer& row, const std::string& email_key) {
  out.Int(row.customer.id);
  NewCustomerValues(out, row.customer, email_key);
  out.Int(row.failures_num)
      .OptInt(row.first_failure)
      .OptInt(row.lock_expires)
      .Int(row.created_at)
      .Int(row.updated_at)
      .Int(row.tokens_revoked_at);
}

// The values that update_customer writes: firstname, lastname, is_subscribed, confirmed,
// allow_remote_shopping_assistance, is_active, password_hash, failures_num, first_failure,
// lock_expires, tokens_revoked_at, updated_at, then the id of the row.
template <class Out>
void CustomerUpdateValues(Out& out, const Customer& c) {
  out.Text(c.firstname)
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
enum class PruneTable { kNonces, kExpiredSecrets, kUsedSecrets, kOpaqueTokens, kAudit };
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

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_STORAGE_INTERNAL_H_
