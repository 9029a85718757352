// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The worlds the storage benchmarks measure, shared by the one-thread benchmarks (login_bench,
// exchange_bench), their 2-thread scaling (scaling_bench) and the PostgreSQL ones (pg_bench):
//
//   AuthWorld      a CustomerAuth on a counted Storage, with confirmed shoppers who have a password
//                  and allow remote shopping assistance (login, admin one-time codes)
//   ExchangeWorld  a CustomerAuth with an integration allowed to exchange external tokens, and
//                  SignedRequest, a request that integration signed (OAuth 1.0a, HMAC-SHA256)
//   RawSqlite      the SQLite floor: one-row write transactions on a file with custauth's pragmas
#ifndef CUSTAUTH_BENCH_FIXTURES_H_
#define CUSTAUTH_BENCH_FIXTURES_H_

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "custauth/auth.h"
#include "custauth/oauth1.h"
#include "custauth/sqlite_storage.h"
#include "threads.h"

namespace custauth_bench {

constexpr char kPassword[] = "Bench-Password-2026";

// The email of shopper i: the platform's example customer first, then one per benchmark thread.
inline std::string ShopperEmail(int i) {
  return i == 0 ? std::string("roni_cost@example.com")
                : "shopper" + std::to_string(i) + "@example.com";
}

// A SQLite file (WAL, synchronous=FULL: the defaults) in the benchmarks' directory, made afresh.
inline std::shared_ptr<custauth::Storage> FreshSqlite(const std::string& name) {
  auto sqlite = custauth::OpenSqliteStorage(BenchFile(name));
  if (!sqlite.ok()) Die("OpenSqliteStorage", sqlite.status());
  return std::shared_ptr<custauth::Storage>(std::move(sqlite).value());
}

inline std::unique_ptr<custauth::CustomerAuth> OpenAuth(std::shared_ptr<custauth::Storage> storage,
                                                        custauth::AuthOptions options) {
  if (options.keys.jwt_keys.empty()) {
    options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  }
  auto auth = custauth::CustomerAuth::Open(std::move(storage), options);
  if (!auth.ok()) Die("CustomerAuth::Open", auth.status());
  return std::move(auth).value();
}

struct AuthWorld {
  std::shared_ptr<CountingStorage> storage;
  std::unique_ptr<custauth::CustomerAuth> auth;
  std::vector<std::string> stored_hashes;  // shopper i's Argon2id hash string
};

// A CustomerAuth on `base` with `options` (fresh keys unless given), and `shoppers` confirmed
// customers ShopperEmail(0..shoppers-1) with kPassword who allow remote shopping assistance.
inline AuthWorld MakeAuthWorld(std::shared_ptr<custauth::Storage> base,
                               const custauth::AuthOptions& options = {}, int shoppers = 1) {
  AuthWorld w;
  w.storage = std::make_shared<CountingStorage>(std::move(base));
  w.auth = OpenAuth(w.storage, options);
  for (int i = 0; i < shoppers; ++i) {
    custauth::CustomerInput in;
    in.email = ShopperEmail(i);
    in.firstname = "Veronica";
    in.lastname = "Costello";
    in.password = kPassword;
    in.allow_remote_shopping_assistance = true;
    auto c = w.auth->create_customer(in);
    if (!c.ok()) Die("create_customer", c.status());
    w.stored_hashes.push_back(c->password_hash);
  }
  return w;
}

// One admin one-time code round trip (issue_otc + exchange_otc) for `email`: "" or what failed.
inline std::string OtcRoundTrip(custauth::CustomerAuth& auth, const std::string& email) {
  auto code = auth.issue_otc(email, 7, "bench: customer on the phone");
  if (!code.ok()) return code.status().to_string();
  auto token = auth.exchange_otc(email, *code);
  return token.ok() ? std::string() : token.status().to_string();
}

constexpr char kExchangeUrl[] = "https://shop.example/graphql";
constexpr char kExchangeInput[] =
    R"({"customer":{"email":"roni_cost@example.com","firstname":"Veronica","lastname":"Costello"}})";

struct ExchangeWorld {
  std::shared_ptr<CountingStorage> storage;
  std::unique_ptr<custauth::CustomerAuth> auth;
  custauth::IntegrationCredentials creds;
};

// A CustomerAuth on `base` with an integration allowed to exchange external customer tokens.
inline ExchangeWorld MakeExchangeWorld(std::shared_ptr<custauth::Storage> base) {
  ExchangeWorld w;
  w.storage = std::make_shared<CountingStorage>(std::move(base));
  w.auth = OpenAuth(w.storage, {});
  auto creds = w.auth->create_integration(
      "social-login", {std::string(custauth::kPermissionExchangeExternalCustomerToken)});
  if (!creds.ok()) Die("create_integration", creds.status());
  w.creds = std::move(creds).value();
  return w;
}

// A POST to kExchangeUrl signed with HMAC-SHA256 by the integration, with a nonce made of `n` and
// `now_s` (distinct n, distinct nonces), as a client sends it: Authorization: OAuth ..., a JSON
// GraphQL body (not signed).
inline custauth::HttpRequest SignedRequest(const custauth::IntegrationCredentials& c,
                                           std::int64_t n, std::int64_t now_s) {
  using custauth::PercentEncode;
  custauth::HttpRequest r;
  r.method = "POST";
  r.url = kExchangeUrl;
  r.content_type = "application/json";
  r.body = R"({"query":"mutation { exchangeExternalCustomerToken(input: $input) { token } }"})";
  std::string header = "OAuth oauth_consumer_key=\"" + PercentEncode(c.consumer_key) +
                       "\", oauth_nonce=\"bench" + std::to_string(n) + "x" + std::to_string(now_s) +
                       "\", oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"" +
                       std::to_string(now_s) + "\", oauth_token=\"" +
                       PercentEncode(c.access_token) + "\", oauth_version=\"1.0\"";
  r.authorization = header;
  auto base = custauth::SignatureBaseString(r);
  if (!base.ok()) Die("SignatureBaseString", base.status());
  auto sig = custauth::OAuthSignature(custauth::kOAuthHmacSha256, *base, c.consumer_secret,
                                      c.token_secret);
  if (!sig.ok()) Die("OAuthSignature", sig.status());
  r.authorization = header + ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
  return r;
}

// The first exchange (which creates the customer) and a refused replay of it: "" or what is wrong.
inline std::string ExchangeWorks(ExchangeWorld& w, std::int64_t now_s) {
  auto first =
      w.auth->exchange_external_customer_token(SignedRequest(w.creds, 0, now_s), kExchangeInput);
  if (!first.ok()) return first.status().to_string();
  if (!first->created) return "the customer was not created";
  auto replay =
      w.auth->exchange_external_customer_token(SignedRequest(w.creds, 0, now_s), kExchangeInput);
  return replay.ok() ? "a replayed nonce was accepted" : "";
}

// One exchange for the existing customer: "" or what failed.
inline std::string ExchangeExisting(custauth::CustomerAuth& auth,
                                    const custauth::HttpRequest& request) {
  auto r = auth.exchange_external_customer_token(request, kExchangeInput);
  if (!r.ok()) return r.status().to_string();
  return r->created ? "created twice" : "";
}

// exchange_external_customer_token for the existing customer on `threads` threads until `limit`,
// with limit.max_ops_per_thread requests per thread signed before the clock starts (a client's
// work), each with a nonce never used before: *next_nonce counts on.
inline RateRun RunExchanges(ExchangeWorld& w, std::int64_t now_s, std::int64_t* next_nonce,
                            int threads, RunLimit limit) {
  std::vector<std::vector<custauth::HttpRequest>> requests(static_cast<std::size_t>(threads));
  for (auto& mine : requests) {
    for (std::int64_t i = 0; i < limit.max_ops_per_thread; ++i) {
      mine.push_back(SignedRequest(w.creds, (*next_nonce)++, now_s));
    }
  }
  return RunThreads(threads, limit, [&](int t, std::int64_t i) {
    return ExchangeExisting(*w.auth,
                            requests[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)]);
  });
}

