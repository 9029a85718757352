// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The backends the storage conformance suite runs against, and small helpers for it.
//
// Each backend type is default-constructible and owns a fresh, empty Storage (`storage`) plus
// whatever that Storage needs (a temporary directory for a database file). To run the suite
// against another backend, add a type here and to CUSTAUTH_CONFORMANCE_BACKENDS below.
#ifndef CUSTAUTH_TESTS_STORAGE_CONFORMANCE_H_
#define CUSTAUTH_TESTS_STORAGE_CONFORMANCE_H_

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "custauth/clock.h"
#include "custauth/memory_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/storage.h"

namespace custauth::conformance {

// A directory made with mkdtemp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/custauth-conformance-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed for " << pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// MakeMemoryStorage().
struct MemoryBackend {
  MemoryBackend() : storage(MakeMemoryStorage()) { REQUIRE(storage != nullptr); }
  std::unique_ptr<Storage> storage;
};

// OpenSqliteStorage() on a new file in a fresh temporary directory, default options.
struct SqliteBackend {
  SqliteBackend() {
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(dir.path() + "/custauth.db");
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    storage = std::move(opened).value();
    REQUIRE(storage != nullptr);
  }
  ~SqliteBackend() { storage.reset(); }  // close the database before the directory goes
  TempDir dir;                           // declared first: destroyed last
  std::unique_ptr<Storage> storage;
};

// Every conformance test case runs once per type listed here (Catch2 TEMPLATE_TEST_CASE, used
// inside namespace custauth::conformance, so that reports name the backends briefly).
#define CUSTAUTH_CONFORMANCE_BACKENDS MemoryBackend, SqliteBackend

// A fixed start time; every test passes times explicitly.
inline constexpr TimeMs kT0 = 1748499421000;

// A customer to create on `website_id` with `email` and otherwise default fields.
inline NewCustomer Person(std::string email, std::int64_t website_id = kDefaultWebsiteId) {
  NewCustomer c;
  c.website_id = website_id;
  c.email = std::move(email);
  c.firstname = "Veronica";
  c.lastname = "Costello";
  c.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA";
  return c;
}

}  // namespace custauth::conformance

#endif  // CUSTAUTH_TESTS_STORAGE_CONFORMANCE_H_
