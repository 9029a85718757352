// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A host's PasswordVerifier (custauth/verifier.h) in generateCustomerToken's chain, on both
// embedded backends: the chain order the host set, the lock bounding a host verifier's guesses,
// a failing verifier (an error, an exception, past the time limit) giving an error and never a
// token, the not-confirmed rule, the audit's "via", and the timing rule (counted in Argon2 work).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "custauth/verifier.h"
#include "test_util.h"

namespace verifier_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr char kEmail[] = "roni_cost@example.com";
constexpr char kPassword[] = "Roni_Cost123";
constexpr char kHostSecret[] = "host-table-secret-1";

// A host verifier: a table of secrets per customer email, and what it should do otherwise.
class TableVerifier final : public PasswordVerifier {
 public:
  enum class Mode { kTable, kError, kThrow, kSleep, kMatchAll };
  explicit TableVerifier(std::string name, Mode mode = Mode::kTable, bool costly = false)
      : name_(std::move(name)), mode_(mode), costly_(costly) {}
  std::string name() const override { return name_; }
  Result<Verdict> verify(const VerifyRequest& r) override {
    calls.fetch_add(1);
    switch (mode_) {
      case Mode::kError:
        return Status(Code::kUnsupported, "the host's directory is down");
      case Mode::kThrow:
        throw std::runtime_error("host bug");
      case Mode::kSleep:
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return Verdict::Match(costly_);
      case Mode::kMatchAll:
        return Verdict::Match(costly_);
      case Mode::kTable:
        break;
    }
    auto it = table.find(r.customer.email);
    if (it != table.end() && it->second == r.secret) return Verdict::Match(costly_);
    return Verdict::NotMine(costly_);
  }
  std::map<std::string, std::string> table{{kEmail, kHostSecret}};
  std::atomic<int> calls{0};

 private:
  std::string name_;
  Mode mode_;
  bool costly_;
};

struct Fixture {
  Fixture(const std::string& backend, std::vector<std::shared_ptr<PasswordVerifier>> chain,
          bool confirmed = true, TimeMs time_limit = 10 * kSecond)
      : storage(testing::MakeStorage(backend, dir)) {
    AuthOptions o;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    o.argon2 = CheapArgon2ForTests();
    o.clock = clock;
    o.login_throttle.max_failures = 0;  // the account lock is what bounds here
    o.verifiers = std::move(chain);
    o.verifier_time_limit = time_limit;
    auto a = CustomerAuth::Open(storage, o);
    INFO(a.status().to_string());
    REQUIRE(a.ok());
    auth = std::move(a).value();
    CustomerInput in;
    in.email = kEmail;
    in.firstname = "Roni";
    in.lastname = "Cost";
    in.password = kPassword;
    in.confirmed = confirmed;
    auto c = auth->create_customer(in);
    REQUIRE(c.ok());
    id = c->id;
  }
  // The "via" of the last login.success, or "".
  std::string LastVia(const std::string& event = "login.success") {
    AuditQuery q;
    q.customer_id = id;
    q.limit = 1000;
    auto records = auth->list_audit(q);
    REQUIRE(records.ok());
    std::string via;
    for (const AuditRecord& r : *records) {
      if (r.event == event) via = r.detail;
    }
    return via;
  }
  int AuditCount(const std::string& event, const std::string& detail_part) {
    AuditQuery q;
    q.customer_id = id;
    q.limit = 1000;
    auto records = auth->list_audit(q);
    REQUIRE(records.ok());
    int n = 0;
    for (const AuditRecord& r : *records) {
      if (r.event == event && r.detail.find(detail_part) != std::string::npos) ++n;
    }
    return n;
  }
  int Failures() {
    auto c = auth->find_customer_by_id(id);
    REQUIRE(c.ok());
    return c->failures_num;
  }
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
  std::int64_t id = 0;
};

using Mode = TableVerifier::Mode;

}  // namespace

