// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The login flow decided at the write (DOMAIN.md, generateCustomerToken, "Under concurrency the
// lock bounds guesses"; DESIGN.md, "Rules"), through CustomerAuth, with the token-request
// throttle off so that the account lock is what bounds:
//   - 64 wrong guesses from 4 processes x 16 threads on one SQLite file: at most 10 evaluated
//     (Argon2 computations counted by each process's hasher, wrong_secret audit rows), the rest
//     refused as locked without one;
//   - 32 wrong current passwords to change_password at once: at most 10 evaluated, the rest
//     refused as locked;
//   - 30 wrong current passwords and the right one at once, 20 rounds: no password change
//     commits after the round's lock;
//   - 30 wrong guesses and the right one at once, 50 rounds: the sign-in never commits after the
//     round's lock (the write order, logged by a storage wrapper);
//   - a deactivation committed between the flow's read and its write (a storage wrapper does it)
//     wins: no token, for a login and for an exchange;
//   - 8 threads exchanging while another deactivates: no token they got verifies afterwards,
//     on this handle or a fresh one.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/oauth1.h"
#include "custauth/password.h"
#include "custauth/sqlite_storage.h"
#include "custauth/storage.h"
#include "custauth/storage_wrapper.h"
#include "test_util.h"

namespace login_race_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr char kPassword[] = "Roni_Cost123";

// Forwards every call to its target; the hooks run around the ones a test watches.
class HookedStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::function<void()> before_sign_in;  // runs before record_sign_in
  std::function<void()> after_find;      // runs after find_customer_by_email
  // Serializes the two settling writes and logs their order: "S" a sign-in that committed, "L" a
  // failure that locked, "F" another failure.
  bool log_settles = false;
  std::mutex log_mu;
  std::string log;

  Result<Customer> find_customer_by_email(std::int64_t w, std::string_view e) override {
    auto r = StorageWrapper::find_customer_by_email(w, e);
    if (after_find) after_find();
    return r;
  }
  Result<SignInResult> record_sign_in(const LoginAttempt& a, const SignIn& s,
                                      const Clock& clock) override {
    if (before_sign_in) before_sign_in();
    if (!log_settles) return StorageWrapper::record_sign_in(a, s, clock);
    std::lock_guard<std::mutex> lock(log_mu);
    auto r = StorageWrapper::record_sign_in(a, s, clock);
    if (r.ok()) log += 'S';
    return r;
  }
  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,
                                   std::span<const AuditRecord> audit) override {
    if (!log_settles || !patch.password_hash) {
      return StorageWrapper::update_customer(id, patch, now, audit);
    }
    std::lock_guard<std::mutex> lock(log_mu);
    auto r = StorageWrapper::update_customer(id, patch, now, audit);
    if (r.ok()) log += 'C';  // a password change that committed
    return r;
  }
  Result<LockState> record_attempt_failure(const LoginAttempt& a, TimeMs now,
                                           const AuditOf<LockState>& audit) override {
    if (!log_settles) return StorageWrapper::record_attempt_failure(a, now, audit);
    std::lock_guard<std::mutex> lock(log_mu);
    auto r = StorageWrapper::record_attempt_failure(a, now, audit);
    if (r.ok()) log += r->newly_locked ? 'L' : 'F';
    return r;
  }
};

std::shared_ptr<Storage> OpenFile(const std::string& path) {
  auto s = OpenSqliteStorage(path);
  REQUIRE(s.ok());
  return std::shared_ptr<Storage>(std::move(s).value());
}

AuthOptions Options(const Keys& keys) {
  AuthOptions o;
  o.keys = keys;
  o.argon2 = CheapArgon2ForTests();
  o.argon2.max_concurrent = 16;
  o.login_throttle.max_failures = 0;  // the account lock is what these tests bound
  return o;
}

std::unique_ptr<CustomerAuth> Open(std::shared_ptr<Storage> storage, const AuthOptions& o) {
  auto a = CustomerAuth::Open(std::move(storage), o);
  INFO(a.status().to_string());
  REQUIRE(a.ok());
  return std::move(a).value();
}

CustomerInput Roni(const std::string& email = "roni_cost@example.com") {
  CustomerInput in;
  in.email = email;
  in.firstname = "Roni";
  in.lastname = "Cost";
  in.password = kPassword;
  return in;
}

