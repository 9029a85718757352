// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "json.h"

#include <fmt/format.h>

#include <ctime>

namespace custauth::internal {

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

nlohmann::json ErrorToJson(const Status& s) {
  return {{"errors", nlohmann::json::array({{{"message", s.message()},
                                             {"extensions",
                                              {{"category", code_category(s.code())},
                                               {"code", code_name(s.code())}}}}})}};
}

nlohmann::json AuditToJson(const AuditRecord& r) {
  nlohmann::json j = {{"id", r.id},       {"at", FormatTime(r.at)}, {"event", r.event},
                      {"actor", r.actor}, {"reason", r.reason},     {"client_ip", r.client_ip}};
  j["customer_id"] = r.customer_id ? nlohmann::json(*r.customer_id) : nlohmann::json(nullptr);
  j["admin_id"] = r.admin_id ? nlohmann::json(*r.admin_id) : nlohmann::json(nullptr);
  if (!r.detail.empty()) {
    j["detail"] = nlohmann::json::parse(r.detail, nullptr, /*allow_exceptions=*/false);
  }
  return j;
}

}  // namespace custauth::internal
