/* custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
 *
 * The C ABI from C99: every function, its error paths and its free paths.
 * Usage: c_api_test [SCRATCH_DIR]   (a directory for SQLite files; default ".") */
#define _POSIX_C_SOURCE 200809L

#include <custauth/custauth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_checks = 0;
static int g_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++g_checks;                                                                \
    if (!(cond)) {                                                             \
      ++g_failures;                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

/* rc is `expected`, and the thread's last error says so. */
#define CHECK_RC(rc, expected)                                                                  \
  do {                                                                                          \
    int rc_ = (rc);                                                                             \
    ++g_checks;                                                                                 \
    if (rc_ != (expected)) {                                                                    \
      ++g_failures;                                                                             \
      fprintf(stderr, "%s:%d: %s returned %d (%s: %s), expected %d\n", __FILE__, __LINE__, #rc, \
              rc_, custauth_code_name(rc_), custauth_error_last(), (expected));                 \
    } else {                                                                                    \
      CHECK(custauth_error_last_code() == (expected));                                          \
      CHECK(custauth_error_last() != NULL);                                                     \
      CHECK(((expected) == CUSTAUTH_OK) == (custauth_error_last()[0] == '\0'));                 \
    }                                                                                           \
  } while (0)

#define CHECK_MSG(text) CHECK(strcmp(custauth_error_last(), (text)) == 0)
#define CHECK_HAS(str, part) CHECK((str) != NULL && strstr((str), (part)) != NULL)

static const char kSignIn[] =
    "The account sign-in was incorrect or your account is disabled temporarily. Please wait and "
    "try again later.";

/* A handle on fresh in-memory storage with cheap Argon2 (tests only). */
static custauth_t* open_memory(void) {
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  custauth_t* db = NULL;
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_OK);
  CHECK(db != NULL);
  return db;
}

/* The value of the "token" member of a JSON result, copied into `token` (size n). */
static void token_of(const char* json, char* token, size_t n) {
  const char* t = json != NULL ? strstr(json, "\"token\":\"") : NULL;
  token[0] = '\0';
  if (t != NULL) {
    t += 9;
    snprintf(token, n, "%.*s", (int)strcspn(t, "\""), t);
  }
}

/* The integer member `name` of a JSON result (-1 when absent). */
static long long int_of(const char* json, const char* name) {
  char key[64];
  const char* t;
  snprintf(key, sizeof key, "\"%s\":", name);
  t = json != NULL ? strstr(json, key) : NULL;
  return t != NULL ? strtoll(t + strlen(key), NULL, 10) : -1;
}

static void create(custauth_t* db, const char* email, const char* password, unsigned flags) {
  char* out = NULL;
  CHECK_RC(custauth_customer_create(&out, db, email, "Veronica", "Costello", password, flags, NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, email);
  custauth_free(out);
}

static void test_basics(void) {
  custauth_options o;
  char* out = (char*)"sentinel";
  CHECK(strcmp(custauth_libversion(), CUSTAUTH_VERSION_STRING) == 0);
  CHECK(custauth_libversion_number() == CUSTAUTH_VERSION_NUMBER);
  CHECK(CUSTAUTH_VERSION_NUMBER ==
        CUSTAUTH_VERSION_MAJOR * 1000000 + CUSTAUTH_VERSION_MINOR * 1000 + CUSTAUTH_VERSION_PATCH);
  CHECK(strcmp(custauth_code_name(CUSTAUTH_OK), "ok") == 0);
  CHECK(strcmp(custauth_code_name(CUSTAUTH_EAUTH), "authentication_failed") == 0);
  CHECK(strcmp(custauth_code_name(CUSTAUTH_EINVALIDTOKEN), "invalid_token") == 0);
  CHECK(strcmp(custauth_code_name(-999), "unknown") == 0);
  CHECK(strcmp(custauth_code_name(5), "unknown") == 0);
  CHECK(strcmp(custauth_code_category(CUSTAUTH_EAUTH), "graphql-authentication") == 0);
  CHECK(strcmp(custauth_code_category(CUSTAUTH_EFORBIDDEN), "graphql-authorization") == 0);
  CHECK(custauth_code_category(-999) != NULL);
  CHECK(custauth_error_last() != NULL);

  custauth_free(NULL); /* no-ops */
  custauth_close(NULL);

  CHECK_RC(custauth_options_init(NULL, CUSTAUTH_OPTIONS_VERSION), CUSTAUTH_EINVALID);
  CHECK(custauth_error_last()[0] != '\0');
  CHECK_RC(custauth_options_init(&o, 999), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION), CUSTAUTH_OK);
  {
    const custauth_options init = CUSTAUTH_OPTIONS_INIT;
    CHECK(o.version == CUSTAUTH_OPTIONS_VERSION && init.version == o.version);
    CHECK(o.key_file == NULL && o.keys_json == NULL);
    CHECK(o.token_format == CUSTAUTH_TOKEN_JWT && init.token_format == o.token_format);
    CHECK(o.token_lifetime_s == 3600 && init.token_lifetime_s == 3600);
    CHECK(o.token_leeway_s == init.token_leeway_s);
    CHECK(o.revocation_refresh_ms == 1000 && init.revocation_refresh_ms == 1000);
    CHECK(o.lockout_max_failures == 10 && init.lockout_max_failures == 10);
    CHECK(o.lockout_duration_s == 600 && o.lockout_window_s == 600);
    CHECK(o.reset_token_lifetime_s == 7200 && init.reset_token_lifetime_s == 7200);
    CHECK(o.otc_lifetime_s == 30 && init.otc_lifetime_s == 30);
    CHECK(o.argon2_opslimit == 2 && o.argon2_memlimit == 67108864u);
    CHECK(o.argon2_max_concurrent == init.argon2_max_concurrent);
    CHECK(o.sqlite_synchronous == CUSTAUTH_SYNCHRONOUS_FULL);
    CHECK(o.sqlite_busy_timeout_ms == 5000 && init.sqlite_busy_timeout_ms == 5000);
  }

  CHECK_RC(custauth_keys_generate(NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_keys_generate(&out), CUSTAUTH_OK);
  CHECK_HAS(out, "\"secret_key\"");
  CHECK_HAS(out, "\"jwt_keys\"");
  custauth_free(out);
}

static void test_open(const char* dir) {
  custauth_t* db = (custauth_t*)1;
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  char path[1024];
  char* keys = NULL;
  char* out = NULL;

  CHECK_RC(custauth_open(NULL, "memory:", NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_open(&db, NULL, NULL), CUSTAUTH_EINVALID);
  CHECK(db == NULL);
  CHECK_RC(custauth_open(&db, "", NULL), CUSTAUTH_EINVALID);
  o.version = 0;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "version");
  custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION);
  o.keys_json = "{not json";
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID);
  o.keys_json = "{\"version\":1,\"secret_key\":\"AAAA\",\"seal_key\":\"AAAA\",\"jwt_keys\":[]}";
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID);
  o.key_file = "/nonexistent/custauth.key";
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID); /* both given */
  o.keys_json = NULL;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_ENOTFOUND);
  custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION);
  o.token_format = 7;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID);
  o.token_format = CUSTAUTH_TOKEN_JWT;
  o.token_lifetime_s = -5;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID);

  /* PostgreSQL needs explicit keys; an unreachable server is a storage failure. */
  custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION);
  CHECK_RC(custauth_open(&db, "postgresql://127.0.0.1:1/custauth", &o), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_keys_generate(&keys), CUSTAUTH_OK);
  o.keys_json = keys;
  {
    int rc = custauth_open(&db, "postgresql://127.0.0.1:1/custauth", &o);
    CHECK(rc == CUSTAUTH_ESTORAGE || rc == CUSTAUTH_EUNSUPPORTED);
    CHECK(db == NULL);
  }
  custauth_free(keys);
  keys = NULL;

  /* SQLite: the key file beside the database is required; keys_json may replace it. */
  snprintf(path, sizeof path, "%s/c_api_test_%ld.db", dir, (long)getpid());
  remove(path);
  custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION);
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  o.sqlite_synchronous = CUSTAUTH_SYNCHRONOUS_NORMAL;
  CHECK_RC(custauth_open(&db, path, &o), CUSTAUTH_ENOTFOUND);
  CHECK_HAS(custauth_error_last(), ".key");
  CHECK_RC(custauth_keys_generate(&keys), CUSTAUTH_OK);
  o.keys_json = keys;
  CHECK_RC(custauth_open(&db, path, &o), CUSTAUTH_OK);
  create(db, "sqlite@example.com", "Password123", 0);
  custauth_close(db);
  /* Reopened (with the "sqlite:" prefix), the customer is still there. */
  {
    char prefixed[1100];
    snprintf(prefixed, sizeof prefixed, "sqlite:%s", path);
    CHECK_RC(custauth_open(&db, prefixed, &o), CUSTAUTH_OK);
    CHECK_RC(custauth_customer_find(&out, db, "SQLITE@example.com", NULL), CUSTAUTH_OK);
    CHECK_HAS(out, "\"sqlite@example.com\"");
    custauth_free(out);
    custauth_close(db);
  }
  custauth_free(keys);

  /* JSON options. */
  CHECK_RC(custauth_open_json(&db, "memory:",
                              "{\"token_format\":\"opaque\",\"argon2_opslimit\":1,"
                              "\"argon2_memlimit\":8192}"),
           CUSTAUTH_OK);
  create(db, "opaque@example.com", "Password123", 0);
  CHECK_RC(custauth_generate_customer_token(&out, db, "opaque@example.com", "Password123", NULL),
           CUSTAUTH_OK);
  CHECK(out != NULL && strlen(out) == 32);
  custauth_free(out);
  custauth_close(db);
  CHECK_RC(custauth_open_json(&db, "memory:", NULL), CUSTAUTH_OK);
  custauth_close(db);
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"no_such_option\":1}"), CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "no_such_option");
  CHECK_RC(custauth_open_json(&db, "memory:", "[1,2]"), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"token_format\":\"paseto\"}"), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"argon2_opslimit\":\"many\"}"), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_open_json(NULL, "memory:", NULL), CUSTAUTH_EINVALID);
  snprintf(path, sizeof path, "%s/c_api_test_%ld.db", dir, (long)getpid());
  remove(path);
  {
    char side[1100];
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
  }
}

