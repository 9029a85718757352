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
} custauth_claims;
int custauth_open_json(custauth_t** out, const char* storage, const char* options_json);
void custauth_close(custauth_t* db);
int custauth_call(custauth_t* db, const char* operation, const char* args_json,
                  const char* context_json, char** out_json);
int custauth_verify_token_claims(custauth_claims* out, custauth_t* db, const char* token);
void custauth_free(void* ptr);
const char* custauth_error_last(void);
int custauth_error_last_code(void);
const char* custauth_libversion(void);
