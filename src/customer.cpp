// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/customer.h"

#include <fmt/format.h>

#include <string>

#include "internal.h"

namespace custauth {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// RFC 5322 atext.
bool IsAtext(char c) { return internal::IsAsciiAlnumOr(c, "!#$%&'*+-/=?^_`{|}~"); }

bool ValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool ValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!internal::IsAsciiAlnumOr(c, "-")) return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2 || last.size() < 2) return false;
  for (char c : last) {
    if (!IsAsciiAlpha(c)) return false;  // a top-level domain is letters (no numeric TLDs)
  }
  return true;
}

}  // namespace

std::string EmailKey(std::string_view email) {
  std::string key(email);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

bool IsValidEmail(std::string_view email) noexcept {
  if (email.empty() || email.size() > kMaxEmailLength) return false;
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return ValidLocalPart(email.substr(0, at)) && ValidDomain(email.substr(at + 1));
}

Status ValidateEmail(std::string_view email) {
  if (!IsValidEmail(email)) return Status(Code::kInvalidInput, msg::kInvalidEmail);
  return Status::Ok();
}

Status CheckPasswordPolicy(std::string_view password, const PasswordPolicy& policy,
                           std::string_view email) {
  if (password.size() > policy.max_length) {
    return Status(
        Code::kInvalidInput,
        fmt::format("Please enter a password with at most {} characters.", policy.max_length));
  }
  if (password.size() < policy.min_length) {
    return Status(Code::kInvalidInput,
                  fmt::format("The password needs at least {} characters. Create a new password "
                              "and try again.",
                              policy.min_length));
  }
  if (!password.empty() && (password.front() == ' ' || password.back() == ' ')) {
    return Status(Code::kInvalidInput,
                  "The password can't begin or end with a space. Verify the password and try "
                  "again.");
  }
  bool lower = false, upper = false, digit = false, other = false;
  for (char c : password) {
    if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      other = true;
    }
  }
  const int classes = int{lower} + int{upper} + int{digit} + int{other};
  if (classes < policy.required_classes) {
    return Status(Code::kInvalidInput,
                  fmt::format("Minimum of different classes of characters in password is {}. "
                              "Classes of characters: Lower Case, Upper Case, Digits, Special "
                              "Characters.",
                              policy.required_classes));
  }
  if (!email.empty() && EmailKey(password) == EmailKey(email)) {
    return Status(Code::kInvalidInput,
                  "The password can't be the same as the email address. Create a new password and "
                  "try again.");
  }
  return Status::Ok();
}

}  // namespace custauth
