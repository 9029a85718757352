// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Hooks into PostgresStorage for custauth's own tests. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_POSTGRES_POSTGRES_INTERNAL_H_
#define CUSTAUTH_SRC_POSTGRES_POSTGRES_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth::internal {

// What a PostgresStorage has done so far, counted since it was opened.
struct PostgresCounters {
  // Transactions (or single statements) run again after a serialization failure or a deadlock.
  std::uint64_t retries = 0;
  // Connections opened, including the first one and replacements of dropped ones.
  std::uint64_t connections_opened = 0;
  // Statements prepared (successful PQprepare calls), over all connections.
  std::uint64_t statements_prepared = 0;
  // Times a connection forgot its prepared statements because one had gone stale on the server.
  std::uint64_t statements_forgotten = 0;
  // Calls (statements or transactions) run again after meeting a stale prepared statement.
  std::uint64_t stale_reruns = 0;
  // Calls whose connection broke after their write was sent, resolved on another connection.
  std::uint64_t resolutions = 0;
  // Calls run again on a fresh connection because theirs broke before anything could apply.
  std::uint64_t broken_reruns = 0;
};

// kInvalidInput when `storage` is not a PostgresStorage.
Result<PostgresCounters> PostgresCountersForTesting(Storage& storage);

// Runs `sql` (unprepared, no parameters) on each connection idle in the pool of `storage` and
// returns the first column of its first row ("" when none), one per idle connection; the first
// failure, if any. REQUIRES: no call in progress on `storage`. kInvalidInput when `storage` is not
// a PostgresStorage.
Result<std::vector<std::string>> PostgresExecOnIdleConnectionsForTesting(Storage& storage,
                                                                         const std::string& sql);

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_POSTGRES_POSTGRES_INTERNAL_H_
