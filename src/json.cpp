// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "json.h"

#include <fmt/format.h>

#include "custauth/json.h"

#include <ctime>
#include <set>
#include <vector>

namespace custauth::internal {

namespace {

// The first pass of ParseJsonChecked: counts depth and remembers each open object's keys.
class JsonChecker final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonChecker(std::string_view what) : what_(what) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Enter(); }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) {
      problem = Status(Code::kInvalidInput,
                       fmt::format("{} has the field \"{}\" more than once", what_, k));
      return false;
    }
    return true;
  }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    problem = Status(Code::kInvalidInput, fmt::format("{} is not valid JSON", what_));
    return false;
  }

  Status problem;

 private:
  // Arrays get an (empty) key set too, so that the stack stays in step with the depth.
  bool Enter() {
    if (keys_.size() == kMaxJsonDepth) {
      problem = Status(Code::kInvalidInput, fmt::format("{} is nested too deeply", what_));
      return false;
    }
    keys_.emplace_back();
    return true;
  }
  bool Leave() {
    keys_.pop_back();
    return true;
  }

  std::string_view what_;
  std::vector<std::set<std::string, std::less<>>> keys_;
};

}  // namespace

Result<nlohmann::json> ParseJsonChecked(std::string_view text, std::string_view what,
                                        std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status(Code::kInvalidInput, fmt::format("{} is too large", what));
  }
  JsonChecker checker(what);
  const bool well_formed = nlohmann::json::sax_parse(text, &checker);
  if (!checker.problem.ok()) return checker.problem;
  if (!well_formed) return Status(Code::kInvalidInput, fmt::format("{} is not valid JSON", what));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Status(Code::kInvalidInput, fmt::format("{} is not valid JSON", what));
  return j;
}

std::string FormatTime(TimeMs t) {
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

nlohmann::json CustomerToJson(const Customer& c, bool admin) {
  nlohmann::json j = {
      {"id", c.id},
      {"website_id", c.website_id},
      {"email", c.email},
      {"firstname", c.firstname},
      {"lastname", c.lastname},
      {"is_subscribed", c.is_subscribed},
      {"confirmed", c.confirmed},
      {"is_active", c.is_active},
      {"allow_remote_shopping_assistance", c.allow_remote_shopping_assistance},
      {"created_at", FormatTime(c.created_at)},
      {"updated_at", FormatTime(c.updated_at)},
  };
  if (admin) {
    j["has_password"] = c.has_password();
    // Which format the stored hash is in: "argon2id" (or "argon2i"), "platform" (imported,
    // upgraded at the next successful login) or null (no password).
    nlohmann::json format = nullptr;
    if (c.password_hash.starts_with("$argon2id$")) {
      format = "argon2id";
    } else if (c.password_hash.starts_with("$argon2i$")) {
      format = "argon2i";
    } else if (c.has_password()) {
      format = "platform";
    }
    j["password_format"] = std::move(format);
    j["failures_num"] = c.failures_num;
    j["first_failure"] =
        c.first_failure ? nlohmann::json(FormatTime(*c.first_failure)) : nlohmann::json(nullptr);
    j["lock_expires"] =
        c.lock_expires ? nlohmann::json(FormatTime(*c.lock_expires)) : nlohmann::json(nullptr);
    j["tokens_revoked_at"] = c.tokens_revoked_at ? nlohmann::json(FormatTime(c.tokens_revoked_at))
                                                 : nlohmann::json(nullptr);
  }
  return j;
}

// ErrorToJson is in graphql.cpp: one place shapes GraphQL.

nlohmann::json AuditToJson(const AuditRecord& r) {
  nlohmann::json j = {{"id", r.id},       {"at", FormatTime(r.at)}, {"event", r.event},
                      {"actor", r.actor}, {"reason", r.reason},     {"client_ip", r.client_ip}};
  j["customer_id"] = r.customer_id ? nlohmann::json(*r.customer_id) : nlohmann::json(nullptr);
  j["admin_id"] = r.admin_id ? nlohmann::json(*r.admin_id) : nlohmann::json(nullptr);
  if (!r.detail.empty()) {
    // custauth writes the detail as a JSON object; anything else is shown as the text it is.
    auto detail = ParseJsonChecked(r.detail, "the audit detail");
    j["detail"] = detail.ok() ? std::move(detail).value() : nlohmann::json(r.detail);
  }
  return j;
}

nlohmann::json ClaimsToJson(const TokenClaims& c) {
  nlohmann::json j = {{"uid", c.customer_id},
                      {"utypid", c.user_type},
                      {"iat", c.issued_at},
                      {"exp", c.expires_at},
                      {"format", c.format == TokenFormat::kJwt ? "jwt" : "opaque"}};
  if (!c.kid.empty()) j["kid"] = c.kid;
  if (c.session_id > 0) j["sid"] = c.session_id;
  return j;
}

nlohmann::json SessionToJson(const SessionRecord& s) {
  return {{"id", s.id},
          {"created_at", FormatTime(s.created_at)},
          {"renewed_at", FormatTime(s.renewed_at)},
          {"expires_at", FormatTime(s.expires_at)},
          {"client_ip", s.client_ip},
          {"user_agent", s.user_agent},
          {"method", s.method}};
}

}  // namespace custauth::internal

namespace custauth {

namespace {

// Compact; bytes that are not UTF-8 as U+FFFD rather than an exception.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string FormatPlatformTime(TimeMs t) { return internal::FormatTime(t); }

std::string CustomerJson(const Customer& c, bool admin) {
  return Dump(internal::CustomerToJson(c, admin));
}

std::string AuditJson(const AuditRecord& r) { return Dump(internal::AuditToJson(r)); }

std::string ErrorJson(const Status& s) { return Dump(internal::ErrorToJson(s)); }

std::string ClaimsJson(const TokenClaims& c) { return Dump(internal::ClaimsToJson(c)); }

std::string SessionJson(const SessionRecord& s) { return Dump(internal::SessionToJson(s)); }

}  // namespace custauth
