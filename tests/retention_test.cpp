// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Retention (DOMAIN.md): what traffic writes is pruned, a little by each write and all at once by
// prune, so that nothing grows without a bound. Storage cases run on every backend of the
// conformance suite; the plateau cases drive a test handle's clock through two retention periods
// of unauthenticated traffic and compare the data kept.

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "custauth/sqlite_storage.h"
#include "custauth/storage.h"
#include "custauth/testing.h"
#include "storage_conformance.h"

namespace custauth::conformance::retention_test {
namespace {

constexpr TimeMs kDay = 24 * kHour;

AuditRecord Audit(std::string event, TimeMs at) {
  AuditRecord r;
  r.at = at;
  r.event = std::move(event);
  r.client_ip = "203.0.113.7";
  return r;
}

RateRule Rule(std::string bucket, int max_in_window, TimeMs window = kHour,
              TimeMs min_interval = 0) {
  RateRule r;
  r.bucket = std::move(bucket);
  r.max_in_window = max_in_window;
  r.window = window;
  r.min_interval = min_interval;
  return r;
}

std::int64_t AuditCount(Storage& s) {
  AuditQuery q;
  q.limit = 1000000;
  Result<std::vector<AuditRecord>> all = s.list_audit(q);
  REQUIRE(all.ok());
  return static_cast<std::int64_t>(all->size());
}

Customer MustCreate(Storage& s, const std::string& email) {
  NewCustomer c;
  c.email = email;
  c.firstname = "Veronica";
  c.lastname = "Costello";
  Result<Customer> r = s.create_customer(c, kT0);
  REQUIRE(r.ok());
  return r.value();
}

SecretRecord Secret(std::int64_t customer_id, SecretKind kind, std::string hash, TimeMs at,
                    TimeMs ttl) {
  SecretRecord r;
  r.kind = kind;
  r.customer_id = customer_id;
  r.hash = std::move(hash);
  r.created_at = at;
  r.expires_at = at + ttl;
  return r;
}

TEMPLATE_TEST_CASE("prune removes exactly what is past its retention, per table",
                   "[storage][retention]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  RetentionPolicy policy;
  policy.audit = 10 * kDay;
  policy.grace = kDay;
  policy.per_write = 0;  // nothing pruned by the writes themselves here
  s.set_retention(policy);

  // Rate limits: a bucket used at kT0 (1 h window) and one used later.
  REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule("old", 5)}, kT0).ok());
  REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule("old", 5)}, kT0 + 1).ok());
  REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule("live", 5)}, kT0 + 2 * kHour).ok());
  // A bucket whose min_interval outlasts its window is kept for the min_interval.
  REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule("slow", 5, kHour, 3 * kHour)}, kT0).ok());
  // Nonces: one expired, one live.
  REQUIRE(s.insert_nonce("consumer", "n-old", kT0 + 10 * kMinute, kT0).ok());
  REQUIRE(s.insert_nonce("consumer", "n-live", kT0 + 3 * kHour, kT0).ok());
  // Secrets: expired past the grace, used past the grace, live.
  const Customer a = MustCreate(s, "a@example.com");
  const Customer b = MustCreate(s, "b@example.com");
  const Customer c = MustCreate(s, "c@example.com");
  REQUIRE(s.put_secret(Secret(a.id, SecretKind::kPasswordReset, "ha", kT0, 2 * kHour)).ok());
  REQUIRE(s.put_secret(Secret(b.id, SecretKind::kAdminOtc, "hb", kT0, 30 * kDay)).ok());
  REQUIRE(s.consume_secret(SecretKind::kAdminOtc, b.id, "hb", kT0 + kMinute).ok());
  REQUIRE(s.put_secret(Secret(c.id, SecretKind::kPasswordReset, "hc", kT0, 30 * kDay)).ok());
  // Opaque tokens: one expired past the grace, one live.
  REQUIRE(s.put_opaque_token({"tok-old", a.id, kT0, kT0 + kHour}).ok());
  REQUIRE(s.put_opaque_token({"tok-live", a.id, kT0, kT0 + 30 * kDay}).ok());
  // Audit: two records past the retention, one within.
  REQUIRE(s.append_audit(Audit("login.failure", kT0)).ok());
  REQUIRE(s.append_audit(Audit("login.failure", kT0 + kDay)).ok());
  REQUIRE(s.append_audit(Audit("login.failure", kT0 + 5 * kDay)).ok());

  const TimeMs now = kT0 + 11 * kDay + kHour;
  // Before: everything is there.
  REQUIRE(AuditCount(s) == 3);
  // "live" was used at kT0 + 2 h: still counted at a time within its window.
  {
    Result<PruneCounts> early = s.prune(kT0 + 2 * kHour + 30 * kMinute, policy);
    REQUIRE(early.ok());
    CHECK(early->rate_buckets == 1);  // "old" (expired at kT0 + 1 h + 1 ms); "slow" is kept
    CHECK(early->rate_events == 2);
    CHECK(early->nonces == 1);
    CHECK(early->secrets == 0);
    CHECK(early->opaque_tokens == 0);
    CHECK(early->audit == 0);
    // The live bucket still counts its event: a limit of 1 refuses.
    CHECK(s.take_rate_slots(std::vector<RateRule>{Rule("live", 1)}, kT0 + 2 * kHour + 31 * kMinute)
              .code() == Code::kRateLimited);
    // The live nonce is still a replay.
    CHECK(s.insert_nonce("consumer", "n-live", kT0 + 3 * kHour, kT0 + 2 * kHour).code() ==
          Code::kAlreadyExists);
    // The slow bucket still enforces its min_interval.
    CHECK(s.take_rate_slots(std::vector<RateRule>{Rule("slow", 5, kHour, 3 * kHour)},
                            kT0 + 2 * kHour + 31 * kMinute)
              .code() == Code::kRateLimited);
  }
  Result<PruneCounts> pruned = s.prune(now, policy);
  REQUIRE(pruned.ok());
  CHECK(pruned->rate_buckets == 2);  // "live" and "slow"
  CHECK(pruned->rate_events == 2);
  CHECK(pruned->nonces == 1);
  CHECK(pruned->secrets == 2);  // a's expired one and b's used one
  CHECK(pruned->opaque_tokens == 1);
  CHECK(pruned->audit == 2);
  CHECK(AuditCount(s) == 1);
  CHECK(s.find_opaque_token("tok-old").code() == Code::kNotFound);
  CHECK(s.find_opaque_token("tok-live").ok());
  CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "hc", now).ok());

  // A second prune finds nothing more.
  Result<PruneCounts> again = s.prune(now, policy);
  REQUIRE(again.ok());
  CHECK(again->total() == 0);

  // audit == 0 keeps the audit trail forever.
  RetentionPolicy forever = policy;
  forever.audit = 0;
  Result<PruneCounts> never = s.prune(now + 10000 * kDay, forever);
  REQUIRE(never.ok());
  CHECK(never->audit == 0);
  CHECK(AuditCount(s) == 1);
}

