// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Imports from the platform (custauth/import.h): the CSV and JSON Lines readers, every refusal of
// a row or a file, idempotence, conflicts, revocations, integrations and the platform's JWT key.
// The end-to-end import of a generated platform export runs in tests/import/.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/import.h"
#include "custauth/keys.h"
#include "custauth/password.h"
#include "test_util.h"

namespace import_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr TimeMs kNow = 1748499421000;  // 2025-05-29 06:17:01 UTC

const std::string kHeader =
    "entity_id,website_id,email,firstname,lastname,password_hash,confirmation,is_active,"
    "created_at,updated_at,failures_num,first_failure,lock_expires\n";

// The platform's version-1 hash (sha256 of salt . password) of `password`.
std::string Sha256Hash(const std::string& password, const std::string& salt = "saltsalt") {
  auto h = legacy::Compute(password, salt, "1");
  REQUIRE(h.ok());
  return *h + ":" + salt + ":1";
}

struct Fixture {
  explicit Fixture(const std::string& backend = "memory")
      : storage(testing::MakeStorage(backend, dir)) {
    AuthOptions o;
    o.argon2 = CheapArgon2ForTests();
    o.clock = clock;
    o.keys = GenerateKeys(*SystemRandom::Shared());
    auto a = CustomerAuth::Open(storage, o);
    REQUIRE(a.ok());
    auth = std::move(a).value();
  }

  ImportReport Import(const std::string& text, ImportOptions o = {}) {
    std::istringstream in(text);
    return auth->import_customers(in, o);
  }

  Customer Find(std::int64_t id) {
    auto c = storage->find_customer_by_id(id);
    INFO(c.status().to_string());
    REQUIRE(c.ok());
    return *c;
  }

  std::int64_t Count() {
    std::int64_t n = 0;
    for (std::int64_t id = 1; id <= 2000; ++id) n += storage->find_customer_by_id(id).ok() ? 1 : 0;
    return n;
  }

  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
};

std::string Reasons(const ImportReport& r) {
  std::string out;
  for (const auto& e : r.errors) out += std::to_string(e.line) + ": " + e.reason + "\n";
  return out;
}

}  // namespace

