/* custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
 *
 * The C ABI of custauth: customer authentication for commerce servers.
 *
 * One function per operation of custauth (see include/custauth/auth.h for the C++ facade it
 * wraps), plus custauth_call(): ONE entry point that runs every operation by name with JSON
 * arguments, for hosts that reach custauth through an FFI (PHP FFI, Python ctypes) and would
 * rather declare one function than twenty.
 *
 * Conventions
 *   - Names: custauth_<noun>_<verb>, the thing acted on first (custauth_customer_create,
 *     custauth_token_verify, custauth_otc_issue, custauth_password_reset_request,
 *     custauth_keys_generate); a variant appends to the verb (custauth_token_verify_claims,
 *     custauth_open_json_with_verifiers). Functions that act on the handle or the library as a
 *     whole are custauth_<verb> (custauth_open, custauth_close, custauth_free, custauth_prune,
 *     custauth_call); readers that do nothing but return a value are custauth_<noun>_<what>
 *     (custauth_error_last, custauth_code_name, custauth_libversion_number). Functions for test
 *     handles only are custauth_test_<noun>_<verb> (custauth_test_clock_set). Two keep the names
 *     of the platform's GraphQL mutations they implement: custauth_generate_customer_token
 *     (generateCustomerToken) and custauth_exchange_external_customer_token
 *     (exchangeExternalCustomerToken).
 *   - Functions return int: CUSTAUTH_OK (0) on success, a negative CUSTAUTH_E* code on failure.
 *     The codes are those of custauth::Code (status.h): stable, never renumbered, only added.
 *   - On failure, custauth_error_last() holds the message for this thread (for the operations of
 *     custauth, exactly the platform's messages, e.g. "Specify the \"email\" value.") and
 *     custauth_error_last_code() the code. Both are reset at the start of every function except
 *     custauth_error_last*, custauth_free, custauth_close, custauth_libversion* and
 *     custauth_code_*. The message never is NULL (empty when there was no error); its memory
 *     belongs to the library and stays valid until the next custauth call on the same thread.
 *   - Out-parameters come first; a function with one names it `out`. `char*` results are
 *     allocated by the library, NUL-terminated, and released with custauth_free() (which zeroes
 *     them first: they may hold tokens and codes). On failure *out is set to NULL, except where a
 *     function says otherwise.
 *   - custauth_close(NULL) and custauth_free(NULL) do nothing.
 *   - Composite results are JSON objects (UTF-8): customers, token claims, audit records,
 *     integrations. Times in them are "YYYY-MM-DD HH:MM:SS" UTC, as the platform shows them.
 *   - No C++ exception ever crosses this boundary: a failure inside custauth that is not one of
 *     the codes below is reported as CUSTAUTH_EINTERNAL.
 *
 * Threads: one custauth_t may be used from many threads at once (every operation is safe to call
 * concurrently on one handle). custauth_close() must not run concurrently with other calls on the
 * same handle. Several handles, in one process or several, may share one SQLite database: every
 * rule (one-time secrets used once, lockout counts, rate limits) holds across them.
 *
 * Processes and fork(): open handles AFTER fork(), in the process that uses them (for pre-forking
 * servers: in each worker, e.g. on its first request), and close every handle on a SQLite file
 * BEFORE fork() in a process that will fork. Never carry a handle across fork(): a child that
 * calls a function on a handle its parent opened gets CUSTAUTH_EINVALID, and custauth_close() of
 * such a handle in the child releases nothing the parent still uses (it deliberately leaks the
 * child's copy rather than touch the parent's database connections). SQLite keeps its locks per
 * process and file, so a new connection in that child to the same file would share the inherited
 * connection's lock state and hold no lock of its own; custauth_open() there refuses that file
 * (any name of it) with CUSTAUTH_EINVALID, a message naming fork(), for as long as the process
 * lives. Other files, "memory:" and PostgreSQL open normally. (The library tells an inherited
 * handle by a process generation that a pthread_atfork handler bumps: no system call per call.)
 *
 * This header is C99 and C++ clean; it does not include the C++ headers. */
#ifndef CUSTAUTH_CUSTAUTH_H_
#define CUSTAUTH_CUSTAUTH_H_

#include <stddef.h>
#include <stdint.h>

/* CUSTAUTH_C_EXPORT marks the functions of the C ABI; everything else in the library is hidden. */
#if defined(CUSTAUTH_STATIC_DEFINE)
#define CUSTAUTH_C_EXPORT
#elif defined(_WIN32)
#if defined(CUSTAUTH_BUILDING)
#define CUSTAUTH_C_EXPORT __declspec(dllexport)
#else
#define CUSTAUTH_C_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define CUSTAUTH_C_EXPORT __attribute__((visibility("default")))
#else
#define CUSTAUTH_C_EXPORT
#endif

/* The result of a function so marked must be checked (a token that does not verify, a login that
 * failed). */
#if defined(__GNUC__)
#define CUSTAUTH_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#else
#define CUSTAUTH_WARN_UNUSED_RESULT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Version: what the host compiled against (macros, the same as custauth/version.h) and what it
 * runs with (functions). */
#define CUSTAUTH_VERSION_MAJOR 0
#define CUSTAUTH_VERSION_MINOR 1
#define CUSTAUTH_VERSION_PATCH 0
#define CUSTAUTH_VERSION_STRING "0.1.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH */
#define CUSTAUTH_VERSION_NUMBER 1000

/* The runtime library's CUSTAUTH_VERSION_STRING, e.g. "0.1.0". Never NULL; owned by the library. */
CUSTAUTH_C_EXPORT const char* custauth_libversion(void);
/* The runtime library's CUSTAUTH_VERSION_NUMBER. */
CUSTAUTH_C_EXPORT int custauth_libversion_number(void);

