// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// CustomerAuth: the facade a host calls, one method per operation of DOMAIN.md. It composes
// Storage, PasswordHasher, the clock and the random source; it owns no SQL and no crypto itself.
//
// Thread safety: one CustomerAuth may be used from many threads at once. Several CustomerAuth
// objects (in one process or several) may share one database; every rule holds across them.
//
// Every method validates its input before touching storage; a refused call changes nothing.
#ifndef CUSTAUTH_AUTH_H_
#define CUSTAUTH_AUTH_H_

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/import.h"
#include "custauth/keys.h"
#include "custauth/otc_store.h"
#include "custauth/password.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/token.h"
#include "custauth/verifier.h"

namespace custauth {

// Who is asking, passed through every operation: used for rate limits and the audit trail.
struct RequestContext {
  std::string client_ip;   // e.g. "203.0.113.7"; may be empty
  std::string user_agent;  // may be empty
  std::string actor;       // e.g. "cli", "admin:7"; may be empty
};

// The secrets generateCustomerToken accepts as its `password`, in the platform's order.
enum class SecretSource : int {
  kAccountPassword = 0,  // the customer's password
  kResetToken = 1,       // a password-reset token (one-time; consumed even though unchanged)
  kAdminOtc = 2,         // an admin's Login-as-Customer code (one-time; needs consent)
};

// The longest duration AuthOptions accepts (lifetimes, lock durations and windows, leeway, the
// revocation bound, waits): 100 years, so that `now + duration` can never overflow. Open refuses
// more with kInvalidInput.
inline constexpr TimeMs kMaxDuration = 100 * 366 * 24 * kHour;

struct AuthOptions {
  // Required: what custauth signs and keys hashes with (see keys.h; GenerateKeys for new ones).
  Keys keys;
  // Token format, lifetime, leeway, revocation bound. Default: JWT, 60 minutes.
  TokenOptions tokens;
  // Applied when a password is set. Default: the platform's.
  PasswordPolicy password_policy;
  // Argon2id parameters and the concurrency limit. Default: the platform's (ops 2, 64 MiB).
  Argon2Options argon2;
  // Default: 10 failures within 10 minutes lock for 10 minutes.
  LockoutPolicy lockout;
  // The token-request throttle (the platform's oauth/authentication_lock), keyed by the email as
  // given (case-folded) and the website, unknown emails included; checked before the account
  // lock and before any hash. Default: 6 failures, each pushing the expiry to now + 1800 s; a
  // success clears it. max_failures 0 turns it off.
  ThrottlePolicy login_throttle;
  // How long a login attempt taken and never settled (its process crashed) keeps counting
  // against the throttle and the lock. Default: 1 minute.
  TimeMs login_attempt_lifetime = kMinute;
  // generateCustomerToken's chain (custauth/verifier.h): the verifiers the `password` is offered
  // to, in order; the first that matches decides. A host may reorder or drop the built-ins
  // (AccountPasswordVerifier, ResetTokenVerifier, AdminOtcVerifier) and add its own. Names must
  // be valid and unique; at most 16 verifiers. Empty (the default): the built-ins verifier_chain
  // names, in its order.
  std::vector<std::shared_ptr<PasswordVerifier>> verifiers;
  // The chain as built-ins only, used when `verifiers` is empty. Default: the platform's.
  std::vector<SecretSource> verifier_chain = {SecretSource::kAccountPassword,
                                              SecretSource::kResetToken, SecretSource::kAdminOtc};
  // A verifier that runs longer than this yields kBusy and never a token (it cannot be
  // interrupted: the bound is judged when it returns). Default: 10 s.
  TimeMs verifier_time_limit = 10 * kSecond;
  // Default: 2 hours.
  TimeMs reset_token_lifetime = 2 * kHour;
  // Password-reset requests: at most this many per hour per email and per client IP, and at
  // least reset_min_interval apart per email. Default: the platform's 5, 5 and 10 minutes.
  int reset_max_per_email = 5;
  int reset_max_per_ip = 5;
  TimeMs reset_min_interval = 10 * kMinute;
  // Lifetime of an admin one-time code. Default: 30 s.
  TimeMs otc_lifetime = 30 * kSecond;
  // OAuth 1.0a: how far a request's oauth_timestamp may be from now, either way; nonces are kept
  // as long. Default: 600 s.
  TimeMs oauth_timestamp_window = 600 * kSecond;
  // Expired OAuth nonces are pruned after every this many exchanges of a handle. Default: 256.
  // (Each insert of a nonce also removes a few expired ones; see audit_retention_days.)
  int oauth_nonce_prune_every = 256;
  // Retention (DOMAIN.md): how many days audit records are kept; 0 keeps them forever. Open
  // refuses a negative value or more than 36,600 (100 years) with kInvalidInput. Every write
  // that adds to a table that grows with traffic (rate-limit events and buckets, nonces,
  // one-time secrets, opaque tokens, audit) removes a few expired rows of it
  // (Storage::set_retention); prune() removes all of them at once. Default: 180.
  int audit_retention_days = 180;
  // exchange_external_customer_token: refuse a request whose body is neither empty nor a form
  // unless it carries oauth_body_hash (the OAuth Request Body Hash extension), so that the
  // signature covers the body the host builds `input` from. An oauth_body_hash that is present is
  // checked either way. Default: false (integrations that do not send one keep working).
  bool exchange_require_body_hash = false;
  // Default (null): SystemClock::Shared().
  std::shared_ptr<Clock> clock;
  // Default (null): SystemRandom::Shared().
  std::shared_ptr<Random> random;