// The SQLite floor: a table shaped like a secret or an audit row, on a file with custauth's
// pragmas. One RawSqlite per thread (each its own connection); writers queue on the file's lock.
class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      Fail("open");
    }
    sqlite3_busy_timeout(db_, 5000);
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = FULL");
    Exec("PRAGMA foreign_keys = ON");
    Exec("PRAGMA secure_delete = ON");
    Exec(
        "CREATE TABLE IF NOT EXISTS codes (customer_id INTEGER NOT NULL, kind INTEGER NOT NULL, "
        "hash BLOB NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, "
        "admin_id INTEGER, reason TEXT NOT NULL, used_at INTEGER, "
        "PRIMARY KEY (customer_id, kind))");
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO codes (customer_id, kind, hash, created_at, expires_at, "
                           "admin_id, reason, used_at) VALUES (?1, 2, ?2, ?3, ?4, 7, ?5, NULL) "
                           "ON CONFLICT (customer_id, kind) DO UPDATE SET hash = excluded.hash, "
                           "created_at = excluded.created_at, expires_at = excluded.expires_at, "
                           "admin_id = excluded.admin_id, reason = excluded.reason, used_at = NULL",
                           -1, &put_code_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_,
                           "UPDATE codes SET used_at = ?3 WHERE customer_id = ?1 AND kind = 2 AND "
                           "hash = ?2 AND used_at IS NULL AND expires_at > ?3",
                           -1, &consume_code_, nullptr) != SQLITE_OK) {
      Fail("prepare");
    }
    Exec(
        "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, "
        "hash BLOB NOT NULL, at INTEGER NOT NULL, detail TEXT NOT NULL)");
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO rows (customer_id, hash, at, detail) VALUES (?, ?, ?, ?)",
                           -1, &insert_, nullptr) != SQLITE_OK) {
      Fail("prepare");
    }
  }
  ~RawSqlite() {
    sqlite3_finalize(put_code_);
    sqlite3_finalize(consume_code_);
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  // One write transaction: BEGIN IMMEDIATE; INSERT one row; COMMIT.
  void WriteTransaction(std::int64_t i) {
    static const unsigned char kHash[32] = {1, 2, 3};
    Exec("BEGIN IMMEDIATE");
    sqlite3_bind_int64(insert_, 1, 6);
    sqlite3_bind_blob(insert_, 2, kHash, sizeof kHash, SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 3, i);
    sqlite3_bind_text(insert_, 4, R"({"expires_at":"2026-01-01 00:00:30"})", -1, SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE) Fail("insert");
    sqlite3_reset(insert_);
    Exec("COMMIT");
  }

  // The least an admin code's round trip needs (issue 14): two write transactions, BEGIN
  // IMMEDIATE ... COMMIT each: store the code (its hash replacing the customer's earlier one), then
  // consume it (mark it used if it is unused and unexpired).
  void InsertCode(std::int64_t i) {
    unsigned char hash[32] = {1, 2, 3};
    std::memcpy(hash + 8, &i, sizeof i);
    Exec("BEGIN IMMEDIATE");
    sqlite3_bind_int64(put_code_, 1, 6);
    sqlite3_bind_blob(put_code_, 2, hash, sizeof hash, SQLITE_TRANSIENT);
    sqlite3_bind_int64(put_code_, 3, i);
    sqlite3_bind_int64(put_code_, 4, i + 30000);
    sqlite3_bind_text(put_code_, 5, "bench", -1, SQLITE_STATIC);
    if (sqlite3_step(put_code_) != SQLITE_DONE) Fail("insert code");
    sqlite3_reset(put_code_);
    Exec("COMMIT");
  }
  void ConsumeCode(std::int64_t i) {
    unsigned char hash[32] = {1, 2, 3};
    std::memcpy(hash + 8, &i, sizeof i);
    Exec("BEGIN IMMEDIATE");
    sqlite3_bind_int64(consume_code_, 1, 6);
    sqlite3_bind_blob(consume_code_, 2, hash, sizeof hash, SQLITE_TRANSIENT);
    sqlite3_bind_int64(consume_code_, 3, i + 1);
    if (sqlite3_step(consume_code_) != SQLITE_DONE || sqlite3_changes(db_) != 1) {
      Fail("consume code");
    }
    sqlite3_reset(consume_code_);
    Exec("COMMIT");
  }

 private:
  void Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) Fail(sql);
  }
  [[noreturn]] void Fail(const char* what) {
    std::fprintf(stderr, "raw sqlite: %s: %s\n", what, db_ ? sqlite3_errmsg(db_) : "?");
    std::exit(1);
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* put_code_ = nullptr;
  sqlite3_stmt* consume_code_ = nullptr;
};

}  // namespace custauth_bench

#endif  // CUSTAUTH_BENCH_FIXTURES_H_
