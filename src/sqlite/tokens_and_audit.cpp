// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage's revocation epoch, opaque tokens, integrations, audit log and retention.

#include "sqlite/storage.h"

namespace custauth::sqlite_backend {

Result<std::uint64_t> SqliteStorage::revocation_epoch() {
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::uint64_t> {
    Result<std::int64_t> epoch = QueryInt(conn, "SELECT epoch FROM revocation_epoch WHERE id = 1");
    if (!epoch.ok()) return epoch.status();
    return static_cast<std::uint64_t>(*epoch);
  });
}

Status SqliteStorage::put_opaque_token(const OpaqueTokenRecord& t) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    {
      Stmt st(conn, "SELECT 1 FROM opaque_tokens WHERE hash = ?1");
      st.Bytes(t.hash);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (*row) return Status(Code::kAlreadyExists, "The token already exists");
    }
    Stmt st(conn,
            "INSERT INTO opaque_tokens (hash, customer_id, issued_at, expires_at, session_id) "
            "VALUES (?1, ?2, ?3, ?4, ?5)");
    st.Bytes(t.hash).Int(t.customer_id).Int(t.issued_at).Int(t.expires_at).Int(t.session_id);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    const RetentionPolicy policy = retention_.get();
    return StatusOf(PruneSome(conn, kPruneOpaqueTokens, internal::GraceCutoff(policy, t.issued_at),
                              policy.per_write));
  });
}

Result<OpaqueTokenRecord> SqliteStorage::find_opaque_token(std::string_view hash) {
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<OpaqueTokenRecord> {
    Stmt st(conn,
            "SELECT customer_id, issued_at, expires_at, session_id FROM opaque_tokens "
            "WHERE hash = ?1");
    st.Bytes(hash);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status(Code::kNotFound, "No such token");
    OpaqueTokenRecord t;
    t.hash = std::string(hash);
    t.customer_id = st.ColInt(0);
    t.issued_at = st.ColInt(1);
    t.expires_at = st.ColInt(2);
    t.session_id = st.ColInt(3);
    return t;
  });
}

Result<std::int64_t> SqliteStorage::prune_opaque_tokens(TimeMs before) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::int64_t> {
    Stmt st(conn, "DELETE FROM opaque_tokens WHERE expires_at <= ?1");
    st.Int(before);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    return static_cast<std::int64_t>(sqlite3_changes64(conn.db()));
  });
}

Result<Integration> SqliteStorage::create_integration(const Integration& i) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<Integration> {
    // The consumer key and the access token are each unique.
    const struct {
      std::string_view sql;
      std::string_view value;
      const char* taken;
    } unique_keys[] = {{"SELECT 1 FROM integrations WHERE consumer_key = ?1", i.consumer_key,
                        "An integration with this consumer key already exists"},
                       {"SELECT 1 FROM integrations WHERE access_token = ?1", i.access_token,
                        "An integration with this access token already exists"}};
    for (const auto& key : unique_keys) {
      Stmt st(conn, key.sql);
      st.Text(key.value);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (*row) return Status(Code::kAlreadyExists, key.taken);
    }
    Integration stored = i;
    stored.permissions = SortedUnique(i.permissions);
    Stmt st(conn,
            "INSERT INTO integrations (name, consumer_key, access_token, "
            "consumer_secret_sealed, token_secret_sealed, permissions, active, created_at, "
            "revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    IntegrationValues(st, stored);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    stored.id = sqlite3_last_insert_rowid(conn.db());
    return stored;
  });
}

Result<Integration> SqliteStorage::find_integration(std::string_view consumer_key) {
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<Integration> {
    Stmt st(conn,
            "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
            "token_secret_sealed, permissions, active, created_at, revoked_at "
            "FROM integrations WHERE consumer_key = ?1");
    st.Text(consumer_key);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return NoSuchIntegration(consumer_key);
    return IntegrationFromRow(st);
  });
}

Result<std::vector<Integration>> SqliteStorage::list_integrations() {
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::vector<Integration>> {
    Stmt st(conn,
            "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
            "token_secret_sealed, permissions, active, created_at, revoked_at "
            "FROM integrations ORDER BY id");
    std::vector<Integration> all;
    for (;;) {
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      Result<Integration> i = IntegrationFromRow(st);
      if (!i.ok()) return i.status();
      all.push_back(std::move(i).value());
    }
    return all;
  });
}

Status SqliteStorage::set_integration_permissions(std::string_view consumer_key,
                                                  const std::vector<std::string>& permissions) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    Stmt st(conn, "UPDATE integrations SET permissions = ?1 WHERE consumer_key = ?2");
    st.Text(PermissionsToJson(permissions)).Text(consumer_key);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes64(conn.db()) == 0) return NoSuchIntegration(consumer_key);
    return Status::Ok();
  });
}

Status SqliteStorage::revoke_integration(std::string_view consumer_key, TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    Stmt st(conn, "UPDATE integrations SET active = 0, revoked_at = ?1 WHERE consumer_key = ?2");
    st.Int(now).Text(consumer_key);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes64(conn.db()) == 0) return NoSuchIntegration(consumer_key);
    return Status::Ok();
  });
}

