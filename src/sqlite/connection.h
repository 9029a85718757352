// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage's connections: Connection (one sqlite3 handle and its statement cache), Stmt
// (one use of a cached statement), Pool (the connections a storage shares between threads).
#ifndef CUSTAUTH_SRC_SQLITE_CONNECTION_H_
#define CUSTAUTH_SRC_SQLITE_CONNECTION_H_

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"
#include "sqlite/schema.h"
#include "sqlite/sqlite_internal.h"
#include "storage_internal.h"

namespace custauth::sqlite_backend {

// The refusals and helpers every backend shares (storage_internal.h).
using namespace internal;  // NOLINT(google-build-using-namespace)

using SteadyClock = std::chrono::steady_clock;

// Whether `rc` is SQLITE_BUSY or SQLITE_LOCKED (any extended code of either).
bool IsBusyCode(int rc);

// ---------------------------------------------------------------------------------------------
// Connection: one sqlite3 handle, its statement cache, and the deadline of the call using it.

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  sqlite3* db() const;
  sqlite3** db_slot();

  // The deadline of the call in progress; the busy handler waits no longer.
  SteadyClock::time_point deadline;
  // Whether the last failure reported through Fail() was SQLITE_BUSY / SQLITE_LOCKED.
  bool busy = false;

  // A kStorage Status for the failed result code `rc`, recording whether it was "busy".
  Status Fail(int rc);

  // Runs SQL without results (one or more statements).
  Status Exec(const char* sql);

  // The cached statement for `sql`, prepared on first use. `sql` must have static storage.
  Result<sqlite3_stmt*> Prepare(std::string_view sql);

  // Rolls back an open transaction, if any. False when the connection is left in an unknown state
  // (it should then be closed rather than reused).
  bool Rollback();

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string_view, sqlite3_stmt*> stmts_;
};

// The busy handler of every connection: waits with a short backoff until the call's deadline.
int BusyHandler(void* arg, int count);

// ---------------------------------------------------------------------------------------------
// Stmt: one use of a cached statement. Binds parameters left to right; resets on destruction.
// At most one Stmt per SQL text may be alive on a connection at a time.

class Stmt {
 public:
  // `sql` must outlive the connection (a string constant): the statement cache keeps a view of it.
  Stmt(Connection& conn, std::string_view sql) : conn_(conn) {
    Result<sqlite3_stmt*> stmt = conn.Prepare(sql);
    if (stmt.ok()) {
      stmt_ = *stmt;
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    } else {
      error_ = stmt.status();
    }
  }
  // A temporary string would leave the cache a dangling view: refused at compile time.
  template <class S>
  requires std::same_as<S, std::string> Stmt(Connection& conn, S&& sql)
  = delete;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  Stmt& Int(std::int64_t v);
  Stmt& Bool(bool v);
  Stmt& Null();
  Stmt& OptInt(const std::optional<std::int64_t>& v);
  // Never binds NULL, also for an empty string.
  Stmt& Text(std::string_view v);
  Stmt& Bytes(std::string_view v);

  // Steps once: true with a row, false when done.
  Result<bool> Step();

  // Steps to the end, ignoring rows.
  Status Run();

  bool IsNull(int col) const;
  std::int64_t ColInt(int col) const;
  bool ColBool(int col) const;
  std::optional<std::int64_t> ColOptInt(int col) const;
  std::string ColText(int col) const;
  std::string ColBlob(int col) const;

 private:
  void Check(int rc);

  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 1;
  Status error_;
};

// The current row of a Stmt, read by column as storage_internal.h's row readers take it.
class StmtRow {
 public:
  explicit StmtRow(const Stmt& st) : st_(st) {}
  std::int64_t Int(int col) const { return st_.ColInt(col); }
  std::optional<std::int64_t> OptInt(int col) const { return st_.ColOptInt(col); }
  bool Bool(int col) const { return st_.ColBool(col); }
  std::string Text(int col) const { return st_.ColText(col); }

 private:
  const Stmt& st_;
};

// Runs a statement that yields one integer (e.g. a pragma or a count).
Result<std::int64_t> QueryInt(Connection& conn, std::string_view sql);

// ---------------------------------------------------------------------------------------------
// Pool: up to SqliteOptions::max_connections connections, each checked out by one thread at a
// time (storage_internal.h).

using Pool = ConnectionPool<Connection>;

}  // namespace custauth::sqlite_backend

#endif  // CUSTAUTH_SRC_SQLITE_CONNECTION_H_