/* ---------------------------------------------------------------------------------------------
 * Return codes: 0 or one of these, the numbers of custauth::Code. */
#define CUSTAUTH_OK 0
#define CUSTAUTH_EINVALID (-1)      /* a malformed or missing argument; nothing was touched */
#define CUSTAUTH_ENOTFOUND (-2)     /* no such customer, secret, integration or key file */
#define CUSTAUTH_EEXISTS (-3)       /* a unique key is taken (email on a website, ...) */
#define CUSTAUTH_EAUTH (-4)         /* wrong credentials, unknown email, locked or inactive */
#define CUSTAUTH_ENOTCONFIRMED (-5) /* right secret, but the account is not confirmed */
#define CUSTAUTH_ELOCKED (-6)       /* the account is locked (a login says EAUTH) */
#define CUSTAUTH_EEXPIRED (-7)      /* a token, code or reset token is past its lifetime */
#define CUSTAUTH_EFORBIDDEN (-8)    /* missing permission or consent */
#define CUSTAUTH_ERATELIMITED (-9)  /* too many requests */
#define CUSTAUTH_EUNSUPPORTED (-10) /* a valid but unsupported choice */
#define CUSTAUTH_ESTORAGE (-11)     /* the storage failed (I/O, corruption, lock timeout) */
#define CUSTAUTH_EBUSY (-12)        /* a resource limit was reached (Argon2 concurrency) */
#define CUSTAUTH_ECONFLICT (-13)    /* lost a race with a concurrent change; retry */
#define CUSTAUTH_EINTERNAL (-14)    /* a bug or an unexpected failure inside custauth */
#define CUSTAUTH_EINVALIDTOKEN                                       \
  (-15) /* a token that does not verify (signature, format, revoked) \
         */

/* The name of a code ("ok", "invalid_input", "not_found", "already_exists",
 * "authentication_failed", "not_confirmed", "locked", "expired", "forbidden", "rate_limited",
 * "unsupported", "storage", "busy", "conflict", "internal", "invalid_token"), or "unknown".
 * Never NULL; owned by the library. */
CUSTAUTH_C_EXPORT const char* custauth_code_name(int code);
/* The GraphQL error category a host reports for a code ("graphql-input",
 * "graphql-authentication", "graphql-authorization", "graphql-no-such-entity", "internal", ...).
 * Never NULL; owned by the library. */
CUSTAUTH_C_EXPORT const char* custauth_code_category(int code);

/* The message of the last failure on this thread; "" when the last call succeeded. Never NULL;
 * owned by the library; valid until the next custauth call on this thread. */
CUSTAUTH_C_EXPORT const char* custauth_error_last(void);
/* The code of the last failure on this thread; CUSTAUTH_OK when the last call succeeded. */
CUSTAUTH_C_EXPORT int custauth_error_last_code(void);

/* Releases a string the library returned. NULL: nothing happens. */
CUSTAUTH_C_EXPORT void custauth_free(void* ptr);

/* ---------------------------------------------------------------------------------------------
 * Options of a handle. Versioned: set `version` with CUSTAUTH_OPTIONS_INIT or
 * custauth_options_init(); later versions only append fields, and the library reads only the
 * fields of the version the host set.
 *
 * Every numeric field reads 0 as "the default", so a zeroed struct (with its version set) is the
 * default configuration. Where the C++ option can be switched off, a negative value does that.
 *
 * Version 2 appended test_flags and test_seed; version 3 exchange_require_body_hash; version 4
 * login_throttle_max_failures, login_throttle_lifetime_s and audit_retention_days; version 5
 * sessions and max_session_age_s. A struct of an older version (a host compiled against an older
 * custauth.h) is still accepted: the library reads only the fields of its version. */
#define CUSTAUTH_OPTIONS_VERSION 5

/* Bits of custauth_options.test_flags (version 2). */
#define CUSTAUTH_TEST_HANDLE 0x1u /* a test handle: see "Test handles" below */
#define CUSTAUTH_TEST_SEEDED 0x2u /* test_seed is given; REQUIRES CUSTAUTH_TEST_HANDLE */

#define CUSTAUTH_TOKEN_JWT 0    /* platform-compatible JWT (HS256, kid "1" by default) */
#define CUSTAUTH_TOKEN_OPAQUE 1 /* 32 characters [a-z0-9], stored as a keyed hash */

#define CUSTAUTH_SYNCHRONOUS_FULL 0 /* every acknowledged write survives a power loss */
#define CUSTAUTH_SYNCHRONOUS_NORMAL                          \
  1 /* the last writes may be lost on power loss (never on a \
       process crash) */

