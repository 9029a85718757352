// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Sign-in costs on a SQLite file (WAL, synchronous=FULL: the defaults), each paired with its floor
// in the same loop so that machine noise falls on both alike:
//
//   BM_Login_PasswordVsBareVerify   generateCustomerToken(email, password) at the platform's
//   Argon2id
//                                   parameters (ops 2, 64 MiB) against one bare
//                                   crypto_pwhash_str_verify of the same stored hash.
//                                   Bar: custauth adds at most 3 %.
//   BM_Otc_RoundTripVsRawSqlite     issue_otc + exchange_otc against the same number of raw sqlite3
//                                   write transactions (BEGIN IMMEDIATE; INSERT; COMMIT) on a file
//                                   with the same pragmas. Bar: at least 70 % of the floor's rate.
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "custauth/auth.h"
#include "custauth/sqlite_storage.h"

namespace custauth_bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr char kEmail[] = "roni_cost@example.com";
constexpr char kPassword[] = "Bench-Password-2026";

struct LoginWorld {
  std::shared_ptr<CountingStorage> storage;
  std::unique_ptr<custauth::CustomerAuth> auth;
  std::string stored_hash;
};

// A CustomerAuth on a fresh SQLite file, default options (Argon2id ops 2 / 64 MiB, FULL), with one
// confirmed customer who has a password and allows remote shopping assistance.
LoginWorld MakeWorld(const std::string& file) {
  LoginWorld w;
  auto sqlite = custauth::OpenSqliteStorage(BenchFile(file));
  if (!sqlite.ok()) Die("OpenSqliteStorage", sqlite.status());
  w.storage = std::make_shared<CountingStorage>(
      std::shared_ptr<custauth::Storage>(std::move(sqlite).value()));
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  auto auth = custauth::CustomerAuth::Open(w.storage, options);
  if (!auth.ok()) Die("CustomerAuth::Open", auth.status());
  w.auth = std::move(auth).value();
  custauth::CustomerInput in;
  in.email = kEmail;
  in.firstname = "Veronica";
  in.lastname = "Costello";
  in.password = kPassword;
  in.allow_remote_shopping_assistance = true;
  auto c = w.auth->create_customer(in);
  if (!c.ok()) Die("create_customer", c.status());
  w.stored_hash = c->password_hash;
  return w;
}

void BM_Login_PasswordVsBareVerify(benchmark::State& state) {
  LoginWorld w = MakeWorld("bench_login.db");
  if (!w.auth->generate_customer_token(kEmail, kPassword).ok() ||
      crypto_pwhash_str_verify(w.stored_hash.c_str(), kPassword, sizeof kPassword - 1) != 0) {
    state.SkipWithError("the fixture does not sign in");
    return;
  }
  double custauth_s = 0;
  double bare_s = 0;
  std::vector<double> pair_overhead;  // (custauth - bare) / bare of each pair
  std::int64_t n = 0;
  const std::int64_t writes_before = w.storage->writes();
  for (auto _ : state) {
    double c = 0;
    double b = 0;
    // Alternate the order, so that neither side always runs on a cache the other warmed.
    for (int k = 0; k < 2; ++k) {
      if ((n + k) % 2 == 0) {
        const auto t0 = Clock::now();
        auto token = w.auth->generate_customer_token(kEmail, kPassword);
        c = Seconds(Clock::now() - t0);
        if (!token.ok()) state.SkipWithError(token.status().ToString().c_str());
      } else {
        const auto t0 = Clock::now();
        const int rc =
            crypto_pwhash_str_verify(w.stored_hash.c_str(), kPassword, sizeof kPassword - 1);
        b = Seconds(Clock::now() - t0);
        if (rc != 0) state.SkipWithError("crypto_pwhash_str_verify failed");
      }
    }
    custauth_s += c;
    bare_s += b;
    pair_overhead.push_back((c - b) / b);
    ++n;
  }
  std::sort(pair_overhead.begin(), pair_overhead.end());
  const std::size_t m = pair_overhead.size();
  const double median =
      m % 2 == 1 ? pair_overhead[m / 2] : (pair_overhead[m / 2 - 1] + pair_overhead[m / 2]) / 2;
  state.counters["custauth_ms"] = custauth_s * 1e3 / static_cast<double>(n);
  state.counters["bare_verify_ms"] = bare_s * 1e3 / static_cast<double>(n);
  // The mean overhead, and the median of the pairs' overheads (robust to a stalled fsync or a
  // preempted hash on a busy machine).
  state.counters["overhead_pct"] = (custauth_s - bare_s) * 100.0 / bare_s;
  state.counters["median_pair_overhead_pct"] = median * 100.0;
  state.counters["writes_per_login"] =
      static_cast<double>(w.storage->writes() - writes_before) / static_cast<double>(n);
}
BENCHMARK(BM_Login_PasswordVsBareVerify)->Iterations(60)->Unit(benchmark::kMillisecond);

// The floor: a table shaped like a secret or an audit row, on a file with custauth's pragmas.
class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      Fail("open");
    }
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = FULL");
    Exec("PRAGMA foreign_keys = ON");
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
};

void BM_Otc_RoundTripVsRawSqlite(benchmark::State& state) {
  LoginWorld w = MakeWorld("bench_otc.db");
  RawSqlite raw(BenchFile("bench_otc_floor.db"));
  // How many write transactions one round trip makes, counted on a first round trip.
  std::int64_t before = w.storage->writes();
  {
    auto code = w.auth->issue_otc(kEmail, 7, "bench: customer on the phone");
    if (!code.ok() || !w.auth->exchange_otc(kEmail, *code).ok()) {
      state.SkipWithError("the OTC round trip fails");
      return;
    }
  }
  const std::int64_t writes_per_trip = w.storage->writes() - before;
  double custauth_s = 0;
  double floor_s = 0;
  std::int64_t n = 0;
  std::int64_t row = 0;
  before = w.storage->writes();
  for (auto _ : state) {
    for (int k = 0; k < 2; ++k) {
      if ((n + k) % 2 == 0) {
        const auto t0 = Clock::now();
        auto code = w.auth->issue_otc(kEmail, 7, "bench: customer on the phone");
        auto token = code.ok() ? w.auth->exchange_otc(kEmail, *code)
                               : custauth::Result<std::string>(code.status());
        custauth_s += Seconds(Clock::now() - t0);
        if (!token.ok()) state.SkipWithError(token.status().ToString().c_str());
      } else {
        const auto t0 = Clock::now();
        for (std::int64_t t = 0; t < writes_per_trip; ++t) raw.WriteTransaction(++row);
        floor_s += Seconds(Clock::now() - t0);
      }
    }
    ++n;
  }
  const double trips = static_cast<double>(n);
  state.counters["custauth_trips_per_s"] = trips / custauth_s;
  state.counters["floor_trips_per_s"] = trips / floor_s;
  state.counters["ratio_pct"] = floor_s * 100.0 / custauth_s;
  state.counters["writes_per_trip"] = static_cast<double>(writes_per_trip);
  state.counters["writes_per_trip_seen"] =
      static_cast<double>(w.storage->writes() - before) / trips;
}
BENCHMARK(BM_Otc_RoundTripVsRawSqlite)->Iterations(150)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace custauth_bench

BENCHMARK_MAIN();
