// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Test handles and fixtures (custauth/testing.h).
#include "custauth/testing.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <set>
#include <utility>

#include "custauth/open_storage.h"
#include "custauth/password.h"
#include "internal.h"
#include "json.h"

namespace custauth::testing {

namespace {

constexpr std::string_view kSaltAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kLegacySaltLength = 32;

// The seed of a test handle's keys: a hash of its seed, so that the keys are not the first bytes
// of the handle's own random stream.
std::uint64_t KeySeed(std::uint64_t seed) {
  unsigned char in[8 + 18];
  for (int i = 0; i < 8; ++i) in[i] = static_cast<unsigned char>(seed >> (8 * i));
  std::memcpy(in + 8, "custauth-test-keys", 18);
  unsigned char out[8];
  crypto_generichash(out, sizeof out, in, sizeof in, nullptr, 0);
  std::uint64_t k = 0;
  for (int i = 0; i < 8; ++i) k |= static_cast<std::uint64_t>(out[i]) << (8 * i);
  return k;
}

Status Invalid(std::size_t index, std::string_view what) {
  return Status(Code::kInvalidInput, fmt::format("fixture customer {}: {}", index, what));
}

}  // namespace

Keys TestKeys(std::optional<std::uint64_t> seed) {
  EnsureSodium();
  if (!seed) return GenerateKeys(*SystemRandom::Shared());
  SeededRandom random(KeySeed(*seed));
  return GenerateKeys(random);
}

AuthOptions TestOptions(std::optional<std::uint64_t> seed) {
  AuthOptions o;
  o.test_mode = true;
  o.test_seed = seed;
  o.argon2 = CheapArgon2ForTests();
  return o;
}

Result<std::unique_ptr<CustomerAuth>> OpenTestAuth(std::optional<std::uint64_t> seed,
                                                   const std::string& storage) {
  return OpenTestAuth(TestOptions(seed), storage);
}

Result<std::unique_ptr<CustomerAuth>> OpenTestAuth(AuthOptions options,
                                                   const std::string& storage) {
  if (!options.test_mode) {
    return Status(Code::kInvalidInput, "OpenTestAuth needs options with test_mode (TestOptions())");
  }
  auto s = OpenStorage(storage);
  if (!s.ok()) return s.status();
  return CustomerAuth::Open(std::move(s).value(), std::move(options));
}

namespace {

// One fixture entry's own checks (before anything is written).
Status CheckFixture(CustomerAuth& auth, const FixtureCustomer& f, std::size_t i) {
  if (f.website_id <= 0) return Invalid(i, "website_id must be positive");
  if (f.id < 0) return Invalid(i, "id must not be negative");
  if (Status s = ValidateEmail(f.email); !s.ok()) return Invalid(i, s.message());
  if (Status s = ValidateName(f.firstname, "First Name"); !s.ok()) return Invalid(i, s.message());
  if (Status s = ValidateName(f.lastname, "Last Name"); !s.ok()) return Invalid(i, s.message());
  if (f.password && f.password->empty()) return Invalid(i, "the password is empty");
  if (f.password && f.password->size() > auth.options().password_policy.max_length) {
    return Invalid(i, "the password is too long");
  }
  if (f.format != PasswordFormat::kCurrent && f.format != PasswordFormat::kLegacy) {
    return Invalid(i, "unknown password format");
  }
  if (f.password && f.format == PasswordFormat::kLegacy) {
    if (f.legacy_salt.find(':') != std::string::npos || internal::HasControlBytes(f.legacy_salt)) {
      return Invalid(i, "the legacy salt must not hold ':' or control bytes");
    }
    // Versions are checked by computing a throwaway hash with a cheap password.
    auto probe = legacy::Compute("x", "salt", f.legacy_versions);
    if (!probe.ok()) return Invalid(i, probe.status().message());
  }
  return Status::Ok();
}

// The stored password of a fixture entry: Argon2id, or the platform's legacy format.
Result<std::string> FixtureHash(CustomerAuth& auth, const FixtureCustomer& f) {
  if (!f.password) return std::string();
  if (f.format == PasswordFormat::kCurrent) return auth.hasher().hash(*f.password);
  std::string salt = f.legacy_salt;
  if (salt.empty()) {
    salt.resize(kLegacySaltLength);
    for (char& ch : salt) {
      ch = kSaltAlphabet[auth.options().random->uniform(
          static_cast<std::uint32_t>(kSaltAlphabet.size()))];
    }
  }
  auto hash = legacy::Compute(*f.password, salt, f.legacy_versions);
  if (!hash.ok()) return hash.status();
  return fmt::format("{}:{}:{}", *hash, salt, f.legacy_versions);
}

Result<Customer> CreateFixture(CustomerAuth& auth, const FixtureCustomer& f,
                               const RequestContext& ctx) {
  NewCustomer c;
  c.id = f.id;
  c.website_id = f.website_id;
  c.email = f.email;
  c.firstname = f.firstname;
  c.lastname = f.lastname;
  c.is_subscribed = f.is_subscribed;
  c.confirmed = f.confirmed;
  c.allow_remote_shopping_assistance = f.allow_remote_shopping_assistance;
  c.is_active = f.is_active;
  auto hash = FixtureHash(auth, f);
  if (!hash.ok()) return hash.status();
  c.password_hash = std::move(hash).value();
  auto customer = auth.storage().create_customer(c, auth.clock().now());
  if (!customer.ok()) return customer.status();
  AuditRecord r;
  r.at = auth.clock().now();
  r.event = "customer.create";
  r.customer_id = customer->id;
  r.actor = ctx.actor;
  r.client_ip = ctx.client_ip;
  r.detail = R"({"fixture":true})";
  (void)auth.storage().append_audit(r);
  return customer;
}

}  // namespace

Result<std::vector<Customer>> CreateCustomers(CustomerAuth& auth,
                                              const std::vector<FixtureCustomer>& customers,
                                              const RequestContext& ctx) {
  CUSTAUTH_RETURN_IF_ERROR(internal::CheckRequestContext(ctx));
  if (!auth.is_test_handle()) return Status(Code::kForbidden, kFixturesNeedTestHandle);
  // Check every entry first, so that a bad one writes nothing.
  std::set<std::pair<std::int64_t, std::string>> emails;
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const FixtureCustomer& f = customers[i];
    CUSTAUTH_RETURN_IF_ERROR(CheckFixture(auth, f, i));
    if (!emails.insert({f.website_id, EmailKey(f.email)}).second) {
      return Invalid(i, fmt::format("{} is listed twice", f.email));
    }
    if (f.id > 0 && !ids.insert(f.id).second) return Invalid(i, "the id is listed twice");
    auto existing = auth.storage().find_customer_by_email(f.website_id, f.email);
    if (existing.ok()) {
      return Status(Code::kAlreadyExists,
                    fmt::format("fixture customer {}: {} already exists", i, f.email));
    }
    if (existing.code() != Code::kNotFound) return existing.status();
  }
  std::vector<Customer> created;
  created.reserve(customers.size());
  for (const FixtureCustomer& f : customers) {
    auto customer = CreateFixture(auth, f, ctx);
    if (!customer.ok()) return customer.status();
    created.push_back(std::move(customer).value());
  }
  return created;
}