TEMPLATE_TEST_CASE("each write that adds a row removes a few expired rows of its table",
                   "[storage][retention]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  RetentionPolicy policy;
  policy.audit = kDay;
  policy.per_write = 2;
  s.set_retention(policy);

  for (int k = 0; k < 10; ++k) REQUIRE(s.append_audit(Audit("login.failure", kT0 + k)).ok());
  for (int k = 0; k < 10; ++k) {
    REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule(fmt::format("b{}", k), 5)}, kT0).ok());
    REQUIRE(s.insert_nonce("consumer", fmt::format("n{}", k), kT0 + kMinute, kT0).ok());
    REQUIRE(s.put_opaque_token({fmt::format("t{}", k), 1, kT0, kT0 + kHour}).ok());
  }
  // Two days later, one write of each kind: each takes two expired rows (buckets) with it.
  const TimeMs later = kT0 + 2 * kDay + kHour;
  REQUIRE(s.append_audit(Audit("login.failure", later)).ok());
  REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule("new", 5)}, later).ok());
  REQUIRE(s.insert_nonce("consumer", "new", later + kMinute, later).ok());
  REQUIRE(s.put_opaque_token({"new", 1, later, later + kHour}).ok());
  CHECK(AuditCount(s) == 9);  // 10 - 2 + 1
  // What is left for a prune: 8 of each, and nothing of what was just written.
  Result<PruneCounts> rest = s.prune(later, policy);
  REQUIRE(rest.ok());
  CHECK(rest->audit == 8);
  CHECK(rest->rate_buckets == 8);
  CHECK(rest->rate_events == 8);
  CHECK(rest->nonces == 8);
  CHECK(rest->opaque_tokens == 8);
  CHECK(AuditCount(s) == 1);
  CHECK(s.find_opaque_token("new").ok());
  CHECK(s.insert_nonce("consumer", "new", later + kMinute, later).code() == Code::kAlreadyExists);

  // per_write = 0: the writes prune nothing.
  policy.per_write = 0;
  s.set_retention(policy);
  REQUIRE(s.append_audit(Audit("login.failure", later + 3 * kDay)).ok());
  CHECK(AuditCount(s) == 2);
}

