// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Known and unknown emails take the same time (DOMAIN.md, generateCustomerToken: "The same holds
// for every operation that takes an email"): for each operation, a refused call for a known
// customer against the same call for an unknown email, at the platform's Argon2id parameters
// (2 passes, 64 MiB) on a SQLite file (synchronous FULL, the default), interleaved (the order
// alternates every round) so that both see the same machine. Prints one JSON object: per pair the
// two medians and their ratio unknown / known (bar: 0.9 to 1.1 for the pairs marked "bar"), and
// the median of the per-round ratios (each round's two calls ran back to back, so that a change
// of the machine's load between rounds cancels out of it).
//
// The options count every failure as a shop's defaults do (the token-request throttle and the
// account lock both write on every failed attempt, for unknown emails too), with limits too high
// to close within the run, so that the same customer can be refused every round.
//
//   custauth_bench_timing [ROUNDS]      (default 41; $CUSTAUTH_BENCH_DIR holds the database)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "custauth/sqlite_storage.h"

using namespace custauth;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Pair {
  const char* name;  // the operation and the known customer's state
  bool bar;          // whether the 0.9–1.1 bar applies
  Code known_code;   // what each call must answer (a success would measure something else)
  Code unknown_code;
  std::function<Status()> known;
  std::function<Status()> unknown;
};

struct Samples {
  std::vector<double> known_us, unknown_us;
};

[[noreturn]] void Die(const char* what, const Status& s) {
  std::fprintf(stderr, "custauth_bench_timing: %s: %s\n", what, s.to_string().c_str());
  std::exit(1);
}

