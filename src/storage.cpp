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

Result<Customer> Storage::delete_customer(std::int64_t /*id*/, TimeMs /*now*/) {
  return Status(Code::kUnsupported,
                fmt::format("The storage {} cannot delete customers", describe()));
}

void Storage::set_retention(const RetentionPolicy& /*policy*/) {}

Result<PruneCounts> Storage::prune(TimeMs /*now*/, const RetentionPolicy& /*policy*/) {
  return Status(Code::kUnsupported, fmt::format("The storage {} cannot prune", describe()));
}

namespace {

bool IsAsciiAlnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

// A byte that may precede an address's last character inside a longer local part.
bool IsLocalPartByte(char ch) {
  return IsAsciiAlnum(ch) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~.").find(ch) != std::string_view::npos;
}

bool IsDomainByte(char ch) { return IsAsciiAlnum(ch) || ch == '-'; }

// Members of a customer's own audit records that hold personal data, whatever their value.
bool IsPersonalMember(std::string_view key) {
  return key == "email" || key == "firstname" || key == "lastname" || key == "client_ip" ||
         key == "user_agent";
}

// Removes from `j` what names `c` (see EraseCustomerFromAuditRecord); true when `j` itself is a
// string naming the email (the caller drops it). Sets *changed when anything went.
bool ScrubDetail(nlohmann::json& j, const Customer& c, bool own, bool* changed) {
  if (j.is_string()) return TextNamesEmail(j.get_ref<const std::string&>(), c.email);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if ((own && IsPersonalMember(it.key())) || ScrubDetail(it.value(), c, own, changed)) {
        it = j.erase(it);
        *changed = true;
      } else {
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto it = j.begin(); it != j.end();) {
      if (ScrubDetail(*it, c, own, changed)) {
        it = j.erase(it);
        *changed = true;
      } else {
        ++it;
      }
    }
  }
  return false;
}

}  // namespace

bool TextNamesEmail(std::string_view text, std::string_view email) {
  if (email.empty() || text.size() < email.size()) return false;
  const std::string key = EmailKey(email);
  const std::string lower = EmailKey(text);  // ASCII lower case, as the key
  for (std::size_t at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
    const std::size_t end = at + key.size();
    if (at > 0 && IsLocalPartByte(lower[at - 1])) continue;
    if (end < lower.size()) {
      if (IsDomainByte(lower[end])) continue;
      if (lower[end] == '.' && end + 1 < lower.size() && IsDomainByte(lower[end + 1])) continue;
    }
    return true;
  }
  return false;
}

bool AuditRecordNamesCustomer(const AuditRecord& r, const Customer& c) {
  return r.customer_id == c.id || TextNamesEmail(r.detail, c.email);
}

bool EraseCustomerFromAuditRecord(AuditRecord& r, const Customer& c) {
  const bool own = r.customer_id == c.id;
  bool changed = false;
  auto clear = [&changed](std::string& field) {
    if (field.empty()) return;
    field.clear();
    changed = true;
  };
  clear(r.client_ip);
  if ((own && r.actor == fmt::format("customer:{}", c.id)) || TextNamesEmail(r.actor, c.email)) {
    clear(r.actor);
  }
  if (TextNamesEmail(r.reason, c.email)) clear(r.reason);
  if (!r.detail.empty()) {
    nlohmann::json j = nlohmann::json::parse(r.detail, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      if (TextNamesEmail(r.detail, c.email)) clear(r.detail);
    } else {
      bool scrubbed = false;
      if (ScrubDetail(j, c, own, &scrubbed)) {
        clear(r.detail);
      } else if (scrubbed) {
        r.detail = j.dump();
        changed = true;
      }
    }
  }
  return changed;
}

std::vector<std::string> ErasedRateBucketSuffixes(const Customer& c,
                                                  std::span<const std::string> client_ips) {
  std::vector<std::string> out;
  out.push_back(":" + EmailKey(c.email));
  for (const std::string& ip : client_ips) {
    if (!ip.empty()) out.push_back(":" + ip);
  }
  return internal::SortedUnique(std::move(out));
}

bool RateBucketNamesErased(std::string_view bucket, std::span<const std::string> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(),
                     [&](const std::string& s) { return bucket.ends_with(s); });
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
