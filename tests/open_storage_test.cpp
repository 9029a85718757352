// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// OpenStorage (custauth/open_storage.h): one factory opens a storage by its name for the C ABI,
// the CLI, the bindings and test handles; bad names are refused and create nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "custauth/open_storage.h"
#include "custauth/storage_records.h"
#include "test_util.h"

namespace open_storage_test {

using namespace custauth;
using custauth::testing::TempDir;

TEST_CASE("storage names are taken apart by kind", "[open_storage]") {
  auto memory = ParseStorageName("memory:");
  REQUIRE(memory.ok());
  CHECK(memory.value().kind == StorageKind::kMemory);
  CHECK(memory.value().location.empty());

  auto pg = ParseStorageName("postgresql://u:p@db.internal/shop");
  REQUIRE(pg.ok());
  CHECK(pg.value().kind == StorageKind::kPostgres);
  CHECK(pg.value().location == "postgresql://u:p@db.internal/shop");
  auto pg_short = ParseStorageName("postgres://db/shop");
  REQUIRE(pg_short.ok());
  CHECK(pg_short.value().kind == StorageKind::kPostgres);

  auto path = ParseStorageName("/var/lib/shop.db");
  REQUIRE(path.ok());
  CHECK(path.value().kind == StorageKind::kSqlite);
  CHECK(path.value().location == "/var/lib/shop.db");
  auto prefixed = ParseStorageName("sqlite:shop.db");
  REQUIRE(prefixed.ok());
  CHECK(prefixed.value().kind == StorageKind::kSqlite);
  CHECK(prefixed.value().location == "shop.db");
  // "memory:" only as the whole name: anything longer is a file name.
  auto memory_file = ParseStorageName("memory:x");
  REQUIRE(memory_file.ok());
  CHECK(memory_file.value().kind == StorageKind::kSqlite);
}

TEST_CASE("bad storage names are refused with their message", "[open_storage]") {
  auto empty = OpenStorage("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.code() == Code::kInvalidInput);
  CHECK(empty.status().message() ==
        "storage is empty: give \"memory:\", a SQLite path or a postgresql:// URI");
  auto bare = OpenStorage("sqlite:");
  REQUIRE_FALSE(bare.ok());
  CHECK(bare.code() == Code::kInvalidInput);
  CHECK(bare.status().message() == "storage names no SQLite database path");
}

TEST_CASE("OpenStorage opens memory and SQLite, and creates only when asked", "[open_storage]") {
  TempDir dir;
  const std::string file = dir.file("shop.db");
  OpenStorageOptions no_create;
  no_create.create_if_missing = false;
  auto missing = OpenStorage(file, no_create);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.code() == Code::kNotFound);
  CHECK(missing.status().message() == "database " + file + " does not exist");
  CHECK_FALSE(std::filesystem::exists(file));

  auto created = OpenStorage(file);
  REQUIRE(created.ok());
  NewCustomer c;
  c.website_id = 1;
  c.email = "a@example.com";
  c.firstname = "A";
  c.lastname = "B";
  REQUIRE(created.value()->create_customer(c, 1000).ok());
  created.value().reset();
  CHECK(std::filesystem::exists(file));

  // The same file by its prefixed name, without creating: the customer is there.
  auto again = OpenStorage("sqlite:" + file, no_create);
  REQUIRE(again.ok());
  CHECK(again.value()->find_customer_by_email(1, "a@example.com").ok());

  auto memory = OpenStorage("memory:", no_create);
  REQUIRE(memory.ok());
  CHECK(memory.value()->find_customer_by_email(1, "a@example.com").code() == Code::kNotFound);
}

}  // namespace open_storage_test
