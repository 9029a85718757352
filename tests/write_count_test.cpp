// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Write transactions per operation (DOMAIN.md, audit in the write; issue 14's "one write where one
// suffices"), counted on a SQLite file through a StorageWrapper that counts the calls to every
// Storage method that writes: each is one write transaction on every backend (SQLite: one BEGIN
// IMMEDIATE ... COMMIT per call). An operation's audit records travel in its writes, so
// append_audit is called by none of the operations below.
//
//   operation                    least the work needs            custauth
//   issue_otc                    1 (the code and otc.issue)      1
//   exchange_otc (right code)    1 (consume; login.success,      2: the attempt taken before the
//                                otc.use)                        chain runs (admit), the sign-in
//   generate_customer_token,     1 (the failure count and        2: admit, the failure with
//   wrong password               login.failure)                  login.failure
//   generate_customer_token,     1 (the sign-in, login.success)  2: admit, the sign-in
//   right password
// The admit write is the decide-at-the-write rule (a guess is counted before it is verified, so
// that at most max_failures guesses are ever evaluated at once).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "custauth/sqlite_storage.h"
#include "custauth/storage_wrapper.h"
#include "test_util.h"

namespace write_count_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

// Counts the calls to the methods that write (each one transaction), and append_audit apart.
class WriteCounter final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::atomic<int> writes{0};
  std::atomic<int> appends{0};

  Result<Customer> create_customer(const NewCustomer& c, TimeMs now) override {
    ++writes;
    return StorageWrapper::create_customer(c, now);
  }
  Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) override {
    ++writes;
    return StorageWrapper::find_or_create_customer(c, now);
  }
  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& p, TimeMs now,
                                   std::span<const AuditRecord> audit) override {
    ++writes;
    return StorageWrapper::update_customer(id, p, now, audit);
  }
  Result<Customer> delete_customer(std::int64_t id, TimeMs now,
                                   std::span<const AuditRecord> audit) override {
    ++writes;
    return StorageWrapper::delete_customer(id, now, audit);
  }
  Result<LockState> record_login_failure(std::int64_t id, TimeMs now,
                                         const LockoutPolicy& p) override {
    ++writes;
    return StorageWrapper::record_login_failure(id, now, p);
  }
  Result<Customer> admit_login_attempt(const LoginAttempt& a, TimeMs now) override {
    ++writes;
    return StorageWrapper::admit_login_attempt(a, now);
  }
  Result<SignInResult> record_sign_in(const LoginAttempt& a, const SignIn& s,
                                      const Clock& clock) override {
    ++writes;
    return StorageWrapper::record_sign_in(a, s, clock);
  }
  Result<LockState> record_attempt_failure(const LoginAttempt& a, TimeMs now,
                                           const AuditOf<LockState>& audit) override {
    ++writes;
    return StorageWrapper::record_attempt_failure(a, now, audit);
  }
  Status release_login_attempt(const LoginAttempt& a, TimeMs now) override {
    ++writes;
    return StorageWrapper::release_login_attempt(a, now);
  }
  Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) override {
    ++writes;
    return StorageWrapper::put_secret(s, audit);
  }
  Result<SecretRecord> consume_secret(SecretKind k, std::int64_t id, std::string_view h,
                                      TimeMs now) override {
    ++writes;
    return StorageWrapper::consume_secret(k, id, h, now);
  }
  Status take_rate_slots(std::span<const RateRule> r, TimeMs now) override {
    ++writes;
    return StorageWrapper::take_rate_slots(r, now);
  }
  Status insert_nonce(std::string_view k, std::string_view n, TimeMs e, TimeMs now) override {
    ++writes;
    return StorageWrapper::insert_nonce(k, n, e, now);
  }
  Status put_opaque_token(const OpaqueTokenRecord& t) override {
    ++writes;
    return StorageWrapper::put_opaque_token(t);
  }
  Result<std::int64_t> append_audit(const AuditRecord& r) override {
    ++writes;
    ++appends;
    return StorageWrapper::append_audit(r);
  }
};

