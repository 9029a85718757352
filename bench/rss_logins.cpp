// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Peak memory of 64 concurrent logins. 64 threads sign in at once (64 customers, the platform's
// Argon2id parameters: ops 2, 64 MiB, on a SQLite file); the PasswordHasher's concurrency limit
// (max_concurrent, default 4) must keep the peak resident set within
//   baseline (the process before the logins) + max_concurrent x memlimit + a fixed overhead,
// the fixed overhead (kFixedOverhead) covering 64 thread stacks, malloc arenas and SQLite caches.
// The peak is the kernel's VmHWM, reset after setup (/proc/self/clear_refs), and getrusage's
// ru_maxrss (not resettable: it includes the setup). Prints one JSON object; exits 1 when a login
// fails or the peak is over budget.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "custauth/auth.h"
#include "custauth/sqlite_storage.h"

namespace {

constexpr int kThreads = 64;
constexpr long kFixedOverheadKiB = 32 * 1024;
constexpr char kPassword[] = "Bench-Password-2026";

// A field of /proc/self/status in KiB ("VmHWM", "VmRSS"), or -1.
long StatusKiB(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

}  // namespace

int main() {
  using custauth_bench::Die;
  auto sqlite = custauth::OpenSqliteStorage(custauth_bench::BenchFile("bench_rss.db"));
  if (!sqlite.ok()) Die("OpenSqliteStorage", sqlite.status());
  std::shared_ptr<custauth::Storage> storage(std::move(sqlite).value());
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  // Waiting for a slot is what the limit does; on a loaded 2-core machine 64 logins at 4 at a
  // time may take longer than the default 10 s, and kBusy would hide the peak being measured.
  options.argon2.wait_timeout = 300 * custauth::kSecond;
  auto opened = custauth::CustomerAuth::Open(storage, options);
  if (!opened.ok()) Die("CustomerAuth::Open", opened.status());
  std::unique_ptr<custauth::CustomerAuth> auth = std::move(opened).value();

  // 64 customers sharing one stored hash (hashing 64 passwords is not what is measured).
  auto hash = auth->hasher().hash(kPassword);
  if (!hash.ok()) Die("hash", hash.status());
  std::vector<std::string> emails;
  for (int i = 0; i < kThreads; ++i) {
    custauth::NewCustomer nc;
    nc.email = "customer" + std::to_string(i) + "@example.com";
    nc.firstname = "Bench";
    nc.lastname = "Customer";
    nc.password_hash = *hash;
    auto c = storage->create_customer(nc, auth->clock().now());
    if (!c.ok()) Die("create_customer", c.status());
    emails.push_back(nc.email);
  }

  // Reset the peak so that setup (the dummy hash at Open, the hash above) does not count.
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const long baseline_kib = StatusKiB("VmRSS");
  const long hwm_after_reset_kib = StatusKiB("VmHWM");

  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::atomic<int> max_in_flight{0};
  std::thread monitor([&] {
    while (!done.load()) {
      const int f = auth->hasher().in_flight();
      int m = max_in_flight.load();
      while (f > m && !max_in_flight.compare_exchange_weak(m, f)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      auto token = auth->generate_customer_token(emails[i], kPassword);
      if (!token.ok()) {
        std::fprintf(stderr, "login %d: %s\n", i, token.status().to_string().c_str());
        failures.fetch_add(1);
      }
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go.store(true);
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done.store(true);
  monitor.join();

  const long hwm_kib = StatusKiB("VmHWM");
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const long memlimit_kib = static_cast<long>(options.argon2.memlimit / 1024);
  const long budget_kib =
      baseline_kib + options.argon2.max_concurrent * memlimit_kib + kFixedOverheadKiB;
  const bool within = hwm_kib <= budget_kib;
  std::printf(
      "{\"threads\": %d, \"failures\": %d, \"seconds\": %.3f, \"max_concurrent\": %d, "
      "\"memlimit_kib\": %ld, \"max_in_flight_seen\": %d, \"baseline_rss_kib\": %ld, "
      "\"hwm_after_reset_kib\": %ld, \"peak_vmhwm_kib\": %ld, \"ru_maxrss_kib\": %ld, "
      "\"fixed_overhead_kib\": %ld, \"budget_kib\": %ld, \"within_budget\": %s}\n",
      kThreads, failures.load(), seconds, options.argon2.max_concurrent, memlimit_kib,
      max_in_flight.load(), baseline_kib, hwm_after_reset_kib, hwm_kib, ru.ru_maxrss,
      kFixedOverheadKiB, budget_kib, within ? "true" : "false");
  return failures.load() == 0 && within ? 0 : 1;
}
