// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage's login counters and locks, login attempts, one-time secrets, rate limits and
// OAuth nonces.

#include "sqlite/storage.h"

namespace custauth::sqlite_backend {

class SqliteStorage::Txn final : public internal::LoginTxn {
 public:
  explicit Txn(Connection& conn, RetentionPolicy retention = {})
      : conn_(conn), retention_(retention) {}
  Result<std::optional<Customer>> customer(std::int64_t id) override {
    Stmt st(conn_, kSelectCustomerById);
    st.Int(id);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Customer>();
    return std::optional<Customer>(CustomerFromRow(st));
  }
  Status write_customer(const Customer& c) override { return WriteCustomer(conn_, c); }
  Result<internal::LoginCounter> counter(const std::string& key) override {
    Stmt st(conn_,
            "SELECT failures, expires_at, in_flight, in_flight_expires FROM login_counters "
            "WHERE key = ?1");
    st.Text(key);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    internal::LoginCounter c;
    if (!*row) return c;
    c.failures = static_cast<int>(st.ColInt(0));
    c.expires_at = st.ColInt(1);
    c.in_flight = static_cast<int>(st.ColInt(2));
    c.in_flight_expires = st.ColInt(3);
    return c;
  }
  Status write_counter(const std::string& key, const internal::LoginCounter& c,
                       TimeMs now) override {
    if (c.empty_at(now)) {
      Stmt st(conn_, "DELETE FROM login_counters WHERE key = ?1");
      st.Text(key);
      return st.Run();
    }
    Stmt st(conn_,
            "INSERT INTO login_counters (key, failures, expires_at, in_flight, "
            "in_flight_expires) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET "
            "failures = excluded.failures, expires_at = excluded.expires_at, "
            "in_flight = excluded.in_flight, in_flight_expires = excluded.in_flight_expires");
    st.Text(key).Int(c.failures).Int(c.expires_at).Int(c.in_flight).Int(c.in_flight_expires);
    return st.Run();
  }
  Result<std::optional<SecretRecord>> unused_secret(SecretKind kind, std::int64_t customer_id,
                                                    std::string_view hash) override {
    Stmt st(conn_,
            "SELECT created_at, expires_at, admin_id, reason FROM secrets WHERE "
            "customer_id = ?1 AND kind = ?2 AND hash = ?3 AND used_at IS NULL");
    st.Int(customer_id).Int(static_cast<int>(kind)).Bytes(hash);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<SecretRecord>();
    return std::optional<SecretRecord>(SecretFromColumns(StmtRow(st), 0, kind, customer_id, hash));
  }
  Status mark_secret_used(SecretKind kind, std::int64_t customer_id, TimeMs at) override {
    Stmt st(conn_, "UPDATE secrets SET used_at = ?1 WHERE customer_id = ?2 AND kind = ?3");
    st.Int(at).Int(customer_id).Int(static_cast<int>(kind));
    return st.Run();
  }
  Status append_audit(std::span<const AuditRecord> records) override {
    return InsertAudit(conn_, records, retention_);
  }

 private:
  Connection& conn_;
  RetentionPolicy retention_;
};

Result<LockState> SqliteStorage::record_login_failure(std::int64_t customer_id, TimeMs now,
                                                      const LockoutPolicy& policy) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<LockState> {
    Result<Customer> found = FindById(conn, customer_id);
    if (!found.ok()) return found.status();
    Customer c = std::move(found).value();
    const LockState state = ApplyLoginFailure(c, now, policy);
    c.updated_at = now;
    CUSTAUTH_RETURN_IF_ERROR(WriteCustomer(conn, c));
    return state;
  });
}

Result<Customer> SqliteStorage::admit_login_attempt(const LoginAttempt& attempt, TimeMs now) {
  return Transact(Tx::kWriteVolatile, [&](Connection& conn) -> Result<Customer> {
    Txn tx(conn);
    return internal::AdmitLoginAttempt(tx, attempt, now);
  });
}

Result<SignInResult> SqliteStorage::record_sign_in(const LoginAttempt& attempt,
                                                   const SignIn& sign_in, const Clock& clock) {
  return internal::SignInAnswer(
      Transact(Tx::kWrite, [&](Connection& conn) -> Result<internal::SignInCommit> {
        Txn tx(conn, retention_.get());
        return internal::RecordSignIn(tx, attempt, sign_in, clock);
      }));
}

Result<LockState> SqliteStorage::record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                                        const AuditOf<LockState>& audit) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<LockState> {
    Txn tx(conn, retention_.get());
    return internal::RecordAttemptFailure(tx, attempt, now, audit);
  });
}

Status SqliteStorage::release_login_attempt(const LoginAttempt& attempt, TimeMs now) {
  return Transact(Tx::kWriteVolatile, [&](Connection& conn) -> Status {
    Txn tx(conn);
    return internal::ReleaseLoginAttempt(tx, attempt, now);
  });
}

Result<ThrottleState> SqliteStorage::throttle_state(std::int64_t website_id,
                                                    std::string_view email_key, TimeMs now) {
  return Transact(Tx::kAutocommit, [&](Connection& conn) -> Result<ThrottleState> {
    Txn tx(conn);
    return internal::ReadThrottleState(tx, website_id, email_key, now);
  });
}

