// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The Storage conformance suite: every contract of custauth/storage.h, as Catch2 (v2) test cases,
// for any backend: custauth runs it against its memory, SQLite and PostgreSQL backends (and a
// StorageWrapper), and the writer of another backend runs it against theirs.
//
// Use: in ONE source file of a Catch2 test program, define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS
// as a comma-separated list of fixture types, then include this header:
//
//   struct MyBackend {                      // one per test case run (and per SECTION run)
//     MyBackend() : storage(OpenMyStorage(/* a fresh, empty store */)) {}
//     std::unique_ptr<custauth::Storage> storage;  // or std::shared_ptr; must not be null
//   };
//   #define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS MyBackend
//   #include "custauth/testing/storage_conformance.h"
//
// Each type is default-constructible, makes a fresh, empty Storage (the factory), and names it
// `storage`; the types must be visible from namespace custauth::conformance (name them fully).
// Every case runs once per type (TEMPLATE_TEST_CASE), its report names the type. Times are passed
// explicitly; nothing sleeps. The concurrency cases race many threads on one Storage and check
// that exactly the contract's number of callers win, and that no loser sees anything but the
// contract's refusal (never kStorage or a transient "busy"). Tags: [storage] and one per area
// ([customer], [lockout], [secret], [rate], [nonce], [token], [integration], [audit],
// [concurrency], [ids], [erasure]).
#ifndef CUSTAUTH_TESTING_STORAGE_CONFORMANCE_H_
#define CUSTAUTH_TESTING_STORAGE_CONFORMANCE_H_

#ifndef CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS
#error "define CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS (the backend fixture types) first"
#endif

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/status.h"
#include "custauth/storage.h"
#include "custauth/testing/storage_conformance_basics.h"

