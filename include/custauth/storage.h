// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Storage: the pluggable persistence of custauth.
//
// Storage speaks the domain, not key/value. Every operation whose atomicity matters is ONE call
// that a backend implements with its own transaction: consume a one-time secret (exactly one caller
// wins), insert a nonce if absent, find-or-create a customer by email, record a failed login, take
// rate-limit slots. custauth never composes two calls where a rule needs them to be atomic.
//
// Thread safety: a Storage is shared by every thread of a CustomerAuth; every method may be called
// from many threads at once. A backend shared by several processes or servers (SqliteStorage on one
// file, PostgresStorage) keeps every method atomic across them too.
//
// Failures: every method returns kStorage when the backend fails (I/O, corruption, a lock held
// beyond the backend's bound); no method ever reports a transient "busy" to its caller. Other
// codes are named per method. A method that fails changes nothing.
//
// Values a backend cannot store as given (text with NUL bytes where text is kept) are refused with
// kInvalidInput (writes) or kNotFound (lookups), never truncated.
//
// Backends: MakeMemoryStorage() (memory_storage.h, tests), OpenSqliteStorage() (sqlite_storage.h,
// the embedded default), OpenPostgresStorage() (postgres_storage.h, a fleet of servers). One
// conformance suite (custauth/testing/storage_conformance.h, installed) pins every contract below;
// custauth runs it against each of its backends, and a backend of a host's can run it too.
//
// The headers, one concept each:
//   custauth/storage.h                     this interface: what a host holds and calls;
//   custauth/storage_records.h             the records it reads and writes (included here);
//   custauth/storage_wrapper.h             StorageWrapper, forwarding every call to another
//                                          Storage (to observe or change a few of them);
//   custauth/sys/storage_backend.h         what a backend writer needs beyond this interface:
//                                          the rules every backend applies the same way;
//   custauth/testing/storage_conformance.h the conformance suite (Catch2).
#ifndef CUSTAUTH_STORAGE_H_
#define CUSTAUTH_STORAGE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage_records.h"

namespace custauth {

// ---------------------------------------------------------------------------------------------

class CUSTAUTH_EXPORT Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage();

  // A short name of the backend and where it keeps its data, for logs ("sqlite:/var/shop.db").
  virtual std::string describe() const = 0;

  // --- Customers ---

  // Creates a customer; created_at = updated_at = now. kAlreadyExists when the email (compared
  // case-insensitively) is taken on the website, or `c.id` is taken.
  virtual Result<Customer> create_customer(const NewCustomer& c, TimeMs now) = 0;

