// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by custauth's implementation files. Not installed; not part of the API.
#ifndef CUSTAUTH_SRC_INTERNAL_H_
#define CUSTAUTH_SRC_INTERNAL_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace custauth {

class Status;
struct RequestContext;

// Initialises libsodium once per process (thread-safe). Call before any libsodium function.
void EnsureSodium();

namespace internal {

// `s` without leading and trailing ASCII whitespace.
std::string_view Trim(std::string_view s);

// Whether `c` is an ASCII letter or digit, or one of `others`: the character classes of the
// grammars custauth reads (RFC 5322 atext, RFC 7230 tchar, RFC 3986 unreserved).
inline bool IsAsciiAlnumOr(char c, std::string_view others) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         others.find(c) != std::string_view::npos;
}

// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Whether `s` holds an ASCII control byte (0x00-0x1F or 0x7F).
bool HasControlBytes(std::string_view s);

// The longest client_ip, user_agent and actor a RequestContext may carry, in bytes. They come
// from strangers (through the host) and go into the audit trail.
inline constexpr std::size_t kMaxClientIpBytes = 255;
inline constexpr std::size_t kMaxUserAgentBytes = 1024;
inline constexpr std::size_t kMaxActorBytes = 255;

// kInvalidInput when a member of `ctx` is longer than its limit; called first by every operation
// that takes a RequestContext, so that nothing is written for a refused context.
Status CheckRequestContext(const RequestContext& ctx);

}  // namespace internal

}  // namespace custauth

#endif  // CUSTAUTH_SRC_INTERNAL_H_
