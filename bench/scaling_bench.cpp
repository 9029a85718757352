// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Scaling of the storage benchmarks from 1 to 2 threads (this machine has 2 cores), each next to
// its floor at the same thread count. Threads share one CustomerAuth, as a host's request threads
// do; each thread works for its own customer (shopper t), as different requests do.
//
//   login     generate_customer_token(email, password) at the platform's Argon2id parameters (ops
//             2, 64 MiB) on a SQLite file; floor: one bare crypto_pwhash_str_verify of the same
//             stored hash per thread
//   otc       issue_otc + exchange_otc on a SQLite file (WAL, synchronous=FULL); floors: the
//             same number of raw sqlite3 write transactions per thread on one file with the same
//             pragmas, each thread with its own connection (sqlite3_busy_timeout), or all
//             threads sharing one connection behind a mutex
//   exchange  exchange_external_customer_token for an existing customer, on a SQLite file and on
//             memory storage (its peer, oauthlib in 1 and 2 processes, is in bench/py_oauth.py)
//
// Usage: custauth_bench_scaling [--quick] [login|otc|exchange_sqlite|exchange_memory ...]. Prints
// one JSON object: {"series": [{"bench", "impl", "threads", "median_per_s", "rates": [per round]},
// ...], ...}; progress on stderr.
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "fixtures.h"
#include "threads.h"

namespace custauth_bench {
namespace {

const std::vector<int> kThreadCounts = {1, 2};

void Login(int rounds, double seconds, std::vector<Series>* out) {
  AuthWorld w = MakeAuthWorld(FreshSqlite("bench_scaling_login.db"), {}, 2);
  auto login = [&](int t, std::int64_t) -> std::string {
    auto token = w.auth->generate_customer_token(ShopperEmail(t), kPassword);
    return token.ok() ? std::string() : token.status().to_string();
  };
  auto bare = [&](int t, std::int64_t) -> std::string {
    const std::string& hash = w.stored_hashes[static_cast<std::size_t>(t)];
    return crypto_pwhash_str_verify(hash.c_str(), kPassword, std::strlen(kPassword)) == 0
               ? std::string()
               : "crypto_pwhash_str_verify failed";
  };
  Interleave("login",
             {{"custauth", [&](int n) { return RunThreads(n, {seconds}, login); }},
              {"floor", [&](int n) { return RunThreads(n, {seconds}, bare); }}},
             kThreadCounts, rounds, out);
}

void Otc(int rounds, double seconds, std::vector<Series>* out) {
  AuthWorld w = MakeAuthWorld(FreshSqlite("bench_scaling_otc.db"), {}, 2);
  const std::int64_t before = w.storage->writes();
  if (const std::string failed = OtcRoundTrip(*w.auth, ShopperEmail(0)); !failed.empty()) {
    Die("otc", custauth::Status(custauth::Code::kInternal, failed));
  }
  const std::int64_t writes_per_trip = w.storage->writes() - before;
  const std::string floor_path = BenchFile("bench_scaling_otc_floor.db");
  std::vector<std::unique_ptr<RawSqlite>> raw;
  for (int t = 0; t < 2; ++t) raw.push_back(std::make_unique<RawSqlite>(floor_path));
  auto custauth_trip = [&](int t, std::int64_t) { return OtcRoundTrip(*w.auth, ShopperEmail(t)); };
  auto floor_trip = [&](int t, std::int64_t i) -> std::string {
    for (std::int64_t k = 0; k < writes_per_trip; ++k) {
      raw[static_cast<std::size_t>(t)]->WriteTransaction(i * writes_per_trip + k);
    }
    return "";
  };
  // SQLite commits one writer at a time: threads that share one connection behind a mutex never
  // wait in a busy handler, which makes this the faster floor at 2 threads.
  std::mutex shared_mu;
  auto floor_shared_trip = [&](int, std::int64_t i) -> std::string {
    for (std::int64_t k = 0; k < writes_per_trip; ++k) {
      std::lock_guard<std::mutex> lock(shared_mu);
      raw[0]->WriteTransaction(i * writes_per_trip + k);
    }
    return "";
  };
  Interleave("otc",
             {{"custauth", [&](int n) { return RunThreads(n, {seconds}, custauth_trip); }},
              {"floor", [&](int n) { return RunThreads(n, {seconds}, floor_trip); }},
              {"floor_shared", [&](int n) { return RunThreads(n, {seconds}, floor_shared_trip); }}},
             kThreadCounts, rounds, out);
  for (std::size_t i = out->size() - 6; i < out->size(); ++i) {
    (*out)[i].extra_json = "\"writes_per_trip\": " + std::to_string(writes_per_trip);
  }
}

// Each run gets a fresh world from `make_storage` (an integration, the customer, no nonces yet):
// storage that has kept the nonces of earlier runs prunes them more slowly (MemoryStorage walks
// all of them), which would penalize whichever thread count runs later. `per_thread` requests are
// signed for each thread before each run (a client's work, not timed), each with its own nonce.
void Exchange(const std::string& name,
              const std::function<std::shared_ptr<custauth::Storage>()>& make_storage, int rounds,
              double seconds, std::int64_t per_thread, std::vector<Series>* out) {
  auto run = [&](int n) {
    ExchangeWorld w = MakeExchangeWorld(make_storage());
    const std::int64_t now_s = w.auth->clock().now() / 1000;
    if (const std::string broken = ExchangeWorks(w, now_s); !broken.empty()) {
      Die("exchange", custauth::Status(custauth::Code::kInternal, broken));
    }
    std::int64_t next_nonce = 1;
    return RunExchanges(w, now_s, &next_nonce, n, {seconds, per_thread});
  };
  Interleave(name, {{"custauth", run}}, kThreadCounts, rounds, out);
}

}  // namespace
}  // namespace custauth_bench

int main(int argc, char** argv) {
  using namespace custauth_bench;
  bool quick = false;
  std::vector<std::string> only;  // names given: run only those (e.g. to profile one)
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      only.emplace_back(argv[i]);
    }
  }
  auto wanted = [&](const char* name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  if (sodium_init() < 0) return 1;
  const int rounds = quick ? 1 : 3;
  const double s = quick ? 0.2 : 1.0;
  std::vector<Series> all;
  if (wanted("login")) Login(rounds, quick ? 0.3 : 1.5 * s, &all);
  if (wanted("otc")) Otc(rounds, s, &all);
  if (wanted("exchange_sqlite")) {
    Exchange(
        "exchange_sqlite", [] { return FreshSqlite("bench_scaling_exchange.db"); }, rounds, s,
        quick ? 500 : 4000, &all);
  }
  if (wanted("exchange_memory")) {
    Exchange(
        "exchange_memory", [] { return custauth::MakeMemoryStorage(); }, rounds, s / 2,
        quick ? 5000 : 50000, &all);
  }
  PrintSeries(all, "\"rounds\": " + std::to_string(rounds));
  return 0;
}
