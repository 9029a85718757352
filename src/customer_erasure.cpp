// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// CustomerAuth::delete_customer: the right to erasure (DOMAIN.md, "Customers"). Storage erases the
// customer in one transaction (Storage::delete_customer); this handle's token cache learns it at
// once, other processes' caches within the revocation bound (the epoch the erasure bumps).

#include <limits>
#include <mutex>

#include "auth_impl.h"
#include "custauth/auth.h"

namespace custauth {

Result<Customer> CustomerAuth::delete_customer(std::string_view email, const RequestContext& ctx,
                                               std::int64_t website_id) {
  CUSTAUTH_RETURN_IF_ERROR(CheckEmailArgument(email));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  const TimeMs now = impl_->now();
  // The record of the erasure, written by it: names the id only, no email, and no client IP (the
  // request may come from the customer). The actor stays unless it names the email.
  AuditRecord r;
  r.at = now;
  r.event = "customer.delete";
  r.customer_id = found->id;
  if (!TextNamesEmail(ctx.actor, found->email)) r.actor = ctx.actor;
  auto erased =
      impl_->storage->delete_customer(found->id, now, std::span<const AuditRecord>(&r, 1));
  if (!erased.ok()) return erased.status();
  // Every token of the id is refused here from now on: the cache holds "revoked forever" until the
  // next refresh sees the bumped epoch, after which the lookup finds no customer.
  impl_->tokens->note_revocation(erased->id, std::numeric_limits<TimeMs>::max());
  if (impl_->options.test_mode) {
    std::lock_guard<std::mutex> lock(impl_->test_mu);
    std::erase_if(impl_->test_secrets,
                  [&](const auto& kv) { return kv.first.second == erased->id; });
  }
  return erased;
}

}  // namespace custauth
