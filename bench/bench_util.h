// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers of the storage benchmarks: fresh database files, and a Storage that forwards to another
// and counts the calls that write, so that a benchmark can say how many write transactions one
// operation costs (and give its floor the same number).
#ifndef CUSTAUTH_BENCH_BENCH_UTIL_H_
#define CUSTAUTH_BENCH_BENCH_UTIL_H_

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "custauth/storage.h"
#include "custauth/storage_wrapper.h"

namespace custauth_bench {

[[noreturn]] inline void Die(const char* what, const custauth::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.to_string().c_str());
  std::exit(1);
}

// Where the benchmarks put their database files: $CUSTAUTH_BENCH_DIR, else the current directory
// (scripts/bench runs them in build/bench, on the same file system as the source tree).
inline std::string BenchFile(const std::string& name) {
  const char* dir = std::getenv("CUSTAUTH_BENCH_DIR");
  std::string path = (dir != nullptr && *dir != '\0') ? std::string(dir) + "/" : std::string();
  path += name;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove((path + suffix).c_str());
  }
  return path;
}

// Forwards every call to its target (custauth::StorageWrapper), counting those that write and
// those that read.
class CountingStorage final : public custauth::StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;

  // Calls to the methods that write, and to those that only read.
  std::int64_t writes() const { return writes_.load(); }
  std::int64_t reads() const { return reads_.load(); }

  custauth::Result<custauth::Customer> create_customer(const custauth::NewCustomer& c,
                                                       custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::create_customer(c, now);
  }
  custauth::Result<custauth::FindOrCreateResult> find_or_create_customer(
      const custauth::NewCustomer& c, custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::find_or_create_customer(c, now);
  }
  custauth::Result<custauth::Customer> find_customer_by_email(std::int64_t website_id,
                                                              std::string_view email) override {
    ++reads_;
    return StorageWrapper::find_customer_by_email(website_id, email);
  }
  custauth::Result<custauth::Customer> find_customer_by_id(std::int64_t id) override {
    ++reads_;
    return StorageWrapper::find_customer_by_id(id);
  }
  custauth::Result<custauth::Customer> update_customer(
      std::int64_t id, const custauth::CustomerPatch& patch, custauth::TimeMs now,
      std::span<const custauth::AuditRecord> audit = {}) override {
    ++writes_;
    return StorageWrapper::update_customer(id, patch, now, audit);
  }
  custauth::Result<custauth::LockState> record_login_failure(
      std::int64_t customer_id, custauth::TimeMs now,
      const custauth::LockoutPolicy& policy) override {
    ++writes_;
    return StorageWrapper::record_login_failure(customer_id, now, policy);
  }
  custauth::Result<custauth::Customer> admit_login_attempt(const custauth::LoginAttempt& a,
                                                           custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::admit_login_attempt(a, now);
  }
  custauth::Result<custauth::SignInResult> record_sign_in(const custauth::LoginAttempt& a,
                                                          const custauth::SignIn& s,
                                                          const custauth::Clock& clock) override {
    ++writes_;
    return StorageWrapper::record_sign_in(a, s, clock);
  }
  custauth::Result<custauth::LockState> record_attempt_failure(
      const custauth::LoginAttempt& a, custauth::TimeMs now,
      const custauth::AuditOf<custauth::LockState>& audit = {}) override {
    ++writes_;
    return StorageWrapper::record_attempt_failure(a, now, audit);
  }
  custauth::Status release_login_attempt(const custauth::LoginAttempt& a,
                                         custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::release_login_attempt(a, now);
  }
  custauth::Result<custauth::ThrottleState> throttle_state(std::int64_t website_id,
                                                           std::string_view email_key,
                                                           custauth::TimeMs now) override {
    ++reads_;
    return StorageWrapper::throttle_state(website_id, email_key, now);
  }
  custauth::Status put_secret(const custauth::SecretRecord& s,
                              std::span<const custauth::AuditRecord> audit = {}) override {
    ++writes_;
    return StorageWrapper::put_secret(s, audit);
  }
  custauth::Result<custauth::SecretRecord> consume_secret(custauth::SecretKind kind,
                                                          std::int64_t customer_id,
                                                          std::string_view hash,
                                                          custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::consume_secret(kind, customer_id, hash, now);
  }
  custauth::Result<custauth::Customer> delete_customer(
      std::int64_t id, custauth::TimeMs now,
      std::span<const custauth::AuditRecord> audit = {}) override {
    ++writes_;
    return StorageWrapper::delete_customer(id, now, audit);
  }
  custauth::Status take_rate_slots(std::span<const custauth::RateRule> rules,
                                   custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::take_rate_slots(rules, now);
  }
  custauth::Status insert_nonce(std::string_view consumer_key, std::string_view nonce,
                                custauth::TimeMs expires_at, custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::insert_nonce(consumer_key, nonce, expires_at, now);
  }
  custauth::Result<std::int64_t> prune_nonces(custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::prune_nonces(now);
  }
  custauth::Result<std::uint64_t> revocation_epoch() override {
    ++reads_;
    return StorageWrapper::revocation_epoch();
  }
  custauth::Status put_opaque_token(const custauth::OpaqueTokenRecord& t) override {
    ++writes_;
    return StorageWrapper::put_opaque_token(t);
  }
  custauth::Result<custauth::OpaqueTokenRecord> find_opaque_token(std::string_view hash) override {
    ++reads_;
    return StorageWrapper::find_opaque_token(hash);
  }
  custauth::Result<std::int64_t> prune_opaque_tokens(custauth::TimeMs before) override {
    ++writes_;
    return StorageWrapper::prune_opaque_tokens(before);
  }
  custauth::Result<custauth::Integration> create_integration(
      const custauth::Integration& i) override {
    ++writes_;
    return StorageWrapper::create_integration(i);
  }
  custauth::Result<custauth::Integration> find_integration(std::string_view consumer_key) override {
    ++reads_;
    return StorageWrapper::find_integration(consumer_key);
  }
  custauth::Result<std::vector<custauth::Integration>> list_integrations() override {
    ++reads_;
    return StorageWrapper::list_integrations();
  }
  custauth::Status set_integration_permissions(
      std::string_view consumer_key, const std::vector<std::string>& permissions) override {
    ++writes_;
    return StorageWrapper::set_integration_permissions(consumer_key, permissions);
  }
  custauth::Status revoke_integration(std::string_view consumer_key,
                                      custauth::TimeMs now) override {
    ++writes_;
    return StorageWrapper::revoke_integration(consumer_key, now);
  }
  custauth::Result<std::int64_t> append_audit(const custauth::AuditRecord& r) override {
    ++writes_;
    return StorageWrapper::append_audit(r);
  }
  custauth::Result<std::vector<custauth::AuditRecord>> list_audit(
      const custauth::AuditQuery& q) override {
    ++reads_;
    return StorageWrapper::list_audit(q);
  }

 private:
  std::atomic<std::int64_t> writes_{0};
  std::atomic<std::int64_t> reads_{0};
};

}  // namespace custauth_bench

#endif  // CUSTAUTH_BENCH_BENCH_UTIL_H_
