// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// What the C ABI's translation units share (namespace custauth::capi): the thread's last error
// (error.cpp), the boundary guard, the strings handed out and the arguments read (values.cpp),
// the handle (open.cpp) and custauth_call's runner (call.cpp). Not installed.
#ifndef CUSTAUTH_CAPI_CAPI_INTERNAL_H_
#define CUSTAUTH_CAPI_CAPI_INTERNAL_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "custauth.h"
#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/status.h"

// What a custauth_t is: the facade, and the process that opened it (see fork() in custauth.h):
// its generation, which every call compares with the current one (one atomic load, no system
// call), and its id, for the message.
struct custauth_handle {
  std::unique_ptr<custauth::CustomerAuth> auth;
  std::uint64_t generation = 0;
  pid_t pid = 0;
};

namespace custauth::capi {

using nlohmann::json;

constexpr int kMinCode = CUSTAUTH_EINVALIDTOKEN;

// The bytes of a version-1 custauth_options: everything before the fields version 2 appended;
// of a version 2 one, everything before version 3's; and so on.
constexpr std::size_t kOptionsV1Size = offsetof(custauth_options, test_flags);
constexpr std::size_t kOptionsV2Size = offsetof(custauth_options, exchange_require_body_hash);
constexpr std::size_t kOptionsV3Size = offsetof(custauth_options, login_throttle_max_failures);
constexpr std::size_t kOptionsV4Size = offsetof(custauth_options, sessions);

// The bytes of a custauth_options of `version` (a known one).
constexpr std::size_t OptionsSize(unsigned int version) {
  return version == 1   ? kOptionsV1Size
         : version == 2 ? kOptionsV2Size
         : version == 3 ? kOptionsV3Size
         : version == 4 ? kOptionsV4Size
                        : sizeof(custauth_options);
}
// The bytes of a version-1 custauth_claims: everything before the field version 2 appended.
constexpr std::size_t kClaimsV1Size = offsetof(custauth_claims, session_id);
constexpr unsigned int kTestFlags = CUSTAUTH_TEST_HANDLE | CUSTAUTH_TEST_SEEDED;
constexpr std::string_view kClockReadNeedsTestHandle =
    "the clock can only be read on a test handle";

// --- The thread's last error (error.cpp) -------------------------------------------------------

void ClearError() noexcept;
int SetError(int code, std::string_view message) noexcept;
int Fail(const Status& s) noexcept;
// The thread's last code, and its message ("out of memory" when it could not be stored).
int LastErrorCode() noexcept;
const char* LastErrorMessage() noexcept;

// Raised inside the boundary for bad C arguments; Guard turns it into CUSTAUTH_EINVALID.
struct InvalidArgument {
  std::string message;
};

[[noreturn]] void Invalid(std::string message);

// Runs `f` (which returns a code) with the thread's error cleared first; no exception escapes.
template <class F>
int Guard(F&& f) noexcept {
  try {
    ClearError();
    return f();
  } catch (const InvalidArgument& e) {
    return SetError(CUSTAUTH_EINVALID, e.message);
  } catch (const std::bad_alloc&) {
    return SetError(CUSTAUTH_EINTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return SetError(CUSTAUTH_EINTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return SetError(CUSTAUTH_EINTERNAL, "internal error: unknown exception");
  }
}

// --- Strings out (values.cpp) ------------------------------------------------------------------

// A malloc'd copy of `s` for the host (released by custauth_free).
char* Dup(std::string_view s);
std::string Dump(const json& j);
// Dump(j) as a malloc'd copy; the intermediate string is zeroed.
char* DupJson(const json& j);
// Checks `out` and sets *out = NULL (what it holds on failure).
void ResetOut(char** out);

// --- Arguments in (values.cpp) -----------------------------------------------------------------

// A string argument; NULL reads as "" (so that an absent email or password gets the platform's
// own message, e.g. `Specify the "email" value.`).
inline std::string_view Arg(const char* s) { return s == nullptr ? std::string_view() : s; }

// The facade of a handle opened in this process (open.cpp); CUSTAUTH_EINVALID otherwise.
CustomerAuth& Auth(custauth_t* db);

struct Context {
  RequestContext request;
  std::int64_t website_id = kDefaultWebsiteId;
};

std::int64_t WebsiteId(std::int64_t id);
Context ToContext(const custauth_context* c);
std::vector<std::string> ToList(const char* const* items, std::size_t count);

// The members of a JSON object argument, each read at most once; unknown members are refused.
class Args {
 public:
  Args(const json& j, std::string_view where) : j_(j), where_(where) {}

  bool has(const char* name) const { return j_.contains(name) && !j_.at(name).is_null(); }

  // A string member; absent reads as "" (the operation then reports what is missing).
  std::string str(const char* name);
  std::optional<std::string> opt_str(const char* name);
  std::optional<bool> opt_bool(const char* name);
  std::optional<std::int64_t> opt_int(const char* name);
  std::vector<std::string> str_list(const char* name);
  // A member of any type, or nullptr when absent.
  const json* raw(const char* name);
  const json& object(const char* name);
  // Refuses members that were not read.
  void done() const;

 private:
  std::string Where(const char* name) const;

  const json& j_;
  std::string where_;
  std::set<std::string, std::less<>> seen_;
};

// A JSON object argument: at most internal::kMaxJsonBytes, nested at most kMaxJsonDepth deep
// (checked before anything recursive runs), and with no member given twice: a host that reads
// the first would act on another value than custauth.
json ParseObject(const char* text, const char* what);
Context ContextFromJson(const json& j);
// The changes of a customer update: the optional "firstname", "lastname", "is_subscribed",
// "confirmed", "is_active" and "allow_remote_shopping_assistance" of `a` (done() is the caller's).
CustomerUpdate CustomerUpdateFromJson(Args& a);

// --- Options (values.cpp) ----------------------------------------------------------------------

// Refuses an options version this library does not know (1 to the current one are known).
void CheckOptionsVersion(unsigned int version, const char* what);
// The key-file JSON of keys.h, given as a string rather than a file.
Result<Keys> ParseKeys(std::string_view text);
// The tokens, lockout, throttle, one-time secret, Argon2id, exchange and retention options of
// `o` (a current-version struct) into `a`; refuses what is out of range.
void ReadOptions(const custauth_options& o, bool test, AuthOptions& a);
// custauth_open_json's object into `o` (initialized with the defaults); `keys_json` keeps the
// string o.keys_json points to, `key_file` the one o.key_file points to.
void OptionsFromJson(const json& j, custauth_options& o, std::optional<std::string>& key_file,
                     std::optional<std::string>& keys_json);

// --- Results as JSON (values.cpp) --------------------------------------------------------------

json IntegrationToJson(const Integration& i);
json CredentialsToJson(const IntegrationCredentials& c);
json KeysToJson(const Keys& keys);
json PruneCountsToJson(const PruneCounts& c);
// A token as issued: {"token", "expires_at" (seconds), "session_id" (only when it names one)}.
json IssuedToJson(const IssuedToken& t);

// --- custauth_call (call.cpp) ------------------------------------------------------------------

// Runs an operation and stores its JSON result in *out; a refusal is returned as its code.
int RunOperation(custauth_t* db, std::string_view op, Args& a, const Context& ctx, char** out);
// Puts the thread's last error into *out as a GraphQL error response, keeping the error.
void ErrorResponse(char** out);

}  // namespace custauth::capi

#endif  // CUSTAUTH_CAPI_CAPI_INTERNAL_H_