TEST_CASE("A platform export imports with ids, hashes, flags, lock state and times kept") {
  const std::string backend = GENERATE("memory", "sqlite");
  INFO(backend);
  Fixture f(backend);
  const std::string csv =
      kHeader + "6,1,Roni_Cost@Example.com,Veronica,Costello," +
      Sha256Hash("roni_cost3@example.com") +
      ",\\N,1,2021-02-02 01:07:13,2024-02-02 05:11:17,0,\\N,\\N\n"
      "9,2,roni_cost@example.com,\"Zoë, \"\"the\"\" first\",Line,,\"abc\ndef\",0,"
      "2022-01-01T00:00:00Z,1700000000,3,2025-05-29 06:10:00,2025-05-29 06:20:00\n"
      "12,1,unconfirmed@example.com,Un,Confirmed," +
      Sha256Hash("Passw0rd!") + ",abc123,1,,,,,\n";
  ImportReport r = f.Import(csv);
  INFO(r.ToJson());
  REQUIRE(r.completed());
  CHECK(r.rows == 3);
  CHECK(r.created == 3);
  CHECK(r.rejected == 0);
  CHECK(r.unknown_columns.empty());

  const Customer roni = f.Find(6);
  CHECK(roni.email == "Roni_Cost@Example.com");
  CHECK(roni.firstname == "Veronica");
  CHECK(roni.confirmed);
  CHECK(roni.is_active);
  CHECK(roni.password_hash == Sha256Hash("roni_cost3@example.com"));
  CHECK(roni.created_at == 1612228033000);
  CHECK(roni.updated_at == 1706850677000);
  CHECK(roni.failures_num == 0);
  CHECK_FALSE(roni.lock_expires.has_value());

  const Customer zoe = f.Find(9);
  CHECK(zoe.website_id == 2);
  CHECK(zoe.firstname == "Zoë, \"the\" first");
  CHECK(zoe.lastname == "Line");
  CHECK_FALSE(zoe.confirmed);  // a confirmation code (spanning two lines) is pending
  CHECK_FALSE(zoe.is_active);
  CHECK_FALSE(zoe.has_password());
  CHECK(zoe.created_at == 1640995200000);
  CHECK(zoe.updated_at == 1700000000000);
  CHECK(zoe.failures_num == 3);
  CHECK(zoe.first_failure == 1748499000000);
  CHECK(zoe.lock_expires == 1748499600000);

  const Customer un = f.Find(12);
  CHECK_FALSE(un.confirmed);
  CHECK(un.created_at == kNow);  // NULL times: the import's time
  CHECK(un.updated_at == kNow);

  SECTION("each customer logs in with the platform's password; the hash is upgraded once") {
    auto token = f.auth->generate_customer_token("roni_cost@example.com", "roni_cost3@example.com");
    REQUIRE(token.ok());
    CHECK(f.auth->verify_token(*token)->customer_id == 6);  // uid = entity_id
    const std::string upgraded = f.Find(6).password_hash;
    CHECK(upgraded.starts_with("$argon2id$"));
    REQUIRE(
        f.auth->generate_customer_token("roni_cost@example.com", "roni_cost3@example.com").ok());
    CHECK(f.Find(6).password_hash == upgraded);
    auto audit = f.auth->list_audit({6, 0, 100});
    REQUIRE(audit.ok());
    int rehashed = 0;
    for (const auto& a : *audit)
      rehashed += a.detail.find("\"rehashed\":true") != std::string::npos;
    CHECK(rehashed == 1);
  }
  SECTION("an unconfirmed customer gets DOMAIN.md's message and keeps the old hash") {
    auto token = f.auth->generate_customer_token("unconfirmed@example.com", "Passw0rd!");
    CHECK(token.code() == Code::kNotConfirmed);
    CHECK(token.status().message() == "This account isn't confirmed. Verify and try again.");
    CHECK(f.Find(12).password_hash == Sha256Hash("Passw0rd!"));
  }
  SECTION("the import's lock holds until it expires") {
    // Zoë is inactive and unconfirmed too: make her active and confirmed to see the lock alone.
    CustomerUpdate u;
    u.is_active = true;
    u.confirmed = true;
    REQUIRE(f.auth->update_customer("roni_cost@example.com", u, {}, 2).ok());
    CustomerPatch p;
    p.password_hash = Sha256Hash("Zo3-secret!");
    REQUIRE(f.storage->update_customer(9, p, kNow).ok());
    auto locked = f.auth->generate_customer_token("roni_cost@example.com", "Zo3-secret!", {}, 2);
    CHECK(locked.code() == Code::kAuthenticationFailed);
    f.clock->set(1748499600000);
    CHECK(f.auth->generate_customer_token("roni_cost@example.com", "Zo3-secret!", {}, 2).ok());
  }
  SECTION("running the same import again changes nothing") {
    const Customer before = f.Find(9);
    ImportReport again = f.Import(csv);
    REQUIRE(again.completed());
    CHECK(again.created == 0);
    CHECK(again.skipped == 3);
    CHECK(f.Find(9).updated_at == before.updated_at);
    CHECK(f.Count() == 3);
  }
}

