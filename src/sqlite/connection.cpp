// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage's connections: Connection, Stmt and Pool, and how SqliteStorage opens, checks,
// migrates and hands out its connections.

#include "sqlite/storage.h"

namespace custauth::sqlite_backend {

bool IsBusyCode(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

Status Connection::Fail(int rc) {
  busy = IsBusyCode(rc);
  const char* text = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Status(Code::kStorage, fmt::format("sqlite: {}", text));
}

Status Connection::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Fail(rc);
  return Status::Ok();
}

Result<sqlite3_stmt*> Connection::Prepare(std::string_view sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Fail(rc);
  }
  stmts_.emplace(sql, stmt);
  return stmt;
}

bool Connection::Rollback() {
  if (sqlite3_get_autocommit(db_) != 0) return true;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return sqlite3_get_autocommit(db_) != 0;
}

sqlite3* Connection::db() const { return db_; }

sqlite3** Connection::db_slot() { return &db_; }

int BusyHandler(void* arg, int count) {
  static constexpr int kDelaysMs[] = {1, 1, 2, 2, 5, 5, 10, 10, 20};
  auto* conn = static_cast<Connection*>(arg);
  const auto now = SteadyClock::now();
  if (now >= conn->deadline) return 0;
  const int index = std::min<int>(count, static_cast<int>(std::size(kDelaysMs)) - 1);
  const auto delay = std::min<SteadyClock::duration>(std::chrono::milliseconds(kDelaysMs[index]),
                                                     conn->deadline - now);
  std::this_thread::sleep_for(delay);
  return 1;
}

Stmt& Stmt::Int(std::int64_t v) {
  if (stmt_ != nullptr) Check(sqlite3_bind_int64(stmt_, next_++, v));
  return *this;
}

Stmt& Stmt::Bool(bool v) { return Int(v ? 1 : 0); }

Stmt& Stmt::Null() {
  if (stmt_ != nullptr) Check(sqlite3_bind_null(stmt_, next_++));
  return *this;
}

Stmt& Stmt::OptInt(const std::optional<std::int64_t>& v) { return v ? Int(*v) : Null(); }

Stmt& Stmt::Text(std::string_view v) {
  if (stmt_ != nullptr) {
    Check(sqlite3_bind_text64(stmt_, next_++, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }
  return *this;
}

Stmt& Stmt::Bytes(std::string_view v) {
  if (stmt_ != nullptr) {
    Check(
        sqlite3_bind_blob64(stmt_, next_++, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT));
  }
  return *this;
}

Result<bool> Stmt::Step() {
  if (!error_.ok()) return error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  error_ = conn_.Fail(rc);
  return error_;
}

Status Stmt::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::int64_t Stmt::ColInt(int col) const { return sqlite3_column_int64(stmt_, col); }

bool Stmt::ColBool(int col) const { return ColInt(col) != 0; }

std::optional<std::int64_t> Stmt::ColOptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return ColInt(col);
}

std::string Stmt::ColText(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
}

std::string Stmt::ColBlob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
}

void Stmt::Check(int rc) {
  if (rc != SQLITE_OK && error_.ok()) error_ = conn_.Fail(rc);
}

Result<std::int64_t> QueryInt(Connection& conn, std::string_view sql) {
  Stmt st(conn, sql);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status(Code::kStorage, fmt::format("sqlite: no result from {}", sql));
  return st.ColInt(0);
}

Status SqliteStorage::Init() {
  if (options_.create_if_missing) CUSTAUTH_RETURN_IF_ERROR(CreateOwnerOnly());
  Result<std::unique_ptr<Connection>> first = OpenConnection(options_.create_if_missing);
  if (!first.ok()) return first.status();
  std::unique_ptr<Connection> conn = std::move(first).value();
  CUSTAUTH_RETURN_IF_ERROR(Bootstrap(*conn));
  pool_.Adopt(std::move(conn));
  return Status::Ok();
}

std::string SqliteStorage::describe() const { return "sqlite:" + path_; }

Result<std::string> SqliteStorage::PragmaText(const std::string& sql) {
  return Transact(Tx::kAutocommit, [&](Connection& c) -> Result<std::string> {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(c.db(), sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return c.Fail(rc);
    }
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
      Status s = rc == SQLITE_DONE ? Status(Code::kNotFound, "no result") : c.Fail(rc);
      sqlite3_finalize(stmt);
      return s;
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    std::string value = p == nullptr ? "" : p;
    sqlite3_finalize(stmt);
    return value;
  });
}

void SqliteStorage::Backoff(int attempt, SteadyClock::duration remaining) {
  thread_local std::minstd_rand rng(static_cast<unsigned>(
      std::hash<std::thread::id>()(std::this_thread::get_id()) ^
      static_cast<std::size_t>(SteadyClock::now().time_since_epoch().count())));
  const int cap_us = 500 << std::min(attempt, 5);  // 0.5 ms .. 16 ms
  const auto delay = std::chrono::microseconds(100 + static_cast<int>(rng() % cap_us));
  std::this_thread::sleep_for(std::min<SteadyClock::duration>(delay, remaining));
}

