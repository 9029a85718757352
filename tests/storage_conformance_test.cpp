// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The Storage conformance suite (the installed custauth/testing/storage_conformance.h) run against
// every backend listed in CUSTAUTH_CONFORMANCE_BACKENDS (storage_conformance.h) and a
// StorageWrapper, and the cases that need a backend's insides (schema migrations).

#include <catch2/catch.hpp>

// The backends of this file: memory, and a StorageWrapper forwarding to the memory backend (every
// call of the interface reaches its target). SQLite and PostgreSQL run the same suite from
// storage_conformance_sqlite.cpp and storage_conformance_postgres*.cpp, linked into this test:
// one backend per translation unit, so that the suite's cases compile in parallel.
#include "storage_conformance.h"
#define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS MemoryBackend, WrappedMemoryBackend
#include "custauth/testing/storage_conformance.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "sqlite/schema.h"

#include <sqlite3.h>
#if CUSTAUTH_WITH_POSTGRES
#include "postgres/schema.h"
#endif

namespace custauth::conformance {
namespace {

// A database made by schema version 1 (ids: SQLite's rowid, PostgreSQL's max(id) + 1) with
// customers 1, 2 and 70 migrates in place: the customers stay, and ids go on after 70, never
// reusing the newest one's once it is gone.
void CheckIdsAfterMigration(Storage& s, const std::function<void(std::int64_t)>& remove) {
  CHECK(MustFind(s, 70).email == "seventy@example.com");
  CHECK(MustFind(s, 2).email == "two@example.com");
  const Customer next = s.create_customer(Person("next@example.com"), kT0).value();
  CHECK(next.id == 71);
  remove(71);  // as a deletion of the newest customer would
  CHECK(s.find_customer_by_id(71).code() == Code::kNotFound);
  CHECK(s.create_customer(Person("after@example.com"), kT0).value().id == 72);
  std::vector<ImportedCustomer> no_id = {Imported(0, "imported@example.com")};
  CHECK(MustImport(s, no_id, ImportConflict::kSkip) == std::vector<O>{O::kCreated});
  CHECK(MustFind(s, 73).email == "imported@example.com");
}

constexpr const char* kVersion1Customers =
    "INSERT INTO customers (id, website_id, email, email_key, created_at, updated_at) VALUES "
    "(1, 1, 'one@example.com', 'one@example.com', 1, 1), "
    "(2, 1, 'two@example.com', 'two@example.com', 1, 1), "
    "(70, 1, 'seventy@example.com', 'seventy@example.com', 1, 1)";

TEST_CASE("sqlite: a file of schema version 1 migrates in place; ids are not reused after it",
          "[storage][ids][migration]") {
  TempDir dir;
  const std::string path = dir.path() + "/v1.db";
  const auto exec = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error != nullptr ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  };
  exec(std::string("BEGIN;") + sqlite_schema::kMigrations[0] + ";" + kVersion1Customers +
       ";PRAGMA user_version = 1; PRAGMA application_id = " +
       std::to_string(sqlite_schema::kApplicationId) + ";COMMIT;");
  {
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
    INFO(opened.status().to_string());
    REQUIRE(opened.ok());
    CheckIdsAfterMigration(**opened, [&](std::int64_t id) {
      exec("DELETE FROM customers WHERE id = " + std::to_string(id));
    });
  }
}

#if CUSTAUTH_WITH_POSTGRES
TEST_CASE("postgres: a database of schema version 1 migrates in place; ids are not reused after it",
          "[storage][ids][migration]") {
  TempPostgresSchema schema;
  const auto exec = [&](const std::string& sql) {
    const std::string error = PostgresExec(schema.uri(), sql);
    INFO(error);
    REQUIRE(error.empty());
  };
  exec(std::string("BEGIN;") + postgres_schema::kCreateVersionTable +
       postgres_schema::kMigrations[0] + ";" + kVersion1Customers +
       ";UPDATE custauth_schema SET version = 1; COMMIT;");
  Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(schema.uri());
  INFO(opened.status().to_string());
  REQUIRE(opened.ok());
  CheckIdsAfterMigration(**opened, [&](std::int64_t id) {
    exec("DELETE FROM customers WHERE id = " + std::to_string(id));
  });
}
#endif

}  // namespace
}  // namespace custauth::conformance
