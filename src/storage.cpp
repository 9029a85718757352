// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/storage.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "storage_internal.h"

namespace custauth {

Storage::~Storage() = default;

Result<std::vector<ImportOutcome>> Storage::import_customers(
    std::span<const ImportedCustomer> /*rows*/, ImportConflict /*on_conflict*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot import customers", describe()));
}

LockState ApplyLoginFailure(Customer& c, TimeMs now, const LockoutPolicy& policy) {
  const bool was_locked = c.locked_at(now);
  const bool lock_expired = c.lock_expires.has_value() && *c.lock_expires <= now;
  const bool no_failure_yet = c.failures_num <= 0 || !c.first_failure.has_value();
  const bool window_passed = c.first_failure.has_value() && now - *c.first_failure >= policy.window;
  if (lock_expired || no_failure_yet || (window_passed && !was_locked)) {
    c.failures_num = 1;
    c.first_failure = now;
    c.lock_expires.reset();
  } else {
    ++c.failures_num;
  }
  if (policy.max_failures > 0 && c.failures_num >= policy.max_failures) {
    c.lock_expires = now + policy.lock_duration;
  }
  LockState state;
  state.failures_num = c.failures_num;
  state.first_failure = c.first_failure;
  state.lock_expires = c.lock_expires;
  state.locked = c.locked_at(now);
  state.newly_locked = state.locked && !was_locked;
  return state;
}

namespace internal {

// (Built by appending: g++ 12 at -O2 warns falsely about std::string::replace here, -Wrestrict.)
Status NoSuchEmail(std::string_view email) {
  constexpr std::string_view kTemplate = msg::kCustomerNotFound;
  const std::size_t at = kTemplate.find("%s");
  if (at == std::string_view::npos) return Status(Code::kNotFound, kTemplate);
  std::string text;
  text.reserve(kTemplate.size() + email.size());
  text.append(kTemplate.substr(0, at)).append(email).append(kTemplate.substr(at + 2));
  return Status(Code::kNotFound, std::move(text));
}

Status NoSuchCustomerId(std::int64_t id) {
  return Status(Code::kNotFound, fmt::format("No such entity with customerId = {}", id));
}

Status NoSuchIntegration(std::string_view consumer_key) {
  return Status(Code::kNotFound, fmt::format("No such entity with consumerKey = {}", consumer_key));
}

Status CustomerIdTaken(std::int64_t id) {
  return Status(Code::kAlreadyExists,
                fmt::format("A customer with customerId = {} already exists", id));
}

Status CustomerIdTooLarge(std::int64_t id) {
  return Status(Code::kInvalidInput,
                fmt::format("A customer id must be at most {} (2^53 - 1, exact in JSON); {} is not",
                            kMaxCustomerId, id));
}

Status NoCustomerIdLeft(std::string_view backend) {
  return Status(Code::kStorage,
                fmt::format("{}: no customer id is left to assign (ids go up to {}, 2^53 - 1)",
                            backend, kMaxCustomerId));
}

Status RateLimited() {
  return Status(Code::kRateLimited, "Too many requests. Please wait and try again later.");
}

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::string PermissionsToJson(const std::vector<std::string>& permissions) {
  return nlohmann::json(SortedUnique(permissions)).dump();
}

Result<std::vector<std::string>> PermissionsFromJson(const std::string& text,
                                                     std::string_view backend) {
  const Status corrupt(Code::kStorage, fmt::format("{}: corrupt integration permissions", backend));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return corrupt;
  std::vector<std::string> out;
  for (const auto& item : j) {
    if (!item.is_string()) return corrupt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace internal

}  // namespace custauth
