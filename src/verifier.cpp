// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The built-in verifiers of generateCustomerToken's chain (custauth/verifier.h).
#include "custauth/verifier.h"

#include <memory>
#include <string>
#include <utility>

#include "custauth/otc_store.h"

namespace custauth {

VerifierServices::~VerifierServices() = default;
PasswordVerifier::~PasswordVerifier() = default;

bool IsValidVerifierName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

class AccountPassword final : public PasswordVerifier {
 public:
  std::string name() const override { return "password"; }
  Result<Verdict> verify(const VerifyRequest& r) override {
    const Customer& c = r.customer;
    if (!c.has_password()) return Verdict::NotMine();
    PasswordHasher& hasher = r.services.hasher();
    auto ok = hasher.verify(r.secret, c.password_hash);
    if (!ok.ok()) {
      // An unreadable stored hash never matches (and ran no Argon2: the flow's dummy runs).
      if (ok.code() == Code::kInvalidInput) return Verdict::NotMine();
      return ok.status();
    }
    if (!*ok) return Verdict::NotMine(/*costly=*/true);
    Verdict v = Verdict::Match(/*costly=*/true);
    if (hasher.needs_rehash(c.password_hash)) {
      auto rehashed = hasher.hash(r.secret);
      // A busy hasher does not refuse the sign-in: the upgrade waits for the next login.
      if (rehashed.ok()) v.new_password_hash = std::move(rehashed).value();
    }
    return v;
  }
};

class OneTimeSecret final : public PasswordVerifier {
 public:
  explicit OneTimeSecret(SecretKind kind) : kind_(kind) {}
  std::string name() const override {
    return kind_ == SecretKind::kAdminOtc ? "otc" : "reset_token";
  }
  Result<Verdict> verify(const VerifyRequest& r) override {
    if (!OtcStore::has_shape(kind_, r.secret)) return Verdict::NotMine();
    // Login as Customer needs the customer's consent (withdrawing it also voids the code).
    if (kind_ == SecretKind::kAdminOtc && !r.customer.allow_remote_shopping_assistance) {
      return Verdict::NotMine();
    }
    // Judged and consumed by the sign-in write, at its time.
    Verdict v = Verdict::Match();
    v.consume_kind = kind_;
    v.consume_hash = r.services.otc_store().hash_of(kind_, r.customer.id, r.secret);
    return v;
  }

 private:
  SecretKind kind_;
};

}  // namespace

std::shared_ptr<PasswordVerifier> AccountPasswordVerifier() {
  return std::make_shared<AccountPassword>();
}
std::shared_ptr<PasswordVerifier> ResetTokenVerifier() {
  return std::make_shared<OneTimeSecret>(SecretKind::kPasswordReset);
}
std::shared_ptr<PasswordVerifier> AdminOtcVerifier() {
  return std::make_shared<OneTimeSecret>(SecretKind::kAdminOtc);
}
std::vector<std::shared_ptr<PasswordVerifier>> DefaultVerifiers() {
  return {AccountPasswordVerifier(), ResetTokenVerifier(), AdminOtcVerifier()};
}

}  // namespace custauth