static void test_customers(custauth_t* db) {
  char* out = (char*)"sentinel";
  custauth_context ctx = CUSTAUTH_CONTEXT_INIT;

  create(db, "roni_cost@example.com", "Password123", CUSTAUTH_CUSTOMER_SUBSCRIBED);
  CHECK_RC(
      custauth_customer_create(&out, db, "roni_cost@example.com", "V", "C", "Password123", 0, NULL),
      CUSTAUTH_EEXISTS);
  CHECK(out == NULL);
  CHECK_RC(custauth_customer_create(&out, db, "not an email", "V", "C", NULL, 0, NULL),
           CUSTAUTH_EINVALID);
  CHECK_MSG("\"Email\" is not a valid email address.");
  CHECK_RC(custauth_customer_create(&out, db, "weak@example.com", "V", "C", "short", 0, NULL),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_create(&out, db, NULL, "V", "C", NULL, 0, NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_create(&out, db, "x@example.com", NULL, "C", NULL, 0, NULL),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_create(&out, db, "x@example.com", "V", "C", NULL, 0x100u, NULL),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_create(NULL, db, "x@example.com", "V", "C", NULL, 0, NULL),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_create(&out, NULL, "x@example.com", "V", "C", NULL, 0, NULL),
           CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "NULL");
  ctx.version = 99;
  CHECK_RC(custauth_customer_create(&out, db, "x@example.com", "V", "C", NULL, 0, &ctx),
           CUSTAUTH_EINVALID);
  ctx.version = CUSTAUTH_CONTEXT_VERSION;
  ctx.website_id = -1;
  CHECK_RC(custauth_customer_create(&out, db, "x@example.com", "V", "C", NULL, 0, &ctx),
           CUSTAUTH_EINVALID);

  /* Websites keep separate customers. */
  ctx.website_id = 2;
  ctx.actor = "c_api_test";
  CHECK_RC(custauth_customer_create(&out, db, "roni_cost@example.com", "Veronica", "Costello", NULL,
                                    0, &ctx),
           CUSTAUTH_OK);
  CHECK_HAS(out, "\"website_id\":2");
  CHECK_HAS(out, "\"has_password\":false");
  custauth_free(out);

  CHECK_RC(custauth_customer_find(&out, db, "Roni_Cost@Example.com", NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "\"email\":\"roni_cost@example.com\"");
  CHECK_HAS(out, "\"is_subscribed\":true");
  CHECK_HAS(out, "\"website_id\":1");
  custauth_free(out);
  CHECK_RC(custauth_customer_find(&out, db, "nobody@example.com", NULL), CUSTAUTH_ENOTFOUND);
  CHECK(out == NULL);
  CHECK_RC(custauth_customer_find(&out, db, "", NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_find(NULL, db, "roni_cost@example.com", NULL), CUSTAUTH_EINVALID);

  CHECK_RC(custauth_customer_update(&out, db, "roni_cost@example.com",
                                    "{\"firstname\":\"Roni\",\"is_subscribed\":false}", NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "\"firstname\":\"Roni\"");
  CHECK_HAS(out, "\"is_subscribed\":false");
  custauth_free(out);
  CHECK_RC(custauth_customer_update(&out, db, "roni_cost@example.com", "{\"firstname\":", NULL),
           CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "JSON");
  CHECK_RC(
      custauth_customer_update(&out, db, "roni_cost@example.com", "{\"email\":\"a@b.co\"}", NULL),
      CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "email");
  CHECK_RC(
      custauth_customer_update(&out, db, "roni_cost@example.com", "{\"confirmed\":\"yes\"}", NULL),
      CUSTAUTH_EINVALID);
  CHECK_RC(custauth_customer_update(&out, db, "nobody@example.com", "{}", NULL),
           CUSTAUTH_ENOTFOUND);
}

static void test_sign_in(custauth_t* db) {
  char* token = NULL;
  char* out = NULL;
  char* reset = NULL;

  create(db, "login@example.com", "Password123", 0);
  CHECK_RC(custauth_generate_customer_token(&token, db, "login@example.com", "Password123", NULL),
           CUSTAUTH_OK);
  CHECK(token != NULL && strncmp(token, "eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.", 35) == 0);

  CHECK_RC(custauth_token_verify(&out, db, token), CUSTAUTH_OK);
  CHECK_HAS(out, "\"utypid\":3");
  CHECK_HAS(out, "\"format\":\"jwt\"");
  CHECK_HAS(out, "\"kid\":\"1\"");
  custauth_free(out);
  CHECK_RC(custauth_token_verify(&out, db, "not.a.token"), CUSTAUTH_EINVALIDTOKEN);
  CHECK(out == NULL);
  CHECK_RC(custauth_token_verify(&out, db, NULL), CUSTAUTH_EINVALIDTOKEN);
  CHECK_RC(custauth_token_verify(NULL, db, token), CUSTAUTH_EINVALID);

  /* The allocation-free claims. */
  {
    custauth_claims claims;
    memset(&claims, 0x5a, sizeof claims);
    claims.version = CUSTAUTH_CLAIMS_VERSION;
    CHECK_RC(custauth_token_verify_claims(&claims, db, token), CUSTAUTH_OK);
    CHECK(claims.uid > 0);
    CHECK(claims.utypid == 3);
    CHECK(claims.format == 0);
    CHECK(claims.exp - claims.iat == 3600);
    CHECK(strcmp(claims.kid, "1") == 0);
    CHECK_RC(custauth_token_verify_claims(&claims, db, "not.a.token"), CUSTAUTH_EINVALIDTOKEN);
    CHECK(claims.uid == 0 && claims.kid[0] == '\0' && claims.version == CUSTAUTH_CLAIMS_VERSION);
    CHECK_MSG("The token is malformed.");
    CHECK_RC(custauth_token_verify_claims(NULL, db, token), CUSTAUTH_EINVALID);
    claims.version = 99;
    CHECK_RC(custauth_token_verify_claims(&claims, db, token), CUSTAUTH_EINVALID);
    claims.version = CUSTAUTH_CLAIMS_VERSION;
    CHECK_RC(custauth_token_verify_claims(&claims, NULL, token), CUSTAUTH_EINVALID);
  }

  /* The platform's messages. */
  CHECK_RC(custauth_generate_customer_token(&out, db, "login@example.com", "Wrong123!", NULL),
           CUSTAUTH_EAUTH);
  CHECK_MSG(kSignIn);
  CHECK_RC(custauth_generate_customer_token(&out, db, "nobody@example.com", "Password123", NULL),
           CUSTAUTH_EAUTH);
  CHECK_MSG(kSignIn);
  CHECK_RC(custauth_generate_customer_token(&out, db, "", "Password123", NULL), CUSTAUTH_EINVALID);
  CHECK_MSG("Specify the \"email\" value.");
  CHECK_RC(custauth_generate_customer_token(&out, db, "login@example.com", NULL, NULL),
           CUSTAUTH_EINVALID);
  CHECK_MSG("Specify the \"password\" value.");
  create(db, "unconfirmed@example.com", "Password123", CUSTAUTH_CUSTOMER_UNCONFIRMED);
  CHECK_RC(
      custauth_generate_customer_token(&out, db, "unconfirmed@example.com", "Password123", NULL),
      CUSTAUTH_ENOTCONFIRMED);
  CHECK_MSG("This account isn't confirmed. Verify and try again.");
  CHECK_RC(custauth_generate_customer_token(&out, db, "unconfirmed@example.com", "Wrong123!", NULL),
           CUSTAUTH_EAUTH);

  /* A success clears the thread's last error. */
  CHECK(custauth_error_last()[0] != '\0');
  CHECK_RC(custauth_token_verify(&out, db, token), CUSTAUTH_OK);
  CHECK(custauth_error_last()[0] == '\0');
  custauth_free(out);

  /* Revocation. */
  CHECK_RC(custauth_token_revoke_all(db, "login@example.com", NULL), CUSTAUTH_OK);
  CHECK_RC(custauth_token_verify(&out, db, token), CUSTAUTH_EINVALIDTOKEN);
  CHECK_RC(custauth_token_revoke_all(db, "nobody@example.com", NULL), CUSTAUTH_ENOTFOUND);
  CHECK_RC(custauth_token_revoke_all(NULL, "login@example.com", NULL), CUSTAUTH_EINVALID);
  custauth_free(token);

  /* Password reset: the token signs in once, then resets the password. */
  CHECK_RC(custauth_password_reset_request(&reset, db, "login@example.com", NULL), CUSTAUTH_OK);
  CHECK(reset != NULL && strlen(reset) == 32);
  CHECK_RC(custauth_generate_customer_token(&token, db, "login@example.com", reset, NULL),
           CUSTAUTH_OK);
  custauth_free(token);
  CHECK_RC(custauth_generate_customer_token(&token, db, "login@example.com", reset, NULL),
           CUSTAUTH_EAUTH);
  custauth_free(reset);
  reset = (char*)"sentinel";
  CHECK_RC(custauth_password_reset_request(&reset, db, "nobody@example.com", NULL), CUSTAUTH_OK);
  CHECK(reset == NULL);
  CHECK_RC(custauth_password_reset_request(&reset, db, "login@example.com", NULL),
           CUSTAUTH_ERATELIMITED);
  CHECK_MSG("We received too many requests for password resets. Please wait and try again later.");

  create(db, "reset@example.com", "Password123", 0);
  CHECK_RC(custauth_password_reset_request(&reset, db, "reset@example.com", NULL), CUSTAUTH_OK);
  CHECK_RC(custauth_password_reset(db, "reset@example.com", "0123456789abcdef0123456789abcdef",
                                   "NewPassword456", NULL),
           CUSTAUTH_EINVALID);
  CHECK_MSG("The password token is mismatched. Reset and try again.");
  CHECK_RC(custauth_password_reset(db, "reset@example.com", reset, "weak", NULL),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_password_reset(db, "reset@example.com", reset, "NewPassword456", NULL),
           CUSTAUTH_OK);
  custauth_free(reset);
  CHECK_RC(
      custauth_generate_customer_token(&token, db, "reset@example.com", "NewPassword456", NULL),
      CUSTAUTH_OK);
  custauth_free(token);

  /* Change password. */
  CHECK_RC(custauth_password_change(db, "reset@example.com", "Wrong123!", "Another789x", NULL),
           CUSTAUTH_EAUTH);
  CHECK_RC(custauth_password_change(db, "reset@example.com", "NewPassword456", "Another789x", NULL),
           CUSTAUTH_OK);
  CHECK_RC(custauth_generate_customer_token(&token, db, "reset@example.com", "Another789x", NULL),
           CUSTAUTH_OK);
  custauth_free(token);
  CHECK_RC(custauth_password_change(NULL, "reset@example.com", "a", "b", NULL), CUSTAUTH_EINVALID);
}

static void test_otc(custauth_t* db) {
  char* code = NULL;
  char* token = NULL;
  char* out = NULL;
  custauth_context admin = CUSTAUTH_CONTEXT_INIT;
  admin.actor = "admin:7";
  admin.client_ip = "203.0.113.7";

  create(db, "assist@example.com", "Password123", 0);
  CHECK_RC(custauth_otc_issue(&code, db, "assist@example.com", 7, "ticket 42", &admin),
           CUSTAUTH_EFORBIDDEN);
  CHECK_MSG("Login as Customer assistance is disabled for this Customer.");
  CHECK(code == NULL);
  CHECK_RC(custauth_customer_update(&out, db, "assist@example.com",
                                    "{\"allow_remote_shopping_assistance\":true}", NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "\"allow_remote_shopping_assistance\":true");
  custauth_free(out);
  CHECK_RC(custauth_otc_issue(&code, db, "assist@example.com", 0, "ticket 42", &admin),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_otc_issue(&code, db, "nobody@example.com", 7, "ticket 42", &admin),
           CUSTAUTH_ENOTFOUND);

  /* Exchanged directly, once. */
  CHECK_RC(custauth_otc_issue(&code, db, "assist@example.com", 7, "ticket 42", &admin),
           CUSTAUTH_OK);
  CHECK(code != NULL && strlen(code) == 32 && strspn(code, "0123456789abcdef") == 32);
  CHECK_RC(custauth_otc_exchange(&token, db, "assist@example.com", code, NULL), CUSTAUTH_OK);
  CHECK(token != NULL);
  custauth_free(token);
  CHECK_RC(custauth_otc_exchange(&token, db, "assist@example.com", code, NULL), CUSTAUTH_EAUTH);
  CHECK(token == NULL);
  custauth_free(code);

  /* Or through generateCustomerToken. */
  CHECK_RC(custauth_otc_issue(&code, db, "assist@example.com", 7, NULL, &admin), CUSTAUTH_OK);
  CHECK_RC(custauth_generate_customer_token(&token, db, "assist@example.com", code, NULL),
           CUSTAUTH_OK);
  custauth_free(token);
  custauth_free(code);

  /* The audit trail saw it. */
  CHECK_RC(custauth_audit_list(&out, db, "assist@example.com", 0, 0, NULL), CUSTAUTH_OK);
  CHECK(out != NULL && out[0] == '[');
  CHECK_HAS(out, "\"admin_id\":7");
  CHECK_HAS(out, "ticket 42");
  custauth_free(out);
  CHECK_RC(custauth_audit_list(&out, db, NULL, 0, 1, NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "\"id\":1");
  CHECK(strstr(out, "\"id\":2") == NULL);
  custauth_free(out);
  CHECK_RC(custauth_audit_list(&out, db, NULL, 0, 100001, NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_audit_list(&out, db, NULL, -1, 0, NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_audit_list(&out, db, "nobody@example.com", 0, 0, NULL), CUSTAUTH_ENOTFOUND);
  CHECK_RC(custauth_audit_list(NULL, db, NULL, 0, 0, NULL), CUSTAUTH_EINVALID);
}

static void test_integrations(custauth_t* db) {
  const char* perms[] = {CUSTAUTH_PERMISSION_EXCHANGE_EXTERNAL_CUSTOMER_TOKEN};
  const char* bad_perms[] = {"no_such_permission"};
  const char* null_perms[] = {NULL};
  char* out = NULL;
  char key[64] = {0};
  const char* p;
  custauth_http_request req = {"POST", "https://shop.example/graphql", NULL, "application/json",
                               NULL};

  CHECK_RC(custauth_integration_create(&out, db, "social login", perms, 1, NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "\"consumer_secret\"");
  CHECK_HAS(out, "\"token_secret\"");
  p = out != NULL ? strstr(out, "\"consumer_key\":\"") : NULL;
  CHECK(p != NULL);
  if (p != NULL) memcpy(key, p + 16, 32);
  custauth_free(out);
  CHECK_RC(custauth_integration_create(&out, db, "", perms, 1, NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_integration_create(&out, db, "x", bad_perms, 1, NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_integration_create(&out, db, "x", null_perms, 1, NULL), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_integration_create(&out, db, "x", NULL, 1, NULL), CUSTAUTH_EINVALID);

  CHECK_RC(custauth_integration_list(&out, db), CUSTAUTH_OK);
  CHECK_HAS(out, key);
  CHECK(strstr(out, "secret") == NULL);
  custauth_free(out);
  CHECK_RC(custauth_integration_list(NULL, db), CUSTAUTH_EINVALID);

  CHECK_RC(custauth_integration_set_permissions(db, key, NULL, 0, NULL), CUSTAUTH_OK);
  CHECK_RC(custauth_integration_set_permissions(db, key, perms, 1, NULL), CUSTAUTH_OK);
  CHECK_RC(
      custauth_integration_set_permissions(db, "0123456789abcdef0123456789abcdef", perms, 1, NULL),
      CUSTAUTH_ENOTFOUND);

  /* Without a signature the exchange is refused, with a GraphQL response all the same (the
   * message of the first failed check, which the OAuth tests pin). */
  {
    int rc = custauth_exchange_external_customer_token(
        &out, db, &req,
        "{\"customer\":{\"email\":\"social@example.com\",\"firstname\":\"S\","
        "\"lastname\":\"L\"}}",
        NULL);
    CHECK(rc == CUSTAUTH_EFORBIDDEN || rc == CUSTAUTH_EINVALID);
    CHECK(custauth_error_last_code() == rc);
    CHECK_HAS(out, "{\"errors\":[{\"");
    CHECK_HAS(out, custauth_code_name(rc));
    CHECK(custauth_error_last()[0] != '\0');
    custauth_free(out);
  }
  /* A signed request with unknown credentials is refused. */
  req.authorization =
      "OAuth oauth_consumer_key=\"0123456789abcdef0123456789abcdef\","
      "oauth_token=\"0123456789abcdef0123456789abcdef\",oauth_signature_method=\"HMAC-SHA256\","
      "oauth_timestamp=\"1700000000\",oauth_nonce=\"abc\",oauth_version=\"1.0\","
      "oauth_signature=\"AAAA\"";
  CHECK_RC(custauth_exchange_external_customer_token(
               &out, db, &req,
               "{\"customer\":{\"email\":\"social@example.com\",\"firstname\":\"S\","
               "\"lastname\":\"L\"}}",
               NULL),
           CUSTAUTH_EFORBIDDEN);
  CHECK_HAS(out, "\"code\":\"forbidden\"");
  CHECK_HAS(out, custauth_error_last());
  custauth_free(out);
  req.authorization = NULL;
  CHECK_RC(custauth_exchange_external_customer_token(&out, db, NULL, "{}", NULL),
           CUSTAUTH_EINVALID);
  CHECK_HAS(out, "\"errors\"");
  custauth_free(out);
  CHECK_RC(custauth_exchange_external_customer_token(&out, db, &req, "{bad", NULL),
           CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_exchange_external_customer_token(NULL, db, &req, "{}", NULL),
           CUSTAUTH_EINVALID);

  CHECK_RC(custauth_integration_revoke(db, key, NULL), CUSTAUTH_OK);
  CHECK_RC(custauth_integration_list(&out, db), CUSTAUTH_OK);
  CHECK_HAS(out, "\"active\":false");
  custauth_free(out);
  CHECK_RC(custauth_integration_revoke(db, "0123456789abcdef0123456789abcdef", NULL),
           CUSTAUTH_ENOTFOUND);
}

static void test_prune(void) {
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  custauth_t* db = NULL;
  char* out = NULL;
  custauth_context ctx = CUSTAUTH_CONTEXT_INIT;
  ctx.client_ip = "203.0.113.7";
  CHECK(o.audit_retention_days == 180);
  o.test_flags = CUSTAUTH_TEST_HANDLE;
  o.audit_retention_days = 36601;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_EINVALID);
  o.audit_retention_days = 1;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_OK);
  if (db == NULL) return;
  CHECK_RC(
      custauth_generate_customer_token(&out, db, "nobody@example.com", "Wrong-Password-1", &ctx),
      CUSTAUTH_EAUTH);
  CHECK_RC(custauth_prune(&out, db), CUSTAUTH_OK);
  CHECK_HAS(out, "\"audit\":0");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "test.advance", "{\"ms\":172800000}", NULL), CUSTAUTH_OK);
  custauth_free(out);
  CHECK_RC(custauth_prune(&out, db), CUSTAUTH_OK);
  CHECK_HAS(out, "\"audit\":1");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "prune", NULL, NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "\"pruned\":{");
  CHECK_HAS(out, "\"audit\":0");
  custauth_free(out);
  CHECK_RC(custauth_prune(NULL, db), CUSTAUTH_EINVALID);
  custauth_close(db);
  /* Negative keeps the audit forever; through custauth_open_json too. */
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"test\":true,\"audit_retention_days\":-1}"),
           CUSTAUTH_OK);
  custauth_close(db);
  CHECK_RC(custauth_open_json(
               &db, "memory:", "{\"version\":3,\"test\":true,\"audit_retention_days\":5}"),
           CUSTAUTH_EINVALID);
}

static void test_call(custauth_t* db) {
  char* out = (char*)"sentinel";

  CHECK_RC(custauth_call(&out, NULL, "version", NULL, NULL), CUSTAUTH_OK);
  CHECK_HAS(out, CUSTAUTH_VERSION_STRING);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, NULL, "keys_generate", "{}", ""), CUSTAUTH_OK);
  CHECK_HAS(out, "\"keys\"");
  custauth_free(out);

  CHECK_RC(custauth_call(&out, db, "customer_create",
                         "{\"email\":\"call@example.com\",\"firstname\":\"C\",\"lastname\":\"A\","
                         "\"password\":\"Password123\",\"allow_remote_shopping_assistance\":true}",
                         "{\"client_ip\":\"198.51.100.1\",\"actor\":\"test\"}"),
           CUSTAUTH_OK);
  CHECK_HAS(out, "{\"customer\":{");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "generate_customer_token",
                         "{\"email\":\"call@example.com\",\"password\":\"Password123\"}", NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "\"token\":\"eyJ");
  CHECK(int_of(out, "expires_at") > 0);
  CHECK(strstr(out, "session_id") == NULL); /* sessions off */
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "generate_customer_token",
                         "{\"email\":\"call@example.com\",\"password\":\"nope\"}", NULL),
           CUSTAUTH_EAUTH);
  CHECK_HAS(out, "{\"errors\":[{");
  CHECK_HAS(out, "\"code\":\"authentication_failed\"");
  CHECK_HAS(out, "\"category\":\"graphql-authentication\"");
  CHECK_HAS(out, kSignIn);
  CHECK_MSG(kSignIn);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "generate_customer_token", "{}", NULL), CUSTAUTH_EINVALID);
  CHECK_MSG("Specify the \"email\" value.");
  custauth_free(out);

  /* Malformed calls. */
  CHECK_RC(custauth_call(&out, db, "no_such_operation", "{}", NULL), CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "no_such_operation");
  CHECK_HAS(out, "\"errors\"");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, NULL, "{}", NULL), CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "customer_find", "{\"email\":", NULL), CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "JSON");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "customer_find", "[]", NULL), CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "customer_find", "{\"email\":5}", NULL), CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "customer_find", "{\"email\":\"call@example.com\",\"extra\":1}",
                         NULL),
           CUSTAUTH_EINVALID);
  CHECK_HAS(custauth_error_last(), "extra");
  custauth_free(out);
  CHECK_RC(
      custauth_call(&out, db, "customer_find", "{\"email\":\"call@example.com\"}", "{\"who\":1}"),
      CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "customer_find", "{\"email\":\"call@example.com\"}", "nope"),
           CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, NULL, "customer_find", "{\"email\":\"call@example.com\"}", NULL),
           CUSTAUTH_EINVALID);
  custauth_free(out);
  CHECK_RC(custauth_call(NULL, db, "customer_find", "{}", NULL), CUSTAUTH_EINVALID);

  /* Every operation by name. */
  CHECK_RC(custauth_call(&out, db, "customer_find",
                         "{\"email\":\"call@example.com\",\"website_id\":1}", NULL),
           CUSTAUTH_OK);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "customer_update",
                         "{\"email\":\"call@example.com\",\"lastname\":\"B\"}", NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "\"lastname\":\"B\"");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "issue_otc",
                         "{\"email\":\"call@example.com\",\"admin_id\":3,\"reason\":\"r\"}", NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "{\"code\":\"");
  {
    char args[256];
    char code[33] = {0};
    if (out != NULL && strlen(out) > 10) memcpy(code, out + 9, 32);
    custauth_free(out);
    snprintf(args, sizeof args, "{\"email\":\"call@example.com\",\"code\":\"%s\"}", code);
    CHECK_RC(custauth_call(&out, db, "exchange_otc", args, NULL), CUSTAUTH_OK);
    CHECK_HAS(out, "\"token\":\"");
    CHECK(int_of(out, "expires_at") > 0);
    {
      char verify[1024];
      char t[900];
      token_of(out, t, sizeof t);
      snprintf(verify, sizeof verify, "{\"token\":\"%s\"}", t);
      custauth_free(out);
      CHECK_RC(custauth_call(&out, db, "verify_token", verify, NULL), CUSTAUTH_OK);
      CHECK_HAS(out, "{\"claims\":{");
      custauth_free(out);
      CHECK_RC(custauth_call(&out, db, "revoke_customer_tokens", "{\"email\":\"call@example.com\"}",
                             NULL),
               CUSTAUTH_OK);
      CHECK_HAS(out, "\"ok\":true");
      custauth_free(out);
      CHECK_RC(custauth_call(&out, db, "verify_token", verify, NULL), CUSTAUTH_EINVALIDTOKEN);
      custauth_free(out);
    }
  }
  CHECK_RC(
      custauth_call(&out, db, "request_password_reset", "{\"email\":\"call@example.com\"}", NULL),
      CUSTAUTH_OK);
  {
    char args[256];
    char token[33] = {0};
    if (out != NULL && strlen(out) > 10) memcpy(token, out + 10, 32);
    custauth_free(out);
    snprintf(args, sizeof args,
             "{\"email\":\"call@example.com\",\"token\":\"%s\",\"new_password\":\"Reset4567x\"}",
             token);
    CHECK_RC(custauth_call(&out, db, "reset_password", args, NULL), CUSTAUTH_OK);
    custauth_free(out);
  }
  CHECK_RC(custauth_call(&out, db, "change_password",
                         "{\"email\":\"call@example.com\",\"current_password\":\"Reset4567x\","
                         "\"new_password\":\"Change890y\"}",
                         NULL),
           CUSTAUTH_OK);
  custauth_free(out);
  CHECK_RC(
      custauth_call(&out, db, "audit_list", "{\"email\":\"call@example.com\",\"limit\":5}", NULL),
      CUSTAUTH_OK);
  CHECK_HAS(out, "{\"audit\":[");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "integration_create",
                         "{\"name\":\"n\",\"permissions\":[\"exchange_external_customer_token\"]}",
                         NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "{\"integration\":{");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "integration_list", NULL, NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "{\"integrations\":[");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "integration_revoke",
                         "{\"consumer_key\":\"0123456789abcdef0123456789abcdef\"}", NULL),
           CUSTAUTH_ENOTFOUND);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "integration_set_permissions",
                         "{\"consumer_key\":\"0123456789abcdef0123456789abcdef\","
                         "\"permissions\":[]}",
                         NULL),
           CUSTAUTH_ENOTFOUND);
  custauth_free(out);
  {
    int rc =
        custauth_call(&out, db, "exchange_external_customer_token",
                      "{\"request\":{\"method\":\"POST\",\"url\":\"https://shop.example/graphql\"},"
                      "\"input\":{\"customer\":{\"email\":\"x@example.com\"}}}",
                      NULL);
    CHECK(rc == CUSTAUTH_EFORBIDDEN || rc == CUSTAUTH_EINVALID);
  }
  CHECK_HAS(out, "\"errors\"");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "exchange_external_customer_token", "{\"input\":{}}", NULL),
           CUSTAUTH_EINVALID);
  custauth_free(out);
}