  // A test handle, for a shop's own test suite (custauth/testing.h): its clock is a ManualClock
  // that test_set_time / test_advance move (`clock`, when given, must be one; default: a
  // ManualClock at 2025-05-29 06:17:01 UTC), test_seed makes its random values reproducible, and
  // test_last_secret reads back the reset tokens and admin codes it issued. A handle opened
  // without test_mode refuses all of these with kForbidden, so production code can never move
  // time. Empty `keys` are allowed on a test handle: they are derived from test_seed (or drawn at
  // random without one). Default: false.
  bool test_mode = false;
  // REQUIRES test_mode (else Open refuses with kForbidden) and no `random`: every random value of
  // the handle (reset tokens, admin codes, opaque tokens, integration credentials and their seal
  // nonces, legacy fixture salts, derived keys) comes from SeededRandom(*test_seed), so the same
  // seed and the same calls give the same values. Argon2id salts are the exception: libsodium
  // draws them itself, so password hash strings differ between runs (no result shows them).
  std::optional<std::uint64_t> test_seed;
};

// The fields of a new customer, as a host passes them.
struct CustomerInput {
  std::int64_t website_id = kDefaultWebsiteId;
  std::string email;
  std::string firstname;
  std::string lastname;
  // Absent: the customer has no password (e.g. created by an external login).
  std::optional<std::string> password;
  bool is_subscribed = false;
  bool confirmed = true;
  bool allow_remote_shopping_assistance = false;
};

// What update_customer may change; unset fields stay as they are.
struct CustomerUpdate {
  std::optional<std::string> firstname;
  std::optional<std::string> lastname;
  std::optional<bool> is_subscribed;
  std::optional<bool> confirmed;
  // false deactivates the customer and revokes their tokens.
  std::optional<bool> is_active;
  // false voids outstanding admin one-time codes at once.
  std::optional<bool> allow_remote_shopping_assistance;
};

// An HTTP request as the host received it: what OAuth 1.0a signatures cover.
struct HttpRequest {
  std::string method;  // e.g. "POST"
  std::string url;     // absolute, as the client addressed it: "https://shop.example/graphql"
  std::string authorization;  // the Authorization header's value; may be empty (query/body params)
  std::string content_type;   // the Content-Type header's value
  std::string body;           // signed when content_type is application/x-www-form-urlencoded
};

// The permission an integration needs for exchange_external_customer_token.
inline constexpr std::string_view kPermissionExchangeExternalCustomerToken =
    "exchange_external_customer_token";

// An integration's four credentials, returned once, at creation.
struct IntegrationCredentials {
  Integration integration;      // what storage keeps (secrets sealed)
  std::string consumer_key;     // 32 characters
  std::string consumer_secret;  // 32 characters
  std::string access_token;     // 32 characters
  std::string token_secret;     // 32 characters
};

struct ExternalLoginResult {
  Customer customer;
  std::string token;
  bool created = false;         // the customer was created by this call
  TimeMs expires_at = 0;        // the token's expiry (ms since the epoch)
  std::int64_t session_id = 0;  // the token's session (sessions on); 0: none
};

class CUSTAUTH_EXPORT CustomerAuth {
 public:
  // REQUIRES: storage != nullptr. The CustomerAuth shares ownership of storage.
  static Result<std::unique_ptr<CustomerAuth>> Open(std::shared_ptr<Storage> storage,
                                                    AuthOptions options = {});

