// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Other platforms' password hashes: bcrypt through libxcrypt, portable phpass (iterated MD5
// through OpenSSL), WordPress 6.8's `$wp$` pre-hashed bcrypt. See foreign_hashes.h.
#include "foreign_hashes.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "crypto.h"

namespace custauth {
namespace {

constexpr std::string_view kWordPressPrefix = "$wp";
constexpr std::string_view kWordPressKey = "wp-sha384";

// bcrypt: `$2?$NN$` then 22 characters of salt and 31 of hash in bcrypt's base64.
constexpr std::size_t kBcryptSettingLength = 7;
constexpr std::size_t kBcryptSaltLength = 22;
constexpr std::size_t kBcryptLength = 60;
constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// phpass: `$P$` or `$H$`, one character of count, 8 of salt, 22 of hash (phpass's itoa64).
constexpr std::size_t kPhpassSaltLength = 8;
constexpr std::size_t kPhpassLength = 34;
constexpr std::size_t kMd5Bytes = 16;
constexpr std::string_view kItoa64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

Status Invalid(std::string_view message) {
  return Status(Code::kInvalidInput, std::string(message));
}

bool IsBcryptPrefix(std::string_view s) {
  return s.size() >= 4 && s.substr(0, 2) == "$2" && (s[2] == 'a' || s[2] == 'b' || s[2] == 'y') &&
         s[3] == '$';
}

bool IsPhpassPrefix(std::string_view s) {
  return s.substr(0, 3) == "$P$" || s.substr(0, 3) == "$H$";
}

bool IsWordPressPrefix(std::string_view s) {
  return s.substr(0, kWordPressPrefix.size()) == kWordPressPrefix &&
         s.substr(kWordPressPrefix.size(), 1) == "$";
}

// `s` without the leading and trailing bytes PHP's trim() removes (" \t\n\r\0\x0B"): WordPress's
// wp_authenticate trims the password before it checks it, and wp_hash_password hashed it trimmed.
std::string_view PhpTrim(std::string_view s) {
  constexpr std::string_view kTrimmed(" \t\n\r\0\x0B", 6);
  const std::size_t first = s.find_first_not_of(kTrimmed);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kTrimmed) - first + 1);
}

bool AllIn(std::string_view s, std::string_view alphabet) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alphabet.find(c) != std::string_view::npos; });
}

// Checks a bcrypt string and returns its cost.
Result<int> ParseBcrypt(std::string_view s) {
  if (!IsBcryptPrefix(s) || s.size() != kBcryptLength || s[6] != '$' || s[4] < '0' || s[4] > '9' ||
      s[5] < '0' || s[5] > '9' || !AllIn(s.substr(kBcryptSettingLength), kBcryptAlphabet)) {
    return Invalid(
        "bcrypt password hash is malformed: expected $2a$, $2b$ or $2y$, a two-digit cost and "
        "53 characters of bcrypt's base64.");
  }
  // The salt's last character carries 2 bits; bcrypt writes the other 4 as zero, so any other
  // character is a hash no bcrypt made (its output could never equal it).
  const char last_salt = s[kBcryptSettingLength + kBcryptSaltLength - 1];
  if ((kBcryptAlphabet.find(last_salt) & 0xF) != 0) {
    return Invalid("bcrypt password hash is malformed: its salt is not one bcrypt writes.");
  }
  const int cost = (s[4] - '0') * 10 + (s[5] - '0');
  if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
    return Invalid("bcrypt password hash has a cost outside 4..14 (custauth's cap).");
  }
  return cost;
}

// Checks a phpass string and returns its iteration count's log2.
Result<int> ParsePhpass(std::string_view s) {
  if (!IsPhpassPrefix(s) || s.size() != kPhpassLength || !AllIn(s.substr(3), kItoa64)) {
    return Invalid(
        "phpass password hash is malformed: expected $P$ or $H$ and 31 characters of phpass's "
        "base64.");
  }
  const int log2 = static_cast<int>(kItoa64.find(s[3]));
  if (log2 < kMinPhpassLog2 || log2 > kMaxPhpassLog2) {
    return Invalid(
        "phpass password hash has an iteration count outside 2^7..2^22 (custauth's cap).");
  }
  return log2;
}

// Checks a WordPress `$wp` string and returns its bcrypt part.
Result<std::string_view> ParseWordPress(std::string_view s) {
  const std::string_view bcrypt = s.substr(std::min(s.size(), kWordPressPrefix.size()));
  if (!IsWordPressPrefix(s) || !IsBcryptPrefix(bcrypt)) {
    return Invalid("WordPress password hash is malformed: expected $wp followed by bcrypt.");
  }
  auto cost = ParseBcrypt(bcrypt);
  if (!cost.ok()) return cost.status();
  return bcrypt;
}