typedef struct custauth_options {
  unsigned int version; /* CUSTAUTH_OPTIONS_VERSION */

  /* The keys, in the key-file format of custauth/keys.h ({"version":1,"secret_key":"<base64>",
   * "seal_key":"<base64>","jwt_keys":[{"kid":"1","secret":"<base64>"}|
   * {"kid":"1","platform_crypt_key":"..."}]}): at most one of
   *   key_file:  the path of a key file (mode 0600, as `custauth init` writes it);
   *   keys_json: the same JSON, given directly (e.g. from the host's secret store).
   * Default (both NULL): for a SQLite database, the key file beside it ("shop.db" -> "shop.key");
   * for "memory:", fresh random keys. custauth_keys_generate() makes new keys. */
  const char* key_file;
  const char* keys_json;

  int token_format;              /* CUSTAUTH_TOKEN_JWT (default) or CUSTAUTH_TOKEN_OPAQUE */
  int64_t token_lifetime_s;      /* default 3600 (the platform's 60 minutes) */
  int64_t token_leeway_s;        /* clock skew allowed on exp; default 5; negative: none */
  int64_t revocation_refresh_ms; /* bound on seeing another process's revocation; default 1000;
                                    negative: ask storage on every verify */

  int lockout_max_failures;   /* failures that lock; default 10; negative: never lock */
  int64_t lockout_duration_s; /* default 600 */
  int64_t lockout_window_s;   /* default 600 */

  int64_t reset_token_lifetime_s; /* default 7200 (2 hours) */
  int64_t otc_lifetime_s;         /* admin one-time codes; default 30 */

  uint64_t argon2_opslimit;  /* Argon2id passes; default 2 */
  uint64_t argon2_memlimit;  /* Argon2id bytes; default 67108864 (64 MiB) */
  int argon2_max_concurrent; /* Argon2id computations at once per handle; default 4 */

  int sqlite_synchronous;     /* CUSTAUTH_SYNCHRONOUS_FULL (default) or _NORMAL */
  int sqlite_busy_timeout_ms; /* how long a writer waits for a lock; default 5000 */

  /* Version 2. */
  unsigned int test_flags; /* CUSTAUTH_TEST_HANDLE, CUSTAUTH_TEST_SEEDED; default 0 (a normal
                              handle, which refuses every custauth_test_* with
                              CUSTAUTH_EFORBIDDEN, and a seed with CUSTAUTH_EFORBIDDEN) */
  uint64_t test_seed;      /* with CUSTAUTH_TEST_SEEDED: every random value of the handle comes
                              from this seed (see "Test handles") */

  /* Version 3. */
  int exchange_require_body_hash; /* nonzero: custauth_exchange_external_customer_token refuses a
                                     request whose body is neither empty nor a form unless it
                                     carries oauth_body_hash (the signature message); default 0.
                                     A body hash that is sent is checked either way (README,
                                     "The body of a signed request") */

  /* Version 4. The token-request throttle (README, "The token-request throttle"): per email as
     given (case-folded) and website, unknown emails too, checked before the account lock. */
  int login_throttle_max_failures;   /* failures that close an email; default 6; negative: off */
  int64_t login_throttle_lifetime_s; /* each failure pushes the expiry to now + this; default
                                        1800 */
  int audit_retention_days;          /* how many days audit records are kept (README,
                                       "Retention"); default 180; negative: forever; at most
                                       36600 */

  /* Version 5. Sessions (README, "Sessions"): each sign-in starts a session that its tokens name,
     so that one device can be signed out (custauth_session_revoke) and a token renewed
     (custauth_token_renew). With sessions off, tokens are byte-identical to the platform's. */
  int sessions;              /* nonzero: sessions on; default 0 (off) */
  int64_t max_session_age_s; /* how long a session may be renewed for, from its sign-in; no token
                                of it expires later; default 2592000 (30 days) */
} custauth_options;

/* The defaults of the current version, for `custauth_options o = CUSTAUTH_OPTIONS_INIT;`. */
#define CUSTAUTH_OPTIONS_INIT                                                                    \
  {                                                                                              \
    CUSTAUTH_OPTIONS_VERSION, NULL, NULL, CUSTAUTH_TOKEN_JWT, 3600, 5, 1000, 10, 600, 600, 7200, \
        30, 2, 67108864, 4, CUSTAUTH_SYNCHRONOUS_FULL, 5000, 0u, 0u, 0, 6, 1800, 180, 0, 2592000 \
  }

/* Fills `opts` with the defaults of `version` (1 to CUSTAUTH_OPTIONS_VERSION); for an older
 * version it writes only the fields of that version (the size of its struct).
 * CUSTAUTH_EINVALID when opts is NULL or the version is unknown to this library. */
CUSTAUTH_C_EXPORT int custauth_options_init(custauth_options* opts, unsigned int version);

/* New random keys (secret_key, seal_key, one JWT key with kid "1"), as key-file JSON for
 * custauth_options.keys_json or a key file. Free *out with custauth_free(). */
CUSTAUTH_C_EXPORT int custauth_keys_generate(char** out);

/* ---------------------------------------------------------------------------------------------
 * Handles */

/* An open custauth: a storage, the keys and the options. Opaque. */
typedef struct custauth_handle custauth_t;

/* Opens custauth on `storage`:
 *   "memory:"                      a fresh in-memory customer base (one per handle, gone at
 *                                  close; for tests and throwaway setups);
 *   "postgresql://..." / "postgres://..."  a PostgreSQL database (a libpq URI), shared by a
 *                                  fleet of servers; needs key_file or keys_json;
 *   anything else                  the path of a SQLite database, created and migrated as needed
 *                                  (an optional "sqlite:" prefix is removed).
 * `options` may be NULL (the defaults).
 * CUSTAUTH_ENOTFOUND when the key file does not exist; CUSTAUTH_EINVALID for bad keys or options;
 * CUSTAUTH_EFORBIDDEN when the key file is readable by group or others; CUSTAUTH_ESTORAGE when
 * the database cannot be opened; CUSTAUTH_EUNSUPPORTED for PostgreSQL in a build without libpq.
 * Close *out with custauth_close(). */
CUSTAUTH_C_EXPORT int custauth_open(custauth_t** out, const char* storage,
                                    const custauth_options* options);

/* The same, with the options as a JSON object whose members are the fields of custauth_options
 * (all optional; "version" is implied): {"keys_json": "...", "token_format": "opaque",
 * "argon2_opslimit": 1, ...}. "keys" may also give the key-file object itself, and
 * "token_format" may be "jwt" or "opaque". Unknown members are refused. For FFI hosts. */
CUSTAUTH_C_EXPORT int custauth_open_json(custauth_t** out, const char* storage,
                                         const char* options_json);