namespace custauth::conformance {
namespace {

constexpr int kThreads = 16;

void CheckSameCustomer(const Customer& a, const Customer& b) {
  CHECK(a.id == b.id);
  CHECK(a.website_id == b.website_id);
  CHECK(a.email == b.email);
  CHECK(a.firstname == b.firstname);
  CHECK(a.lastname == b.lastname);
  CHECK(a.is_subscribed == b.is_subscribed);
  CHECK(a.confirmed == b.confirmed);
  CHECK(a.allow_remote_shopping_assistance == b.allow_remote_shopping_assistance);
  CHECK(a.is_active == b.is_active);
  CHECK(a.password_hash == b.password_hash);
  CHECK(a.failures_num == b.failures_num);
  CHECK(a.first_failure == b.first_failure);
  CHECK(a.lock_expires == b.lock_expires);
  CHECK(a.tokens_revoked_at == b.tokens_revoked_at);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

Customer MustCreate(Storage& s, const NewCustomer& c, TimeMs now = kT0) {
  Result<Customer> r = s.create_customer(c, now);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

Customer MustFind(Storage& s, std::int64_t id) {
  Result<Customer> r = s.find_customer_by_id(id);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

SecretRecord Secret(SecretKind kind, std::int64_t customer_id, std::string hash,
                    TimeMs created_at = kT0, TimeMs ttl = 30 * kSecond) {
  SecretRecord s;
  s.kind = kind;
  s.customer_id = customer_id;
  s.hash = std::move(hash);
  s.created_at = created_at;
  s.expires_at = created_at + ttl;
  return s;
}

RateRule Rule(std::string bucket, int max_in_window, TimeMs window = kHour,
              TimeMs min_interval = 0) {
  RateRule r;
  r.bucket = std::move(bucket);
  r.max_in_window = max_in_window;
  r.window = window;
  r.min_interval = min_interval;
  return r;
}

Code Take(Storage& s, const std::vector<RateRule>& rules, TimeMs now) {
  return s.take_rate_slots(rules, now).code();
}

Integration MakeIntegration(const std::string& suffix) {
  Integration i;
  i.name = "Social login " + suffix;
  i.consumer_key = std::string(32 - suffix.size(), 'k') + suffix;
  i.access_token = std::string(32 - suffix.size(), 't') + suffix;
  i.consumer_secret_sealed = std::string("sealed\0consumer", 15) + suffix;
  i.token_secret_sealed = std::string("sealed\0token\xff", 13) + suffix;
  i.permissions = {"custauth::issue_otc", "custauth::exchange_external_customer_token"};
  i.created_at = kT0;
  return i;
}

AuditRecord Audit(std::string event, std::optional<std::int64_t> customer_id, TimeMs at) {
  AuditRecord r;
  r.at = at;
  r.event = std::move(event);
  r.customer_id = customer_id;
  r.actor = "cli";
  return r;
}

std::uint64_t Epoch(Storage& s) {
  Result<std::uint64_t> e = s.revocation_epoch();
  INFO(e.status().to_string());
  REQUIRE(e.ok());
  return e.value();
}

// Flips the case of every other letter, so racers spell one email differently.
std::string MixCase(std::string email, int seed) {
  for (std::size_t k = 0; k < email.size(); ++k) {
    const unsigned char c = static_cast<unsigned char>(email[k]);
    if ((k + seed) % 2 == 0) email[k] = static_cast<char>(std::toupper(c));
  }
  return email;
}

// ---------------------------------------------------------------------------------------------
// Customers

TEMPLATE_TEST_CASE("create_customer assigns increasing ids and stores the fields as given",
                   "[storage][customer]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  CHECK_FALSE(s.describe().empty());

  NewCustomer c = Person("Roni_Cost@Example.com");
  c.firstname = "Veronica";
  c.lastname = "Costello";
  c.is_subscribed = true;
  c.confirmed = false;
  c.allow_remote_shopping_assistance = true;
  c.is_active = false;
  c.password_hash = "abc:def:3_32_2_67108864";
  const Customer first = MustCreate(s, c, kT0 + 5);
  CHECK(first.id == 1);
  CHECK(first.website_id == kDefaultWebsiteId);
  CHECK(first.email == "Roni_Cost@Example.com");  // stored as given, not lowered
  CHECK(first.firstname == "Veronica");
  CHECK(first.lastname == "Costello");
  CHECK(first.is_subscribed);
  CHECK_FALSE(first.confirmed);
  CHECK(first.allow_remote_shopping_assistance);
  CHECK_FALSE(first.is_active);
  CHECK(first.password_hash == "abc:def:3_32_2_67108864");
  CHECK(first.failures_num == 0);
  CHECK_FALSE(first.first_failure.has_value());
  CHECK_FALSE(first.lock_expires.has_value());
  CHECK(first.tokens_revoked_at == 0);
  CHECK(first.created_at == kT0 + 5);
  CHECK(first.updated_at == kT0 + 5);
  CheckSameCustomer(MustFind(s, first.id), first);

  NewCustomer no_password = Person("external@example.com");
  no_password.password_hash.clear();
  const Customer second = MustCreate(s, no_password);
  CHECK(second.id == 2);
  CHECK(second.password_hash.empty());
  CHECK_FALSE(MustFind(s, second.id).has_password());
  CHECK(MustCreate(s, Person("third@example.com")).id == 3);
}

TEMPLATE_TEST_CASE("create_customer with an explicit id", "[storage][customer]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  const Customer assigned = MustCreate(s, Person("a@example.com"));
  NewCustomer imported = Person("imported@example.com");
  imported.id = 42;
  const Customer c42 = MustCreate(s, imported);
  CHECK(c42.id == 42);
  CHECK(MustFind(s, 42).email == "imported@example.com");

  // The next assigned id comes after the highest id taken.
  const Customer next = MustCreate(s, Person("next@example.com"));
  CHECK(next.id == 43);
  CHECK(next.id != assigned.id);

  // An explicit id below the highest, still free, is accepted.
  NewCustomer low = Person("low@example.com");
  low.id = 7;
  CHECK(MustCreate(s, low).id == 7);

  SECTION("a taken id is refused and nothing is created") {
    NewCustomer dup = Person("someone-else@example.com");
    dup.id = 42;
    Result<Customer> r = s.create_customer(dup, kT0 + 1);
    CHECK(r.code() == Code::kAlreadyExists);
    CHECK(s.find_customer_by_email(kDefaultWebsiteId, "someone-else@example.com").code() ==
          Code::kNotFound);
    CheckSameCustomer(MustFind(s, 42), c42);
    // The id sequence is unchanged.
    CHECK(MustCreate(s, Person("after@example.com")).id == 44);
  }
  SECTION("find_or_create_customer with a taken id for a new email is refused") {
    NewCustomer dup = Person("someone-else@example.com");
    dup.id = 42;
    Result<FindOrCreateResult> r = s.find_or_create_customer(dup, kT0 + 1);
    CHECK(r.code() == Code::kAlreadyExists);
    CHECK(s.find_customer_by_email(kDefaultWebsiteId, "someone-else@example.com").code() ==
          Code::kNotFound);
  }
}

ImportedCustomer Imported(std::int64_t id, const std::string& email, TimeMs created = kT0 - kHour) {
  ImportedCustomer row;
  row.customer = Person(email);
  row.customer.id = id;
  row.customer.password_hash = "0123456789abcdef0123456789abcdef:salt:0";
  row.customer.confirmed = id % 2 == 0;
  row.customer.allow_remote_shopping_assistance = true;
  row.failures_num = 3;
  row.first_failure = created + kMinute;
  row.lock_expires = id % 3 == 0 ? std::optional<TimeMs>(created + 2 * kMinute) : std::nullopt;
  row.created_at = created;
  row.updated_at = created + kSecond;
  return row;
}

std::vector<ImportOutcome> MustImport(Storage& s, const std::vector<ImportedCustomer>& rows,
                                      ImportConflict mode) {
  Result<std::vector<ImportOutcome>> r = s.import_customers(rows, mode);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

void CheckImported(Storage& s, const ImportedCustomer& row) {
  const Customer c = MustFind(s, row.customer.id);
  CHECK(c.website_id == row.customer.website_id);
  CHECK(c.email == row.customer.email);
  CHECK(c.firstname == row.customer.firstname);
  CHECK(c.lastname == row.customer.lastname);
  CHECK(c.confirmed == row.customer.confirmed);
  CHECK(c.is_active == row.customer.is_active);
  CHECK(c.is_subscribed == row.customer.is_subscribed);
  CHECK(c.allow_remote_shopping_assistance == row.customer.allow_remote_shopping_assistance);
  CHECK(c.password_hash == row.customer.password_hash);
  CHECK(c.failures_num == row.failures_num);
  CHECK(c.first_failure == row.first_failure);
  CHECK(c.lock_expires == row.lock_expires);
  CHECK(c.created_at == row.created_at);
  CHECK(c.updated_at == row.updated_at);
  CHECK(c.tokens_revoked_at >= row.tokens_revoked_at);  // an update never lowers it
}

using O = ImportOutcome;

TEMPLATE_TEST_CASE("import_customers keeps ids, lock state and times; conflicts by id and email",
                   "[storage][import]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer existing = MustCreate(s, Person("existing@example.com"));  // id 1

  std::vector<ImportedCustomer> rows = {Imported(5, "five@example.com"),
                                        Imported(3, "Three@Example.com"),
                                        Imported(1000, "big\"quote,{x}@example.com")};
  rows[2].customer.firstname = "Zoë \"{a,b}\" NULL";
  rows[2].customer.website_id = 2;
  rows[1].customer.password_hash.clear();
  rows[1].tokens_revoked_at = kT0 - 5;
  CHECK(MustImport(s, rows, ImportConflict::kSkip) ==
        std::vector<O>{O::kCreated, O::kCreated, O::kCreated});
  for (const auto& row : rows) CheckImported(s, row);
  CHECK(MustFind(s, 3).tokens_revoked_at == kT0 - 5);
  CHECK(MustFind(s, 5).tokens_revoked_at == 0);
  CHECK(MustFind(s, 1000).firstname == "Zoë \"{a,b}\" NULL");
  // Ids assigned afterwards come after the highest imported one.
  CHECK(MustCreate(s, Person("new@example.com")).id == 1001);
  // The email is found case-insensitively on its website.
  CHECK(s.find_customer_by_email(kDefaultWebsiteId, "three@example.com")->id == 3);

  std::vector<ImportedCustomer> again = {
      Imported(5, "five-renamed@example.com"),  // id taken
      Imported(77, "EXISTING@example.com"),     // email taken by customer 1
      Imported(8, "eight@example.com"),         // new
      Imported(3, "three@example.com"),         // id taken, own email
  };
  again[0].customer.firstname = "Renamed";
  again[3].customer.lastname = "Updated";
  again[3].customer.allow_remote_shopping_assistance = false;

  SECTION("skip leaves every taken row as it is and creates the rest") {
    CHECK(MustImport(s, again, ImportConflict::kSkip) ==
          std::vector<O>{O::kSkipped, O::kSkipped, O::kCreated, O::kSkipped});
    CheckImported(s, rows[0]);
    CheckImported(s, rows[1]);
    CheckImported(s, again[2]);
    CheckSameCustomer(MustFind(s, existing.id), existing);
    CHECK(s.find_customer_by_id(77).code() == Code::kNotFound);
    // Idempotent: the same rows again change nothing.
    CHECK(MustImport(s, again, ImportConflict::kSkip) ==
          std::vector<O>{O::kSkipped, O::kSkipped, O::kSkipped, O::kSkipped});
  }
  SECTION("update overwrites by id, refuses an email that belongs to another customer") {
    // Revocation time and outstanding admin codes: kept, and voided when consent is withdrawn.
    CustomerPatch revoke;
    revoke.revoke_tokens_at = kT0 + 5;
    REQUIRE(s.update_customer(3, revoke, kT0 + 5).ok());
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, 3, "otc-3", kT0 + 5)).ok());
    CHECK(MustImport(s, again, ImportConflict::kUpdate) ==
          std::vector<O>{O::kUpdated, O::kConflict, O::kCreated, O::kUpdated});
    CheckImported(s, again[0]);
    CheckImported(s, again[2]);
    CheckImported(s, again[3]);
    CHECK(MustFind(s, 3).tokens_revoked_at == kT0 + 5);
    // A row's revocation time raises the stored one, never lowers it, and bumps the epoch.
    const std::uint64_t epoch = Epoch(s);
    std::vector<ImportedCustomer> revoking = {again[3], again[2]};
    revoking[0].tokens_revoked_at = kT0 + 9;
    revoking[1].tokens_revoked_at = kT0 - kHour;
    CHECK(MustImport(s, revoking, ImportConflict::kUpdate) ==
          std::vector<O>{O::kUpdated, O::kUpdated});
    CHECK(MustFind(s, 3).tokens_revoked_at == kT0 + 9);
    CHECK(MustFind(s, 8).tokens_revoked_at == kT0 - kHour);
    CHECK(Epoch(s) != epoch);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, 3, "otc-3", kT0 + 6).code() == Code::kNotFound);
    CHECK(s.find_customer_by_email(kDefaultWebsiteId, "five@example.com").code() ==
          Code::kNotFound);
    CHECK(s.find_customer_by_email(kDefaultWebsiteId, "FIVE-renamed@example.com")->id == 5);
    CheckSameCustomer(MustFind(s, existing.id), existing);
    CHECK(s.find_customer_by_id(77).code() == Code::kNotFound);

    // An id that exists with an email taken by another customer: a conflict, nothing written.
    std::vector<ImportedCustomer> clash = {Imported(8, "existing@example.com")};
    CHECK(MustImport(s, clash, ImportConflict::kUpdate) == std::vector<O>{O::kConflict});
    CheckImported(s, again[2]);
  }
  SECTION("fail stops at the first taken row: the rows before it are written, none after") {
    std::vector<ImportedCustomer> batch = {Imported(20, "twenty@example.com"),
                                           Imported(5, "five-again@example.com"),
                                           Imported(21, "twenty-one@example.com")};
    CHECK(MustImport(s, batch, ImportConflict::kFail) == std::vector<O>{O::kCreated, O::kConflict});
    CheckImported(s, batch[0]);
    CheckImported(s, rows[0]);
    CHECK(s.find_customer_by_id(21).code() == Code::kNotFound);
  }
  SECTION("a row with a negative id is refused and nothing of the batch is written") {
    std::vector<ImportedCustomer> batch = {Imported(30, "thirty@example.com"),
                                           Imported(-1, "minus@example.com")};
    CHECK(s.import_customers(batch, ImportConflict::kSkip).code() == Code::kInvalidInput);
    CHECK(s.find_customer_by_id(30).code() == Code::kNotFound);
  }
  SECTION("an empty batch is fine") { CHECK(MustImport(s, {}, ImportConflict::kSkip).empty()); }
}

TEMPLATE_TEST_CASE("emails are unique per website, compared case-insensitively",
                   "[storage][customer]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  const Customer roni = MustCreate(s, Person("roni_cost@example.com"));

  SECTION("the same email in another case on the same website is refused, changing nothing") {
    NewCustomer dup = Person("RONI_COST@Example.COM");
    dup.firstname = "Mallory";
    Result<Customer> r = s.create_customer(dup, kT0 + 1);
    CHECK(r.code() == Code::kAlreadyExists);
    CHECK(r.status().message() == msg::kCustomerExists);
    CheckSameCustomer(MustFind(s, roni.id), roni);
    CHECK(s.find_customer_by_id(roni.id + 1).code() == Code::kNotFound);
    // The failed create used no id.
    CHECK(MustCreate(s, Person("next@example.com")).id == roni.id + 1);
  }
  SECTION("the exact same email is refused") {
    CHECK(s.create_customer(Person("roni_cost@example.com"), kT0).code() == Code::kAlreadyExists);
  }
  SECTION("the same email on another website is another customer") {
    const Customer other = MustCreate(s, Person("Roni_Cost@example.com", 2));
    CHECK(other.id != roni.id);
    CHECK(other.website_id == 2);
    Result<Customer> on1 = s.find_customer_by_email(1, "roni_cost@example.com");
    Result<Customer> on2 = s.find_customer_by_email(2, "roni_cost@example.com");
    REQUIRE(on1.ok());
    REQUIRE(on2.ok());
    CHECK(on1->id == roni.id);
    CHECK(on2->id == other.id);
    CHECK(on2->email == "Roni_Cost@example.com");
    CHECK(s.find_customer_by_email(3, "roni_cost@example.com").code() == Code::kNotFound);
  }
}

TEMPLATE_TEST_CASE("find_customer_by_email and find_customer_by_id", "[storage][customer]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  const Customer roni = MustCreate(s, Person("Roni_Cost@Example.com"));
  MustCreate(s, Person("other@example.com"));

  for (const char* spelling : {"Roni_Cost@Example.com", "roni_cost@example.com",
                               "RONI_COST@EXAMPLE.COM", "rOnI_cOsT@eXaMpLe.CoM"}) {
    INFO(spelling);
    Result<Customer> found = s.find_customer_by_email(kDefaultWebsiteId, spelling);
    REQUIRE(found.ok());
    CheckSameCustomer(found.value(), roni);
  }
  CheckSameCustomer(MustFind(s, roni.id), roni);

  CHECK(s.find_customer_by_email(kDefaultWebsiteId, "nobody@example.com").code() ==
        Code::kNotFound);
  CHECK(s.find_customer_by_email(kDefaultWebsiteId, "roni_cost@example.co").code() ==
        Code::kNotFound);
  CHECK(s.find_customer_by_email(kDefaultWebsiteId, "").code() == Code::kNotFound);
  CHECK(s.find_customer_by_id(999).code() == Code::kNotFound);
  CHECK(s.find_customer_by_id(0).code() == Code::kNotFound);
  CHECK(s.find_customer_by_id(-1).code() == Code::kNotFound);
}

TEMPLATE_TEST_CASE("find_or_create_customer finds or creates", "[storage][customer]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  NewCustomer c = Person("New@Example.com");
  c.password_hash.clear();
  c.is_subscribed = true;
  Result<FindOrCreateResult> created = s.find_or_create_customer(c, kT0 + 1);
  REQUIRE(created.ok());
  CHECK(created->created);
  CHECK(created->customer.id > 0);
  CHECK(created->customer.email == "New@Example.com");
  CHECK(created->customer.is_subscribed);
  CHECK(created->customer.created_at == kT0 + 1);
  CheckSameCustomer(MustFind(s, created->customer.id), created->customer);

  // A second call, in another case and with other fields, finds the stored customer unchanged.
  NewCustomer again = Person("NEW@example.COM");
  again.firstname = "Other";
  Result<FindOrCreateResult> found = s.find_or_create_customer(again, kT0 + 2);
  REQUIRE(found.ok());
  CHECK_FALSE(found->created);
  CheckSameCustomer(found->customer, created->customer);

  // Another website creates another customer.
  Result<FindOrCreateResult> other = s.find_or_create_customer(Person("new@example.com", 2), kT0);
  REQUIRE(other.ok());
  CHECK(other->created);
  CHECK(other->customer.id != created->customer.id);
}

TEMPLATE_TEST_CASE("update_customer applies each field of the patch", "[storage][customer]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  const Customer before = MustCreate(s, Person("roni@example.com"), kT0);
  const Customer bystander = MustCreate(s, Person("bystander@example.com"), kT0);
  Customer expected = before;
  expected.updated_at = kT0 + 100;
  CustomerPatch patch;

  SECTION("firstname") {
    patch.firstname = "Ronnie";
    expected.firstname = "Ronnie";
  }
  SECTION("lastname") {
    patch.lastname = "Cost";
    expected.lastname = "Cost";
  }
  SECTION("is_subscribed") {
    patch.is_subscribed = true;
    expected.is_subscribed = true;
  }
  SECTION("confirmed") {
    patch.confirmed = false;
    expected.confirmed = false;
  }
  SECTION("is_active") {
    patch.is_active = false;
    expected.is_active = false;
  }
  SECTION("allow_remote_shopping_assistance") {
    patch.allow_remote_shopping_assistance = true;
    expected.allow_remote_shopping_assistance = true;
  }
  SECTION("password_hash") {
    patch.password_hash = "$argon2id$v=19$new";
    expected.password_hash = "$argon2id$v=19$new";
  }
  SECTION("password_hash to empty") {
    patch.password_hash = "";
    expected.password_hash = "";
  }
  SECTION("revoke_tokens_at") {
    patch.revoke_tokens_at = kT0 + 50;
    expected.tokens_revoked_at = kT0 + 50;
  }
  SECTION("everything at once") {
    patch.firstname = "A";
    patch.lastname = "B";
    patch.is_subscribed = true;
    patch.confirmed = false;
    patch.is_active = false;
    patch.allow_remote_shopping_assistance = true;
    patch.password_hash = "new";
    patch.revoke_tokens_at = kT0 + 60;
    expected.firstname = "A";
    expected.lastname = "B";
    expected.is_subscribed = true;
    expected.confirmed = false;
    expected.is_active = false;
    expected.allow_remote_shopping_assistance = true;
    expected.password_hash = "new";
    expected.tokens_revoked_at = kT0 + 60;
  }
  SECTION("an empty patch only touches updated_at") {}

  Result<Customer> after = s.update_customer(before.id, patch, kT0 + 100);
  INFO(after.status().to_string());
  REQUIRE(after.ok());
  CheckSameCustomer(after.value(), expected);
  CheckSameCustomer(MustFind(s, before.id), expected);
  CheckSameCustomer(MustFind(s, bystander.id), bystander);
}

TEMPLATE_TEST_CASE("update_customer refuses an unknown customer", "[storage][customer]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  CustomerPatch patch;
  patch.firstname = "Ghost";
  CHECK(s.update_customer(1, patch, kT0).code() == Code::kNotFound);
  const Customer c = MustCreate(s, Person("roni@example.com"));
  CHECK(s.update_customer(c.id + 1, patch, kT0).code() == Code::kNotFound);
  CheckSameCustomer(MustFind(s, c.id), c);
}

TEMPLATE_TEST_CASE("update_customer compare-and-set on the password hash", "[storage][customer]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  NewCustomer n = Person("roni@example.com");
  n.password_hash = "old-hash";
  const Customer before = MustCreate(s, n);

  SECTION("the expected hash matches: the update applies") {
    CustomerPatch patch;
    patch.expect_password_hash = "old-hash";
    patch.password_hash = "new-hash";
    patch.firstname = "Ronnie";
    Result<Customer> r = s.update_customer(before.id, patch, kT0 + 1);
    REQUIRE(r.ok());
    CHECK(r->password_hash == "new-hash");
    CHECK(r->firstname == "Ronnie");
    CHECK(MustFind(s, before.id).password_hash == "new-hash");

    // Now "old-hash" is stale: a second rehash based on it loses.
    CustomerPatch stale;
    stale.expect_password_hash = "old-hash";
    stale.password_hash = "rehash-of-old";
    CHECK(s.update_customer(before.id, stale, kT0 + 2).code() == Code::kConflict);
    CHECK(MustFind(s, before.id).password_hash == "new-hash");
  }
  SECTION("the expected hash differs: kConflict and no field changes") {
    CustomerPatch patch;
    patch.expect_password_hash = "OLD-HASH";
    patch.password_hash = "new-hash";
    patch.firstname = "Ronnie";
    patch.lastname = "Cost";
    patch.is_subscribed = true;
    patch.confirmed = false;
    patch.is_active = false;
    patch.allow_remote_shopping_assistance = true;
    patch.revoke_tokens_at = kT0 + 5;
    patch.clear_lock = true;
    REQUIRE(s.record_login_failure(before.id, kT0, LockoutPolicy{}).ok());
    const Customer with_failure = MustFind(s, before.id);
    const std::uint64_t epoch = Epoch(s);

    Result<Customer> r = s.update_customer(before.id, patch, kT0 + 1);
    CHECK(r.code() == Code::kConflict);
    CheckSameCustomer(MustFind(s, before.id), with_failure);
    CHECK(Epoch(s) == epoch);
  }
  SECTION("an empty stored hash matches an empty expectation only") {
    NewCustomer external = Person("external@example.com");
    external.password_hash.clear();
    const Customer e = MustCreate(s, external);
    CustomerPatch wrong;
    wrong.expect_password_hash = "old-hash";
    wrong.password_hash = "set";
    CHECK(s.update_customer(e.id, wrong, kT0 + 1).code() == Code::kConflict);
    CHECK(MustFind(s, e.id).password_hash.empty());
    CustomerPatch right;
    right.expect_password_hash = "";
    right.password_hash = "set";
    Result<Customer> r = s.update_customer(e.id, right, kT0 + 1);
    REQUIRE(r.ok());
    CHECK(r->password_hash == "set");
  }
  SECTION("an expectation without a new hash still guards the other fields") {
    CustomerPatch patch;
    patch.expect_password_hash = "not-it";
    patch.firstname = "Ronnie";
    CHECK(s.update_customer(before.id, patch, kT0 + 1).code() == Code::kConflict);
    CHECK(MustFind(s, before.id).firstname == before.firstname);
    patch.expect_password_hash = "old-hash";
    REQUIRE(s.update_customer(before.id, patch, kT0 + 1).ok());
    CHECK(MustFind(s, before.id).firstname == "Ronnie");
  }
}

TEMPLATE_TEST_CASE("update_customer refuse_when_locked: a lock at the write refuses the update",
                   "[storage][customer][lock]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  NewCustomer n = Person("roni@example.com");
  n.password_hash = "old-hash";
  const Customer c = MustCreate(s, n);
  const LockoutPolicy policy;
  for (int i = 0; i < policy.max_failures; ++i) {
    REQUIRE(s.record_login_failure(c.id, kT0, policy).ok());
  }
  const Customer locked = MustFind(s, c.id);
  REQUIRE(locked.locked_at(kT0 + 1));
  const std::uint64_t epoch = Epoch(s);

  CustomerPatch change;
  change.password_hash = "new-hash";
  change.expect_password_hash = "old-hash";
  change.clear_lock = true;
  change.revoke_tokens_at = kT0 + 1;
  change.refuse_when_locked = true;
  CHECK(s.update_customer(c.id, change, kT0 + 1).code() == Code::kLocked);
  CheckSameCustomer(MustFind(s, c.id), locked);
  CHECK(Epoch(s) == epoch);

  // Once the lock has expired the same update applies.
  Result<Customer> r = s.update_customer(c.id, change, *locked.lock_expires);
  REQUIRE(r.ok());
  CHECK(r->password_hash == "new-hash");
  CHECK_FALSE(r->lock_expires.has_value());
  CHECK(r->failures_num == 0);

  // Without the flag a lock does not stand in an update's way (an admin's edit).
  for (int i = 0; i < policy.max_failures; ++i) {
    REQUIRE(s.record_login_failure(c.id, kT0 + kHour, policy).ok());
  }
  CustomerPatch rename;
  rename.firstname = "Ronnie";
  Result<Customer> renamed = s.update_customer(c.id, rename, kT0 + kHour + 1);
  REQUIRE(renamed.ok());
  CHECK(renamed->firstname == "Ronnie");
  CHECK(renamed->locked_at(kT0 + kHour + 1));
}

TEMPLATE_TEST_CASE("revoke_tokens_at only raises and a change bumps the revocation epoch",
                   "[storage][customer][revocation]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const Customer other = MustCreate(s, Person("other@example.com"));

  const std::uint64_t e0 = Epoch(s);
  CHECK(Epoch(s) == e0);  // reading does not move it

  CustomerPatch raise;
  raise.revoke_tokens_at = kT0 + 1000;
  Result<Customer> r = s.update_customer(c.id, raise, kT0 + 1000);
  REQUIRE(r.ok());
  CHECK(r->tokens_revoked_at == kT0 + 1000);
  const std::uint64_t e1 = Epoch(s);
  CHECK(e1 != e0);

  CustomerPatch lower;
  lower.revoke_tokens_at = kT0 + 500;
  r = s.update_customer(c.id, lower, kT0 + 1100);
  REQUIRE(r.ok());
  CHECK(r->tokens_revoked_at == kT0 + 1000);
  CHECK(MustFind(s, c.id).tokens_revoked_at == kT0 + 1000);

  CustomerPatch higher;
  higher.revoke_tokens_at = kT0 + 2000;
  r = s.update_customer(c.id, higher, kT0 + 2000);
  REQUIRE(r.ok());
  CHECK(r->tokens_revoked_at == kT0 + 2000);
  const std::uint64_t e2 = Epoch(s);
  CHECK(e2 != e1);
  CHECK(e2 != e0);

  // Another customer's revocation moves the epoch too, and leaves the first customer alone.
  CustomerPatch other_patch;
  other_patch.revoke_tokens_at = kT0 + 3000;
  REQUIRE(s.update_customer(other.id, other_patch, kT0 + 3000).ok());
  const std::uint64_t e3 = Epoch(s);
  CHECK(e3 != e2);
  CHECK(MustFind(s, c.id).tokens_revoked_at == kT0 + 2000);
  CHECK(MustFind(s, other.id).tokens_revoked_at == kT0 + 3000);
}

TEMPLATE_TEST_CASE("withdrawing consent voids admin codes but not reset tokens",
                   "[storage][customer][secret]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  NewCustomer n = Person("roni@example.com");
  n.allow_remote_shopping_assistance = true;
  const Customer c = MustCreate(s, n);
  n.email = "other@example.com";
  const Customer other = MustCreate(s, n);
  REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "otc")).ok());
  REQUIRE(s.put_secret(Secret(SecretKind::kPasswordReset, c.id, "reset")).ok());
  REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, other.id, "other-otc")).ok());

  SECTION("setting it to false voids the code") {
    CustomerPatch withdraw;
    withdraw.allow_remote_shopping_assistance = false;
    Result<Customer> r = s.update_customer(c.id, withdraw, kT0 + 1);
    REQUIRE(r.ok());
    CHECK_FALSE(r->allow_remote_shopping_assistance);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "otc", kT0 + 2).code() == Code::kNotFound);
    // Opting in again does not bring the voided code back.
    CustomerPatch opt_in;
    opt_in.allow_remote_shopping_assistance = true;
    REQUIRE(s.update_customer(c.id, opt_in, kT0 + 3).ok());
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "otc", kT0 + 4).code() == Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "reset", kT0 + 5).ok());
    CHECK(s.consume_secret(SecretKind::kAdminOtc, other.id, "other-otc", kT0 + 5).ok());
  }
  SECTION("setting it to true, or patching other fields, voids nothing") {
    CustomerPatch keep;
    keep.allow_remote_shopping_assistance = true;
    keep.firstname = "Ronnie";
    keep.password_hash = "changed";
    REQUIRE(s.update_customer(c.id, keep, kT0 + 1).ok());
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "otc", kT0 + 2).ok());
    CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "reset", kT0 + 2).ok());
  }
}