TEST_CASE("Bad rows are reported with their line and write nothing; good rows import") {
  Fixture f;
  const std::string hash = Sha256Hash("secret");
  const std::string csv = kHeader + "1,1,good@example.com,Good,Row," + hash +
                          ",,1,,,,,\n" +                                             // line 2
                          "2,1,not-an-email,Bad,Email,,,1,,,,,\n" +                  // 3
                          "3,1,GOOD@example.com,Dup,Email,,,1,,,,,\n" +              // 4
                          "1,1,other@example.com,Dup,Id,,,1,,,,,\n" +                // 5
                          "5,1,hash@example.com,Bad,Hash,nothex:salt:9,,1,,,,,\n" +  // 6
                          "6,1,num@example.com,Bad,Number,,,yes,,,,,\n" +            // 7
                          "7,1,time@example.com,Bad,Time,,,1,2021-13-01,,,,\n" +     // 8
                          "x,1,id@example.com,Bad,Id,,,1,,,,,\n" +                   // 9
                          "10,1,fields@example.com,Too,Few\n" +                      // 10
                          "11,1,noname@example.com,,Empty,,,1,,,,,\n" +              // 11
                          "12,1,fine@example.com,Fine,Too,,,1,,,,,\n" +              // 12
                          "13,1,fails@example.com,Bad,Failures,,,1,,,-1,,\n" +       // 13
                          // A rejected row claims nothing: line 4's entity_id and line 5's
                          // email are free for later rows.
                          "3,1,third@example.com,Id,Reused,,,1,,,,,\n" +     // 14
                          "15,1,other@example.com,Email,Reused,,,1,,,,,\n";  // 15
  ImportReport r = f.Import(csv);
  INFO(Reasons(r));
  REQUIRE(r.completed());
  CHECK(r.rows == 14);
  CHECK(r.created == 4);
  CHECK(r.rejected == 10);
  REQUIRE(r.errors.size() == 10);
  const std::vector<std::int64_t> lines = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13};
  for (std::size_t k = 0; k < lines.size(); ++k) CHECK(r.errors[k].line == lines[k]);
  CHECK(r.errors[0].reason == "\"Email\" is not a valid email address.");
  CHECK(r.errors[1].reason.find("appears earlier in the file") != std::string::npos);
  CHECK(r.errors[2].reason.find("entity_id 1 appears earlier") != std::string::npos);
  CHECK(r.errors[3].reason.find("password_hash") != std::string::npos);
  CHECK(r.errors[4].reason.find("is_active") != std::string::npos);
  CHECK(r.errors[5].reason.find("created_at") != std::string::npos);
  CHECK(r.errors[6].reason.find("entity_id") != std::string::npos);
  CHECK(r.errors[7].reason.find("5 fields where the header has 13") != std::string::npos);
  CHECK(r.errors[8].reason.find("firstname") != std::string::npos);
  CHECK(r.errors[9].reason.find("failures_num") != std::string::npos);
  CHECK(f.Count() == 4);
  CHECK(f.Find(1).email == "good@example.com");
  CHECK(f.Find(12).email == "fine@example.com");
  CHECK(f.Find(3).email == "third@example.com");
  CHECK(f.Find(15).email == "other@example.com");

  SECTION("--strict stops at the first bad row; the rows before it stay imported") {
    Fixture g;
    ImportOptions o;
    o.strict = true;
    ImportReport s = g.Import(csv, o);
    CHECK_FALSE(s.completed());
    CHECK(s.status.code() == Code::kInvalidInput);
    CHECK(s.stopped_at_line == 3);
    CHECK(s.status.message().find("Line 3") != std::string::npos);
    CHECK(g.Count() == 1);
  }
  SECTION("max_listed_errors caps the list, not the count") {
    Fixture g;
    ImportOptions o;
    o.max_listed_errors = 2;
    ImportReport s = g.Import(csv, o);
    CHECK(s.rejected == 10);
    CHECK(s.errors.size() == 2);
  }
}

TEST_CASE("Unusable files are refused with a clear error and change nothing") {
  Fixture f;
  struct Case {
    const char* name;
    std::string text;
    const char* message;
    std::int64_t created;
  };
  const std::vector<Case> cases = {
      {"empty", "", "The file is empty", 0},
      {"blank lines only", "\n\n  \n", "has no \"email\" column", 0},
      {"semicolons", "entity_id;email;firstname;lastname\n1;a@example.com;A;B\n",
       "seems to be separated by ';'", 0},
      {"tabs", "entity_id\temail\tfirstname\tlastname\n", "seems to be separated by '\\t'", 0},
      {"no email column", "entity_id,firstname,lastname\n1,A,B\n", "has no \"email\" column", 0},
      {"a column twice", "email,email,firstname,lastname\n", "names the column \"email\" twice", 0},
      {"truncated inside quotes",
       "entity_id,email,firstname,lastname\n1,a@example.com,A,B\n2,b@example.com,\"Bo",
       "Line 3: the file ends inside a quoted field", 0},
      {"truncated last line", "entity_id,email,firstname,lastname\n1,a@example.com,A,B\n2,b@exam",
       "Line 3: the last line has 2 of the header's 4 fields", 0},
      {"truncated JSON line",
       "{\"entity_id\":1,\"email\":\"a@example.com\",\"firstname\":\"A\",\"lastname\":\"B\"}\n"
       "{\"entity_id\":2,\"email\":\"b@exa",
       "Line 2: the last line is not a complete JSON object", 0},
  };
  std::int64_t total = 0;
  for (const Case& c : cases) {
    INFO(c.name);
    ImportReport r = f.Import(c.text);
    INFO(r.status.to_string());
    CHECK_FALSE(r.completed());
    CHECK(r.status.code() == Code::kInvalidInput);
    CHECK(r.status.message().find(c.message) != std::string::npos);
    CHECK(r.created == c.created);  // the file is checked whole first: nothing is written
    total += c.created;
  }
  CHECK(total == 0);
  CHECK(f.Count() == 0);

  SECTION("a missing file, a directory") {
    ImportReport missing = f.auth->import_customers(f.dir.file("nope.csv"));
    CHECK(missing.status.code() == Code::kNotFound);
    CHECK(missing.status.message().find("nope.csv") != std::string::npos);
    ImportReport dir = f.auth->import_customers(f.dir.path().string());
    CHECK(dir.status.code() == Code::kInvalidInput);
    CHECK(dir.status.message().find("is a directory") != std::string::npos);
  }
}

