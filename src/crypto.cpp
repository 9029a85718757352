// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
// The low-level SHA-256 interface is what lets an HMAC key's inner and outer states be computed
// once and copied per message (OpenSSL 3 marks it deprecated, but keeps and accelerates it).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <stdexcept>

namespace custauth::internal {

HmacSha256::HmacSha256(std::string_view key) {
  std::uint8_t block[SHA256_CBLOCK] = {};
  if (key.size() > SHA256_CBLOCK) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  std::uint8_t pad[SHA256_CBLOCK];
  for (std::size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, sizeof pad);
  for (std::size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

HmacSha256::~HmacSha256() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

Digest256 HmacSha256::mac(std::string_view message) const {
  SHA256_CTX ctx = inner_;
  Digest256 inner_digest;
  SHA256_Update(&ctx, message.data(), message.size());
  SHA256_Final(inner_digest.data(), &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, inner_digest.data(), inner_digest.size());
  Digest256 out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

namespace {
std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &len) == nullptr) {
    throw std::runtime_error("custauth: HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}
}  // namespace

std::string HmacSha256Raw(std::string_view key, std::string_view message) {
  return Hmac(EVP_sha256(), key, message);
}

std::string HmacSha1Raw(std::string_view key, std::string_view message) {
  return Hmac(EVP_sha1(), key, message);
}

std::string KeyedHash(std::string_view secret_key, std::string_view purpose,
                      std::string_view secret) {
  std::string msg;
  msg.reserve(purpose.size() + 1 + secret.size());
  msg.append(purpose);
  msg.push_back('\0');
  msg.append(secret);
  std::string out = HmacSha256Raw(secret_key, msg);
  OPENSSL_cleanse(msg.data(), msg.size());
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct DecodeTable {
  std::int8_t url[256];
  std::int8_t std[256];
  constexpr DecodeTable() : url(), std() {
    for (int i = 0; i < 256; ++i) url[i] = std[i] = -1;
    for (int i = 0; i < 64; ++i) {
      url[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<std::int8_t>(i);
      std[static_cast<unsigned char>(kStdAlphabet[i])] = static_cast<std::int8_t>(i);
    }
  }
};
constexpr DecodeTable kDecode;

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = p[i] << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Decodes unpadded text; nullopt on a bad character, a bad length or non-zero trailing bits.
std::optional<std::string> DecodeUnpadded(std::string_view in, const std::int8_t* table) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    const std::int8_t v = table[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}
}  // namespace

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlAlphabet, false); }

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeUnpadded(text, kDecode.url);
}

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, true); }

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return DecodeUnpadded(text.substr(0, text.size() - pad), kDecode.std);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace custauth::internal