TEMPLATE_TEST_CASE("clear_lock clears the lock state", "[storage][customer][lockout]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  LockoutPolicy policy;
  policy.max_failures = 3;
  for (int k = 0; k < 3; ++k) REQUIRE(s.record_login_failure(c.id, kT0 + k, policy).ok());
  REQUIRE(MustFind(s, c.id).locked_at(kT0 + 3));

  CustomerPatch clear;
  clear.clear_lock = true;
  Result<Customer> r = s.update_customer(c.id, clear, kT0 + 4);
  REQUIRE(r.ok());
  for (const Customer& after : {r.value(), MustFind(s, c.id)}) {
    CHECK(after.failures_num == 0);
    CHECK_FALSE(after.first_failure.has_value());
    CHECK_FALSE(after.lock_expires.has_value());
    CHECK_FALSE(after.locked_at(kT0 + 4));
  }
  // Counting starts afresh.
  Result<LockState> next = s.record_login_failure(c.id, kT0 + 5, policy);
  REQUIRE(next.ok());
  CHECK(next->failures_num == 1);
  CHECK(next->first_failure == kT0 + 5);
  CHECK_FALSE(next->locked);
}

// ---------------------------------------------------------------------------------------------
// Lockout

TEMPLATE_TEST_CASE("record_login_failure counts, locks and restarts the platform's way",
                   "[storage][lockout]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const Customer bystander = MustCreate(s, Person("bystander@example.com"));
  const LockoutPolicy policy;  // 10 failures in 10 minutes lock for 10 minutes
  REQUIRE(policy.max_failures == 10);

  // Failures one second apart: nine leave the account open.
  for (int k = 1; k <= 9; ++k) {
    Result<LockState> st = s.record_login_failure(c.id, kT0 + k * kSecond, policy);
    INFO("failure " << k);
    REQUIRE(st.ok());
    CHECK(st->failures_num == k);
    CHECK(st->first_failure == kT0 + kSecond);
    CHECK_FALSE(st->lock_expires.has_value());
    CHECK_FALSE(st->locked);
    CHECK_FALSE(st->newly_locked);
  }
  const TimeMs t10 = kT0 + 10 * kSecond;

  SECTION("the tenth failure locks for lock_duration") {
    Result<LockState> st = s.record_login_failure(c.id, t10, policy);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 10);
    CHECK(st->first_failure == kT0 + kSecond);
    CHECK(st->lock_expires == t10 + 10 * kMinute);
    CHECK(st->locked);
    CHECK(st->newly_locked);
    const Customer stored = MustFind(s, c.id);
    CHECK(stored.failures_num == 10);
    CHECK(stored.first_failure == kT0 + kSecond);
    CHECK(stored.lock_expires == t10 + 10 * kMinute);
    CHECK(stored.locked_at(t10 + 10 * kMinute - 1));
    CHECK_FALSE(stored.locked_at(t10 + 10 * kMinute));
    // Other customers are untouched.
    const Customer b = MustFind(s, bystander.id);
    CHECK(b.failures_num == 0);
    CHECK_FALSE(b.lock_expires.has_value());

    SECTION("a failure while locked keeps the account locked") {
      Result<LockState> again = s.record_login_failure(c.id, t10 + kMinute, policy);
      REQUIRE(again.ok());
      CHECK(again->locked);
      CHECK_FALSE(again->newly_locked);
      REQUIRE(again->lock_expires.has_value());
      CHECK(*again->lock_expires >= t10 + 10 * kMinute);
      CHECK(MustFind(s, c.id).locked_at(t10 + kMinute));
    }
    SECTION("a failure after the lock expired starts a new count at 1") {
      const TimeMs later = t10 + 10 * kMinute + 1;
      Result<LockState> fresh = s.record_login_failure(c.id, later, policy);
      REQUIRE(fresh.ok());
      CHECK(fresh->failures_num == 1);
      CHECK(fresh->first_failure == later);
      CHECK_FALSE(fresh->lock_expires.has_value());
      CHECK_FALSE(fresh->locked);
      CHECK_FALSE(fresh->newly_locked);
      const Customer stored_after = MustFind(s, c.id);
      CHECK(stored_after.failures_num == 1);
      CHECK(stored_after.first_failure == later);
      CHECK_FALSE(stored_after.lock_expires.has_value());
    }
  }
  SECTION("a failure within the window keeps counting") {
    Result<LockState> st = s.record_login_failure(c.id, kT0 + 9 * kMinute, policy);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 10);
    CHECK(st->locked);
  }
  SECTION("a failure after the window starts a new count at 1") {
    const TimeMs later = kT0 + kSecond + 10 * kMinute + 1;
    Result<LockState> st = s.record_login_failure(c.id, later, policy);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 1);
    CHECK(st->first_failure == later);
    CHECK_FALSE(st->lock_expires.has_value());
    CHECK_FALSE(st->locked);
    CHECK(MustFind(s, c.id).failures_num == 1);
  }
}

