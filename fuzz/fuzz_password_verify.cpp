// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the stored-hash formats: PasswordHasher::verify on `$argon2id$`/`$argon2i$` strings and
// the platform's legacy HASH:SALT:VERSIONS, and legacy::Compute. Argon2 costs are bounded by the
// harness (at most 64 KiB and 2 passes per step; the legacy step `2` is 64 MiB and skipped), so
// that the fuzzer explores the parsers rather than the hash function. Everything the harness lets
// through must also pass custauth's own cost guard, or verify refuses it.
// Invariants:
//   - verify never crashes and answers true, false or kInvalidInput for any stored string;
//   - legacy::Compute(password, salt, versions) = H implies verify(password, "H:salt:versions")
//     is true and needs_rehash is true (when salt holds no ':').
#include <fuzzer/FuzzedDataProvider.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "custauth/password.h"

using namespace custauth;

namespace {

constexpr std::uint64_t kMaxMemKiB = 64;
constexpr std::uint64_t kMaxOps = 2;

bool Digits(std::string_view s, std::uint64_t* out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Whether a VERSIONS list is cheap to compute. Lists custauth would refuse are fine too.
bool CheapVersions(std::string_view versions) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = versions.find(':', start);
    const std::string_view step = versions.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (step == "2") return false;
    if (step.size() > 2 && step.substr(0, 2) == "3_") {
      const std::string_view rest = step.substr(2);
      const std::size_t a = rest.find('_');
      const std::size_t b = a == std::string_view::npos ? a : rest.find('_', a + 1);
      std::uint64_t out = 0, ops = 0, mem = 0;
      if (b != std::string_view::npos && Digits(rest.substr(0, a), &out) &&
          Digits(rest.substr(a + 1, b - a - 1), &ops) && Digits(rest.substr(b + 1), &mem) &&
          (ops > kMaxOps || mem > kMaxMemKiB * 1024)) {
        return false;
      }
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

// Whether an Argon2 string is cheap, read the way custauth reads it (password.cpp).
bool CheapArgon2String(std::string_view s) {
  for (std::string_view prefix : {"$argon2id$", "$argon2i$"}) {
    if (s.substr(0, prefix.size()) != prefix) continue;
    s.remove_prefix(prefix.size());
    constexpr std::string_view kVersion = "v=19$m=";
    if (s.substr(0, kVersion.size()) != kVersion) return true;  // refused unread
    s.remove_prefix(kVersion.size());
    const std::size_t t_at = s.find(",t=");
    const std::size_t p_at = s.find(",p=");
    if (t_at == std::string_view::npos || p_at == std::string_view::npos || p_at < t_at) {
      return true;
    }
    std::uint64_t m = 0, t = 0;
    if (!Digits(s.substr(0, t_at), &m) || !Digits(s.substr(t_at + 3, p_at - t_at - 3), &t)) {
      return true;
    }
    return m <= kMaxMemKiB && t <= kMaxOps;
  }
  return true;
}

PasswordHasher& Hasher() {
  static PasswordHasher* h = new PasswordHasher(CheapArgon2ForTests());
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool compute = fdp.ConsumeBool();
  const std::string password = fdp.ConsumeRandomLengthString(128);
  if (!compute) {
    const std::string stored = fdp.ConsumeRemainingBytesAsString();
    if (stored.empty() || stored[0] == '$') {
      if (!CheapArgon2String(stored)) return 0;
    } else {
      // HASH:SALT[:VERSIONS]
      const std::size_t first = stored.find(':');
      const std::size_t second = first == std::string::npos ? first : stored.find(':', first + 1);
      if (second != std::string::npos &&
          !CheapVersions(std::string_view(stored).substr(second + 1))) {
        return 0;
      }
    }
    auto r = Hasher().verify(password, stored);
    if (!r.ok() && r.code() != Code::kInvalidInput) std::abort();
    (void)Hasher().needs_rehash(stored);
    (void)PasswordHasher::IsLegacyFormat(stored);
    return 0;
  }
  const std::string salt = fdp.ConsumeRandomLengthString(64);
  const std::string versions = fdp.ConsumeRemainingBytesAsString();
  if (!CheapVersions(versions)) return 0;
  auto h = legacy::Compute(password, salt, versions);
  if (!h.ok()) {
    if (h.code() != Code::kInvalidInput) std::abort();
    return 0;
  }
  if (salt.find(':') != std::string::npos || versions.empty()) return 0;
  const std::string stored = *h + ":" + salt + ":" + versions;
  auto ok = Hasher().verify(password, stored);
  if (!ok.ok() || !*ok) std::abort();
  if (!Hasher().needs_rehash(stored) || !PasswordHasher::IsLegacyFormat(stored)) std::abort();
  return 0;
}