/* Threads: one handle shared; errors are per thread. */
struct worker {
  custauth_t* db;
  int failures;
};

static void* sign_in_worker(void* arg) {
  struct worker* w = (struct worker*)arg;
  int i;
  for (i = 0; i < 20; ++i) {
    char* token = NULL;
    char* claims = NULL;
    if (custauth_generate_customer_token(&token, w->db, "threads@example.com", "Password123",
                                         NULL) != CUSTAUTH_OK ||
        custauth_error_last()[0] != '\0') {
      ++w->failures;
    }
    if (custauth_token_verify(&claims, w->db, token) != CUSTAUTH_OK) ++w->failures;
    custauth_free(claims);
    custauth_free(token);
    /* A failure here must not show in another thread's last error. */
    if (custauth_token_verify(&claims, w->db, "garbage") != CUSTAUTH_EINVALIDTOKEN) ++w->failures;
  }
  return NULL;
}

static void test_threads(custauth_t* db) {
  pthread_t threads[4];
  struct worker workers[4];
  int i;
  create(db, "threads@example.com", "Password123", 0);
  for (i = 0; i < 4; ++i) {
    workers[i].db = db;
    workers[i].failures = 0;
    CHECK(pthread_create(&threads[i], NULL, sign_in_worker, &workers[i]) == 0);
  }
  for (i = 0; i < 4; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].failures == 0);
  }
}

