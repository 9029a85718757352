// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Opening a PostgresStorage: its connections' settings, the schema version and the migrations,
// OpenPostgresStorage and the hooks for custauth's tests; without PostgreSQL support
// (CUSTAUTH_WITH_POSTGRES off), OpenPostgresStorage's kUnsupported.

#include "custauth/postgres_storage.h"

#include "postgres/schema.h"

#if CUSTAUTH_WITH_POSTGRES

#include <fmt/format.h>

#include "postgres/storage.h"

namespace custauth {
namespace postgres_backend {

Status PostgresStorage::Init() {
  Result<std::unique_ptr<Connection>> first = OpenConnection();
  if (!first.ok()) return first.status();
  describe_ = DescribeConnection((*first)->pg());
  pool_.Adopt(std::move(first).value());
  return Bootstrap();
}

internal::PostgresCounters PostgresStorage::counters() const {
  internal::PostgresCounters c;
  c.retries = retries_.load(std::memory_order_relaxed);
  c.connections_opened = connections_opened_.load(std::memory_order_relaxed);
  c.statements_prepared = statements_.prepared.load(std::memory_order_relaxed);
  c.statements_forgotten = statements_.forgotten.load(std::memory_order_relaxed);
  c.stale_reruns = stale_reruns_.load(std::memory_order_relaxed);
  c.resolutions = resolutions_.load(std::memory_order_relaxed);
  c.broken_reruns = broken_reruns_.load(std::memory_order_relaxed);
  return c;
}

Result<std::vector<std::string>> PostgresStorage::ExecOnIdleConnections(const std::string& sql) {
  std::vector<std::string> out;
  Status failure;
  pool_.ForEachIdle([&](Connection& conn) {
    Result<Rows> rows = conn.ExecUnprepared(sql.c_str());
    if (!rows.ok()) {
      failure = rows.status();
    } else {
      out.push_back(rows->empty() ? std::string() : rows->Text(0, 0));
    }
  });
  if (!failure.ok()) return failure;
  return out;
}

Result<std::unique_ptr<Connection>> PostgresStorage::OpenConnection() {
  const int timeout_s = std::max(2, (std::max(options_.connect_timeout_ms, 0) + 999) / 1000);
  const std::string timeout = std::to_string(timeout_s);
  // Keywords after "dbname" (the URI, expanded) override what the URI says.
  const char* const keys[] = {"fallback_application_name", "dbname", "connect_timeout",
                              "client_encoding", nullptr};
  const char* const values[] = {"custauth", uri_.c_str(), timeout.c_str(), "UTF8", nullptr};
  PGconn* pg = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (pg == nullptr) return Status(Code::kStorage, "postgresql: out of memory");
  auto conn = std::make_unique<Connection>(pg, &statements_, options_.prepare_statements);
  if (PQstatus(pg) != CONNECTION_OK) {
    return Status(Code::kStorage, fmt::format("postgresql: cannot connect to {}: {}",
                                              DescribeConnection(pg), OneLine(PQerrorMessage(pg))));
  }
  connections_opened_.fetch_add(1, std::memory_order_relaxed);
  PQsetNoticeReceiver(pg, &Connection::NoteReceived, conn.get());
  conn->lock_timeout_ms = std::max(options_.lock_timeout_ms, 0);
  CUSTAUTH_RETURN_IF_ERROR(
      conn->Script(fmt::format("SET lock_timeout = {}", conn->lock_timeout_ms).c_str()));
  return conn;
}

Result<int> PostgresStorage::ReadVersion(Connection& conn) {
  Result<Rows> exists = conn.ExecUnprepared("SELECT to_regclass('custauth_schema') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  if (!exists->Bool(0, 0)) return -1;
  Result<Rows> rows = conn.ExecUnprepared("SELECT version FROM custauth_schema WHERE id = 1");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status(Code::kStorage, "postgresql: custauth_schema has no row");
  return static_cast<int>(rows->Int(0, 0));
}

Status PostgresStorage::CheckVersion(int version) const {
  if (version > postgres_schema::kSchemaVersion) {
    return Status(Code::kStorage,
                  fmt::format("database schema version {} is newer than this custauth ({})",
                              version, postgres_schema::kSchemaVersion));
  }
  if (version < 0 && !options_.create_if_missing) {
    return Status(Code::kStorage, fmt::format("{} has no custauth tables (custauth_schema) and "
                                              "create_if_missing is false",
                                              describe_));
  }
  return Status::Ok();
}

Status PostgresStorage::Bootstrap() {
  Result<int> version = Transact(Tx::kRead, [](Connection& c) { return ReadVersion(c); });
  if (!version.ok()) return version.status();
  CUSTAUTH_RETURN_IF_ERROR(CheckVersion(*version));
  if (*version == postgres_schema::kSchemaVersion) return Status::Ok();

  std::unique_ptr<Connection> conn;
  CUSTAUTH_RETURN_IF_ERROR(pool_.Acquire(&conn));
  Status migrated = Migrate(*conn);
  // Roll back what failed, release the lock and restore lock_timeout; a connection where any of
  // that fails is closed, which releases the session lock too.
  const bool healthy =
      conn->Reset() &&
      conn->RunUnprepared("SELECT pg_advisory_unlock($1)",
                          Params().Int(postgres_schema::kMigrationLockKey))
          .ok() &&
      conn->Script(fmt::format("SET lock_timeout = {}", conn->lock_timeout_ms).c_str()).ok();
  if (healthy) {
    pool_.Release(std::move(conn));
  } else {
    conn.reset();
    pool_.Discard();
  }
  return migrated;
}

Status PostgresStorage::Migrate(Connection& c) {
  CUSTAUTH_RETURN_IF_ERROR(c.Script("SET lock_timeout = 0"));
  CUSTAUTH_RETURN_IF_ERROR(c.RunUnprepared("SELECT pg_advisory_lock($1)",
                                           Params().Int(postgres_schema::kMigrationLockKey)));
  CUSTAUTH_RETURN_IF_ERROR(c.RunUnprepared("BEGIN ISOLATION LEVEL READ COMMITTED"));
  // Another server may have migrated the database while this one waited for the lock.
  Result<int> now = ReadVersion(c);
  if (!now.ok()) return now.status();
  CUSTAUTH_RETURN_IF_ERROR(CheckVersion(*now));
  int v = *now;
  if (v < 0) {
    Result<Rows> taken = c.ExecUnprepared("SELECT to_regclass('customers') IS NOT NULL");
    if (!taken.ok()) return taken.status();
    if (taken->Bool(0, 0)) {
      return Status(Code::kStorage,
                    fmt::format("{} has a table customers but no custauth_schema: it is not "
                                "a custauth database (give custauth a database or a schema "
                                "of its own)",
                                describe_));
    }
    CUSTAUTH_RETURN_IF_ERROR(c.Script(postgres_schema::kCreateVersionTable));
    v = 0;
  }
  for (; v < postgres_schema::kSchemaVersion; ++v) {
    CUSTAUTH_RETURN_IF_ERROR(c.Script(postgres_schema::kMigrations[v]));
  }
  CUSTAUTH_RETURN_IF_ERROR(c.RunUnprepared("UPDATE custauth_schema SET version = $1 WHERE id = 1",
                                           Params().Int(postgres_schema::kSchemaVersion)));
  return c.RunUnprepared("COMMIT");
}

}  // namespace postgres_backend

using postgres_backend::OneLine;
using postgres_backend::PostgresStorage;

int PostgresSchemaVersion() noexcept { return postgres_schema::kSchemaVersion; }

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& uri,
                                                     const PostgresOptions& options) {
  if (uri.empty()) return Status(Code::kInvalidInput, "The PostgreSQL connection URI is empty");
  {
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &error);
    if (parsed == nullptr) {
      std::string why = error != nullptr ? OneLine(error) : "out of memory";
      if (error != nullptr) PQfreemem(error);
      return Status(Code::kInvalidInput,
                    fmt::format("The PostgreSQL connection URI is malformed: {}", why));
    }
    PQconninfoFree(parsed);
  }
  auto storage = std::make_unique<PostgresStorage>(uri, options);
  CUSTAUTH_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<Storage>(std::move(storage));
}