TEMPLATE_TEST_CASE("record_login_failure: a failure while locked never unlocks",
                   "[storage][lockout]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  // Failures spread over the window lock late, so the lock outlives the window that started at
  // the first failure. A failure in that stretch must not open the account.
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const LockoutPolicy policy;
  for (int k = 0; k < 10; ++k) {
    REQUIRE(s.record_login_failure(c.id, kT0 + k * kMinute, policy).ok());
  }
  const Customer locked = MustFind(s, c.id);
  REQUIRE(locked.lock_expires == kT0 + 9 * kMinute + 10 * kMinute);
  const TimeMs after_window = kT0 + 15 * kMinute;  // window passed, lock still on
  Result<LockState> st = s.record_login_failure(c.id, after_window, policy);
  REQUIRE(st.ok());
  CHECK(st->locked);
  CHECK(MustFind(s, c.id).locked_at(after_window));
}

TEMPLATE_TEST_CASE("record_login_failure with other policies", "[storage][lockout]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));

  SECTION("max_failures 0 counts but never locks") {
    LockoutPolicy never;
    never.max_failures = 0;
    for (int k = 1; k <= 50; ++k) {
      Result<LockState> st = s.record_login_failure(c.id, kT0 + k, never);
      REQUIRE(st.ok());
      CHECK(st->failures_num == k);
      CHECK_FALSE(st->locked);
      CHECK_FALSE(st->lock_expires.has_value());
    }
    const Customer stored = MustFind(s, c.id);
    CHECK(stored.failures_num == 50);
    CHECK_FALSE(stored.lock_expires.has_value());
  }
  SECTION("max_failures, lock_duration and window are honoured") {
    LockoutPolicy p;
    p.max_failures = 3;
    p.lock_duration = kMinute;
    p.window = 30 * kSecond;
    CHECK(s.record_login_failure(c.id, kT0, p)->failures_num == 1);
    CHECK(s.record_login_failure(c.id, kT0 + 10 * kSecond, p)->failures_num == 2);
    // 31 s after the first: a new window.
    Result<LockState> st = s.record_login_failure(c.id, kT0 + 31 * kSecond, p);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 1);
    CHECK(st->first_failure == kT0 + 31 * kSecond);
    CHECK(s.record_login_failure(c.id, kT0 + 32 * kSecond, p)->failures_num == 2);
    st = s.record_login_failure(c.id, kT0 + 33 * kSecond, p);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 3);
    CHECK(st->newly_locked);
    CHECK(st->lock_expires == kT0 + 33 * kSecond + kMinute);
  }
  SECTION("a failure after an expired lock starts anew even within the window") {
    LockoutPolicy p;
    p.max_failures = 3;
    p.lock_duration = kMinute;
    p.window = kHour;
    for (int k = 0; k < 3; ++k) REQUIRE(s.record_login_failure(c.id, kT0 + k, p).ok());
    REQUIRE(MustFind(s, c.id).lock_expires == kT0 + 2 + kMinute);
    const TimeMs later = kT0 + 2 + kMinute;  // the lock has just expired (locked while > now)
    Result<LockState> st = s.record_login_failure(c.id, later, p);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 1);
    CHECK(st->first_failure == later);
    CHECK_FALSE(st->lock_expires.has_value());
    CHECK_FALSE(st->locked);
    st = s.record_login_failure(c.id, later + 1, p);
    REQUIRE(st.ok());
    CHECK(st->failures_num == 2);
    CHECK(st->first_failure == later);
  }
  SECTION("an unknown customer is kNotFound") {
    CHECK(s.record_login_failure(c.id + 1, kT0, LockoutPolicy{}).code() == Code::kNotFound);
    CHECK(MustFind(s, c.id).failures_num == 0);
  }
}

// ---------------------------------------------------------------------------------------------
// One-time secrets

TEMPLATE_TEST_CASE("put_secret and consume_secret: one use", "[storage][secret]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const Customer other = MustCreate(s, Person("other@example.com"));

  // Hashes are binary: embedded NULs and high bytes must survive.
  const std::string hash("\x00\x01\xfe\xffhash\x00tail", 12);
  SecretRecord rec = Secret(SecretKind::kAdminOtc, c.id, hash, kT0, 30 * kSecond);
  rec.admin_id = 7;
  rec.reason = "Customer called support";
  REQUIRE(s.put_secret(rec).ok());

  SECTION("the right hash consumes it once") {
    Result<SecretRecord> got = s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 10);
    INFO(got.status().to_string());
    REQUIRE(got.ok());
    CHECK(got->kind == SecretKind::kAdminOtc);
    CHECK(got->customer_id == c.id);
    CHECK(got->hash == hash);
    CHECK(got->created_at == kT0);
    CHECK(got->expires_at == kT0 + 30 * kSecond);
    CHECK(got->admin_id == std::optional<std::int64_t>(7));
    CHECK(got->reason == "Customer called support");
    CHECK(got->used_at == std::optional<TimeMs>(kT0 + 10));

    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 11).code() == Code::kNotFound);
    // A used secret does not come back as expired either.
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + kHour).code() ==
          Code::kNotFound);
  }
  SECTION("a wrong hash is kNotFound and consumes nothing") {
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "wrong", kT0 + 1).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash.substr(0, 11), kT0 + 1).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "", kT0 + 1).code() == Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 2).ok());
  }
  SECTION("another customer's id does not reach it") {
    CHECK(s.consume_secret(SecretKind::kAdminOtc, other.id, hash, kT0 + 1).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, other.id + 100, hash, kT0 + 1).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 2).ok());
  }
  SECTION("the last moment before expires_at is still valid") {
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 30 * kSecond - 1).ok());
  }
  SECTION("at or after expires_at it is kExpired and stays unusable") {
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 30 * kSecond).code() ==
          Code::kExpired);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + 31 * kSecond).code() ==
          Code::kExpired);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, hash, kT0 + kHour).code() ==
          Code::kExpired);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "wrong", kT0 + kHour).code() ==
          Code::kNotFound);
  }
}

TEMPLATE_TEST_CASE("put_secret replaces, void_secrets voids, kinds are independent",
                   "[storage][secret]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));

  SECTION("a new secret of the same kind voids the earlier one") {
    REQUIRE(s.put_secret(Secret(SecretKind::kPasswordReset, c.id, "first", kT0, 2 * kHour)).ok());
    REQUIRE(
        s.put_secret(Secret(SecretKind::kPasswordReset, c.id, "second", kT0 + 1, 2 * kHour)).ok());
    CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "first", kT0 + 2).code() ==
          Code::kNotFound);
    Result<SecretRecord> got =
        s.consume_secret(SecretKind::kPasswordReset, c.id, "second", kT0 + 3);
    REQUIRE(got.ok());
    CHECK(got->created_at == kT0 + 1);
    CHECK(got->expires_at == kT0 + 1 + 2 * kHour);
  }
  SECTION("void_secrets voids the unused secret of that kind only") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "otc")).ok());
    REQUIRE(s.put_secret(Secret(SecretKind::kPasswordReset, c.id, "reset")).ok());
    REQUIRE(s.void_secrets(SecretKind::kAdminOtc, c.id).ok());
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "otc", kT0 + 1).code() == Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "reset", kT0 + 1).ok());
    // Nothing left to void: still OK.
    CHECK(s.void_secrets(SecretKind::kAdminOtc, c.id).ok());
    CHECK(s.void_secrets(SecretKind::kPasswordReset, c.id).ok());
  }
  SECTION("replacing a used secret issues a fresh usable one, even with the same hash") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "same")).ok());
    REQUIRE(s.consume_secret(SecretKind::kAdminOtc, c.id, "same", kT0 + 1).ok());
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "same", kT0 + 2)).ok());
    Result<SecretRecord> got = s.consume_secret(SecretKind::kAdminOtc, c.id, "same", kT0 + 3);
    REQUIRE(got.ok());
    CHECK(got->used_at == std::optional<TimeMs>(kT0 + 3));
  }
  SECTION("the same hash under both kinds: each is consumed on its own") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "shared")).ok());
    REQUIRE(s.put_secret(Secret(SecretKind::kPasswordReset, c.id, "shared")).ok());
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "shared", kT0 + 1).ok());
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "shared", kT0 + 1).code() ==
          Code::kNotFound);
    Result<SecretRecord> reset =
        s.consume_secret(SecretKind::kPasswordReset, c.id, "shared", kT0 + 2);
    REQUIRE(reset.ok());
    CHECK(reset->kind == SecretKind::kPasswordReset);
  }
  SECTION("a secret of one kind is not found under the other") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "otc")).ok());
    CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "otc", kT0 + 1).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "otc", kT0 + 1).ok());
  }
  SECTION("put_secret for an unknown customer is kNotFound") {
    CHECK(s.put_secret(Secret(SecretKind::kAdminOtc, c.id + 1, "otc")).code() == Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id + 1, "otc", kT0 + 1).code() ==
          Code::kNotFound);
  }
  SECTION("nothing was ever issued") {
    CHECK(s.consume_secret(SecretKind::kPasswordReset, c.id, "x", kT0).code() == Code::kNotFound);
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limits

TEMPLATE_TEST_CASE("take_rate_slots: limit per window, sliding", "[storage][rate]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const std::vector<RateRule> five = {Rule("reset:email:roni@example.com", 5, kHour)};

  // Requests at 0, 10, 20, 30, 40 minutes.
  for (int k = 0; k < 5; ++k) CHECK(Take(s, five, kT0 + k * 10 * kMinute) == Code::kOk);
  CHECK(Take(s, five, kT0 + 50 * kMinute) == Code::kRateLimited);
  CHECK(Take(s, five, kT0 + 60 * kMinute - 1) == Code::kRateLimited);
  // At 60 minutes the request at 0 left the window (now - window, now]: one slot again.
  CHECK(Take(s, five, kT0 + 60 * kMinute) == Code::kOk);
  CHECK(Take(s, five, kT0 + 60 * kMinute + 1) == Code::kRateLimited);
  // At 70 minutes the request at 10 leaves; the refusals above took nothing.
  CHECK(Take(s, five, kT0 + 70 * kMinute) == Code::kOk);
  CHECK(Take(s, five, kT0 + 70 * kMinute) == Code::kRateLimited);

  // Other buckets are independent.
  CHECK(Take(s, {Rule("reset:email:other@example.com", 5, kHour)}, kT0 + 70 * kMinute) ==
        Code::kOk);
  // No rules: nothing to refuse.
  CHECK(Take(s, {}, kT0) == Code::kOk);
}

TEMPLATE_TEST_CASE("take_rate_slots: refused requests take no slot", "[storage][rate]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const std::vector<RateRule> two = {Rule("ip:203.0.113.9", 2, 10 * kMinute)};
  CHECK(Take(s, two, kT0) == Code::kOk);
  CHECK(Take(s, two, kT0 + 1) == Code::kOk);
  for (int k = 0; k < 20; ++k) CHECK(Take(s, two, kT0 + 5 * kMinute + k) == Code::kRateLimited);
  // Once the two taken slots left the window, two more fit, although the refusals are recent.
  CHECK(Take(s, two, kT0 + 10 * kMinute + 1) == Code::kOk);
  CHECK(Take(s, two, kT0 + 10 * kMinute + 2) == Code::kOk);
  CHECK(Take(s, two, kT0 + 10 * kMinute + 3) == Code::kRateLimited);
}

TEMPLATE_TEST_CASE("take_rate_slots: min_interval", "[storage][rate]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const std::vector<RateRule> spaced = {Rule("reset:email:roni", 5, kHour, 10 * kMinute)};
  CHECK(Take(s, spaced, kT0) == Code::kOk);
  CHECK(Take(s, spaced, kT0 + 1) == Code::kRateLimited);
  CHECK(Take(s, spaced, kT0 + 10 * kMinute - 1) == Code::kRateLimited);
  CHECK(Take(s, spaced, kT0 + 10 * kMinute + 1) == Code::kOk);
  // The interval counts from the last request taken, not from refused ones.
  CHECK(Take(s, spaced, kT0 + 15 * kMinute) == Code::kRateLimited);
  CHECK(Take(s, spaced, kT0 + 20 * kMinute + 2) == Code::kOk);
}

TEMPLATE_TEST_CASE("take_rate_slots is all-or-nothing across rules", "[storage][rate]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const RateRule by_email = Rule("reset:email:roni@example.com", 5, kHour);
  const RateRule by_ip = Rule("reset:ip:203.0.113.9", 1, kHour);

  SECTION("a refusal by the second rule records nothing in the first") {
    CHECK(Take(s, {by_email, by_ip}, kT0) == Code::kOk);
    for (int k = 1; k <= 10; ++k) {
      CHECK(Take(s, {by_email, by_ip}, kT0 + k) == Code::kRateLimited);
    }
    // The email bucket holds one event: four more fit.
    for (int k = 0; k < 4; ++k) CHECK(Take(s, {by_email}, kT0 + 100 + k) == Code::kOk);
    CHECK(Take(s, {by_email}, kT0 + 200) == Code::kRateLimited);
  }
  SECTION("a refusal by the first rule records nothing in the second") {
    for (int k = 0; k < 5; ++k) CHECK(Take(s, {by_email}, kT0 + k) == Code::kOk);
    CHECK(Take(s, {by_email, by_ip}, kT0 + 10) == Code::kRateLimited);
    // The ip bucket is still empty.
    CHECK(Take(s, {by_ip}, kT0 + 11) == Code::kOk);
    CHECK(Take(s, {by_ip}, kT0 + 12) == Code::kRateLimited);
  }
  SECTION("a min_interval refusal records nothing elsewhere") {
    const RateRule spaced = Rule("reset:email:spaced", 5, kHour, 10 * kMinute);
    const RateRule other = Rule("reset:ip:spaced", 2, kHour);
    CHECK(Take(s, {other, spaced}, kT0) == Code::kOk);
    CHECK(Take(s, {other, spaced}, kT0 + kMinute) == Code::kRateLimited);
    CHECK(Take(s, {other}, kT0 + 2 * kMinute) == Code::kOk);
    CHECK(Take(s, {other}, kT0 + 3 * kMinute) == Code::kRateLimited);
  }
}

// ---------------------------------------------------------------------------------------------
// OAuth nonces

TEMPLATE_TEST_CASE("insert_nonce refuses replays while live", "[storage][nonce]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const std::string key_a(32, 'a');
  const std::string key_b(32, 'b');
  const TimeMs exp = kT0 + 600 * kSecond;

  REQUIRE(s.insert_nonce(key_a, "n-1", exp, kT0).ok());
  CHECK(s.insert_nonce(key_a, "n-1", exp, kT0 + 1).code() == Code::kAlreadyExists);
  CHECK(s.insert_nonce(key_a, "n-1", exp + kHour, exp - 1).code() == Code::kAlreadyExists);
  // Per consumer key, per nonce.
  CHECK(s.insert_nonce(key_b, "n-1", exp, kT0).ok());
  CHECK(s.insert_nonce(key_a, "n-2", exp, kT0).ok());
  CHECK(s.insert_nonce(key_a, "N-1", exp, kT0).ok());  // nonces are compared exactly
  // After expiry the pair is accepted again; the refused replay above did not extend it.
  CHECK(s.insert_nonce(key_a, "n-1", exp + 10 * kMinute, exp + 1).ok());
  CHECK(s.insert_nonce(key_a, "n-1", exp + 10 * kMinute, exp + 2).code() == Code::kAlreadyExists);
}

TEMPLATE_TEST_CASE("prune_nonces deletes expired records and counts them", "[storage][nonce]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  // Only prune_nonces prunes here: the inserts remove no expired nonce (retention_test.cpp).
  RetentionPolicy no_pruning_writes;
  no_pruning_writes.per_write = 0;
  s.set_retention(no_pruning_writes);
  const std::string key(32, 'k');
  REQUIRE(s.insert_nonce(key, "a", kT0 + 100, kT0).ok());
  REQUIRE(s.insert_nonce(key, "b", kT0 + 200, kT0).ok());
  REQUIRE(s.insert_nonce(key, "c", kT0 + 300, kT0).ok());
  REQUIRE(s.insert_nonce(std::string(32, 'z'), "a", kT0 + 150, kT0).ok());

  Result<std::int64_t> pruned = s.prune_nonces(kT0 + 99);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 0);
  pruned = s.prune_nonces(kT0 + 200);  // expires_at <= now
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 3);
  pruned = s.prune_nonces(kT0 + 200);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 0);
  // "c" survived and still refuses a replay.
  CHECK(s.insert_nonce(key, "c", kT0 + 900, kT0 + 250).code() == Code::kAlreadyExists);
  // An expired nonce accepted again before any prune lives by its new expiry: a prune at the old
  // one leaves it, and one at the new one removes it once.
  REQUIRE(s.insert_nonce(key, "d", kT0 + 320, kT0).ok());
  REQUIRE(s.insert_nonce(key, "d", kT0 + 2000, kT0 + 330).ok());
  pruned = s.prune_nonces(kT0 + 1000);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 1);  // "c" only
  CHECK(s.insert_nonce(key, "d", kT0 + 3000, kT0 + 1001).code() == Code::kAlreadyExists);
  pruned = s.prune_nonces(kT0 + 2000);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 1);
  pruned = s.prune_nonces(kT0 + 5000);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 0);
  CHECK(s.insert_nonce(key, "d", kT0 + 6000, kT0 + 5000).ok());
}

