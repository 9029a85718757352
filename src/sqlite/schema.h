// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The schema of SqliteStorage, as forward migrations. Not installed; not part of the API.
//
// kMigrations[k] takes a database from schema version k to k + 1 (PRAGMA user_version). A released
// migration is never edited: a change of schema is a new entry at the end. OpenSqliteStorage runs
// the missing ones in order inside one BEGIN IMMEDIATE transaction, then sets user_version and
// application_id in the same transaction, so a half-migrated file is never seen.
//
// Design notes:
// - Times are INTEGER milliseconds since the Unix epoch (custauth::TimeMs); NULL where the C++
//   field is std::optional.
// - Keyed hashes (secrets, opaque tokens) and sealed integration secrets are BLOBs, compared by
//   bytes. Everything else textual is TEXT.
// - customers.email keeps the address as given; email_key (custauth::EmailKey) carries the
//   case-insensitive uniqueness per website.
// - revocation_epoch is a one-row counter bumped in the same transaction as every change of a
//   customer's tokens_revoked_at. Token verifiers in any process poll it (one cheap SELECT) to know
//   when their cache of revocation times is stale; custauth deliberately does not rely on
//   PRAGMA data_version, which changes on every commit of any table and only for other
//   connections.
// - customers.id is assigned as customer_ids.last_id + 1 (in the write transaction, so no other
//   writer interleaves); a trigger moves last_id to the largest id ever inserted (an explicit,
//   imported id moves the next one past it). Ids are never reused, even after the newest customer
//   is gone, and none is assigned above 2^53 - 1. (Version 1 let SQLite pick the rowid:
//   max(rowid) + 1, reused after a delete of the newest, and random past 2^63 - 1.)
// - login_counters holds, by key, what a login takes before it verifies a secret: the attempts in
//   flight on an account ("account:<id>") and the token-request throttle of an email
//   ("throttle:<website>:<email_key>"), each with its expiry; a row with nothing left is deleted.
// - rate_buckets remembers the widest window any rule has used on a bucket, so that pruning never
//   drops an event some rule still counts, and (version 4) when the bucket expires as a whole.
// - Retention (version 4): every table that grows with traffic is pruned through an index on its
//   time column (rate_buckets.expires_at, nonces.expires_at, secrets.expires_at,
//   opaque_tokens.expires_at, audit.at).
#ifndef CUSTAUTH_SRC_SQLITE_SCHEMA_H_
#define CUSTAUTH_SRC_SQLITE_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace custauth::sqlite_schema {

// PRAGMA application_id of every custauth database: "CAUT" in ASCII.
inline constexpr std::int32_t kApplicationId = 0x43415554;

inline constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  website_id INTEGER NOT NULL,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  firstname TEXT NOT NULL DEFAULT '',
  lastname TEXT NOT NULL DEFAULT '',
  is_subscribed INTEGER NOT NULL DEFAULT 0,
  confirmed INTEGER NOT NULL DEFAULT 1,
  allow_remote_shopping_assistance INTEGER NOT NULL DEFAULT 0,
  is_active INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT NOT NULL DEFAULT '',
  failures_num INTEGER NOT NULL DEFAULT 0,
  first_failure INTEGER,
  lock_expires INTEGER,
  tokens_revoked_at INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (website_id, email_key)
);

CREATE TABLE secrets (
  customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  admin_id INTEGER,
  reason TEXT NOT NULL DEFAULT '',
  used_at INTEGER,
  PRIMARY KEY (customer_id, kind)
) WITHOUT ROWID;

CREATE TABLE rate_events (
  bucket TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX rate_events_bucket_at ON rate_events (bucket, at);

CREATE TABLE rate_buckets (
  bucket TEXT PRIMARY KEY,
  widest_window INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE nonces (
  consumer_key TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (consumer_key, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_expires_at ON nonces (expires_at);

CREATE TABLE revocation_epoch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL
);
INSERT INTO revocation_epoch (id, epoch) VALUES (1, 0);

CREATE TABLE opaque_tokens (
  hash BLOB PRIMARY KEY,
  customer_id INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX opaque_tokens_expires_at ON opaque_tokens (expires_at);

CREATE TABLE integrations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  consumer_key TEXT NOT NULL UNIQUE,
  access_token TEXT NOT NULL UNIQUE,
  consumer_secret_sealed BLOB NOT NULL,
  token_secret_sealed BLOB NOT NULL,
  permissions TEXT NOT NULL DEFAULT '[]',
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  customer_id INTEGER,
  admin_id INTEGER,
  actor TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  client_ip TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_customer_id ON audit (customer_id, id);
)sql",
    // 1 -> 2: customer ids from a counter that never goes back.
    R"sql(
CREATE TABLE customer_ids (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id INTEGER NOT NULL
);
INSERT INTO customer_ids (id, last_id) SELECT 1, COALESCE(max(id), 0) FROM customers;
CREATE TRIGGER customers_last_id AFTER INSERT ON customers
BEGIN
  UPDATE customer_ids SET last_id = NEW.id WHERE id = 1 AND last_id < NEW.id;
END;
)sql",
    // 2 -> 3: login counters (attempts in flight per account, the token-request throttle).
    R"sql(
CREATE TABLE login_counters (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL DEFAULT 0,
  in_flight INTEGER NOT NULL DEFAULT 0,
  in_flight_expires INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql",
    // 3 -> 4 (retention): a rate-limit bucket expires with its newest event (expires_at: that
    // event plus the widest window, or min_interval, any rule has used on it), and the time
    // columns that pruning walks are indexed, so that each write removes a few expired rows
    // cheaply.
    R"sql(
ALTER TABLE rate_buckets ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE rate_buckets SET expires_at = widest_window + COALESCE(
  (SELECT max(at) FROM rate_events e WHERE e.bucket = rate_buckets.bucket), 0);
CREATE INDEX rate_buckets_expires_at ON rate_buckets (expires_at);
CREATE INDEX secrets_expires_at ON secrets (expires_at);
CREATE INDEX audit_at ON audit (at);
)sql",
    // 4 -> 5 (sessions, TokenOptions::sessions): one row per sign-in; ids never reused
    // (AUTOINCREMENT), since a token names its session by id. ends_at is when the session ended
    // or will end (expires_at, or revoked_at when earlier): retention walks it. An opaque token
    // names its session (0: none).
    R"sql(
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  renewed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  ends_at INTEGER NOT NULL,
  client_ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_customer_id ON sessions (customer_id);
CREATE INDEX sessions_ends_at ON sessions (ends_at);
ALTER TABLE opaque_tokens ADD COLUMN session_id INTEGER NOT NULL DEFAULT 0;
)sql",
};

// The schema version this build writes and reads: the number of migrations.
inline constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

}  // namespace custauth::sqlite_schema

#endif  // CUSTAUTH_SRC_SQLITE_SCHEMA_H_