TEST_CASE("CSV details: BOM, CRLF, blank lines, unknown columns named once, NULL spellings") {
  Fixture f;
  const std::string csv =
      "\xEF\xBB\xBF"
      "Entity_ID , email,firstname,lastname,group_id,created_in,is_subscribed,"
      "allow_remote_shopping_assistance\r\n"
      "\r\n"
      "4,a@example.com,A,B,1,Default Store View,1,1\r\n"
      "5,b@example.com,\"\",\"B\",\\N,NULL,NULL,\r\n";
  ImportReport r = f.Import(csv);
  INFO(r.ToJson());
  REQUIRE(r.completed());
  CHECK(r.created == 1);
  CHECK(r.rejected == 1);  // an empty firstname
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 4);
  CHECK(r.unknown_columns == std::vector<std::string>{"group_id", "created_in"});
  const Customer a = f.Find(4);
  CHECK(a.is_subscribed);
  CHECK(a.allow_remote_shopping_assistance);
}

TEST_CASE("JSON Lines imports the same rows; bad lines are rejected") {
  Fixture f;
  const std::string jsonl =
      "{\"entity_id\":1,\"website_id\":\"1\",\"email\":\"a@example.com\",\"firstname\":\"A\","
      "\"lastname\":\"B\",\"is_active\":true,\"confirmation\":null,\"extra\":[1]}\n"
      "\n"
      "[1,2,3]\n"
      "{\"entity_id\":1.5,\"email\":\"c@example.com\",\"firstname\":\"C\",\"lastname\":\"D\"}\n"
      "{\"entity_id\":\"4\",\"email\":\"d@example.com\",\"firstname\":\"D\",\"lastname\":\"E\","
      "\"confirmation\":\"x\",\"created_at\":\"\\\\N\"}";  // no final newline: fine when whole
  ImportReport r = f.Import(jsonl);
  INFO(r.ToJson());
  REQUIRE(r.completed());
  CHECK(r.created == 2);
  CHECK(r.rejected == 2);
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].reason == "not a JSON object");
  CHECK(r.errors[1].line == 4);
  CHECK(r.errors[1].reason.find("entity_id") != std::string::npos);
  CHECK(r.unknown_columns == std::vector<std::string>{"extra"});
  CHECK_FALSE(f.Find(4).confirmed);
  CHECK(f.Find(4).created_at == kNow);
}

TEST_CASE("Conflicts: skip by default, update overwrites, fail stops") {
  Fixture f;
  REQUIRE(f.Import(kHeader + "1,1,a@example.com,A,One,,,1,,,,,\n2,1,b@example.com,B,Two,,,1,,,,,\n")
              .completed());
  const std::string second = kHeader + "1,1,a@example.com,A,Changed,,,1,,,,,\n" +
                             "3,1,B@example.com,Not,Bob,,,1,,,,,\n" +
                             "4,1,d@example.com,D,Four,,,1,,,,,\n";
  SECTION("skip") {
    ImportReport r = f.Import(second);
    CHECK(r.skipped == 2);
    CHECK(r.created == 1);
    CHECK(f.Find(1).lastname == "One");
  }
  SECTION("update") {
    ImportOptions o;
    o.on_conflict = ImportConflict::kUpdate;
    ImportReport r = f.Import(second, o);
    INFO(Reasons(r));
    CHECK(r.updated == 1);
    CHECK(r.rejected == 1);  // b@example.com belongs to customer 2, not 3
    CHECK(r.created == 1);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 3);
    CHECK(f.Find(1).lastname == "Changed");
    CHECK(f.storage->find_customer_by_id(3).code() == Code::kNotFound);
  }
  SECTION("fail") {
    ImportOptions o;
    o.on_conflict = ImportConflict::kFail;
    ImportReport r = f.Import(second, o);
    CHECK_FALSE(r.completed());
    CHECK(r.status.code() == Code::kAlreadyExists);
    CHECK(r.stopped_at_line == 2);
    CHECK(f.storage->find_customer_by_id(4).code() == Code::kNotFound);
  }
}