TEMPLATE_TEST_CASE("racing writers prune each other's expired rows, never a live one",
                   "[storage][retention][race]", CUSTAUTH_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  RetentionPolicy policy;
  policy.audit = kDay;
  policy.per_write = 2;
  s.set_retention(policy);
  constexpr int kOld = 150;
  for (int k = 0; k < kOld; ++k) {
    REQUIRE(s.append_audit(Audit("old", kT0 + k)).ok());
    REQUIRE(s.take_rate_slots(std::vector<RateRule>{Rule(fmt::format("old{}", k), 5)}, kT0).ok());
  }
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  const TimeMs later = kT0 + 2 * kDay;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kEach; ++k) {
        if (!s.append_audit(Audit("new", later + k)).ok()) ++failures;
        // Two buckets per request, one shared by all threads (its row is held while pruning).
        const std::vector<RateRule> rules = {Rule(fmt::format("new{}-{}", t, k), 1),
                                             Rule("shared", 1000)};
        if (!s.take_rate_slots(rules, later + k).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  // Every new row is there; every old one goes by the prune, if the writes left any.
  AuditQuery q;
  q.limit = 100000;
  Result<std::vector<AuditRecord>> all = s.list_audit(q);
  REQUIRE(all.ok());
  int fresh = 0;
  for (const AuditRecord& r : *all) fresh += r.event == "new" ? 1 : 0;
  CHECK(fresh == kThreads * kEach);
  Result<PruneCounts> rest = s.prune(later + kEach, policy);
  REQUIRE(rest.ok());
  CHECK(AuditCount(s) == kThreads * kEach);
  CHECK(rest->rate_buckets <= kOld);
  Result<PruneCounts> none = s.prune(later + kEach, policy);
  REQUIRE(none.ok());
  CHECK(none->total() == 0);
  // Each new bucket still counts its event: a limit of 1 refuses.
  for (int t = 0; t < kThreads; ++t) {
    CHECK(
        s.take_rate_slots(std::vector<RateRule>{Rule(fmt::format("new{}-0", t), 1)}, later + kEach)
            .code() == Code::kRateLimited);
  }
}

// --- Through CustomerAuth, on a test handle's clock ------------------------------------------

AuthOptions TestOptions(int audit_retention_days) {
  AuthOptions o;
  o.test_mode = true;
  o.test_seed = 23;
  o.argon2 = CheapArgon2ForTests();
  o.audit_retention_days = audit_retention_days;
  return o;
}

std::unique_ptr<CustomerAuth> MustOpen(std::shared_ptr<Storage> storage, AuthOptions o) {
  Result<std::unique_ptr<CustomerAuth>> a = CustomerAuth::Open(std::move(storage), std::move(o));
  INFO(a.status().to_string());
  REQUIRE(a.ok());
  return std::move(a).value();
}

// A raw connection to a SQLite file, for what the tests measure.
class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  }
  ~RawSqlite() { sqlite3_close_v2(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  std::int64_t Int(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    const int rc = sqlite3_step(st);
    INFO(sql << ": " << sqlite3_errmsg(db_));
    REQUIRE(rc == SQLITE_ROW);
    const std::int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  // Pages in use after a checkpoint: page_count - freelist_count.
  std::int64_t PagesInUse() {
    Int("PRAGMA wal_checkpoint(TRUNCATE)");
    return Int("PRAGMA page_count") - Int("PRAGMA freelist_count");
  }
  std::int64_t Rows() {
    std::int64_t n = 0;
    for (const char* t :
         {"rate_events", "rate_buckets", "nonces", "secrets", "opaque_tokens", "audit"}) {
      n += Int(fmt::format("SELECT count(*) FROM {}", t));
    }
    return n;
  }

 private:
  sqlite3* db_ = nullptr;
};

// One retention period of unauthenticated traffic, spread evenly over `period`: for each of `n`
// steps, a failed login for a new unknown email and a reset request for another, each from a
// random client IP.
void Traffic(CustomerAuth& auth, std::mt19937_64& rng, int n, TimeMs period) {
  for (int k = 0; k < n; ++k) {
    REQUIRE(auth.test_advance(period / n).ok());
    const auto ip = [&] {
      return fmt::format("198.{}.{}.{}", rng() % 256, rng() % 256, rng() % 256);
    };
    RequestContext ctx;
    ctx.client_ip = ip();
    const std::string email = fmt::format("nobody{}@example.com", rng());
    CHECK(auth.generate_customer_token(email, "Wrong-Password-1", ctx).code() ==
          Code::kAuthenticationFailed);
    ctx.client_ip = ip();
    Result<std::optional<std::string>> reset =
        auth.request_password_reset(fmt::format("stranger{}@example.com", rng()), ctx);
    REQUIRE(reset.ok());
    CHECK(!reset->has_value());
  }
}

TEST_CASE("sqlite: unauthenticated traffic reaches a plateau; prune leaves nothing past retention",
          "[retention][plateau]") {
  TempDir dir;
  const std::string path = dir.path() + "/custauth.db";
  SqliteOptions so;
  so.synchronous_full = false;
  Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path, so);
  REQUIRE(opened.ok());
  std::shared_ptr<Storage> storage = std::move(opened).value();
  auto auth = MustOpen(storage, TestOptions(1));
  RawSqlite raw(path);
  std::mt19937_64 rng(23);
  constexpr int kPerDay = 1500;

  Traffic(*auth, rng, kPerDay, kDay);
  const std::int64_t one_window = raw.PagesInUse();
  const std::int64_t rows_one = raw.Rows();
  Traffic(*auth, rng, kPerDay, kDay);
  const std::int64_t two_windows = raw.PagesInUse();
  const std::int64_t rows_two = raw.Rows();
  Traffic(*auth, rng, kPerDay, kDay);
  const std::int64_t three_windows = raw.PagesInUse();
  INFO("pages in use: " << one_window << " after one day, " << two_windows << " after two, "
                        << three_windows << " after three; rows " << rows_one << ", " << rows_two);
  CHECK(two_windows * 2 <= one_window * 3);
  CHECK(three_windows * 2 <= one_window * 3);
  CHECK(rows_two * 2 <= rows_one * 3);

  // prune: no row older than its retention is left.
  Result<PruneCounts> pruned = auth->prune();
  REQUIRE(pruned.ok());
  const TimeMs now = auth->clock().now();
  CHECK(raw.Int(fmt::format("SELECT count(*) FROM audit WHERE at <= {}", now - kDay)) == 0);
  CHECK(raw.Int(fmt::format("SELECT count(*) FROM rate_buckets WHERE expires_at <= {}", now)) == 0);
  CHECK(raw.Int(fmt::format("SELECT count(*) FROM rate_events WHERE at <= {}", now - kHour)) == 0);
  CHECK(raw.Int(fmt::format("SELECT count(*) FROM nonces WHERE expires_at <= {}", now)) == 0);
  CHECK(raw.Int("SELECT count(*) FROM audit") > 0);  // the last day's records stay
}

TEST_CASE("a reset request refused by the rate limit adds no row", "[retention]") {
  TempDir dir;
  const std::string path = dir.path() + "/custauth.db";
  Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
  REQUIRE(opened.ok());
  std::shared_ptr<Storage> storage = std::move(opened).value();
  auto auth = MustOpen(storage, TestOptions(180));
  RawSqlite raw(path);
  RequestContext ctx;
  ctx.client_ip = "203.0.113.9";
  // Five requests for five emails from one IP: the sixth is refused by the per-IP limit.
  for (int k = 0; k < 5; ++k) {
    REQUIRE(auth->request_password_reset(fmt::format("x{}@example.com", k), ctx).ok());
    REQUIRE(auth->test_advance(kSecond).ok());
  }
  const std::int64_t before = raw.Rows();
  const std::int64_t pages = raw.PagesInUse();
  for (int k = 0; k < 200; ++k) {
    CHECK(auth->request_password_reset(fmt::format("y{}@example.com", k), ctx).code() ==
          Code::kRateLimited);
  }
  // And per email: the same email again within 10 minutes, from another IP.
  ctx.client_ip = "203.0.113.10";
  CHECK(auth->request_password_reset("x0@example.com", ctx).code() == Code::kRateLimited);
  CHECK(raw.Rows() == before);
  CHECK(raw.PagesInUse() == pages);
}

TEST_CASE("an expired opaque token is gone after a prune", "[retention]") {
  TempDir dir;
  const std::string path = dir.path() + "/custauth.db";
  Result<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path);
  REQUIRE(opened.ok());
  std::shared_ptr<Storage> storage = std::move(opened).value();
  AuthOptions o = TestOptions(180);
  o.tokens.format = TokenFormat::kOpaque;
  auto auth = MustOpen(storage, o);
  RawSqlite raw(path);
  CustomerInput in;
  in.email = "veronica@example.com";
  in.firstname = "Veronica";
  in.lastname = "Costello";
  in.password = "Password123";
  REQUIRE(auth->create_customer(in).ok());
  Result<std::string> token = auth->generate_customer_token(in.email, "Password123");
  REQUIRE(token.ok());
  CHECK(raw.Int("SELECT count(*) FROM opaque_tokens") == 1);
  // Within the grace after expiry it stays (and is refused as expired).
  REQUIRE(auth->test_advance(kHour + kHour).ok());
  CHECK(!auth->verify_token(*token).ok());
  Result<PruneCounts> kept = auth->prune();
  REQUIRE(kept.ok());
  CHECK(kept->opaque_tokens == 0);
  // A day after expiry it goes.
  REQUIRE(auth->test_advance(kDay).ok());
  Result<PruneCounts> pruned = auth->prune();
  REQUIRE(pruned.ok());
  CHECK(pruned->opaque_tokens == 1);
  CHECK(raw.Int("SELECT count(*) FROM opaque_tokens") == 0);
  CHECK(!auth->verify_token(*token).ok());
}