  // Returns the customer with c's email on c's website, creating it from `c` when there is none.
  // Exactly once: among racing callers for a new email, one creates and all get that customer.
  virtual Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) = 0;

  // kNotFound when there is no such customer.
  virtual Result<Customer> find_customer_by_email(std::int64_t website_id,
                                                  std::string_view email) = 0;
  virtual Result<Customer> find_customer_by_id(std::int64_t id) = 0;

  // Applies `patch` atomically; updated_at = now. Returns the customer after the update.
  // kNotFound; kConflict (see CustomerPatch::expect_password_hash). `audit`: the records of the
  // change, written with it (storage_records.h, "Audit in the write"); none when it is refused.
  virtual Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,
                                           std::span<const AuditRecord> audit = {}) = 0;

  // Imports customers in one transaction, in order, and returns one outcome per row. For each row,
  // with "taken" meaning a stored customer has the row's id, or the row's email on its website:
  //   nothing taken            kCreated, with every field and time of the row;
  //   kSkip                    kSkipped;
  //   kUpdate                  the id is stored and the email is free or its own: kUpdated (every
  //                            field, lock state and time of the row; tokens_revoked_at is raised
  //                            to the row's, never lowered);
  //                            otherwise (the email belongs to another customer) kConflict;
  //   kFail                    kConflict, and the import stops there: the outcomes end with it,
  //                            the rows after it are not looked at.
  // A row with id 0 is a new customer: kCreated with the next assigned id when its email is free,
  // else kSkipped (kSkip) or kConflict (kUpdate, kFail); it never updates. Two rows of one batch
  // with the same id or email: the later one finds it taken.
  // A kConflict row writes nothing; the other rows are written. kInvalidInput (nothing written)
  // when a row has an id < 0 or above 2^53 - 1, or text a backend cannot store; kStorage (also
  // when no id is left to assign). The built-in backends all
  // implement it; the default refuses with kUnsupported (a backend written before imports).
  virtual Result<std::vector<ImportOutcome>> import_customers(
      std::span<const ImportedCustomer> rows, ImportConflict on_conflict);

  // Erases the customer (the right to erasure) in ONE transaction, and returns it as it was:
  //   - the customer goes, with its lock state, its one-time secrets (used or not) and its opaque
  //     tokens;
  //   - the revocation epoch is bumped, so that every verifier's cache forgets the customer within
  //     its bound; its tokens then name no customer and are refused;
  //   - the audit records that name the customer (AuditRecordNamesCustomer: its customer_id, or
  //     its email in their detail) are rewritten by EraseCustomerFromAuditRecord: each keeps its
  //     id, time, event, customer_id and admin_id, and loses the email, client IP and the other
  //     personal fields;
  //   - the rate-limit buckets named after the email or after a client IP of those records go
  //     (RateBucketNamesErased: a name ending in ":" and the email's EmailKey or the IP).
  //   - `audit`, the records of the erasure, are written after the rewriting (kept as given).
  // The id is never assigned again (ids are never reused). `now` is the time of the erasure.
  // kNotFound (nothing written); kStorage. The built-in backends all implement it; the default
  // refuses with kUnsupported (a backend written before erasure).
  virtual Result<Customer> delete_customer(std::int64_t id, TimeMs now,
                                           std::span<const AuditRecord> audit = {});

  // --- Lockout ---

  // Records one failed login, atomically, the platform's way: when the previous lock has expired,
  // or there was no failure yet, or the window since first_failure has passed and the account is
  // not locked, this failure starts a new count (failures_num = 1, first_failure = now,
  // lock_expires cleared); otherwise failures_num is incremented, and when it is at least
  // policy.max_failures (> 0) the account is locked until now + policy.lock_duration (a failure
  // recorded while locked extends the lock; CustomerAuth records none while locked). kNotFound.
  virtual Result<LockState> record_login_failure(std::int64_t customer_id, TimeMs now,
                                                 const LockoutPolicy& policy) = 0;

  // --- Login attempts (decided at the write; see LoginAttempt) ---
  //
  // The built-in backends all implement these; the defaults refuse with kUnsupported (a backend
  // written before them cannot serve logins).

  // Takes one attempt, atomically, or refuses and changes nothing:
  //   kRateLimited  the throttle is on and its key's failures (while unexpired) plus the attempts
  //                 in flight on it reach throttle.max_failures;
  //   kLocked       the account is locked (lock_expires > now), or lockout.max_failures > 0 and the
  //                 failures of the current window plus the attempts in flight reach it;
  //   kNotFound     customer_id > 0 names no customer.
  // Otherwise records one attempt in flight on the throttle key (when the throttle is on) and on
  // the customer, and returns the customer as read inside the write (a default Customer when
  // customer_id is 0).
  virtual Result<Customer> admit_login_attempt(const LoginAttempt& attempt, TimeMs now);

  // Records a successful sign-in of attempt.customer_id in ONE write, with `clock` read inside it:
  // refuses (giving back the attempt, changing nothing else) with kAuthenticationFailed when the
  // customer is gone or inactive, kLocked when sign_in.check_lock and the account is locked, and
  // kNotConfirmed when the customer is unconfirmed (a matching one-time secret is then NOT spent);
  // see SignIn::secret_kind for a secret that does not match. Otherwise gives back the attempt,
  // clears the throttle key and the lock state (when it holds an attempt), consumes the secret,
  // rehashes, writes the records of sign_in.audit, and returns the customer with the time read.
  virtual Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,
                                              const Clock& clock);

  // Settles the attempt into a failure: gives it back, adds one failure to the throttle key (its
  // expiry pushed to now + throttle.lifetime) and to the customer as record_login_failure does
  // (customer_id > 0 and still there), and writes the records `audit` makes of the lock state
  // after it (login.failure, customer.lock when it locked), all in ONE write. Returns that state.
  virtual Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                                   const AuditOf<LockState>& audit = {});

  // Gives the attempt back without counting anything (the flow failed before deciding).
  virtual Status release_login_attempt(const LoginAttempt& attempt, TimeMs now);

  // The throttle's state for (website_id, email_key) at `now`.
  virtual Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,
                                               TimeMs now);

  // --- One-time secrets ---

  // Stores `s` as the customer's live secret of its kind, replacing (voiding) any earlier one
  // (s.used_at is ignored: a stored secret is unused), with the records of `audit` (otc.issue).
  // kNotFound when the customer does not exist (nothing written).
  virtual Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit = {}) = 0;

  // Consumes the customer's live secret of `kind` whose hash equals `hash`: marks it used at `now`
  // and returns it. Exactly one of any number of racing callers succeeds. kNotFound when there is
  // no unused secret with that hash (never issued, replaced, voided or already used); kExpired when
  // there is one but now >= expires_at (it stays unused).
  virtual Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,
                                              std::string_view hash, TimeMs now) = 0;

  // Voids the customer's unused secret of `kind`, if any (OtcStore::void_secret). OK when there
  // is none.
  virtual Status void_secrets(SecretKind kind, std::int64_t customer_id) = 0;

  // --- Rate limits ---

  // Takes one slot in every distinct bucket the rules name, or none: kRateLimited when any rule
  // refuses (then no bucket records anything). Events older than every window may be pruned.
  virtual Status take_rate_slots(std::span<const RateRule> rules, TimeMs now) = 0;

  // --- OAuth nonces ---

  // Records (consumer_key, nonce), live until expires_at. kAlreadyExists when a live record of the
  // same pair exists (a replay). Exactly one of racing callers succeeds.
  virtual Status insert_nonce(std::string_view consumer_key, std::string_view nonce,
                              TimeMs expires_at, TimeMs now) = 0;
  // Deletes records with expires_at <= now; returns how many.
  virtual Result<std::int64_t> prune_nonces(TimeMs now) = 0;

  // --- Revocation ---

  // A number that changes whenever any customer's tokens_revoked_at changes or a session is
  // revoked, in this process or another sharing the data. Cheap: verifiers poll it to keep a
  // cache of revocation times.
  virtual Result<std::uint64_t> revocation_epoch() = 0;

  // --- Opaque tokens ---

  // kAlreadyExists on a hash collision.
  virtual Status put_opaque_token(const OpaqueTokenRecord& t) = 0;
  // kNotFound. (Expiry is checked by the caller.)
  virtual Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) = 0;
  // Deletes tokens with expires_at <= before; returns how many.
  virtual Result<std::int64_t> prune_opaque_tokens(TimeMs before) = 0;

  // --- Sessions (TokenOptions::sessions) ---
  //
  // The built-in backends all implement these; the defaults refuse with kUnsupported (a backend
  // written before sessions serves handles with sessions off).

  // Stores a new live session (s.id and s.revoked_at are ignored) and returns it with its id.
  // Removes a few sessions ended before the retention's grace (set_retention). kNotFound when the
  // customer does not exist.
  virtual Result<SessionRecord> create_session(const SessionRecord& s);
  // kNotFound when there is no such session (never created, pruned, or its customer erased).
  virtual Result<SessionRecord> find_session(std::int64_t id);
  // The customer's live sessions (not revoked, expires_at > now), oldest first.
  virtual Result<std::vector<SessionRecord>> list_sessions(std::int64_t customer_id, TimeMs now);
  // Ends the session: revoked_at = now (kept when it was already revoked) and the revocation epoch
  // moves, so that every verifier refuses the session's tokens within its revocation_refresh.
  // Returns the session as written. kNotFound.
  virtual Result<SessionRecord> revoke_session(std::int64_t id, TimeMs now);
  // Renews the session in ONE write, with `clock` read inside it, or refuses and changes nothing:
  //   kNotFound              no such session of customer_id;
  //   kInvalidToken          the session is revoked, or the customer's tokens were revoked at or
  //                          after token_issued_at (the token being renewed);
  //   kExpired               the session's expires_at has come;
  //   kAuthenticationFailed  the customer is gone or inactive;
  //   kLocked                the customer is locked.
  // Otherwise sets renewed_at to the time read and returns the session, the customer and that time.
  virtual Result<SessionRenewal> renew_session(std::int64_t id, std::int64_t customer_id,
                                               TimeMs token_issued_at, const Clock& clock);

  // --- Integrations ---

  // Assigns id. kAlreadyExists when the consumer key or access token is taken.
  virtual Result<Integration> create_integration(const Integration& i) = 0;
  virtual Result<Integration> find_integration(std::string_view consumer_key) = 0;
  // All integrations, by id.
  virtual Result<std::vector<Integration>> list_integrations() = 0;
  // Replaces the permissions. kNotFound.
  virtual Status set_integration_permissions(std::string_view consumer_key,
                                             const std::vector<std::string>& permissions) = 0;
  // Marks it inactive (revoked_at = now). kNotFound.
  virtual Status revoke_integration(std::string_view consumer_key, TimeMs now) = 0;

  // --- Retention ---

  // The retention the writes below apply: each write that adds a row to a table that grows with
  // traffic (take_rate_slots, insert_nonce, put_secret, put_opaque_token, append_audit) also
  // removes up to policy.per_write expired rows of that table (buckets, for the rate tables), in
  // its own transaction, on an index, so that under steady traffic the data reaches a plateau and
  // no request pays for a long delete. A handle shares its storage's policy: the last one set
  // wins. The default policy applies until one is set. The default implementation ignores it (a
  // backend written before retention prunes nothing by itself).
  virtual void set_retention(const RetentionPolicy& policy);

  // Removes every row expired at `now` under `policy` (see RetentionPolicy), in batches (each its
  // own transaction, so that concurrent requests are not held up for long), and returns how many
  // went per table. kStorage. The default refuses with kUnsupported.
  virtual Result<PruneCounts> prune(TimeMs now, const RetentionPolicy& policy);

  // --- Audit ---

  // Appends a record (r.id is ignored and assigned).
  virtual Result<std::int64_t> append_audit(const AuditRecord& r) = 0;
  virtual Result<std::vector<AuditRecord>> list_audit(const AuditQuery& q) = 0;
};

}  // namespace custauth

#endif  // CUSTAUTH_STORAGE_H_
