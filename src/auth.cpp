// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/auth.h"

#include <fmt/format.h>

#include <utility>

#include "internal.h"
#include "json.h"

namespace custauth {

struct CustomerAuth::Impl {
  std::shared_ptr<Storage> storage;
  AuthOptions options;
  std::unique_ptr<PasswordHasher> hasher;

  TimeMs now() const { return options.clock->now(); }

  void audit(std::string event, const Customer* c, const RequestContext& ctx,
             std::string detail = {}) {
    AuditRecord r;
    r.at = now();
    r.event = std::move(event);
    if (c != nullptr) r.customer_id = c->id;
    r.actor = ctx.actor;
    r.client_ip = ctx.client_ip;
    r.detail = std::move(detail);
    // The audit trail is best effort for these events: the operation already happened.
    (void)storage->append_audit(r);
  }
};

Status ValidateName(std::string_view name, std::string_view field) {
  if (internal::Trim(name).empty()) {
    return Status(Code::kInvalidInput, fmt::format("\"{}\" is a required value.", field));
  }
  if (name.size() > kMaxNameLength) {
    return Status(Code::kInvalidInput,
                  fmt::format("\"{}\" uses too many characters. The maximum is {}.", field,
                              kMaxNameLength));
  }
  if (!internal::IsValidUtf8(name) || internal::HasControlBytes(name)) {
    return Status(Code::kInvalidInput, fmt::format("\"{}\" is not a valid value.", field));
  }
  return Status::Ok();
}

Result<std::unique_ptr<CustomerAuth>> CustomerAuth::Open(std::shared_ptr<Storage> storage,
                                                         AuthOptions options) {
  if (!storage) return Status(Code::kInvalidInput, "CustomerAuth needs a storage");
  EnsureSodium();
  if (!options.clock) options.clock = SystemClock::Shared();
  if (!options.random) options.random = SystemRandom::Shared();
  if (options.password_policy.min_length > options.password_policy.max_length ||
      options.password_policy.required_classes < 0 ||
      options.password_policy.required_classes > 4) {
    return Status(Code::kInvalidInput, "the password policy is inconsistent");
  }
  if (options.lockout.max_failures < 0 || options.lockout.lock_duration < 0 ||
      options.lockout.window < 0) {
    return Status(Code::kInvalidInput, "the lockout policy has a negative value");
  }
  if (options.argon2.max_concurrent < 1) {
    return Status(Code::kInvalidInput, "argon2.max_concurrent must be at least 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->storage = std::move(storage);
  impl->hasher = std::make_unique<PasswordHasher>(options.argon2);
  impl->options = std::move(options);
  return std::unique_ptr<CustomerAuth>(new CustomerAuth(std::move(impl)));
}

CustomerAuth::CustomerAuth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CustomerAuth::~CustomerAuth() = default;

const AuthOptions& CustomerAuth::options() const { return impl_->options; }
Storage& CustomerAuth::storage() { return *impl_->storage; }
PasswordHasher& CustomerAuth::hasher() { return *impl_->hasher; }
Clock& CustomerAuth::clock() { return *impl_->options.clock; }

Result<Customer> CustomerAuth::create_customer(const CustomerInput& input,
                                               const RequestContext& ctx) {
  if (input.website_id <= 0) return Status(Code::kInvalidInput, "website_id must be positive");
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(input.email));
  CUSTAUTH_RETURN_IF_ERROR(ValidateName(input.firstname, "First Name"));
  CUSTAUTH_RETURN_IF_ERROR(ValidateName(input.lastname, "Last Name"));
  NewCustomer c;
  c.website_id = input.website_id;
  c.email = input.email;
  c.firstname = input.firstname;
  c.lastname = input.lastname;
  c.is_subscribed = input.is_subscribed;
  c.confirmed = input.confirmed;
  c.allow_remote_shopping_assistance = input.allow_remote_shopping_assistance;
  if (input.password.has_value()) {
    CUSTAUTH_RETURN_IF_ERROR(
        CheckPasswordPolicy(*input.password, impl_->options.password_policy, input.email));
    // Refuse a taken email before paying for a hash (the create below re-checks atomically).
    auto existing = impl_->storage->find_customer_by_email(input.website_id, input.email);
    if (existing.ok()) return Status(Code::kAlreadyExists, msg::kCustomerExists);
    if (existing.code() != Code::kNotFound) return existing.status();
    auto hash = impl_->hasher->hash(*input.password);
    if (!hash.ok()) return hash.status();
    c.password_hash = std::move(hash).value();
  }
  auto created = impl_->storage->create_customer(c, impl_->now());
  if (!created.ok()) return created.status();
  impl_->audit("customer.create", &created.value(), ctx);
  return created;
}

Result<Customer> CustomerAuth::find_customer(std::string_view email, std::int64_t website_id) {
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmail);
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(email));
  return impl_->storage->find_customer_by_email(website_id, email);
}

Result<Customer> CustomerAuth::find_customer_by_id(std::int64_t id) {
  if (id <= 0) return Status(Code::kInvalidInput, "customer id must be positive");
  return impl_->storage->find_customer_by_id(id);
}

Result<Customer> CustomerAuth::update_customer(std::string_view email,
                                               const CustomerUpdate& update,
                                               const RequestContext& ctx,
                                               std::int64_t website_id) {
  if (email.empty()) return Status(Code::kInvalidInput, msg::kSpecifyEmail);
  CUSTAUTH_RETURN_IF_ERROR(ValidateEmail(email));
  if (update.firstname) CUSTAUTH_RETURN_IF_ERROR(ValidateName(*update.firstname, "First Name"));
  if (update.lastname) CUSTAUTH_RETURN_IF_ERROR(ValidateName(*update.lastname, "Last Name"));
  auto found = impl_->storage->find_customer_by_email(website_id, email);
  if (!found.ok()) return found.status();
  const TimeMs now = impl_->now();
  CustomerPatch patch;
  patch.firstname = update.firstname;
  patch.lastname = update.lastname;
  patch.is_subscribed = update.is_subscribed;
  patch.confirmed = update.confirmed;
  patch.is_active = update.is_active;
  patch.allow_remote_shopping_assistance = update.allow_remote_shopping_assistance;
  if (update.is_active.has_value() && !*update.is_active) patch.revoke_tokens_at = now;
  auto updated = impl_->storage->update_customer(found->id, patch, now);
  if (!updated.ok()) return updated.status();
  nlohmann::json detail = nlohmann::json::object();
  if (update.firstname) detail["firstname"] = *update.firstname;
  if (update.lastname) detail["lastname"] = *update.lastname;
  if (update.is_subscribed) detail["is_subscribed"] = *update.is_subscribed;
  if (update.confirmed) detail["confirmed"] = *update.confirmed;
  if (update.is_active) detail["is_active"] = *update.is_active;
  if (update.allow_remote_shopping_assistance) {
    detail["allow_remote_shopping_assistance"] = *update.allow_remote_shopping_assistance;
  }
  impl_->audit("customer.update", &updated.value(), ctx, detail.dump());
  return updated;
}

}  // namespace custauth
