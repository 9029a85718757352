// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// OtcStore (custauth/otc_store.h): one-time secrets over Storage's put_secret / consume_secret /
// void_secrets.
#include "custauth/otc_store.h"

#include <sodium.h>

#include <cstdint>
#include <string>
#include <utility>

#include "crypto.h"
#include "internal.h"

namespace custauth {

namespace {

constexpr std::size_t kSecretLength = 32;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLowerHex(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }

}  // namespace

Result<std::unique_ptr<OtcStore>> OtcStore::Open(std::shared_ptr<Storage> storage,
                                                 OtcStoreOptions options) {
  if (storage == nullptr) return Status(Code::kInvalidInput, "storage is null");
  if (options.secret_key.size() < 32) {
    return Status(Code::kInvalidInput, "secret_key must be at least 32 bytes");
  }
  if (options.reset_token_lifetime <= 0 || options.otc_lifetime <= 0) {
    return Status(Code::kInvalidInput, "secret lifetimes must be positive");
  }
  if (!options.random) options.random = SystemRandom::Shared();
  return std::unique_ptr<OtcStore>(new OtcStore(std::move(storage), std::move(options)));
}

OtcStore::OtcStore(std::shared_ptr<Storage> storage, OtcStoreOptions options)
    : storage_(std::move(storage)), options_(std::move(options)) {}

OtcStore::~OtcStore() { sodium_memzero(options_.secret_key.data(), options_.secret_key.size()); }

TimeMs OtcStore::lifetime(SecretKind kind) const {
  return kind == SecretKind::kAdminOtc ? options_.otc_lifetime : options_.reset_token_lifetime;
}

bool OtcStore::has_shape(SecretKind kind, std::string_view secret) {
  if (secret.size() != kSecretLength) return false;
  for (char c : secret) {
    if (kind == SecretKind::kAdminOtc ? !IsLowerHex(c) : !IsAlnum(c)) return false;
  }
  return true;
}

std::string OtcStore::hash_of(SecretKind kind, std::int64_t customer_id,
                              std::string_view secret) const {
  const std::string purpose =
      (kind == SecretKind::kPasswordReset ? "reset:" : "otc:") + std::to_string(customer_id);
  return internal::KeyedHash(options_.secret_key, purpose, secret);
}

Result<std::string> OtcStore::issue(SecretKind kind, std::int64_t customer_id, TimeMs now,
                                    const SecretIssuer& issuer, SecretRecord* record,
                                    std::span<const AuditRecord> audit) {
  if (kind != SecretKind::kPasswordReset && kind != SecretKind::kAdminOtc) {
    return Status(Code::kInvalidInput, "unknown secret kind");
  }
  if (customer_id <= 0) return Status(Code::kInvalidInput, "customer id must be positive");
  std::string secret;
  if (kind == SecretKind::kAdminOtc) {
    std::uint8_t raw[16];
    options_.random->fill(raw);
    secret = internal::HexEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    sodium_memzero(raw, sizeof raw);
  } else {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    secret.assign(kSecretLength, '\0');
    for (char& c : secret) {
      c = kAlphabet[options_.random->uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
    }
  }
  SecretRecord s;
  s.kind = kind;
  s.customer_id = customer_id;
  s.hash = hash_of(kind, customer_id, secret);
  s.created_at = now;
  s.expires_at = now + lifetime(kind);
  s.admin_id = issuer.admin_id;
  s.reason = issuer.reason;
  CUSTAUTH_RETURN_IF_ERROR(storage_->put_secret(s, audit));
  if (record != nullptr) *record = std::move(s);
  return secret;
}

Result<SecretRecord> OtcStore::consume(SecretKind kind, std::int64_t customer_id,
                                       std::string_view secret, TimeMs now) {
  if (!has_shape(kind, secret)) return Status(Code::kNotFound, "no such secret");
  return storage_->consume_secret(kind, customer_id, hash_of(kind, customer_id, secret), now);
}

Status OtcStore::void_secret(SecretKind kind, std::int64_t customer_id) {
  return storage_->void_secrets(kind, customer_id);
}

}  // namespace custauth
