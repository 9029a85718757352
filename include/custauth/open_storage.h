// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// One place that opens a storage by its name, for the C ABI, the command-line tool, the bindings
// and test handles alike:
//   "memory:"                               MakeMemoryStorage() (memory_storage.h)
//   "postgresql://…" or "postgres://…"      OpenPostgresStorage() (postgres_storage.h)
//   "sqlite:PATH" or any other PATH          OpenSqliteStorage() (sqlite_storage.h)
// The backends stay apart: each is still reachable through its own header.
#ifndef CUSTAUTH_OPEN_STORAGE_H_
#define CUSTAUTH_OPEN_STORAGE_H_

#include <memory>
#include <string>
#include <string_view>

#include "custauth/export.h"
#include "custauth/postgres_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

enum class StorageKind { kMemory, kSqlite, kPostgres };

// A storage name taken apart: its kind and where it is (the SQLite path without a "sqlite:"
// prefix, the PostgreSQL URI as given, empty for memory).
struct StorageName {
  StorageKind kind = StorageKind::kMemory;
  std::string location;
};

// kInvalidInput `storage is empty: give "memory:", a SQLite path or a postgresql:// URI` for an
// empty name, `storage names no SQLite database path` for a bare "sqlite:".
CUSTAUTH_EXPORT Result<StorageName> ParseStorageName(std::string_view name);

struct OpenStorageOptions {
  SqliteOptions sqlite;      // for a SQLite path
  PostgresOptions postgres;  // for a postgresql:// URI
  // false: a SQLite file that does not exist is kNotFound ("database PATH does not exist"), and a
  // PostgreSQL database without custauth's tables kStorage; the memory storage is always new.
  // Overrides create_if_missing of both backends' options.
  bool create_if_missing = true;
};

// Opens the storage `name` names (see above), with the backend's errors as they are.
CUSTAUTH_EXPORT Result<std::shared_ptr<Storage>> OpenStorage(
    std::string_view name, const OpenStorageOptions& options = {});

}  // namespace custauth

#endif  // CUSTAUTH_OPEN_STORAGE_H_
