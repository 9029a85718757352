#define FFI_SCOPE "CUSTAUTH"
#define FFI_LIB "libcustauth.so"
/* custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
 *
 * (FFI::load reads the two #define lines only at the very top of the file.)
 * The part of capi/custauth.h that the PHP package calls, in the form PHP's FFI::load reads:
 * preload.php loads it once in opcache's preload (FFI_SCOPE below), and every request of every
 * PHP-FPM worker then uses FFI::scope("CUSTAUTH") without parsing it again. FFI_LIB is the
 * library as the dynamic loader finds it; preload.php substitutes $CUSTAUTH_LIBRARY when set. */

typedef struct custauth_handle custauth_t;
typedef struct custauth_claims {
  unsigned int version;
  int64_t uid;
  int utypid;
  int format;
  int64_t iat;
  int64_t exp;
  char kid[65];
  int64_t session_id;
} custauth_claims;
int custauth_open_json(custauth_t** out, const char* storage, const char* options_json);
typedef struct custauth_verify_request {
  unsigned int version;
  int64_t customer_id;
  int64_t website_id;
  const char* email;
  const char* password_hash;
  const char* secret;
  size_t secret_len;
  const char* client_ip;
} custauth_verify_request;
typedef struct custauth_verify_answer {
  int rehash;
  int costly;
  char message[256];
} custauth_verify_answer;
typedef int (*custauth_verify_fn)(void* user_data, const custauth_verify_request* request,
                                  custauth_verify_answer* answer);
typedef struct custauth_verifier {
  unsigned int version;
  const char* name;
  void* user_data;
  custauth_verify_fn verify;
} custauth_verifier;
int custauth_open_json_with_verifiers(custauth_t** out, const char* storage,
                                      const char* options_json, const custauth_verifier* verifiers,
                                      size_t count);
void custauth_close(custauth_t* db);
int custauth_call(char** out, custauth_t* db, const char* operation, const char* args_json,
                  const char* context_json);
int custauth_token_verify_claims(custauth_claims* out, custauth_t* db, const char* token);
void custauth_free(void* ptr);
const char* custauth_error_last(void);
int custauth_error_last_code(void);
const char* custauth_libversion(void);
