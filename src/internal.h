// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by custauth's implementation files. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_INTERNAL_H_
#define CUSTAUTH_SRC_INTERNAL_H_

#include <string>
#include <string_view>

namespace custauth {

// Initialises libsodium once per process (thread-safe). Call before any libsodium function.
void EnsureSodium();

}  // namespace custauth

#endif  // CUSTAUTH_SRC_INTERNAL_H_