namespace internal {

Result<PostgresCounters> PostgresCountersForTesting(Storage& storage) {
  auto* pg = dynamic_cast<PostgresStorage*>(&storage);
  if (pg == nullptr) return Status(Code::kInvalidInput, "not a PostgresStorage");
  return pg->counters();
}

Result<std::vector<std::string>> PostgresExecOnIdleConnectionsForTesting(Storage& storage,
                                                                         const std::string& sql) {
  auto* pg = dynamic_cast<PostgresStorage*>(&storage);
  if (pg == nullptr) return Status(Code::kInvalidInput, "not a PostgresStorage");
  return pg->ExecOnIdleConnections(sql);
}

}  // namespace internal

}  // namespace custauth

#else  // !CUSTAUTH_WITH_POSTGRES

#include "postgres/postgres_internal.h"

namespace custauth {

int PostgresSchemaVersion() noexcept { return postgres_schema::kSchemaVersion; }

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& /*uri*/,
                                                     const PostgresOptions& /*options*/) {
  return Status(Code::kUnsupported,
                "custauth was built without PostgreSQL support (CUSTAUTH_WITH_POSTGRES is OFF)");
}

namespace internal {

Result<PostgresCounters> PostgresCountersForTesting(Storage& /*storage*/) {
  return Status(Code::kInvalidInput, "not a PostgresStorage");
}

Result<std::vector<std::string>> PostgresExecOnIdleConnectionsForTesting(
    Storage& /*storage*/, const std::string& /*sql*/) {
  return Status(Code::kInvalidInput, "not a PostgresStorage");
}

}  // namespace internal

}  // namespace custauth

#endif  // CUSTAUTH_WITH_POSTGRES
