// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Cryptographic building blocks: HMAC with precomputed key state, keyed hashes of secrets at rest,
// base64 and base64url, constant-time comparison. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_CRYPTO_H_
#define CUSTAUTH_SRC_CRYPTO_H_

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace custauth::internal {

using Digest256 = std::array<std::uint8_t, 32>;

// HMAC-SHA256 under one key, with the inner and outer hash states computed once, so that each MAC
// costs two compression passes over the message plus two finalisations. Copyable; immutable after
// construction, so one instance may be used from many threads.
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  Digest256 mac(std::string_view message) const;

 private:
  SHA256_CTX inner_;
  SHA256_CTX outer_;
};

// One-shot HMACs (for OAuth 1.0a signatures).
std::string HmacSha256Raw(std::string_view key, std::string_view message);
std::string HmacSha1Raw(std::string_view key, std::string_view message);

// The keyed hash under which a secret is stored: HMAC-SHA256(secret_key, purpose || 0x00 || secret)
// as 32 raw bytes. `purpose` separates kinds ("reset", "otc", "opaque-token", …).
std::string KeyedHash(std::string_view secret_key, std::string_view purpose,
                      std::string_view secret);

// Constant-time equality of two byte strings (the lengths are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Strict: the base64url alphabet only, no padding, canonical trailing bits. nullopt otherwise.
std::optional<std::string> Base64UrlDecode(std::string_view text);
// Appends the base64url of `bytes` (no padding) to `out`.
void AppendBase64Url(std::string& out, std::string_view bytes);
// Base64UrlDecode without allocation: decodes into `out` and returns the number of bytes; nullopt
// when Base64UrlDecode would refuse `text`, or when `out` is too small for the result.
std::optional<std::size_t> Base64UrlDecodeTo(std::string_view text, std::span<std::uint8_t> out);

std::string Base64Encode(std::string_view bytes);  // standard alphabet, padded
std::optional<std::string> Base64Decode(std::string_view text);

std::string HexEncode(std::string_view bytes);  // lowercase
// Appends the two hex digits of `byte`, lowercase or (`upper`) uppercase.
void AppendHex(std::string& out, char byte, bool upper = false);

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_CRYPTO_H_
