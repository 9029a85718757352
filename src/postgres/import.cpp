// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage's import of customers (Storage::import_customers).

#include "custauth/postgres_storage.h"

#if CUSTAUTH_WITH_POSTGRES

#include <unordered_map>

#include "postgres/storage.h"

namespace custauth::postgres_backend {

namespace {

// The 17 values of an imported row, in the order of kImportCustomers' and
// kImportUpdateCustomer's parameters, written to `out` (Params, or ArrayColumns).
template <class Out>
void ImportValues(Out& out, const ImportedCustomer& row) {
  ImportedCustomerValues(out, row, EmailKey(row.customer.email));
}

// The parameters of kImportCustomers (one array per column, one element per row) or, with
// `scalars`, of kImportUpdateCustomer (the values of the one row).
Params ImportArrays(std::span<const ImportedCustomer> rows, bool scalars = false) {
  Params p;
  if (scalars) {
    ImportValues(p, rows.front());
    return p;
  }
  ArrayColumns columns(17);
  for (const ImportedCustomer& row : rows) {
    columns.NextRow();
    ImportValues(columns, row);
  }
  for (std::string& literal : columns.Finish()) p.Literal(std::move(literal));
  return p;
}

// kSkip, no id to assign: inserts the whole batch in one statement, and moves `last_id` past the
// ids inserted.
Status ImportBatch(Connection& conn, std::span<const ImportedCustomer> rows, std::int64_t* last_id,
                   std::vector<ImportOutcome>* outcomes) {
  Result<Rows> inserted = conn.Exec(kImportCustomers, ImportArrays(rows));
  if (!inserted.ok()) return inserted.status();
  // A row was inserted when its id, website and email key came back, and no earlier row of
  // the batch was that same inserted row (a duplicate in the batch is skipped).
  std::unordered_map<std::int64_t, std::pair<std::int64_t, std::string>> created;
  for (int k = 0; k < inserted->size(); ++k) {
    created.emplace(inserted->Int(k, 0), std::make_pair(inserted->Int(k, 1), inserted->Text(k, 2)));
    *last_id = std::max(*last_id, inserted->Int(k, 0));
  }
  for (const ImportedCustomer& row : rows) {
    auto it = created.find(row.customer.id);
    const bool mine = it != created.end() && it->second.first == row.customer.website_id &&
                      it->second.second == EmailKey(row.customer.email);
    if (mine) created.erase(it);
    outcomes->push_back(mine ? ImportOutcome::kCreated : ImportOutcome::kSkipped);
  }
  return Status::Ok();
}

// Row by row, in order: inserts each row (assigning the next id to a row with id 0), and on a
// conflict skips it, stops (kFail) or updates the stored customer (kUpdate).
Status ImportRows(Connection& conn, std::span<const ImportedCustomer> rows,
                  ImportConflict on_conflict, std::int64_t* last_id,
                  std::vector<ImportOutcome>* outcomes) {
  for (const ImportedCustomer& given : rows) {
    ImportedCustomer assigned;
    const ImportedCustomer* row = &given;
    if (given.customer.id == 0) {
      if (*last_id >= kMaxCustomerId) return NoCustomerIdLeft("postgresql");
      assigned = given;
      assigned.customer.id = *last_id + 1;
      row = &assigned;
    }
    Result<Rows> inserted = conn.Exec(kImportCustomers, ImportArrays(std::span(row, 1)));
    if (!inserted.ok()) return inserted.status();
    if (inserted->size() == 1) {
      *last_id = std::max(*last_id, row->customer.id);
      outcomes->push_back(ImportOutcome::kCreated);
      continue;
    }
    if (on_conflict == ImportConflict::kSkip) {
      outcomes->push_back(ImportOutcome::kSkipped);
      continue;
    }
    if (on_conflict == ImportConflict::kFail) {
      outcomes->push_back(ImportOutcome::kConflict);
      return Status::Ok();
    }
    if (given.customer.id == 0) {  // a new customer whose email is taken: never an update
      outcomes->push_back(ImportOutcome::kConflict);
      continue;
    }
    Result<Rows> updated =
        conn.Exec(kImportUpdateCustomer, ImportArrays(std::span(row, 1), /*scalars=*/true));
    if (!updated.ok()) return updated.status();
    if (updated->affected() != 1) {
      outcomes->push_back(ImportOutcome::kConflict);
      continue;
    }
    if (!row->customer.allow_remote_shopping_assistance) {
      CUSTAUTH_RETURN_IF_ERROR(
          conn.Run(kVoidSecret,
                   Params().Int(row->customer.id).Int(static_cast<int>(SecretKind::kAdminOtc))));
    }
    outcomes->push_back(ImportOutcome::kUpdated);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ImportOutcome>> PostgresStorage::import_customers(
    std::span<const ImportedCustomer> rows, ImportConflict on_conflict) {
  bool assigns = false;  // a row with id 0: a new customer, the next id assigned
  for (const ImportedCustomer& row : rows) {
    if (row.customer.id < 0) {
      return Status(Code::kInvalidInput, "An imported customer needs an id above 0, or 0");
    }
    if (row.customer.id > kMaxCustomerId) return CustomerIdTooLarge(row.customer.id);
    assigns = assigns || row.customer.id == 0;
  }
  const bool revokes = std::any_of(
      rows.begin(), rows.end(), [](const ImportedCustomer& r) { return r.tokens_revoked_at > 0; });
  return Transact(Tx::kTransaction, [&](Connection& conn) -> Result<std::vector<ImportOutcome>> {
    Result<Rows> locked = conn.Exec(kLockLastCustomerId);
    if (!locked.ok()) return locked.status();
    if (locked->empty()) return Status(Code::kStorage, "postgresql: customer_ids has no row");
    const std::int64_t last_before = locked->Int(0, 0);
    std::int64_t last_id = last_before;
    if (revokes) CUSTAUTH_RETURN_IF_ERROR(conn.Run(kBumpEpoch));
    std::vector<ImportOutcome> outcomes;
    outcomes.reserve(rows.size());
    // kSkip inserts the whole batch in one statement (unless ids are to be assigned one after
    // the other); the others go row by row, in order.
    if (on_conflict == ImportConflict::kSkip && !assigns) {
      CUSTAUTH_RETURN_IF_ERROR(ImportBatch(conn, rows, &last_id, &outcomes));
    } else {
      CUSTAUTH_RETURN_IF_ERROR(ImportRows(conn, rows, on_conflict, &last_id, &outcomes));
    }
    if (last_id > last_before) {
      CUSTAUTH_RETURN_IF_ERROR(conn.Run(kSetLastCustomerId, Params().Int(last_id)));
    }
    return outcomes;
  });
}

}  // namespace custauth::postgres_backend

#endif  // CUSTAUTH_WITH_POSTGRES