TEST_CASE("A host verifier logs a customer in, in the chain order the host set") {
  const std::string backend = GENERATE("memory", "sqlite");
  auto host = std::make_shared<TableVerifier>("host_table");
  SECTION("after the password") {
    Fixture f(backend, {AccountPasswordVerifier(), host});
    auto t = f.auth->generate_customer_token(kEmail, kHostSecret);
    INFO(t.status().to_string());
    REQUIRE(t.ok());
    CHECK(f.auth->verify_token(*t).ok());
    CHECK(f.LastVia() == R"({"via":"host_table"})");
    auto p = f.auth->generate_customer_token(kEmail, kPassword);
    REQUIRE(p.ok());
    CHECK(f.LastVia() == R"({"via":"password"})");
    CHECK(host->calls == 1);  // the password matched first: the host was not asked
  }
  SECTION("before the password, which it shadows") {
    auto all = std::make_shared<TableVerifier>("host_all", Mode::kMatchAll, true);
    Fixture f(backend, {all, AccountPasswordVerifier()});
    REQUIRE(f.auth->generate_customer_token(kEmail, kPassword).ok());
    CHECK(f.LastVia() == R"({"via":"host_all"})");
    CHECK(all->calls == 1);
  }
  SECTION("the host dropped the password: it no longer signs in") {
    Fixture f(backend, {host});
    auto p = f.auth->generate_customer_token(kEmail, kPassword);
    CHECK(p.code() == Code::kAuthenticationFailed);
    CHECK(p.status().message() == msg::kSignInIncorrect);
    CHECK(f.Failures() == 1);
    CHECK(f.auth->generate_customer_token(kEmail, kHostSecret).ok());
  }
  SECTION("the default chain is the platform's three") {
    AuthOptions o;
    CHECK(o.verifiers.empty());
    auto d = DefaultVerifiers();
    REQUIRE(d.size() == 3);
    CHECK(d[0]->name() == "password");
    CHECK(d[1]->name() == "reset_token");
    CHECK(d[2]->name() == "otc");
  }
}

TEST_CASE("The lock bounds a host verifier's guesses") {
  const std::string backend = GENERATE("memory", "sqlite");
  auto host = std::make_shared<TableVerifier>("host_table");
  Fixture f(backend, {host});
  for (int k = 0; k < 10; ++k) {
    auto r = f.auth->generate_customer_token(kEmail, "wrong-" + std::to_string(k));
    REQUIRE(r.code() == Code::kAuthenticationFailed);
  }
  CHECK(host->calls == 10);
  CHECK(f.AuditCount("customer.lock", "failures_num") == 1);
  // Locked: the 11th guess, even the right one, is refused without asking the verifier.
  auto r = f.auth->generate_customer_token(kEmail, kHostSecret);
  CHECK(r.code() == Code::kAuthenticationFailed);
  CHECK(r.status().message() == msg::kSignInIncorrect);
  CHECK(host->calls == 10);
  CHECK(f.AuditCount("login.failure", "wrong_secret") == 10);
  CHECK(f.AuditCount("login.failure", "locked") == 1);
}

TEST_CASE("A host verifier's concurrent guesses: at most the lock's 10 are evaluated") {
  const std::string backend = GENERATE("memory", "sqlite");
  auto host = std::make_shared<TableVerifier>("host_table");
  Fixture f(backend, {host});
  std::vector<std::thread> threads;
  std::atomic<int> tokens{0};
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      auto r = f.auth->generate_customer_token(kEmail, "wrong-" + std::to_string(t));
      if (r.ok()) tokens.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(tokens == 0);
  CHECK(host->calls <= 10);
  CHECK(f.AuditCount("login.failure", "wrong_secret") <= 10);
}

TEST_CASE("A failing host verifier gives an error, never a token") {
  const std::string backend = GENERATE("memory", "sqlite");
  SECTION("it returns an error, first in the chain: the attempt is given back") {
    auto bad = std::make_shared<TableVerifier>("host_down", Mode::kError);
    Fixture f(backend, {bad, AccountPasswordVerifier()});
    auto r = f.auth->generate_customer_token(kEmail, kPassword);
    CHECK(r.code() == Code::kInternal);
    CHECK(r.status().message() ==
          "the verifier \"host_down\" failed: the host's directory is down");
    CHECK(f.Failures() == 0);
    CHECK(f.AuditCount("login.success", "") == 0);
  }
  SECTION("it throws, first in the chain") {
    auto bad = std::make_shared<TableVerifier>("host_bug", Mode::kThrow);
    Fixture f(backend, {bad});
    auto r = f.auth->generate_customer_token(kEmail, kHostSecret);
    CHECK(r.code() == Code::kInternal);
    CHECK(r.status().message() == "the verifier \"host_bug\" threw: host bug");
    CHECK(f.Failures() == 0);
    // Nothing is left taken: 12 more such calls do not lock the account.
    for (int k = 0; k < 12; ++k) {
      CHECK(f.auth->generate_customer_token(kEmail, kHostSecret).code() == Code::kInternal);
    }
    CHECK(bad->calls == 13);
    auto c = f.auth->find_customer_by_id(f.id);
    REQUIRE(c.ok());
    CHECK(!c->locked_at(f.clock->now()));
  }
  SECTION("it fails after the password said no: the guess counts, the lock bounds it") {
    auto bad = std::make_shared<TableVerifier>("host_bug", Mode::kThrow);
    Fixture f(backend, {AccountPasswordVerifier(), bad});
    for (int k = 0; k < 10; ++k) {
      CHECK(f.auth->generate_customer_token(kEmail, "wrong-" + std::to_string(k)).code() ==
            Code::kInternal);
    }
    CHECK(f.Failures() == 10);
    CHECK(f.AuditCount("login.failure", "verifier_error") == 10);
    // Locked: the right password is refused without running either verifier.
    auto r = f.auth->generate_customer_token(kEmail, kPassword);
    CHECK(r.code() == Code::kAuthenticationFailed);
    CHECK(bad->calls == 10);
  }
  SECTION("it matches past the time limit") {
    auto slow = std::make_shared<TableVerifier>("host_slow", Mode::kSleep);
    Fixture f(backend, {slow}, true, /*time_limit=*/20);
    auto r = f.auth->generate_customer_token(kEmail, kHostSecret);
    CHECK(r.code() == Code::kBusy);
    CHECK(r.status().message() == "the verifier \"host_slow\" took longer than 20 ms");
    CHECK(f.AuditCount("login.success", "") == 0);
    CHECK(f.Failures() == 0);
  }
}

