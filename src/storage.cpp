// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/storage.h"

#include <fmt/format.h>

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

}  // namespace custauth
