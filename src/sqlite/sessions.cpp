// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage's sessions (TokenOptions::sessions).

#include "session_checks.h"
#include "sqlite/storage.h"

namespace custauth::sqlite_backend {
namespace {

// Statements are string constants: the connection's statement cache keeps a view of their text.
#define CUSTAUTH_SQLITE_SESSION_COLUMNS \
  "id, customer_id, created_at, renewed_at, expires_at, revoked_at, client_ip, user_agent, method"

Result<SessionRecord> FindSession(Connection& conn, std::int64_t id) {
  Stmt st(conn, "SELECT " CUSTAUTH_SQLITE_SESSION_COLUMNS " FROM sessions WHERE id = ?1");
  st.Int(id);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return internal::NoSuchSession(id);
  return internal::SessionFromColumns(StmtRow(st));
}

}  // namespace

Result<SessionRecord> SqliteStorage::create_session(const SessionRecord& s) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<SessionRecord> {
    Result<bool> exists = CustomerExists(conn, s.customer_id);
    if (!exists.ok()) return exists.status();
    if (!*exists) return internal::NoSuchCustomerId(s.customer_id);
    const RetentionPolicy policy = retention_.get();
    auto pruned = PruneSome(conn, kPruneSessions, internal::GraceCutoff(policy, s.created_at),
                            policy.per_write);
    if (!pruned.ok()) return pruned.status();
    Stmt st(conn,
            "INSERT INTO sessions (customer_id, created_at, renewed_at, expires_at, ends_at, "
            "client_ip, user_agent, method) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)");
    st.Int(s.customer_id).Int(s.created_at).Int(s.renewed_at).Int(s.expires_at);
    st.Text(s.client_ip).Text(s.user_agent).Text(s.method);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    SessionRecord stored = s;
    stored.id = sqlite3_last_insert_rowid(conn.db());
    stored.revoked_at = 0;
    return stored;
  });
}

Result<SessionRecord> SqliteStorage::find_session(std::int64_t id) {
  return Transact(Tx::kAutocommit,
                  [&](Connection& conn) -> Result<SessionRecord> { return FindSession(conn, id); });
}

Result<std::vector<SessionRecord>> SqliteStorage::list_sessions(std::int64_t customer_id,
                                                                TimeMs now) {
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<std::vector<SessionRecord>> {
    Stmt st(conn, "SELECT " CUSTAUTH_SQLITE_SESSION_COLUMNS
                  " FROM sessions WHERE customer_id = ?1 AND revoked_at = 0 "
                  "AND expires_at > ?2 ORDER BY id");
    st.Int(customer_id).Int(now);
    std::vector<SessionRecord> out;
    for (;;) {
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(internal::SessionFromColumns(StmtRow(st)));
    }
  });
}

Result<SessionRecord> SqliteStorage::revoke_session(std::int64_t id, TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<SessionRecord> {
    Stmt st(conn,
            "UPDATE sessions SET revoked_at = ?2, ends_at = min(ends_at, ?2) "
            "WHERE id = ?1 AND revoked_at = 0");
    st.Int(id).Int(now);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    Result<SessionRecord> s = FindSession(conn, id);
    if (!s.ok()) return s.status();
    CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
    return s;
  });
}

Result<SessionRenewal> SqliteStorage::renew_session(std::int64_t id, std::int64_t customer_id,
                                                    TimeMs token_issued_at, const Clock& clock) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<SessionRenewal> {
    Result<SessionRecord> s = FindSession(conn, id);
    if (!s.ok()) return s.status();
    if (s->customer_id != customer_id) return internal::NoSuchSession(id);
    Result<Customer> c = FindById(conn, customer_id);
    if (!c.ok() && c.code() != Code::kNotFound) return c.status();
    const TimeMs now = clock.now();
    CUSTAUTH_RETURN_IF_ERROR(
        internal::JudgeRenewal(*s, c.ok() ? &*c : nullptr, token_issued_at, now));
    Stmt st(conn, "UPDATE sessions SET renewed_at = ?2 WHERE id = ?1");
    st.Int(id).Int(now);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    s->renewed_at = now;
    return SessionRenewal{std::move(s).value(), std::move(c).value(), now};
  });
}

}  // namespace custauth::sqlite_backend