struct World {
  explicit World(bool throttle = true) {
    auto opened = OpenSqliteStorage(dir.file("custauth.db"));
    REQUIRE(opened.ok());
    counter = std::make_shared<WriteCounter>(std::shared_ptr<Storage>(std::move(opened).value()));
    AuthOptions o;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    o.argon2 = CheapArgon2ForTests();
    if (!throttle) o.login_throttle.max_failures = 0;
    auto a = CustomerAuth::Open(counter, o);
    INFO(a.status().to_string());
    REQUIRE(a.ok());
    auth = std::move(a).value();
    CustomerInput in;
    in.email = "roni_cost@example.com";
    in.firstname = "Roni";
    in.lastname = "Cost";
    in.password = "Roni_Cost123";
    in.allow_remote_shopping_assistance = true;
    auto c = auth->create_customer(in);
    REQUIRE(c.ok());
    customer_id = c->id;
  }
  // The writes and audit records `op` adds, and that it called append_audit on its own none.
  template <class Op>
  std::pair<int, std::size_t> Count(Op&& op) {
    const int w0 = counter->writes.load();
    const int a0 = counter->appends.load();
    const std::size_t r0 = AuditSize();
    op();
    CHECK(counter->appends.load() == a0);
    return {counter->writes.load() - w0, AuditSize() - r0};
  }
  std::size_t AuditSize() {
    AuditQuery q;
    q.limit = 100000;
    return counter->list_audit(q).value().size();
  }
  TempDir dir;
  std::shared_ptr<WriteCounter> counter;
  std::unique_ptr<CustomerAuth> auth;
  std::int64_t customer_id = 0;
};

const RequestContext kAdmin{"203.0.113.9", "", "admin:7"};

}  // namespace

TEST_CASE("write transactions: an admin code's issue is one write, with its otc.issue record",
          "[writes][otc]") {
  World w;
  std::string code;
  const auto [writes, records] = w.Count([&] {
    auto issued = w.auth->issue_otc("roni_cost@example.com", 7, "phone call", kAdmin);
    REQUIRE(issued.ok());
    code = *issued;
  });
  CHECK(writes == 1);
  CHECK(records == 1);

  SECTION("its exchange: the attempt, then one sign-in write with otc.use and login.success") {
    const auto [exchange_writes, exchange_records] =
        w.Count([&] { REQUIRE(w.auth->exchange_otc("roni_cost@example.com", code).ok()); });
    CHECK(exchange_writes == 2);
    CHECK(exchange_records == 2);
  }
  SECTION("a refused issue (consent not given) writes nothing") {
    CustomerUpdate off;
    off.allow_remote_shopping_assistance = false;
    REQUIRE(w.auth->update_customer("roni_cost@example.com", off).ok());
    const auto [refused_writes, refused_records] = w.Count([&] {
      CHECK(w.auth->issue_otc("roni_cost@example.com", 7, "phone call", kAdmin).code() ==
            Code::kForbidden);
    });
    CHECK(refused_writes == 0);
    CHECK(refused_records == 0);
  }
}

TEST_CASE(
    "write transactions: a wrong password is the attempt and one write for the failure and "
    "its record",
    "[writes][login]") {
  World w;
  const auto [writes, records] = w.Count(
      [&] { CHECK_FALSE(w.auth->generate_customer_token("roni_cost@example.com", "wrong").ok()); });
  CHECK(writes == 2);  // admit_login_attempt, record_attempt_failure (with login.failure)
  CHECK(records == 1);

  SECTION("the right one: the attempt and one sign-in write with login.success") {
    const auto [ok_writes, ok_records] = w.Count([&] {
      CHECK(w.auth->generate_customer_token("roni_cost@example.com", "Roni_Cost123").ok());
    });
    CHECK(ok_writes == 2);
    CHECK(ok_records == 1);
  }
  SECTION("the failure that locks: still one write, with login.failure and customer.lock") {
    World unthrottled(/*throttle=*/false);  // the account lock (10) is what bounds
    for (int k = 0; k < 9; ++k) {
      CHECK_FALSE(unthrottled.auth->generate_customer_token("roni_cost@example.com", "wrong").ok());
    }
    const auto [lock_writes, lock_records] = unthrottled.Count([&] {
      CHECK_FALSE(unthrottled.auth->generate_customer_token("roni_cost@example.com", "wrong").ok());
    });
    CHECK(lock_writes == 2);
    CHECK(lock_records == 2);
    AuditQuery q;
    q.limit = 1000;
    CHECK(unthrottled.counter->list_audit(q).value().back().event == "customer.lock");
  }
}

}  // namespace write_count_test