TEST_CASE("Rows without entity_id are matched by email, created with new ids") {
  Fixture f;
  const std::string csv =
      "email,firstname,lastname,failures_num,lock_expires\n"
      "x@example.com,X,Ex,10,2030-01-01 00:00:00\n"
      "y@example.com,Y,Why,,\n";
  ImportReport r = f.Import(csv);
  INFO(r.ToJson());
  REQUIRE(r.completed());
  CHECK(r.created == 2);
  auto x = f.storage->find_customer_by_email(1, "x@example.com");
  REQUIRE(x.ok());
  CHECK(x->failures_num == 10);
  CHECK(x->lock_expires == 1893456000000);
  ImportReport again = f.Import(csv);
  CHECK(again.skipped == 2);
  CHECK(again.created == 0);
}

TEST_CASE("Batch size does not change the outcome") {
  std::string csv = kHeader;
  for (int i = 1; i <= 250; ++i) {
    csv += std::to_string(i) + ",1,c" + std::to_string(i % 240) + "@example.com,F,L,,,1,,,,,\n";
  }
  for (std::size_t batch : {1u, 7u, 1000u}) {
    Fixture f;
    ImportOptions o;
    o.batch_size = batch;
    ImportReport r = f.Import(csv, o);
    CHECK(r.created == 240);
    CHECK(r.rejected == 10);
    CHECK(f.Count() == 240);
  }
}

TEST_CASE("Revocations from the platform: customers only, revoke_before honoured") {
  Fixture f;
  REQUIRE(f.Import(kHeader + "6,1,a@example.com,A,One," + Sha256Hash("secret") + ",,1,,,,,\n")
              .completed());
  auto token = f.auth->generate_customer_token("a@example.com", "secret");
  REQUIRE(token.ok());
  const std::int64_t iat = f.auth->verify_token(*token)->issued_at;
  f.clock->advance(5 * kSecond);
  auto later = f.auth->generate_customer_token("a@example.com", "secret");
  REQUIRE(later.ok());

  const std::string csv =
      "user_type_id,user_id,revoke_before\n"
      "3,6," +
      std::to_string(iat) + "\n" +
      "2,6,9999999999\n"    // an admin: skipped
      "3,777,1700000000\n"  // not here
      "3,x,1\n";            // bad
  std::istringstream in(csv);
  ImportReport r = f.auth->import_revocations(in);
  INFO(r.ToJson(true));
  REQUIRE(r.completed());
  CHECK(r.revoked == 1);
  CHECK(r.skipped_user_types == 1);
  CHECK(r.not_found == 1);
  CHECK(r.rejected == 1);
  CHECK(f.auth->verify_token(*token).status().message() == "The token has been revoked.");
  CHECK(f.auth->verify_token(*later).ok());
  CHECK(f.Find(6).tokens_revoked_at == iat * 1000);
}