Status SqliteStorage::CreateOwnerOnly() const {
  if (path_ == ":memory:") return Status::Ok();
  const int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) return Status::Ok();
    return Status(Code::kStorage,
                  fmt::format("sqlite: cannot create {}: {}", path_, std::strerror(err)));
  }
  const int err = fchmod(fd, 0600) != 0 ? errno : 0;
  close(fd);
  if (err != 0) {
    unlink(path_.c_str());
    return Status(Code::kStorage,
                  fmt::format("sqlite: cannot make {} owner-only: {}", path_, std::strerror(err)));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Connection>> SqliteStorage::OpenConnection(bool create) {
  auto conn = std::make_unique<Connection>();
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path_.c_str(), conn->db_slot(), flags, nullptr);
  if (rc != SQLITE_OK) {
    const char* why = conn->db() != nullptr ? sqlite3_errmsg(conn->db()) : sqlite3_errstr(rc);
    return Status(Code::kStorage, fmt::format("sqlite: cannot open {}: {}", path_, why));
  }
  sqlite3_extended_result_codes(conn->db(), 1);
  sqlite3_busy_handler(conn->db(), &BusyHandler, conn.get());
  // Per-connection settings. Setting synchronous reads the schema, so it may meet a lock (another
  // process switching the file to WAL or migrating it): it waits within the busy bound too.
  conn->deadline = SteadyClock::now() + busy_timeout_;
  const char* synchronous =
      options_.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  CUSTAUTH_RETURN_IF_ERROR(RetryBusy(*conn, [&] { return conn->Exec(synchronous); }));
  CUSTAUTH_RETURN_IF_ERROR(
      RetryBusy(*conn, [&] { return conn->Exec("PRAGMA foreign_keys = ON"); }));
  // Deleted and rewritten rows are overwritten with zeros, not left in free space: an erased
  // customer (delete_customer) leaves nothing in the file.
  CUSTAUTH_RETURN_IF_ERROR(
      RetryBusy(*conn, [&] { return conn->Exec("PRAGMA secure_delete = ON"); }));
  return conn;
}

Result<SqliteStorage::FileIdentity> SqliteStorage::ReadIdentity(Connection& conn) {
  Stmt st(conn,
          "SELECT (SELECT application_id FROM pragma_application_id),"
          " (SELECT user_version FROM pragma_user_version),"
          " (SELECT count(*) FROM sqlite_schema)");
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return Status(Code::kStorage, "sqlite: reading the file's identity returned nothing");
  }
  FileIdentity id;
  id.application_id = st.ColInt(0);
  id.user_version = st.ColInt(1);
  id.schema_objects = st.ColInt(2);
  return id;
}

Status SqliteStorage::CheckIdentity(const FileIdentity& id) const {
  if (id.application_id == sqlite_schema::kApplicationId) {
    if (id.user_version > sqlite_schema::kSchemaVersion) {
      return Status(Code::kStorage,
                    fmt::format("database schema version {} is newer than this custauth ({})",
                                id.user_version, sqlite_schema::kSchemaVersion));
    }
    return Status::Ok();
  }
  if (id.application_id == 0 && id.user_version == 0 && id.schema_objects == 0) {
    return Status::Ok();  // a new, empty database
  }
  return Status(Code::kStorage,
                fmt::format("{} is not a custauth database (application_id {}, user_version {})",
                            path_, id.application_id, id.user_version));
}

Status SqliteStorage::Bootstrap(Connection& conn) {
  conn.deadline = SteadyClock::now() + busy_timeout_;
  Result<FileIdentity> id = RetryBusy(conn, [&] { return ReadIdentity(conn); });
  if (!id.ok()) return id.status();
  CUSTAUTH_RETURN_IF_ERROR(CheckIdentity(*id));

  Result<std::string> mode = RetryBusy(conn, [&]() -> Result<std::string> {
    Stmt st(conn, "PRAGMA journal_mode = WAL");
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status(Code::kStorage, "sqlite: PRAGMA journal_mode returned nothing");
    return st.ColText(0);
  });
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return Status(
        Code::kStorage,
        fmt::format("sqlite: cannot use WAL mode on {} (journal_mode is {})", path_, *mode));
  }
  if (id->user_version == sqlite_schema::kSchemaVersion) return Status::Ok();

  return TransactOn(conn, [&](Connection& c) -> Status {
    // Another process may have migrated the file since it was read above.
    Result<FileIdentity> now = ReadIdentity(c);
    if (!now.ok()) return now.status();
    CUSTAUTH_RETURN_IF_ERROR(CheckIdentity(*now));
    for (std::int64_t v = now->user_version; v < sqlite_schema::kSchemaVersion; ++v) {
      CUSTAUTH_RETURN_IF_ERROR(c.Exec(sqlite_schema::kMigrations[v]));
    }
    CUSTAUTH_RETURN_IF_ERROR(
        c.Exec(fmt::format("PRAGMA user_version = {}", sqlite_schema::kSchemaVersion).c_str()));
    return c.Exec(fmt::format("PRAGMA application_id = {}", sqlite_schema::kApplicationId).c_str());
  });
}

}  // namespace custauth::sqlite_backend

namespace custauth {

int SqliteSchemaVersion() noexcept { return sqlite_schema::kSchemaVersion; }

Result<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                   const SqliteOptions& options) {
  if (path.empty()) return Status(Code::kInvalidInput, "The SQLite database path is empty");
  auto storage = std::make_unique<sqlite_backend::SqliteStorage>(path, options);
  CUSTAUTH_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<Storage>(std::move(storage));
}

namespace internal {

Result<std::string> SqlitePragmaForTesting(Storage& storage, std::string_view name) {
  auto* sqlite = dynamic_cast<sqlite_backend::SqliteStorage*>(&storage);
  if (sqlite == nullptr) return Status(Code::kInvalidInput, "not a SqliteStorage");
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
      })) {
    return Status(Code::kInvalidInput, "not a pragma name");
  }
  return sqlite->PragmaText(fmt::format("PRAGMA {}", name));
}

}  // namespace internal

}  // namespace custauth