TEST_CASE("audit_retention_days is validated at open", "[retention]") {
  auto storage = std::shared_ptr<Storage>(MakeMemoryStorage());
  for (int bad : {-1, 36601}) {
    Result<std::unique_ptr<CustomerAuth>> a = CustomerAuth::Open(storage, TestOptions(bad));
    CHECK(a.code() == Code::kInvalidInput);
    CHECK(a.status().message().find("audit_retention_days") != std::string::npos);
  }
  for (int good : {0, 1, 180, 36600}) {
    Result<std::unique_ptr<CustomerAuth>> a = CustomerAuth::Open(storage, TestOptions(good));
    CHECK(a.ok());
    if (a.ok()) CHECK((*a)->retention().audit == static_cast<TimeMs>(good) * kDay);
  }
}

#if CUSTAUTH_WITH_POSTGRES
std::int64_t PgCount(const std::string& uri, const std::string& sql) {
  PGconn* pg = PQconnectdb(uri.c_str());
  REQUIRE(PQstatus(pg) == CONNECTION_OK);
  PGresult* r = PQexec(pg, sql.c_str());
  INFO(sql << ": " << PQresultErrorMessage(r));
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  const std::int64_t v = ok ? std::stoll(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  PQfinish(pg);
  REQUIRE(ok);
  return v;
}

TEST_CASE(
    "postgres: unauthenticated traffic reaches a plateau in rows; prune leaves nothing past "
    "retention",
    "[retention][plateau][postgres]") {
  TempPostgresDatabase db;
  Result<std::unique_ptr<Storage>> opened = OpenPostgresStorage(db.uri());
  INFO(opened.status().to_string());
  REQUIRE(opened.ok());
  std::shared_ptr<Storage> storage = std::move(opened).value();
  auto auth = MustOpen(storage, TestOptions(1));
  const std::string rows =
      "SELECT (SELECT count(*) FROM rate_events) + (SELECT count(*) FROM rate_buckets) + "
      "(SELECT count(*) FROM nonces) + (SELECT count(*) FROM secrets) + "
      "(SELECT count(*) FROM opaque_tokens) + (SELECT count(*) FROM audit)";
  std::mt19937_64 rng(23);
  constexpr int kPerDay = 600;
  Traffic(*auth, rng, kPerDay, kDay);
  const std::int64_t one = PgCount(db.uri(), rows);
  Traffic(*auth, rng, kPerDay, kDay);
  const std::int64_t two = PgCount(db.uri(), rows);
  INFO("rows: " << one << " after one day, " << two << " after two");
  CHECK(two * 2 <= one * 3);
  Result<PruneCounts> pruned = auth->prune();
  REQUIRE(pruned.ok());
  const TimeMs now = auth->clock().now();
  CHECK(PgCount(db.uri(), fmt::format("SELECT count(*) FROM audit WHERE at <= {}", now - kDay)) ==
        0);
  CHECK(PgCount(db.uri(),
                fmt::format("SELECT count(*) FROM rate_buckets WHERE expires_at <= {}", now)) == 0);
  CHECK(PgCount(db.uri(),
                fmt::format("SELECT count(*) FROM rate_events WHERE at <= {}", now - kHour)) == 0);
}
#endif

}  // namespace
}  // namespace custauth::conformance::retention_test
