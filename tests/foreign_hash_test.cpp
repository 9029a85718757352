// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Other platforms' password hashes (src/foreign_hashes.h): bcrypt $2a$/$2b$/$2y$, phpass $P$/$H$
// and WordPress 6.8's $wp$2y$, checked against tests/vectors/foreign_hashes.json (made by PHP,
// the system's crypt and passlib: tests/vectors/make_foreign_hashes.py), refused when malformed
// or over the cost caps, verified behind the hasher's concurrency limit, accepted by the customer
// import, and upgraded to Argon2id by the first successful login.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/import.h"
#include "custauth/password.h"
#include "foreign_hashes.h"
#include "test_util.h"

namespace custauth::foreign_hash_test {
namespace {

const std::string kSignIn(msg::kSignInIncorrect);

const nlohmann::json& Vectors() {
  static const nlohmann::json doc = [] {
    std::ifstream in(CUSTAUTH_SOURCE_DIR "/tests/vectors/foreign_hashes.json");
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
  }();
  return doc;
}

// The first vector whose hash starts with `prefix` and whose password is `password`.
const nlohmann::json& Vector(const std::string& prefix, const std::string& password) {
  for (const auto& v : Vectors().at("vectors")) {
    if (v.at("hash").get<std::string>().starts_with(prefix) && v.at("password") == password) {
      return v;
    }
  }
  FAIL("no vector " << prefix << " for " << password);
  throw std::logic_error("unreachable");
}

std::string Hash(const std::string& prefix, const std::string& password) {
  return Vector(prefix, password).at("hash").get<std::string>();
}

}  // namespace

TEST_CASE("The vectors cover every format, and right and wrong passwords") {
  std::vector<std::string> prefixes;
  int matches = 0, misses = 0;
  for (const auto& v : Vectors().at("vectors")) {
    prefixes.push_back(v.at("hash").get<std::string>().substr(0, 4));
    for (const auto& c : v.at("checks")) (c.at("match").get<bool>() ? matches : misses) += 1;
  }
  for (const char* p : {"$2y$", "$2b$", "$2a$", "$P$", "$H$", "$wp$"}) {
    INFO(p);
    CHECK(std::count_if(prefixes.begin(), prefixes.end(),
                        [&](const std::string& s) { return s.starts_with(p); }) >= 5);
  }
  CHECK(matches >= 39);
  CHECK(misses >= 100);
  CHECK(Vectors().at("malformed").size() >= 15);
}

TEST_CASE("Every foreign vector verifies as its platform's own check decides") {
  PasswordHasher hasher(CheapArgon2ForTests());
  for (const auto& v : Vectors().at("vectors")) {
    const std::string stored = v.at("hash");
    INFO(stored << " made by " << v.at("made_by").get<std::string>());
    CHECK(IsForeignHash(stored));
    CHECK(hasher.needs_rehash(stored));
    CHECK_FALSE(PasswordHasher::IsLegacyFormat(stored));
    for (const auto& c : v.at("checks")) {
      const std::string password = c.at("password");
      INFO("password '" << password << "', checked by " << c.at("checked_by").get<std::string>());
      auto r = hasher.verify(password, stored);
      REQUIRE(r.ok());
      CHECK(*r == c.at("match").get<bool>());
    }
  }
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("Each format's verify function refuses the other formats as unreadable") {
  const std::string bcrypt = Hash("$2y$", "Password123");
  const std::string phpass = Hash("$P$", "Password123");
  const std::string wp = Hash("$wp$", "Password123");
  CHECK(*VerifyBcrypt("Password123", bcrypt));
  CHECK(*VerifyPhpass("Password123", phpass));
  CHECK(*VerifyWordPressBcrypt("Password123", wp));
  CHECK(VerifyBcrypt("Password123", phpass).code() == Code::kInvalidInput);
  CHECK(VerifyBcrypt("Password123", wp).code() == Code::kInvalidInput);
  CHECK(VerifyPhpass("Password123", bcrypt).code() == Code::kInvalidInput);
  CHECK(VerifyWordPressBcrypt("Password123", bcrypt).code() == Code::kInvalidInput);
  CHECK(VerifyForeignHash("Password123", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA").code() ==
        Code::kInvalidInput);
}

TEST_CASE("Malformed and over-cap foreign hashes are refused as unreadable") {
  PasswordHasher hasher(CheapArgon2ForTests());
  for (const auto& m : Vectors().at("malformed")) {
    const std::string stored = m.at("hash");
    INFO(stored << ": " << m.at("why").get<std::string>());
    CHECK_FALSE(IsForeignHash(stored));
    auto r = hasher.verify("Password123", stored);
    CHECK(r.code() == Code::kInvalidInput);
    CHECK(hasher.needs_rehash(stored));
  }
  // The caps name themselves.
  auto cost15 = CheckForeignHash(Hash("$2y$", "Password123").replace(4, 2, "15"));
  CHECK(cost15.message() == "bcrypt password hash has a cost outside 4..14 (custauth's cap).");
  std::string phpass23 = Hash("$P$", "Password123");
  phpass23[3] = 'L';  // index 23 of phpass's alphabet "./0-9A-Za-z"
  CHECK(CheckForeignHash(phpass23).message() ==
        "phpass password hash has an iteration count outside 2^7..2^22 (custauth's cap).");
}

TEST_CASE("A password with a NUL byte never matches a bcrypt hash") {
  // bcrypt would stop reading at the NUL, so "x\0anything" would pass for "x".
  const std::string stored = Hash("$2y$", "x");
  CHECK(*VerifyBcrypt("x", stored));
  CHECK_FALSE(*VerifyBcrypt(std::string("x\0anything", 10), stored));
  CHECK_FALSE(*VerifyBcrypt(std::string("x\0", 2), stored));
}

TEST_CASE("WordPress's trim and 4096-byte limit apply to $P$ and $wp$, not to bcrypt or $H$") {
  const std::string wp = Hash("$wp$", "Password123");
  const std::string p = Hash("$P$", "Password123");
  for (const std::string& stored : {wp, p}) {
    INFO(stored);
    CHECK(*VerifyForeignHash("\t Password123\r\n", stored));
    CHECK(*VerifyForeignHash(std::string("Password123\0", 12), stored));
    CHECK_FALSE(*VerifyForeignHash("Password 123", stored));
    // Over 4096 bytes after the trim: refused; up to 4096 bytes of surrounding spaces: trimmed.
    CHECK(*VerifyForeignHash(std::string(3000, ' ') + "Password123" + std::string(3000, ' '),
                             stored));
  }
  const std::string long_password(kMaxForeignPasswordBytes + 1, 'a');
  CHECK_FALSE(*VerifyForeignHash(long_password, p));
  CHECK_FALSE(*VerifyForeignHash(long_password, wp));
  CHECK_FALSE(*VerifyForeignHash(" Password123", Hash("$2y$", "Password123")));
  CHECK_FALSE(*VerifyForeignHash(" Password123", Hash("$H$", "Password123")));
}

TEST_CASE("A foreign verification holds one of the hasher's slots") {
  Argon2Options o = CheapArgon2ForTests();
  o.max_concurrent = 1;
  o.wait_timeout = 0;
  PasswordHasher hasher(o);
  const std::string slow = Hash("$2y$10$", "Password123");  // cost 10: ~2^10 key setups each
  const std::string quick = Hash("$H$", "Password123");
  // One thread keeps the only slot busy with cost-10 bcrypt verifications; the test's quick
  // verifications, which may not wait, then find it taken at least once.
  std::atomic<bool> stop{false};
  std::atomic<int> slow_runs{0};
  std::thread holder([&] {
    while (!stop) {
      auto r = hasher.verify("Password123", slow);
      if (r.ok() && *r) ++slow_runs;
    }
  });
  int busy = 0, verified = 0;
  for (int i = 0; i < 20000 && busy == 0; ++i) {
    auto r = hasher.verify("Password123", quick);
    if (r.code() == Code::kBusy) {
      ++busy;
    } else {
      REQUIRE(r.ok());
      CHECK(*r);
      ++verified;
    }
    // An unreadable hash is refused before any wait, busy or not.
    CHECK(hasher.verify("Password123", "$2y$15$" + slow.substr(7)).code() == Code::kInvalidInput);
    std::this_thread::yield();
  }
  stop = true;
  holder.join();
  CHECK(busy == 1);
  CHECK(slow_runs > 0);
  CHECK(hasher.in_flight() == 0);
}

namespace {

struct ImportFixture {
  explicit ImportFixture(const std::string& backend) : storage(testing::MakeStorage(backend, dir)) {
    AuthOptions o;
    o.test_mode = true;
    o.argon2 = CheapArgon2ForTests();
    auto a = CustomerAuth::Open(storage, o);
    REQUIRE(a.ok());
    auth = std::move(a).value();
  }

  ImportReport Import(const std::string& text, ImportOptions o = {}) {
    std::istringstream in(text);
    return auth->import_customers(in, o);
  }

  std::string StoredHash(std::int64_t id) {
    auto c = storage->find_customer_by_id(id);
    REQUIRE(c.ok());
    return c->password_hash;
  }

  // login.success records of customer `id` that say the hash was rewritten.
  int Rehashes(std::int64_t id) {
    AuditQuery q;
    q.customer_id = id;
    q.limit = 1000;
    auto records = auth->list_audit(q);
    REQUIRE(records.ok());
    int n = 0;
    for (const auto& r : *records) {
      if (r.event == "login.success" && nlohmann::json::parse(r.detail).value("rehashed", false)) {
        ++n;
      }
    }
    return n;
  }

  testing::TempDir dir;
  std::shared_ptr<Storage> storage;
  std::unique_ptr<CustomerAuth> auth;
};

struct Imported {
  std::int64_t id;
  std::string email;
  std::string password;
  std::string hash;
};

std::vector<Imported> ImportedCustomers() {
  std::string unicode;  // the vectors' non-ASCII password
  for (const auto& v : Vectors().at("vectors")) {
    const std::string p = v.at("password");
    if (std::any_of(p.begin(), p.end(), [](char ch) { return ch & 0x80; })) unicode = p;
  }
  REQUIRE_FALSE(unicode.empty());
  std::vector<Imported> out = {
      {101, "laravel@example.com", "Password123", Hash("$2y$04$", "Password123")},
      {102, "symfony@example.com", unicode, Hash("$2y$", unicode)},
      {103, "xcrypt@example.com", "Password123", Hash("$2b$", "Password123")},
      {104, "old-php@example.com", "Password123", Hash("$2a$", "Password123")},
      {105, "woo@example.com", unicode, Hash("$P$", unicode)},
      {106, "phpbb@example.com", "Password123", Hash("$H$", "Password123")},
      {107, "wp68@example.com", "Password123", Hash("$wp$2y$04$", "Password123")},
      {108, "wp68-unicode@example.com", unicode, Hash("$wp$", unicode)},
  };
  return out;
}

}  // namespace

TEST_CASE("Customers imported with foreign hashes log in and are rehashed exactly once") {
  const std::string backend = GENERATE("memory", "sqlite");
  const std::string format = GENERATE("csv", "jsonl");
  INFO(backend << ", " << format);
  ImportFixture f(backend);
  const std::vector<Imported> customers = ImportedCustomers();
  std::string text = format == "csv" ? "entity_id,email,firstname,lastname,password_hash\n" : "";
  for (const Imported& c : customers) {
    if (format == "csv") {
      text += std::to_string(c.id) + "," + c.email + ",Imported,Customer," + c.hash + "\n";
    } else {
      text += nlohmann::json({{"entity_id", c.id},
                              {"email", c.email},
                              {"firstname", "Imported"},
                              {"lastname", "Customer"},
                              {"password_hash", c.hash}})
                  .dump() +
              "\n";
    }
  }
  ImportReport report = f.Import(text);
  INFO(report.ToJson());
  REQUIRE(report.completed());
  CHECK(report.created == static_cast<std::int64_t>(customers.size()));
  CHECK(report.rejected == 0);

  for (const Imported& c : customers) {
    INFO(c.email << " " << c.hash);
    CHECK(f.StoredHash(c.id) == c.hash);  // kept exactly as the other platform stored it
    // A wrong password is refused and changes nothing.
    CHECK(f.auth->generate_customer_token(c.email, c.password + "x").status().message() == kSignIn);
    CHECK(f.StoredHash(c.id) == c.hash);
    // The first successful login upgrades the hash to Argon2id.
    auto token = f.auth->generate_customer_token(c.email, c.password);
    REQUIRE(token.ok());
    CHECK(f.auth->verify_token(*token).ok());
    const std::string upgraded = f.StoredHash(c.id);
    CHECK(upgraded.starts_with("$argon2id$"));
    CHECK_FALSE(f.auth->hasher().needs_rehash(upgraded));
    CHECK(f.Rehashes(c.id) == 1);
    // The second one logs in against the Argon2id hash and leaves it as it is.
    CHECK(f.auth->generate_customer_token(c.email, c.password).ok());
    CHECK(f.StoredHash(c.id) == upgraded);
    CHECK(f.Rehashes(c.id) == 1);
    // The old hash's quirks are gone with it: the password as given is now the password.
    CHECK(f.auth->generate_customer_token(c.email, c.password + "x").status().message() == kSignIn);
  }
}

TEST_CASE("The import refuses malformed and over-cap foreign hashes as bad rows") {
  ImportFixture f("memory");
  std::string csv = "entity_id,email,firstname,lastname,password_hash\n";
  const auto& malformed = Vectors().at("malformed");
  std::int64_t id = 200;
  for (const auto& m : malformed) {
    ++id;
    csv += std::to_string(id) + ",bad" + std::to_string(id) + "@example.com,Bad,Row,\"" +
           m.at("hash").get<std::string>() + "\"\n";
  }
  csv += "300,good@example.com,Good,Row," + Hash("$P$", "Password123") + "\n";
  ImportReport report = f.Import(csv);
  INFO(report.ToJson());
  REQUIRE(report.completed());
  CHECK(report.created == 1);
  CHECK(report.rejected == static_cast<std::int64_t>(malformed.size()));
  REQUIRE(report.errors.size() == malformed.size());
  for (std::size_t i = 0; i < report.errors.size(); ++i) {
    INFO(malformed[i].at("hash").get<std::string>() << " -> " << report.errors[i].reason);
    CHECK(report.errors[i].line == static_cast<std::int64_t>(i) + 2);
    CHECK(report.errors[i].reason.starts_with("password_hash"));
    CHECK(f.storage->find_customer_by_id(201 + static_cast<std::int64_t>(i)).code() ==
          Code::kNotFound);
  }
  CHECK(f.auth->generate_customer_token("good@example.com", "Password123").ok());
}

}  // namespace custauth::foreign_hash_test
