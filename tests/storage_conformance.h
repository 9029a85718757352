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
#include "custauth/storage_wrapper.h"
#include "custauth/testing/storage_conformance_basics.h"

#if CUSTAUTH_WITH_POSTGRES
#include <libpq-fe.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "custauth/postgres_storage.h"
#endif

namespace custauth::conformance {

// MakeMemoryStorage().
struct MemoryBackend {
  MemoryBackend() : storage(MakeMemoryStorage()) { REQUIRE(storage != nullptr); }
  std::unique_ptr<Storage> storage;
};

// A StorageWrapper that overrides nothing, over MakeMemoryStorage(): every call must reach the
// target as it is.
struct WrappedMemoryBackend {
  WrappedMemoryBackend()
      : storage(std::make_unique<StorageWrapper>(std::shared_ptr<Storage>(MakeMemoryStorage()))) {}
  std::unique_ptr<Storage> storage;
};

// OpenSqliteStorage() on a new file in a fresh temporary directory, default options.
struct SqliteBackend {
  SqliteBackend() {
    Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(dir.path() + "/custauth.db");
    INFO(opened.status().to_string());
    REQUIRE(opened.ok());
    storage = std::move(opened).value();
    REQUIRE(storage != nullptr);
  }
  ~SqliteBackend() { storage.reset(); }  // close the database before the directory goes
  TempDir dir;                           // declared first: destroyed last
  std::unique_ptr<Storage> storage;
};

#if CUSTAUTH_WITH_POSTGRES

// The URI of the PostgreSQL server for tests: $CUSTAUTH_TEST_POSTGRES_URI, else the first line of
// the file $CUSTAUTH_TEST_POSTGRES_URI_FILE names (ctest sets it; tests/postgres/start_server.sh
// writes the file). Its user must be allowed to create databases. "" when neither is there.
inline std::string TestPostgresUri() {
  if (const char* uri = std::getenv("CUSTAUTH_TEST_POSTGRES_URI"); uri != nullptr && *uri != 0) {
    return uri;
  }
  const char* file = std::getenv("CUSTAUTH_TEST_POSTGRES_URI_FILE");
  if (file == nullptr || *file == '\0') return "";
  std::ifstream in(file);
  std::string uri;
  std::getline(in, uri);
  return uri;
}

// `uri` with its database name replaced by `db` (a plain lower-case identifier).
inline std::string PostgresUriWithDatabase(const std::string& uri, const std::string& db) {
  const std::size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri + " dbname=" + db;  // key=value form
  const std::size_t query = uri.find('?', scheme + 3);
  const std::size_t authority_end = std::min(uri.find('/', scheme + 3), query);
  const std::string head = uri.substr(0, std::min(authority_end, uri.size()));
  const std::string tail = query == std::string::npos ? "" : uri.substr(query);
  return head + "/" + db + tail;
}

// Runs `sql` through a connection of its own to `uri`; "" on success, else why it failed.
inline std::string PostgresExec(const std::string& uri, const std::string& sql) {
  PGconn* pg = PQconnectdb(uri.c_str());
  std::string error;
  if (PQstatus(pg) != CONNECTION_OK) {
    error = std::string("cannot connect to ") + uri + ": " + PQerrorMessage(pg);
  } else {
    PGresult* r = PQexec(pg, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      error = sql + ": " + PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(pg);
  return error;
}

// A new, empty database on the test server, dropped on destruction. A test that needs one FAILS
// (never skips) when there is no test server.
class TempPostgresDatabase {
 public:
  TempPostgresDatabase() : server_(TestPostgresUri()) {
    if (server_.empty()) {
      FAIL(
          "no PostgreSQL test server: run the tests through ctest (which starts one), or "
          "scripts/pg-test-server start, or set CUSTAUTH_TEST_POSTGRES_URI");
    }
    std::random_device rd;
    static constexpr char kHex[] = "0123456789abcdef";
    name_ = "custauth_t_";
    for (int k = 0; k < 16; ++k) name_ += kHex[rd() % 16];
    const std::string error = PostgresExec(server_, "CREATE DATABASE " + name_);
    if (!error.empty()) FAIL(error);
    uri_ = PostgresUriWithDatabase(server_, name_);
  }
  ~TempPostgresDatabase() {
    if (!uri_.empty()) PostgresExec(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  TempPostgresDatabase(const TempPostgresDatabase&) = delete;
  TempPostgresDatabase& operator=(const TempPostgresDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& uri() const { return uri_; }
  // The server's maintenance database, for statements about this database.
  const std::string& server_uri() const { return server_; }

 private:
  std::string server_;
  std::string name_;
  std::string uri_;
};

// A new, empty schema in the database custauth_conformance of the test server (created when
// missing, and left there), dropped with its contents on destruction; uri() sets the connection's
// search_path to it. Much quicker to make than a database, which copies a template.
class TempPostgresSchema {
 public:
  TempPostgresSchema() {
    const std::string server = TestPostgresUri();
    if (server.empty()) {
      FAIL(
          "no PostgreSQL test server: run the tests through ctest (which starts one), or "
          "scripts/pg-test-server start, or set CUSTAUTH_TEST_POSTGRES_URI");
    }
    database_uri_ = PostgresUriWithDatabase(server, "custauth_conformance");
    const std::string created = PostgresExec(server, "CREATE DATABASE custauth_conformance");
    if (!created.empty() && created.find("already exists") == std::string::npos) FAIL(created);
    std::random_device rd;
    static constexpr char kHex[] = "0123456789abcdef";
    name_ = "t_";
    for (int k = 0; k < 16; ++k) name_ += kHex[rd() % 16];
    const std::string error = PostgresExec(database_uri_, "CREATE SCHEMA " + name_);
    if (!error.empty()) FAIL(error);
    if (database_uri_.find("://") == std::string::npos) {
      uri_ = database_uri_ + " options=-csearch_path=" + name_;
    } else {
      uri_ = database_uri_ + (database_uri_.find('?') == std::string::npos ? "?" : "&") +
             "options=-csearch_path%3D" + name_;
    }
  }
  ~TempPostgresSchema() {
    if (!uri_.empty()) PostgresExec(database_uri_, "DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  }
  TempPostgresSchema(const TempPostgresSchema&) = delete;
  TempPostgresSchema& operator=(const TempPostgresSchema&) = delete;

  const std::string& uri() const { return uri_; }

 private:
  std::string database_uri_;
  std::string name_;
  std::string uri_;
};

// OpenPostgresStorage() on a fresh schema of the test server, default options (or, for
// PostgresUnpreparedBackend, prepare_statements = false).
struct PostgresBackend {
  explicit PostgresBackend(const PostgresOptions& options = {}) {
    Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(schema.uri(), options);
    INFO(opened.status().to_string());
    REQUIRE(opened.ok());
    storage = std::move(opened).value();
    REQUIRE(storage != nullptr);
  }
  ~PostgresBackend() { storage.reset(); }  // disconnect before the schema is dropped
  TempPostgresSchema schema;               // declared first: destroyed last
  std::unique_ptr<Storage> storage;
};

// Every statement sent as text (PQexecParams), as behind a pooler in transaction mode.
struct PostgresUnpreparedBackend : PostgresBackend {
  PostgresUnpreparedBackend() : PostgresBackend(Unprepared()) {}
  static PostgresOptions Unprepared() {
    PostgresOptions o;
    o.prepare_statements = false;
    return o;
  }
};

#endif  // CUSTAUTH_WITH_POSTGRES

// Every conformance test case runs once per type listed here (Catch2 TEMPLATE_TEST_CASE, used
// inside namespace custauth::conformance, so that reports name the backends briefly).
#if CUSTAUTH_WITH_POSTGRES
#define CUSTAUTH_CONFORMANCE_BACKENDS \
  MemoryBackend, SqliteBackend, PostgresBackend, PostgresUnpreparedBackend
#else
#define CUSTAUTH_CONFORMANCE_BACKENDS MemoryBackend, SqliteBackend
#endif

}  // namespace custauth::conformance

#endif  // CUSTAUTH_TESTS_STORAGE_CONFORMANCE_H_
