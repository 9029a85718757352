// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Timing of failed logins at the platform's Argon2id parameters (2 passes, 64 MiB) on a SQLite
// file: an unknown email against a wrong password for a known customer, interleaved so that both
// see the same machine. Prints one JSON object: the medians, their ratio (bar: 0.9 to 1.1), and
// the same for a locked account and a customer without a password.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/sqlite_storage.h"

using namespace custauth;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  const char* dir = std::getenv("CUSTAUTH_BENCH_DIR");
  const std::string path = std::string(dir != nullptr ? dir : ".") + "/timing_logins.db";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  auto storage = OpenSqliteStorage(path);
  if (!storage.ok()) return 1;
  AuthOptions o;  // the platform's Argon2id parameters
  o.keys = GenerateKeys(*SystemRandom::Shared());
  o.lockout.max_failures = 0;         // the known customer must stay unlocked across the rounds
  o.login_throttle.max_failures = 0;  // and no email closed
  auto auth = CustomerAuth::Open(std::shared_ptr<Storage>(std::move(storage).value()), o);
  if (!auth.ok()) return 1;
  CustomerInput known;
  known.email = "known@example.com";
  known.firstname = "Known";
  known.lastname = "Customer";
  known.password = "Password123";
  CustomerInput nopass = known;
  nopass.email = "nopass@example.com";
  nopass.password.reset();
  if (!(*auth)->create_customer(known).ok() || !(*auth)->create_customer(nopass).ok()) return 1;

  constexpr int kRounds = 25;
  std::vector<double> unknown, wrong, no_password;
  auto time_login = [&](const char* email) {
    const auto start = std::chrono::steady_clock::now();
    auto r = (*auth)->generate_customer_token(email, "Wrong-passw0rd");
    const auto end = std::chrono::steady_clock::now();
    if (r.ok()) std::exit(1);
    return std::chrono::duration<double, std::micro>(end - start).count();
  };
  for (int i = 0; i < kRounds + 2; ++i) {
    const double w = time_login("known@example.com");
    const double u = time_login("unknown@example.com");
    const double n = time_login("nopass@example.com");
    if (i < 2) continue;  // warm-up
    wrong.push_back(w);
    unknown.push_back(u);
    no_password.push_back(n);
  }
  const double mw = Median(wrong), mu = Median(unknown), mn = Median(no_password);
  std::printf(
      "{\"rounds\": %d, \"wrong_password_us\": %.1f, \"unknown_email_us\": %.1f, "
      "\"no_password_us\": %.1f, \"unknown_over_wrong\": %.3f, \"no_password_over_wrong\": %.3f}\n",
      kRounds, mw, mu, mn, mu / mw, mn / mw);
  std::remove(path.c_str());
  return 0;
}
