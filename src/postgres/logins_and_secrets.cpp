// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's login counters and locks, login attempts, one-time secrets, rate limits and
// OAuth nonces.

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include <map>

#include <nlohmann/json.hpp>

#include "postgres/storage.h"

namespace custauth::postgres_backend {

// The login operations inside one transaction: the customer's row lock, and an advisory lock
// per counter key (a counter row may not exist yet, or be deleted by the holder).
class PostgresStorage::Txn final : public internal::LoginTxn {
 public:
  Txn(Connection& conn, bool lock, RetentionPolicy retention = {})
      : conn_(conn), lock_(lock), retention_(retention) {}
  Result<std::optional<Customer>> customer(std::int64_t id) override {
    Result<Rows> rows =
        conn_.Exec(lock_ ? kLockCustomerById : kSelectCustomerById, Params().Int(id));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return std::optional<Customer>();
    return std::optional<Customer>(CustomerFromRow(*rows, 0));
  }
  Status write_customer(const Customer& c) override { return WriteCustomer(conn_, c); }
  Result<internal::LoginCounter> counter(const std::string& key) override {
    if (lock_) {
      CUSTAUTH_RETURN_IF_ERROR(
          conn_.Run("SELECT pg_advisory_xact_lock(7411, hashtext($1))", Params().Text(key)));
    }
    Result<Rows> rows = conn_.Exec(
        "SELECT failures, expires_at, in_flight, in_flight_expires FROM login_counters "
        "WHERE key = $1",
        Params().Text(key));
    if (!rows.ok()) return rows.status();
    internal::LoginCounter c;
    if (rows->empty()) return c;
    c.failures = static_cast<int>(rows->Int(0, 0));
    c.expires_at = rows->Int(0, 1);
    c.in_flight = static_cast<int>(rows->Int(0, 2));
    c.in_flight_expires = rows->Int(0, 3);
    return c;
  }
  Status write_counter(const std::string& key, const internal::LoginCounter& c,
                       TimeMs now) override {
    if (c.empty_at(now)) {
      return conn_.Run("DELETE FROM login_counters WHERE key = $1", Params().Text(key));
    }
    return conn_.Run(
        "INSERT INTO login_counters (key, failures, expires_at, in_flight, in_flight_expires) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET "
        "failures = excluded.failures, expires_at = excluded.expires_at, "
        "in_flight = excluded.in_flight, in_flight_expires = excluded.in_flight_expires",
        Params()
            .Text(key)
            .Int(c.failures)
            .Int(c.expires_at)
            .Int(c.in_flight)
            .Int(c.in_flight_expires));
  }
  Result<std::optional<SecretRecord>> unused_secret(SecretKind kind, std::int64_t customer_id,
                                                    std::string_view hash) override {
    Result<Rows> rows = conn_.Exec(
        "SELECT created_at, expires_at, admin_id, reason FROM secrets WHERE customer_id = $1 "
        "AND kind = $2 AND hash = $3 AND used_at IS NULL FOR UPDATE",
        Params().Int(customer_id).Int(static_cast<int>(kind)).Bytes(hash));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return std::optional<SecretRecord>();
    return std::optional<SecretRecord>(
        SecretFromColumns(Row(*rows, 0), 0, kind, customer_id, hash));
  }
  Status mark_secret_used(SecretKind kind, std::int64_t customer_id, TimeMs at) override {
    return conn_.Run("UPDATE secrets SET used_at = $1 WHERE customer_id = $2 AND kind = $3",
                     Params().Int(at).Int(customer_id).Int(static_cast<int>(kind)));
  }
  Status append_audit(std::span<const AuditRecord> records) override {
    return InsertAudit(conn_, records, retention_);
  }

 private:
  Connection& conn_;
  bool lock_;
  RetentionPolicy retention_;
};

Result<LockState> PostgresStorage::record_login_failure(std::int64_t customer_id, TimeMs now,
                                                        const LockoutPolicy& policy) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<LockState> {
    // The row lock makes concurrent failures on every server count one after the other.
    Result<Customer> found = FindById(conn, kLockCustomerById, customer_id);
    if (!found.ok()) return found.status();
    Customer c = std::move(found).value();
    const LockState state = ApplyLoginFailure(c, now, policy);
    CUSTAUTH_RETURN_IF_ERROR(
        conn.Run("UPDATE customers SET failures_num = $1, first_failure = $2, "
                 "lock_expires = $3, updated_at = $4 WHERE id = $5",
                 Params()
                     .Int(c.failures_num)
                     .OptInt(c.first_failure)
                     .OptInt(c.lock_expires)
                     .Int(now)
                     .Int(customer_id)));
    return state;
  });
}