Result<Integration> SqliteStorage::IntegrationFromRow(const Stmt& st) {
  Integration i;
  i.id = st.ColInt(0);
  i.name = st.ColText(1);
  i.consumer_key = st.ColText(2);
  i.access_token = st.ColText(3);
  i.consumer_secret_sealed = st.ColBlob(4);
  i.token_secret_sealed = st.ColBlob(5);
  Result<std::vector<std::string>> permissions = PermissionsFromJson(st.ColText(6), "sqlite");
  if (!permissions.ok()) return permissions.status();
  i.permissions = std::move(permissions).value();
  i.active = st.ColBool(7);
  i.created_at = st.ColInt(8);
  i.revoked_at = st.ColOptInt(9);
  return i;
}

Result<std::int64_t> SqliteStorage::append_audit(const AuditRecord& r) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::int64_t> {
    Result<std::int64_t> id = InsertAudit(conn, r, retention_.get());
    if (!id.ok()) return id.status();
    return id;
  });
}

Result<std::int64_t> SqliteStorage::InsertAudit(Connection& conn, const AuditRecord& r,
                                                const RetentionPolicy& policy) {
  Stmt st(conn,
          "INSERT INTO audit (at, event, customer_id, admin_id, actor, reason, client_ip, "
          "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  AuditRecordValues(st, r);
  CUSTAUTH_RETURN_IF_ERROR(st.Run());
  const auto id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(conn.db()));
  Result<std::int64_t> pruned =
      PruneSome(conn, kPruneAudit, internal::AuditCutoff(policy, r.at), policy.per_write);
  if (!pruned.ok()) return pruned.status();
  return id;
}

Status SqliteStorage::InsertAudit(Connection& conn, std::span<const AuditRecord> records,
                                  const RetentionPolicy& policy) {
  for (const AuditRecord& r : records) {
    CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, r, policy).status());
  }
  return Status::Ok();
}

Result<std::vector<AuditRecord>> SqliteStorage::list_audit(const AuditQuery& q) {
  static constexpr std::string_view kAll =
      "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
      "FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2";
  static constexpr std::string_view kOfCustomer =
      "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
      "FROM audit WHERE id > ?1 AND customer_id = ?3 ORDER BY id LIMIT ?2";
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max()));
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::vector<AuditRecord>> {
    Stmt st(conn, q.customer_id ? kOfCustomer : kAll);
    st.Int(q.after_id).Int(limit);
    if (q.customer_id) st.Int(*q.customer_id);
    std::vector<AuditRecord> out;
    for (;;) {
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(AuditRecordFromColumns(StmtRow(st)));
    }
    return out;
  });
}

void SqliteStorage::set_retention(const RetentionPolicy& policy) { retention_.set(policy); }

Result<PruneCounts> SqliteStorage::prune(TimeMs now, const RetentionPolicy& policy) {
  PruneCounts counts;
  const auto batch = static_cast<int>(internal::kPruneBatch);
  for (;;) {
    PruneCounts part;
    CUSTAUTH_RETURN_IF_ERROR(Transact(
        Tx::kWrite, [&](Connection& conn) { return PruneBuckets(conn, now, batch, &part); }));
    counts.rate_buckets += part.rate_buckets;
    counts.rate_events += part.rate_events;
    if (part.rate_buckets < batch) break;
  }
  static constexpr std::string_view kTables[] = {kPruneNonces,      kPruneExpiredSecrets,
                                                 kPruneUsedSecrets, kPruneOpaqueTokens,
                                                 kPruneSessions,    kPruneAudit};
  CUSTAUTH_RETURN_IF_ERROR(
      internal::PruneTables(now, policy, &counts, [&](internal::PruneTable table, TimeMs cutoff) {
        return Transact(Tx::kWrite, [&](Connection& conn) {
          return PruneSome(conn, kTables[static_cast<int>(table)], cutoff, batch);
        });
      }));
  return counts;
}

Result<std::int64_t> SqliteStorage::PruneSome(Connection& conn, std::string_view sql, TimeMs cutoff,
                                              int limit) {
  if (limit <= 0) return std::int64_t{0};
  Stmt st(conn, sql);
  st.Int(cutoff).Int(limit);
  CUSTAUTH_RETURN_IF_ERROR(st.Run());
  return static_cast<std::int64_t>(sqlite3_changes64(conn.db()));
}

Status SqliteStorage::PruneBuckets(Connection& conn, TimeMs now, int limit, PruneCounts* counts) {
  if (limit <= 0) return Status::Ok();
  std::vector<std::string> expired;
  {
    Stmt st(conn,
            "SELECT bucket FROM rate_buckets WHERE expires_at <= ?1 ORDER BY expires_at "
            "LIMIT ?2");
    st.Int(now).Int(limit);
    for (;;) {
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      expired.push_back(st.ColText(0));
    }
  }
  for (const std::string& bucket : expired) {
    {
      Stmt st(conn, "DELETE FROM rate_events WHERE bucket = ?1");
      st.Text(bucket);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
      if (counts != nullptr) counts->rate_events += sqlite3_changes64(conn.db());
    }
    Stmt st(conn, "DELETE FROM rate_buckets WHERE bucket = ?1");
    st.Text(bucket);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    if (counts != nullptr) counts->rate_buckets += sqlite3_changes64(conn.db());
  }
  return Status::Ok();
}

}  // namespace custauth::sqlite_backend