/* fork(): a child may not use its parent's handle, but may open its own. */
static void test_fork(custauth_t* db) {
  int status = 0;
  pid_t pid = fork();
  if (pid == 0) {
    char* out = NULL;
    custauth_t* own = NULL;
    int bad = 0;
    if (custauth_customer_find(&out, db, "threads@example.com", NULL) != CUSTAUTH_EINVALID)
      bad |= 1;
    if (strstr(custauth_error_last(), "fork") == NULL) bad |= 2;
    custauth_close(db); /* releases nothing the parent uses */
    if (custauth_open(&own, "memory:", NULL) != CUSTAUTH_OK) bad |= 4;
    custauth_close(own);
    _exit(bad);
  }
  CHECK(pid > 0);
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  {
    char* out = NULL;
    CHECK_RC(custauth_customer_find(&out, db, "threads@example.com", NULL), CUSTAUTH_OK);
    custauth_free(out);
  }
}

/* custauth_customer_delete and custauth_call("customer_delete"): the customer and its tokens go. */
static void test_delete(custauth_t* db) {
  char* token = NULL;
  char* out = NULL;
  int64_t id = -1;
  custauth_claims claims;
  create(db, "erase.me@example.com", "Password123", 0);
  create(db, "erase.too@example.com", NULL, 0);
  CHECK_RC(
      custauth_generate_customer_token(&token, db, "erase.me@example.com", "Password123", NULL),
      CUSTAUTH_OK);
  memset(&claims, 0, sizeof claims);
  claims.version = CUSTAUTH_CLAIMS_VERSION;
  CHECK_RC(custauth_token_verify_claims(&claims, db, token), CUSTAUTH_OK);

  CHECK_RC(custauth_customer_delete(&id, db, "", NULL), CUSTAUTH_EINVALID);
  CHECK_MSG("Specify the \"email\" value.");
  CHECK(id == 0);
  CHECK_RC(custauth_customer_delete(&id, db, "ERASE.ME@example.com", NULL), CUSTAUTH_OK);
  CHECK(id == claims.uid);
  CHECK_RC(custauth_token_verify_claims(&claims, db, token), CUSTAUTH_EINVALIDTOKEN);
  CHECK_RC(custauth_customer_delete(NULL, db, "erase.me@example.com", NULL), CUSTAUTH_ENOTFOUND);
  CHECK_RC(custauth_customer_find(&out, db, "erase.me@example.com", NULL), CUSTAUTH_ENOTFOUND);
  CHECK(out == NULL);
  custauth_free(token);

  CHECK_RC(
      custauth_call(&out, db, "customer_delete", "{\"email\":\"erase.too@example.com\"}", NULL),
      CUSTAUTH_OK);
  CHECK_HAS(out, "\"id\":");
  custauth_free(out);
  out = NULL;
  CHECK_RC(
      custauth_call(&out, db, "customer_delete", "{\"email\":\"erase.too@example.com\"}", NULL),
      CUSTAUTH_ENOTFOUND);
  CHECK_HAS(out, "graphql-no-such-entity");
  custauth_free(out);
}