TEST_CASE("A host verifier's match of an unconfirmed customer: the not-confirmed refusal") {
  const std::string backend = GENERATE("memory", "sqlite");
  auto host = std::make_shared<TableVerifier>("host_table");
  Fixture f(backend, {host}, /*confirmed=*/false);
  auto r = f.auth->generate_customer_token(kEmail, kHostSecret);
  CHECK(r.code() == Code::kNotConfirmed);
  CHECK(r.status().message() == msg::kNotConfirmed);
  CHECK(f.LastVia("login.not_confirmed") == R"({"via":"host_table"})");
  CHECK(f.Failures() == 0);
}

TEST_CASE("Timing: a run with no costly verification runs the dummy Argon2id") {
  const std::string backend = GENERATE("memory", "sqlite");
  SECTION("a cheap host verifier: one dummy") {
    auto host = std::make_shared<TableVerifier>("host_table", Mode::kTable, /*costly=*/false);
    Fixture f(backend, {host});
    const auto before = f.auth->hasher().work_counts().argon2_verifications;
    CHECK(f.auth->generate_customer_token(kEmail, "wrong").code() == Code::kAuthenticationFailed);
    CHECK(f.auth->hasher().work_counts().argon2_verifications == before + 1);
    // An unknown email costs the same.
    CHECK(f.auth->generate_customer_token("nobody@example.com", "wrong").code() ==
          Code::kAuthenticationFailed);
    CHECK(f.auth->hasher().work_counts().argon2_verifications == before + 2);
  }
  SECTION("a host verifier that reports costly work: no dummy") {
    auto host = std::make_shared<TableVerifier>("host_table", Mode::kTable, /*costly=*/true);
    Fixture f(backend, {host});
    const auto before = f.auth->hasher().work_counts().argon2_verifications;
    CHECK(f.auth->generate_customer_token(kEmail, "wrong").code() == Code::kAuthenticationFailed);
    CHECK(f.auth->hasher().work_counts().argon2_verifications == before);
  }
  SECTION("the password and a cheap host verifier: the password's verification only") {
    auto host = std::make_shared<TableVerifier>("host_table", Mode::kTable, /*costly=*/false);
    Fixture f(backend, {AccountPasswordVerifier(), host});
    const auto before = f.auth->hasher().work_counts().argon2_verifications;
    CHECK(f.auth->generate_customer_token(kEmail, "wrong").code() == Code::kAuthenticationFailed);
    CHECK(f.auth->hasher().work_counts().argon2_verifications == before + 1);
  }
}

TEST_CASE("Open refuses a bad chain") {
  TempDir dir;
  auto storage = testing::MakeStorage("memory", dir);
  AuthOptions o;
  o.keys = GenerateKeys(*SystemRandom::Shared());
  o.argon2 = CheapArgon2ForTests();
  SECTION("null") { o.verifiers = {nullptr}; }
  SECTION("a bad name") { o.verifiers = {std::make_shared<TableVerifier>("Host Table")}; }
  SECTION("twice the same name") {
    o.verifiers = {AccountPasswordVerifier(), std::make_shared<TableVerifier>("password")};
  }
  SECTION("more than 16") {
    for (int k = 0; k < 17; ++k) {
      o.verifiers.push_back(std::make_shared<TableVerifier>("v" + std::to_string(k)));
    }
  }
  auto a = CustomerAuth::Open(storage, o);
  CHECK(a.code() == Code::kInvalidInput);
}

}  // namespace verifier_test