/* ---------------------------------------------------------------------------------------------
 * Verifiers: generateCustomerToken's chain (README, "Password verifiers"). The `password` a
 * customer sends is offered to each verifier of the chain in turn; the first that matches
 * decides. A host adds its own verifier as a struct of callbacks, registered when the handle
 * opens (custauth_open_with_verifiers). Every rule of the login flow holds for it as for the
 * built-ins: the attempt is admitted (throttle, account lock) before any verifier runs, a run in
 * which none matched counts one failure, a match of an unconfirmed customer is refused
 * (CUSTAUTH_ENOTCONFIRMED), the audit records name it ("via"), and when no verifier of a run
 * reported costly work the library runs one dummy Argon2id verification (timing).
 *
 * A verify callback answers CUSTAUTH_VERIFY_MATCHED, CUSTAUTH_VERIFY_NOT_MINE or
 * CUSTAUTH_VERIFY_ERROR (with a message in answer->message). An error, any other value, or a
 * callback running longer than the time limit (10 s) never yields a token: the login fails with
 * CUSTAUTH_EINTERNAL (the message names the verifier and carries the callback's) or CUSTAUTH_EBUSY
 * (the time limit). The attempt is counted as a failure when an earlier verifier of the run
 * answered "not mine", else given back. Callbacks run on the threads that call custauth, many at
 * once: they must be thread-safe, must not call custauth on the same handle, and must not unwind
 * (longjmp, exceptions) through the library. */
#define CUSTAUTH_VERIFIER_VERSION 1

#define CUSTAUTH_VERIFY_NOT_MINE 0 /* not this verifier's secret: the next one is asked */
#define CUSTAUTH_VERIFY_MATCHED 1  /* the secret is right: the customer signs in */
#define CUSTAUTH_VERIFY_ERROR (-1) /* the verifier failed (answer->message says why) */

/* What a verify callback is asked. Everything is valid during the call only. */
typedef struct custauth_verify_request {
  unsigned int version; /* CUSTAUTH_VERIFIER_VERSION */
  int64_t customer_id;
  int64_t website_id;
  const char* email;         /* as stored */
  const char* password_hash; /* the stored password hash; "" when the customer has none */
  const char* secret;        /* what the customer sent; NUL-terminated, may hold NUL bytes */
  size_t secret_len;
  const char* client_ip; /* "" when unknown */
} custauth_verify_request;

/* What a verify callback answers besides its return value; zeroed before the call. */
typedef struct custauth_verify_answer {
  int rehash; /* on a match: nonzero stores an Argon2id hash of the secret as the customer's
                 password (e.g. to upgrade a hash only the host could read) */
  int costly; /* nonzero: this verification cost what an Argon2id verification costs (else the
                 library runs a dummy one when no verifier of the run did) */
  char message[256]; /* with CUSTAUTH_VERIFY_ERROR: what failed, NUL-terminated */
} custauth_verify_answer;

typedef int (*custauth_verify_fn)(void* user_data, const custauth_verify_request* request,
                                  custauth_verify_answer* answer);

/* One link of the chain. `name` (1 to 64 of [a-z0-9_.:-], unique in the chain) appears in the
 * audit trail. With verify NULL, `name` names a built-in: "password" (the account password:
 * Argon2id and the legacy and foreign formats, rehashed on success), "reset_token" (a
 * password-reset token) or "otc" (an admin's Login-as-Customer code). user_data is passed to
 * verify as is and must outlive the handle. */
typedef struct custauth_verifier {
  unsigned int version; /* CUSTAUTH_VERIFIER_VERSION */
  const char* name;
  void* user_data;
  custauth_verify_fn verify; /* NULL: the built-in named `name` */
} custauth_verifier;

#define CUSTAUTH_VERIFIER_INIT(name, verify, user_data) \
  { CUSTAUTH_VERIFIER_VERSION, (name), (user_data), (verify) }

/* custauth_open with generateCustomerToken's chain set: `verifiers[0..count)` in that order (the
 * structs are copied; names too). count 0: the platform's chain ("password", "reset_token",
 * "otc"). custauth_otc_exchange always uses the built-in "otc" alone. CUSTAUTH_EINVALID for a
 * bad name or version, a name given twice, an unknown built-in, more than 16 verifiers, or
 * verifiers NULL with count > 0; otherwise as custauth_open. */
CUSTAUTH_C_EXPORT int custauth_open_with_verifiers(custauth_t** out, const char* storage,
                                                   const custauth_options* options,
                                                   const custauth_verifier* verifiers,
                                                   size_t count);
/* The same with the options as JSON (custauth_open_json), for FFI hosts. */
CUSTAUTH_C_EXPORT int custauth_open_json_with_verifiers(custauth_t** out, const char* storage,
                                                        const char* options_json,
                                                        const custauth_verifier* verifiers,
                                                        size_t count);

/* Closes a handle. NULL: nothing happens. REQUIRES: no other call on it is running. */
CUSTAUTH_C_EXPORT void custauth_close(custauth_t* db);

/* ---------------------------------------------------------------------------------------------
 * Who is asking: passed to most operations, for rate limits, the audit trail and the website.
 * May be NULL (no client IP, no actor, the default website). Versioned like the options. */
#define CUSTAUTH_CONTEXT_VERSION 1

typedef struct custauth_context {
  unsigned int version;   /* CUSTAUTH_CONTEXT_VERSION */
  const char* client_ip;  /* e.g. "203.0.113.7"; NULL: unknown */
  const char* user_agent; /* NULL: unknown */
  const char* actor;      /* who acts, for the audit trail: "admin:7", "checkout", ...; NULL */
  int64_t website_id;     /* the website whose customers are meant; 0: the default (1) */
} custauth_context;

#define CUSTAUTH_CONTEXT_INIT \
  { CUSTAUTH_CONTEXT_VERSION, NULL, NULL, NULL, 0 }