// ---------------------------------------------------------------------------------------------
// Opaque tokens

TEMPLATE_TEST_CASE("opaque tokens: put, find, duplicate, prune", "[storage][token]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));

  OpaqueTokenRecord t1;
  t1.hash = std::string("\x00tok\xff\x01", 6);
  t1.customer_id = c.id;
  t1.issued_at = kT0;
  t1.expires_at = kT0 + kHour;
  OpaqueTokenRecord t2 = t1;
  t2.hash = "second";
  t2.expires_at = kT0 + 2 * kHour;
  REQUIRE(s.put_opaque_token(t1).ok());
  REQUIRE(s.put_opaque_token(t2).ok());

  Result<OpaqueTokenRecord> found = s.find_opaque_token(t1.hash);
  REQUIRE(found.ok());
  CHECK(found->hash == t1.hash);
  CHECK(found->customer_id == c.id);
  CHECK(found->issued_at == kT0);
  CHECK(found->expires_at == kT0 + kHour);
  CHECK(s.find_opaque_token("missing").code() == Code::kNotFound);
  CHECK(s.find_opaque_token(std::string("\x00tok", 4)).code() == Code::kNotFound);

  // A hash collision is refused and the stored token keeps its fields.
  OpaqueTokenRecord clash = t1;
  clash.customer_id = c.id + 1;
  clash.expires_at = kT0 + 9 * kHour;
  CHECK(s.put_opaque_token(clash).code() == Code::kAlreadyExists);
  found = s.find_opaque_token(t1.hash);
  REQUIRE(found.ok());
  CHECK(found->customer_id == c.id);
  CHECK(found->expires_at == kT0 + kHour);

  Result<std::int64_t> pruned = s.prune_opaque_tokens(kT0 + kHour - 1);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 0);
  pruned = s.prune_opaque_tokens(kT0 + kHour);  // expires_at <= before
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 1);
  CHECK(s.find_opaque_token(t1.hash).code() == Code::kNotFound);
  CHECK(s.find_opaque_token("second").ok());
  pruned = s.prune_opaque_tokens(kT0 + 3 * kHour);
  REQUIRE(pruned.ok());
  CHECK(pruned.value() == 1);
  CHECK(s.find_opaque_token("second").code() == Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Integrations

TEMPLATE_TEST_CASE("integrations: create, find, list", "[storage][integration]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  Integration in = MakeIntegration("1");
  in.permissions = {"b", "a", "b", "c", "a"};
  Result<Integration> first = s.create_integration(in);
  REQUIRE(first.ok());
  CHECK(first->id > 0);
  CHECK(first->permissions == std::vector<std::string>{"a", "b", "c"});

  Result<Integration> found = s.find_integration(in.consumer_key);
  REQUIRE(found.ok());
  CHECK(found->id == first->id);
  CHECK(found->name == in.name);
  CHECK(found->consumer_key == in.consumer_key);
  CHECK(found->access_token == in.access_token);
  CHECK(found->consumer_secret_sealed == in.consumer_secret_sealed);
  CHECK(found->token_secret_sealed == in.token_secret_sealed);
  CHECK(found->permissions == std::vector<std::string>{"a", "b", "c"});
  CHECK(found->active);
  CHECK(found->created_at == kT0);
  CHECK_FALSE(found->revoked_at.has_value());

  Integration in2 = MakeIntegration("2");
  in2.permissions.clear();
  Result<Integration> second = s.create_integration(in2);
  REQUIRE(second.ok());
  CHECK(second->id > first->id);
  CHECK(second->permissions.empty());

  SECTION("a taken consumer key is refused") {
    Integration dup = MakeIntegration("3");
    dup.consumer_key = in.consumer_key;
    CHECK(s.create_integration(dup).code() == Code::kAlreadyExists);
  }
  SECTION("a taken access token is refused") {
    Integration dup = MakeIntegration("3");
    dup.access_token = in2.access_token;
    CHECK(s.create_integration(dup).code() == Code::kAlreadyExists);
    CHECK(s.find_integration(dup.consumer_key).code() == Code::kNotFound);
  }
  SECTION("a revoked integration still holds its keys") {
    REQUIRE(s.revoke_integration(in.consumer_key, kT0 + 1).ok());
    Integration dup = MakeIntegration("3");
    dup.consumer_key = in.consumer_key;
    CHECK(s.create_integration(dup).code() == Code::kAlreadyExists);
  }

  Result<std::vector<Integration>> all = s.list_integrations();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == first->id);
  CHECK((*all)[0].consumer_key == in.consumer_key);
  CHECK((*all)[0].permissions == std::vector<std::string>{"a", "b", "c"});
  CHECK((*all)[1].id == second->id);
  CHECK((*all)[1].access_token == in2.access_token);
  CHECK(s.find_integration(std::string(32, 'x')).code() == Code::kNotFound);
}

TEMPLATE_TEST_CASE("integrations: permissions and revocation", "[storage][integration]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Integration in = MakeIntegration("1");
  const Integration bystander = MakeIntegration("2");
  REQUIRE(s.create_integration(in).ok());
  REQUIRE(s.create_integration(bystander).ok());

  REQUIRE(s.set_integration_permissions(in.consumer_key, {"z", "y", "z"}).ok());
  Result<Integration> found = s.find_integration(in.consumer_key);
  REQUIRE(found.ok());
  CHECK(found->permissions == std::vector<std::string>{"y", "z"});
  REQUIRE(s.set_integration_permissions(in.consumer_key, {}).ok());
  found = s.find_integration(in.consumer_key);
  REQUIRE(found.ok());
  CHECK(found->permissions.empty());
  CHECK(s.set_integration_permissions(std::string(32, 'x'), {"a"}).code() == Code::kNotFound);

  REQUIRE(s.revoke_integration(in.consumer_key, kT0 + 5).ok());
  found = s.find_integration(in.consumer_key);
  REQUIRE(found.ok());
  CHECK_FALSE(found->active);
  CHECK(found->revoked_at == std::optional<TimeMs>(kT0 + 5));
  CHECK(s.revoke_integration(std::string(32, 'x'), kT0).code() == Code::kNotFound);

  Result<Integration> other = s.find_integration(bystander.consumer_key);
  REQUIRE(other.ok());
  CHECK(other->active);
  CHECK_FALSE(other->revoked_at.has_value());
  CHECK(other->permissions == std::vector<std::string>{"custauth::exchange_external_customer_token",
                                                       "custauth::issue_otc"});
}

// ---------------------------------------------------------------------------------------------
// Audit

