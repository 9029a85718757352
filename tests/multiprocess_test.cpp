// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Several processes on one SQLite file, each with its own CustomerAuth: one-time secrets are used
// exactly once, and revocations made by one process reach the others within the bound.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/sqlite_storage.h"
#include "test_util.h"

namespace multiprocess_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr int kProcesses = 4;

std::unique_ptr<CustomerAuth> OpenAuth(const std::string& db, const Keys& keys,
                                       TimeMs revocation_refresh = kSecond) {
  auto storage = OpenSqliteStorage(db);
  if (!storage.ok()) return nullptr;
  AuthOptions o;
  o.keys = keys;
  o.argon2 = CheapArgon2ForTests();
  o.lockout.max_failures = 0;
  o.tokens.revocation_refresh = revocation_refresh;
  auto auth = CustomerAuth::Open(std::shared_ptr<Storage>(std::move(storage).value()), o);
  return auth.ok() ? std::move(auth).value() : nullptr;
}

// Forks kProcesses children that wait on `go`, run `body` (returning an exit code) and exit.
// Returns the children's exit codes.
template <class Body>
std::vector<int> Race(Body body) {
  int go[2];
  REQUIRE(pipe(go) == 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(go[1]);
      char c;
      if (read(go[0], &c, 1) != 0) _exit(90);  // EOF is the start signal
      _exit(body());
    }
    pids.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // start all at once
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 100);
  }
  return codes;
}

CustomerInput Bob() {
  CustomerInput in;
  in.email = "bobloblaw@example.com";
  in.firstname = "Bob";
  in.lastname = "Loblaw";
  in.password = "b0bl0bl@w";
  in.allow_remote_shopping_assistance = true;
  return in;
}

}  // namespace

TEST_CASE("4 processes racing one admin code: exactly one wins, every round") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto admin = OpenAuth(db, keys);
  REQUIRE(admin);
  REQUIRE(admin->create_customer(Bob()).ok());

  for (int round = 0; round < 12; ++round) {
    auto code = admin->issue_otc("bobloblaw@example.com", 7, "race");
    REQUIRE(code.ok());
    // Half the rounds through generateCustomerToken's chain, half through exchange_otc.
    const bool via_chain = round % 2 == 1;
    auto codes = Race([&] {
      auto auth = OpenAuth(db, keys);
      if (!auth) return 3;
      auto token = via_chain ? auth->sign_in("bobloblaw@example.com", *code)
                             : auth->exchange_otc("bobloblaw@example.com", *code);
      if (token.ok()) return 0;
      return token.code() == Code::kAuthenticationFailed ? 1 : 2;
    });
    int wins = 0, losses = 0;
    for (int c : codes) {
      wins += c == 0;
      losses += c == 1;
    }
    INFO("round " << round);
    REQUIRE(wins == 1);
    REQUIRE(losses == kProcesses - 1);
  }
}

TEST_CASE("4 processes racing one password-reset token: exactly one login") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  for (int round = 0; round < 6; ++round) {
    // A fresh customer per round: reset requests are rate limited per email.
    auto admin = OpenAuth(db, keys);
    REQUIRE(admin);
    CustomerInput in = Bob();
    in.email = "customer" + std::to_string(round) + "@example.com";
    REQUIRE(admin->create_customer(in).ok());
    auto reset = admin->request_password_reset(in.email);
    REQUIRE(reset.ok());
    REQUIRE(reset->has_value());
    const std::string token = **reset;
    auto codes = Race([&] {
      auto auth = OpenAuth(db, keys);
      if (!auth) return 3;
      auto t = auth->generate_customer_token(in.email, token);
      if (t.ok()) return 0;
      return t.code() == Code::kAuthenticationFailed ? 1 : 2;
    });
    int wins = 0, losses = 0;
    for (int c : codes) {
      wins += c == 0;
      losses += c == 1;
    }
    REQUIRE(wins == 1);
    REQUIRE(losses == kProcesses - 1);
  }
}

TEST_CASE("A revocation by another process is honoured within the bound") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  constexpr TimeMs kBound = 300;
  auto shop = OpenAuth(db, keys, kBound);
  REQUIRE(shop);
  REQUIRE(shop->create_customer(Bob()).ok());
  auto token = shop->generate_customer_token("bobloblaw@example.com", "b0bl0bl@w");
  REQUIRE(token.ok());
  REQUIRE(shop->verify_token(*token).ok());  // the cache is warm

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // iat must precede the revocation
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto other = OpenAuth(db, keys);
    _exit(other && other->revoke_customer_tokens("bobloblaw@example.com").ok() ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  // Once the bound has passed the other process's revocation is seen. Only a lower bound on
  // the time is used (a busy machine makes the sleep longer, never shorter), so that no
  // assertion depends on how fast this machine is: the cache was refreshed at the warm-up
  // verification above, before the revocation, so any verification at least the bound after
  // the revocation must ask the storage again.
  std::this_thread::sleep_for(std::chrono::milliseconds(kBound + 20));
  auto after_bound = shop->verify_token(*token);
  CHECK(after_bound.status().message() == "The token has been revoked.");

  // Through the same handle a revocation applies at once, whatever the bound.
  auto slow = OpenAuth(db, keys, 3600 * kSecond);
  REQUIRE(slow);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto fresh = slow->generate_customer_token("bobloblaw@example.com", "b0bl0bl@w");
  REQUIRE(fresh.ok());
  REQUIRE(slow->verify_token(*fresh).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(slow->revoke_customer_tokens("bobloblaw@example.com").ok());
  CHECK(slow->verify_token(*fresh).status().message() == "The token has been revoked.");
}

}  // namespace multiprocess_test
