// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI's values: strings handed out, arguments and contexts read, JSON object arguments
// (Args), the options (custauth_options and custauth_open_json's object) read into AuthOptions,
// and results as JSON in the shapes of src/json.h.
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "capi_internal.h"
#include "crypto.h"
#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/status.h"
#include "internal.h"
#include "json.h"

namespace custauth::capi {

// --- Strings out -------------------------------------------------------------------------------

char* Dup(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

char* DupJson(const json& j) {
  std::string s = Dump(j);
  char* p = Dup(s);
  sodium_memzero(s.data(), s.size());
  return p;
}

void ResetOut(char** out) {
  if (out == nullptr) Invalid("out is NULL");
  *out = nullptr;
}

// --- Arguments in ------------------------------------------------------------------------------

std::int64_t WebsiteId(std::int64_t id) {
  if (id < 0) Invalid("website_id must be positive");
  return id == 0 ? kDefaultWebsiteId : id;
}

Context ToContext(const custauth_context* c) {
  Context ctx;
  if (c == nullptr) return ctx;
  if (c->version != CUSTAUTH_CONTEXT_VERSION) {
    Invalid("custauth_context version " + std::to_string(c->version) +
            " is not supported (this library knows version " +
            std::to_string(CUSTAUTH_CONTEXT_VERSION) + "); use CUSTAUTH_CONTEXT_INIT");
  }
  if (c->client_ip != nullptr) ctx.request.client_ip = c->client_ip;
  if (c->user_agent != nullptr) ctx.request.user_agent = c->user_agent;
  if (c->actor != nullptr) ctx.request.actor = c->actor;
  ctx.website_id = WebsiteId(c->website_id);
  return ctx;
}

std::vector<std::string> ToList(const char* const* items, std::size_t count) {
  if (items == nullptr && count != 0) Invalid("permissions is NULL but count is not 0");
  std::vector<std::string> v;
  v.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i] == nullptr) Invalid("permissions[" + std::to_string(i) + "] is NULL");
    v.emplace_back(items[i]);
  }
  return v;
}

// --- JSON object arguments ---------------------------------------------------------------------

std::string Args::str(const char* name) {
  seen_.insert(name);
  if (!has(name)) return {};
  const json& v = j_.at(name);
  if (!v.is_string()) Invalid(Where(name) + " must be a string");
  return v.get<std::string>();
}

std::optional<std::string> Args::opt_str(const char* name) {
  if (!has(name)) {
    seen_.insert(name);
    return std::nullopt;
  }
  return str(name);
}

std::optional<bool> Args::opt_bool(const char* name) {
  seen_.insert(name);
  if (!has(name)) return std::nullopt;
  const json& v = j_.at(name);
  if (!v.is_boolean()) Invalid(Where(name) + " must be true or false");
  return v.get<bool>();
}

std::optional<std::int64_t> Args::opt_int(const char* name) {
  seen_.insert(name);
  if (!has(name)) return std::nullopt;
  const json& v = j_.at(name);
  if (!v.is_number_integer()) Invalid(Where(name) + " must be an integer");
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    Invalid(Where(name) + " is too large");
  }
  return v.get<std::int64_t>();
}

