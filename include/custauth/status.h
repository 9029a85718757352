// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Status, error codes and Result<T>.
//
// Every fallible operation of custauth returns a Status (no value) or a Result<T> (a value or a
// Status). A Status carries a stable numeric Code and a message. The codes are part of the ABI:
// the C API returns the same numbers (see capi/custauth.h); they are never renumbered, only added.
// Where ../DOMAIN.md gives a message, the message is exactly that text (see namespace msg below).
#ifndef CUSTAUTH_STATUS_H_
#define CUSTAUTH_STATUS_H_

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "custauth/export.h"

namespace custauth {

// Stable semantic codes. 0 is success; failures are negative, as in the C API.
enum class Code : int {
  kOk = 0,
  kInvalidInput = -1,          // a malformed or missing argument; nothing was touched
  kNotFound = -2,              // no such customer / secret / integration
  kAlreadyExists = -3,         // unique key taken (email on a website, nonce, id)
  kAuthenticationFailed = -4,  // wrong credentials, unknown email, locked or inactive account
  kNotConfirmed = -5,          // right secret, but the account is not confirmed
  kLocked = -6,                // the account is locked (a login says kAuthenticationFailed)
  kExpired = -7,               // a token, code or reset token is past its lifetime
  kForbidden = -8,             // the caller lacks a permission, or the customer has not consented
  kRateLimited = -9,           // too many requests
  kUnsupported = -10,          // a valid but unsupported choice (e.g. an OAuth signature method)
  kStorage = -11,       // the storage backend failed (I/O, corruption, busy beyond the bound)
  kBusy = -12,          // a resource limit was reached (e.g. the Argon2 concurrency budget)
  kConflict = -13,      // a compare-and-set lost to a concurrent change; retry
  kInternal = -14,      // a bug or an unexpected failure inside custauth
  kInvalidToken = -15,  // a token that does not verify (signature, format, revoked)
};

// The name of a code, e.g. "invalid_input". Never null.
CUSTAUTH_EXPORT const char* code_name(Code code) noexcept;

// The GraphQL error category a host reports for this code, in the platform's vocabulary
// (e.g. "graphql-input", "graphql-authentication", "graphql-authorization"). Never null.
CUSTAUTH_EXPORT const char* code_category(Code code) noexcept;

// The messages of DOMAIN.md, exactly.
namespace msg {
inline constexpr std::string_view kSpecifyEmail = "Specify the \"email\" value.";
inline constexpr std::string_view kSpecifyPassword = "Specify the \"password\" value.";
inline constexpr std::string_view kSignInIncorrect =
    "The account sign-in was incorrect or your account is disabled temporarily. Please wait and "
    "try again later.";
inline constexpr std::string_view kNotConfirmed =
    "This account isn't confirmed. Verify and try again.";
inline constexpr std::string_view kInvalidEmail = "\"Email\" is not a valid email address.";
inline constexpr std::string_view kTooManyResets =
    "We received too many requests for password resets. Please wait and try again later.";
inline constexpr std::string_view kResetTokenMismatch =
    "The password token is mismatched. Reset and try again.";
inline constexpr std::string_view kResetTokenExpired =
    "The password token is expired. Reset and try again.";
inline constexpr std::string_view kAssistanceDisabled =
    "Login as Customer assistance is disabled for this Customer.";
inline constexpr std::string_view kNoPermission =
    "You do not have permission to access this resource.";
inline constexpr std::string_view kSignatureInvalid =
    "The signature is invalid. Verify and try again.";
inline constexpr std::string_view kCustomerExists =
    "A customer with the same email address already exists in an associated website.";
inline constexpr std::string_view kCustomerNotFound = "No such entity with email = %s";
// change_password (DOMAIN.md, "Password change"); a locked account is kLocked there.
inline constexpr std::string_view kSpecifyCurrentPassword =
    "Specify the \"currentPassword\" value.";
inline constexpr std::string_view kSpecifyNewPassword = "Specify the \"newPassword\" value.";
inline constexpr std::string_view kInvalidLoginOrPassword = "Invalid login or password.";
inline constexpr std::string_view kAccountLocked = "The account is locked.";
// request_password_reset and reset_password (DOMAIN.md, "Password reset").
inline constexpr std::string_view kSpecifyEmailAddress = "You must specify an email address.";
inline constexpr std::string_view kSpecifyResetToken = "resetPasswordToken must be specified";
inline constexpr std::string_view kSpecifyNewPasswordForReset = "newPassword must be specified";
}  // namespace msg

// The outcome of an operation: a code and, on failure, a message for the caller.
// Cheap to copy on success (no allocation).
class [[nodiscard]] CUSTAUTH_EXPORT Status {
 public:
  Status() noexcept = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(Code code, std::string_view message) : code_(code), message_(message) {}
  Status(Code code, const char* message) : code_(code), message_(message) {}

  static Status Ok() noexcept { return Status(); }

  bool ok() const noexcept { return code_ == Code::kOk; }
  Code code() const noexcept { return code_; }
  int raw_code() const noexcept { return static_cast<int>(code_); }
  // The message for the caller; empty on success.
  const std::string& message() const noexcept { return message_; }
  // "invalid_input: <message>", for logs.
  std::string to_string() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a failed Status. Result<T> never holds an OK status without a value.
template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : v_(std::in_place_index<0>, value) {}        // NOLINT: implicit by design
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "Result<T> needs a failed Status or a value");
    if (std::get<1>(v_).ok()) v_.template emplace<1>(Code::kInternal, "Result without a value");
  }
  template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                              !std::is_same_v<std::decay_t<U>, Status> &&
                                              !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // REQUIRES: ok(). On an rvalue Result these return the value itself (moved out), so that
  // `for (auto& x : *storage.list_audit(q))` does not iterate over a destroyed temporary.
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The failure, or OK when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }
  Code code() const noexcept { return ok() ? Code::kOk : std::get<1>(v_).code(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace custauth

// Returns early from the enclosing function with the failure of a Status expression.
#define CUSTAUTH_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::custauth::Status custauth_status_ = (expr);        \
    if (!custauth_status_.ok()) return custauth_status_; \
  } while (0)

#endif  // CUSTAUTH_STATUS_H_
