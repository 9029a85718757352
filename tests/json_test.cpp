// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth/json.h: the public JSON shapes of a customer, an audit record and an error, and the
// platform's timestamp format.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "custauth/json.h"

namespace json_test {

using namespace custauth;
using nlohmann::json;

TEST_CASE("FormatPlatformTime is the platform's UTC timestamp", "[json]") {
  CHECK(FormatPlatformTime(0) == "1970-01-01 00:00:00");
  CHECK(FormatPlatformTime(1795438107999) == "2026-11-23 12:48:27");
}

TEST_CASE("CustomerJson shows a customer, and to an administrator its lock state", "[json]") {
  Customer c;
  c.id = 6;
  c.email = "ann@example.com";
  c.firstname = "Ann";
  c.lastname = "Lee";
  c.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  c.lock_expires = 1795438107000;
  const std::string text = CustomerJson(c);
  CHECK(text.find('\n') == std::string::npos);  // compact
  const json plain = json::parse(text);
  CHECK(plain["id"] == 6);
  CHECK(plain["email"] == "ann@example.com");
  CHECK(plain["created_at"] == "1970-01-01 00:00:00");
  CHECK_FALSE(plain.contains("has_password"));
  CHECK_FALSE(plain.contains("password_hash"));
  const json admin = json::parse(CustomerJson(c, /*admin=*/true));
  CHECK(admin["has_password"] == true);
  CHECK(admin["password_format"] == "argon2id");
  CHECK(admin["lock_expires"] == "2026-11-23 12:48:27");
  CHECK(admin["first_failure"].is_null());
  CHECK(admin["tokens_revoked_at"].is_null());
  CHECK_FALSE(admin.contains("password_hash"));
}

TEST_CASE("AuditJson shows a record with its detail object or text", "[json]") {
  AuditRecord r;
  r.id = 3;
  r.at = 1795438107000;
  r.event = "otc.issue";
  r.admin_id = 7;
  r.actor = "cli";
  r.detail = R"({"via":"cli"})";
  const json j = json::parse(AuditJson(r));
  CHECK(j["id"] == 3);
  CHECK(j["at"] == "2026-11-23 12:48:27");
  CHECK(j["admin_id"] == 7);
  CHECK(j["customer_id"].is_null());
  CHECK(j["detail"] == json{{"via", "cli"}});
  r.detail = "not json";
  CHECK(json::parse(AuditJson(r))["detail"] == "not json");
  r.detail.clear();
  CHECK_FALSE(json::parse(AuditJson(r)).contains("detail"));
}

TEST_CASE("ErrorJson is GraphQL's error response without a path", "[json]") {
  const json j = json::parse(ErrorJson(Status(Code::kNotFound, "no such customer")));
  REQUIRE(j["errors"].size() == 1);
  const json& e = j["errors"][0];
  CHECK(e["message"] == "no such customer");
  CHECK(e["extensions"]["category"] == code_category(Code::kNotFound));
  CHECK(e["extensions"]["code"] == code_name(Code::kNotFound));
  CHECK_FALSE(e.contains("path"));
}

}  // namespace json_test