std::vector<std::string> Args::str_list(const char* name) {
  seen_.insert(name);
  if (!has(name)) return {};
  const json& v = j_.at(name);
  if (!v.is_array()) Invalid(Where(name) + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) Invalid(Where(name) + " must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

const json* Args::raw(const char* name) {
  seen_.insert(name);
  return has(name) ? &j_.at(name) : nullptr;
}

const json& Args::object(const char* name) {
  seen_.insert(name);
  if (!has(name) || !j_.at(name).is_object()) Invalid(Where(name) + " must be an object");
  return j_.at(name);
}

void Args::done() const {
  for (const auto& [key, value] : j_.items()) {
    if (!seen_.count(key)) Invalid("unknown argument '" + key + "' for " + where_);
  }
}

std::string Args::Where(const char* name) const {
  return "argument '" + std::string(name) + "' of " + where_;
}

json ParseObject(const char* text, const char* what) {
  if (text == nullptr || *text == '\0') return json::object();
  auto j = internal::ParseJsonChecked(text, what);
  if (!j.ok()) Invalid(j.status().message());
  if (!j->is_object()) Invalid(std::string(what) + " must be a JSON object");
  return std::move(j).value();
}

Context ContextFromJson(const json& j) {
  Context ctx;
  Args a(j, "the context");
  ctx.request.client_ip = a.str("client_ip");
  ctx.request.user_agent = a.str("user_agent");
  ctx.request.actor = a.str("actor");
  if (auto w = a.opt_int("website_id")) ctx.website_id = WebsiteId(*w);
  a.done();
  return ctx;
}

CustomerUpdate CustomerUpdateFromJson(Args& a) {
  // Read in the order of the members (a braced list is evaluated left to right).
  return {.firstname = a.opt_str("firstname"),
          .lastname = a.opt_str("lastname"),
          .is_subscribed = a.opt_bool("is_subscribed"),
          .confirmed = a.opt_bool("confirmed"),
          .is_active = a.opt_bool("is_active"),
          .allow_remote_shopping_assistance = a.opt_bool("allow_remote_shopping_assistance")};
}

// --- Results as JSON ---------------------------------------------------------------------------

json IntegrationToJson(const Integration& i) {
  return {{"id", i.id},
          {"name", i.name},
          {"consumer_key", i.consumer_key},
          {"permissions", i.permissions},
          {"active", i.active},
          {"created_at", internal::FormatTime(i.created_at)},
          {"revoked_at", i.revoked_at ? json(internal::FormatTime(*i.revoked_at)) : json(nullptr)}};
}

json CredentialsToJson(const IntegrationCredentials& c) {
  json j = IntegrationToJson(c.integration);
  j.erase("revoked_at");
  j["consumer_secret"] = c.consumer_secret;
  j["access_token"] = c.access_token;
  j["token_secret"] = c.token_secret;
  return j;
}

json KeysToJson(const Keys& keys) {
  json j;
  j["version"] = 1;
  j["secret_key"] = internal::Base64Encode(keys.secret_key);
  j["seal_key"] = internal::Base64Encode(keys.seal_key);
  j["jwt_keys"] = json::array();
  for (const auto& k : keys.jwt_keys) {
    j["jwt_keys"].push_back({{"kid", k.kid}, {"secret", internal::Base64Encode(k.secret)}});
  }
  return j;
}

json PruneCountsToJson(const PruneCounts& c) {
  return {{"rate_events", c.rate_events}, {"rate_buckets", c.rate_buckets},   {"nonces", c.nonces},
          {"secrets", c.secrets},         {"opaque_tokens", c.opaque_tokens}, {"audit", c.audit}};
}

json IssuedToJson(const IssuedToken& t) {
  json j = {{"token", t.token}, {"expires_at", t.expires_at / kSecond}};
  if (t.session_id > 0) j["session_id"] = t.session_id;
  return j;
}

// --- Keys --------------------------------------------------------------------------------------

namespace {

Status InvalidKeys(const std::string& what) {
  return Status(Code::kInvalidInput, "keys_json: " + what);
}

// One entry of jwt_keys.
Result<JwtKey> ParseJwtKey(const json& e) {
  if (!e.is_object() || !e.contains("kid") || !e["kid"].is_string()) {
    return InvalidKeys("a jwt_keys entry has no kid");
  }
  JwtKey k;
  k.kid = e["kid"].get<std::string>();
  if (e.contains("secret") && e["secret"].is_string()) {
    auto d = internal::Base64Decode(e["secret"].get<std::string>());
    if (!d) return InvalidKeys("JWT key '" + k.kid + "' secret is not base64");
    k.secret = std::move(*d);
  } else if (e.contains("platform_crypt_key") && e["platform_crypt_key"].is_string()) {
    k.secret = PlatformJwtSecret(e["platform_crypt_key"].get<std::string>());
  } else {
    return InvalidKeys("JWT key '" + k.kid + "' has neither secret nor platform_crypt_key");
  }
  return k;
}

}  // namespace

Result<Keys> ParseKeys(std::string_view text) {
  auto parsed = internal::ParseJsonChecked(text, "the JSON");
  if (!parsed.ok()) return InvalidKeys(parsed.status().message());
  json j = std::move(parsed).value();
  if (!j.is_object()) return InvalidKeys("not a JSON object");
  if (!j.contains("version") || j["version"] != 1) return InvalidKeys("unsupported version");
  Keys keys;
  for (const char* name : {"secret_key", "seal_key"}) {
    if (!j.contains(name) || !j[name].is_string()) return InvalidKeys(std::string("no ") + name);
    auto d = internal::Base64Decode(j[name].get<std::string>());
    if (!d) return InvalidKeys(std::string(name) + " is not base64");
    (std::string_view(name) == "secret_key" ? keys.secret_key : keys.seal_key) = std::move(*d);
  }
  if (!j.contains("jwt_keys") || !j["jwt_keys"].is_array()) return InvalidKeys("no jwt_keys");
  for (const auto& e : j["jwt_keys"]) {
    auto k = ParseJwtKey(e);
    if (!k.ok()) return k.status();
    keys.jwt_keys.push_back(std::move(k).value());
  }
  Status valid = ValidateKeys(keys);
  if (!valid.ok()) return InvalidKeys(valid.message());
  return keys;
}

// --- custauth_options --------------------------------------------------------------------------

void CheckOptionsVersion(unsigned int version, const char* what) {
  if (version < 1 || version > CUSTAUTH_OPTIONS_VERSION) {
    Invalid(std::string(what) + " version " + std::to_string(version) +
            " is not supported (this library knows versions 1 to " +
            std::to_string(CUSTAUTH_OPTIONS_VERSION) + "); use CUSTAUTH_OPTIONS_INIT");
  }
}

namespace {

// Seconds (0: `def`) as TimeMs, refusing what would overflow.
TimeMs Seconds(std::int64_t s, TimeMs def, const char* name) {
  if (s == 0) return def;
  if (s < 0) Invalid(std::string(name) + " must not be negative");
  if (s > kMaxDuration / kSecond) Invalid(std::string(name) + " is more than 100 years");
  return s * kSecond;
}

// A count where 0 is the default and a negative value switches the rule off (0 in AuthOptions).
void CountOrOff(int value, int& field) {
  if (value < 0) {
    field = 0;
  } else if (value > 0) {
    field = value;
  }
}

void ReadTokenOptions(const custauth_options& o, AuthOptions& a) {
  if (o.token_format != CUSTAUTH_TOKEN_JWT && o.token_format != CUSTAUTH_TOKEN_OPAQUE) {
    Invalid("token_format must be CUSTAUTH_TOKEN_JWT or CUSTAUTH_TOKEN_OPAQUE");
  }
  a.tokens.format = static_cast<TokenFormat>(o.token_format);
  a.tokens.lifetime = Seconds(o.token_lifetime_s, a.tokens.lifetime, "token_lifetime_s");
  a.tokens.leeway =
      o.token_leeway_s < 0 ? 0 : Seconds(o.token_leeway_s, a.tokens.leeway, "token_leeway_s");
  if (o.revocation_refresh_ms < 0) {
    a.tokens.revocation_refresh = 0;
  } else if (o.revocation_refresh_ms > kMaxDuration) {
    Invalid("revocation_refresh_ms is more than 100 years");
  } else if (o.revocation_refresh_ms > 0) {
    a.tokens.revocation_refresh = o.revocation_refresh_ms;
  }
  // Version 5 (an older struct holds the defaults here: CurrentOptions).
  a.tokens.sessions = o.sessions != 0;
  a.tokens.max_session_age =
      Seconds(o.max_session_age_s, a.tokens.max_session_age, "max_session_age_s");
}

void ReadArgon2Options(const custauth_options& o, bool test, AuthOptions& a) {
  // A test handle reads 0 and the platform's values (what CUSTAUTH_OPTIONS_INIT holds) as "the
  // default", which for it is the cheapest Argon2id.
  const Argon2Options platform;
  const bool test_default_ops =
      test && (o.argon2_opslimit == 0 || o.argon2_opslimit == platform.opslimit);
  const bool test_default_mem =
      test && (o.argon2_memlimit == 0 || o.argon2_memlimit == platform.memlimit);
  if (test) a.argon2 = CheapArgon2ForTests();
  if (o.argon2_opslimit != 0 && !test_default_ops) a.argon2.opslimit = o.argon2_opslimit;
  if (o.argon2_memlimit != 0 && !test_default_mem) {
    if (o.argon2_memlimit > std::numeric_limits<std::size_t>::max()) {
      Invalid("argon2_memlimit is too large");
    }
    a.argon2.memlimit = static_cast<std::size_t>(o.argon2_memlimit);
  }
  if (o.argon2_max_concurrent < 0) Invalid("argon2_max_concurrent must not be negative");
  if (o.argon2_max_concurrent > 0) a.argon2.max_concurrent = o.argon2_max_concurrent;
}

}  // namespace

void ReadOptions(const custauth_options& o, bool test, AuthOptions& a) {
  ReadTokenOptions(o, a);
  // Lockout.
  CountOrOff(o.lockout_max_failures, a.lockout.max_failures);
  a.lockout.lock_duration =
      Seconds(o.lockout_duration_s, a.lockout.lock_duration, "lockout_duration_s");
  a.lockout.window = Seconds(o.lockout_window_s, a.lockout.window, "lockout_window_s");
  // The token-request throttle.
  CountOrOff(o.login_throttle_max_failures, a.login_throttle.max_failures);
  a.login_throttle.lifetime =
      Seconds(o.login_throttle_lifetime_s, a.login_throttle.lifetime, "login_throttle_lifetime_s");
  // One-time secrets.
  a.reset_token_lifetime =
      Seconds(o.reset_token_lifetime_s, a.reset_token_lifetime, "reset_token_lifetime_s");
  a.otc_lifetime = Seconds(o.otc_lifetime_s, a.otc_lifetime, "otc_lifetime_s");
  ReadArgon2Options(o, test, a);
  // Storage.
  if (o.sqlite_synchronous != CUSTAUTH_SYNCHRONOUS_FULL &&
      o.sqlite_synchronous != CUSTAUTH_SYNCHRONOUS_NORMAL) {
    Invalid("sqlite_synchronous must be CUSTAUTH_SYNCHRONOUS_FULL or CUSTAUTH_SYNCHRONOUS_NORMAL");
  }
  if (o.sqlite_busy_timeout_ms < 0) Invalid("sqlite_busy_timeout_ms must not be negative");
  // exchangeExternalCustomerToken.
  a.exchange_require_body_hash = o.exchange_require_body_hash != 0;
  // Retention (0: the default; negative: forever; CustomerAuth::Open refuses too many days).
  CountOrOff(o.audit_retention_days, a.audit_retention_days);
}

// --- custauth_open_json's options --------------------------------------------------------------

namespace {

// A whole number read into `field`, range-checked for its type: a value that does not fit is
// refused, never truncated.
template <typename T>
void Number(Args& a, const char* name, T& field) {
  if (auto v = a.opt_int(name)) {
    if (!std::in_range<T>(*v)) {
      Invalid(std::string(name) +
              (std::is_unsigned_v<T> && *v < 0 ? " must not be negative" : " is out of range"));
    }
    field = static_cast<T>(*v);
  }
}

// The numeric members of version 1, in custauth.h's order; each JSON member is named as its field.
struct NumericOption {
  const char* name;
  std::variant<std::int64_t custauth_options::*, int custauth_options::*,
               std::uint64_t custauth_options::*>
      member;
};
#define CUSTAUTH_NUMERIC_OPTION(member) \
  { #member, &custauth_options::member }
const NumericOption kNumericOptions[] = {
    CUSTAUTH_NUMERIC_OPTION(token_lifetime_s),       CUSTAUTH_NUMERIC_OPTION(token_leeway_s),
    CUSTAUTH_NUMERIC_OPTION(revocation_refresh_ms),  CUSTAUTH_NUMERIC_OPTION(lockout_max_failures),
    CUSTAUTH_NUMERIC_OPTION(lockout_duration_s),     CUSTAUTH_NUMERIC_OPTION(lockout_window_s),
    CUSTAUTH_NUMERIC_OPTION(reset_token_lifetime_s), CUSTAUTH_NUMERIC_OPTION(otc_lifetime_s),
    CUSTAUTH_NUMERIC_OPTION(argon2_opslimit),        CUSTAUTH_NUMERIC_OPTION(argon2_memlimit),
    CUSTAUTH_NUMERIC_OPTION(argon2_max_concurrent),  CUSTAUTH_NUMERIC_OPTION(sqlite_synchronous),
    CUSTAUTH_NUMERIC_OPTION(sqlite_busy_timeout_ms)};
#undef CUSTAUTH_NUMERIC_OPTION

// The numeric members, and those of versions 3 and 4 (refused under an older "version").
void NumericOptionsFromJson(Args& a, custauth_options& o, std::optional<std::int64_t> version) {
  for (const auto& option : kNumericOptions) {
    std::visit([&](auto m) { Number(a, option.name, o.*m); }, option.member);
  }
  // Version 3.
  if (auto v = a.opt_bool("exchange_require_body_hash")) {
    if (version && *version < 3) Invalid("exchange_require_body_hash needs options version 3");
    o.exchange_require_body_hash = *v ? 1 : 0;
  }
  // Version 4.
  if (a.has("login_throttle_max_failures") || a.has("login_throttle_lifetime_s")) {
    if (version && *version < 4) Invalid("login_throttle_* need options version 4");
    Number(a, "login_throttle_max_failures", o.login_throttle_max_failures);
    Number(a, "login_throttle_lifetime_s", o.login_throttle_lifetime_s);
  }
  if (a.has("audit_retention_days")) {
    if (version && *version < 4) Invalid("audit_retention_days needs options version 4");
    Number(a, "audit_retention_days", o.audit_retention_days);
  }
  // Version 5.
  if (a.has("sessions") || a.has("max_session_age_s")) {
    if (version && *version < 5) Invalid("sessions and max_session_age_s need options version 5");
    if (auto v = a.opt_bool("sessions")) o.sessions = *v ? 1 : 0;
    Number(a, "max_session_age_s", o.max_session_age_s);
  }
}

}  // namespace

void OptionsFromJson(const json& j, custauth_options& o, std::optional<std::string>& key_file,
                     std::optional<std::string>& keys_json) {
  Args a(j, "the options");
  const auto version = a.opt_int("version");
  if (version && (*version < 1 || *version > CUSTAUTH_OPTIONS_VERSION)) {
    Invalid("options version " + std::to_string(*version) + " is not supported");
  }
  // Version 2: a test handle and its seed.
  if (a.opt_bool("test").value_or(false)) o.test_flags |= CUSTAUTH_TEST_HANDLE;
  if (auto seed = a.opt_int("test_seed")) {
    if (*seed < 0) Invalid("test_seed must not be negative");
    o.test_flags |= CUSTAUTH_TEST_SEEDED;
    o.test_seed = static_cast<std::uint64_t>(*seed);
  }
  if (version && *version == 1 && o.test_flags != 0) {
    Invalid("test and test_seed need options version 2");
  }
  key_file = a.opt_str("key_file");
  keys_json = a.opt_str("keys_json");
  if (a.has("keys")) {
    if (keys_json) Invalid("give keys or keys_json, not both");
    keys_json = Dump(a.object("keys"));
  }
  if (key_file) o.key_file = key_file->c_str();
  if (keys_json) o.keys_json = keys_json->c_str();
  const bool format_name = a.has("token_format") && j.at("token_format").is_string();
  if (format_name) {
    const std::string f = a.str("token_format");
    if (f == "jwt") {
      o.token_format = CUSTAUTH_TOKEN_JWT;
    } else if (f == "opaque") {
      o.token_format = CUSTAUTH_TOKEN_OPAQUE;
    } else {
      Invalid("token_format must be \"jwt\" or \"opaque\"");
    }
  } else {
    Number(a, "token_format", o.token_format);
  }
  NumericOptionsFromJson(a, o, version);
  a.done();
}

}  // namespace custauth::capi