  CustomerAuth(const CustomerAuth&) = delete;
  CustomerAuth& operator=(const CustomerAuth&) = delete;
  ~CustomerAuth();

  // Creates a customer. kInvalidInput (bad email, names or password policy, with the message of
  // the first broken rule), kAlreadyExists (email taken on the website), kBusy, kStorage.
  Result<Customer> create_customer(const CustomerInput& input, const RequestContext& ctx = {});

  // Looks a customer up. kInvalidInput (empty or invalid email), kNotFound.
  Result<Customer> find_customer(std::string_view email,
                                 std::int64_t website_id = kDefaultWebsiteId);
  Result<Customer> find_customer_by_id(std::int64_t id);

  // Updates the customer with this email. kInvalidInput, kNotFound, kStorage.
  Result<Customer> update_customer(std::string_view email, const CustomerUpdate& update,
                                   const RequestContext& ctx = {},
                                   std::int64_t website_id = kDefaultWebsiteId);

  // Erases the customer with this email (the right to erasure; Storage::delete_customer): the
  // customer, its one-time secrets, opaque tokens and lock state go in one transaction; its
  // tokens are refused at once through this handle and within tokens.revocation_refresh through
  // others; its audit records keep event and time but lose email, client IP and the other
  // personal fields. Audited as "customer.delete" with the id (no email, no IP). Ids are never
  // reused. Returns the customer as it was. kInvalidInput, kNotFound, kStorage, kUnsupported (a
  // storage without erasure).
  Result<Customer> delete_customer(std::string_view email, const RequestContext& ctx = {},
                                   std::int64_t website_id = kDefaultWebsiteId);

  // generateCustomerToken: the `password` is tried against the verifier chain (by default the
  // account password, then a reset token, then an admin one-time code; AuthOptions::verifiers);
  // the first match wins and yields a token. kInternal / kBusy when a verifier failed
  // (custauth/verifier.h).
  // kInvalidInput (empty email or password, DOMAIN.md's messages); kAuthenticationFailed (unknown
  // email, wrong secret, locked or inactive account: one message for all); kNotConfirmed (right
  // secret, unconfirmed account); kBusy; kStorage.
  Result<std::string> generate_customer_token(std::string_view email, std::string_view password,
                                              const RequestContext& ctx = {},
                                              std::int64_t website_id = kDefaultWebsiteId);

  // generate_customer_token with what a client needs besides the token: its expiry and, with
  // sessions on (TokenOptions::sessions), the session it began. The same chain, rules and
  // refusals; generate_customer_token returns this token.
  Result<IssuedToken> sign_in(std::string_view email, std::string_view password,
                              const RequestContext& ctx = {},
                              std::int64_t website_id = kDefaultWebsiteId);

  // Issues a password-reset token for the customer, replacing any earlier one, and returns it for
  // the host to mail. For an unknown email: OK with no token (the same outward result).
  // kInvalidInput; kRateLimited (DOMAIN.md's message).
  Result<std::optional<std::string>> request_password_reset(
      std::string_view email, const RequestContext& ctx = {},
      std::int64_t website_id = kDefaultWebsiteId);

  // Sets a new password with a reset token: the policy applies; the token is consumed; the lock
  // is cleared; the customer's tokens are revoked. kInvalidInput (policy, or the token is
  // mismatched: DOMAIN.md's message); kExpired (DOMAIN.md's message).
  Status reset_password(std::string_view email, std::string_view token,
                        std::string_view new_password, const RequestContext& ctx = {},
                        std::int64_t website_id = kDefaultWebsiteId);

  // Changes a password given the current one; revokes the customer's tokens.
  // kAuthenticationFailed (wrong current password; counts towards the lock), kInvalidInput.
  Status change_password(std::string_view email, std::string_view current_password,
                         std::string_view new_password, const RequestContext& ctx = {},
                         std::int64_t website_id = kDefaultWebsiteId);

  // Login as Customer: a new one-time code (32 lowercase hex characters) for an admin, replacing
  // the customer's earlier code. kForbidden when the customer has not consented (DOMAIN.md's
  // message); kNotFound; kInvalidInput (admin_id must be positive).
  Result<std::string> issue_otc(std::string_view email, std::int64_t admin_id,
                                std::string_view reason, const RequestContext& ctx = {},
                                std::int64_t website_id = kDefaultWebsiteId);