double Time(const std::function<Status()>& op, Code expected, const char* name) {
  const auto start = std::chrono::steady_clock::now();
  const Status s = op();
  const auto end = std::chrono::steady_clock::now();
  if (s.code() != expected) Die(name, s);
  return std::chrono::duration<double, std::micro>(end - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 41;
  if (rounds < 1) return 2;
  const char* dir = std::getenv("CUSTAUTH_BENCH_DIR");
  const std::string path = std::string(dir != nullptr ? dir : ".") + "/timing_logins.db";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  auto opened = OpenSqliteStorage(path);
  if (!opened.ok()) Die("open", opened.status());
  std::shared_ptr<Storage> storage = std::move(opened).value();
  AuthOptions o;  // the platform's Argon2id parameters and lockout, throttle defaults but:
  o.keys = GenerateKeys(*SystemRandom::Shared());
  o.lockout.max_failures = 0;                 // failures counted (written), never locking
  o.login_throttle.max_failures = 1'000'000;  // counted for every email, never closing
  auto made = CustomerAuth::Open(storage, o);
  if (!made.ok()) Die("CustomerAuth::Open", made.status());
  CustomerAuth& auth = **made;

  CustomerInput known;
  known.email = "known@example.com";
  known.firstname = "Known";
  known.lastname = "Customer";
  known.password = "Password123";
  known.allow_remote_shopping_assistance = true;
  if (auto c = auth.create_customer(known); !c.ok()) Die("create", c.status());
  CustomerInput locked = known;
  locked.email = "locked@example.com";
  auto locked_c = auth.create_customer(locked);
  if (!locked_c.ok()) Die("create", locked_c.status());
  // Locked for the whole run, by the storage's own rule.
  LockoutPolicy lock_now;
  lock_now.max_failures = 1;
  lock_now.lock_duration = 24 * kHour;
  if (auto l = storage->record_login_failure(locked_c->id, auth.clock().now(), lock_now);
      !l.ok() || !l->locked) {
    Die("lock", l.status());
  }
  // Imported from the platform with its sha256 legacy hash (HASH:SALT:1): a fast hash.
  const std::string salt = "abcdefghijklmnopqrstuvwxyzABCDEF";
  auto legacy_hash = legacy::Compute("Password123", salt, "1");
  if (!legacy_hash.ok()) Die("legacy", legacy_hash.status());
  NewCustomer imported;
  imported.email = "legacy@example.com";
  imported.firstname = "Roni";
  imported.lastname = "Cost";
  imported.password_hash = *legacy_hash + ":" + salt + ":1";
  if (auto c = storage->create_customer(imported, auth.clock().now()); !c.ok()) {
    Die("import", c.status());
  }
  // An outstanding reset token and admin code, so that the known customer's refusals go as far
  // as a real attacker's would (the stored secret is read and does not match).
  if (auto r = auth.request_password_reset(known.email); !r.ok()) Die("reset", r.status());
  if (auto c = auth.issue_otc(known.email, 7, "bench"); !c.ok()) Die("otc", c.status());

  const std::string unknown = "unknown@example.com";
  const std::string wrong = "Wrong-passw0rd";
  const std::string wrong_token = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";  // a reset token's shape
  const std::string wrong_code = "0123456789abcdef0123456789abcdef";   // an admin code's shape
  const std::string new_password = "N3w-Passw0rd!";
  const Code kAuth = Code::kAuthenticationFailed;
  const Code kInvalid = Code::kInvalidInput;
  auto login = [&](const std::string& email) {
    return [&, email] { return auth.generate_customer_token(email, wrong).status(); };
  };
  auto change = [&](const std::string& email) {
    return [&, email] { return auth.change_password(email, wrong, new_password); };
  };
  std::vector<Pair> pairs = {
      {"generateCustomerToken, wrong password", true, kAuth, kAuth, login(known.email),
       login(unknown)},
      {"reset_password, wrong token", true, kInvalid, kInvalid,
       [&] { return auth.reset_password(known.email, wrong_token, new_password); },
       [&] { return auth.reset_password(unknown, wrong_token, new_password); }},
      {"exchange_otc, wrong code", true, kAuth, kAuth,
       [&] { return auth.exchange_otc(known.email, wrong_code).status(); },
       [&] { return auth.exchange_otc(unknown, wrong_code).status(); }},
      {"change_password, wrong current password", true, kAuth, kAuth, change(known.email),
       change(unknown)},
      {"generateCustomerToken, legacy sha256 hash, wrong password", true, kAuth, kAuth,
       login(imported.email), login(unknown)},
      {"change_password, legacy sha256 hash, wrong current password", true, kAuth, kAuth,
       change(imported.email), change(unknown)},
      {"change_password, locked account", true, Code::kLocked, kAuth, change(locked.email),
       change(unknown)},
      // The login's refusal of a locked account (src/login.cpp) runs the dummy.
      {"generateCustomerToken, locked account", true, kAuth, kAuth, login(locked.email),
       login(unknown)},
  };

  constexpr int kWarmUp = 2;
  std::vector<Samples> samples(pairs.size());
  for (int i = 0; i < rounds + kWarmUp; ++i) {
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      const Pair& p = pairs[j];
      double k = 0, u = 0;
      if (i % 2 == 0) {
        k = Time(p.known, p.known_code, p.name);
        u = Time(p.unknown, p.unknown_code, p.name);
      } else {
        u = Time(p.unknown, p.unknown_code, p.name);
        k = Time(p.known, p.known_code, p.name);
      }
      if (i < kWarmUp) continue;
      samples[j].known_us.push_back(k);
      samples[j].unknown_us.push_back(u);
    }
  }
  std::printf("{\"rounds\": %d, \"argon2_opslimit\": %llu, \"argon2_memlimit\": %zu, \"pairs\": [",
              rounds, static_cast<unsigned long long>(o.argon2.opslimit), o.argon2.memlimit);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    const Samples& t = samples[i];
    const double mk = Median(t.known_us), mu = Median(t.unknown_us);
    std::vector<double> ratios;
    for (std::size_t r = 0; r < t.known_us.size(); ++r) {
      ratios.push_back(t.unknown_us[r] / t.known_us[r]);
    }
    std::printf(
        "%s\n  {\"name\": \"%s\", \"bar\": %s, \"known_us\": %.1f, \"unknown_us\": %.1f, "
        "\"unknown_over_known\": %.3f, \"median_round_ratio\": %.3f}",
        i == 0 ? "" : ",", p.name, p.bar ? "true" : "false", mk, mu, mu / mk, Median(ratios));
  }
  std::printf("\n]}\n");
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return 0;
}
