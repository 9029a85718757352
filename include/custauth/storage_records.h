// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The records Storage (custauth/storage.h) reads and writes: plain values, no behaviour beyond
// building one from another. A host meets them in Storage's signatures (audit records, retention);
// a backend stores them.
#ifndef CUSTAUTH_STORAGE_RECORDS_H_
#define CUSTAUTH_STORAGE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "custauth/clock.h"
#include "custauth/customer.h"

namespace custauth {

// ---------------------------------------------------------------------------------------------
// Audit trail

struct AuditRecord {
  std::int64_t id = 0;  // assigned by storage, increasing
  TimeMs at = 0;
  std::string event;  // e.g. "otc.issue", "otc.use", "login.failure", "customer.lock"
  std::optional<std::int64_t> customer_id;
  std::optional<std::int64_t> admin_id;
  std::string actor;   // who acted: "admin:7", "customer:6", "integration:<key>", "cli"
  std::string reason;  // why (free text from the caller)
  std::string client_ip;
  std::string detail;  // a JSON object with event-specific fields; "" for none
};

struct AuditQuery {
  std::optional<std::int64_t> customer_id;
  // Records with id > after_id. Ids increase; with concurrent writers on PostgreSQL an id may
  // commit after a higher one, so a reader tailing the trail should overlap by a few seconds.
  std::int64_t after_id = 0;
  std::size_t limit = 100;  // at most this many, oldest first (0: none)
};

// Audit in the write (DOMAIN.md: an admin's use of a code is always kept; a committed change always
// has its record, a refused one none). The Storage writes that make a change custauth audits take
// the records of that change and append them in their own transaction, after the change and in
// order: committed, the change and its records are stored together; refused or failed, neither
// is. The backend assigns the records' ids (AuditRecord::id is ignored) and applies the audit
// retention as append_audit does. A write takes
//   - the records themselves (std::span<const AuditRecord>) when the caller knows all of them
//     beforehand: put_secret, update_customer, delete_customer;
//   - an AuditOf<Outcome> when a record holds what only the write learns (the time read inside it,
//     the consumed secret, the lock state after a failure): a function of the write's outcome,
//     called inside the transaction once the change is decided (once per attempt of the
//     transaction: a backend that retries one that did not commit calls it again). It must not call
//     the Storage, and should be quick: it runs while the write holds its locks.
// An empty span or function: no record (the write is as it was without audit).
template <class Outcome>
using AuditOf = std::function<std::vector<AuditRecord>(const Outcome&)>;

// ---------------------------------------------------------------------------------------------
// Customers

// The fields of a customer to create. Validation (email, names, password policy) happens above
// Storage; Storage enforces only uniqueness.
struct NewCustomer {
  // 0: storage assigns the next id. > 0: this id (import of the platform's entity_id);
  // kAlreadyExists if taken. Ids run up to 2^53 - 1 (exact in JSON): a larger one is
  // kInvalidInput. An assigned id comes after every id ever stored, and is never reused.
  std::int64_t id = 0;
  std::int64_t website_id = kDefaultWebsiteId;
  std::string email;
  std::string firstname;
  std::string lastname;
  bool is_subscribed = false;
  bool confirmed = true;
  bool allow_remote_shopping_assistance = false;
  bool is_active = true;
  std::string password_hash;  // may be empty