TEMPLATE_TEST_CASE("audit: append and list with filters", "[storage][audit]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;

  AuditRecord full;
  full.id = 999;  // ignored
  full.at = kT0;
  full.event = "otc.issue";
  full.customer_id = 6;
  full.admin_id = 7;
  full.actor = "admin:7";
  full.reason = "Customer called support";
  full.client_ip = "203.0.113.9";
  full.detail = R"({"ttl_ms":30000})";
  Result<std::int64_t> id1 = s.append_audit(full);
  REQUIRE(id1.ok());
  CHECK(id1.value() > 0);

  std::vector<std::int64_t> ids = {id1.value()};
  for (int k = 1; k < 6; ++k) {
    // Customers 6, 8, 6, 8, (none).
    std::optional<std::int64_t> who;
    if (k < 5) who = (k % 2 == 0) ? 6 : 8;
    Result<std::int64_t> id = s.append_audit(Audit("login.failure", who, kT0 + k));
    REQUIRE(id.ok());
    CHECK(id.value() > ids.back());
    ids.push_back(id.value());
  }

  Result<std::vector<AuditRecord>> all = s.list_audit(AuditQuery{});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 6);
  for (std::size_t k = 0; k < 6; ++k) CHECK((*all)[k].id == ids[k]);
  const AuditRecord& r0 = (*all)[0];
  CHECK(r0.at == kT0);
  CHECK(r0.event == "otc.issue");
  CHECK(r0.customer_id == std::optional<std::int64_t>(6));
  CHECK(r0.admin_id == std::optional<std::int64_t>(7));
  CHECK(r0.actor == "admin:7");
  CHECK(r0.reason == "Customer called support");
  CHECK(r0.client_ip == "203.0.113.9");
  CHECK(r0.detail == R"({"ttl_ms":30000})");
  CHECK_FALSE((*all)[5].customer_id.has_value());
  CHECK_FALSE((*all)[5].admin_id.has_value());
  CHECK((*all)[5].detail.empty());

  AuditQuery q;
  q.customer_id = 6;
  Result<std::vector<AuditRecord>> six = s.list_audit(q);
  REQUIRE(six.ok());
  REQUIRE(six->size() == 3);
  CHECK((*six)[0].id == ids[0]);
  CHECK((*six)[1].id == ids[2]);
  CHECK((*six)[2].id == ids[4]);

  q = AuditQuery{};
  q.after_id = ids[2];
  Result<std::vector<AuditRecord>> after = s.list_audit(q);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 3);
  CHECK((*after)[0].id == ids[3]);
  CHECK((*after)[2].id == ids[5]);

  q = AuditQuery{};
  q.limit = 2;
  Result<std::vector<AuditRecord>> limited = s.list_audit(q);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 2);
  CHECK((*limited)[0].id == ids[0]);  // oldest first
  CHECK((*limited)[1].id == ids[1]);

  q = AuditQuery{};
  q.customer_id = 8;
  q.after_id = ids[1];
  q.limit = 1;
  Result<std::vector<AuditRecord>> combined = s.list_audit(q);
  REQUIRE(combined.ok());
  REQUIRE(combined->size() == 1);
  CHECK((*combined)[0].id == ids[3]);

  q = AuditQuery{};
  q.after_id = ids[5];
  Result<std::vector<AuditRecord>> none = s.list_audit(q);
  REQUIRE(none.ok());
  CHECK(none->empty());
  q = AuditQuery{};
  q.customer_id = 12345;
  none = s.list_audit(q);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

// ---------------------------------------------------------------------------------------------
// Concurrency: many threads on one Storage. Catch2 assertions are not thread-safe, so workers
// only record outcomes; the main thread checks them after joining.

TEMPLATE_TEST_CASE("racing consume_secret: exactly one winner per code",
                   "[storage][secret][concurrency]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  constexpr int kRounds = 200;

  std::vector<Status> puts(kRounds);
  std::vector<std::vector<Code>> codes(kRounds, std::vector<Code>(kThreads, Code::kInternal));
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        sync.arrive_and_wait();  // the code is in place
        codes[r][t] =
            s.consume_secret(SecretKind::kAdminOtc, c.id, "code-" + std::to_string(r), kT0 + r + 1)
                .code();
        sync.arrive_and_wait();  // everyone has tried
      }
    });
  }
  for (int r = 0; r < kRounds; ++r) {
    puts[r] = s.put_secret(
        Secret(SecretKind::kAdminOtc, c.id, "code-" + std::to_string(r), kT0 + r, kHour));
    sync.arrive_and_wait();
    sync.arrive_and_wait();
  }
  for (std::thread& w : workers) w.join();

  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    INFO("round " << r);
    CHECK(puts[r].ok());
    const auto wins = std::count(codes[r].begin(), codes[r].end(), Code::kOk);
    const auto losses = std::count(codes[r].begin(), codes[r].end(), Code::kNotFound);
    if (wins != 1 || losses != kThreads - 1) {
      ++bad_rounds;
      CHECK(wins == 1);
      CHECK(losses == kThreads - 1);
    }
  }
  CHECK(bad_rounds == 0);
}

TEMPLATE_TEST_CASE("racing find_or_create_customer: one creates, all get that customer",
                   "[storage][customer][concurrency]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  constexpr int kRounds = 25;

  struct Outcome {
    Code code = Code::kInternal;
    bool created = false;
    std::int64_t id = 0;
  };
  std::vector<std::vector<Outcome>> outcomes(kRounds, std::vector<Outcome>(kThreads));
  std::barrier sync(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        // Every racer spells the new email in its own case.
        NewCustomer c = Person(MixCase("new-" + std::to_string(r) + "@example.com", t));
        c.password_hash.clear();
        sync.arrive_and_wait();
        Result<FindOrCreateResult> res = s.find_or_create_customer(c, kT0 + r);
        Outcome& o = outcomes[r][t];
        o.code = res.code();
        if (res.ok()) {
          o.created = res->created;
          o.id = res->customer.id;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();

  std::vector<std::int64_t> round_ids;
  for (int r = 0; r < kRounds; ++r) {
    INFO("round " << r);
    int created = 0;
    for (const Outcome& o : outcomes[r]) {
      CHECK(o.code == Code::kOk);
      CHECK(o.id == outcomes[r][0].id);
      created += o.created ? 1 : 0;
    }
    CHECK(created == 1);
    Result<Customer> stored =
        s.find_customer_by_email(kDefaultWebsiteId, "new-" + std::to_string(r) + "@example.com");
    REQUIRE(stored.ok());
    CHECK(stored->id == outcomes[r][0].id);
    round_ids.push_back(stored->id);
  }
  std::sort(round_ids.begin(), round_ids.end());
  CHECK(std::adjacent_find(round_ids.begin(), round_ids.end()) == round_ids.end());
  // Exactly kRounds customers exist: the next assigned id follows them.
  CHECK(MustCreate(s, Person("after@example.com")).id == kRounds + 1);
}

TEMPLATE_TEST_CASE("racing record_login_failure loses no failure",
                   "[storage][lockout][concurrency]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  constexpr int kPerThread = 40;
  LockoutPolicy never;
  never.max_failures = 0;

  std::vector<std::vector<Code>> codes(kThreads, std::vector<Code>(kPerThread, Code::kInternal));
  std::vector<int> max_seen(kThreads, 0);
  std::barrier sync(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      sync.arrive_and_wait();
      for (int k = 0; k < kPerThread; ++k) {
        Result<LockState> st = s.record_login_failure(c.id, kT0 + 1, never);
        codes[t][k] = st.code();
        if (st.ok()) max_seen[t] = std::max(max_seen[t], st->failures_num);
      }
    });
  }
  for (std::thread& w : workers) w.join();

  int failures = 0;
  for (const auto& per_thread : codes) {
    failures += static_cast<int>(std::count(per_thread.begin(), per_thread.end(), Code::kOk));
  }
  CHECK(failures == kThreads * kPerThread);
  const Customer stored = MustFind(s, c.id);
  CHECK(stored.failures_num == kThreads * kPerThread);
  CHECK(*std::max_element(max_seen.begin(), max_seen.end()) == kThreads * kPerThread);
  CHECK_FALSE(stored.lock_expires.has_value());
}

TEMPLATE_TEST_CASE("racing record_login_failure locks exactly once",
                   "[storage][lockout][concurrency]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const LockoutPolicy policy;  // locks at 10

  std::vector<Code> codes(kThreads, Code::kInternal);
  std::vector<int> counts(kThreads, 0);
  std::vector<char> newly(kThreads, 0);
  std::barrier sync(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      sync.arrive_and_wait();
      Result<LockState> st = s.record_login_failure(c.id, kT0 + 1, policy);
      codes[t] = st.code();
      if (st.ok()) {
        counts[t] = st->failures_num;
        newly[t] = st->newly_locked ? 1 : 0;
      }
    });
  }
  for (std::thread& w : workers) w.join();

  CHECK(std::count(codes.begin(), codes.end(), Code::kOk) == kThreads);
  // Each failure saw its own count 1..16.
  std::vector<int> sorted = counts;
  std::sort(sorted.begin(), sorted.end());
  for (int k = 0; k < kThreads; ++k) CHECK(sorted[k] == k + 1);
  CHECK(std::count(newly.begin(), newly.end(), 1) == 1);
  CHECK(MustFind(s, c.id).locked_at(kT0 + 1));
}

TEMPLATE_TEST_CASE("racing insert_nonce: exactly one is accepted", "[storage][nonce][concurrency]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  constexpr int kRounds = 50;
  const std::string key(32, 'k');

  std::vector<std::vector<Code>> codes(kRounds, std::vector<Code>(kThreads, Code::kInternal));
  std::barrier sync(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        sync.arrive_and_wait();
        codes[r][t] =
            s.insert_nonce(key, "nonce-" + std::to_string(r), kT0 + 600 * kSecond, kT0).code();
      }
    });
  }
  for (std::thread& w : workers) w.join();

  for (int r = 0; r < kRounds; ++r) {
    INFO("round " << r);
    CHECK(std::count(codes[r].begin(), codes[r].end(), Code::kOk) == 1);
    CHECK(std::count(codes[r].begin(), codes[r].end(), Code::kAlreadyExists) == kThreads - 1);
  }
}

TEMPLATE_TEST_CASE("racing take_rate_slots: exactly the limit succeeds",
                   "[storage][rate][concurrency]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  constexpr int kRounds = 20;

  std::vector<std::vector<Code>> codes(kRounds, std::vector<Code>(kThreads, Code::kInternal));
  std::barrier sync(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        // Two rules per call: an own bucket per round with room for 5, and a shared one with room
        // for plenty, so all-or-nothing is raced too.
        const std::vector<RateRule> rules = {Rule("race:" + std::to_string(r), 5, kHour),
                                             Rule("race:shared", 1000000, kHour)};
        sync.arrive_and_wait();
        codes[r][t] = s.take_rate_slots(rules, kT0 + r).code();
      }
    });
  }
  for (std::thread& w : workers) w.join();

  for (int r = 0; r < kRounds; ++r) {
    INFO("round " << r);
    CHECK(std::count(codes[r].begin(), codes[r].end(), Code::kOk) == 5);
    CHECK(std::count(codes[r].begin(), codes[r].end(), Code::kRateLimited) == kThreads - 5);
  }
  // The shared bucket recorded exactly the accepted requests: 5 per round.
  const std::vector<RateRule> shared = {Rule("race:shared", kRounds * 5 + 1, kHour)};
  CHECK(s.take_rate_slots(shared, kT0 + kRounds).ok());
  CHECK(s.take_rate_slots(shared, kT0 + kRounds).code() == Code::kRateLimited);
}

// ---------------------------------------------------------------------------------------------
// Ids: duplicates in one import batch, rows without an id, the largest id, no reuse

constexpr std::int64_t kLargestId = (std::int64_t{1} << 53) - 1;

TEMPLATE_TEST_CASE("import kSkip: the later of two rows with one id or one email is skipped",
                   "[storage][import][ids]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  std::vector<ImportedCustomer> batch = {
      Imported(7, "seven@example.com"), Imported(7, "seven-again@example.com"),
      Imported(8, "SEVEN@example.com"), Imported(9, "nine@example.com")};
  CHECK(MustImport(s, batch, ImportConflict::kSkip) ==
        std::vector<O>{O::kCreated, O::kSkipped, O::kSkipped, O::kCreated});
  CheckImported(s, batch[0]);
  CheckImported(s, batch[3]);
  CHECK(s.find_customer_by_id(8).code() == Code::kNotFound);
  // A row whose email is taken before one of its id that is free: still the first one's fate.
  std::vector<ImportedCustomer> again = {Imported(10, "nine@example.com"),
                                         Imported(10, "ten@example.com")};
  CHECK(MustImport(s, again, ImportConflict::kSkip) == std::vector<O>{O::kSkipped, O::kCreated});
  CheckImported(s, again[1]);
}

