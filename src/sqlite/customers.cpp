// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage's customers: create, find, update, delete and import.

#include "sqlite/storage.h"

namespace custauth::sqlite_backend {

Customer CustomerFromRow(const Stmt& st) { return CustomerFromColumns(StmtRow(st)); }

Result<Customer> SqliteStorage::create_customer(const NewCustomer& c, TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) { return Create(conn, c, now); });
}

Result<FindOrCreateResult> SqliteStorage::find_or_create_customer(const NewCustomer& c,
                                                                  TimeMs now) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<FindOrCreateResult> {
    Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
    if (!found.ok()) return found.status();
    if (found->has_value()) return FindOrCreateResult{std::move(**found), false};
    Result<Customer> created = Create(conn, c, now);
    if (!created.ok()) return created.status();
    return FindOrCreateResult{std::move(created).value(), true};
  });
}

Result<std::vector<ImportOutcome>> SqliteStorage::import_customers(
    std::span<const ImportedCustomer> rows, ImportConflict on_conflict) {
  for (const ImportedCustomer& row : rows) {
    if (row.customer.id < 0) {
      return Status(Code::kInvalidInput, "An imported customer needs an id above 0, or 0");
    }
    if (row.customer.id > kMaxCustomerId) return CustomerIdTooLarge(row.customer.id);
  }
  const bool revokes = std::any_of(
      rows.begin(), rows.end(), [](const ImportedCustomer& r) { return r.tokens_revoked_at > 0; });
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<std::vector<ImportOutcome>> {
    if (revokes) CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
    std::vector<ImportOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const ImportedCustomer& given : rows) {
      // A row with id 0 is a new customer: the next id, assigned in this transaction.
      ImportedCustomer assigned;
      const ImportedCustomer* row_ptr = &given;
      if (given.customer.id == 0) {
        Result<std::int64_t> next = NextCustomerId(conn);
        if (!next.ok()) return next.status();
        assigned = given;
        assigned.customer.id = *next;
        row_ptr = &assigned;
      }
      const ImportedCustomer& row = *row_ptr;
      const std::string email_key = EmailKey(row.customer.email);
      {
        Stmt st(conn, kImportCustomer);
        BindImported(st, row, email_key);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      if (sqlite3_changes(conn.db()) == 1) {
        outcomes.push_back(ImportOutcome::kCreated);
        continue;
      }
      if (on_conflict == ImportConflict::kSkip) {
        outcomes.push_back(ImportOutcome::kSkipped);
        continue;
      }
      if (on_conflict == ImportConflict::kFail) {
        outcomes.push_back(ImportOutcome::kConflict);
        break;
      }
      if (given.customer.id == 0) {  // a new customer whose email is taken: never an update
        outcomes.push_back(ImportOutcome::kConflict);
        continue;
      }
      // kUpdate: the email must be free or the row's own.
      {
        Stmt st(conn, kSelectIdByEmailKey);
        st.Int(row.customer.website_id).Text(email_key);
        Result<bool> found = st.Step();
        if (!found.ok()) return found.status();
        if (*found && st.ColInt(0) != row.customer.id) {
          outcomes.push_back(ImportOutcome::kConflict);
          continue;
        }
      }
      {
        Stmt st(conn, kImportUpdateCustomer);
        BindImported(st, row, email_key);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      if (sqlite3_changes(conn.db()) != 1) {  // no such id: the email belongs to another
        outcomes.push_back(ImportOutcome::kConflict);
        continue;
      }
      if (!row.customer.allow_remote_shopping_assistance) {
        Stmt st(conn, kVoidSecret);
        st.Int(row.customer.id).Int(static_cast<int>(SecretKind::kAdminOtc));
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      outcomes.push_back(ImportOutcome::kUpdated);
    }
    return outcomes;
  });
}

Result<Customer> SqliteStorage::find_customer_by_email(std::int64_t website_id,
                                                       std::string_view email) {
  return Transact(Tx::kAutocommit, [&](Connection& conn) {
    return CustomerFoundByEmail(FindByEmail(conn, website_id, email), email);
  });
}

Result<Customer> SqliteStorage::find_customer_by_id(std::int64_t id) {
  return Transact(Tx::kAutocommit, [&](Connection& conn) { return FindById(conn, id); });
}

Result<Customer> SqliteStorage::update_customer(std::int64_t id, const CustomerPatch& patch,
                                                TimeMs now, std::span<const AuditRecord> audit) {
  return Transact(Tx::kWrite, [&](Connection& conn) -> Result<Customer> {
    Result<Customer> found = FindById(conn, id);
    if (!found.ok()) return found.status();
    Customer c = std::move(found).value();
    CUSTAUTH_RETURN_IF_ERROR(ApplyCustomerPatch(
        c, patch, now,
        [&] {
          Stmt st(conn, kVoidSecret);
          st.Int(id).Int(static_cast<int>(SecretKind::kAdminOtc));
          return st.Run();
        },
        [&] { return Stmt(conn, kBumpEpoch).Run(); }));
    CUSTAUTH_RETURN_IF_ERROR(WriteCustomer(conn, c));
    CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
    return c;
  });
}

Result<Customer> SqliteStorage::delete_customer(std::int64_t id, TimeMs /*now*/,
                                                std::span<const AuditRecord> audit) {
  Result<Customer> erased = Transact(Tx::kWrite, [&](Connection& conn) -> Result<Customer> {
    Result<Customer> found = FindById(conn, id);
    if (!found.ok()) return found.status();
    const Customer& c = *found;
    // The records that name the customer: by id, or (a superset, narrowed below) by the email
    // in their detail.
    std::vector<AuditRecord> named;
    {
      Stmt st(conn,
              "SELECT id, at, event, customer_id, admin_id, actor, reason, client_ip, detail "
              "FROM audit WHERE customer_id = ?1 OR instr(lower(detail), ?2) > 0");
      st.Int(id).Text(EmailKey(c.email));
      for (;;) {
        Result<bool> row = st.Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        AuditRecord r = AuditRecordFromColumns(StmtRow(st));
        if (AuditRecordNamesCustomer(r, c)) named.push_back(std::move(r));
      }
    }
    std::vector<std::string> client_ips;
    for (AuditRecord& r : named) {
      client_ips.push_back(r.client_ip);
      if (!EraseCustomerFromAuditRecord(r, c)) continue;
      Stmt st(conn,
              "UPDATE audit SET actor = ?1, reason = ?2, client_ip = ?3, detail = ?4 "
              "WHERE id = ?5");
      st.Text(r.actor).Text(r.reason).Text(r.client_ip).Text(r.detail).Int(r.id);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
    }
    for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
      {
        Stmt st(conn, "DELETE FROM rate_events WHERE substr(bucket, -length(?1)) = ?1");
        st.Text(suffix);
        CUSTAUTH_RETURN_IF_ERROR(st.Run());
      }
      Stmt st(conn, "DELETE FROM rate_buckets WHERE substr(bucket, -length(?1)) = ?1");
      st.Text(suffix);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
    }
    {
      Stmt st(conn, "DELETE FROM login_counters WHERE key = ?1");
      st.Text(internal::AccountCounterKey(id));
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
    }
    for (const std::string& suffix : ErasedRateBucketSuffixes(c, client_ips)) {
      Stmt st(conn, "DELETE FROM login_counters WHERE substr(key, -length(?1)) = ?1");
      st.Text(suffix);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
    }
    for (std::string_view sql :
         {"DELETE FROM secrets WHERE customer_id = ?1",
          "DELETE FROM opaque_tokens WHERE customer_id = ?1",
          "DELETE FROM sessions WHERE customer_id = ?1", "DELETE FROM customers WHERE id = ?1"}) {
      Stmt st(conn, sql);
      st.Int(id);
      CUSTAUTH_RETURN_IF_ERROR(st.Run());
    }
    CUSTAUTH_RETURN_IF_ERROR(Stmt(conn, kBumpEpoch).Run());
    CUSTAUTH_RETURN_IF_ERROR(InsertAudit(conn, audit, retention_.get()));
    return std::move(found).value();
  });
  if (erased.ok()) {
    (void)Transact(Tx::kAutocommit, [](Connection& conn) -> Status {
      sqlite3_wal_checkpoint_v2(conn.db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
      return Status::Ok();
    });
  }
  return erased;
}

Result<Customer> SqliteStorage::FindById(Connection& conn, std::int64_t id) {
  Stmt st(conn, kSelectCustomerById);
  st.Int(id);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NoSuchCustomerId(id);
  return CustomerFromRow(st);
}

Result<std::optional<Customer>> SqliteStorage::FindByEmail(Connection& conn,
                                                           std::int64_t website_id,
                                                           std::string_view email) {
  Stmt st(conn, kSelectCustomerByEmailKey);
  st.Int(website_id).Text(EmailKey(email));
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Customer>();
  return std::optional<Customer>(CustomerFromRow(st));
}

Result<bool> SqliteStorage::CustomerExists(Connection& conn, std::int64_t id) {
  Stmt st(conn, kCustomerIdExists);
  st.Int(id);
  return st.Step();
}

void SqliteStorage::BindImported(Stmt& st, const ImportedCustomer& row,
                                 const std::string& email_key) {
  ImportedCustomerValues(st, row, email_key);
}

Result<std::int64_t> SqliteStorage::NextCustomerId(Connection& conn) {
  Stmt st(conn, kLastCustomerId);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status(Code::kStorage, "sqlite: customer_ids has no row");
  if (st.ColInt(0) >= kMaxCustomerId) return NoCustomerIdLeft("sqlite");
  return st.ColInt(0) + 1;
}

Result<Customer> SqliteStorage::Create(Connection& conn, const NewCustomer& c, TimeMs now) {
  if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
  if (c.id > kMaxCustomerId) return CustomerIdTooLarge(c.id);
  {
    Result<std::optional<Customer>> found = FindByEmail(conn, c.website_id, c.email);
    if (!found.ok()) return found.status();
    if (found->has_value()) return Status(Code::kAlreadyExists, msg::kCustomerExists);
  }
  if (c.id > 0) {
    Result<bool> taken = CustomerExists(conn, c.id);
    if (!taken.ok()) return taken.status();
    if (*taken) {
      return CustomerIdTaken(c.id);
    }
  }
  std::int64_t id = c.id;
  if (id == 0) {
    Result<std::int64_t> next = NextCustomerId(conn);
    if (!next.ok()) return next.status();
    id = *next;
  }
  Stmt st(conn, kInsertCustomer);
  st.Int(id);
  NewCustomerValues(st, c, EmailKey(c.email));
  st.Int(now);
  CUSTAUTH_RETURN_IF_ERROR(st.Run());
  Customer stored = c.to_customer(id, now);
  return stored;
}

Status SqliteStorage::WriteCustomer(Connection& conn, const Customer& c) {
  Stmt st(conn, kUpdateCustomer);
  CustomerUpdateValues(st, c);
  return st.Run();
}

}  // namespace custauth::sqlite_backend