  // The customer these fields make, with `id`, created and updated at `now` (for backends).
  Customer to_customer(std::int64_t assigned_id, TimeMs now) const {
    Customer c;
    c.id = assigned_id;
    c.website_id = website_id;
    c.email = email;
    c.firstname = firstname;
    c.lastname = lastname;
    c.is_subscribed = is_subscribed;
    c.confirmed = confirmed;
    c.allow_remote_shopping_assistance = allow_remote_shopping_assistance;
    c.is_active = is_active;
    c.password_hash = password_hash;
    c.created_at = now;
    c.updated_at = now;
    return c;
  }
};

// A partial update: only the fields that are set change. Applied in one transaction.
struct CustomerPatch {
  std::optional<std::string> firstname;
  std::optional<std::string> lastname;
  std::optional<bool> is_subscribed;
  std::optional<bool> confirmed;
  std::optional<bool> is_active;
  // Setting this to false also voids the customer's unused SecretKind::kAdminOtc secrets, in the
  // same transaction (withdrawn consent voids outstanding codes at once).
  std::optional<bool> allow_remote_shopping_assistance;
  std::optional<std::string> password_hash;
  // Compare-and-set: when set, the update applies only if the stored password_hash equals this
  // value, else kConflict and nothing changes. (Rehash-on-login must not undo a concurrent change.)
  std::optional<std::string> expect_password_hash;
  // Raises tokens_revoked_at to this time (never lowers it).
  std::optional<TimeMs> revoke_tokens_at;
  // When set, the update also revokes the customer's tokens as of a time read from this clock
  // INSIDE the write (RevocationTime(stored tokens_revoked_at, revoke_clock->now())), so that a
  // token whose sign-in write committed before this one is revoked by it (decide at the write).
  // The clock must outlive the call.
  const Clock* revoke_clock = nullptr;
  // Clears failures_num, first_failure and lock_expires.
  bool clear_lock = false;
  // Refuses with kLocked, changing nothing, when the account is locked at the update's `now`: a
  // password change is decided at its write, so a lock committed while it verified wins.
  bool refuse_when_locked = false;
};

struct FindOrCreateResult {
  Customer customer;
  bool created = false;
};

// ---------------------------------------------------------------------------------------------
// Import (moving a shop's customers over from the platform)

// A customer as an import brings it: everything the platform kept, lock state and times included.
struct ImportedCustomer {
  NewCustomer customer;  // customer.id > 0: the platform's entity_id
  int failures_num = 0;
  std::optional<TimeMs> first_failure;
  std::optional<TimeMs> lock_expires;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  // Tokens issued at or before this time do not verify (0: none revoked). An update raises the
  // stored time to it, never lowers it; a row with a time bumps the revocation epoch.
  TimeMs tokens_revoked_at = 0;

