// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's customers: create, find, update and delete.

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include "postgres/storage.h"

namespace custauth::postgres_backend {

Customer CustomerFromRow(const Rows& rows, int row) { return CustomerFromColumns(Row(rows, row)); }

Result<Customer> PostgresStorage::create_customer(const NewCustomer& c, TimeMs now) {
  if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
    CUSTAUTH_RETURN_IF_ERROR(conn.Run(kLockCustomerIds));
    Result<std::optional<Customer>> inserted = Insert(conn, c, now);
    if (!inserted.ok()) return inserted.status();
    if (inserted->has_value()) return std::move(**inserted);
    Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
    if (!found.ok()) return found.status();
    if (found->has_value()) return Status(Code::kAlreadyExists, msg::kCustomerExists);
    return CustomerIdTaken(c.id);
  });
}

Result<FindOrCreateResult> PostgresStorage::find_or_create_customer(const NewCustomer& c,
                                                                    TimeMs now) {
  // Most calls find a customer: one statement, no lock.
  {
    Result<std::optional<Customer>> found = Transact(
        Tx::kRead, [&](Connection& conn) { return FindByEmail(conn, c.website_id, c.email); });
    if (!found.ok()) return found.status();
    if (found->has_value()) return FindOrCreateResult{std::move(**found), false};
  }
  if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<FindOrCreateResult> {
    // Racing creators queue on this lock; each statement after it sees what the ones before
    // committed, so the losers find the winner's customer below.
    CUSTAUTH_RETURN_IF_ERROR(conn.Run(kLockCustomerIds));
    Result<std::optional<Customer>> inserted = Insert(conn, c, now);
    if (!inserted.ok()) return inserted.status();
    if (inserted->has_value()) return FindOrCreateResult{std::move(**inserted), true};
    Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
    if (!found.ok()) return found.status();
    if (found->has_value()) return FindOrCreateResult{std::move(**found), false};
    return CustomerIdTaken(c.id);
  });
}

Result<Customer> PostgresStorage::find_customer_by_email(std::int64_t website_id,
                                                         std::string_view email) {
  return Transact(Tx::kRead, [&](Connection& conn) {
    return CustomerFoundByEmail(FindByEmail(conn, website_id, email), email);
  });
}

Result<Customer> PostgresStorage::find_customer_by_id(std::int64_t id) {
  return Transact(Tx::kRead,
                  [&](Connection& conn) { return FindById(conn, kSelectCustomerById, id); });
}

Result<Customer> PostgresStorage::update_customer(std::int64_t id, const CustomerPatch& patch,
                                                  TimeMs now, std::span<const AuditRecord> audit) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
    Result<Customer> found = FindById(conn, kLockCustomerById, id);
    if (!found.ok()) return found.status();
    Customer c = std::move(found).value();
    // The revocation clock is read once the row is locked: inside the write.
    CUSTAUTH_RETURN_IF_ERROR(ApplyCustomerPatch(
        c, patch, now,
        [&] {
          return conn.Run(kVoidSecret,
                          Params().Int(id).Int(static_cast<int>(SecretKind::kAdminOtc)));
        },
        [&] { return conn.Run(kBumpEpoch); }));
    CUSTAUTH_RETURN_IF_ERROR(WriteCustomer(conn, c));
    CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
    return c;
  });
}

// Dead row versions stay in the table files until VACUUM reclaims them (autovacuum, or the
// host's VACUUM after an erasure): PostgreSQL has no secure_delete.
Result<Customer> PostgresStorage::delete_customer(std::int64_t id, TimeMs /*now*/,
                                                  std::span<const AuditRecord> audit) {
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<Customer> {
    // The row lock first: a concurrent update or failure count of the customer queues behind.
    Result<Customer> found = FindById(conn, kLockCustomerById, id);
    if (!found.ok()) return found.status();
    const Customer& c = *found;
    // The records that name the customer: by id, or (a superset, narrowed below) by the email
    // in their detail.
    Result<Rows> rows = conn.Exec(
        "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail FROM audit "
        "WHERE customer_id = $1 OR strpos(lower(detail COLLATE \"C\"), $2) > 0",
        Params().Int(id).Text(EmailKey(c.email)));
    if (!rows.ok()) return rows.status();
    std::vector<std::string> client_ips;
    for (int row = 0; row < rows->size(); ++row) {
      AuditRecord r = AuditRecordFromColumns(Row(*rows, row));
      if (!AuditRecordNamesCustomer(r, c)) continue;
      client_ips.push_back(r.client_ip);
      if (!EraseCustomerFromAuditRecord(r, c)) continue;
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(
          "UPDATE audit SET actor = $1, reason = $2, client_ip = $3, detail = $4 WHERE id = $5",
          Params().Text(r.actor).Text(r.reason).Text(r.client_ip).Text(r.detail).Int(r.id)));
    }
    for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
      CUSTAUTH_RETURN_IF_ERROR(
          conn.Run("WITH events AS (DELETE FROM rate_events WHERE right(bucket, length($1)) = $1) "
                   "DELETE FROM rate_buckets WHERE right(bucket, length($1)) = $1",
                   Params().Text(suffix)));
    }
    CUSTAUTH_RETURN_IF_ERROR(conn.Run("DELETE FROM login_counters WHERE key = $1",
                                      Params().Text(internal::AccountCounterKey(id))));
    for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(
          "DELETE FROM login_counters WHERE right(key, length($1)) = $1", Params().Text(suffix)));
    }
    for (const char* sql :
         {"DELETE FROM secrets WHERE customer_id = $1",
          "DELETE FROM opaque_tokens WHERE customer_id = $1",
          "DELETE FROM sessions WHERE customer_id = $1", "DELETE FROM customers WHERE id = $1"}) {
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(sql, Params().Int(id)));
    }
    CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
    CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
    return std::move(found).value();
  });
}

Result<Customer> PostgresStorage::FindById(Connection& conn, const char* sql, std::int64_t id) {
  Result<Rows> rows = conn.Exec(sql, Params().Int(id));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NoSuchCustomerId(id);
  return CustomerFromRow(*rows, 0);
}

Result<std::optional<Customer>> PostgresStorage::FindByEmail(Connection& conn,
                                                             std::int64_t website_id,
                                                             std::string_view email) {
  if (HasNul(email)) return std::optional<Customer>();  // never stored
  Result<Rows> rows =
      conn.Exec(kSelectCustomerByEmailKey, Params().Int(website_id).Text(EmailKey(email)));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Customer>();
  return std::optional<Customer>(CustomerFromRow(*rows, 0));
}

// Inserts `c` unless its id or email is taken (then nullopt). REQUIRES: kLockCustomerIds held.
Result<std::optional<Customer>> PostgresStorage::Insert(Connection& conn, const NewCustomer& c,
                                                        TimeMs now) {
  if (c.id > kMaxCustomerId) return CustomerIdTooLarge(c.id);
  Params params;
  params.OptInt(c.id > 0 ? std::optional<std::int64_t>(c.id) : std::nullopt);
  NewCustomerValues(params, c, EmailKey(c.email));
  params.Int(now);
  Result<Rows> rows = conn.Exec(kInsertCustomer, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Customer>();
  if (rows->Int(0, 0) == 0) return NoCustomerIdLeft("postgresql");
  Customer stored = c.to_customer(rows->Int(0, 0), now);
  return std::optional<Customer>(std::move(stored));
}

Status PostgresStorage::WriteCustomer(Connection& conn, const Customer& c) {
  Params params;
  CustomerUpdateValues(params, c);
  return conn.Run(kUpdateCustomer, params);
}

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
