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
      if (f.legacy_salt.find(':') != std::string::npos ||
          internal::HasControlBytes(f.legacy_salt)) {
        return Invalid(i, "the legacy salt must not hold ':' or control bytes");
      }
      // Versions are checked by computing a throwaway hash with a cheap password.
      auto probe = legacy::Compute("x", "salt", f.legacy_versions);
      if (!probe.ok()) return Invalid(i, probe.status().message());
    }
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
    if (f.password && f.format == PasswordFormat::kCurrent) {
      auto hash = auth.hasher().hash(*f.password);
      if (!hash.ok()) return hash.status();
      c.password_hash = std::move(hash).value();
    } else if (f.password) {
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
      c.password_hash = fmt::format("{}:{}:{}", *hash, salt, f.legacy_versions);
    }
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
    created.push_back(std::move(customer).value());
  }
  return created;
}

Result<std::vector<Customer>> CreateCustomersFromJson(CustomerAuth& auth, std::string_view text,
                                                      const RequestContext& ctx,
                                                      std::int64_t website_id) {
  using nlohmann::json;
  if (!auth.is_test_handle()) return Status(Code::kForbidden, kFixturesNeedTestHandle);
  auto parsed = internal::ParseJsonChecked(text, "the fixture");
  if (!parsed.ok()) return parsed.status();
  const json doc = std::move(parsed).value();
  json entries;
  FixtureCustomer defaults;
  defaults.website_id = website_id;
  auto read_string = [](const json& j, const char* name, std::string& field) -> Status {
    if (!j.contains(name) || j[name].is_null()) return Status::Ok();
    if (!j[name].is_string()) {
      return Status(Code::kInvalidInput, fmt::format("\"{}\" must be a string", name));
    }
    field = j[name].get<std::string>();
    return Status::Ok();
  };
  auto read_format = [](const json& j, PasswordFormat& field) -> Status {
    if (!j.contains("format") || j["format"].is_null()) return Status::Ok();
    if (j["format"] == "current") {
      field = PasswordFormat::kCurrent;
    } else if (j["format"] == "legacy") {
      field = PasswordFormat::kLegacy;
    } else {
      return Status(Code::kInvalidInput, "\"format\" must be \"current\" or \"legacy\"");
    }
    return Status::Ok();
  };
  auto read_int = [](const json& j, const char* name, std::int64_t& field) -> Status {
    if (!j.contains(name) || j[name].is_null()) return Status::Ok();
    if (!j[name].is_number_integer()) {
      return Status(Code::kInvalidInput, fmt::format("\"{}\" must be an integer", name));
    }
    field = j[name].get<std::int64_t>();
    return Status::Ok();
  };
  if (doc.is_array()) {
    entries = doc;
  } else if (doc.is_object()) {
    static const std::set<std::string, std::less<>> kTop = {
        "customers", "password", "format",    "legacy_versions",
        "firstname", "lastname", "website_id"};
    for (const auto& [key, value] : doc.items()) {
      if (!kTop.count(key)) {
        return Status(Code::kInvalidInput, fmt::format("unknown fixture member \"{}\"", key));
      }
    }
    if (!doc.contains("customers") || !doc["customers"].is_array()) {
      return Status(Code::kInvalidInput, "\"customers\" must be an array");
    }
    entries = doc["customers"];
    std::string password;
    CUSTAUTH_RETURN_IF_ERROR(read_string(doc, "password", password));
    if (doc.contains("password") && !doc["password"].is_null()) defaults.password = password;
    CUSTAUTH_RETURN_IF_ERROR(read_format(doc, defaults.format));
    CUSTAUTH_RETURN_IF_ERROR(read_string(doc, "legacy_versions", defaults.legacy_versions));
    CUSTAUTH_RETURN_IF_ERROR(read_string(doc, "firstname", defaults.firstname));
    CUSTAUTH_RETURN_IF_ERROR(read_string(doc, "lastname", defaults.lastname));
    CUSTAUTH_RETURN_IF_ERROR(read_int(doc, "website_id", defaults.website_id));
  } else {
    return Status(Code::kInvalidInput, "the fixture must be an array or an object");
  }
  static const std::set<std::string, std::less<>> kEntry = {
      "email",    "firstname",     "lastname",        "password",
      "format",   "legacy_salt",   "legacy_versions", "website_id",
      "id",       "is_subscribed", "confirmed",       "allow_remote_shopping_assistance",
      "is_active"};
  std::vector<FixtureCustomer> customers;
  customers.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& e = entries[i];
    FixtureCustomer f = defaults;
    if (e.is_string()) {
      f.email = e.get<std::string>();
      customers.push_back(std::move(f));
      continue;
    }
    if (!e.is_object()) return Invalid(i, "an entry is an email or an object");
    for (const auto& [key, value] : e.items()) {
      if (!kEntry.count(key)) return Invalid(i, fmt::format("unknown member \"{}\"", key));
    }
    auto wrap = [i](Status s) { return s.ok() ? s : Invalid(i, s.message()); };
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_string(e, "email", f.email)));
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_string(e, "firstname", f.firstname)));
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_string(e, "lastname", f.lastname)));
    if (e.contains("password")) {
      if (e["password"].is_null()) {
        f.password.reset();
      } else {
        std::string password;
        CUSTAUTH_RETURN_IF_ERROR(wrap(read_string(e, "password", password)));
        f.password = std::move(password);
      }
    }
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_format(e, f.format)));
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_string(e, "legacy_salt", f.legacy_salt)));
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_string(e, "legacy_versions", f.legacy_versions)));
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_int(e, "website_id", f.website_id)));
    CUSTAUTH_RETURN_IF_ERROR(wrap(read_int(e, "id", f.id)));
    for (auto [name, field] :
         {std::pair<const char*, bool*>{"is_subscribed", &f.is_subscribed},
          {"confirmed", &f.confirmed},
          {"allow_remote_shopping_assistance", &f.allow_remote_shopping_assistance},
          {"is_active", &f.is_active}}) {
      if (!e.contains(name) || e[name].is_null()) continue;
      if (!e[name].is_boolean()) return Invalid(i, fmt::format("\"{}\" must be a boolean", name));
      *field = e[name].get<bool>();
    }
    if (f.email.empty()) return Invalid(i, "\"email\" is required");
    customers.push_back(std::move(f));
  }
  return CreateCustomers(auth, customers, ctx);
}

}  // namespace custauth::testing
