// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Hooks into PostgresStorage for custauth's own tests. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_POSTGRES_POSTGRES_INTERNAL_H_
#define CUSTAUTH_SRC_POSTGRES_POSTGRES_INTERNAL_H_

#include <cstdint>

#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth::internal {

// What a PostgresStorage has done so far, counted since it was opened.
struct PostgresCounters {
  // Transactions (or single statements) run again after a serialization failure or a deadlock.
  std::uint64_t retries = 0;
  // Connections opened, including the first one and replacements of dropped ones.
  std::uint64_t connections_opened = 0;
};

// kInvalidInput when `storage` is not a PostgresStorage.
Result<PostgresCounters> PostgresCountersForTesting(Storage& storage);

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_POSTGRES_POSTGRES_INTERNAL_H_
