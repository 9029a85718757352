// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the validation of what customers type: IsValidEmail / ValidateEmail / EmailKey,
// ValidateName and CheckPasswordPolicy. The same bytes go to each of them.
// Invariants (customer.h and DOMAIN.md):
//   - a valid email is 1..255 bytes of printable ASCII with exactly one '@', a local part of at
//     most 64 bytes and a domain with a dot; ValidateEmail agrees with IsValidEmail;
//   - EmailKey keeps the length, is idempotent, and validity does not depend on ASCII case;
//   - a name that passes holds no control byte and is at most 255 bytes;
//   - a password that passes the default policy is 8..256 bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "custauth/auth.h"
#include "custauth/customer.h"

using namespace custauth;

namespace {

bool ValidShape(std::string_view e) {
  if (e.empty() || e.size() > kMaxEmailLength) return false;
  std::size_t ats = 0, at = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const auto c = static_cast<unsigned char>(e[i]);
    if (c <= 0x20 || c >= 0x7F) return false;
    if (c == '@') {
      ++ats;
      at = i;
    }
  }
  if (ats != 1 || at == 0 || at > 64) return false;
  return e.find('.', at) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const bool valid = IsValidEmail(text);
  if (valid && !ValidShape(text)) std::abort();
  if (ValidateEmail(text).ok() != valid) std::abort();
  const std::string key = EmailKey(text);
  if (key.size() != text.size() || EmailKey(key) != key) std::abort();
  if (IsValidEmail(key) != valid) std::abort();

  if (ValidateName(text, "First Name").ok()) {
    if (text.size() > kMaxNameLength) std::abort();
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) std::abort();
    }
  }

  const PasswordPolicy policy;
  if (CheckPasswordPolicy(text, policy, "roni_cost@example.com").ok()) {
    if (text.size() < 8 || text.size() > 256) std::abort();
  }
  return 0;
}
