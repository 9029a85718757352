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
// conformance suite (tests/storage_conformance_test.cpp) pins every contract below and runs against
// each backend.
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

namespace custauth {

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
  Customer ToCustomer(std::int64_t assigned_id, TimeMs now) const {
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
  Customer ToCustomer() const {
    Customer c = customer.ToCustomer(customer.id, created_at);
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

// Applies one failed login to c's failures_num, first_failure and lock_expires, by the rule
// Storage::record_login_failure documents, and returns the state after it. Pure: for backends,
// which read the customer and write these fields back in one transaction.
CUSTAUTH_EXPORT LockState ApplyLoginFailure(Customer& c, TimeMs now, const LockoutPolicy& policy);

// The revocation time to store when revoking at `now` a customer whose tokens were last revoked at
// `previous`. Tokens carry iat in whole seconds, and a token issued in the same second as a
// revocation gets the next second as its iat (TokenIssuer::issue); a second revocation within that
// second must cover such tokens too, so it is moved to the start of the next second.
inline TimeMs RevocationTime(TimeMs previous, TimeMs now) {
  if (previous > 0 && previous / 1000 >= now / 1000) return (previous / 1000 + 1) * 1000;
  return now;
}

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

// ---------------------------------------------------------------------------------------------
// Erasure (Storage::delete_customer): what a backend removes and rewrites. Pure, for backends.

// Whether `text` holds `email` (ASCII case-insensitively) as a whole address: not as the tail or
// head of a longer one ("xa@b.co" does not hold "a@b.co", "a@b.com" does not either).
CUSTAUTH_EXPORT bool TextNamesEmail(std::string_view text, std::string_view email);

// Whether delete_customer(c.id) rewrites `r`: r.customer_id is c.id, or r.detail names c's email
// (TextNamesEmail; on any website: a detail does not say which).
CUSTAUTH_EXPORT bool AuditRecordNamesCustomer(const AuditRecord& r, const Customer& c);

// Erases `c` from a record that names it: keeps id, at, event, customer_id and admin_id; clears
// client_ip; clears actor when it is "customer:<id>" or names the email, reason when it names the
// email; drops from detail (a JSON object) every member or array element whose string names the
// email and, in c's own records, the members "email", "firstname", "lastname", "client_ip" and
// "user_agent" at any depth (a detail that is not JSON and names the email becomes ""). Returns
// whether anything changed.
CUSTAUTH_EXPORT bool EraseCustomerFromAuditRecord(AuditRecord& r, const Customer& c);

// The suffixes (":" + value) of the rate-limit bucket names delete_customer removes: the email's
// EmailKey and each non-empty client IP of the customer's records (`client_ips`), without
// duplicates. A bucket goes when its name ends with one of them (RateBucketNamesErased).
CUSTAUTH_EXPORT std::vector<std::string> ErasedRateBucketSuffixes(
    const Customer& c, std::span<const std::string> client_ips);
CUSTAUTH_EXPORT bool RateBucketNamesErased(std::string_view bucket,
                                           std::span<const std::string> suffixes);

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
  // How long used or expired one-time secrets and expired opaque tokens are kept (so that
  // "expired" can still be told from "mismatched"). Default: one day.
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

  std::int64_t total() const {
    return rate_events + rate_buckets + nonces + secrets + opaque_tokens + audit;
  }
};

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
  // kNotFound; kConflict (see CustomerPatch::expect_password_hash).
  virtual Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch,
                                           TimeMs now) = 0;

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
  // The id is never assigned again (ids are never reused). `now` is the time of the erasure.
  // kNotFound; kStorage. The built-in backends all implement it; the default refuses with
  // kUnsupported (a backend written before erasure).
  virtual Result<Customer> delete_customer(std::int64_t id, TimeMs now);

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
  // rehashes, and returns the customer with the time read.
  virtual Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,
                                              const Clock& clock);

  // Settles the attempt into a failure: gives it back, adds one failure to the throttle key (its
  // expiry pushed to now + throttle.lifetime) and to the customer as record_login_failure does
  // (customer_id > 0 and still there). Returns the customer's lock state after it.
  virtual Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now);

  // Gives the attempt back without counting anything (the flow failed before deciding).
  virtual Status release_login_attempt(const LoginAttempt& attempt, TimeMs now);

  // The throttle's state for (website_id, email_key) at `now`.
  virtual Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,
                                               TimeMs now);

  // --- One-time secrets ---

  // Stores `s` as the customer's live secret of its kind, replacing (voiding) any earlier one
  // (s.used_at is ignored: a stored secret is unused).
  // kNotFound when the customer does not exist.
  virtual Status put_secret(const SecretRecord& s) = 0;

  // Consumes the customer's live secret of `kind` whose hash equals `hash`: marks it used at `now`
  // and returns it. Exactly one of any number of racing callers succeeds. kNotFound when there is
  // no unused secret with that hash (never issued, replaced, voided or already used); kExpired when
  // there is one but now >= expires_at (it stays unused).
  virtual Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,
                                              std::string_view hash, TimeMs now) = 0;

  // Voids the customer's unused secret of `kind`, if any. OK when there is none.
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

  // A number that changes whenever any customer's tokens_revoked_at changes, in this process or
  // another sharing the data. Cheap: verifiers poll it to keep a cache of revocation times.
  virtual Result<std::uint64_t> revocation_epoch() = 0;

  // --- Opaque tokens ---

  // kAlreadyExists on a hash collision.
  virtual Status put_opaque_token(const OpaqueTokenRecord& t) = 0;
  // kNotFound. (Expiry is checked by the caller.)
  virtual Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) = 0;
  // Deletes tokens with expires_at <= before; returns how many.
  virtual Result<std::int64_t> prune_opaque_tokens(TimeMs before) = 0;

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
