// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What the storage backends (memory, SQLite, PostgreSQL) share: their refusals, in the platform's
// words, and the stored form of an integration's permissions. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_STORAGE_INTERNAL_H_
#define CUSTAUTH_SRC_STORAGE_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth::internal {

// kNotFound: "No such entity with email = x" (msg::kCustomerNotFound).
Status NoSuchEmail(std::string_view email);
// kNotFound: "No such entity with customerId = N".
Status NoSuchCustomerId(std::int64_t id);
// kNotFound: "No such entity with consumerKey = K".
Status NoSuchIntegration(std::string_view consumer_key);
// kAlreadyExists: "A customer with customerId = N already exists".
Status CustomerIdTaken(std::int64_t id);
// The largest customer id: 2^53 - 1, the largest integer a JSON number (an IEEE double) holds
// exactly. Larger explicit ids are refused; assigned ids never pass it, and are never reused.
inline constexpr std::int64_t kMaxCustomerId = (std::int64_t{1} << 53) - 1;
// kInvalidInput: an explicit customer id above kMaxCustomerId.
Status CustomerIdTooLarge(std::int64_t id);
// kStorage: every id up to kMaxCustomerId was assigned or taken; `backend` as in messages.
Status NoCustomerIdLeft(std::string_view backend);
// kRateLimited, what take_rate_slots refuses with.
Status RateLimited();

// Permissions as an integration stores them: sorted, without duplicates.
std::vector<std::string> SortedUnique(std::vector<std::string> v);
// The stored text of permissions (a JSON array of SortedUnique(permissions)), and back;
// kStorage, naming `backend` ("sqlite", "postgresql"), when the stored text is not such an array.
std::string PermissionsToJson(const std::vector<std::string>& permissions);
Result<std::vector<std::string>> PermissionsFromJson(const std::string& text,
                                                     std::string_view backend);

// The retention a backend's writes apply (Storage::set_retention), shared by its threads.
class RetentionHolder {
 public:
  void set(const RetentionPolicy& policy) {
    std::lock_guard<std::mutex> lock(mu_);
    policy_ = policy;
  }
  RetentionPolicy get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return policy_;
  }

 private:
  mutable std::mutex mu_;
  RetentionPolicy policy_;
};

// The cut-offs of a policy at `now`: a row whose time is at or before one has expired. When
// audit records are kept forever (policy.audit == 0) the audit cut-off is the smallest time, which
// no record has.
inline TimeMs AuditCutoff(const RetentionPolicy& policy, TimeMs now) {
  if (policy.audit <= 0) return std::numeric_limits<TimeMs>::min();
  return now - policy.audit;
}
inline TimeMs GraceCutoff(const RetentionPolicy& policy, TimeMs now) {
  return now - std::max<TimeMs>(policy.grace, 0);
}
// How many rows a full prune removes per table in one transaction.
inline constexpr std::int64_t kPruneBatch = 5000;

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_STORAGE_INTERNAL_H_