namespace {

using nlohmann::json;

Status ReadString(const json& j, const char* name, std::string& field) {
  if (!j.contains(name) || j[name].is_null()) return Status::Ok();
  if (!j[name].is_string()) {
    return Status(Code::kInvalidInput, fmt::format("\"{}\" must be a string", name));
  }
  field = j[name].get<std::string>();
  return Status::Ok();
}

Status ReadFormat(const json& j, PasswordFormat& field) {
  if (!j.contains("format") || j["format"].is_null()) return Status::Ok();
  if (j["format"] == "current") {
    field = PasswordFormat::kCurrent;
  } else if (j["format"] == "legacy") {
    field = PasswordFormat::kLegacy;
  } else {
    return Status(Code::kInvalidInput, "\"format\" must be \"current\" or \"legacy\"");
  }
  return Status::Ok();
}

Status ReadInt(const json& j, const char* name, std::int64_t& field) {
  if (!j.contains(name) || j[name].is_null()) return Status::Ok();
  if (!j[name].is_number_integer()) {
    return Status(Code::kInvalidInput, fmt::format("\"{}\" must be an integer", name));
  }
  field = j[name].get<std::int64_t>();
  return Status::Ok();
}

// The object form: {"customers": [...], and defaults for every entry}.
Status ReadDefaults(const json& doc, FixtureCustomer& defaults) {
  static const std::set<std::string, std::less<>> kTop = {
      "customers", "password", "format", "legacy_versions", "firstname", "lastname", "website_id"};
  for (const auto& [key, value] : doc.items()) {
    if (!kTop.count(key)) {
      return Status(Code::kInvalidInput, fmt::format("unknown fixture member \"{}\"", key));
    }
  }
  if (!doc.contains("customers") || !doc["customers"].is_array()) {
    return Status(Code::kInvalidInput, "\"customers\" must be an array");
  }
  std::string password;
  CUSTAUTH_RETURN_IF_ERROR(ReadString(doc, "password", password));
  if (doc.contains("password") && !doc["password"].is_null()) defaults.password = password;
  CUSTAUTH_RETURN_IF_ERROR(ReadFormat(doc, defaults.format));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(doc, "legacy_versions", defaults.legacy_versions));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(doc, "firstname", defaults.firstname));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(doc, "lastname", defaults.lastname));
  return ReadInt(doc, "website_id", defaults.website_id);
}