/* A host's verifier: accepts "host-secret-<id>" for a customer, counts its calls; with
 * `fail` set it answers an error. */
struct host_table {
  int calls;
  int fail;
};

static int host_verify(void* user_data, const custauth_verify_request* req,
                       custauth_verify_answer* answer) {
  struct host_table* t = (struct host_table*)user_data;
  char expected[64];
  t->calls++;
  if (t->fail) {
    snprintf(answer->message, sizeof answer->message, "directory down");
    return CUSTAUTH_VERIFY_ERROR;
  }
  snprintf(expected, sizeof expected, "host-secret-%lld", (long long)req->customer_id);
  if (req->secret_len == strlen(expected) && memcmp(req->secret, expected, req->secret_len) == 0) {
    return CUSTAUTH_VERIFY_MATCHED;
  }
  return CUSTAUTH_VERIFY_NOT_MINE;
}

static custauth_t* open_with(const custauth_verifier* chain, size_t count) {
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  custauth_t* db = NULL;
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  o.login_throttle_max_failures = -1; /* the account lock is what bounds here */
  CHECK_RC(custauth_open_with_verifiers(&db, "memory:", &o, chain, count), CUSTAUTH_OK);
  return db;
}

static void test_verifiers(void) {
  struct host_table table = {0, 0};
  custauth_verifier chain[2];
  custauth_verifier init = CUSTAUTH_VERIFIER_INIT("host_table", host_verify, NULL);
  custauth_verifier builtin = CUSTAUTH_VERIFIER_INIT("password", NULL, NULL);
  custauth_t* db;
  char* out = NULL;
  char* audit = NULL;
  int k;
  chain[0] = init;
  chain[0].user_data = &table;
  chain[1] = builtin;
  db = open_with(chain, 2);
  if (db == NULL) return;
  create(db, "host@example.com", "Roni_Cost123", 0);
  /* In the chain order set: the host's verifier first, then the password. */
  CHECK_RC(custauth_generate_customer_token(&out, db, "host@example.com", "host-secret-1", NULL),
           CUSTAUTH_OK);
  CHECK(out != NULL);
  custauth_free(out);
  CHECK(table.calls == 1);
  CHECK_RC(custauth_generate_customer_token(&out, db, "host@example.com", "Roni_Cost123", NULL),
           CUSTAUTH_OK);
  custauth_free(out);
  CHECK(table.calls == 2); /* asked first, said "not mine" */
  CHECK_RC(custauth_audit_list(&audit, db, "host@example.com", 0, 0, NULL), CUSTAUTH_OK);
  CHECK_HAS(audit, "\"via\":\"host_table\"");
  CHECK_HAS(audit, "\"via\":\"password\"");
  custauth_free(audit);
  /* The lock bounds its guesses: 10 wrong, then even the right one is refused unasked. */
  for (k = 0; k < 10; ++k) {
    CHECK_RC(custauth_generate_customer_token(&out, db, "host@example.com", "wrong", NULL),
             CUSTAUTH_EAUTH);
    CHECK(out == NULL);
  }
  CHECK(table.calls == 12);
  CHECK_RC(custauth_generate_customer_token(&out, db, "host@example.com", "host-secret-1", NULL),
           CUSTAUTH_EAUTH);
  CHECK_MSG(kSignIn);
  CHECK(out == NULL);
  CHECK(table.calls == 12);
  custauth_close(db);

  /* A failing verifier: an error naming it, never a token; first in the chain, the attempt is
   * given back (12 of them do not lock). */
  table.calls = 0;
  table.fail = 1;
  db = open_with(chain, 2);
  if (db == NULL) return;
  create(db, "host@example.com", "Roni_Cost123", 0);
  for (k = 0; k < 12; ++k) {
    out = (char*)"sentinel";
    CHECK_RC(custauth_generate_customer_token(&out, db, "host@example.com", "Roni_Cost123", NULL),
             CUSTAUTH_EINTERNAL);
    CHECK_MSG("the verifier \"host_table\" failed: directory down");
    CHECK(out == NULL);
  }
  CHECK(table.calls == 12);
  table.fail = 0;
  CHECK_RC(custauth_generate_customer_token(&out, db, "host@example.com", "Roni_Cost123", NULL),
           CUSTAUTH_OK);
  custauth_free(out);
  custauth_close(db);

  /* Refused chains. */
  db = NULL;
  chain[1].name = "nonesuch";
  CHECK_RC(custauth_open_with_verifiers(&db, "memory:", NULL, chain, 2), CUSTAUTH_EINVALID);
  chain[1].name = "host_table";
  chain[1].verify = host_verify;
  CHECK_RC(custauth_open_with_verifiers(&db, "memory:", NULL, chain, 2), CUSTAUTH_EINVALID);
  CHECK_RC(custauth_open_with_verifiers(&db, "memory:", NULL, NULL, 1), CUSTAUTH_EINVALID);
  CHECK(db == NULL);
}

