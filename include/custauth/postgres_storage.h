// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PostgresStorage: Storage on a PostgreSQL database (10 or newer; tested with 15) through libpq,
// for a fleet of servers sharing one customer base. Every Storage operation is atomic across all
// the processes and servers that use the database: each is one statement or one transaction, and
// the races the contract names (consuming a secret, finding-or-creating a customer, recording a
// nonce, counting login failures, taking rate-limit slots) are settled by row locks and unique
// keys in the database, never in the process.
//
// Thread safety: as for every Storage, any method may be called from many threads at once; the
// handle owns its connections, and closes them when destroyed (REQUIRES: no call in progress).
//
// Connections. A handle keeps a small pool of connections (PostgresOptions::pool_size) shared by
// all its threads; a call waits for a free one. Connections are opened lazily and replaced when
// the server drops them (a restart or failover costs the calls in flight, not the handle).
//
// Failures. Serialization failures and deadlocks (SQLSTATE 40001, 40P01) are retried, the whole
// transaction, up to PostgresOptions::max_retries times; they never reach a caller as anything but
// kStorage after that bound. Every other failure of the server is kStorage with the server's
// message. A lock held by another session longer than lock_timeout_ms is kStorage too, so no call
// waits without bound.
//
// Statements. Each connection prepares the statements it runs, once (see
// PostgresOptions::prepare_statements; turn it off behind a pooler in transaction mode).
//
// Schema. Versioned in the table custauth_schema; forward migrations run on open, in one
// transaction under an advisory lock, so several servers may open a new database at once. The
// tables live in the first schema of the connection's search_path; to keep custauth apart from the
// host's own tables, give it a database or a schema of its own (e.g.
// "...?options=-csearch_path%3Dcustauth" in the URI, for a schema that exists).
//
// Built only when libpq was found (CMake option CUSTAUTH_WITH_POSTGRES, which then defines the
// macro CUSTAUTH_WITH_POSTGRES=1); otherwise OpenPostgresStorage returns kUnsupported.
#ifndef CUSTAUTH_POSTGRES_STORAGE_H_
#define CUSTAUTH_POSTGRES_STORAGE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

struct PostgresOptions {
  // Connections this handle keeps open at most; each serves one call at a time. Default: 4.
  std::size_t pool_size = 4;
  // How long opening a connection may take before kStorage (libpq connect_timeout, which counts
  // whole seconds: rounded up, at least 2 s). Overrides a connect_timeout in the URI. Default: 5 s.
  int connect_timeout_ms = 5000;
  // How long a statement waits for a row lock that another session holds before the call fails
  // with kStorage (the server's lock_timeout). 0: wait without bound. Default: 5 s.
  int lock_timeout_ms = 5000;
  // How often a transaction that failed with a serialization failure or a deadlock is run again
  // before the call fails with kStorage. Default: 10.
  int max_retries = 10;
  // Prepare each statement once per connection (PQprepare, named "ca1", "ca2", ...) and run it
  // with PQexecPrepared after, rather than have the server parse and plan it on every call. A
  // prepared statement the server has lost (DISCARD ALL) or whose result type changed (another
  // server migrated the schema) costs the call a rerun, not a failure. false: every statement is
  // sent as text with PQexecParams, for connection poolers in transaction mode (e.g. PgBouncer
  // before 1.21) that move a session between server connections and so lose its prepared
  // statements. Default: true.
  bool prepare_statements = true;
  // Create the tables (and run migrations) when the database has none. false: a database without
  // custauth's tables is kStorage. Default: true.
  bool create_if_missing = true;
};

// The schema version this build writes and reads.
CUSTAUTH_EXPORT int PostgresSchemaVersion() noexcept;

// Connects to the database named by `uri` (a libpq connection URI or key=value string, e.g.
// "postgresql://custauth:secret@db.internal:5432/shop"), checks it, and runs the missing
// migrations. kInvalidInput when `uri` is empty or malformed; kStorage with the server's or
// libpq's reason when the server cannot be reached in time, refuses the login, has a custauth
// schema newer than this build, or the migrations fail; kUnsupported when custauth was built
// without PostgreSQL. describe() of the result is "postgresql://host[:port]/dbname", without the
// user name and password.
CUSTAUTH_EXPORT Result<std::unique_ptr<Storage>> OpenPostgresStorage(
    const std::string& uri, const PostgresOptions& options = {});

}  // namespace custauth

#endif  // CUSTAUTH_POSTGRES_STORAGE_H_
