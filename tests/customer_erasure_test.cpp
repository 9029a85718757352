// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// CustomerAuth::delete_customer, the right to erasure: refusals, tokens that stop verifying (at
// once on the handle, within the revocation bound on another handle of the same SQLite file), the
// audit record of the erasure, and a database file with nothing of the customer left in it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "custauth/auth.h"
#include "custauth/password.h"
#include "test_util.h"

namespace customer_erasure_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr char kEmail[] = "Zebulon.Erase@Example.com";
constexpr char kIp[] = "198.51.100.23";
constexpr char kPassword[] = "Password123";

std::unique_ptr<CustomerAuth> OpenAuth(std::shared_ptr<Storage> storage, const Keys& keys,
                                       std::shared_ptr<ManualClock> clock, TokenFormat format,
                                       TimeMs revocation_refresh) {
  AuthOptions o;
  o.argon2 = CheapArgon2ForTests();
  o.clock = std::move(clock);
  o.keys = keys;
  o.tokens.format = format;
  o.tokens.revocation_refresh = revocation_refresh;
  auto a = CustomerAuth::Open(std::move(storage), o);
  INFO(a.status().to_string());
  REQUIRE(a.ok());
  return std::move(a).value();
}

Customer CreateErin(CustomerAuth& auth, const RequestContext& ctx = {}) {
  CustomerInput in;
  in.email = kEmail;
  in.firstname = "Zebulon";
  in.lastname = "Quillfeather";
  in.password = kPassword;
  auto c = auth.create_customer(in, ctx);
  INFO(c.status().to_string());
  REQUIRE(c.ok());
  return *c;
}

std::vector<AuditRecord> AllAudit(CustomerAuth& auth) {
  AuditQuery q;
  q.limit = 100000;
  auto r = auth.list_audit(q);
  REQUIRE(r.ok());
  return *r;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The bytes of `path`, lower-cased; "" when there is no such file.
std::string RawLower(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Lower(std::string(std::istreambuf_iterator<char>(in), {}));
}

// What `sqlite3 FILE .dump` prints (every table's rows as SQL).
std::string SqliteDump(const std::string& path) {
  const std::string cmd = "sqlite3 '" + path + "' .dump";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  REQUIRE(pclose(p) == 0);
  return out;
}

}  // namespace

TEST_CASE("delete_customer refuses bad input and unknown emails, changing nothing", "[erasure]") {
  const std::string backend = GENERATE("memory", "sqlite");
  TempDir dir;
  auto storage = testing::MakeStorage(backend, dir);
  auto clock = std::make_shared<ManualClock>(1748499421000);
  auto auth =
      OpenAuth(storage, GenerateKeys(*SystemRandom::Shared()), clock, TokenFormat::kJwt, kSecond);
  const Customer erin = CreateErin(*auth);
  const std::size_t records = AllAudit(*auth).size();

  auto empty = auth->delete_customer("");
  CHECK(empty.code() == Code::kInvalidInput);
  CHECK(empty.status().message() == "Specify the \"email\" value.");
  auto invalid = auth->delete_customer("not-an-email");
  CHECK(invalid.code() == Code::kInvalidInput);
  CHECK(invalid.status().message() == "\"Email\" is not a valid email address.");
  auto unknown = auth->delete_customer("nobody@example.com");
  CHECK(unknown.code() == Code::kNotFound);
  CHECK(unknown.status().message() == "No such entity with email = nobody@example.com");
  auto other_website = auth->delete_customer(kEmail, {}, 2);
  CHECK(other_website.code() == Code::kNotFound);

  CHECK(AllAudit(*auth).size() == records);
  auto found = auth->find_customer(kEmail);
  REQUIRE(found.ok());
  CHECK(found->id == erin.id);
}

TEST_CASE("a deleted customer's tokens are refused at once on the handle", "[erasure]") {
  const std::string backend = GENERATE("memory", "sqlite");
  const TokenFormat format = GENERATE(TokenFormat::kJwt, TokenFormat::kOpaque);
  INFO(backend << (format == TokenFormat::kJwt ? " jwt" : " opaque"));
  TempDir dir;
  auto storage = testing::MakeStorage(backend, dir);
  auto clock = std::make_shared<ManualClock>(1748499421000);
  // A bound of an hour: only what the erasure tells this handle's cache can refuse at once.
  auto auth = OpenAuth(storage, GenerateKeys(*SystemRandom::Shared()), clock, format, kHour);
  const Customer erin = CreateErin(*auth);
  RequestContext ctx;
  ctx.client_ip = kIp;
  auto token = auth->generate_customer_token(kEmail, kPassword, ctx);
  REQUIRE(token.ok());
  REQUIRE(auth->verify_token(*token).ok());  // cached: not revoked

  RequestContext admin;
  admin.actor = "admin:7";
  admin.client_ip = kIp;  // may be the customer's own: not recorded
  auto deleted = auth->delete_customer(Lower(kEmail), admin);
  INFO(deleted.status().to_string());
  REQUIRE(deleted.ok());
  CHECK(deleted->id == erin.id);
  CHECK(deleted->email == kEmail);

  auto refused = auth->verify_token(*token);
  CHECK(refused.code() == Code::kInvalidToken);
  CHECK(auth->verify_token(*token).code() == Code::kInvalidToken);

  const std::vector<AuditRecord> all = AllAudit(*auth);
  REQUIRE_FALSE(all.empty());
  const AuditRecord& last = all.back();
  CHECK(last.event == "customer.delete");
  CHECK(last.customer_id == erin.id);
  CHECK(last.actor == "admin:7");
  CHECK(last.client_ip.empty());
  CHECK(last.detail.empty());
  for (const AuditRecord& r : all) {
    INFO(r.event << " " << r.detail);
    CHECK(r.client_ip.empty());
    CHECK(Lower(r.detail).find(Lower(kEmail)) == std::string::npos);
  }
  // The email signs in to nothing any more.
  CHECK(auth->generate_customer_token(kEmail, kPassword).code() == Code::kAuthenticationFailed);
}