Result<Customer> PostgresStorage::admit_login_attempt(const LoginAttempt& attempt, TimeMs now) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
    Txn tx(conn, /*lock=*/true);
    return internal::AdmitLoginAttempt(tx, attempt, now);
  });
}

Result<SignInResult> PostgresStorage::record_sign_in(const LoginAttempt& attempt,
                                                     const SignIn& sign_in, const Clock& clock) {
  return internal::SignInAnswer(
      Transact(Tx::kTransaction, [&](Connection& conn) -> Result<internal::SignInCommit> {
        Txn tx(conn, /*lock=*/true, retention_.get());
        return internal::RecordSignIn(tx, attempt, sign_in, clock);
      }));
}

Result<LockState> PostgresStorage::record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                                          const AuditOf<LockState>& audit) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<LockState> {
    Txn tx(conn, /*lock=*/true, retention_.get());
    return internal::RecordAttemptFailure(tx, attempt, now, audit);
  });
}

Status PostgresStorage::release_login_attempt(const LoginAttempt& attempt, TimeMs now) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Status {
    Txn tx(conn, /*lock=*/true);
    return internal::ReleaseLoginAttempt(tx, attempt, now);
  });
}

Result<ThrottleState> PostgresStorage::throttle_state(std::int64_t website_id,
                                                      std::string_view email_key, TimeMs now) {
  return Transact(Tx::kRead, [&](Connection& conn) -> Result<ThrottleState> {
    Txn tx(conn, /*lock=*/false);
    return internal::ReadThrottleState(tx, website_id, email_key, now);
  });
}

// One statement, its audit records included (up to kAuditRowsPerStatement; more, rarely: one
// transaction): a customer that does not exist fails it whole (the foreign key).
Status PostgresStorage::put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) {
  static constexpr std::string_view kPruneAndPut =
      "pruned AS (DELETE FROM secrets WHERE (customer_id, kind) IN ("
      "  SELECT customer_id, kind FROM secrets WHERE expires_at <= $8 AND "
      "  NOT (customer_id = $1 AND kind = $2) ORDER BY expires_at LIMIT $9 "
      "  FOR UPDATE SKIP LOCKED)), "
      "put AS (INSERT INTO secrets (customer_id, kind, hash, created_at, expires_at, admin_id, "
      "reason, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) "
      "ON CONFLICT (customer_id, kind) DO UPDATE SET hash = excluded.hash, "
      "created_at = excluded.created_at, expires_at = excluded.expires_at, "
      "admin_id = excluded.admin_id, reason = excluded.reason, used_at = NULL)";
  static const std::string kPutOnly =
      std::string("WITH ") + std::string(kPruneAndPut) + " SELECT 1";
  static const std::vector<std::string> kPutAndAudit = [] {
    std::vector<std::string> v;
    for (std::size_t n = 1; n <= kAuditRowsPerStatement; ++n) {
      v.push_back(BuildAuditInsert(std::string(kPruneAndPut) + ", ", 10, n));
    }
    return v;
  }();
  const bool one_statement = audit.size() <= kAuditRowsPerStatement;
  return Transact(
      one_statement ? Tx::kStatement : Tx::kTransaction, [&](Connection& conn) -> Status {
        const RetentionPolicy policy = retention_.get();
        Params params;
        SecretValues(params, s);
        params.Int(internal::GraceCutoff(policy, s.created_at)).Int(std::max(policy.per_write, 0));
        const bool with_audit = one_statement && !audit.empty();
        if (with_audit) AddAuditParams(params, audit, policy);
        Status st = conn.Run(with_audit ? kPutAndAudit[audit.size() - 1].c_str() : kPutOnly.c_str(),
                             params);
        if (conn.sqlstate() == "23503") return NoSuchCustomerId(s.customer_id);
        CUSTAUTH_RETURN_IF_ERROR(st);
        if (!one_statement) return InsertAudit(conn, audit, policy);
        return Status::Ok();
      });
}