int CountAudit(CustomerAuth& auth, std::int64_t customer_id, const std::string& event,
               const std::string& why = {}) {
  AuditQuery q;
  q.customer_id = customer_id;
  q.limit = 10000;
  auto rows = auth.list_audit(q);
  REQUIRE(rows.ok());
  int n = 0;
  for (const AuditRecord& r : *rows) {
    if (r.event != event) continue;
    if (!why.empty() && nlohmann::json::parse(r.detail).value("why", "") != why) continue;
    ++n;
  }
  return n;
}

// Signs an exchange request (HMAC-SHA256, Authorization header), as exchange_test.cpp does.
HttpRequest Signed(const IntegrationCredentials& c, std::int64_t timestamp,
                   const std::string& nonce) {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://shop.example/graphql";
  r.content_type = "application/json";
  r.body = R"({"query":"mutation { exchangeExternalCustomerToken(...) }"})";
  std::vector<OAuthParam> params = {{"oauth_consumer_key", c.consumer_key},
                                    {"oauth_token", c.access_token},
                                    {"oauth_signature_method", "HMAC-SHA256"},
                                    {"oauth_timestamp", std::to_string(timestamp)},
                                    {"oauth_nonce", nonce},
                                    {"oauth_version", "1.0"}};
  std::string header = "OAuth realm=\"shop\"";
  for (const auto& p : params) header += ", " + p.name + "=\"" + PercentEncode(p.value) + "\"";
  r.authorization = header;
  auto base = SignatureBaseString(r);
  auto sig = OAuthSignature(kOAuthHmacSha256, base.value(), c.consumer_secret, c.token_secret);
  r.authorization += ", oauth_signature=\"" + PercentEncode(sig.value()) + "\"";
  return r;
}

constexpr char kRoniInput[] =
    R"({"customer":{"firstname":"Roni","lastname":"Cost","email":"roni_cost@example.com"}})";

}  // namespace

TEST_CASE("64 wrong guesses from 4 processes x 16 threads: at most 10 evaluated") {
  TempDir dir;
  const std::string db = dir.file("custauth.db");
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  AuthOptions o = Options(keys);
  o.argon2.opslimit = 2;
  o.argon2.memlimit = 4 << 20;  // some milliseconds per verification: the guesses overlap
  auto admin = Open(OpenFile(db), o);
  auto roni = admin->create_customer(Roni());
  REQUIRE(roni.ok());

  int go[2];
  REQUIRE(pipe(go) == 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(go[1]);
      auto storage = OpenSqliteStorage(db);
      if (!storage.ok()) _exit(200);
      auto auth = CustomerAuth::Open(std::shared_ptr<Storage>(std::move(storage).value()), o);
      if (!auth.ok()) _exit(201);
      CustomerAuth& a = **auth;
      // Secrets evaluated: computations other than the dummy verifications (which a refusal as
      // locked runs, so that it answers as late as an unknown email).
      const auto evaluated = [&a] {
        return a.hasher().computations() - a.hasher().work_counts().dummies;
      };
      const std::uint64_t before = evaluated();
      std::atomic<int> tokens{0};
      char c;
      if (read(go[0], &c, 1) != 0) _exit(202);  // EOF: go
      std::vector<std::thread> threads;
      for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&, t] {
          auto r = a.generate_customer_token("roni_cost@example.com",
                                             "wrong-guess-" + std::to_string(t));
          if (r.ok()) ++tokens;
        });
      }
      for (auto& t : threads) t.join();
      if (tokens != 0) _exit(203);
      _exit(static_cast<int>(evaluated() - before));
    }
    pids.push_back(pid);
  }
  close(go[0]);
  close(go[1]);
  int computations = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    INFO("exit " << WEXITSTATUS(status));
    REQUIRE(WEXITSTATUS(status) <= 64);
    computations += WEXITSTATUS(status);
  }
  auto after = admin->find_customer_by_id(roni->id);
  REQUIRE(after.ok());
  const int wrong = CountAudit(*admin, roni->id, "login.failure", "wrong_secret");
  const int locked = CountAudit(*admin, roni->id, "login.failure", "locked");
  INFO("evaluated " << wrong << ", refused as locked " << locked << ", Argon2 runs " << computations
                    << ", failures_num " << after->failures_num);
  CHECK(wrong <= 10);
  CHECK(after->failures_num <= 10);
  CHECK(computations <= 10);
  CHECK(computations == wrong);
  CHECK(wrong + locked == 64);
  CHECK(after->locked_at(SystemClock().now()));
}