TEST_CASE("another handle on the same SQLite file refuses them within the revocation bound",
          "[erasure]") {
  const TokenFormat format = GENERATE(TokenFormat::kJwt, TokenFormat::kOpaque);
  INFO((format == TokenFormat::kJwt ? "jwt" : "opaque"));
  TempDir dir;
  const Keys keys = GenerateKeys(*SystemRandom::Shared());
  auto clock = std::make_shared<ManualClock>(1748499421000);
  auto a = OpenAuth(testing::MakeStorage("sqlite", dir), keys, clock, format, kHour);
  // Another process's handle, with a bound of 0: it asks the file's revocation epoch on every
  // verify, and keeps the revocation times it read for as long as the epoch stays.
  auto b = OpenAuth(testing::MakeStorage("sqlite", dir), keys, clock, format, 0);
  CreateErin(*a);
  auto token = a->generate_customer_token(kEmail, kPassword);
  REQUIRE(token.ok());
  REQUIRE(b->verify_token(*token).ok());
  REQUIRE(b->verify_token(*token).ok());  // now from b's cache

  REQUIRE(a->delete_customer(kEmail).ok());
  CHECK(b->verify_token(*token).code() == Code::kInvalidToken);
  CHECK(a->verify_token(*token).code() == Code::kInvalidToken);
}

TEST_CASE("nothing of a deleted customer is left in the SQLite file", "[erasure]") {
  TempDir dir;
  const std::string db = dir.file("custauth.db");
  std::shared_ptr<Storage> storage = testing::MakeStorage("sqlite", dir);
  auto clock = std::make_shared<ManualClock>(1748499421000);
  auto auth = OpenAuth(storage, GenerateKeys(*SystemRandom::Shared()), clock, TokenFormat::kOpaque,
                       kSecond);
  RequestContext ctx;
  ctx.client_ip = kIp;

  // Everything that writes the email, the names or the IP somewhere: an unknown-email failure
  // before the customer existed, the customer, failed and good logins, a rename, a reset
  // request (rate-limit buckets by email and IP), an admin code and its use, a revocation.
  CHECK(auth->generate_customer_token(kEmail, kPassword, ctx).code() ==
        Code::kAuthenticationFailed);
  CreateErin(*auth, ctx);
  for (int k = 0; k < 3; ++k) {
    CHECK(auth->generate_customer_token(kEmail, "wrong-password", ctx).code() ==
          Code::kAuthenticationFailed);
  }
  REQUIRE(auth->generate_customer_token(kEmail, kPassword, ctx).ok());
  CustomerUpdate rename;
  rename.firstname = "Zebediah";
  rename.allow_remote_shopping_assistance = true;
  REQUIRE(auth->update_customer(kEmail, rename, ctx).ok());
  REQUIRE(auth->request_password_reset(kEmail, ctx).ok());
  auto code = auth->issue_otc(kEmail, 7, "asked by phone", ctx);
  REQUIRE(code.ok());
  REQUIRE(auth->exchange_otc(kEmail, *code, ctx).ok());
  REQUIRE(auth->revoke_customer_tokens(kEmail, ctx).ok());
  REQUIRE(auth->generate_customer_token(kEmail, kPassword, ctx).ok());
  const std::string hash = Lower(auth->find_customer(kEmail)->password_hash);

  // Someone else, whose traces must stay (and show that the scans see what is there).
  CustomerInput keeper;
  keeper.email = "keeper@example.com";
  keeper.firstname = "Kept";
  keeper.lastname = "Around";
  keeper.password = kPassword;
  RequestContext keeper_ctx;
  keeper_ctx.client_ip = "203.0.113.77";
  REQUIRE(auth->create_customer(keeper, keeper_ctx).ok());
  REQUIRE(auth->generate_customer_token("keeper@example.com", kPassword, keeper_ctx).ok());

  const std::vector<std::string> personal = {Lower(kEmail),  kIp, "zebulon", "zebediah",
                                             "quillfeather", hash};
  // Before: the scans find them.
  {
    const std::string dump = Lower(SqliteDump(db));
    for (const std::string& p : personal) {
      INFO(p);
      CHECK(dump.find(p) != std::string::npos);
    }
  }

  RequestContext admin;
  admin.actor = "admin:7";
  REQUIRE(auth->delete_customer(kEmail, admin).ok());

  auto check_clean = [&](const std::string& what, const std::string& text) {
    INFO(what);
    for (const std::string& p : personal) {
      INFO(p);
      CHECK(text.find(p) == std::string::npos);
    }
    CHECK(text.find("keeper@example.com") != std::string::npos);
    CHECK(text.find("203.0.113.77") != std::string::npos);
  };
  check_clean("sqlite3 .dump", Lower(SqliteDump(db)));
  // The raw bytes: free space in pages, free pages and the write-ahead log included.
  check_clean("the database file and its log",
              RawLower(db) + RawLower(db + "-wal") + RawLower(db + "-shm"));

  // Closed (the last connection checkpoints the log into the file): still nothing.
  auth.reset();
  storage.reset();
  check_clean("the closed database file", RawLower(db) + RawLower(db + "-wal"));
}

}  // namespace customer_erasure_test
