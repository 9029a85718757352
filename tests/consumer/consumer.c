/* custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
 *
 * A host in C, built against an installed custauth: sign in and verify. */
#include <custauth/custauth.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  custauth_options options = CUSTAUTH_OPTIONS_INIT;
  custauth_t* db = NULL;
  char* customer = NULL;
  char* token = NULL;
  char* claims = NULL;
  int rc;
  if (custauth_libversion_number() / 1000000 != CUSTAUTH_VERSION_MAJOR) {
    fprintf(stderr, "built against %s, running %s\n", CUSTAUTH_VERSION_STRING,
            custauth_libversion());
    return 1;
  }
  options.argon2_opslimit = 1;
  options.argon2_memlimit = 8192;
  rc = custauth_open(&db, "memory:", &options);
  if (rc == CUSTAUTH_OK) {
    rc = custauth_customer_create(&customer, db, "roni_cost@example.com", "Veronica", "Costello",
                                  "Password123", 0, NULL);
  }
  if (rc == CUSTAUTH_OK) {
    rc = custauth_generate_customer_token(&token, db, "roni_cost@example.com", "Password123", NULL);
  }
  if (rc == CUSTAUTH_OK) rc = custauth_token_verify(&claims, db, token);
  if (rc == CUSTAUTH_OK && strstr(claims, "\"utypid\":3") == NULL) rc = CUSTAUTH_EINTERNAL;
  if (rc != CUSTAUTH_OK) {
    fprintf(stderr, "consumer: %s: %s\n", custauth_code_name(rc), custauth_error_last());
  } else {
    printf("consumer (C, custauth %s): %s\n", custauth_libversion(), claims);
  }
  custauth_free(claims);
  custauth_free(token);
  custauth_free(customer);
  custauth_close(db);
  return rc == CUSTAUTH_OK ? 0 : 1;
}