// The members of one object entry over the defaults.
Status ReadEntryMembers(const json& e, FixtureCustomer& f) {
  CUSTAUTH_RETURN_IF_ERROR(ReadString(e, "email", f.email));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(e, "firstname", f.firstname));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(e, "lastname", f.lastname));
  if (e.contains("password")) {
    if (e["password"].is_null()) {
      f.password.reset();
    } else {
      std::string password;
      CUSTAUTH_RETURN_IF_ERROR(ReadString(e, "password", password));
      f.password = std::move(password);
    }
  }
  CUSTAUTH_RETURN_IF_ERROR(ReadFormat(e, f.format));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(e, "legacy_salt", f.legacy_salt));
  CUSTAUTH_RETURN_IF_ERROR(ReadString(e, "legacy_versions", f.legacy_versions));
  CUSTAUTH_RETURN_IF_ERROR(ReadInt(e, "website_id", f.website_id));
  CUSTAUTH_RETURN_IF_ERROR(ReadInt(e, "id", f.id));
  for (auto [name, field] :
       {std::pair<const char*, bool*>{"is_subscribed", &f.is_subscribed},
        {"confirmed", &f.confirmed},
        {"allow_remote_shopping_assistance", &f.allow_remote_shopping_assistance},
        {"is_active", &f.is_active}}) {
    if (!e.contains(name) || e[name].is_null()) continue;
    if (!e[name].is_boolean()) {
      return Status(Code::kInvalidInput, fmt::format("\"{}\" must be a boolean", name));
    }
    *field = e[name].get<bool>();
  }
  return Status::Ok();
}

// One entry: an email, or an object of members over the defaults.
Result<FixtureCustomer> ReadEntry(const json& e, std::size_t i, FixtureCustomer f) {
  static const std::set<std::string, std::less<>> kEntry = {
      "email",    "firstname",     "lastname",        "password",
      "format",   "legacy_salt",   "legacy_versions", "website_id",
      "id",       "is_subscribed", "confirmed",       "allow_remote_shopping_assistance",
      "is_active"};
  if (e.is_string()) {
    f.email = e.get<std::string>();
    return f;
  }
  if (!e.is_object()) return Invalid(i, "an entry is an email or an object");
  for (const auto& [key, value] : e.items()) {
    if (!kEntry.count(key)) return Invalid(i, fmt::format("unknown member \"{}\"", key));
  }
  if (Status s = ReadEntryMembers(e, f); !s.ok()) return Invalid(i, s.message());
  if (f.email.empty()) return Invalid(i, "\"email\" is required");
  return f;
}

}  // namespace

Result<std::vector<Customer>> CreateCustomersFromJson(CustomerAuth& auth, std::string_view text,
                                                      const RequestContext& ctx,
                                                      std::int64_t website_id) {
  if (!auth.is_test_handle()) return Status(Code::kForbidden, kFixturesNeedTestHandle);
  auto parsed = internal::ParseJsonChecked(text, "the fixture");
  if (!parsed.ok()) return parsed.status();
  const json doc = std::move(parsed).value();
  FixtureCustomer defaults;
  defaults.website_id = website_id;
  if (doc.is_object()) {
    CUSTAUTH_RETURN_IF_ERROR(ReadDefaults(doc, defaults));
  } else if (!doc.is_array()) {
    return Status(Code::kInvalidInput, "the fixture must be an array or an object");
  }
  const json& entries = doc.is_array() ? doc : doc["customers"];
  std::vector<FixtureCustomer> customers;
  customers.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto f = ReadEntry(entries[i], i, defaults);
    if (!f.ok()) return f.status();
    customers.push_back(std::move(f).value());
  }
  return CreateCustomers(auth, customers, ctx);
}

}  // namespace custauth::testing