  // Exchanges an admin one-time code for a customer token directly (the same rules as the code's
  // step of generate_customer_token), with its expiry (and session, with sessions on).
  Result<IssuedToken> exchange_otc(std::string_view email, std::string_view code,
                                   const RequestContext& ctx = {},
                                   std::int64_t website_id = kDefaultWebsiteId);

  // The claims of a valid customer token (see TokenIssuer::verify). Never writes.
  Result<TokenClaims> verify_token(std::string_view token);

  // Revokes every token issued to the customer up to now. kNotFound, kInvalidInput.
  Status revoke_customer_tokens(std::string_view email, const RequestContext& ctx = {},
                                std::int64_t website_id = kDefaultWebsiteId);

  // --- Sessions (TokenOptions::sessions; README, "Sessions") ---

  // A fresh token for the session of a valid token: a new lifetime, capped at the session's
  // maximum age (TokenOptions::max_session_age from its sign-in). The old token keeps its own
  // expiry. Decided by one storage write (Storage::renew_session): refused with kInvalidToken
  // ("The session has been revoked.", "The token has been revoked.", or verify_token's message),
  // kExpired ("The token has expired."; "The session has reached its maximum age."),
  // kAuthenticationFailed (an inactive, locked or deleted customer: DOMAIN.md's sign-in
  // message), kInvalidInput ("The token has no session." — issued with sessions off).
  Result<IssuedToken> renew_token(std::string_view token, const RequestContext& ctx = {});
  // Signs out one device: the token's session is revoked, so that every token of it is refused
  // (at once through this handle; within tokens.revocation_refresh through others). The token
  // must verify (an expired one will not do: its session ends by itself). Audited as
  // "session.revoke". kInvalidToken / kExpired (verify_token's), kInvalidInput ("The token has no
  // session.").
  Status revoke_session(std::string_view token, const RequestContext& ctx = {});
  // The customer's live sessions, oldest first: not revoked, before their maximum age, and with a
  // token that may still be valid (renewed, or begun, within the token lifetime). kInvalidInput,
  // kNotFound.
  Result<std::vector<SessionRecord>> list_sessions(std::string_view email,
                                                   std::int64_t website_id = kDefaultWebsiteId);

  // --- Integrations and exchangeExternalCustomerToken ---

  // Creates an integration with fresh credentials; its secrets are sealed under keys.seal_key.
  // kInvalidInput (empty or over-long name, unknown permission).
  Result<IntegrationCredentials> create_integration(std::string_view name,
                                                    const std::vector<std::string>& permissions,
                                                    const RequestContext& ctx = {});
  // Stores an integration that already has credentials (moved over from the platform), so that
  // its signatures keep verifying: the four values of `credentials` (32 letters and digits each;
  // its `integration` is ignored). The secrets are sealed as create_integration's are.
  // kInvalidInput; kAlreadyExists when the consumer key or access token is taken.
  Result<IntegrationCredentials> import_integration(std::string_view name,
                                                    const std::vector<std::string>& permissions,
                                                    const IntegrationCredentials& credentials,
                                                    const RequestContext& ctx = {});
  Result<std::vector<Integration>> list_integrations();
  // Revokes an integration: its signatures stop verifying at once. kNotFound.
  Status revoke_integration(std::string_view consumer_key, const RequestContext& ctx = {});
  // Replaces an integration's permissions. kNotFound, kInvalidInput.
  Status set_integration_permissions(std::string_view consumer_key,
                                     const std::vector<std::string>& permissions,
                                     const RequestContext& ctx = {});

  // exchangeExternalCustomerToken: `request` must carry a valid OAuth 1.0a signature of an
  // active integration holding kPermissionExchangeExternalCustomerToken; `input_json` is the
  // mutation's `input` object, {"customer": CustomerCreateInput}. Finds the customer by email or
  // creates it (confirmed, no password) exactly once, and returns it with a customer token.
  // kInvalidInput for a malformed OAuth request (header syntax, percent-encoding, duplicate or
  // missing oauth_* parameters) and, with DOMAIN.md's messages, for the input; kUnsupported for a
  // signature method other than HMAC-SHA256/HMAC-SHA1 or an oauth_version other than "1.0";
  // kForbidden for everything else about the caller: key or token length, timestamp outside the
  // window, invalid signature ("The signature is invalid. Verify and try again."), a replayed
  // nonce, an oauth_body_hash that does not match request.body (or none when
  // exchange_require_body_hash asks for one: the signature message), an unknown or revoked
  // integration or a missing permission ("You do not have permission to access this resource.");
  // kAuthenticationFailed / kNotConfirmed for an existing customer who could not sign in
  // otherwise (inactive / unconfirmed); kStorage. The nonce is spent as soon as the signature and
  // the timestamp passed: a request refused after that (permission, input, the customer's state)
  // changes nothing else, is audited ("exchange.refused", naming the integration and the email it
  // targeted), and cannot be sent again. A request refused before that leaves its nonce unused.
  // The host must build `input_json` from request.body (the bytes the body hash covers).
  Result<ExternalLoginResult> exchange_external_customer_token(
      const HttpRequest& request, std::string_view input_json, const RequestContext& ctx = {},
      std::int64_t website_id = kDefaultWebsiteId);

