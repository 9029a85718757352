// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// MemoryStorage: the whole state of a Storage in plain maps behind one mutex. Every method takes
// the mutex once, so each is atomic with respect to every other, which is all storage.h asks of a
// backend within one process. Nothing is persisted.

#include "custauth/memory_storage.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/sys/storage_backend.h"
#include "session_checks.h"
#include "storage_internal.h"

namespace custauth {
namespace {

// The refusals and helpers every backend shares (storage_internal.h).
using namespace internal;  // NOLINT(google-build-using-namespace)

// The events of one rate-limit bucket, oldest first.
struct Bucket {
  std::deque<TimeMs> events;
  TimeMs widest_window = 0;  // the widest window any rule has used on this bucket
  // When the bucket and its events expire: its newest event plus the widest window (or
  // min_interval) any rule has used on it.
  TimeMs expires_at = 0;
};

class MemoryStorage final : public Storage {
 public:
  MemoryStorage() = default;

  std::string describe() const override { return "memory"; }

  // --- Customers ---

  Result<Customer> create_customer(const NewCustomer& c, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    return CreateLocked(c, now);
  }

  Result<FindOrCreateResult> find_or_create_customer(const NewCustomer& c, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_email_.find({c.website_id, EmailKey(c.email)});
    if (it != by_email_.end()) {
      return FindOrCreateResult{customers_.at(it->second), false};
    }
    Result<Customer> created = CreateLocked(c, now);
    if (!created.ok()) return created.status();
    return FindOrCreateResult{std::move(created).value(), true};
  }

  Result<Customer> find_customer_by_email(std::int64_t website_id,
                                          std::string_view email) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_email_.find({website_id, EmailKey(email)});
    if (it == by_email_.end()) return NoSuchEmail(email);
    return customers_.at(it->second);
  }

  Result<Customer> find_customer_by_id(std::int64_t id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(id);
    if (it == customers_.end()) return NoSuchCustomerId(id);
    return it->second;
  }

  Result<Customer> update_customer(std::int64_t id, const CustomerPatch& patch, TimeMs now,
                                   std::span<const AuditRecord> audit) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(id);
    if (it == customers_.end()) return NoSuchCustomerId(id);
    Customer& c = it->second;
    // The backend's writes below cannot fail, so the patch applies whole or not at all.
    CUSTAUTH_RETURN_IF_ERROR(internal::ApplyCustomerPatch(
        c, patch, now,
        [&] {
          VoidLocked(SecretKind::kAdminOtc, id);
          return Status::Ok();
        },
        [&] {
          ++revocation_epoch_;
          return Status::Ok();
        }));
    AppendAuditLocked(audit);
    return c;
  }