Status SqliteStorage::put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    Result<bool> exists = CustomerExists(conn, s.customer_id);
    if (!exists.ok()) return exists.status();
    if (!*exists) return NoSuchCustomerId(s.customer_id);
    Stmt st(conn,
            "INSERT INTO secrets (customer_id, kind, hash, created_at, expires_at, admin_id, "
            "reason, used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL) "
            "ON CONFLICT (customer_id, kind) DO UPDATE SET hash = excluded.hash, "
            "created_at = excluded.created_at, expires_at = excluded.expires_at, "
            "admin_id = excluded.admin_id, reason = excluded.reason, used_at = NULL");
    SecretValues(st, s);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    const RetentionPolicy policy = retention_.get();
    CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, policy));
    return StatusOf(PruneSome(conn, kPruneExpiredSecrets,
                              internal::GraceCutoff(policy, s.created_at), policy.per_write));
  });
}

Result<SecretRecord> SqliteStorage::consume_secret(SecretKind kind, std::int64_t customer_id,
                                                   std::string_view hash, TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<SecretRecord> {
    {
      Stmt st(conn,
              "UPDATE secrets SET used_at = ?1 WHERE customer_id = ?2 AND kind = ?3 AND "
              "hash = ?4 AND used_at IS NULL AND expires_at > ?1 "
              "RETURNING created_at, expires_at, admin_id, reason");
      st.Int(now).Int(customer_id).Int(static_cast<int>(kind)).Bytes(hash);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (*row) {
        SecretRecord r = SecretFromColumns(StmtRow(st), 0, kind, customer_id, hash);
        r.used_at = now;
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
        return r;
      }
    }
    // Nothing consumed: an unused secret with this hash that has expired, or none at all.
    Stmt st(conn,
            "SELECT 1 FROM secrets WHERE customer_id = ?1 AND kind = ?2 AND hash = ?3 AND "
            "used_at IS NULL");
    st.Int(customer_id).Int(static_cast<int>(kind)).Bytes(hash);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (*row) return Status(Code::kExpired, "The secret is expired");
    return Status(Code::kNotFound, "No such secret");
  });
}

Status SqliteStorage::void_secrets(SecretKind kind, std::int64_t customer_id) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    Stmt st(conn, kVoidSecret);
    st.Int(customer_id).Int(static_cast<int>(kind));
    return st.Run();
  });
}

Status SqliteStorage::take_rate_slots(std::span<const RateRule> rules, TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    // Check every rule first; record only when all of them allow the request.
    for (const RateRule& rule : rules) {
      if (rule.max_in_window <= 0) return RateLimited();
      {
        Stmt st(conn,
                "SELECT count(*) FROM rate_events WHERE bucket = ?1 AND at > ?2 AND at <= ?3");
        st.Text(rule.bucket).Int(now - rule.window).Int(now);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (st.ColInt(0) >= rule.max_in_window) return RateLimited();
      }
      if (rule.min_interval > 0) {
        Stmt st(conn, "SELECT max(at) FROM rate_events WHERE bucket = ?1");
        st.Text(rule.bucket);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (!st.IsNull(0) && now - st.ColInt(0) < rule.min_interval) return RateLimited();
      }
    }
    // One event per bucket per request, however many rules name it.
    for (const auto& [bucket, take] : RateBucketTakes(rules, now)) {
      {
        Stmt st(conn, "INSERT INTO rate_events (bucket, at) VALUES (?1, ?2)");
        st.Text(bucket).Int(now);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      TimeMs keep_window = take.window;
      {
        Stmt st(conn,
                "INSERT INTO rate_buckets (bucket, widest_window, expires_at) "
                "VALUES (?1, ?2, ?3) ON CONFLICT (bucket) DO UPDATE SET "
                "widest_window = max(widest_window, excluded.widest_window), "
                "expires_at = max(expires_at, excluded.expires_at) "
                "RETURNING widest_window");
        st.Text(bucket).Int(take.window).Int(take.keep_until);
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (*row) keep_window = st.ColInt(0);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      // Prune what no window seen on this bucket can count any more; keep the newest event
      // for min_interval.
      Stmt st(conn,
              "DELETE FROM rate_events WHERE bucket = ?1 AND at <= ?2 AND "
              "at < (SELECT max(at) FROM rate_events WHERE bucket = ?1)");
      st.Text(bucket).Int(now - keep_window);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
    }
    return PruneBuckets(conn, now, retention_.get().per_write, nullptr);
  });
}

Status SqliteStorage::insert_nonce(std::string_view consumer_key, std::string_view nonce,
                                   TimeMs expires_at, TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Status {
    {
      Stmt st(conn, "SELECT expires_at FROM nonces WHERE consumer_key = ?1 AND nonce = ?2");
      st.Text(consumer_key).Text(nonce);
      Result<bool> row = st.Step();
      if (!row.ok()) return row.status();
      if (*row && st.ColInt(0) > now) {
        return Status(Code::kAlreadyExists, "The nonce is already being used by the consumer");
      }
    }
    // Absent, or present but expired: (re)record it.
    Stmt st(conn,
            "INSERT INTO nonces (consumer_key, nonce, expires_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (consumer_key, nonce) DO UPDATE SET expires_at = excluded.expires_at");
    st.Text(consumer_key).Text(nonce).Int(expires_at);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    return StatusOf(PruneSome(conn, kPruneNonces, now, retention_.get().per_write));
  });
}

Result<std::int64_t> SqliteStorage::prune_nonces(TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::int64_t> {
    Stmt st(conn, "DELETE FROM nonces WHERE expires_at <= ?1");
    st.Int(now);
    CUSTAUTH_RETURN_IF_ERROR(st.Run());
    return static_cast<std::int64_t>(sqlite3_changes64(conn.db()));
  });
}

}  // namespace custauth::sqlite_backend
