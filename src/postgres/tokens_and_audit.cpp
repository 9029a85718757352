// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's revocation epoch, opaque tokens, integrations, audit log and retention.

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include <limits>

#include "postgres/storage.h"

namespace custauth::postgres_backend {

std::string BuildAuditInsert(std::string_view head, int first, std::size_t n) {
  const int cutoff = first + static_cast<int>(8 * n);
  std::string sql = fmt::format(
      "WITH {}audit_pruned AS (DELETE FROM audit WHERE id IN ("
      "  SELECT id FROM audit WHERE at <= ${} ORDER BY at LIMIT ${} FOR UPDATE SKIP LOCKED)) "
      "INSERT INTO audit (at, event, customer_id, admin_id, actor, reason, client_ip, detail) "
      "VALUES ",
      head, cutoff, cutoff + 1);
  for (std::size_t k = 0; k < n; ++k) {
    const int p = first + static_cast<int>(8 * k);
    sql += fmt::format("{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", k == 0 ? "" : ", ", p, p + 1,
                       p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
  }
  return sql;
}

void AddAuditParams(Params& params, std::span<const AuditRecord> records,
                    const RetentionPolicy& policy) {
  for (const AuditRecord& r : records) AuditRecordValues(params, r);
  params.Int(internal::AuditCutoff(policy, records.empty() ? 0 : records.front().at))
      .Int(std::max(policy.per_write, 0));
}

Result<std::uint64_t> PostgresStorage::revocation_epoch() {
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::uint64_t> {
    Result<Rows> rows = conn.Exec("SELECT epoch FROM revocation_epoch WHERE id = 1");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status(Code::kStorage, "postgresql: revocation_epoch has no row");
    return static_cast<std::uint64_t>(rows->Int(0, 0));
  });
}

Status PostgresStorage::put_opaque_token(const OpaqueTokenRecord& t) {
  return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
    const RetentionPolicy policy = retention_.get();
    Result<Rows> rows = conn.Exec(
        "WITH pruned AS (DELETE FROM opaque_tokens WHERE hash IN ("
        "  SELECT hash FROM opaque_tokens WHERE expires_at <= $5 AND hash <> $1 "
        "  ORDER BY expires_at LIMIT $6 FOR UPDATE SKIP LOCKED)) "
        "INSERT INTO opaque_tokens (hash, customer_id, issued_at, expires_at, session_id) "
        "VALUES ($1, $2, $3, $4, $7) ON CONFLICT (hash) DO NOTHING RETURNING 1",
        Params()
            .Bytes(t.hash)
            .Int(t.customer_id)
            .Int(t.issued_at)
            .Int(t.expires_at)
            .Int(internal::GraceCutoff(policy, t.issued_at))
            .Int(std::max(policy.per_write, 0))
            .Int(t.session_id));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status(Code::kAlreadyExists, "The token already exists");
    return Status::Ok();
  });
}

Result<OpaqueTokenRecord> PostgresStorage::find_opaque_token(std::string_view hash) {
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<OpaqueTokenRecord> {
    Result<Rows> rows = conn.Exec(
        "SELECT customer_id, issued_at, expires_at, session_id FROM opaque_tokens "
        "WHERE hash = $1",
        Params().Bytes(hash));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status(Code::kNotFound, "No such token");
    OpaqueTokenRecord t;
    t.hash = std::string(hash);
    t.customer_id = rows->Int(0, 0);
    t.issued_at = rows->Int(0, 1);
    t.expires_at = rows->Int(0, 2);
    t.session_id = rows->Int(0, 3);
    return t;
  });
}

Result<std::int64_t> PostgresStorage::prune_opaque_tokens(TimeMs before) {
  return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
    Result<Rows> rows =
        conn.Exec("DELETE FROM opaque_tokens WHERE expires_at <= $1", Params().Int(before));
    if (!rows.ok()) return rows.status();
    return rows->affected();
  });
}

Result<Integration> PostgresStorage::create_integration(const Integration& i) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Integration> {
    Integration stored = i;
    stored.permissions = SortedUnique(i.permissions);
    Params params;
    IntegrationValues(params, stored);
    Result<Rows> rows = conn.Exec(
        "INSERT INTO integrations (name, consumer_key, access_token, consumer_secret_sealed, "
        "token_secret_sealed, permissions, active, created_at, revoked_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
        params);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      stored.id = rows->Int(0, 0);
      return stored;
    }
    Result<Rows> key = conn.Exec("SELECT 1 FROM integrations WHERE consumer_key = $1",
                                 Params().Text(i.consumer_key));
    if (!key.ok()) return key.status();
    if (!key->empty()) {
      return Status(Code::kAlreadyExists, "An integration with this consumer key already exists");
    }
    return Status(Code::kAlreadyExists, "An integration with this access token already exists");
  });
}