// Runs bcrypt on `phrase` with the setting of `stored` (checked by ParseBcrypt) and compares the
// whole output with `stored` in constant time. `$2y$` runs as `$2b$`, its other name.
Result<bool> BcryptMatches(std::string_view phrase, std::string_view stored) {
  if (phrase.find('\0') != std::string_view::npos) return false;
  std::string setting(stored);
  if (setting[2] == 'y') setting[2] = 'b';
  const std::string key(phrase);  // NUL-terminated for crypt_rn
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(key.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  const bool ok = out != nullptr && std::string_view(out).size() == kBcryptLength;
  const bool match = ok && internal::ConstantTimeEquals(out, setting);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(const_cast<char*>(key.data()), key.size());
  if (!ok) return Status(Code::kInternal, "libxcrypt's bcrypt failed.");
  return match;
}

// phpass's encode64: 16 bytes as 22 characters of itoa64, least significant bits first.
std::string PhpassEncode64(const unsigned char* in, std::size_t count) {
  std::string out;
  std::size_t i = 0;
  do {
    unsigned value = in[i++];
    out.push_back(kItoa64[value & 0x3f]);
    if (i < count) value |= unsigned{in[i]} << 8;
    out.push_back(kItoa64[(value >> 6) & 0x3f]);
    if (i++ >= count) break;
    if (i < count) value |= unsigned{in[i]} << 16;
    out.push_back(kItoa64[(value >> 12) & 0x3f]);
    if (i++ >= count) break;
    out.push_back(kItoa64[(value >> 18) & 0x3f]);
  } while (i < count);
  return out;
}

// The MD5 context of one phpass computation, freed (and its state wiped) at scope exit.
struct Md5Context {
  Md5Context() : ctx(EVP_MD_CTX_new()), md(EVP_MD_fetch(nullptr, "MD5", nullptr)) {}
  ~Md5Context() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  Md5Context(const Md5Context&) = delete;
  Md5Context& operator=(const Md5Context&) = delete;
  // out = md5(a . b)
  bool Digest(std::string_view a, std::string_view b, unsigned char* out) {
    unsigned int len = 0;
    return EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
           EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
           EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == kMd5Bytes;
  }
  EVP_MD_CTX* ctx;
  EVP_MD* md;
};

}  // namespace

bool HasForeignPrefix(std::string_view stored) {
  return IsBcryptPrefix(stored) || IsPhpassPrefix(stored) || IsWordPressPrefix(stored);
}

Status CheckForeignHash(std::string_view stored) {
  if (IsBcryptPrefix(stored)) return ParseBcrypt(stored).status();
  if (IsPhpassPrefix(stored)) return ParsePhpass(stored).status();
  if (IsWordPressPrefix(stored)) return ParseWordPress(stored).status();
  return Invalid("Not a bcrypt, phpass or WordPress password hash.");
}

bool IsForeignHash(std::string_view stored) { return CheckForeignHash(stored).ok(); }

Result<bool> VerifyBcrypt(std::string_view password, std::string_view stored) {
  auto cost = ParseBcrypt(stored);
  if (!cost.ok()) return cost.status();
  return BcryptMatches(password, stored);
}

Result<bool> VerifyWordPressBcrypt(std::string_view password, std::string_view stored) {
  auto bcrypt = ParseWordPress(stored);
  if (!bcrypt.ok()) return bcrypt.status();
  // WordPress's login: wp_authenticate trims the password, then wp_check_password refuses one
  // over 4096 bytes and runs password_verify(base64_encode(hash_hmac('sha384', $password,
  // 'wp-sha384', true)), substr($hash, 3)).
  password = PhpTrim(password);
  if (password.size() > kMaxForeignPasswordBytes) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha384(), kWordPressKey.data(), static_cast<int>(kWordPressKey.size()),
           reinterpret_cast<const unsigned char*>(password.data()), password.size(), mac,
           &mac_len) == nullptr) {
    return Status(Code::kInternal, "OpenSSL's HMAC-SHA384 failed.");
  }
  std::string phrase =
      internal::Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
  OPENSSL_cleanse(mac, sizeof mac);
  auto match = BcryptMatches(phrase, *bcrypt);
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return match;
}

Result<bool> VerifyPhpass(std::string_view password, std::string_view stored) {
  auto log2 = ParsePhpass(stored);
  if (!log2.ok()) return log2.status();
  // `$P$` is WordPress's: its login trims the password (wp_authenticate) as its hashing did.
  if (stored[1] == 'P') password = PhpTrim(password);
  if (password.size() > kMaxForeignPasswordBytes) return false;
  // hash = md5(salt . password); then 2^log2 times hash = md5(hash . password).
  const std::string_view salt = stored.substr(4, kPhpassSaltLength);
  Md5Context md5;
  unsigned char hash[kMd5Bytes];
  bool ok = md5.ctx != nullptr && md5.md != nullptr && md5.Digest(salt, password, hash);
  const auto prior = [&] { return std::string_view(reinterpret_cast<char*>(hash), kMd5Bytes); };
  for (std::uint64_t n = std::uint64_t{1} << *log2; ok && n > 0; --n) {
    ok = md5.Digest(prior(), password, hash);
  }
  if (!ok) {
    OPENSSL_cleanse(hash, sizeof hash);
    return Status(Code::kInternal, "OpenSSL's MD5 failed.");
  }
  std::string encoded = PhpassEncode64(hash, kMd5Bytes);
  OPENSSL_cleanse(hash, sizeof hash);
  const bool match = internal::ConstantTimeEquals(encoded, stored.substr(12));
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return match;
}

Result<bool> VerifyForeignHash(std::string_view password, std::string_view stored) {
  if (IsBcryptPrefix(stored)) return VerifyBcrypt(password, stored);
  if (IsPhpassPrefix(stored)) return VerifyPhpass(password, stored);
  if (IsWordPressPrefix(stored)) return VerifyWordPressBcrypt(password, stored);
  return CheckForeignHash(stored);
}

}  // namespace custauth
