/* custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
 *
 * custauth from C: create a customer, sign in (generateCustomerToken), verify the token. */
#include <custauth/custauth.h>
#include <stdio.h>

int main(void) {
  custauth_t* db = NULL;
  char* token = NULL;
  char* claims = NULL;
  int rc = custauth_open(&db, "memory:", NULL); /* or "shop.db" (keys in "shop.key") */
  if (rc == CUSTAUTH_OK) {
    char* customer = NULL;
    rc = custauth_customer_create(&customer, db, "roni_cost@example.com", "Veronica", "Costello",
                                  "Password123", 0, NULL);
    custauth_free(customer);
  }
  if (rc == CUSTAUTH_OK) {
    rc = custauth_generate_customer_token(&token, db, "roni_cost@example.com", "Password123", NULL);
  }
  if (rc == CUSTAUTH_OK) rc = custauth_token_verify(&claims, db, token);
  if (rc != CUSTAUTH_OK) {
    fprintf(stderr, "custauth: %s (%s)\n", custauth_error_last(), custauth_code_name(rc));
  } else {
    printf("token %s\nclaims %s\n", token, claims);
  }
  custauth_free(claims);
  custauth_free(token);
  custauth_close(db);
  return rc == CUSTAUTH_OK ? 0 : 1;
}