  Result<std::vector<ImportOutcome>> import_customers(std::span<const ImportedCustomer> rows,
                                                      ImportConflict on_conflict) override {
    std::lock_guard<std::mutex> lock(mu_);
    // Checked before anything changes: a row with id 0 (a new customer, the next id assigned)
    // must find an id even if every such row were created.
    std::int64_t next = next_customer_id_;
    for (const ImportedCustomer& row : rows) {
      if (row.customer.id < 0) {
        return Status(Code::kInvalidInput, "An imported customer needs an id above 0, or 0");
      }
      if (row.customer.id > kMaxCustomerId) return CustomerIdTooLarge(row.customer.id);
      if (row.customer.id == 0 && next++ > kMaxCustomerId) return NoCustomerIdLeft("memory");
      if (row.customer.id > 0) next = std::max(next, row.customer.id + 1);
    }
    std::vector<ImportOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const ImportedCustomer& given : rows) {
      if (given.tokens_revoked_at > 0) ++revocation_epoch_;
      ImportedCustomer assigned;
      const ImportedCustomer* row_ptr = &given;
      if (given.customer.id == 0) {
        assigned = given;
        assigned.customer.id = next_customer_id_;
        row_ptr = &assigned;
      }
      const ImportedCustomer& row = *row_ptr;
      const NewCustomer& c = row.customer;
      std::pair<std::int64_t, std::string> email_key{c.website_id, EmailKey(c.email)};
      auto by_email = by_email_.find(email_key);
      auto by_id = customers_.find(c.id);
      const bool email_taken = by_email != by_email_.end();
      if (!email_taken && by_id == customers_.end()) {
        Customer stored = row.to_customer();
        NoteIdTaken(stored.id);
        by_email_.emplace(std::move(email_key), stored.id);
        customers_.emplace(stored.id, std::move(stored));
        outcomes.push_back(ImportOutcome::kCreated);
        continue;
      }
      if (on_conflict == ImportConflict::kSkip) {
        outcomes.push_back(ImportOutcome::kSkipped);
        continue;
      }
      if (on_conflict == ImportConflict::kFail || given.customer.id == 0 ||
          by_id == customers_.end() || (email_taken && by_email->second != c.id)) {
        outcomes.push_back(ImportOutcome::kConflict);
        if (on_conflict == ImportConflict::kFail) break;
        continue;
      }
      Customer& stored = by_id->second;
      Customer updated = row.to_customer();
      updated.tokens_revoked_at = std::max(stored.tokens_revoked_at, row.tokens_revoked_at);
      if (!updated.allow_remote_shopping_assistance) VoidLocked(SecretKind::kAdminOtc, c.id);
      by_email_.erase({stored.website_id, EmailKey(stored.email)});
      by_email_.emplace(std::move(email_key), c.id);
      stored = std::move(updated);
      outcomes.push_back(ImportOutcome::kUpdated);
    }
    return outcomes;
  }

  Result<Customer> delete_customer(std::int64_t id, TimeMs /*now*/,
                                   std::span<const AuditRecord> audit) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(id);
    if (it == customers_.end()) return NoSuchCustomerId(id);
    const Customer erased = it->second;
    // Everything that can throw (copies, allocations) comes before the first change.
    std::vector<std::string> client_ips;
    std::vector<std::pair<std::int64_t, AuditRecord>> rewritten;
    for (const auto& [k, stored] : audit_) {
      if (!AuditRecordNamesCustomer(stored, erased)) continue;
      AuditRecord r = stored;
      client_ips.push_back(r.client_ip);
      if (EraseCustomerFromAuditRecord(r, erased)) rewritten.emplace_back(k, std::move(r));
    }
    const std::vector<std::string> suffixes = ErasedRateBucketSuffixes(erased, client_ips);
    for (auto& [k, r] : rewritten) audit_[k] = std::move(r);
    for (auto b = buckets_.begin(); b != buckets_.end();) {
      if (RateBucketNamesErased(b->first, suffixes)) {
        bucket_expiry_.erase({b->second.expires_at, b->first});
        b = buckets_.erase(b);
      } else {
        ++b;
      }
    }
    login_counters_.erase(internal::AccountCounterKey(id));
    std::erase_if(login_counters_,
                  [&](const auto& kv) { return RateBucketNamesErased(kv.first, suffixes); });
    std::erase_if(secrets_, [&](const auto& kv) { return kv.first.first == id; });
    std::erase_if(opaque_tokens_, [&](const auto& kv) { return kv.second.customer_id == id; });
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.customer_id == id; });
    by_email_.erase({erased.website_id, EmailKey(erased.email)});
    customers_.erase(it);
    // next_customer_id_ stays past the id: it is never assigned again.
    ++revocation_epoch_;
    AppendAuditLocked(audit);
    return erased;
  }

  // --- Lockout ---

  Result<LockState> record_login_failure(std::int64_t customer_id, TimeMs now,
                                         const LockoutPolicy& policy) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = customers_.find(customer_id);
    if (it == customers_.end()) return NoSuchCustomerId(customer_id);
    Customer& c = it->second;
    const LockState state = ApplyLoginFailure(c, now, policy);
    c.updated_at = now;
    return state;
  }

  // --- Login attempts ---

  Result<Customer> admit_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn tx(*this);
    return internal::AdmitLoginAttempt(tx, attempt, now);
  }

  Result<SignInResult> record_sign_in(const LoginAttempt& attempt, const SignIn& sign_in,
                                      const Clock& clock) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn tx(*this);
    return internal::SignInAnswer(internal::RecordSignIn(tx, attempt, sign_in, clock));
  }

  Result<LockState> record_attempt_failure(const LoginAttempt& attempt, TimeMs now,
                                           const AuditOf<LockState>& audit) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn tx(*this);
    return internal::RecordAttemptFailure(tx, attempt, now, audit);
  }

  Status release_login_attempt(const LoginAttempt& attempt, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn tx(*this);
    return internal::ReleaseLoginAttempt(tx, attempt, now);
  }

  Result<ThrottleState> throttle_state(std::int64_t website_id, std::string_view email_key,
                                       TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn tx(*this);
    return internal::ReadThrottleState(tx, website_id, email_key, now);
  }

  // --- One-time secrets ---

  Status put_secret(const SecretRecord& s, std::span<const AuditRecord> audit) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (customers_.find(s.customer_id) == customers_.end()) return NoSuchCustomerId(s.customer_id);
    SecretRecord stored = s;
    stored.used_at.reset();
    secrets_[{s.customer_id, s.kind}] = std::move(stored);
    AppendAuditLocked(audit);
    return Status::Ok();
  }

  Result<SecretRecord> consume_secret(SecretKind kind, std::int64_t customer_id,
                                      std::string_view hash, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = secrets_.find({customer_id, kind});
    if (it == secrets_.end() || it->second.used_at.has_value() || it->second.hash != hash) {
      return Status(Code::kNotFound, "No such secret");
    }
    if (now >= it->second.expires_at) return Status(Code::kExpired, "The secret is expired");
    it->second.used_at = now;
    return it->second;
  }

  Status void_secrets(SecretKind kind, std::int64_t customer_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    VoidLocked(kind, customer_id);
    return Status::Ok();
  }

  // --- Rate limits ---

  Status take_rate_slots(std::span<const RateRule> rules, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    // Check every rule first; record only when all of them allow the request.
    for (const RateRule& rule : rules) {
      auto it = buckets_.find(rule.bucket);
      if (it == buckets_.end()) {
        if (rule.max_in_window <= 0) return RateLimited();
        continue;
      }
      const std::deque<TimeMs>& events = it->second.events;
      const auto counted = std::count_if(events.begin(), events.end(), [&](TimeMs t) {
        return t > now - rule.window && t <= now;
      });
      if (counted >= rule.max_in_window) return RateLimited();
      if (rule.min_interval > 0 && !events.empty() && now - events.back() < rule.min_interval) {
        return RateLimited();
      }
    }
    std::set<std::string_view> recorded;
    for (const RateRule& rule : rules) {
      Bucket& b = buckets_[rule.bucket];
      b.widest_window = std::max(b.widest_window, rule.window);
      const TimeMs expires = now + std::max(rule.window, rule.min_interval);
      if (expires > b.expires_at) {
        bucket_expiry_.erase({b.expires_at, rule.bucket});
        b.expires_at = expires;
      }
      bucket_expiry_.insert({b.expires_at, rule.bucket});
      if (!recorded.insert(rule.bucket).second) continue;  // one event per bucket per request
      b.events.insert(std::upper_bound(b.events.begin(), b.events.end(), now), now);
    }
    for (const RateRule& rule : rules) {
      // Prune what no window seen on this bucket can count any more; keep the newest event for
      // min_interval.
      Bucket& b = buckets_[rule.bucket];
      while (b.events.size() > 1 && b.events.front() <= now - b.widest_window) {
        b.events.pop_front();
      }
    }
    PruneBucketsLocked(now, retention_.get().per_write, nullptr);
    return Status::Ok();
  }

  // --- OAuth nonces ---

  Status insert_nonce(std::string_view consumer_key, std::string_view nonce, TimeMs expires_at,
                      TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    NonceKey key{std::string(consumer_key), std::string(nonce)};
    auto it = nonces_.find(key);
    if (it != nonces_.end() && it->second.expires_at > now) {
      return Status(Code::kAlreadyExists, "The nonce is already being used by the consumer");
    }
    // The expiry entry first: if either allocation fails, nothing has changed.
    auto by_expiry = nonce_expiry_.emplace(expires_at, nullptr);
    if (it != nonces_.end()) {  // expired, not yet pruned: renewed in place
      nonce_expiry_.erase(it->second.by_expiry);
    } else {
      try {
        it = nonces_.emplace(std::move(key), NonceEntry{}).first;
      } catch (...) {
        nonce_expiry_.erase(by_expiry);
        throw;
      }
    }
    it->second = NonceEntry{expires_at, by_expiry};
    by_expiry->second = &it->first;
    PruneNoncesLocked(now, retention_.get().per_write);
    return Status::Ok();
  }

  // Walks only the expired nonces, oldest first, through the index by expiry.
  Result<std::int64_t> prune_nonces(TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    return PruneNoncesLocked(now, -1);
  }

  // --- Revocation ---

  Result<std::uint64_t> revocation_epoch() override {
    std::lock_guard<std::mutex> lock(mu_);
    return revocation_epoch_;
  }

  // --- Opaque tokens ---

  Status put_opaque_token(const OpaqueTokenRecord& t) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!opaque_tokens_.emplace(t.hash, t).second) {
      return Status(Code::kAlreadyExists, "The token already exists");
    }
    // No index by expiry here (tests): a walk that stops after per_write expired tokens.
    const RetentionPolicy policy = retention_.get();
    const TimeMs cutoff = internal::GraceCutoff(policy, t.issued_at);
    int left = policy.per_write;
    for (auto it = opaque_tokens_.begin(); it != opaque_tokens_.end() && left > 0;) {
      if (it->second.expires_at <= cutoff) {
        it = opaque_tokens_.erase(it);
        --left;
      } else {
        ++it;
      }
    }
    return Status::Ok();
  }

  Result<OpaqueTokenRecord> find_opaque_token(std::string_view hash) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = opaque_tokens_.find(std::string(hash));
    if (it == opaque_tokens_.end()) return Status(Code::kNotFound, "No such token");
    return it->second;
  }

  Result<std::int64_t> prune_opaque_tokens(TimeMs before) override {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<std::int64_t>(std::erase_if(
        opaque_tokens_, [&](const auto& kv) { return kv.second.expires_at <= before; }));
  }

  // --- Sessions ---

  Result<SessionRecord> create_session(const SessionRecord& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!customers_.contains(s.customer_id)) return NoSuchCustomerId(s.customer_id);
    const RetentionPolicy policy = retention_.get();
    const TimeMs cutoff = internal::GraceCutoff(policy, s.created_at);
    int left = policy.per_write;
    for (auto it = sessions_.begin(); it != sessions_.end() && left > 0;) {
      if (internal::SessionEndedBy(it->second, cutoff)) {
        it = sessions_.erase(it);
        --left;
      } else {
        ++it;
      }
    }
    SessionRecord stored = s;
    stored.id = next_session_id_++;
    stored.revoked_at = 0;
    sessions_.emplace(stored.id, stored);
    return stored;
  }

  Result<SessionRecord> find_session(std::int64_t id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return internal::NoSuchSession(id);
    return it->second;
  }

  Result<std::vector<SessionRecord>> list_sessions(std::int64_t customer_id, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<SessionRecord> out;
    for (const auto& [id, s] : sessions_) {
      if (s.customer_id == customer_id && internal::SessionLive(s, now)) out.push_back(s);
    }
    return out;
  }

  Result<SessionRecord> revoke_session(std::int64_t id, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return internal::NoSuchSession(id);
    if (it->second.revoked_at == 0) it->second.revoked_at = now;
    ++revocation_epoch_;
    return it->second;
  }

  Result<SessionRenewal> renew_session(std::int64_t id, std::int64_t customer_id,
                                       TimeMs token_issued_at, const Clock& clock) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.customer_id != customer_id) {
      return internal::NoSuchSession(id);
    }
    const TimeMs now = clock.now();
    auto c = customers_.find(customer_id);
    const Customer* customer = c == customers_.end() ? nullptr : &c->second;
    CUSTAUTH_RETURN_IF_ERROR(internal::JudgeRenewal(it->second, customer, token_issued_at, now));
    it->second.renewed_at = now;
    return SessionRenewal{it->second, *customer, now};
  }

  // --- Integrations ---

  Result<Integration> create_integration(const Integration& i) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, existing] : integrations_) {
      if (existing.consumer_key == i.consumer_key) {
        return Status(Code::kAlreadyExists, "An integration with this consumer key already exists");
      }
      if (existing.access_token == i.access_token) {
        return Status(Code::kAlreadyExists, "An integration with this access token already exists");
      }
    }
    Integration stored = i;
    stored.id = next_integration_id_++;
    stored.permissions = SortedUnique(i.permissions);
    integrations_.emplace(stored.id, stored);
    return stored;
  }

  Result<Integration> find_integration(std::string_view consumer_key) override {
    std::lock_guard<std::mutex> lock(mu_);
    Integration* i = FindIntegrationLocked(consumer_key);
    if (i == nullptr) return NoSuchIntegration(consumer_key);
    return *i;
  }

  Result<std::vector<Integration>> list_integrations() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Integration> all;
    all.reserve(integrations_.size());
    for (const auto& [id, i] : integrations_) all.push_back(i);
    return all;
  }

  Status set_integration_permissions(std::string_view consumer_key,
                                     const std::vector<std::string>& permissions) override {
    std::lock_guard<std::mutex> lock(mu_);
    Integration* i = FindIntegrationLocked(consumer_key);
    if (i == nullptr) return NoSuchIntegration(consumer_key);
    i->permissions = SortedUnique(permissions);
    return Status::Ok();
  }

  Status revoke_integration(std::string_view consumer_key, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Integration* i = FindIntegrationLocked(consumer_key);
    if (i == nullptr) return NoSuchIntegration(consumer_key);
    i->active = false;
    i->revoked_at = now;
    return Status::Ok();
  }

  // --- Audit ---

  Result<std::int64_t> append_audit(const AuditRecord& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    return AppendAuditLocked(r);
  }

  // REQUIRES: mu_ held. Appends `r` with the next id, and prunes as append_audit does.
  std::int64_t AppendAuditLocked(const AuditRecord& r) {
    AuditRecord stored = r;
    stored.id = next_audit_id_++;
    const std::int64_t id = stored.id;
    audit_.emplace(id, std::move(stored));
    const RetentionPolicy policy = retention_.get();
    PruneAuditLocked(internal::AuditCutoff(policy, r.at), policy.per_write);
    return id;
  }
  void AppendAuditLocked(std::span<const AuditRecord> records) {
    for (const AuditRecord& r : records) AppendAuditLocked(r);
  }

  Result<std::vector<AuditRecord>> list_audit(const AuditQuery& q) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<AuditRecord> out;
    for (auto it = audit_.upper_bound(q.after_id); it != audit_.end() && out.size() < q.limit;
         ++it) {
      if (q.customer_id && it->second.customer_id != q.customer_id) continue;
      out.push_back(it->second);
    }
    return out;
  }

  // --- Retention ---

  void set_retention(const RetentionPolicy& policy) override { retention_.set(policy); }

  // Secrets have no index by time here (MemoryStorage serves tests): put_secret prunes none (a
  // customer has at most one secret of each kind), this does.
  Result<PruneCounts> prune(TimeMs now, const RetentionPolicy& policy) override {
    std::lock_guard<std::mutex> lock(mu_);
    PruneCounts counts;
    PruneBucketsLocked(now, -1, &counts);
    counts.nonces = PruneNoncesLocked(now, -1);
    const TimeMs grace_cutoff = internal::GraceCutoff(policy, now);
    counts.secrets = static_cast<std::int64_t>(std::erase_if(secrets_, [&](const auto& kv) {
      const SecretRecord& r = kv.second;
      return r.expires_at <= grace_cutoff || (r.used_at && *r.used_at <= grace_cutoff);
    }));
    counts.opaque_tokens = static_cast<std::int64_t>(std::erase_if(
        opaque_tokens_, [&](const auto& kv) { return kv.second.expires_at <= grace_cutoff; }));
    counts.sessions = static_cast<std::int64_t>(std::erase_if(sessions_, [&](const auto& kv) {
      return internal::SessionEndedBy(kv.second, grace_cutoff);
    }));
    const TimeMs audit_cutoff = internal::AuditCutoff(policy, now);
    counts.audit = static_cast<std::int64_t>(
        std::erase_if(audit_, [&](const auto& kv) { return kv.second.at <= audit_cutoff; }));
    return counts;
  }

 private:
  // REQUIRES: mu_ held. Removes up to `limit` expired buckets (all when limit < 0) with their
  // events, counting them in `counts` when given.
  void PruneBucketsLocked(TimeMs now, int limit, PruneCounts* counts) {
    for (auto e = bucket_expiry_.begin();
         e != bucket_expiry_.end() && e->first <= now && limit != 0;) {
      auto it = buckets_.find(e->second);
      if (counts != nullptr) {
        counts->rate_events += static_cast<std::int64_t>(it->second.events.size());
        ++counts->rate_buckets;
      }
      buckets_.erase(it);
      e = bucket_expiry_.erase(e);
      if (limit > 0) --limit;
    }
  }

  // REQUIRES: mu_ held. Removes up to `limit` expired nonces (all when limit < 0), oldest first,
  // through the index by expiry.
  std::int64_t PruneNoncesLocked(TimeMs now, int limit) {
    std::int64_t pruned = 0;
    for (auto e = nonce_expiry_.begin();
         e != nonce_expiry_.end() && e->first <= now && limit != pruned;
         e = nonce_expiry_.erase(e)) {
      nonces_.erase(nonces_.find(*e->second));
      ++pruned;
    }
    return pruned;
  }

  // REQUIRES: mu_ held. Removes up to `limit` of the oldest records (by id) at or before
  // `cutoff`, stopping at the first newer one.
  void PruneAuditLocked(TimeMs cutoff, int limit) {
    for (auto it = audit_.begin(); it != audit_.end() && limit > 0 && it->second.at <= cutoff;
         --limit) {
      it = audit_.erase(it);
    }
  }

  // REQUIRES: mu_ held.
  Result<Customer> CreateLocked(const NewCustomer& c, TimeMs now) {
    if (c.id < 0) return Status(Code::kInvalidInput, "A customer id must be positive");
    if (c.id > kMaxCustomerId) return CustomerIdTooLarge(c.id);
    if (c.id == 0 && next_customer_id_ > kMaxCustomerId) return NoCustomerIdLeft("memory");
    std::pair<std::int64_t, std::string> email_key{c.website_id, EmailKey(c.email)};
    if (by_email_.count(email_key) != 0) return Status(Code::kAlreadyExists, msg::kCustomerExists);
    if (c.id > 0 && customers_.count(c.id) != 0) {
      return CustomerIdTaken(c.id);
    }
    if (c.id == 0 && customers_.count(next_customer_id_) != 0) {
      return Status(Code::kStorage, "memory: no customer id is left to assign");
    }
    Customer stored = c.to_customer(c.id > 0 ? c.id : next_customer_id_, now);
    NoteIdTaken(stored.id);
    by_email_.emplace(std::move(email_key), stored.id);
    customers_.emplace(stored.id, stored);
    return stored;
  }

  // REQUIRES: mu_ held. The next assigned id comes after `id` (saturating: no overflow at the
  // largest id; CreateLocked then finds the id taken).
  void NoteIdTaken(std::int64_t id) {
    if (id < std::numeric_limits<std::int64_t>::max()) {
      next_customer_id_ = std::max(next_customer_id_, id + 1);
    }
  }

  // REQUIRES: mu_ held.
  void VoidLocked(SecretKind kind, std::int64_t customer_id) {
    auto it = secrets_.find({customer_id, kind});
    if (it != secrets_.end() && !it->second.used_at.has_value()) secrets_.erase(it);
  }

  // REQUIRES: mu_ held.
  Integration* FindIntegrationLocked(std::string_view consumer_key) {
    for (auto& [id, i] : integrations_) {
      if (i.consumer_key == consumer_key) return &i;
    }
    return nullptr;
  }

  // The login operations over the maps, under mu_ (held by the caller).
  class Txn final : public internal::LoginTxn {
   public:
    explicit Txn(MemoryStorage& s) : s_(s) {}
    Result<std::optional<Customer>> customer(std::int64_t id) override {
      auto it = s_.customers_.find(id);
      if (it == s_.customers_.end()) return std::optional<Customer>();
      return std::optional<Customer>(it->second);
    }
    Status write_customer(const Customer& c) override {
      s_.customers_.at(c.id) = c;
      return Status::Ok();
    }
    Result<internal::LoginCounter> counter(const std::string& key) override {
      auto it = s_.login_counters_.find(key);
      if (it == s_.login_counters_.end()) return internal::LoginCounter{};
      return it->second;
    }
    Status write_counter(const std::string& key, const internal::LoginCounter& c,
                         TimeMs now) override {
      if (c.empty_at(now)) {
        s_.login_counters_.erase(key);
      } else {
        s_.login_counters_[key] = c;
      }
      return Status::Ok();
    }
    Result<std::optional<SecretRecord>> unused_secret(SecretKind kind, std::int64_t customer_id,
                                                      std::string_view hash) override {
      auto it = s_.secrets_.find({customer_id, kind});
      if (it == s_.secrets_.end() || it->second.used_at.has_value() || it->second.hash != hash) {
        return std::optional<SecretRecord>();
      }
      return std::optional<SecretRecord>(it->second);
    }
    Status mark_secret_used(SecretKind kind, std::int64_t customer_id, TimeMs at) override {
      s_.secrets_.at({customer_id, kind}).used_at = at;
      return Status::Ok();
    }
    Status append_audit(std::span<const AuditRecord> records) override {
      s_.AppendAuditLocked(records);
      return Status::Ok();
    }

   private:
    MemoryStorage& s_;
  };

  std::mutex mu_;
  std::map<std::string, internal::LoginCounter, std::less<>> login_counters_;  // by key
  std::map<std::int64_t, Customer> customers_;                                 // by id
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> by_email_;  // (website, EmailKey)
  std::int64_t next_customer_id_ = 1;
  std::map<std::pair<std::int64_t, SecretKind>, SecretRecord> secrets_;  // the live one per kind
  std::map<std::string, Bucket, std::less<>> buckets_;
  using NonceKey = std::pair<std::string, std::string>;  // (consumer key, nonce)
  using NonceExpiry = std::multimap<TimeMs, const NonceKey*>;
  struct NonceEntry {
    TimeMs expires_at = 0;
    NonceExpiry::iterator by_expiry;  // this nonce's entry in nonce_expiry_
  };
  std::map<NonceKey, NonceEntry> nonces_;
  NonceExpiry nonce_expiry_;  // expires_at -> the nonce's key in nonces_
  std::uint64_t revocation_epoch_ = 0;
  std::map<std::string, OpaqueTokenRecord> opaque_tokens_;  // by hash
  std::map<std::int64_t, SessionRecord> sessions_;          // by id
  std::int64_t next_session_id_ = 1;
  std::map<std::int64_t, Integration> integrations_;  // by id
  std::int64_t next_integration_id_ = 1;
  std::map<std::int64_t, AuditRecord> audit_;  // by id
  std::int64_t next_audit_id_ = 1;
  std::set<std::pair<TimeMs, std::string>> bucket_expiry_;  // (expires_at, bucket) of buckets_
  internal::RetentionHolder retention_;
};

}  // namespace

std::unique_ptr<Storage> MakeMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace custauth
