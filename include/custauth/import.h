// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Moving a shop onto custauth: the platform's exports read into custauth's storage
// (CustomerAuth::import_customers, CustomerAuth::import_revocations).
//
// Files. CSV (RFC 4180: a header row, comma-separated, "quoted" fields with "" for a quote, CRLF or
// LF) or JSON Lines (one object per line). Column names are the platform's: customer_entity's
// entity_id, website_id, email, firstname, lastname, password_hash, confirmation, is_active,
// created_at, updated_at, failures_num, first_failure, lock_expires, plus is_subscribed and
// allow_remote_shopping_assistance; jwt_auth_revoked's user_type_id, user_id, revoke_before.
// Empty, NULL and \N mean NULL. Times are "YYYY-MM-DD HH:MM:SS" (UTC, as the platform stores
// them; a "T" and a trailing "Z" are accepted) or Unix seconds. Unknown columns are ignored and
// named in the report.
//
// Streaming: memory stays flat whatever the file's size (a batch of rows, plus 8 to 16 bytes per
// row to find duplicate emails within the file). Each batch is one transaction. A file (any
// seekable stream) is read through once before anything is written, so that a truncated or
// malformed file changes nothing; a bad row, by contrast, is reported and skipped (or, with
// `strict`, ends the import with the rows before it imported).
#ifndef CUSTAUTH_IMPORT_H_
#define CUSTAUTH_IMPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

enum class ImportFormat : int {
  kAuto = 0,  // JSON Lines when the file's first non-blank byte is '{', else CSV
  kCsv = 1,
  kJsonLines = 2,
};

// The names hosts and the command-line tool give: "auto", "csv", "jsonl"; and "skip", "update",
// "fail". nullopt for any other name.
CUSTAUTH_EXPORT std::optional<ImportFormat> ImportFormatFromName(std::string_view name);
CUSTAUTH_EXPORT std::optional<ImportConflict> ImportConflictFromName(std::string_view name);

struct ImportProgress {
  std::int64_t rows = 0;          // rows read so far
  std::uint64_t bytes_read = 0;   // of the file
  std::uint64_t bytes_total = 0;  // 0 when unknown (a stream)
  double seconds = 0;             // since the import started
};

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;
  // What a row whose id or email is already stored does (storage.h). Default: skip, so that
  // running the same import twice changes nothing.
  ImportConflict on_conflict = ImportConflict::kSkip;
  // Stop at the first bad row (the rows before it stay imported). Default: report it, go on.
  bool strict = false;
  // Rows per transaction. Default: 5000 (each commit waits for the disk).
  std::size_t batch_size = 5000;
  // At most this many rejected rows are listed in the report (all are counted). Default: 1000.
  std::size_t max_listed_errors = 1000;
  // Called about once a second while the import runs (not at all for short ones).
  std::function<void(const ImportProgress&)> progress;
};

// A row that was not imported: its line in the file (of its first line, for a CSV record that
// spans several) and why.
struct ImportRowError {
  std::int64_t line = 0;
  std::string reason;
};

struct ImportReport {
  std::int64_t rows = 0;  // data rows read (the header is not a row)
  // Customers: created, updated, skipped (already there, --on-conflict skip), rejected (bad rows,
  // duplicates within the file, conflicts --on-conflict update cannot resolve).
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t skipped = 0;
  std::int64_t rejected = 0;
  // Revocations: customers whose tokens were revoked, rows of other user types (admins,
  // integrations), rows of customers that do not exist here.
  std::int64_t revoked = 0;
  std::int64_t skipped_user_types = 0;
  std::int64_t not_found = 0;
  std::vector<std::string> unknown_columns;
  std::vector<ImportRowError> errors;  // the first max_listed_errors rejected rows
  // OK when the whole file was read. Otherwise why the import stopped (the file could not be read,
  // is empty, has no usable header, is truncated; a bad row under `strict`; a conflict under
  // kFail); `stopped_at_line` is the line it stopped at (0: before any row). Rows before it are
  // imported; nothing from it on is.
  Status status;
  std::int64_t stopped_at_line = 0;
  double seconds = 0;

  bool completed() const { return status.ok(); }
  // {"rows":…, "created":…, …, "unknown_columns":[…], "errors":[{"line":…,"reason":…}],
  //  "completed":…, "seconds":…, "rows_per_second":…} (+ "error" and "stopped_at_line" when
  // stopped). `revocations` selects the revocation counters instead of the customer ones.
  std::string ToJson(bool revocations = false) const;
};

}  // namespace custauth

#endif  // CUSTAUTH_IMPORT_H_
