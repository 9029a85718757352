// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The schema of PostgresStorage, as forward migrations. Not installed; not part of the API.
//
// The table custauth_schema holds one row: the schema version of the database. kMigrations[k]
// takes a database from version k to k + 1. A released migration is never edited: a change of
// schema is a new entry at the end. OpenPostgresStorage creates custauth_schema (version 0) and
// runs the missing migrations in order, then records the new version, all in ONE transaction
// (PostgreSQL's DDL is transactional, so another server never sees a half-migrated database),
// begun after taking the session-level advisory lock kMigrationLockKey (so servers opening a new
// database at once migrate it once, one after the other; the lock is taken before the transaction
// begins so that the transaction sees the catalog as the previous holder left it).
//
// Design notes (the same data model as src/sqlite/schema.h):
// - Times are BIGINT milliseconds since the Unix epoch (custauth::TimeMs); NULL where the C++
//   field is std::optional. Ids are BIGINT.
// - Keyed hashes (secrets, opaque tokens) and sealed integration secrets are BYTEA, compared by
//   bytes (they contain NUL bytes; custauth binds them in binary format).
// - customers.email keeps the address as given; email_key is custauth::EmailKey(email), ASCII
//   lower case, and the unique constraint on (website_id, email_key) carries the case-insensitive
//   uniqueness per website. A CHECK pins email_key to lower(email COLLATE "C"), which lowers ASCII
//   letters only, exactly as EmailKey does, so no writer can store an inconsistent key.
// - customers.id is assigned as customer_ids.last_id + 1 while holding the row lock of
//   customer_ids, and last_id moves to the largest id ever stored (an explicit, imported id moves
//   the next one past it): ids are never reused, even after the newest customer is gone, a
//   refused create uses no id (a sequence would leave gaps on every refused insert), and none
//   is assigned above 2^53 - 1 (version 1 assigned max(id) + 1).
// - custauth_call_outcomes holds a random 16-byte marker per write call, written in the call's
//   own transaction (with the call's result where the reply alone carried it), so that a call
//   whose connection broke after the write was sent learns on another connection whether it
//   committed. Markers older than an hour are pruned.
// - revocation_epoch is a one-row counter bumped in the same transaction as every change of a
//   customer's tokens_revoked_at. Token verifiers on every server poll it (one cheap SELECT) to
//   know when their cache of revocation times is stale.
// - rate_buckets holds one row per bucket: its row lock serializes the requests that count the
//   bucket (taken in bucket order, so requests naming several buckets never deadlock), and it
//   remembers the widest window any rule has used on the bucket, so that pruning never drops an
//   event some rule still counts.
// - Retention (version 4): every table that grows with traffic is pruned through an index on its
//   time column (rate_buckets.expires_at, nonces.expires_at, secrets.expires_at,
//   opaque_tokens.expires_at, audit.at); the per-write pruning takes its rows FOR UPDATE SKIP
//   LOCKED, so that racing writers never wait for each other's pruning.
// - integrations.permissions is a JSONB array of strings, sorted and unique.
#ifndef CUSTAUTH_SRC_POSTGRES_SCHEMA_H_
#define CUSTAUTH_SRC_POSTGRES_SCHEMA_H_

#include <cstdint>
#include <iterator>