TEMPLATE_TEST_CASE("import: a row with id 0 is a new customer with the next id",
                   "[storage][import][ids]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer first = s.create_customer(Person("first@example.com"), kT0).value();
  ImportedCustomer locked = Imported(0, "locked@example.com");
  locked.lock_expires = kT0 + kHour;
  locked.tokens_revoked_at = kT0 - kMinute;
  const auto mode = GENERATE(ImportConflict::kSkip, ImportConflict::kUpdate, ImportConflict::kFail);
  CAPTURE(static_cast<int>(mode));
  std::vector<ImportedCustomer> batch = {locked, Imported(40, "forty@example.com"),
                                         Imported(0, "after-forty@example.com")};
  CHECK(MustImport(s, batch, mode) == std::vector<O>{O::kCreated, O::kCreated, O::kCreated});
  // Every column of the row, under the id assigned in order.
  batch[0].customer.id = first.id + 1;
  batch[2].customer.id = 41;
  CheckImported(s, batch[0]);
  CheckImported(s, batch[2]);
  CHECK(MustFind(s, first.id + 1).tokens_revoked_at == kT0 - kMinute);
  // Its email taken: skipped, or a conflict; never an update of the customer who has it.
  std::vector<ImportedCustomer> taken = {Imported(0, "FIRST@example.com")};
  const O expected = mode == ImportConflict::kSkip ? O::kSkipped : O::kConflict;
  CHECK(MustImport(s, taken, mode) == std::vector<O>{expected});
  CHECK(MustFind(s, first.id).failures_num == 0);
  // The refused row used no id.
  CHECK(s.create_customer(Person("next@example.com"), kT0).value().id == 42);
}

TEMPLATE_TEST_CASE("ids run up to 2^53 - 1: larger ones are refused, none is assigned past it",
                   "[storage][ids]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  NewCustomer too_large = Person("too-large@example.com");
  too_large.id = kLargestId + 1;
  CHECK(s.create_customer(too_large, kT0).code() == Code::kInvalidInput);
  CHECK(s.find_or_create_customer(too_large, kT0).code() == Code::kInvalidInput);
  too_large.id = std::numeric_limits<std::int64_t>::max();
  CHECK(s.create_customer(too_large, kT0).code() == Code::kInvalidInput);
  std::vector<ImportedCustomer> rows = {Imported(5, "five@example.com"),
                                        Imported(kLargestId + 1, "huge@example.com")};
  CHECK(s.import_customers(rows, ImportConflict::kSkip).code() == Code::kInvalidInput);
  CHECK(s.find_customer_by_id(5).code() == Code::kNotFound);  // nothing of the batch written

  SECTION("explicit 2^53 - 1 is stored; then no id is left to assign") {
    NewCustomer largest = Person("largest@example.com");
    largest.id = kLargestId;
    const Result<Customer> stored = s.create_customer(largest, kT0);
    INFO(stored.status().to_string());
    REQUIRE(stored.ok());
    CHECK(stored->id == kLargestId);
    CHECK(MustFind(s, kLargestId).email == "largest@example.com");
    CHECK(s.create_customer(Person("after@example.com"), kT0).code() == Code::kStorage);
    CHECK(s.find_or_create_customer(Person("after@example.com"), kT0).code() == Code::kStorage);
    std::vector<ImportedCustomer> no_id = {Imported(0, "after@example.com")};
    CHECK(s.import_customers(no_id, ImportConflict::kSkip).code() == Code::kStorage);
    CHECK(s.find_customer_by_email(kDefaultWebsiteId, "after@example.com").code() ==
          Code::kNotFound);
    // Explicit ids below it are still free to take; an existing customer is still found.
    NewCustomer low = Person("low@example.com");
    low.id = 3;
    CHECK(s.create_customer(low, kT0).ok());
    CHECK(s.find_or_create_customer(Person("largest@example.com"), kT0).ok());
  }
  SECTION("an imported 2^53 - 1 likewise") {
    std::vector<ImportedCustomer> largest = {Imported(kLargestId, "largest@example.com")};
    CHECK(MustImport(s, largest, ImportConflict::kSkip) == std::vector<O>{O::kCreated});
    CHECK(s.create_customer(Person("after@example.com"), kT0).code() == Code::kStorage);
  }
}

TEMPLATE_TEST_CASE("an assigned id comes after every id stored so far", "[storage][ids]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  CHECK(s.create_customer(Person("a@example.com"), kT0).value().id == 1);
  std::vector<ImportedCustomer> rows = {Imported(1000, "imported@example.com"),
                                        Imported(500, "lower@example.com")};
  CHECK(MustImport(s, rows, ImportConflict::kSkip) == std::vector<O>{O::kCreated, O::kCreated});
  CHECK(s.create_customer(Person("b@example.com"), kT0).value().id == 1001);
  CHECK(s.find_or_create_customer(Person("c@example.com"), kT0).value().customer.id == 1002);
  // A refused create uses no id.
  CHECK(s.create_customer(Person("B@example.com"), kT0).code() == Code::kAlreadyExists);
  CHECK(s.create_customer(Person("d@example.com"), kT0).value().id == 1003);
}

}  // namespace
}  // namespace custauth::conformance

// ---------------------------------------------------------------------------------------------
// delete_customer (the right to erasure)

namespace custauth::conformance {
namespace {

constexpr char kErasedEmail[] = "Erin.Erase@Example.com";
constexpr char kErasedIp[] = "198.51.100.23";
constexpr char kOtherIp[] = "203.0.113.9";

OpaqueTokenRecord OpaqueToken(std::string hash, std::int64_t customer_id) {
  OpaqueTokenRecord t;
  t.hash = std::move(hash);
  t.customer_id = customer_id;
  t.issued_at = kT0;
  t.expires_at = kT0 + kHour;
  return t;
}

std::vector<AuditRecord> AllAudit(Storage& s) {
  AuditQuery q;
  q.limit = 1000;
  Result<std::vector<AuditRecord>> r = s.list_audit(q);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

TEMPLATE_TEST_CASE("delete_customer erases the customer, its secrets, tokens and lock state",
                   "[storage][customer][erasure]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer erin = MustCreate(s, Person(kErasedEmail));
  const Customer other = MustCreate(s, Person("other@example.com"));  // the newest
  REQUIRE(s.record_login_failure(erin.id, kT0, LockoutPolicy{}).ok());
  for (const Customer* c : {&erin, &other}) {
    const std::string tag = std::to_string(c->id);
    REQUIRE(s.put_secret(Secret(SecretKind::kPasswordReset, c->id, "reset-" + tag)).ok());
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c->id, "otc-" + tag)).ok());
    REQUIRE(s.put_opaque_token(OpaqueToken("token-" + tag, c->id)).ok());
  }
  REQUIRE(s.put_opaque_token(OpaqueToken("token2-" + std::to_string(erin.id), erin.id)).ok());

  // The audit trail: erin's own records, a customer-less one naming her email, another
  // customer's, and one naming a longer address that merely ends in hers.
  AuditRecord own = Audit("login.failure", erin.id, kT0);
  own.actor = "customer:" + std::to_string(erin.id);
  own.client_ip = kErasedIp;
  own.detail = R"({"why":"wrong_secret","firstname":"Erin","nested":{"lastname":"Erase","n":1}})";
  AuditRecord by_admin = Audit("otc.issue", erin.id, kT0 + 1);
  by_admin.admin_id = 7;
  by_admin.actor = "admin:7";
  by_admin.reason = "asked by phone";
  by_admin.client_ip = "192.0.2.1";  // the admin's: cleared with the rest of her record
  by_admin.detail = R"({"expires_at":"2025-05-29 06:17:31"})";
  AuditRecord unknown = Audit("login.failure", std::nullopt, kT0 + 2);
  unknown.client_ip = kErasedIp;
  unknown.detail = R"({"why":"unknown_email","email":"ERIN.erase@example.com"})";
  AuditRecord others = Audit("login.success", other.id, kT0 + 3);
  others.client_ip = kOtherIp;
  others.detail = R"({"via":"password"})";
  AuditRecord longer = Audit("reset.rate_limited", std::nullopt, kT0 + 4);
  longer.client_ip = kOtherIp;
  longer.detail = R"({"email":"xerin.erase@example.com"})";
  std::vector<std::int64_t> ids;
  for (const AuditRecord* r : {&own, &by_admin, &unknown, &others, &longer}) {
    Result<std::int64_t> id = s.append_audit(*r);
    REQUIRE(id.ok());
    ids.push_back(*id);
  }

  // Rate-limit buckets named after her email and IP, and others'.
  const std::string erin_email_bucket = "reset:email:1:" + EmailKey(kErasedEmail);
  const std::string erin_ip_bucket = std::string("reset:ip:") + kErasedIp;
  const std::string other_email_bucket = "reset:email:1:other@example.com";
  const std::string other_ip_bucket = std::string("reset:ip:") + kOtherIp;
  for (const std::string& b :
       {erin_email_bucket, erin_ip_bucket, other_email_bucket, other_ip_bucket}) {
    REQUIRE(Take(s, {Rule(b, 1)}, kT0) == Code::kOk);
    REQUIRE(Take(s, {Rule(b, 1)}, kT0 + 1) == Code::kRateLimited);
  }

  const std::uint64_t epoch = Epoch(s);
  const Customer before = MustFind(s, erin.id);
  Result<Customer> erased = s.delete_customer(erin.id, kT0 + 10);
  INFO(erased.status().to_string());
  REQUIRE(erased.ok());
  CheckSameCustomer(*erased, before);

  SECTION("the customer and its lock state are gone; the other customer stays") {
    CHECK(s.find_customer_by_id(erin.id).code() == Code::kNotFound);
    CHECK(s.find_customer_by_email(kDefaultWebsiteId, kErasedEmail).code() == Code::kNotFound);
    CHECK(s.record_login_failure(erin.id, kT0 + 11, LockoutPolicy{}).code() == Code::kNotFound);
    CHECK(s.update_customer(erin.id, CustomerPatch{}, kT0 + 11).code() == Code::kNotFound);
    CheckSameCustomer(MustFind(s, other.id), other);
  }
  SECTION("its secrets and opaque tokens are gone; the other customer's stay") {
    const std::string e = std::to_string(erin.id);
    const std::string o = std::to_string(other.id);
    CHECK(s.consume_secret(SecretKind::kPasswordReset, erin.id, "reset-" + e, kT0 + 11).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, erin.id, "otc-" + e, kT0 + 11).code() ==
          Code::kNotFound);
    CHECK(s.find_opaque_token("token-" + e).code() == Code::kNotFound);
    CHECK(s.find_opaque_token("token2-" + e).code() == Code::kNotFound);
    CHECK(s.put_secret(Secret(SecretKind::kPasswordReset, erin.id, "new")).code() ==
          Code::kNotFound);
    CHECK(s.consume_secret(SecretKind::kAdminOtc, other.id, "otc-" + o, kT0 + 11).ok());
    CHECK(s.find_opaque_token("token-" + o).ok());
  }
  SECTION("the revocation epoch moved") { CHECK(Epoch(s) > epoch); }
  SECTION("her audit records keep event, time and ids but lose email, IP and names") {
    const std::vector<AuditRecord> all = AllAudit(s);
    REQUIRE(all.size() == 5);
    for (std::size_t k = 0; k < all.size(); ++k) CHECK(all[k].id == ids[k]);
    CHECK(all[0].event == "login.failure");
    CHECK(all[0].at == kT0);
    CHECK(all[0].customer_id == erin.id);
    CHECK(all[0].actor.empty());
    CHECK(all[0].client_ip.empty());
    CHECK(all[0].detail == R"({"nested":{"n":1},"why":"wrong_secret"})");
    CHECK(all[1].event == "otc.issue");
    CHECK(all[1].customer_id == erin.id);
    CHECK(all[1].admin_id == 7);
    CHECK(all[1].actor == "admin:7");  // names the admin, not her
    CHECK(all[1].reason == "asked by phone");
    CHECK(all[1].client_ip.empty());
    CHECK(all[1].detail == by_admin.detail);
    CHECK(all[2].event == "login.failure");
    CHECK(all[2].at == kT0 + 2);
    CHECK_FALSE(all[2].customer_id.has_value());
    CHECK(all[2].client_ip.empty());
    CHECK(all[2].detail == R"({"why":"unknown_email"})");
    // Other people's records are untouched.
    CHECK(all[3].client_ip == kOtherIp);
    CHECK(all[3].detail == others.detail);
    CHECK(all[4].client_ip == kOtherIp);
    CHECK(all[4].detail == longer.detail);
  }
  SECTION("the rate-limit buckets named after her email and IP are gone; others' stay") {
    CHECK(Take(s, {Rule(erin_email_bucket, 1)}, kT0 + 11) == Code::kOk);
    CHECK(Take(s, {Rule(erin_ip_bucket, 1)}, kT0 + 11) == Code::kOk);
    CHECK(Take(s, {Rule(other_email_bucket, 1)}, kT0 + 11) == Code::kRateLimited);
    CHECK(Take(s, {Rule(other_ip_bucket, 1)}, kT0 + 11) == Code::kRateLimited);
  }
  SECTION("the email is free again; the new customer gets another id") {
    const Customer again = MustCreate(s, Person(kErasedEmail), kT0 + 11);
    CHECK(again.id != erin.id);
    CHECK(s.consume_secret(SecretKind::kPasswordReset, again.id, "reset-" + std::to_string(erin.id),
                           kT0 + 11)
              .code() == Code::kNotFound);
  }
  SECTION("deleting again is kNotFound") {
    CHECK(s.delete_customer(erin.id, kT0 + 11).code() == Code::kNotFound);
  }
}