Result<Integration> PostgresStorage::find_integration(std::string_view consumer_key) {
  // Stored keys are text in the database's encoding (UTF-8): bytes that are not UTF-8 name no
  // integration, and must not reach the server (which would answer with a decoding error).
  if (HasNul(consumer_key) || !internal::IsValidUtf8(consumer_key)) {
    return NoSuchIntegration(consumer_key);
  }
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<Integration> {
    Result<Rows> rows = conn.Exec(
        "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
        "token_secret_sealed, permissions, active, created_at, revoked_at "
        "FROM integrations WHERE consumer_key = $1",
        Params().Text(consumer_key));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NoSuchIntegration(consumer_key);
    return IntegrationFromRow(*rows, 0);
  });
}

Result<std::vector<Integration>> PostgresStorage::list_integrations() {
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::vector<Integration>> {
    Result<Rows> rows = conn.Exec(
        "SELECT id, name, consumer_key, access_token, consumer_secret_sealed, "
        "token_secret_sealed, permissions, active, created_at, revoked_at "
        "FROM integrations ORDER BY id");
    if (!rows.ok()) return rows.status();
    std::vector<Integration> all;
    all.reserve(static_cast<std::size_t>(rows->size()));
    for (int row = 0; row < rows->size(); ++row) {
      Result<Integration> i = IntegrationFromRow(*rows, row);
      if (!i.ok()) return i.status();
      all.push_back(std::move(i).value());
    }
    return all;
  });
}

Status PostgresStorage::set_integration_permissions(std::string_view consumer_key,
                                                    const std::vector<std::string>& permissions) {
  if (HasNul(consumer_key)) return NoSuchIntegration(consumer_key);
  return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
    Result<Rows> rows =
        conn.Exec("UPDATE integrations SET permissions = $1::jsonb WHERE consumer_key = $2",
                  Params().Text(PermissionsToJson(permissions)).Text(consumer_key));
    if (!rows.ok()) return rows.status();
    if (rows->affected() == 0) return NoSuchIntegration(consumer_key);
    return Status::Ok();
  });
}

Status PostgresStorage::revoke_integration(std::string_view consumer_key, TimeMs now) {
  if (HasNul(consumer_key)) return NoSuchIntegration(consumer_key);
  return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
    Result<Rows> rows =
        conn.Exec("UPDATE integrations SET active = false, revoked_at = $1 WHERE consumer_key = $2",
                  Params().Int(now).Text(consumer_key));
    if (!rows.ok()) return rows.status();
    if (rows->affected() == 0) return NoSuchIntegration(consumer_key);
    return Status::Ok();
  });
}

Result<Integration> PostgresStorage::IntegrationFromRow(const Rows& rows, int row) {
  Integration i;
  i.id = rows.Int(row, 0);
  i.name = rows.Text(row, 1);
  i.consumer_key = rows.Text(row, 2);
  i.access_token = rows.Text(row, 3);
  i.consumer_secret_sealed = rows.Bytes(row, 4);
  i.token_secret_sealed = rows.Bytes(row, 5);
  Result<std::vector<std::string>> permissions =
      PermissionsFromJson(rows.Text(row, 6), "postgresql");
  if (!permissions.ok()) return permissions.status();
  i.permissions = std::move(permissions).value();
  i.active = rows.Bool(row, 7);
  i.created_at = rows.Int(row, 8);
  i.revoked_at = rows.OptInt(row, 9);
  return i;
}

Result<std::int64_t> PostgresStorage::append_audit(const AuditRecord& r) {
  static const std::string kAppend = BuildAuditInsert("", 1, 1) + " RETURNING id";
  return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
    Params params;
    AddAuditParams(params, std::span<const AuditRecord>(&r, 1), retention_.get());
    Result<Rows> rows = conn.Exec(kAppend.c_str(), params);
    if (!rows.ok()) return rows.status();
    return rows->Int(0, 0);
  });
}

