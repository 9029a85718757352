// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Hooks into SqliteStorage for custauth's own tests. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_SQLITE_SQLITE_INTERNAL_H_
#define CUSTAUTH_SRC_SQLITE_SQLITE_INTERNAL_H_

#include <string>
#include <string_view>

#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth::internal {

// Runs `PRAGMA <name>` on one of `storage`'s own pooled connections and returns the first column
// of the first row as text. Per-connection settings (synchronous, foreign_keys, busy handling) are
// visible only this way; a separate connection sees only what the file keeps (journal_mode,
// user_version, application_id). kInvalidInput when `storage` is not a SqliteStorage or `name` is
// not a plain identifier.
Result<std::string> SqlitePragmaForTesting(Storage& storage, std::string_view name);

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_SQLITE_SQLITE_INTERNAL_H_