TEMPLATE_TEST_CASE("delete_customer of an unknown id is kNotFound and changes nothing",
                   "[storage][customer][erasure]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("kept@example.com"));
  AuditRecord r = Audit("login.failure", c.id, kT0);
  r.client_ip = kErasedIp;
  REQUIRE(s.append_audit(r).ok());
  const std::uint64_t epoch = Epoch(s);
  for (std::int64_t id : {c.id + 1, std::int64_t{0}, std::int64_t{-1}}) {
    CHECK(s.delete_customer(id, kT0).code() == Code::kNotFound);
  }
  CHECK(Epoch(s) == epoch);
  CheckSameCustomer(MustFind(s, c.id), c);
  CHECK(AllAudit(s).at(0).client_ip == kErasedIp);
}

// Ids are never reused, on every backend (schema v2 counters), even after an erasure.
TEMPLATE_TEST_CASE("no id reuse after deleting the newest customer",
                   "[storage][customer][erasure][noreuse]", CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  MustCreate(s, Person("first@example.com"));
  const Customer newest = MustCreate(s, Person("newest@example.com"));
  REQUIRE(s.delete_customer(newest.id, kT0).ok());
  const Customer next = MustCreate(s, Person("next@example.com"));
  CHECK(next.id > newest.id);
  Result<FindOrCreateResult> found = s.find_or_create_customer(Person("found@example.com"), kT0);
  REQUIRE(found.ok());
  CHECK(found->customer.id > next.id);
  // Deleting the newest again, then creating through find_or_create, still moves on.
  REQUIRE(s.delete_customer(found->customer.id, kT0).ok());
  const Customer last = MustCreate(s, Person("last@example.com"));
  CHECK(last.id > found->customer.id);
}

// ---------------------------------------------------------------------------------------------
// Audit in the write (storage_records.h): a committed change has its records, a refused one none.

std::vector<std::string> AuditEvents(Storage& s) {
  std::vector<std::string> events;
  for (const AuditRecord& r : AllAudit(s)) events.push_back(r.event);
  return events;
}

AuditRecord Noted(std::string event, std::int64_t customer_id, TimeMs at) {
  AuditRecord r = Audit(std::move(event), customer_id, at);
  r.actor = "admin:7";
  r.reason = "phone call";
  r.client_ip = "203.0.113.9";
  r.detail = R"({"k":1})";
  return r;
}

LoginAttempt AttemptOf(const Customer& c) {
  LoginAttempt a;
  a.customer_id = c.id;
  a.website_id = c.website_id;
  a.email_key = c.email;
  a.throttle.max_failures = 0;
  a.lockout.max_failures = 3;
  return a;
}

// The records a sign-in's audit makes: otc.use (for a consumed admin code) and login.success, at
// the time read inside the write.
AuditOf<SignInResult> SignInRecords() {
  return [](const SignInResult& r) {
    std::vector<AuditRecord> out;
    if (r.secret && r.secret->kind == SecretKind::kAdminOtc) {
      AuditRecord used = Audit("otc.use", r.customer.id, r.at);
      used.admin_id = r.secret->admin_id;
      used.reason = r.secret->reason;
      out.push_back(std::move(used));
    }
    out.push_back(Audit("login.success", r.customer.id, r.at));
    return out;
  };
}

TEMPLATE_TEST_CASE("audit in the write: put_secret", "[storage][audit][write]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const std::vector<AuditRecord> issue = {Noted("otc.issue", c.id, kT0)};
  SECTION("committed: the secret and its record, as given, with an id") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "code"), issue).ok());
    const std::vector<AuditRecord> all = AllAudit(s);
    REQUIRE(all.size() == 1);
    CHECK(all[0].id > 0);
    CHECK(all[0].event == "otc.issue");
    CHECK(all[0].at == kT0);
    CHECK(all[0].customer_id == std::optional<std::int64_t>(c.id));
    CHECK(all[0].actor == "admin:7");
    CHECK(all[0].reason == "phone call");
    CHECK(all[0].client_ip == "203.0.113.9");
    CHECK(all[0].detail == R"({"k":1})");
    CHECK(s.consume_secret(SecretKind::kAdminOtc, c.id, "code", kT0 + 1).ok());
  }
  SECTION("several records, in order") {
    std::vector<AuditRecord> many;
    for (int k = 0; k < 6; ++k) many.push_back(Noted("e" + std::to_string(k), c.id, kT0 + k));
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "code"), many).ok());
    CHECK(AuditEvents(s) == std::vector<std::string>{"e0", "e1", "e2", "e3", "e4", "e5"});
  }
  SECTION("refused (no such customer): no secret, no record") {
    CHECK(s.put_secret(Secret(SecretKind::kAdminOtc, c.id + 1, "code"), issue).code() ==
          Code::kNotFound);
    CHECK(AllAudit(s).empty());
  }
}

TEMPLATE_TEST_CASE("audit in the write: update_customer", "[storage][audit][write]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const std::vector<AuditRecord> change = {Noted("password.change", c.id, kT0 + 1)};
  CustomerPatch patch;
  patch.password_hash = "new";
  SECTION("committed: the change and its record") {
    REQUIRE(s.update_customer(c.id, patch, kT0 + 1, change).ok());
    CHECK(AuditEvents(s) == std::vector<std::string>{"password.change"});
    CHECK(MustFind(s, c.id).password_hash == "new");
  }
  SECTION("refused (no such customer): no record") {
    CHECK(s.update_customer(c.id + 1, patch, kT0 + 1, change).code() == Code::kNotFound);
    CHECK(AllAudit(s).empty());
  }
  SECTION("refused (a concurrent password change): no change, no record") {
    patch.expect_password_hash = "not the stored one";
    CHECK(s.update_customer(c.id, patch, kT0 + 1, change).code() == Code::kConflict);
    CHECK(AllAudit(s).empty());
    CHECK(MustFind(s, c.id).password_hash == c.password_hash);
  }
}

TEMPLATE_TEST_CASE("audit in the write: delete_customer", "[storage][audit][write][erasure]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  AuditRecord erasure = Audit("customer.delete", c.id, kT0 + 1);
  erasure.actor = "admin:7";
  const std::vector<AuditRecord> records = {erasure};
  SECTION("committed: the erasure's record stays as given") {
    REQUIRE(s.delete_customer(c.id, kT0 + 1, records).ok());
    const std::vector<AuditRecord> all = AllAudit(s);
    REQUIRE(all.size() == 1);
    CHECK(all[0].event == "customer.delete");
    CHECK(all[0].customer_id == std::optional<std::int64_t>(c.id));
    CHECK(all[0].actor == "admin:7");
  }
  SECTION("refused (no such customer): no record") {
    CHECK(s.delete_customer(c.id + 1, kT0 + 1, records).code() == Code::kNotFound);
    CHECK(AllAudit(s).empty());
  }
}

TEMPLATE_TEST_CASE("audit in the write: record_sign_in", "[storage][audit][write][login]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const LoginAttempt a = AttemptOf(c);
  ManualClock clock(kT0 + 5);
  SignIn password;
  password.audit = SignInRecords();
  SECTION("a password sign-in: login.success at the time read inside the write") {
    REQUIRE(s.admit_login_attempt(a, kT0).ok());
    Result<SignInResult> r = s.record_sign_in(a, password, clock);
    REQUIRE(r.ok());
    const std::vector<AuditRecord> all = AllAudit(s);
    REQUIRE(all.size() == 1);
    CHECK(all[0].event == "login.success");
    CHECK(all[0].at == r->at);
    CHECK(all[0].at == kT0 + 5);
  }
  SECTION("an admin code: otc.use with the code's admin and reason, then login.success") {
    SecretRecord code = Secret(SecretKind::kAdminOtc, c.id, "code");
    code.admin_id = 7;
    code.reason = "phone call";
    REQUIRE(s.put_secret(code).ok());
    SignIn otc = password;
    otc.secret_kind = SecretKind::kAdminOtc;
    otc.secret_hash = "code";
    REQUIRE(s.admit_login_attempt(a, kT0).ok());
    REQUIRE(s.record_sign_in(a, otc, clock).ok());
    const std::vector<AuditRecord> all = AllAudit(s);
    REQUIRE(all.size() == 2);
    CHECK(all[0].event == "otc.use");
    CHECK(all[0].admin_id == std::optional<std::int64_t>(7));
    CHECK(all[0].reason == "phone call");
    CHECK(all[1].event == "login.success");
    SECTION("the same code again: refused (used), no record") {
      REQUIRE(s.admit_login_attempt(a, kT0 + 1).ok());
      CHECK(s.record_sign_in(a, otc, clock).code() == Code::kNotFound);
      CHECK(AllAudit(s).size() == 2);
    }
  }
  SECTION("refused: an expired code, a locked, unconfirmed or inactive customer: no record") {
    REQUIRE(s.put_secret(Secret(SecretKind::kAdminOtc, c.id, "code")).ok());
    SignIn otc = password;
    otc.secret_kind = SecretKind::kAdminOtc;
    otc.secret_hash = "code";
    ManualClock late(kT0 + kHour);
    REQUIRE(s.admit_login_attempt(a, kT0).ok());
    CHECK(s.record_sign_in(a, otc, late).code() == Code::kExpired);
    CHECK(s.release_login_attempt(a, kT0).ok());

    CustomerPatch unconfirm;
    unconfirm.confirmed = false;
    REQUIRE(s.update_customer(c.id, unconfirm, kT0).ok());
    REQUIRE(s.admit_login_attempt(a, kT0).ok());
    CHECK(s.record_sign_in(a, password, clock).code() == Code::kNotConfirmed);

    CustomerPatch deactivate;
    deactivate.confirmed = true;
    deactivate.is_active = false;
    REQUIRE(s.update_customer(c.id, deactivate, kT0).ok());
    REQUIRE(s.admit_login_attempt(a, kT0).ok());
    CHECK(s.record_sign_in(a, password, clock).code() == Code::kAuthenticationFailed);

    CustomerPatch activate;
    activate.is_active = true;
    REQUIRE(s.update_customer(c.id, activate, kT0).ok());
    for (int k = 0; k < 3; ++k) {
      REQUIRE(s.admit_login_attempt(a, kT0).ok());
      REQUIRE(s.record_attempt_failure(a, kT0).ok());
    }
    CHECK(s.admit_login_attempt(a, kT0 + 1).code() == Code::kLocked);
    SignIn external = password;  // one that takes no attempt, refused by the lock at the write
    external.holds_attempt = false;
    CHECK(s.record_sign_in(a, external, clock).code() == Code::kLocked);
    CHECK(AllAudit(s).empty());
  }
}

TEMPLATE_TEST_CASE("audit in the write: record_attempt_failure", "[storage][audit][write][login]",
                   CUSTAUTH_STORAGE_CONFORMANCE_BACKENDS) {
  TestType backend;
  Storage& s = *backend.storage;
  const Customer c = MustCreate(s, Person("roni@example.com"));
  const LoginAttempt a = AttemptOf(c);  // locks at 3
  const AuditOf<LockState> records = [&](const LockState& state) {
    std::vector<AuditRecord> out = {Audit("login.failure", c.id, kT0)};
    if (state.newly_locked) {
      AuditRecord lock = Audit("customer.lock", c.id, kT0);
      lock.detail = "{\"failures_num\":" + std::to_string(state.failures_num) + "}";
      out.push_back(std::move(lock));
    }
    return out;
  };
  for (int k = 0; k < 3; ++k) {
    REQUIRE(s.admit_login_attempt(a, kT0).ok());
    REQUIRE(s.record_attempt_failure(a, kT0, records).ok());
  }
  const std::vector<AuditRecord> all = AllAudit(s);
  REQUIRE(all.size() == 4);
  CHECK(AuditEvents(s) == std::vector<std::string>{"login.failure", "login.failure",
                                                   "login.failure", "customer.lock"});
  CHECK(all[3].detail == R"({"failures_num":3})");
  CHECK(MustFind(s, c.id).failures_num == 3);
}

}  // namespace
}  // namespace custauth::conformance

#endif  // CUSTAUTH_TESTING_STORAGE_CONFORMANCE_H_