  // The same, shaped for a GraphQL host: {"data":{"exchangeExternalCustomerToken":{"customer":
  // {email, firstname, lastname, is_subscribed}, "token": "…"}}} or {"errors":[…]} (with
  // "path"). graphql::ExchangeExternalCustomerToken (custauth/graphql.h) is the same answer with
  // an alias, a selection set and the status.
  std::string exchange_external_customer_token_graphql(const HttpRequest& request,
                                                       std::string_view input_json,
                                                       const RequestContext& ctx = {},
                                                       std::int64_t website_id = kDefaultWebsiteId);

  // --- Moving from the platform (custauth/import.h) ---

  // Imports the platform's customer_entity export (CSV or JSON Lines): entity_id becomes the
  // customer's id, password hashes are kept as they are (upgraded at each customer's next login),
  // lock state and times are kept. Bad rows are reported with their line and skipped (or stop the
  // import with options.strict). Audited once, as "customer.import". The report's status says
  // whether the whole file was read.
  ImportReport import_customers(const std::string& path, const ImportOptions& options = {},
                                const RequestContext& ctx = {});
  ImportReport import_customers(std::istream& in, const ImportOptions& options = {},
                                const RequestContext& ctx = {});
  // Imports the platform's jwt_auth_revoked rows (user_type_id, user_id, revoke_before): the
  // customer's tokens issued at or before revoke_before stop verifying. Rows of other user types
  // and of customers not stored here are counted, not refused. options.on_conflict is unused.
  ImportReport import_revocations(const std::string& path, const ImportOptions& options = {},
                                  const RequestContext& ctx = {});
  ImportReport import_revocations(std::istream& in, const ImportOptions& options = {},
                                  const RequestContext& ctx = {});

  // The audit trail.
  Result<std::vector<AuditRecord>> list_audit(const AuditQuery& query);

  // Removes everything past its retention now (retention(); Storage::prune) and returns how many
  // rows went per table. kStorage; kUnsupported (a storage that cannot prune).
  Result<PruneCounts> prune();
  // The retention this handle applies, from its options.
  RetentionPolicy retention() const;

  // --- Test handles only (AuthOptions::test_mode; fixtures are in custauth/testing.h) ---
  // Each refuses with kForbidden on a handle opened without test_mode.

  // Whether this handle was opened with test_mode.
  bool is_test_handle() const;
  // Sets the handle's clock to `now` (ms since the epoch; earlier than now is fine).
  // kInvalidInput when negative.
  Status test_set_time(TimeMs now);
  // Moves the handle's clock forward by `delta` ms. kInvalidInput when negative or overflowing.
  Status test_advance(TimeMs delta);
  // The last password-reset token (kPasswordReset) or admin one-time code (kAdminOtc) this handle
  // issued to the customer, used or not: what a test would otherwise fish out of a mailbox.
  // kNotFound when the customer does not exist or this handle issued them none.
  Result<std::string> test_last_secret(SecretKind kind, std::string_view email,
                                       std::int64_t website_id = kDefaultWebsiteId);

  const AuthOptions& options() const;
  TokenIssuer& tokens();
  // The handle's one-time secrets (admin codes, reset tokens).
  OtcStore& otc_store();
  Storage& storage();
  PasswordHasher& hasher();
  Clock& clock();

 private:
  struct Impl;
  explicit CustomerAuth(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Validates a customer's first or last name: not empty after trimming, at most 255 bytes, no
// control bytes, valid UTF-8. `field` is "First Name" or "Last Name" (used in the message).
CUSTAUTH_EXPORT Status ValidateName(std::string_view name, std::string_view field);

}  // namespace custauth

#endif  // CUSTAUTH_AUTH_H_
