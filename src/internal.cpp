// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "internal.h"

#include <fmt/format.h>

#include <cstdint>

#include "custauth/auth.h"
#include "custauth/status.h"

namespace custauth::internal {

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool HasControlBytes(std::string_view s) {
  for (char c : s) {
    const auto b = static_cast<std::uint8_t>(c);
    if (b < 0x20 || b == 0x7F) return true;
  }
  return false;
}

Status CheckRequestContext(const RequestContext& ctx) {
  const struct {
    std::string_view name;
    const std::string& value;
    std::size_t max;
  } members[] = {{"client_ip", ctx.client_ip, kMaxClientIpBytes},
                 {"user_agent", ctx.user_agent, kMaxUserAgentBytes},
                 {"actor", ctx.actor, kMaxActorBytes}};
  for (const auto& m : members) {
    if (m.value.size() > m.max) {
      return Status(
          Code::kInvalidInput,
          fmt::format("The request context's {} is too long: at most {} bytes", m.name, m.max));
    }
  }
  return Status::Ok();
}

}  // namespace custauth::internal
