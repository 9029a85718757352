// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// StorageWrapper: a Storage that forwards every call to another one, so that a host (or a test, or
// a benchmark) can observe or change a few calls by overriding just those, and inherit the rest:
//
//   class CountingStorage : public custauth::StorageWrapper {
//    public:
//     using StorageWrapper::StorageWrapper;
//     custauth::Result<custauth::Customer> find_customer_by_id(std::int64_t id) override {
//       ++lookups;
//       return StorageWrapper::find_customer_by_id(id);
//     }
//     std::atomic<int> lookups{0};
//   };
//
// Every virtual method of Storage is forwarded as it is, the defaults included (a wrapped backend
// that implements import_customers is reached through the wrapper too). A method added to Storage
// is added here in the same change; the storage conformance suite runs against a wrapper to hold
// that. Thread safety: as the wrapped Storage's.
#ifndef CUSTAUTH_STORAGE_WRAPPER_H_
#define CUSTAUTH_STORAGE_WRAPPER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custauth/storage.h"

namespace custauth {

class StorageWrapper : public Storage {
 public:
  // `target` must not be null.
  explicit StorageWrapper(std::shared_ptr<Storage> target) : target_(std::move(target)) {}

  // The Storage every call goes to.
  Storage& target() const { return *target_; }
  const std::shared_ptr<Storage>& shared_target() const { return target_; }

  std::string describe() const override { return target_->describe(); }

  Result<Customer> create_customer(const NewCustomer& c, TimeMs now) override {
    return target_->create_customer(c, now);
  }
  Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) override {
    return target_->find_or_create_customer(c, now);
  }
  Result<Customer> find_customer_by_email(std::int64_t website_id,
                                          std::string_view email) override {
    return target_->find_customer_by_email(website_id, email);
  }
  Result<Customer> find_customer_by_id(std::int64_t id) override {
    return target_->find_customer_by_id(id);
  }
  // The defaults are Storage's, for calls through a wrapper's own type.
  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,
                                   std::span<const AuditRecord> audit = {}) override {
    return target_->update_customer(id, patch, now, audit);
  }
  Result<std::vector<ImportOutcome>> import_customers(std::span<const ImportedCustomer> rows,
                                                      ImportConflict on_conflict) override {
    return target_->import_customers(rows, on_conflict);
  }
  Result<Customer> delete_customer(std::int64_t id, TimeMs now,
                                   std::span<const AuditRecord> audit = {}) override {
    return target_->delete_customer(id, now, audit);
  }

  Result<LockState> record_login_failure(std::int64_t customer_id, TimeMs now,
                                         const LockoutPolicy& policy) override {
    return target_->record_login_failure(customer_id, now, policy);
  }
  Result<Customer> admit_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    return target_->admit_login_attempt(attempt, now);
  }
  Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,
                                      const Clock& clock) override {
    return target_->record_sign_in(attempt, sign_in, clock);
  }
  Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                           const AuditOf<LockState>& audit = {}) override {
    return target_->record_attempt_failure(attempt, now, audit);
  }
  Status release_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    return target_->release_login_attempt(attempt, now);
  }
  Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,
                                       TimeMs now) override {
    return target_->throttle_state(website_id, email_key, now);
  }

  Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit = {}) override {
    return target_->put_secret(s, audit);
  }
  Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,
                                      std::string_view hash, TimeMs now) override {
    return target_->consume_secret(kind, customer_id, hash, now);
  }
  Status void_secrets(SecretKind kind, std::int64_t customer_id) override {
    return target_->void_secrets(kind, customer_id);
  }

  Status take_rate_slots(std::span<const RateRule> rules, TimeMs now) override {
    return target_->take_rate_slots(rules, now);
  }

  Status insert_nonce(std::string_view consumer_key, std::string_view nonce, TimeMs expires_at,
                      TimeMs now) override {
    return target_->insert_nonce(consumer_key, nonce, expires_at, now);
  }
  Result<std::int64_t> prune_nonces(TimeMs now) override { return target_->prune_nonces(now); }

  Result<std::uint64_t> revocation_epoch() override { return target_->revocation_epoch(); }

  Status put_opaque_token(const OpaqueTokenRecord& t) override {
    return target_->put_opaque_token(t);
  }
  Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) override {
    return target_->find_opaque_token(hash);
  }
  Result<std::int64_t> prune_opaque_tokens(TimeMs before) override {
    return target_->prune_opaque_tokens(before);
  }

  Result<SessionRecord> create_session(const SessionRecord& s) override {
    return target_->create_session(s);
  }
  Result<SessionRecord> find_session(std::int64_t id) override { return target_->find_session(id); }
  Result<std::vector<SessionRecord>> list_sessions(std::int64_t customer_id, TimeMs now) override {
    return target_->list_sessions(customer_id, now);
  }
  Result<SessionRecord> revoke_session(std::int64_t id, TimeMs now) override {
    return target_->revoke_session(id, now);
  }
  Result<SessionRenewal> renew_session(std::int64_t id, std::int64_t customer_id,
                                       TimeMs token_issued_at, const Clock& clock) override {
    return target_->renew_session(id, customer_id, token_issued_at, clock);
  }

  Result<Integration> create_integration(const Integration& i) override {
    return target_->create_integration(i);
  }
  Result<Integration> find_integration(std::string_view consumer_key) override {
    return target_->find_integration(consumer_key);
  }
  Result<std::vector<Integration>> list_integrations() override {
    return target_->list_integrations();
  }
  Status set_integration_permissions(std::string_view consumer_key,
                                     const std::vector<std::string>& permissions) override {
    return target_->set_integration_permissions(consumer_key, permissions);
  }
  Status revoke_integration(std::string_view consumer_key, TimeMs now) override {
    return target_->revoke_integration(consumer_key, now);
  }

  void set_retention(const RetentionPolicy& policy) override { target_->set_retention(policy); }
  Result<PruneCounts> prune(TimeMs now, const RetentionPolicy& policy) override {
    return target_->prune(now, policy);
  }

  Result<std::int64_t> append_audit(const AuditRecord& r) override {
    return target_->append_audit(r);
  }
  Result<std::vector<AuditRecord>> list_audit(const AuditQuery& q) override {
    return target_->list_audit(q);
  }

 private:
  std::shared_ptr<Storage> target_;
};

}  // namespace custauth

#endif  // CUSTAUTH_STORAGE_WRAPPER_H_