Result<SecretRecord> PostgresStorage::consume_secret(SecretKind kind, std::int64_t customer_id,
                                                     std::string_view hash, TimeMs now) {
  // One statement: the UPDATE consumes the secret when it is live (racing consumers queue on
  // the row lock; those after the winner find used_at set and update nothing), and the second
  // branch, evaluated on the statement's snapshot, tells an expired secret from none at all.
  // It writes the call's marker with what it consumed, so that a reply lost with the
  // connection is learnt on another one (Transact, Resolve).
  static constexpr const char* kConsume =
      "WITH consumed AS ("
      "  UPDATE secrets SET used_at = $1 WHERE customer_id = $2 AND kind = $3 AND hash = $4 "
      "  AND used_at IS NULL AND expires_at > $1 "
      "  RETURNING created_at, expires_at, admin_id, reason), "
      "marked AS ("
      "  INSERT INTO custauth_call_outcomes (marker, at, result) SELECT "
      "$5, " CUSTAUTH_PG_SERVER_NOW_MS
      ", (SELECT json_build_array(created_at, expires_at, admin_id, "
      "  reason)::text FROM consumed)) "
      "SELECT true, created_at, expires_at, admin_id, reason FROM consumed "
      "UNION ALL "
      "SELECT false, created_at, expires_at, admin_id, reason FROM secrets "
      "WHERE customer_id = $2 AND kind = $3 AND hash = $4 AND used_at IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM consumed)";
  SecretRecord r;
  r.kind = kind;
  r.customer_id = customer_id;
  r.hash = std::string(hash);
  r.used_at = now;
  // The stored result of a call that committed and consumed the secret.
  const auto decode = [&](const std::string& stored) -> Result<SecretRecord> {
    const nlohmann::json a = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
    if (!a.is_array() || a.size() != 4 || !a[0].is_number_integer() || !a[1].is_number_integer() ||
        !a[3].is_string()) {
      return Status(Code::kStorage, "postgresql: a call outcome that is not a consumed secret");
    }
    r.created_at = a[0].get<std::int64_t>();
    r.expires_at = a[1].get<std::int64_t>();
    if (a[2].is_number_integer()) r.admin_id = a[2].get<std::int64_t>();
    r.reason = a[3].get<std::string>();
    return r;
  };
  return Transact(
      Tx::kStatement,
      [&](Connection& conn) -> Result<SecretRecord> {
        Result<Rows> rows = conn.Exec(kConsume, Params()
                                                    .Int(now)
                                                    .Int(customer_id)
                                                    .Int(static_cast<int>(kind))
                                                    .Bytes(hash)
                                                    .Bytes(conn.marker()));
        if (!rows.ok()) return rows.status();
        if (rows->empty()) return Status(Code::kNotFound, "No such secret");
        if (!rows->Bool(0, 0)) {
          // Unused when the statement began: expired, or consumed by a racer meanwhile.
          if (rows->Int(0, 2) <= now) return Status(Code::kExpired, "The secret is expired");
          return Status(Code::kNotFound, "No such secret");
        }
        SecretRecord consumed = SecretFromColumns(Row(*rows, 0), 1, kind, customer_id, hash);
        consumed.used_at = now;
        return consumed;
      },
      decode);
}

Status PostgresStorage::void_secrets(SecretKind kind, std::int64_t customer_id) {
  return Transact(Tx::kStatement, [&](Connection& conn) -> Status {
    return conn.Run(kVoidSecret, Params().Int(customer_id).Int(static_cast<int>(kind)));
  });
}

