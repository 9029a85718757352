// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What the storage backends (memory, SQLite, PostgreSQL) share: their refusals, in the platform's
// words, and the stored form of an integration's permissions. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_STORAGE_INTERNAL_H_
#define CUSTAUTH_SRC_STORAGE_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
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
