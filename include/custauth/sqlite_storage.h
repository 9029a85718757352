// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage: the embedded default Storage. One database file in WAL mode; safe for many threads
// of one process and for several processes on the same file. Every Storage operation is one
// transaction (BEGIN IMMEDIATE for writes); SQLITE_BUSY is retried within `busy_timeout_ms` and
// never reported to a caller as anything but kStorage after that bound. The schema is versioned
// (PRAGMA user_version) and forward migrations run on open, under a write lock, so several
// processes may open a new file at once.
#ifndef CUSTAUTH_SQLITE_STORAGE_H_
#define CUSTAUTH_SQLITE_STORAGE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

struct SqliteOptions {
  // false: synchronous=NORMAL — faster commits; the last commits may be lost on power loss,
  // never on a process crash. Default: true (synchronous=FULL, every acknowledged write survives).
  bool synchronous_full = true;
  // How long a writer waits for another's lock before kStorage. Default: 5 s.
  int busy_timeout_ms = 5000;
  // Connections kept open for concurrent readers/writers in this process. Default: 4.
  std::size_t max_connections = 4;
  // Create the file (and run migrations) when it does not exist. Default: true.
  bool create_if_missing = true;
};

// The schema version this build writes and reads.
CUSTAUTH_EXPORT int SqliteSchemaVersion() noexcept;

// Opens (creating and migrating as needed) the database at `path`. kStorage with the reason when
// the file cannot be opened, is not a custauth database, or has a newer schema than this build.
CUSTAUTH_EXPORT Result<std::unique_ptr<Storage>> OpenSqliteStorage(
    const std::string& path, const SqliteOptions& options = {});

}  // namespace custauth

#endif  // CUSTAUTH_SQLITE_STORAGE_H_
