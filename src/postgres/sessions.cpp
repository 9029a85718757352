// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's sessions (TokenOptions::sessions). A renewal locks the customer's row first
// and then the session's, the order every customer write takes, so it neither deadlocks with an
// erasure nor misses a deactivation committed before it.

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include "postgres/storage.h"
#include "session_checks.h"

namespace custauth::postgres_backend {
namespace {

#define CUSTAUTH_PG_SESSION_COLUMNS \
  "id, customer_id, created_at, renewed_at, expires_at, revoked_at, client_ip, user_agent, method"

constexpr const char* kSelectSession =
    "SELECT " CUSTAUTH_PG_SESSION_COLUMNS " FROM sessions WHERE id = $1";
constexpr const char* kLockSession =
    "SELECT " CUSTAUTH_PG_SESSION_COLUMNS " FROM sessions WHERE id = $1 FOR UPDATE";

Result<SessionRecord> FindSession(Connection& conn, const char* sql, std::int64_t id) {
  Result<Rows> rows = conn.Exec(sql, Params().Int(id));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return internal::NoSuchSession(id);
  return internal::SessionFromColumns(Row(*rows, 0));
}

}  // namespace

Result<SessionRecord> PostgresStorage::create_session(const SessionRecord& s) {
  return Transact(Tx::kStatement, [&](Connection& conn) -> Result<SessionRecord> {
    const RetentionPolicy policy = retention_.get();
    // One statement: the insert (only for an existing customer) and a few ended sessions pruned.
    Result<Rows> rows = conn.Exec(
        "WITH pruned AS (DELETE FROM sessions WHERE id IN ("
        "  SELECT id FROM sessions WHERE ends_at <= $8 ORDER BY ends_at LIMIT $9 "
        "  FOR UPDATE SKIP LOCKED)) "
        "INSERT INTO sessions (customer_id, created_at, renewed_at, expires_at, ends_at, "
        "client_ip, user_agent, method) "
        "SELECT $1, $2, $3, $4, $4, $5, $6, $7 "
        "WHERE EXISTS (SELECT 1 FROM customers WHERE id = $1) RETURNING id",
        Params()
            .Int(s.customer_id)
            .Int(s.created_at)
            .Int(s.renewed_at)
            .Int(s.expires_at)
            .Text(s.client_ip)
            .Text(s.user_agent)
            .Text(s.method)
            .Int(internal::GraceCutoff(policy, s.created_at))
            .Int(std::max(policy.per_write, 0)));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NoSuchCustomerId(s.customer_id);
    SessionRecord stored = s;
    stored.id = rows->Int(0, 0);
    stored.revoked_at = 0;
    return stored;
  });
}

Result<SessionRecord> PostgresStorage::find_session(std::int64_t id) {
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<SessionRecord> {
    return FindSession(conn, kSelectSession, id);
  });
}

Result<std::vector<SessionRecord>> PostgresStorage::list_sessions(std::int64_t customer_id,
                                                                  TimeMs now) {
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<std::vector<SessionRecord>> {
    Result<Rows> rows = conn.Exec("SELECT " CUSTAUTH_PG_SESSION_COLUMNS
                                  " FROM sessions WHERE customer_id = $1 AND revoked_at = 0 "
                                  "AND expires_at > $2 ORDER BY id",
                                  Params().Int(customer_id).Int(now));
    if (!rows.ok()) return rows.status();
    std::vector<SessionRecord> out;
    for (int r = 0; r < rows->size(); ++r)
      out.push_back(internal::SessionFromColumns(Row(*rows, r)));
    return out;
  });
}

Result<SessionRecord> PostgresStorage::revoke_session(std::int64_t id, TimeMs now) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<SessionRecord> {
    CUSTAUTH_RETURN_IF_ERROR(
        conn.Run("UPDATE sessions SET revoked_at = $2, ends_at = least(ends_at, $2) "
                 "WHERE id = $1 AND revoked_at = 0",
                 Params().Int(id).Int(now)));
    Result<SessionRecord> s = FindSession(conn, kSelectSession, id);
    if (!s.ok()) return s.status();
    CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
    return s;
  });
}

Result<SessionRenewal> PostgresStorage::renew_session(std::int64_t id, std::int64_t customer_id,
                                                      TimeMs token_issued_at, const Clock& clock) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<SessionRenewal> {
    Result<Customer> c = FindById(conn, kLockCustomerById, customer_id);
    if (!c.ok() && c.code() != Code::kNotFound) return c.status();
    Result<SessionRecord> s = FindSession(conn, kLockSession, id);
    if (!s.ok()) return s.status();
    if (s->customer_id != customer_id) return internal::NoSuchSession(id);
    const TimeMs now = clock.now();
    CUSTAUTH_RETURN_IF_ERROR(
        internal::JudgeRenewal(*s, c.ok() ? &*c : nullptr, token_issued_at, now));
    CUSTAUTH_RETURN_IF_ERROR(
        conn.Run("UPDATE sessions SET renewed_at = $2 WHERE id = $1", Params().Int(id).Int(now)));
    s->renewed_at = now;
    return SessionRenewal{std::move(s).value(), std::move(c).value(), now};
  });
}

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
