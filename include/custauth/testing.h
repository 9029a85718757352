// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth inside a shop's own test suite: test handles and fixtures.
//
// A test handle (AuthOptions::test_mode) is a CustomerAuth whose clock a test sets and advances
// (CustomerAuth::test_set_time / test_advance), whose random values are reproducible from a seed
// (AuthOptions::test_seed), and which hands back the reset tokens and admin codes it issued
// (CustomerAuth::test_last_secret). A handle opened without test_mode refuses every one of these
// with kForbidden, so production code can never move time or read a secret back.
//
//   auto auth = custauth::testing::OpenTestAuth(/*seed=*/7);        // in memory, cheap Argon2id
//   custauth::testing::CreateCustomers(**auth, {{.email = "roni_cost@example.com",
//                                                .password = "Password123"}});
//   (*auth)->test_advance(31 * custauth::kSecond);
//
// Thread safety: as CustomerAuth. Moving the clock while other threads run operations is allowed;
// each operation reads the clock once or a few times, so a test that moves time concurrently
// gets one of the times it set.
#ifndef CUSTAUTH_TESTING_H_
#define CUSTAUTH_TESTING_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/auth.h"
#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/keys.h"
#include "custauth/status.h"

namespace custauth::testing {

// The messages of the refusals (kForbidden) on a handle opened without test_mode.
inline constexpr std::string_view kClockNeedsTestHandle =
    "the clock can only be set on a test handle";
inline constexpr std::string_view kSeedNeedsTestHandle =
    "a random seed can only be given to a test handle";
inline constexpr std::string_view kSecretsNeedTestHandle =
    "issued secrets can only be read back on a test handle";
inline constexpr std::string_view kFixturesNeedTestHandle =
    "fixtures can only be created on a test handle";

// Keys for a test handle: derived from `seed` (the same seed gives the same keys, so tokens are
// reproducible and test handles on one SQLite file verify each other's tokens), or random.
CUSTAUTH_EXPORT Keys TestKeys(std::optional<std::uint64_t> seed = std::nullopt);

// The options of a test handle: test_mode, `seed`, the cheapest Argon2id (CheapArgon2ForTests()),
// and empty keys (derived from the seed when the handle opens). Everything else is the platform's
// default: change what a test needs before opening.
CUSTAUTH_EXPORT AuthOptions TestOptions(std::optional<std::uint64_t> seed = std::nullopt);

// Opens a test handle. `storage` is "memory:" (a fresh in-memory customer base) or the path of a
// throwaway SQLite file (created as needed; an optional "sqlite:" prefix is removed). kStorage
// when the file cannot be opened; as CustomerAuth::Open otherwise.
CUSTAUTH_EXPORT Result<std::unique_ptr<CustomerAuth>> OpenTestAuth(
    std::optional<std::uint64_t> seed = std::nullopt, const std::string& storage = "memory:");
// The same with options; REQUIRES: options.test_mode (start from TestOptions()).
CUSTAUTH_EXPORT Result<std::unique_ptr<CustomerAuth>> OpenTestAuth(
    AuthOptions options, const std::string& storage = "memory:");

// --- Fixtures ------------------------------------------------------------------------------------

// How a fixture customer's password is stored.
enum class PasswordFormat : int {
  kCurrent = 0,  // Argon2id at the handle's parameters, as create_customer stores it
  kLegacy = 1,   // the platform's HASH:SALT:VERSIONS (legacy::Compute), upgraded on first login
};

// One customer of a fixture. Only `email` is required.
struct FixtureCustomer {
  std::string email = {};
  std::string firstname = "Test";
  std::string lastname = "Customer";
  // Absent: no password. No password policy applies: a fixture may hold the weak passwords that
  // customers imported from the platform have.
  std::optional<std::string> password = {};
  PasswordFormat format = PasswordFormat::kCurrent;
  // kLegacy: the SALT (no ':'; empty: 32 characters [A-Za-z0-9] from the handle's random source)
  // and the VERSIONS ("0", "1", "2", "3_S_O_M", or several joined by ':'). Default: "1", the
  // platform's SHA-256 format; "3_32_2_67108864" is its Argon2id one (64 MiB per login).
  std::string legacy_salt = {};
  std::string legacy_versions = "1";
  std::int64_t website_id = kDefaultWebsiteId;
  std::int64_t id = 0;  // 0: assigned by storage; > 0: this id (as imported customers keep theirs)
  bool is_subscribed = false;
  bool confirmed = true;
  bool allow_remote_shopping_assistance = false;
  bool is_active = true;
};

// Creates `customers` in order and returns them. kForbidden on a handle without test_mode.
// Every entry is checked before anything is written: email, names, legacy salt and versions, and
// no email twice on one website, among the entries or in storage (kInvalidInput naming the entry,
// kAlreadyExists). Each creation is audited as "customer.create" with {"fixture": true}.
CUSTAUTH_EXPORT Result<std::vector<Customer>> CreateCustomers(
    CustomerAuth& auth, const std::vector<FixtureCustomer>& customers,
    const RequestContext& ctx = {});

// The same from JSON: an array of entries, or {"customers": [entries], + defaults}. An entry is an
// email string or an object with FixtureCustomer's members ("email", "firstname", "lastname",
// "password", "format": "current"|"legacy", "legacy_salt", "legacy_versions", "website_id", "id",
// "is_subscribed", "confirmed", "allow_remote_shopping_assistance", "is_active"); the defaults are
// "password", "format", "legacy_versions", "firstname", "lastname" and "website_id" (else
// `website_id`), for entries that do not give them. Unknown members: kInvalidInput.
CUSTAUTH_EXPORT Result<std::vector<Customer>> CreateCustomersFromJson(
    CustomerAuth& auth, std::string_view json, const RequestContext& ctx = {},
    std::int64_t website_id = kDefaultWebsiteId);

}  // namespace custauth::testing

#endif  // CUSTAUTH_TESTING_H_