  // The customer this row makes.
  Customer to_customer() const {
    Customer c = customer.to_customer(customer.id, created_at);
    c.updated_at = updated_at;
    c.tokens_revoked_at = tokens_revoked_at;
    c.failures_num = failures_num;
    c.first_failure = first_failure;
    c.lock_expires = lock_expires;
    return c;
  }
};

// What an import does with a row whose id or email (on its website) is already taken.
enum class ImportConflict : int {
  kSkip = 0,    // leave the stored customer as it is
  kUpdate = 1,  // overwrite the customer with that id (its email too, when the new one is free)
  kFail = 2,    // stop at the row
};

enum class ImportOutcome : int {
  kCreated = 0,
  kUpdated = 1,
  kSkipped = 2,
  // The row conflicts in a way its ImportConflict does not resolve; nothing of it is written.
  kConflict = 3,
};

// ---------------------------------------------------------------------------------------------
// Lockout

struct LockoutPolicy {
  // Failures that lock the account. 0 disables locking (failures are still counted).
  int max_failures = 10;
  // How long a lock lasts. Default: the platform's 10 minutes.
  TimeMs lock_duration = 10 * kMinute;
  // Failures count towards a lock only within this window from the first failure; a failure after
  // the window (or after an expired lock) starts a new window. Default: 10 minutes.
  TimeMs window = 10 * kMinute;
};

// The lock state after a recorded failure.
struct LockState {
  int failures_num = 0;
  std::optional<TimeMs> first_failure;
  std::optional<TimeMs> lock_expires;
  bool locked = false;        // lock_expires > now after this failure
  bool newly_locked = false;  // this failure set the lock
};

// ---------------------------------------------------------------------------------------------
// One-time secrets: password-reset tokens and admin one-time codes. Stored as keyed hashes; a
// customer has at most one live secret of each kind (issuing a new one replaces the old).

enum class SecretKind : int {
  kPasswordReset = 1,
  kAdminOtc = 2,
};

struct SecretRecord {
  SecretKind kind = SecretKind::kPasswordReset;
  std::int64_t customer_id = 0;
  std::string hash;  // keyed hash of the secret (binary); compared by equality
  TimeMs created_at = 0;
  TimeMs expires_at = 0;  // valid while now < expires_at
  std::optional<std::int64_t> admin_id;
  std::string reason;
  std::optional<TimeMs> used_at;  // set by consume
};

// ---------------------------------------------------------------------------------------------
// Login attempts, decided at the write (DOMAIN.md, generateCustomerToken: "Two locks", "Under
// concurrency the lock bounds guesses"). A login takes an attempt (admit_login_attempt) before it
// verifies anything, and settles it with exactly one of record_sign_in (a secret matched),
// record_attempt_failure (none did) or release_login_attempt (the machinery failed). Each is one
// atomic write. An attempt not settled (a crashed process) stops counting slot_lifetime after the
// last attempt taken on the same key.

// The token-request throttle (the platform's oauth/authentication_lock), keyed by the email as
// given (case-folded) and the website, for unknown emails too.
struct ThrottlePolicy {
  // Failures that close the key. 0 turns the throttle off. Default: the platform's 6.
  int max_failures = 6;
  // Each failure pushes the key's expiry to now + this. Default: the platform's 1800 s.
  TimeMs lifetime = 1800 * kSecond;
};

struct LoginAttempt {
  // The customer the email names; 0 for an unknown email (then only the throttle applies).
  std::int64_t customer_id = 0;
  // The throttle's key: the website and the email as given, case-folded (EmailKey).
  std::int64_t website_id = kDefaultWebsiteId;
  std::string email_key;
  LockoutPolicy lockout;
  ThrottlePolicy throttle;
  // How long an attempt taken and never settled keeps counting. Default: 1 minute.
  TimeMs slot_lifetime = kMinute;
};

// What record_sign_in writes, besides giving back the attempt (when it holds one).
struct SignInResult;

struct SignIn {
  // Whether an attempt was taken for this sign-in (a login: yes; an external login: no).
  bool holds_attempt = true;
  // Refuse with kLocked when the account is locked at the write (password-type verifiers).
  bool check_lock = true;
  // A one-time secret that matched is consumed by this write, judged at its time: the customer's
  // unused secret of this kind with this hash. None such: kNotFound (none) or kExpired, and the
  // write changes nothing (the attempt stays taken, for the next verifier or a failure).
  std::optional<SecretKind> secret_kind;
  std::string secret_hash;
  // A rehash of the password that matched: applied only when the stored hash still equals
  // expect_password_hash (a concurrent change wins, and the sign-in still succeeds).
  std::optional<std::string> password_hash;
  std::string expect_password_hash;
  // The records of the sign-in (login.success, otc.use), written by its write when it signs in
  // (AuditOf: called with the result, the time read inside the write and the consumed secret
  // included); none when it refuses.
  AuditOf<SignInResult> audit;
};

struct SignInResult {
  Customer customer;  // as written
  TimeMs at = 0;      // the time read inside the write; a token's iat is taken from it
  std::optional<SecretRecord> secret;  // the one-time secret consumed
  bool rehashed = false;
};

// The throttle's state for a key, for tests and tools.
struct ThrottleState {
  int failures = 0;       // counted while now < expires_at
  TimeMs expires_at = 0;  // 0: none
};

// ---------------------------------------------------------------------------------------------
// Rate limits

// One rule of a rate limit, applied to a bucket (e.g. "reset:email:<key>", "reset:ip:<addr>").
struct RateRule {
  std::string bucket;
  TimeMs window = kHour;    // events counted within (now - window, now]
  int max_in_window = 5;    // a request is refused when this many are already counted
  TimeMs min_interval = 0;  // a request is refused within this long after the bucket's last one
};

// ---------------------------------------------------------------------------------------------
// Opaque tokens (the non-JWT token format)

struct OpaqueTokenRecord {
  std::string hash;  // keyed hash of the token (binary); unique
  std::int64_t customer_id = 0;
  TimeMs issued_at = 0;
  TimeMs expires_at = 0;
  std::int64_t session_id = 0;  // the session the token belongs to; 0: none (sessions off)
};

// ---------------------------------------------------------------------------------------------
// Sessions (TokenOptions::sessions): one per sign-in, shared by the tokens its renewals issue

struct SessionRecord {
  std::int64_t id = 0;  // assigned by storage; > 0
  std::int64_t customer_id = 0;
  TimeMs created_at = 0;
  TimeMs renewed_at = 0;  // created_at until the first renewal
  // The session's hard end: created_at + TokenOptions::max_session_age. No token of the session
  // expires later, and none is renewed from then on.
  TimeMs expires_at = 0;
  TimeMs revoked_at = 0;   // 0: live
  std::string client_ip;   // of the sign-in
  std::string user_agent;  // of the sign-in
  // How it began: the verifier that matched ("password", "reset_token", "otc", or a host
  // verifier's name) or "external" (exchange_external_customer_token).
  std::string method;
};

// What renew_session wrote and read, in one write.
struct SessionRenewal {
  SessionRecord session;  // as written (renewed_at = at)
  Customer customer;      // as read inside the write
  TimeMs at = 0;          // the time read inside the write; the new token's iat is taken from it
};

// ---------------------------------------------------------------------------------------------
// Integrations (OAuth 1.0a consumers that may call exchangeExternalCustomerToken)

struct Integration {
  std::int64_t id = 0;  // assigned by storage
  std::string name;
  std::string consumer_key;  // 32 characters; unique
  std::string access_token;  // 32 characters; unique
  // The consumer secret and token secret, encrypted under the host's key (binary; opaque here).
  std::string consumer_secret_sealed;
  std::string token_secret_sealed;
  std::vector<std::string> permissions;  // sorted, unique
  bool active = true;
  TimeMs created_at = 0;
  std::optional<TimeMs> revoked_at;
};

// ---------------------------------------------------------------------------------------------
// Retention: how long what traffic writes is kept (DOMAIN.md, "Retention").
//
// A row is expired, and may go, when:
//   rate_events, rate_buckets  the bucket's newest event is older than the widest window (or
//                              min_interval) any rule has used on it: the bucket and its events go
//                              together;
//   nonces                     expires_at <= now (their timestamp is no longer accepted);
//   secrets                    used_at + grace <= now, or expires_at + grace <= now;
//   opaque_tokens              expires_at + grace <= now;
//   audit                      at + audit <= now (never when audit is 0).

struct RetentionPolicy {
  // How long audit records are kept. 0 keeps them forever. Default: 180 days.
  TimeMs audit = 180 * 24 * kHour;
  // How long used or expired one-time secrets, expired opaque tokens and ended sessions (revoked,
  // or past their maximum age) are kept (so that "expired" can still be told from "mismatched").
  // Default: one day.
  TimeMs grace = 24 * kHour;
  // How many expired rows (rate-limit buckets, for the rate tables) each write that adds to a
  // table removes from it, in the same transaction (0: none). Default: 4.
  int per_write = 4;
};

// What a prune removed, per table.
struct PruneCounts {
  std::int64_t rate_events = 0;
  std::int64_t rate_buckets = 0;
  std::int64_t nonces = 0;
  std::int64_t secrets = 0;
  std::int64_t opaque_tokens = 0;
  std::int64_t audit = 0;
  std::int64_t sessions = 0;

  std::int64_t total() const {
    return rate_events + rate_buckets + nonces + secrets + opaque_tokens + audit + sessions;
  }
};

}  // namespace custauth

#endif  // CUSTAUTH_STORAGE_RECORDS_H_