/* Sessions (custauth_options.sessions): sign in twice, sign one device out, renew, list. */
static void test_sessions(void) {
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  custauth_claims claims;
  custauth_t* db = NULL;
  char* out = NULL;
  char first[900];
  char second[900];
  char renewed[900];
  char args[1024];
  long long second_id;
  long long second_exp;

  CHECK(o.sessions == 0 && o.max_session_age_s == 2592000);
  o.test_flags = CUSTAUTH_TEST_HANDLE;
  o.sessions = 1;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_OK);
  if (db == NULL) return;
  create(db, "session@example.com", "Password123", 0);

  CHECK_RC(custauth_sign_in(&out, db, "session@example.com", "Password123", NULL), CUSTAUTH_OK);
  CHECK(int_of(out, "session_id") > 0);
  token_of(out, first, sizeof first);
  custauth_free(out);
  CHECK_RC(custauth_test_clock_advance(db, 60000), CUSTAUTH_OK);
  CHECK_RC(custauth_sign_in(&out, db, "session@example.com", "Password123", NULL), CUSTAUTH_OK);
  second_id = int_of(out, "session_id");
  second_exp = int_of(out, "expires_at");
  CHECK(second_id > 0 && second_exp > 0);
  token_of(out, second, sizeof second);
  custauth_free(out);
  CHECK_RC(custauth_sign_in(&out, db, "session@example.com", "wrong", NULL), CUSTAUTH_EAUTH);
  CHECK(out == NULL);

  /* The claims name the session: in the JSON ("sid") and in a version 2 struct; a version 1
   * struct is still filled. */
  CHECK_RC(custauth_token_verify(&out, db, second), CUSTAUTH_OK);
  snprintf(args, sizeof args, "\"sid\":%lld", second_id);
  CHECK_HAS(out, args);
  custauth_free(out);
  memset(&claims, 0, sizeof claims);
  claims.version = CUSTAUTH_CLAIMS_VERSION;
  CHECK_RC(custauth_token_verify_claims(&claims, db, second), CUSTAUTH_OK);
  CHECK(claims.session_id == second_id && claims.exp == second_exp);
  memset(&claims, 0x5a, sizeof claims);
  claims.version = 1;
  CHECK_RC(custauth_token_verify_claims(&claims, db, second), CUSTAUTH_OK);
  CHECK(claims.uid > 0 && claims.session_id == 0x5a5a5a5a5a5a5a5aLL); /* not written */

  /* Two live sessions; the first device signs out. */
  CHECK_RC(custauth_session_list(&out, db, "session@example.com", NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "\"method\":\"password\"");
  CHECK_HAS(out, "},{"); /* two sessions */
  custauth_free(out);
  CHECK_RC(custauth_session_revoke(db, first, NULL), CUSTAUTH_OK);
  CHECK_RC(custauth_token_verify(&out, db, first), CUSTAUTH_EINVALIDTOKEN);
  CHECK_RC(custauth_token_verify(&out, db, second), CUSTAUTH_OK);
  custauth_free(out);
  CHECK_RC(custauth_token_renew(&out, db, first, NULL), CUSTAUTH_EINVALIDTOKEN);
  CHECK(out == NULL);
  CHECK_RC(custauth_session_list(&out, db, "session@example.com", NULL), CUSTAUTH_OK);
  snprintf(args, sizeof args, "[{\"client_ip\":\"\",\"created_at\":");
  CHECK_HAS(out, args);
  snprintf(args, sizeof args, "\"id\":%lld,", second_id);
  CHECK_HAS(out, args);
  CHECK(strstr(out, "},{") == NULL); /* one session */
  custauth_free(out);

  /* A renewal: a later expiry, the same session. */
  CHECK_RC(custauth_test_clock_advance(db, 120000), CUSTAUTH_OK);
  CHECK_RC(custauth_token_renew(&out, db, second, NULL), CUSTAUTH_OK);
  CHECK(int_of(out, "expires_at") > second_exp);
  CHECK(int_of(out, "session_id") == second_id);
  token_of(out, renewed, sizeof renewed);
  custauth_free(out);
  CHECK_RC(custauth_token_verify(&out, db, renewed), CUSTAUTH_OK);
  custauth_free(out);

  /* custauth_call. */
  CHECK_RC(custauth_call(&out, db, "sign_in",
                         "{\"email\":\"session@example.com\",\"password\":\"Password123\"}", NULL),
           CUSTAUTH_OK);
  CHECK(int_of(out, "session_id") > second_id);
  token_of(out, first, sizeof first);
  custauth_free(out);
  snprintf(args, sizeof args, "{\"token\":\"%s\"}", first);
  CHECK_RC(custauth_call(&out, db, "renew_token", args, NULL), CUSTAUTH_OK);
  CHECK(int_of(out, "expires_at") > 0 && int_of(out, "session_id") > second_id);
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "list_sessions", "{\"email\":\"session@example.com\"}", NULL),
           CUSTAUTH_OK);
  CHECK_HAS(out, "{\"sessions\":[{");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "revoke_session", args, NULL), CUSTAUTH_OK);
  CHECK_HAS(out, "\"ok\":true");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "renew_token", args, NULL), CUSTAUTH_EINVALIDTOKEN);
  CHECK_HAS(out, "{\"errors\":[{");
  custauth_free(out);
  CHECK_RC(custauth_call(&out, db, "list_sessions", "{\"email\":\"nobody@example.com\"}", NULL),
           CUSTAUTH_ENOTFOUND);
  custauth_free(out);
  custauth_close(db);

  /* Sessions off: no session to renew or revoke. The JSON options take them too. */
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"test\":true,\"sessions\":false}"), CUSTAUTH_OK);
  if (db == NULL) return;
  create(db, "session@example.com", "Password123", 0);
  CHECK_RC(custauth_sign_in(&out, db, "session@example.com", "Password123", NULL), CUSTAUTH_OK);
  CHECK(strstr(out, "session_id") == NULL);
  token_of(out, first, sizeof first);
  custauth_free(out);
  CHECK_RC(custauth_token_renew(&out, db, first, NULL), CUSTAUTH_EINVALID);
  CHECK_MSG("The token has no session.");
  CHECK_RC(custauth_session_revoke(db, first, NULL), CUSTAUTH_EINVALID);
  CHECK_MSG("The token has no session.");
  custauth_close(db);
  CHECK_RC(custauth_open_json(
               &db, "memory:", "{\"test\":true,\"sessions\":true,\"max_session_age_s\":600}"),
           CUSTAUTH_OK);
  custauth_close(db);
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"version\":4,\"sessions\":true}"),
           CUSTAUTH_EINVALID);
  CHECK_RC(custauth_open_json(&db, "memory:", "{\"sessions\":1}"), CUSTAUTH_EINVALID);
  /* A version 4 struct is read without the fields of version 5. */
  CHECK_RC(custauth_options_init(&o, 4), CUSTAUTH_OK);
  o.test_flags = CUSTAUTH_TEST_HANDLE;
  CHECK_RC(custauth_open(&db, "memory:", &o), CUSTAUTH_OK);
  custauth_close(db);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : ".";
  custauth_t* db;

  test_basics();
  test_open(dir);
  test_prune();
  test_verifiers();
  test_sessions();
  db = open_memory();
  if (db != NULL) {
    test_customers(db);
    test_sign_in(db);
    test_otc(db);
    test_integrations(db);
    test_call(db);
    test_threads(db);
    test_fork(db);
    test_delete(db);
  }
  custauth_close(db);

  printf("c_api_test: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
