# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
"""A thin example of the custauth Python package (bindings/python; README, "Installing the Python
package"): sign in, verify, a typed refusal.

Run: pip install --no-build-isolation bindings/python, then
     CUSTAUTH_LIBRARY=build/dev/libcustauth.so python examples/python/example.py
"""

import custauth

with custauth.Custauth("memory:", argon2_opslimit=1, argon2_memlimit=8192) as auth:
    auth.create_customer("roni_cost@example.com", "Veronica", "Costello", password="Password123")
    token = auth.generate_customer_token("roni_cost@example.com", "Password123")
    print(auth.verify_token(token))
    try:
        auth.generate_customer_token("roni_cost@example.com", "wrong")
    except custauth.AuthenticationFailed as e:
        print(e.code, e.category, e.message)
