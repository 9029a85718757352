// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The cost of the C boundary (issue 20): custauth_token_verify_claims, what every PHP and Python
// host calls, against CustomerAuth::verify_token, on the same token, the same keys and the same
// SQLite file, both through libcustauth.so. A plain loop: rounds of N verifications each, the two
// paths alternating round by round, the median round reported; prints one JSON line.
//
//   custauth_bench_capi [DIR] [--quick]    DIR: where the database goes (default: a temp folder)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "custauth.h"
#include "custauth/auth.h"
#include "custauth/clock.h"
#include "custauth/keys.h"
#include "custauth/sqlite_storage.h"

namespace {

[[noreturn]] void Die(const char* what, const std::string& why) {
  std::fprintf(stderr, "capi_boundary_bench: %s: %s\n", what, why.c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      dir = argv[i];
    }
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/custauth_bench_capi.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) Die("mkdtemp", std::strerror(errno));
    dir = tmpl;
  }
  const std::string db_path = dir + "/capi_bench.db";
  std::remove(db_path.c_str());
  std::remove((db_path + "-wal").c_str());
  std::remove((db_path + "-shm").c_str());

  // The C++ path: its own storage on the file, a customer and a token.
  custauth::AuthOptions options;
  options.keys = custauth::GenerateKeys(*custauth::SystemRandom::Shared());
  const std::string key_path = custauth::DefaultKeyFilePath(db_path);
  std::remove(key_path.c_str());
  if (auto s = custauth::SaveKeyFile(key_path, options.keys); !s.ok()) Die("keys", s.message());
  auto storage = custauth::OpenSqliteStorage(db_path);
  if (!storage.ok()) Die("OpenSqliteStorage", storage.status().message());
  std::shared_ptr<custauth::Storage> shared = std::move(storage).value();
  custauth::NewCustomer nc;
  nc.email = "roni_cost@example.com";
  nc.firstname = "Veronica";
  nc.lastname = "Costello";
  auto created = shared->create_customer(nc, custauth::SystemClock::Shared()->now());
  if (!created.ok()) Die("create_customer", created.status().message());
  auto auth = custauth::CustomerAuth::Open(shared, options);
  if (!auth.ok()) Die("CustomerAuth::Open", auth.status().message());
  auto token = (*auth)->tokens().issue(*created);
  if (!token.ok()) Die("issue", token.status().message());

  // The C path: a handle on the same file, with the key file beside it.
  custauth_t* db = nullptr;
  if (custauth_open(&db, db_path.c_str(), nullptr) != CUSTAUTH_OK) {
    Die("custauth_open", custauth_error_last());
  }

  const int n = quick ? 20000 : 200000;
  const int rounds = quick ? 5 : 15;
  long sink = 0;
  auto cpp_round = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      auto claims = (*auth)->verify_token(*token);
      if (!claims.ok()) Die("verify_token", claims.status().message());
      sink += claims->customer_id;
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
           n;
  };
  auto c_round = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      custauth_claims claims;
      claims.version = CUSTAUTH_CLAIMS_VERSION;
      if (custauth_token_verify_claims(&claims, db, token->c_str()) != CUSTAUTH_OK) {
        Die("custauth_token_verify_claims", custauth_error_last());
      }
      sink += claims.uid;
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
           n;
  };
  cpp_round();  // warm both (revocation cache, branch predictors)
  c_round();
  std::vector<double> cpp, c;
  for (int r = 0; r < rounds; ++r) {
    if (r % 2 == 0) {
      cpp.push_back(cpp_round());
      c.push_back(c_round());
    } else {
      c.push_back(c_round());
      cpp.push_back(cpp_round());
    }
  }
  custauth_close(db);
  const double cpp_ns = Median(cpp);
  const double c_ns = Median(c);
  std::printf(
      "{\"cpp_verify_token_ns\": %.1f, \"c_verify_token_claims_ns\": %.1f, \"ratio\": %.3f, "
      "\"per_round\": %d, \"rounds\": %d, \"sink\": %ld}\n",
      cpp_ns, c_ns, c_ns / cpp_ns, n, rounds, sink % 2);
  return 0;
}