/* ---------------------------------------------------------------------------------------------
 * Customers. *out receives the customer as JSON: {"id", "website_id", "email", "firstname",
 * "lastname", "is_subscribed", "confirmed", "is_active", "allow_remote_shopping_assistance",
 * "created_at", "updated_at", "has_password", "failures_num", "first_failure", "lock_expires",
 * "tokens_revoked_at"}. */

/* Flags of custauth_customer_create. */
#define CUSTAUTH_CUSTOMER_SUBSCRIBED 0x1u  /* is_subscribed */
#define CUSTAUTH_CUSTOMER_UNCONFIRMED 0x2u /* confirmed = false (the default is confirmed) */
#define CUSTAUTH_CUSTOMER_ALLOW_REMOTE_ASSISTANCE 0x4u /* allow_remote_shopping_assistance */

/* Creates a customer on ctx's website. `password` NULL: no password (the customer signs in by
 * other means, or sets one by a reset). CUSTAUTH_EINVALID (email, names, password policy, unknown
 * flags), CUSTAUTH_EEXISTS (the email is taken on the website). */
CUSTAUTH_C_EXPORT int custauth_customer_create(char** out, custauth_t* db, const char* email,
                                               const char* firstname, const char* lastname,
                                               const char* password, unsigned int flags,
                                               const custauth_context* ctx);

/* Updates the customer with this email. `changes_json` is an object of the members to change:
 * "firstname", "lastname" (strings), "is_subscribed", "confirmed", "is_active",
 * "allow_remote_shopping_assistance" (booleans). Members left out stay as they are.
 * "is_active": false revokes the customer's tokens; "allow_remote_shopping_assistance": false
 * voids outstanding admin one-time codes at once. CUSTAUTH_EINVALID, CUSTAUTH_ENOTFOUND. */
CUSTAUTH_C_EXPORT int custauth_customer_update(char** out, custauth_t* db, const char* email,
                                               const char* changes_json,
                                               const custauth_context* ctx);

/* Finds the customer with this email on ctx's website. CUSTAUTH_EINVALID, CUSTAUTH_ENOTFOUND. */
CUSTAUTH_C_EXPORT int custauth_customer_find(char** out, custauth_t* db, const char* email,
                                             const custauth_context* ctx);

/* Erases the customer with this email on ctx's website (the right to erasure): the customer, its
 * one-time secrets, opaque tokens and lock state go in one transaction; its tokens are refused at
 * once through this handle and within revocation_refresh_ms through others; its audit records
 * keep event and time but lose email, client IP and the other personal fields. Audited as
 * "customer.delete" with the id. Ids are never reused. *out (when `out` is not NULL) receives the
 * erased customer's id. CUSTAUTH_EINVALID, CUSTAUTH_ENOTFOUND. */
