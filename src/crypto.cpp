// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
// The low-level SHA-256 interface is what lets an HMAC key's inner and outer states be computed
// once and copied per message (OpenSSL 3 marks it deprecated, but keeps and accelerates it).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <bit>
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
  // Every byte is compared whatever the differences: eight at a time, then the rest.
  std::uint64_t diff = 0;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff |= x ^ y;
  }
  for (; i < a.size(); ++i) {
    diff |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  }
  // Keeps the compiler from turning the accumulation into an early exit.
  __asm__("" : "+r"(diff));
  return diff == 0;
}

namespace {
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

// The base64url alphabet's values pre-shifted to their place in a 4-character group; an invalid
// character sets bits above the 24 a group produces.
struct ShiftedTable {
  std::uint32_t t[4][256];
  constexpr ShiftedTable() : t() {
    for (int i = 0; i < 256; ++i) {
      for (int k = 0; k < 4; ++k) t[k][i] = 0xFF000000u;
    }
    for (int i = 0; i < 64; ++i) {
      const auto c = static_cast<unsigned char>(kUrlAlphabet[i]);
      for (int k = 0; k < 4; ++k) t[k][c] = static_cast<std::uint32_t>(i) << (18 - 6 * k);
    }
  }
};
constexpr ShiftedTable kUrlShifted;

// Writes the base64 of `in` to `out` (room for EncodedSize(in.size(), pad) characters); returns
// the number written.
std::size_t EncodeTo(std::string_view in, const char* alphabet, bool pad, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  char* o = out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    o[2] = alphabet[(v >> 6) & 63];
    o[3] = alphabet[v & 63];
    o += 4;
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{p[i]} << 16;
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    if (pad) {
      *o++ = '=';
      *o++ = '=';
    }
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    if (pad) *o++ = '=';
  }
  return static_cast<std::size_t>(o - out);
}

std::size_t EncodedSize(std::size_t n, bool pad) {
  return pad ? (n + 2) / 3 * 4 : n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out(EncodedSize(in.size(), pad), '\0');
  EncodeTo(in, alphabet, pad, out.data());
  return out;
}

// Decodes unpadded text into `out`; nullopt on a bad character, a bad length, non-zero trailing
// bits or too small an `out`. Four characters give three bytes per step.
std::optional<std::size_t> DecodeUnpaddedTo(std::string_view in, const std::int8_t* table,
                                            std::span<std::uint8_t> out) {
  const std::size_t rem = in.size() % 4;
  if (rem == 1) return std::nullopt;
  const std::size_t size = in.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1);
  if (size > out.size()) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::uint8_t* o = out.data();
  const std::size_t full = in.size() - rem;
  if (table == kDecode.url) {
    // A bad character anywhere sets a bit of `seen` above the 24; `out` holds garbage then, as it
    // may on any failure. Every group but the last full one stores 4 bytes at once: the 4th is the
    // next group's first, overwritten by it.
    const auto& t = kUrlShifted.t;
    auto group = [&](std::size_t i) {
      return t[0][p[i]] | t[1][p[i + 1]] | t[2][p[i + 2]] | t[3][p[i + 3]];
    };
    std::uint32_t seen = 0;
    std::size_t i = 0;
    for (; i + 4 < full; i += 4) {
      const std::uint32_t v = group(i);
      seen |= v;
      std::uint32_t word = v << 8;  // the group's 3 bytes, most significant first in memory
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap32(word);
      std::memcpy(o, &word, 4);
      o += 3;
    }
    if (i < full) {
      const std::uint32_t v = group(i);
      seen |= v;
      o[0] = static_cast<std::uint8_t>(v >> 16);
      o[1] = static_cast<std::uint8_t>(v >> 8);
      o[2] = static_cast<std::uint8_t>(v);
      o += 3;
    }
    if (seen > 0xFFFFFFu) return std::nullopt;
  } else {
    for (std::size_t i = 0; i < full; i += 4) {
      const std::int32_t a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]],
                         d = table[p[i + 3]];
      if ((a | b | c | d) < 0) return std::nullopt;
      const std::uint32_t v = (static_cast<std::uint32_t>(a) << 18) |
                              (static_cast<std::uint32_t>(b) << 12) |
                              (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
      o[0] = static_cast<std::uint8_t>(v >> 16);
      o[1] = static_cast<std::uint8_t>(v >> 8);
      o[2] = static_cast<std::uint8_t>(v);
      o += 3;
    }
  }
  if (rem == 2) {
    const std::int32_t a = table[p[full]], b = table[p[full + 1]];
    if ((a | b) < 0 || (b & 0x0F) != 0) return std::nullopt;
    *o = static_cast<std::uint8_t>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const std::int32_t a = table[p[full]], b = table[p[full + 1]], c = table[p[full + 2]];
    if ((a | b | c) < 0 || (c & 0x03) != 0) return std::nullopt;
    o[0] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
    o[1] = static_cast<std::uint8_t>(((b & 0x0F) << 4) | (c >> 2));
  }
  return size;
}

std::optional<std::string> DecodeUnpadded(std::string_view in, const std::int8_t* table) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out(in.size() / 4 * 3 + 2, '\0');
  auto n = DecodeUnpaddedTo(in, table, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}
}  // namespace

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlAlphabet, false); }

void AppendBase64Url(std::string& out, std::string_view bytes) {
  const std::size_t at = out.size();
  out.resize(at + EncodedSize(bytes.size(), false));
  EncodeTo(bytes, kUrlAlphabet, false, out.data() + at);
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeUnpadded(text, kDecode.url);
}

std::optional<std::size_t> Base64UrlDecodeTo(std::string_view text, std::span<std::uint8_t> out) {
  return DecodeUnpaddedTo(text, kDecode.url, out);
}

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, true); }

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return DecodeUnpadded(text.substr(0, text.size() - pad), kDecode.std);
}

void AppendHex(std::string& out, char byte, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  const auto b = static_cast<unsigned char>(byte);
  out.push_back(digits[b >> 4]);
  out.push_back(digits[b & 15]);
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendHex(out, c);
  return out;
}

}  // namespace custauth::internal