TEST_CASE("Integrations keep their credentials; bad ones are refused") {
  Fixture f;
  IntegrationCredentials creds;
  creds.consumer_key = std::string(32, 'a');
  creds.consumer_secret = std::string(32, 'b');
  creds.access_token = std::string(32, 'c');
  creds.token_secret = std::string(31, 'd') + "0";
  auto r = f.auth->import_integration(
      "Social", {std::string(kPermissionExchangeExternalCustomerToken)}, creds);
  REQUIRE(r.ok());
  CHECK(r->consumer_key == creds.consumer_key);
  CHECK(r->integration.consumer_secret_sealed != creds.consumer_secret);  // sealed at rest
  CHECK(f.auth->import_integration("Again", {}, creds).code() == Code::kAlreadyExists);
  IntegrationCredentials bad = creds;
  bad.consumer_key = "short";
  CHECK(f.auth->import_integration("Bad", {}, bad).code() == Code::kInvalidInput);
  bad = creds;
  bad.token_secret = std::string(31, 'd') + "-";
  CHECK(f.auth->import_integration("Bad", {}, bad).code() == Code::kInvalidInput);
  CHECK(f.auth->import_integration("Bad", {"no_such_permission"}, creds).code() ==
        Code::kInvalidInput);
  CHECK(f.auth->import_integration("", {}, creds).code() == Code::kInvalidInput);
  auto all = f.auth->list_integrations();
  REQUIRE(all.ok());
  CHECK(all->size() == 1);
}

TEST_CASE("The platform's crypt key setting: the last key, padded, kid 1") {
  auto one = PlatformJwtKey("0123456789abcdef0123456789abcdef\n");
  REQUIRE(one.ok());
  CHECK(one->kid == "1");
  CHECK(one->secret == PlatformJwtSecret("0123456789abcdef0123456789abcdef"));
  auto two = PlatformJwtKey("  old-key-0000\n\tcurrent-key-1111  \n");
  REQUIRE(two.ok());
  CHECK(two->secret == PlatformJwtSecret("current-key-1111"));
  CHECK(PlatformJwtKey(" \n\t ").code() == Code::kInvalidInput);
}

TEST_CASE("Duplicate entity_ids are found in or out of order") {
  Fixture f;
  std::string csv = "entity_id,email,firstname,lastname\n";
  for (int id : {5, 6, 7, 10, 3, 6, 12, 3, 9, 10, 11}) {
    csv += std::to_string(id) + ",c" + std::to_string(csv.size()) + "@example.com,F,L\n";
  }
  ImportReport r = f.Import(csv);
  INFO(Reasons(r));
  CHECK(r.created == 8);
  CHECK(r.rejected == 3);
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].line == 7);   // the second 6
  CHECK(r.errors[1].line == 9);   // the second 3
  CHECK(r.errors[2].line == 11);  // the second 10
}

TEST_CASE("An inactive customer's tokens from the platform do not verify after the import") {
  Fixture f;
  REQUIRE(f.Import(kHeader + "57,1,gone@example.com,Gone,Away,,,0,,,,,\n" +
                   "58,1,here@example.com,Here,Still,,,1,,,,,\n")
              .completed());
  const JwtKey& key = f.auth->options().keys.jwt_keys.back();
  const std::int64_t iat = kNow / 1000 - 60;  // issued by the platform before the move
  CHECK(f.auth->verify_token(EncodeCustomerJwt(key, 57, iat, iat + 3600)).status().message() ==
        "The token has been revoked.");
  CHECK(f.auth->verify_token(EncodeCustomerJwt(key, 58, iat, iat + 3600)).ok());
  CHECK(f.Find(57).tokens_revoked_at == kNow);
  CHECK(f.Find(57).updated_at == kNow);  // NULL updated_at: the import's time
}

TEST_CASE("Numbers that do not fit are bad rows, not wrapped; ids stay below 2^53") {
  Fixture f;
  ImportReport r = f.Import(
      "entity_id,email,firstname,lastname,created_at\n"
      "9999999999999999999,a@example.com,A,B,\n"  // 19 digits, above 2^63-1
      "9007199254740991,b@example.com,B,C,\n"     // 2^53-1: the largest id taken
      "3,c@example.com,C,D,99999999999999999999\n"
      "4,d@example.com,D,E,2024-02-29 23:59:59\n"
      "5,e@example.com,E,F,2023-02-29 00:00:00\n");
  INFO(Reasons(r));
  CHECK(r.created == 2);
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[0].reason.find("entity_id") != std::string::npos);
  CHECK(r.errors[1].line == 4);
  CHECK(r.errors[2].line == 6);
  CHECK(f.storage->find_customer_by_id(9007199254740991).ok());
  ImportReport big =
      f.Import("entity_id,email,firstname,lastname\n9007199254740992,z@example.com,Z,Z\n");
  CHECK(big.rejected == 1);
  CHECK(big.created == 0);
  CHECK(f.Find(4).created_at == 1709251199000);
}

}  // namespace import_test