CUSTAUTH_C_EXPORT int custauth_customer_delete(int64_t* out, custauth_t* db, const char* email,
                                               const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * Sign-in and one-time secrets. Tokens and codes come back as plain strings in *out. */

/* generateCustomerToken: `password` is tried as the account password, then as a password-reset
 * token, then as an admin one-time code; the first match yields a customer token.
 * CUSTAUTH_EINVALID (empty email or password), CUSTAUTH_EAUTH (unknown email, wrong secret, locked
 * or inactive account: one message for all), CUSTAUTH_ENOTCONFIRMED, CUSTAUTH_EBUSY. */
CUSTAUTH_C_EXPORT CUSTAUTH_WARN_UNUSED_RESULT int custauth_generate_customer_token(
    char** out, custauth_t* db, const char* email, const char* password,
    const custauth_context* ctx);

/* Issues a password-reset token for the host to mail, replacing any earlier one. For an unknown
 * email it succeeds too, with *out = NULL (the same outward result; nothing to mail).
 * CUSTAUTH_EINVALID, CUSTAUTH_ERATELIMITED. */
CUSTAUTH_C_EXPORT int custauth_password_reset_request(char** out, custauth_t* db, const char* email,
                                                      const custauth_context* ctx);

/* Sets a new password with a reset token (consumed), clears the lock and revokes the customer's
 * tokens. CUSTAUTH_EINVALID (policy; a mismatched token), CUSTAUTH_EEXPIRED. */
CUSTAUTH_C_EXPORT int custauth_password_reset(custauth_t* db, const char* email, const char* token,
                                              const char* new_password,
                                              const custauth_context* ctx);

/* Changes a password given the current one and revokes the customer's tokens.
 * CUSTAUTH_EAUTH (wrong current password; counts towards the lock), CUSTAUTH_EINVALID. */
CUSTAUTH_C_EXPORT int custauth_password_change(custauth_t* db, const char* email,
                                               const char* current_password,
                                               const char* new_password,
                                               const custauth_context* ctx);

/* Login as Customer: a new admin one-time code (32 lowercase hex characters) in *out, replacing
 * the customer's earlier one. CUSTAUTH_EFORBIDDEN (the customer has not opted in),
 * CUSTAUTH_ENOTFOUND, CUSTAUTH_EINVALID (admin_id must be positive). */
CUSTAUTH_C_EXPORT int custauth_otc_issue(char** out, custauth_t* db, const char* email,
                                         int64_t admin_id, const char* reason,
                                         const custauth_context* ctx);

/* Exchanges an admin one-time code for a customer token (once). CUSTAUTH_EAUTH otherwise. */
CUSTAUTH_C_EXPORT CUSTAUTH_WARN_UNUSED_RESULT int custauth_otc_exchange(
    char** out, custauth_t* db, const char* email, const char* code, const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * Tokens */

/* Verifies a customer token; *out receives its claims: {"uid", "utypid", "iat", "exp", "format"
 * ("jwt" or "opaque"), "kid" (JWT only), "sid" (only when the token names a session)}. Never
 * writes. CUSTAUTH_EINVALIDTOKEN (malformed, bad signature, unknown key, revoked),
 * CUSTAUTH_EEXPIRED. */
CUSTAUTH_C_EXPORT CUSTAUTH_WARN_UNUSED_RESULT int custauth_token_verify(char** out, custauth_t* db,
                                                                        const char* token);

/* The claims of a verified token, without JSON or allocation: the fast path for hosts that verify
 * a token on every request (and for FFI bindings). Set `version` to CUSTAUTH_CLAIMS_VERSION.
 * Version 2 appended session_id; a version 1 struct (a host compiled against an older
 * custauth.h) is still accepted, and only its fields are written. */
#define CUSTAUTH_CLAIMS_VERSION 2
typedef struct custauth_claims {
  unsigned int version; /* CUSTAUTH_CLAIMS_VERSION */
  int64_t uid;          /* the customer's id */
  int utypid;           /* 3: customer */
  int format;           /* 0: JWT, 1: opaque */
  int64_t iat;          /* issued at, seconds */
  int64_t exp;          /* expires at, seconds */
  char kid[65];         /* the JWT's key id, NUL-terminated; "" for opaque tokens */
  /* Version 2. */
  int64_t session_id; /* the session the token names (sid); 0: none */
} custauth_claims;

/* Verifies a customer token like custauth_token_verify and fills *out. Never writes. On failure
 * *out is zeroed (but for version). CUSTAUTH_EINVALID (NULL arguments, unknown version),
 * CUSTAUTH_EINVALIDTOKEN, CUSTAUTH_EEXPIRED. */
CUSTAUTH_C_EXPORT CUSTAUTH_WARN_UNUSED_RESULT int custauth_token_verify_claims(custauth_claims* out,
                                                                               custauth_t* db,
                                                                               const char* token);

/* Revokes every token issued to the customer up to now (at once through this handle; through
 * others within revocation_refresh_ms). CUSTAUTH_ENOTFOUND, CUSTAUTH_EINVALID. */
CUSTAUTH_C_EXPORT int custauth_token_revoke_all(custauth_t* db, const char* email,
                                                const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * Sessions (custauth_options.sessions; README, "Sessions"). A token as issued comes back in *out
 * as JSON: {"token": "...", "expires_at": <seconds since the epoch>, "session_id": <id, only
 * when the token names a session>}. */

/* generateCustomerToken (custauth_generate_customer_token: the same chain, rules and refusals),
 * answering the token with its expiry and, with sessions on, the session it began. */
CUSTAUTH_C_EXPORT CUSTAUTH_WARN_UNUSED_RESULT int custauth_sign_in(char** out, custauth_t* db,
                                                                   const char* email,
                                                                   const char* password,
                                                                   const custauth_context* ctx);

/* A fresh token for the session of a valid token: a new lifetime, capped at the session's
 * maximum age. The old token keeps its own expiry. CUSTAUTH_EINVALIDTOKEN (a revoked session or
 * token, or what custauth_token_verify refuses), CUSTAUTH_EEXPIRED (the token, or the session
 * past its maximum age), CUSTAUTH_EAUTH (an inactive, locked or deleted customer),
 * CUSTAUTH_EINVALID ("The token has no session.": issued with sessions off). */
CUSTAUTH_C_EXPORT CUSTAUTH_WARN_UNUSED_RESULT int custauth_token_renew(char** out, custauth_t* db,
                                                                       const char* token,
                                                                       const custauth_context* ctx);

/* Signs out one device: the token's session is revoked, so that every token of it is refused (at
 * once through this handle; through others within revocation_refresh_ms). The token must verify.
 * CUSTAUTH_EINVALIDTOKEN, CUSTAUTH_EEXPIRED, CUSTAUTH_EINVALID ("The token has no session."). */
CUSTAUTH_C_EXPORT int custauth_session_revoke(custauth_t* db, const char* token,
                                              const custauth_context* ctx);

/* The live sessions of the customer with this email on ctx's website, oldest first: *out receives
 * a JSON array of {"id", "created_at", "renewed_at", "expires_at", "client_ip", "user_agent",
 * "method"} ("method": the verifier that matched at the sign-in, or "external").
 * CUSTAUTH_EINVALID, CUSTAUTH_ENOTFOUND. */
CUSTAUTH_C_EXPORT int custauth_session_list(char** out, custauth_t* db, const char* email,
                                            const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * Audit trail: *out receives a JSON array of records, oldest first: {"id", "at", "event",
 * "customer_id", "admin_id", "actor", "reason", "client_ip", "detail"}. `email` NULL: every
 * customer's (and customer-less) records; else that customer's on ctx's website. Records with
 * id > after_id, at most `limit` (0: 100; at most 100000). */
CUSTAUTH_C_EXPORT int custauth_audit_list(char** out, custauth_t* db, const char* email,
                                          int64_t after_id, size_t limit,
                                          const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * Retention: removes at once everything past its retention (README, "Retention": rate-limit
 * events and buckets past their window, expired nonces, one-time secrets and opaque tokens a day
 * after they expired or were used, audit records older than audit_retention_days). Each write
 * already removes a few; this is for an operator (`custauth prune`). *out receives what went
 * per table: {"rate_events": N, "rate_buckets": N, "nonces": N, "secrets": N,
 * "opaque_tokens": N, "audit": N}. CUSTAUTH_ESTORAGE. */
CUSTAUTH_C_EXPORT int custauth_prune(char** out, custauth_t* db);

/* ---------------------------------------------------------------------------------------------
 * Integrations (OAuth 1.0a consumers) and exchangeExternalCustomerToken. The permission an
 * integration needs for the exchange: */
#define CUSTAUTH_PERMISSION_EXCHANGE_EXTERNAL_CUSTOMER_TOKEN "exchange_external_customer_token"

/* Creates an integration with `permissions` (`count` strings); *out receives its credentials,
 * shown this once: {"id", "name", "consumer_key", "consumer_secret", "access_token",
 * "token_secret", "permissions", "active", "created_at"}. CUSTAUTH_EINVALID. */
CUSTAUTH_C_EXPORT int custauth_integration_create(char** out, custauth_t* db, const char* name,
                                                  const char* const* permissions, size_t count,
                                                  const custauth_context* ctx);

/* *out receives a JSON array of integrations, without secrets: {"id", "name", "consumer_key",
 * "permissions", "active", "created_at", "revoked_at"}. */
CUSTAUTH_C_EXPORT int custauth_integration_list(char** out, custauth_t* db);

/* Revokes an integration: its signatures stop verifying at once. CUSTAUTH_ENOTFOUND. */
CUSTAUTH_C_EXPORT int custauth_integration_revoke(custauth_t* db, const char* consumer_key,
                                                  const custauth_context* ctx);

/* Replaces an integration's permissions. CUSTAUTH_ENOTFOUND, CUSTAUTH_EINVALID. */
CUSTAUTH_C_EXPORT int custauth_integration_set_permissions(custauth_t* db, const char* consumer_key,
                                                           const char* const* permissions,
                                                           size_t count,
                                                           const custauth_context* ctx);

/* An HTTP request as the host received it: what an OAuth 1.0a signature covers. NULL members
 * are empty. */
typedef struct custauth_http_request {
  const char* method;        /* "POST" */
  const char* url;           /* absolute, as the client addressed it */
  const char* authorization; /* the Authorization header's value */
  const char* content_type;  /* the Content-Type header's value */
  const char* body;          /* signed when application/x-www-form-urlencoded */
} custauth_http_request;

/* exchangeExternalCustomerToken: `request` must carry a valid OAuth 1.0a signature of an active
 * integration that holds CUSTAUTH_PERMISSION_EXCHANGE_EXTERNAL_CUSTOMER_TOKEN; `input_json` is
 * the mutation's input, {"customer": {"email", "firstname", "lastname", "is_subscribed"?}}. The
 * customer is found by email or created (confirmed, no password) exactly once.
 * *out receives the GraphQL response ON SUCCESS AND ON REFUSAL, so that a host can return it as
 * it is: {"data":{"exchangeExternalCustomerToken":{"customer":{...},"token":"..."}}} or
 * {"errors":[{"message":"...","extensions":{"category":"...","code":"..."}}]}; the return code
 * says which. CUSTAUTH_EFORBIDDEN, CUSTAUTH_EUNSUPPORTED, CUSTAUTH_EINVALID. */
CUSTAUTH_C_EXPORT int custauth_exchange_external_customer_token(
    char** out, custauth_t* db, const custauth_http_request* request, const char* input_json,
    const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * Test handles: custauth inside a shop's own test suite.
 *
 * A handle opened with test_flags = CUSTAUTH_TEST_HANDLE (custauth_open_json: {"test": true})
 *   - has a clock that only moves when told to: it starts at 1748499421000 (2025-05-29 06:17:01
 *     UTC), and custauth_test_clock_set / custauth_test_clock_advance move it, so that a test sees
 * a code expire after 30 s or a lock lift after 10 minutes without sleeping;
 *   - with CUSTAUTH_TEST_SEEDED (JSON: "test_seed": N) draws every random value from test_seed:
 *     reset tokens, admin codes, opaque tokens, integration credentials, legacy fixture salts and,
 *     unless keys are given, its keys (so JWTs too). The same seed and the same calls give the
 *     same values. Argon2id password hashes are the exception (libsodium draws their salts
 *     itself; no result shows them);
 *   - without key_file or keys_json, gets keys derived from the seed (random without one), on
 *     "memory:" and on a SQLite file alike (no key file is read or needed);
 *   - uses the cheapest Argon2id (1 pass, 8 KiB) where argon2_opslimit / argon2_memlimit are 0
 *     or the platform's values of CUSTAUTH_OPTIONS_INIT (2, 67108864); other values apply;
 *   - remembers the last reset token and admin code it issued per customer
 *     (custauth_test_secret_last: what a test would otherwise fish out of a mailbox);
 *   - creates fixture customers in bulk (custauth_test_customers_create).
 * On a handle opened without CUSTAUTH_TEST_HANDLE every custauth_test_* function, and the
 * "test.*" operations of custauth_call, fail with CUSTAUTH_EFORBIDDEN (e.g. "the clock can only be
 * set on a test handle"), so production code can never move time or read a secret back. */

/* Sets the test handle's clock to `now_ms` (ms since the Unix epoch; going back is allowed).
 * CUSTAUTH_EFORBIDDEN (not a test handle), CUSTAUTH_EINVALID (negative). */
CUSTAUTH_C_EXPORT int custauth_test_clock_set(custauth_t* db, int64_t now_ms);

/* Moves the test handle's clock forward by `delta_ms`. CUSTAUTH_EFORBIDDEN, CUSTAUTH_EINVALID
 * (negative or overflowing). */
CUSTAUTH_C_EXPORT int custauth_test_clock_advance(custauth_t* db, int64_t delta_ms);

/* *out = the test handle's current time (ms since the Unix epoch). CUSTAUTH_EFORBIDDEN. */
CUSTAUTH_C_EXPORT int custauth_test_clock_now(int64_t* out, custauth_t* db);

/* Kinds of custauth_test_secret_last. */
#define CUSTAUTH_SECRET_RESET_TOKEN 1 /* a password-reset token */
#define CUSTAUTH_SECRET_ADMIN_OTC 2   /* an admin one-time code */

/* *out = the last secret of `kind` this test handle issued to the customer with `email` on ctx's
 * website, used or not. CUSTAUTH_EFORBIDDEN (not a test handle), CUSTAUTH_ENOTFOUND (no such
 * customer, or none issued), CUSTAUTH_EINVALID (email, kind). Free *out with custauth_free(). */
CUSTAUTH_C_EXPORT int custauth_test_secret_last(char** out, custauth_t* db, const char* email,
                                                int kind, const custauth_context* ctx);

/* Creates fixture customers at once; *out receives them as a JSON array (the shape of
 * custauth_customer_find). `customers_json` is an array of entries, or {"customers": [entries],
 * "password"?, "format"?, "legacy_versions"?, "firstname"?, "lastname"?, "website_id"?} whose
 * members are defaults for the entries. An entry is an email string or an object: "email"
 * (required), "firstname", "lastname" (default "Test" "Customer"), "password" (none when absent;
 * no password policy applies), "format" ("current": Argon2id, the default; "legacy": the
 * platform's HASH:SALT:VERSIONS), "legacy_salt" (default: 32 random characters), "legacy_versions"
 * (default "1"), "website_id" (default ctx's), "id", "is_subscribed", "confirmed" (default true),
 * "allow_remote_shopping_assistance", "is_active" (default true). Every entry is checked before
 * anything is written. CUSTAUTH_EFORBIDDEN, CUSTAUTH_EINVALID (naming the entry),
 * CUSTAUTH_EEXISTS. */
CUSTAUTH_C_EXPORT int custauth_test_customers_create(char** out, custauth_t* db,
                                                     const char* customers_json,
                                                     const custauth_context* ctx);

/* ---------------------------------------------------------------------------------------------
 * One JSON entry point for FFI hosts.
 *
 * Runs `operation` with `args_json` (a JSON object; NULL or "" is {}) and `context_json` (NULL,
 * "" or {"client_ip", "user_agent", "actor", "website_id"}). *out receives a JSON object
 * WHATEVER THE RESULT (NULL only when out itself is NULL or memory ran out): the result on
 * success, {"errors":[{"message","extensions":{"category","code"}}]} on failure. The return code
 * and custauth_error_last() are set as by the functions above. Unknown operations, unknown or
 * mistyped arguments and malformed JSON are CUSTAUTH_EINVALID.
 *
 *   operation                         args                               result
 *   customer_create                   email, firstname, lastname,        {"customer": {...}}
 *                                     password?, is_subscribed?,
 *                                     confirmed?, allow_remote_shopping_assistance?
 *   customer_update                   email, + the members to change     {"customer": {...}}
 *   customer_find                     email                              {"customer": {...}}
 *   customer_delete                   email                              {"id": N}
 *   generate_customer_token           email, password                    {"token": "...",
 *                                                                        "expires_at": s,
 *                                                                        "session_id"?}
 *   sign_in                           email, password                    the same
 *   request_password_reset            email                              {"token": "..."|null}
 *   reset_password                    email, token, new_password         {"ok": true}
 *   change_password                   email, current_password,           {"ok": true}
 *                                     new_password
 *   issue_otc                         email, admin_id, reason?           {"code": "..."}
 *   exchange_otc                      email, code                        the same
 *   renew_token                       token                              the same
 *   revoke_session                    token                              {"ok": true}
 *   list_sessions                     email                              {"sessions": [...]}
 *   verify_token                      token                              {"claims": {...}}
 *   revoke_customer_tokens            email                              {"ok": true}
 *   audit_list                        email?, after_id?, limit?          {"audit": [...]}
 *   prune                             -                                  {"pruned": {per table}}
 *   integration_create                name, permissions ([strings])      {"integration": {...}}
 *   integration_list                  -                                  {"integrations": [...]}
 *   integration_revoke                consumer_key                       {"ok": true}
 *   integration_set_permissions       consumer_key, permissions          {"ok": true}
 *   integration_import                name, permissions, consumer_key,   {"integration": {...}}
 *                                     consumer_secret, access_token, token_secret
 *   customer_import                   path, format? (auto|csv|jsonl),    {"report": {...}}
 *                                     on_conflict? (skip|update|fail), strict?, batch_size?
 *   revocations_import                path, format?, strict?             {"report": {...}}
 *   exchange_external_customer_token  request {method, url,              the GraphQL response
 *                                     authorization?, content_type?, body?}, input {customer}
 *   keys_generate                     -                                  {"keys": {key file}}
 *   version                           -                                  {"version", "number"}
 *
 * On test handles only (CUSTAUTH_EFORBIDDEN elsewhere; see "Test handles"):
 *   test.set_time                     time_ms                            {"now": ms}
 *   test.advance                      ms                                 {"now": ms}
 *   test.now                          -                                  {"now": ms}
 *   test.last_reset_token             email                              {"token": "..."}
 *   test.last_otc                     email                              {"code": "..."}
 *   test.create_customers             customers, + the defaults of       {"customers": [...]}
 *                                     custauth_test_customers_create
 *
 * A token's "expires_at" is in seconds since the epoch; "session_id" is there only when the token
 * names a session (sessions on). The sessions of list_sessions are those of custauth_session_list.
 *
 * The imports (custauth/import.h) read a file of the platform's export; their report says what
 * was created, skipped or rejected (with line numbers) and, with "completed": false and "error",
 * why an import stopped: an unreadable, empty or truncated file is a report, not a failure, so
 * that the rows imported before the stop are known.
 *
 * `db` may be NULL for keys_generate and version only. Every args object may also carry
 * "website_id" (else the context's, else 1). */
CUSTAUTH_C_EXPORT int custauth_call(char** out, custauth_t* db, const char* operation,
                                    const char* args_json, const char* context_json);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CUSTAUTH_CUSTAUTH_H_ */
