// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/open_storage.h"

#include <unistd.h>

#include <utility>

#include "custauth/memory_storage.h"

namespace custauth {
namespace {

constexpr std::string_view kMemory = "memory:";
constexpr std::string_view kSqlitePrefix = "sqlite:";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<StorageName> ParseStorageName(std::string_view name) {
  if (name.empty()) {
    return Status(Code::kInvalidInput,
                  "storage is empty: give \"memory:\", a SQLite path or a postgresql:// URI");
  }
  if (name == kMemory) return StorageName{StorageKind::kMemory, ""};
  if (StartsWith(name, "postgresql://") || StartsWith(name, "postgres://")) {
    return StorageName{StorageKind::kPostgres, std::string(name)};
  }
  if (StartsWith(name, kSqlitePrefix)) name.remove_prefix(kSqlitePrefix.size());
  if (name.empty()) return Status(Code::kInvalidInput, "storage names no SQLite database path");
  return StorageName{StorageKind::kSqlite, std::string(name)};
}

Result<std::shared_ptr<Storage>> OpenStorage(std::string_view name,
                                             const OpenStorageOptions& options) {
  auto parsed = ParseStorageName(name);
  if (!parsed.ok()) return parsed.status();
  const StorageName& n = parsed.value();
  switch (n.kind) {
    case StorageKind::kMemory:
      return std::shared_ptr<Storage>(MakeMemoryStorage());
    case StorageKind::kPostgres: {
      PostgresOptions po = options.postgres;
      po.create_if_missing = options.create_if_missing;
      auto s = OpenPostgresStorage(n.location, po);
      if (!s.ok()) return s.status();
      return std::shared_ptr<Storage>(std::move(s).value());
    }
    case StorageKind::kSqlite:
      break;
  }
  SqliteOptions so = options.sqlite;
  so.create_if_missing = options.create_if_missing;
  if (!options.create_if_missing && access(n.location.c_str(), F_OK) != 0) {
    return Status(Code::kNotFound, "database " + n.location + " does not exist");
  }
  auto s = OpenSqliteStorage(n.location, so);
  if (!s.ok()) return s.status();
  return std::shared_ptr<Storage>(std::move(s).value());
}

}  // namespace custauth