namespace custauth::postgres_schema {

// The key of the advisory lock held while migrating: "CAUT" in ASCII, then 1.
inline constexpr std::int64_t kMigrationLockKey = 0x4341555400000001;

// Creates the version table itself, at version 0. Run before kMigrations[0], in its transaction.
inline constexpr const char* kCreateVersionTable = R"sql(
CREATE TABLE custauth_schema (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO custauth_schema (id, version) VALUES (1, 0);
)sql";

inline constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE customers (
  id BIGINT NOT NULL,
  website_id BIGINT NOT NULL,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  firstname TEXT NOT NULL DEFAULT '',
  lastname TEXT NOT NULL DEFAULT '',
  is_subscribed BOOLEAN NOT NULL DEFAULT false,
  confirmed BOOLEAN NOT NULL DEFAULT true,
  allow_remote_shopping_assistance BOOLEAN NOT NULL DEFAULT false,
  is_active BOOLEAN NOT NULL DEFAULT true,
  password_hash TEXT NOT NULL DEFAULT '',
  failures_num INTEGER NOT NULL DEFAULT 0,
  first_failure BIGINT,
  lock_expires BIGINT,
  tokens_revoked_at BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT customers_pkey PRIMARY KEY (id),
  CONSTRAINT customers_email_unique UNIQUE (website_id, email_key),
  CONSTRAINT customers_email_key_is_lower CHECK (email_key = lower(email COLLATE "C"))
);

CREATE TABLE customer_ids (
  id SMALLINT PRIMARY KEY CHECK (id = 1)
);
INSERT INTO customer_ids (id) VALUES (1);

CREATE TABLE secrets (
  customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  hash BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  admin_id BIGINT,
  reason TEXT NOT NULL DEFAULT '',
  used_at BIGINT,
  PRIMARY KEY (customer_id, kind)
);

CREATE TABLE rate_events (
  bucket TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket_at ON rate_events (bucket, at);

CREATE TABLE rate_buckets (
  bucket TEXT PRIMARY KEY,
  widest_window BIGINT NOT NULL
);

CREATE TABLE nonces (
  consumer_key TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (consumer_key, nonce)
);
CREATE INDEX nonces_expires_at ON nonces (expires_at);

CREATE TABLE revocation_epoch (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL
);
INSERT INTO revocation_epoch (id, epoch) VALUES (1, 0);

CREATE TABLE opaque_tokens (
  hash BYTEA PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX opaque_tokens_expires_at ON opaque_tokens (expires_at);

CREATE TABLE integrations (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL,
  consumer_key TEXT NOT NULL UNIQUE,
  access_token TEXT NOT NULL UNIQUE,
  consumer_secret_sealed BYTEA NOT NULL,
  token_secret_sealed BYTEA NOT NULL,
  permissions JSONB NOT NULL DEFAULT '[]',
  active BOOLEAN NOT NULL DEFAULT true,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE audit (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  event TEXT NOT NULL,
  customer_id BIGINT,
  admin_id BIGINT,
  actor TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  client_ip TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_customer_id ON audit (customer_id, id);
)sql",
    // 1 -> 2: ids from a counter that never goes back; markers that resolve lost replies.
    R"sql(
ALTER TABLE customer_ids ADD COLUMN last_id BIGINT NOT NULL DEFAULT 0;
UPDATE customer_ids SET last_id = (SELECT COALESCE(max(id), 0) FROM customers);

CREATE TABLE custauth_call_outcomes (
  marker BYTEA PRIMARY KEY,
  at BIGINT NOT NULL,
  result TEXT
);
CREATE INDEX custauth_call_outcomes_at ON custauth_call_outcomes (at);
)sql",
    // 2 -> 3: login counters (attempts in flight per account, the token-request throttle).
    R"sql(
CREATE TABLE login_counters (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL DEFAULT 0,
  in_flight INTEGER NOT NULL DEFAULT 0,
  in_flight_expires BIGINT NOT NULL DEFAULT 0
);
)sql",
    // 3 -> 4 (retention): a rate-limit bucket expires with its newest event (expires_at: that
    // event plus the widest window, or min_interval, any rule has used on it), and the time
    // columns that pruning walks are indexed, so that each write removes a few expired rows
    // cheaply.
    R"sql(
ALTER TABLE rate_buckets ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE rate_buckets SET expires_at = widest_window + COALESCE(
  (SELECT max(at) FROM rate_events e WHERE e.bucket = rate_buckets.bucket), 0);
CREATE INDEX rate_buckets_expires_at ON rate_buckets (expires_at);
CREATE INDEX secrets_expires_at ON secrets (expires_at);
CREATE INDEX audit_at ON audit (at);
)sql",
    // 4 -> 5 (sessions, TokenOptions::sessions): one row per sign-in; ids never reused
    // (a sequence), since a token names its session by id. ends_at is when the session ended
    // or will end (expires_at, or revoked_at when earlier): retention walks it. An opaque token
    // names its session (0: none).
    R"sql(
CREATE TABLE sessions (
  id BIGSERIAL PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  renewed_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL DEFAULT 0,
  ends_at BIGINT NOT NULL,
  client_ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_customer_id ON sessions (customer_id);
CREATE INDEX sessions_ends_at ON sessions (ends_at);
ALTER TABLE opaque_tokens ADD COLUMN session_id BIGINT NOT NULL DEFAULT 0;
)sql",
};

// The schema version this build writes and reads: the number of migrations.
inline constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

}  // namespace custauth::postgres_schema

#endif  // CUSTAUTH_SRC_POSTGRES_SCHEMA_H_