// Inside a transaction: inserts the records, kAuditRowsPerStatement per statement (one round
// trip for the records of any one custauth operation).
Status PostgresStorage::InsertAudit(Connection& conn, std::span<const AuditRecord> records,
                                    const RetentionPolicy& policy) {
  static const std::vector<std::string> kInsert = [] {
    std::vector<std::string> v;
    for (std::size_t n = 1; n <= kAuditRowsPerStatement; ++n) {
      v.push_back(BuildAuditInsert("", 1, n));
    }
    return v;
  }();
  while (!records.empty()) {
    const std::size_t n = std::min(records.size(), kAuditRowsPerStatement);
    Params params;
    AddAuditParams(params, records.first(n), policy);
    CUSTAUTH_RETURN_IF_ERROR(conn.Run(kInsert[n - 1].c_str(), params));
    records = records.subspan(n);
  }
  return Status::Ok();
}

Result<std::vector<AuditRecord>> PostgresStorage::list_audit(const AuditQuery& q) {
  static constexpr const char* kAll =
      "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
      "FROM audit WHERE id > $1 ORDER BY id LIMIT $2";
  static constexpr const char* kOfCustomer =
      "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
      "FROM audit WHERE id > $1 AND customer_id = $3 ORDER BY id LIMIT $2";
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max()));
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::vector<AuditRecord>> {
    Params params;
    params.Int(q.after_id).Int(limit);
    if (q.customer_id) params.Int(*q.customer_id);
    Result<Rows> rows = conn.Exec(q.customer_id ? kOfCustomer : kAll, params);
    if (!rows.ok()) return rows.status();
    std::vector<AuditRecord> out;
    out.reserve(static_cast<std::size_t>(rows->size()));
    for (int row = 0; row < rows->size(); ++row) {
      out.push_back(AuditRecordFromColumns(Row(*rows, row)));
    }
    return out;
  });
}

// Each table in batches of kPruneBatch rows, one statement per batch.
Result<PruneCounts> PostgresStorage::prune(TimeMs now, const RetentionPolicy& policy) {
  PruneCounts counts;
  const auto batch = static_cast<int>(internal::kPruneBatch);
  for (;;) {
    Result<std::pair<std::int64_t, std::int64_t>> part =
        Transact(Tx::kStatement, [&](Connection& conn) { return PruneBuckets(conn, now, batch); });
    if (!part.ok()) return part.status();
    counts.rate_buckets += part->first;
    counts.rate_events += part->second;
    if (part->first < batch) break;
  }
  static constexpr const char* kTables[] = {
      "DELETE FROM nonces WHERE (consumer_key, nonce) IN (SELECT consumer_key, nonce FROM "
      "nonces WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
      "DELETE FROM secrets WHERE (customer_id, kind) IN (SELECT customer_id, kind FROM secrets "
      "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
      "DELETE FROM secrets WHERE (customer_id, kind) IN (SELECT customer_id, kind FROM secrets "
      "WHERE used_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
      "DELETE FROM opaque_tokens WHERE hash IN (SELECT hash FROM opaque_tokens "
      "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
      "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
      "WHERE ends_at <= $1 ORDER BY ends_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
      "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at <= $1 ORDER BY at "
      "LIMIT $2 FOR UPDATE SKIP LOCKED)"};  // in the order of internal::PruneTable
  CUSTAUTH_RETURN_IF_ERROR(
      internal::PruneTables(now, policy, &counts, [&](internal::PruneTable table, TimeMs cutoff) {
        return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
          Result<Rows> rows =
              conn.Exec(kTables[static_cast<int>(table)], Params().Int(cutoff).Int(batch));
          if (!rows.ok()) return rows.status();
          return rows->affected();
        });
      }));
  return counts;
}

// Removes up to `limit` expired rate-limit buckets, each with its events, in one statement;
// returns (buckets, events) removed. Buckets another transaction holds are skipped.
Result<std::pair<std::int64_t, std::int64_t>> PostgresStorage::PruneBuckets(Connection& conn,
                                                                            TimeMs now, int limit) {
  if (limit <= 0) return std::pair<std::int64_t, std::int64_t>(0, 0);
  Result<Rows> rows = conn.Exec(
      "WITH gone AS (DELETE FROM rate_buckets WHERE bucket IN ("
      "  SELECT bucket FROM rate_buckets WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 "
      "  FOR UPDATE SKIP LOCKED) RETURNING bucket), "
      "events AS (DELETE FROM rate_events WHERE bucket IN (SELECT bucket FROM gone) "
      "  RETURNING 1) "
      "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM events)",
      Params().Int(now).Int(limit));
  if (!rows.ok()) return rows.status();
  return std::pair<std::int64_t, std::int64_t>(rows->Int(0, 0), rows->Int(0, 1));
}

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
