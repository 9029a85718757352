// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/status.h"

#include <string>

#include "custauth/version.h"

namespace custauth {

const char* code_name(Code code) noexcept {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidInput:
      return "invalid_input";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kAuthenticationFailed:
      return "authentication_failed";
    case Code::kNotConfirmed:
      return "not_confirmed";
    case Code::kLocked:
      return "locked";
    case Code::kExpired:
      return "expired";
    case Code::kForbidden:
      return "forbidden";
    case Code::kRateLimited:
      return "rate_limited";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kStorage:
      return "storage";
    case Code::kBusy:
      return "busy";
    case Code::kConflict:
      return "conflict";
    case Code::kInternal:
      return "internal";
    case Code::kInvalidToken:
      return "invalid_token";
  }
  return "unknown";
}

const char* code_category(Code code) noexcept {
  switch (code) {
    case Code::kOk:
      return "";
    case Code::kInvalidInput:
    case Code::kUnsupported:
    case Code::kExpired:
    case Code::kRateLimited:
      return "graphql-input";
    case Code::kNotFound:
      return "graphql-no-such-entity";
    case Code::kAlreadyExists:
      return "graphql-already-exists";
    case Code::kAuthenticationFailed:
    case Code::kNotConfirmed:
    case Code::kLocked:
    case Code::kInvalidToken:
      return "graphql-authentication";
    case Code::kForbidden:
      return "graphql-authorization";
    case Code::kStorage:
    case Code::kBusy:
    case Code::kConflict:
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string s = code_name(code_);
  s += ": ";
  s += message_;
  return s;
}

const char* VersionString() noexcept { return CUSTAUTH_VERSION_STRING; }
int VersionNumber() noexcept { return CUSTAUTH_VERSION_NUMBER; }

}  // namespace custauth
