// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI (custauth.h): the thread's last error, the codes' names and categories, the version
// and custauth_free. Every other extern "C" body runs inside Guard() (capi_internal.h), which
// catches every exception and maps it to CUSTAUTH_EINTERNAL: nothing is thrown across the
// boundary.
#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "capi_internal.h"
#include "custauth.h"
#include "custauth/auth.h"
#include "custauth/status.h"
#include "custauth/version.h"

// The C codes are custauth::Code's numbers.
static_assert(CUSTAUTH_OK == static_cast<int>(custauth::Code::kOk));
static_assert(CUSTAUTH_EINVALID == static_cast<int>(custauth::Code::kInvalidInput));
static_assert(CUSTAUTH_ENOTFOUND == static_cast<int>(custauth::Code::kNotFound));
static_assert(CUSTAUTH_EEXISTS == static_cast<int>(custauth::Code::kAlreadyExists));
static_assert(CUSTAUTH_EAUTH == static_cast<int>(custauth::Code::kAuthenticationFailed));
static_assert(CUSTAUTH_ENOTCONFIRMED == static_cast<int>(custauth::Code::kNotConfirmed));
static_assert(CUSTAUTH_ELOCKED == static_cast<int>(custauth::Code::kLocked));
static_assert(CUSTAUTH_EEXPIRED == static_cast<int>(custauth::Code::kExpired));
static_assert(CUSTAUTH_EFORBIDDEN == static_cast<int>(custauth::Code::kForbidden));
static_assert(CUSTAUTH_ERATELIMITED == static_cast<int>(custauth::Code::kRateLimited));
static_assert(CUSTAUTH_EUNSUPPORTED == static_cast<int>(custauth::Code::kUnsupported));
static_assert(CUSTAUTH_ESTORAGE == static_cast<int>(custauth::Code::kStorage));
static_assert(CUSTAUTH_EBUSY == static_cast<int>(custauth::Code::kBusy));
static_assert(CUSTAUTH_ECONFLICT == static_cast<int>(custauth::Code::kConflict));
static_assert(CUSTAUTH_EINTERNAL == static_cast<int>(custauth::Code::kInternal));
static_assert(CUSTAUTH_EINVALIDTOKEN == static_cast<int>(custauth::Code::kInvalidToken));
static_assert(CUSTAUTH_TOKEN_JWT == static_cast<int>(custauth::TokenFormat::kJwt));
static_assert(CUSTAUTH_TOKEN_OPAQUE == static_cast<int>(custauth::TokenFormat::kOpaque));

// The version macros mirror custauth/version.h (both are included above: a difference would also
// be a macro redefinition error).
static_assert(CUSTAUTH_VERSION_NUMBER == CUSTAUTH_VERSION_MAJOR * 1000000 +
                                             CUSTAUTH_VERSION_MINOR * 1000 +
                                             CUSTAUTH_VERSION_PATCH);

namespace custauth::capi {
namespace {

// One thread_local object, so that a call finds it with one TLS lookup (__tls_get_addr in a
// shared library), not three.
struct LastError {
  std::string message;
  int code = CUSTAUTH_OK;
  bool oom = false;  // the message itself could not be stored
};
thread_local LastError t_last;

}  // namespace

void ClearError() noexcept {
  LastError& e = t_last;
  if (e.code == CUSTAUTH_OK && e.message.empty() && !e.oom) return;  // already clear
  e.message.clear();
  e.code = CUSTAUTH_OK;
  e.oom = false;
}

int SetError(int code, std::string_view message) noexcept {
  LastError& e = t_last;
  e.code = code;
  try {
    e.message.assign(message);
    e.oom = false;
  } catch (...) {
    e.message.clear();
    e.oom = true;
  }
  return code;
}

int Fail(const Status& s) noexcept { return SetError(s.raw_code(), s.message()); }

int LastErrorCode() noexcept { return t_last.code; }

const char* LastErrorMessage() noexcept {
  const LastError& e = t_last;
  return e.oom ? "out of memory" : e.message.c_str();
}

void Invalid(std::string message) { throw InvalidArgument{std::move(message)}; }

}  // namespace custauth::capi

namespace ca = custauth;

extern "C" {

const char* custauth_libversion(void) { return ca::VersionString(); }
int custauth_libversion_number(void) { return ca::VersionNumber(); }

const char* custauth_code_name(int code) {
  if (code > 0 || code < ca::capi::kMinCode) return "unknown";
  return ca::code_name(static_cast<ca::Code>(code));
}

const char* custauth_code_category(int code) {
  if (code > 0 || code < ca::capi::kMinCode) return "internal";
  return ca::code_category(static_cast<ca::Code>(code));
}

const char* custauth_error_last(void) { return ca::capi::LastErrorMessage(); }

int custauth_error_last_code(void) { return ca::capi::LastErrorCode(); }

void custauth_free(void* ptr) {
  if (ptr == nullptr) return;
  // Every allocation handed out is a NUL-terminated string; some hold tokens and codes.
  sodium_memzero(ptr, std::strlen(static_cast<const char*>(ptr)));
  std::free(ptr);
}

}  // extern "C"
