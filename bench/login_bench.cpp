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
//   BM_Otc_RoundTripVsRawSqlite     issue_otc + exchange_otc against the least the work needs: two
//                                   raw sqlite3 write transactions (BEGIN IMMEDIATE; store the
//                                   code; COMMIT, then BEGIN IMMEDIATE; consume it; COMMIT) on a
//                                   file with the same pragmas (WAL, synchronous as custauth sets
//                                   it: FULL by default, foreign_keys, secure_delete).
//                                   Bar: at least 80 % of the floor's rate.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "fixtures.h"

namespace custauth_bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

const std::string kEmail = ShopperEmail(0);

void BM_Login_PasswordVsBareVerify(benchmark::State& state) {
  AuthWorld w = MakeAuthWorld(FreshSqlite("bench_login.db"));
  if (!w.auth->generate_customer_token(kEmail, kPassword).ok() ||
      crypto_pwhash_str_verify(w.stored_hashes[0].c_str(), kPassword, sizeof kPassword - 1) != 0) {
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
        if (!token.ok()) state.SkipWithError(token.status().to_string().c_str());
      } else {
        const auto t0 = Clock::now();
        const int rc =
            crypto_pwhash_str_verify(w.stored_hashes[0].c_str(), kPassword, sizeof kPassword - 1);
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

void BM_Otc_RoundTripVsRawSqlite(benchmark::State& state) {
  AuthWorld w = MakeAuthWorld(FreshSqlite("bench_otc.db"));
  RawSqlite raw(BenchFile("bench_otc_floor.db"));
  // How many write transactions one round trip makes, counted on a first round trip.
  std::int64_t before = w.storage->writes();
  if (!OtcRoundTrip(*w.auth, kEmail).empty()) {
    state.SkipWithError("the OTC round trip fails");
    return;
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
        const std::string failed = OtcRoundTrip(*w.auth, kEmail);
        custauth_s += Seconds(Clock::now() - t0);
        if (!failed.empty()) state.SkipWithError(failed.c_str());
      } else {
        const auto t0 = Clock::now();
        ++row;
        raw.InsertCode(row);
        raw.ConsumeCode(row);
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
  state.counters["floor_writes_per_trip"] = 2;
  state.counters["writes_per_trip_seen"] =
      static_cast<double>(w.storage->writes() - before) / trips;
}
BENCHMARK(BM_Otc_RoundTripVsRawSqlite)->Iterations(150)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace custauth_bench

BENCHMARK_MAIN();