TEST_CASE("32 wrong current passwords at once to change_password: at most 10 evaluated") {
  TempDir dir;
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  AuthOptions o = Options(keys);
  o.argon2.opslimit = 2;
  o.argon2.memlimit = 4 << 20;  // some milliseconds per verification: the guesses overlap
  auto auth = Open(OpenFile(dir.file("custauth.db")), o);
  auto roni = auth->create_customer(Roni());
  REQUIRE(roni.ok());
  const auto evaluated = [&] {
    return auth->hasher().computations() - auth->hasher().work_counts().dummies;
  };
  const std::uint64_t before = evaluated();
  std::atomic<bool> go{false};
  std::atomic<int> changed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      if (auth->change_password(roni->email, "wrong-" + std::to_string(t), "N3w-Passw0rd!").ok()) {
        ++changed;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  // Hashes of the new password are not verifications: none ran, as nothing matched.
  const std::uint64_t computations = evaluated() - before;
  const int wrong = CountAudit(*auth, roni->id, "login.failure", "wrong_current_password");
  const int locked = CountAudit(*auth, roni->id, "login.failure", "locked");
  auto after = auth->find_customer_by_id(roni->id);
  REQUIRE(after.ok());
  INFO("evaluated " << wrong << ", refused as locked " << locked << ", Argon2 runs " << computations
                    << ", failures_num " << after->failures_num);
  CHECK(changed.load() == 0);
  CHECK(wrong <= 10);
  CHECK(computations <= 10);
  CHECK(static_cast<int>(computations) == wrong);
  CHECK(wrong + locked == 32);
  CHECK(after->failures_num <= 10);
  CHECK(after->locked_at(SystemClock().now()));
  CHECK(after->password_hash == roni->password_hash);
}

// Rounds of 30 wrong guesses and the right one sent at once (by 31 threads), each round for a
// new customer, through `guess(email, secret)` (true: it succeeded). Checks from the settling
// writes' order that a success (`success` in the log) never commits after the round's lock, and
// that a success was answered exactly when one committed. Returns the successes.
int RaceRightAmongWrong(CustomerAuth& auth, HookedStorage& hooked, int rounds, char success,
                        const std::function<bool(const std::string&, const std::string&)>& guess) {
  int total = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string email = "roni" + std::to_string(round) + "@example.com";
    REQUIRE(auth.create_customer(Roni(email)).ok());
    {
      std::lock_guard<std::mutex> lock(hooked.log_mu);
      hooked.log.clear();
    }
    std::atomic<bool> go{false};
    std::atomic<int> succeeded{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 31; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        if (guess(email, t == 15 ? kPassword : "wrong-" + std::to_string(t))) ++succeeded;
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    std::string log;
    {
      std::lock_guard<std::mutex> lock(hooked.log_mu);
      log = hooked.log;
    }
    INFO("round " << round << ": " << log);
    const auto lock_at = log.find('L');
    const auto success_at = log.find(success);
    CHECK(succeeded.load() == (success_at == std::string::npos ? 0 : 1));
    if (lock_at != std::string::npos && success_at != std::string::npos) {
      CHECK(success_at < lock_at);
    }
    total += succeeded.load();
  }
  return total;
}

TEST_CASE("30 wrong guesses and the right one at once: the sign-in never commits after the lock") {
  TempDir dir;
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto hooked = std::make_shared<HookedStorage>(OpenFile(dir.file("custauth.db")));
  hooked->log_settles = true;
  auto auth = Open(hooked, Options(keys));
  const int tokens = RaceRightAmongWrong(
      *auth, *hooked, 50, 'S', [&](const std::string& email, const std::string& password) {
        return auth->generate_customer_token(email, password).ok();
      });
  // Most rounds the right guess is among the first ten; some it is refused, never after a lock.
  CHECK(tokens > 0);
}

TEST_CASE(
    "30 wrong current passwords and the right one at once: no change commits after the lock") {
  TempDir dir;
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto hooked = std::make_shared<HookedStorage>(OpenFile(dir.file("custauth.db")));
  hooked->log_settles = true;
  auto auth = Open(hooked, Options(keys));
  const int changes = RaceRightAmongWrong(
      *auth, *hooked, 20, 'C', [&](const std::string& email, const std::string& password) {
        return auth->change_password(email, password, "N3w-Passw0rd!").ok();
      });
  CHECK(changes > 0);
}

TEST_CASE("A deactivation committed between the read and the write wins") {
  TempDir dir;
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto base = OpenFile(dir.file("custauth.db"));
  auto hooked = std::make_shared<HookedStorage>(base);
  auto auth = Open(hooked, Options(keys));
  auto roni = auth->create_customer(Roni());
  REQUIRE(roni.ok());
  std::atomic<int> deactivations{0};
  auto deactivate = [&] {
    if (deactivations++ != 0) return;
    CustomerPatch off;
    off.is_active = false;
    SystemClock clock;
    off.revoke_clock = &clock;
    REQUIRE(base->update_customer(roni->id, off, clock.now()).ok());
  };

  SECTION("a login: the password matched, the sign-in write refuses") {
    hooked->before_sign_in = deactivate;
    auto r = auth->generate_customer_token("roni_cost@example.com", kPassword);
    CHECK(deactivations == 1);
    CHECK(r.code() == Code::kAuthenticationFailed);
    CHECK(r.status().message() == msg::kSignInIncorrect);
    CHECK(CountAudit(*auth, roni->id, "login.success") == 0);
  }
  SECTION("an exchange for an existing customer: committed after its read") {
    auto creds = auth->create_integration("Social login",
                                          {std::string(kPermissionExchangeExternalCustomerToken)});
    REQUIRE(creds.ok());
    hooked->after_find = deactivate;
    auto r = auth->exchange_external_customer_token(
        Signed(*creds, SystemClock().now() / 1000, "nonce-1"), kRoniInput);
    CHECK(deactivations == 1);
    CHECK(r.code() == Code::kAuthenticationFailed);
    CHECK(CountAudit(*auth, roni->id, "exchange.success") == 0);
  }
  SECTION("an exchange that created the customer: committed before its sign-in write") {
    REQUIRE(auth->delete_customer("roni_cost@example.com").ok());
    auto creds = auth->create_integration("Social login",
                                          {std::string(kPermissionExchangeExternalCustomerToken)});
    REQUIRE(creds.ok());
    hooked->before_sign_in = [&] {
      auto created = base->find_customer_by_email(kDefaultWebsiteId, "roni_cost@example.com");
      REQUIRE(created.ok());
      CustomerPatch off;
      off.is_active = false;
      SystemClock clock;
      off.revoke_clock = &clock;
      REQUIRE(base->update_customer(created->id, off, clock.now()).ok());
      ++deactivations;
    };
    auto r = auth->exchange_external_customer_token(
        Signed(*creds, SystemClock().now() / 1000, "nonce-2"), kRoniInput);
    CHECK(deactivations == 1);
    CHECK(r.code() == Code::kAuthenticationFailed);
  }
}

TEST_CASE("8 threads exchanging while another deactivates: no token verifies afterwards") {
  TempDir dir;
  const std::string db = dir.file("custauth.db");
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto auth = Open(OpenFile(db), Options(keys));
  auto creds = auth->create_integration("Social login",
                                        {std::string(kPermissionExchangeExternalCustomerToken)});
  REQUIRE(creds.ok());
  REQUIRE(auth->exchange_external_customer_token(
                  Signed(*creds, SystemClock().now() / 1000, "first"), kRoniInput)
              .ok());
  std::atomic<bool> stop{false};
  std::atomic<int> after_deactivation{0};
  std::atomic<bool> deactivated{false};
  std::mutex mu;
  std::vector<std::string> tokens;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; !stop.load() && k < 400; ++k) {
        const bool was_deactivated = deactivated.load();
        auto r = auth->exchange_external_customer_token(
            Signed(*creds, SystemClock().now() / 1000,
                   "n-" + std::to_string(t) + "-" + std::to_string(k)),
            kRoniInput);
        if (!r.ok()) continue;
        if (was_deactivated) ++after_deactivation;
        std::lock_guard<std::mutex> lock(mu);
        tokens.push_back(r->token);
      }
    });
  }
  // Let the exchanges run, then deactivate while they do.
  for (int spins = 0; spins < 20000; ++spins) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (tokens.size() >= 40) break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  CustomerUpdate off;
  off.is_active = false;
  REQUIRE(auth->update_customer("roni_cost@example.com", off).ok());
  deactivated = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(after_deactivation == 0);
  auto fresh = Open(OpenFile(db), Options(keys));
  int verified = 0;
  for (const std::string& token : tokens) {
    if (auth->verify_token(token).ok()) ++verified;
    if (fresh->verify_token(token).ok()) ++verified;
  }
  INFO(tokens.size() << " tokens");
  CHECK(verified == 0);
}

}  // namespace login_race_test