Status PostgresStorage::take_rate_slots(std::span<const RateRule> rules, TimeMs now) {
  for (const RateRule& rule : rules) {
    if (rule.max_in_window <= 0) return RateLimited();
  }
  if (rules.empty()) return Status::Ok();
  // One event per bucket per request, however many rules name it; buckets in sorted order.
  const std::map<std::string_view, RateBucketTake> takes = RateBucketTakes(rules, now);
  const int prune_buckets = retention_.get().per_write;
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Status {
    // Lock every bucket's row, in bucket order (so that requests naming several buckets never
    // deadlock), creating it when new, and learn the widest window seen on it. A refusal rolls
    // this back with the rest.
    std::map<std::string_view, TimeMs> keep_window;
    for (const auto& [bucket, take] : takes) {
      Result<Rows> rows = conn.Exec(
          "INSERT INTO rate_buckets (bucket, widest_window, expires_at) VALUES ($1, $2, $3) "
          "ON CONFLICT (bucket) DO UPDATE SET "
          "widest_window = greatest(rate_buckets.widest_window, excluded.widest_window), "
          "expires_at = greatest(rate_buckets.expires_at, excluded.expires_at) "
          "RETURNING widest_window",
          Params().Text(bucket).Int(take.window).Int(take.keep_until));
      if (!rows.ok()) return rows.status();
      keep_window[bucket] = rows->empty() ? take.window : rows->Int(0, 0);
    }
    // Check every rule; record only when all of them allow the request.
    for (const RateRule& rule : rules) {
      Result<Rows> rows = conn.Exec(
          "SELECT count(*) FILTER (WHERE at > $2 AND at <= $3), max(at) FROM rate_events "
          "WHERE bucket = $1",
          Params().Text(rule.bucket).Int(now - rule.window).Int(now));
      if (!rows.ok()) return rows.status();
      if (rows->Int(0, 0) >= rule.max_in_window) return RateLimited();
      if (rule.min_interval > 0 && !rows->IsNull(0, 1) &&
          now - rows->Int(0, 1) < rule.min_interval) {
        return RateLimited();
      }
    }
    for (const auto& [bucket, keep] : keep_window) {
      // Record the event, and prune what no window seen on this bucket can count any more,
      // keeping the newest event for min_interval. (The DELETE does not see the row the
      // INSERT adds: both run on the statement's snapshot.)
      CUSTAUTH_RETURN_IF_ERROR(
          conn.Run("WITH added AS (INSERT INTO rate_events (bucket, at) VALUES ($1, $2)) "
                   "DELETE FROM rate_events WHERE bucket = $1 AND at <= $3 AND "
                   "at < greatest($2, (SELECT max(at) FROM rate_events WHERE bucket = $1))",
                   Params().Text(bucket).Int(now).Int(now - keep)));
    }
    return StatusOf(PruneBuckets(conn, now, prune_buckets));
  });
}

Status PostgresStorage::insert_nonce(std::string_view consumer_key, std::string_view nonce,
                                     TimeMs expires_at, TimeMs now) {
  // Inserts, or replaces an expired record; a live record makes the upsert do nothing. Racing
  // inserters queue on the unique key; after the winner commits the others see its live record.
  // The call's marker records whether it inserted (Transact, Resolve).
  static constexpr const char* kInsertNonce =
      "WITH pruned AS (DELETE FROM nonces WHERE (consumer_key, nonce) IN ("
      "  SELECT consumer_key, nonce FROM nonces WHERE expires_at <= $4 AND "
      "  NOT (consumer_key = $1 AND nonce = $2) ORDER BY expires_at LIMIT $6 "
      "  FOR UPDATE SKIP LOCKED)), "
      "added AS ("
      "  INSERT INTO nonces (consumer_key, nonce, expires_at) VALUES ($1, $2, $3) "
      "  ON CONFLICT (consumer_key, nonce) DO UPDATE SET expires_at = excluded.expires_at "
      "  WHERE nonces.expires_at <= $4 RETURNING 1), "
      "marked AS ("
      "  INSERT INTO custauth_call_outcomes (marker, at, result) SELECT "
      "$5, " CUSTAUTH_PG_SERVER_NOW_MS
      ", (SELECT 'inserted' FROM added)) "
      "SELECT 1 FROM added";
  const int per_write = retention_.get().per_write;
  return Transact(
      Tx::kStatement,
      [&](Connection& conn) -> Status {
        Result<Rows> rows = conn.Exec(kInsertNonce, Params()
                                                        .Text(consumer_key)
                                                        .Text(nonce)
                                                        .Int(expires_at)
                                                        .Int(now)
                                                        .Bytes(conn.marker())
                                                        .Int(std::max(per_write, 0)));
        if (!rows.ok()) return rows.status();
        if (rows->empty()) {
          return Status(Code::kAlreadyExists, "The nonce is already being used by the consumer");
        }
        return Status::Ok();
      },
      [](const std::string&) { return Status::Ok(); });
}

Result<std::int64_t> PostgresStorage::prune_nonces(TimeMs now) {
  return Transact(Tx::kStatement, [&](Connection& conn) -> Result<std::int64_t> {
    Result<Rows> rows = conn.Exec("DELETE FROM nonces WHERE expires_at <= $1", Params().Int(now));
    if (!rows.ok()) return rows.status();
    return rows->affected();
  });
}

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
