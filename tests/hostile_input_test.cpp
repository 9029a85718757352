// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The hostile-input table: one data-driven test that throws malformed, forged, oversized and
// injected inputs at every operation, through the C++ facade and the C ABI, on one SQLite file.
// Each case expects its error code (and, where DOMAIN.md gives one, its exact message), and the
// whole database — every row of every table, read through a separate sqlite3 connection — is
// the same after the case as before it, except exactly what DOMAIN.md allows:
//   kNothing   not one row of any table changes;
//   kAudit     only new audit rows, with exactly the listed events (refusals custauth records);
//   kFailure   as kAudit, plus one customer's failure counter: failures_num + 1, first_failure
//              set (and updated_at), nothing else of any customer (a wrong secret on a known
//              customer: DOMAIN.md's "no counter moved except the failure counter").
// At the end, the one-time secrets the cases aimed at still work: nothing was burned.
// Further tests: the failing sign-in paths answer alike; bounded inputs (JSON depth and size in
// every entry point, request contexts, import records); options checked at open; files at rest.
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "crypto.h"
#include "custauth.h"
#include "custauth/auth.h"
#include "custauth/keys.h"
#include "custauth/oauth1.h"
#include "custauth/sqlite_storage.h"
#include "custauth/testing.h"
#include "json.h"
#include "test_util.h"

namespace hostile_input_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr char kRoni[] = "roni_cost@example.com";
constexpr char kRoniPassword[] = "Password123";
constexpr char kBob[] = "bobloblaw@example.com";  // no consent to remote assistance
constexpr TimeMs kNow = 1748499421000;
const std::string kMiB(1 << 20, 'a');

// --- A canonical dump of the database, through its own connection -------------------------------

using Row = std::map<std::string, std::string>;  // column -> canonical value
using Table = std::vector<Row>;
using Dump = std::map<std::string, Table>;

std::string Canonical(sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
      return "NULL";
    case SQLITE_INTEGER:
      return "I:" + std::to_string(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT:
      return "F:" + std::to_string(sqlite3_column_double(st, col));
    case SQLITE_TEXT:
      return "T:" + std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, col)),
                                static_cast<std::size_t>(sqlite3_column_bytes(st, col)));
    default: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, col));
      return "B:" + internal::HexEncode(std::string_view(
                        p, static_cast<std::size_t>(sqlite3_column_bytes(st, col))));
    }
  }
}

std::string RowText(const Row& r) {
  std::string out;
  for (const auto& [k, v] : r) out += k + "=" + v + "|";
  return out;
}

// Every table (sqlite_sequence included). Rowid tables in rowid order; WITHOUT ROWID tables
// sorted by their canonical text.
Dump DumpDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::vector<std::string> tables;
  {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                               -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
  }
  Dump dump;
  for (const auto& t : tables) {
    sqlite3_stmt* st = nullptr;
    bool by_rowid = sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\" ORDER BY rowid").c_str(),
                                       -1, &st, nullptr) == SQLITE_OK;
    if (!by_rowid) {
      REQUIRE(sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\"").c_str(), -1, &st, nullptr) ==
              SQLITE_OK);
    }
    Table rows;
    while (sqlite3_step(st) == SQLITE_ROW) {
      Row r;
      for (int c = 0; c < sqlite3_column_count(st); ++c)
        r[sqlite3_column_name(st, c)] = Canonical(st, c);
      rows.push_back(std::move(r));
    }
    sqlite3_finalize(st);
    if (!by_rowid) {
      std::sort(rows.begin(), rows.end(),
                [](const Row& a, const Row& b) { return RowText(a) < RowText(b); });
    }
    dump[t] = std::move(rows);
  }
  sqlite3_close(db);
  return dump;
}

// --- The cases
// ------------------------------------------------------------------------------------

// kSpent: a signed OAuth request refused after its signature passed: its nonce is recorded (one
// row more in nonces) and the refusal audited.
enum class Effect { kNothing, kAudit, kFailure, kSpent };

struct Case {
  std::string name;
  std::function<Status()> run;
  Code code;
  std::string message;  // "" when the message is not DOMAIN.md's
  Effect effect = Effect::kNothing;
  std::vector<std::string> audit = {};  // kAudit / kFailure / kSpent: the events appended, in order
};

std::string B64(std::string_view s) { return internal::Base64UrlEncode(s); }

// A JWT over these exact header and payload bytes, signed with `secret`.
std::string SignedJwt(std::string_view header, std::string_view payload, std::string_view secret) {
  std::string input = B64(header) + "." + B64(payload);
  const auto sig = internal::HmacSha256(secret).mac(input);
  return input + "." + B64(std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
}

std::string Payload(std::int64_t uid, std::int64_t iat, std::int64_t exp) {
  return "{\"uid\":" + std::to_string(uid) + ",\"utypid\":3,\"iat\":" + std::to_string(iat) +
         ",\"exp\":" + std::to_string(exp) + "}";
}

// An OAuth 1.0a request: `params` in the Authorization header (already encoded as given),
// signed with the integration's secrets unless `signature` is given.
struct OAuthFixture {
  IntegrationCredentials creds;
  int nonce = 0;

  std::vector<OAuthParam> Params(const std::string& nonce_value = {}) {
    return {{"oauth_consumer_key", creds.consumer_key},
            {"oauth_token", creds.access_token},
            {"oauth_signature_method", "HMAC-SHA256"},
            {"oauth_timestamp", std::to_string(kNow / 1000)},
            {"oauth_nonce", nonce_value.empty() ? "n" + std::to_string(++nonce) : nonce_value},
            {"oauth_version", "1.0"}};
  }

  HttpRequest Request(const std::vector<OAuthParam>& params,
                      const std::string& url = "https://shop.example/graphql",
                      std::optional<std::string> signature = std::nullopt) {
    HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.content_type = "application/json";
    std::string header = "OAuth realm=\"shop\"";
    for (const auto& p : params) header += ", " + p.name + "=\"" + p.value + "\"";
    r.authorization = header;
    if (!signature) {
      // A request custauth cannot even read gets a made-up signature.
      signature = "c2lnbmF0dXJl";
      if (auto base = SignatureBaseString(r); base.ok()) {
        auto sig = OAuthSignature("HMAC-SHA256", *base, creds.consumer_secret, creds.token_secret);
        REQUIRE(sig.ok());
        signature = PercentEncode(*sig);
      }
    }
    r.authorization += ", oauth_signature=\"" + *signature + "\"";
    return r;
  }

  HttpRequest Good() { return Request(Params()); }

  // Params() with one parameter replaced (value as it goes into the header, encoded).
  std::vector<OAuthParam> With(const std::string& name, const std::string& value) {
    auto p = Params();
    for (auto& x : p) {
      if (x.name == name) x.value = value;
    }
    return p;
  }
};

std::string Input(const std::string& email, const std::string& firstname = "Bob",
                  const std::string& lastname = "Loblaw") {
  return "{\"customer\":{\"email\":\"" + email + "\",\"firstname\":\"" + firstname +
         "\",\"lastname\":\"" + lastname + "\"}}";
}

Status FromC(int rc, char* out) {
  custauth_free(out);
  if (rc == CUSTAUTH_OK) return Status::Ok();
  return Status(static_cast<Code>(rc), custauth_error_last());
}

template <class T>
Status S(const Result<T>& r) {
  return r.status();
}

}  // namespace

TEST_CASE("hostile inputs: every operation refuses them and changes nothing it may not") {
  TempDir dir;
  const std::string path = dir.file("hostile.db");
  auto opened = OpenSqliteStorage(path);
  REQUIRE(opened.ok());
  std::shared_ptr<Storage> storage = std::move(opened).value();

  AuthOptions o;
  o.keys.secret_key = std::string(32, 's');
  o.keys.seal_key = std::string(32, 'e');
  o.keys.jwt_keys.push_back({"1", std::string(32, 'k')});
  const std::string jwt_secret = o.keys.jwt_keys[0].secret;
  o.clock = std::make_shared<ManualClock>(kNow);
  o.random = std::make_shared<SeededRandom>(11);
  o.argon2 = CheapArgon2ForTests();
  o.lockout.max_failures = 1000;      // failures are counted; no case locks the account
  o.login_throttle.max_failures = 0;  // nor closes an email
  auto made = CustomerAuth::Open(storage, o);
  REQUIRE(made.ok());
  CustomerAuth& auth = **made;

  // Fixtures: Roni (password, consent, a live reset token and admin code), Bob (no consent), an
  // integration that may exchange, one nonce already used, a valid token.
  CustomerInput roni;
  roni.email = kRoni;
  roni.firstname = "Roni";
  roni.lastname = "Cost";
  roni.password = kRoniPassword;
  roni.allow_remote_shopping_assistance = true;
  auto roni_c = auth.create_customer(roni);
  REQUIRE(roni_c.ok());
  const std::int64_t roni_id = roni_c->id;
  CustomerInput bob = roni;
  bob.email = kBob;
  bob.firstname = "Bob";
  bob.lastname = "Loblaw";
  bob.allow_remote_shopping_assistance = false;
  REQUIRE(auth.create_customer(bob).ok());
  auto reset = auth.request_password_reset(kRoni);
  REQUIRE(reset.ok());
  REQUIRE(reset->has_value());
  const std::string reset_token = **reset;
  auto otc = auth.issue_otc(kRoni, 7, "hostile-input table");
  REQUIRE(otc.ok());
  const std::string code = *otc;
  auto creds =
      auth.create_integration("social", {std::string(kPermissionExchangeExternalCustomerToken)});
  REQUIRE(creds.ok());
  OAuthFixture oauth{*creds};
  REQUIRE(auth.exchange_external_customer_token(oauth.Request(oauth.Params("used-nonce")),
                                                Input("first@example.com"))
              .ok());
  auto token = auth.generate_customer_token(kRoni, kRoniPassword);
  REQUIRE(token.ok());
  const std::string good = *token;
  REQUIRE(auth.verify_token(good).ok());

  // The C ABI, on its own handle of the same file.
  const std::string key_file = dir.file("hostile.key");
  REQUIRE(SaveKeyFile(key_file, o.keys).ok());
  custauth_options copts;
  REQUIRE(custauth_options_init(&copts, CUSTAUTH_OPTIONS_VERSION) == CUSTAUTH_OK);
  copts.key_file = key_file.c_str();
  copts.argon2_opslimit = 1;
  copts.argon2_memlimit = 8192;
  copts.lockout_max_failures = 1000;
  copts.login_throttle_max_failures = -1;
  // A test handle, so that its clock agrees with the C++ handle's (failure windows, expiry).
  copts.test_flags = CUSTAUTH_TEST_HANDLE;
  custauth_t* cdb = nullptr;
  REQUIRE(custauth_open(&cdb, path.c_str(), &copts) == CUSTAUTH_OK);
  REQUIRE(custauth_test_clock_set(cdb, kNow) == CUSTAUTH_OK);
  auto call = [&](const char* op, const char* args, const char* ctx = nullptr) {
    char* out = nullptr;
    const int rc = custauth_call(&out, cdb, op, args, ctx);
    return FromC(rc, out);
  };

  const std::string sig_in = std::string(msg::kSignInIncorrect);
  const std::string bad_email = std::string(msg::kInvalidEmail);
  const std::string mismatch = std::string(msg::kResetTokenMismatch);
  const std::string no_perm = std::string(msg::kNoPermission);
  const std::string h = R"({"kid":"1","alg":"HS256"})";
  const std::int64_t t = kNow / 1000;
  const std::string sql = "' OR '1'='1'; DROP TABLE customers; --";
  const std::string sql_email = "x'or'1'='1'--@example.com";  // valid atext: reaches storage
  const std::string email300 = std::string(288, 'a') + "@example.com";
  const std::string upper_code = [&] {
    std::string s = code;
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }();
  auto tamper = [](std::string s) {
    s.back() = s.back() == 'A' ? 'B' : 'A';
    return s;
  };
  const Code kInvalid = Code::kInvalidInput;
  const Code kBadToken = Code::kInvalidToken;
  const Code kAuth = Code::kAuthenticationFailed;

  // One case per line: the table reads as a table.
  // clang-format off
  std::vector<Case> cases = {
      // --- verify_token: forged and malformed tokens (verification never writes) ---
      {"alg none", [&] { return S(auth.verify_token(B64(R"({"kid":"1","alg":"none"})") + "." + B64(Payload(roni_id, t, t + 3600)) + ".")); }, kBadToken, ""},
      {"alg none signed", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1","alg":"none"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"alg HS512", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1","alg":"HS512"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"alg RS256", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1","alg":"RS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"alg hs256 lower case", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1","alg":"hs256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"unknown kid", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"2","alg":"HS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"kid as a number", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":1,"alg":"HS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"empty kid", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"","alg":"HS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"kid with NUL", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1\u0000","alg":"HS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"kid with SQL", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1' OR '1'='1","alg":"HS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"no kid", [&] { return S(auth.verify_token(SignedJwt(R"({"alg":"HS256"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"crit header", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1","alg":"HS256","crit":["exp"]})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"duplicate alg in header", [&] { return S(auth.verify_token(SignedJwt(R"({"kid":"1","alg":"HS256","alg":"none"})", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"duplicate uid in payload", [&] { return S(auth.verify_token(SignedJwt(h, R"({"uid":1,"uid":2,"utypid":3,"iat":)" + std::to_string(t) + R"(,"exp":)" + std::to_string(t + 3600) + "}", jwt_secret))); }, kBadToken, ""},
      {"uid as a string", [&] { return S(auth.verify_token(SignedJwt(h, R"({"uid":"1","utypid":3,"iat":)" + std::to_string(t) + R"(,"exp":)" + std::to_string(t + 3600) + "}", jwt_secret))); }, kBadToken, ""},
      {"uid as a fraction", [&] { return S(auth.verify_token(SignedJwt(h, R"({"uid":1.0,"utypid":3,"iat":)" + std::to_string(t) + R"(,"exp":)" + std::to_string(t + 3600) + "}", jwt_secret))); }, kBadToken, ""},
      {"uid as an object", [&] { return S(auth.verify_token(SignedJwt(h, R"({"uid":{"$gt":0},"utypid":3,"iat":)" + std::to_string(t) + R"(,"exp":)" + std::to_string(t + 3600) + "}", jwt_secret))); }, kBadToken, ""},
      {"uid 0", [&] { return S(auth.verify_token(SignedJwt(h, Payload(0, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"negative uid", [&] { return S(auth.verify_token(SignedJwt(h, Payload(-1, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"uid of no customer", [&] { return S(auth.verify_token(SignedJwt(h, Payload(999999, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"utypid 2 (admin)", [&] { return S(auth.verify_token(SignedJwt(h, R"({"uid":1,"utypid":2,"iat":)" + std::to_string(t) + R"(,"exp":)" + std::to_string(t + 3600) + "}", jwt_secret))); }, kBadToken, ""},
      {"negative exp", [&] { return S(auth.verify_token(SignedJwt(h, Payload(roni_id, t, -1), jwt_secret))); }, kBadToken, ""},
      {"huge exp", [&] { return S(auth.verify_token(SignedJwt(h, Payload(roni_id, t, INT64_MAX), jwt_secret))); }, kBadToken, ""},
      {"exp past", [&] { return S(auth.verify_token(SignedJwt(h, Payload(roni_id, t - 7200, t - 3600), jwt_secret))); }, Code::kExpired, ""},
      {"iat in the future", [&] { return S(auth.verify_token(SignedJwt(h, Payload(roni_id, t + 3600, t + 7200), jwt_secret))); }, kBadToken, ""},
      {"signed with another key", [&] { return S(auth.verify_token(SignedJwt(h, Payload(roni_id, t, t + 3600), std::string(32, 'x')))); }, kBadToken, ""},
      {"tampered signature", [&] { return S(auth.verify_token(tamper(good))); }, kBadToken, ""},
      {"missing dot", [&] { return S(auth.verify_token(good.substr(0, good.rfind('.')))); }, kBadToken, ""},
      {"extra dot", [&] { return S(auth.verify_token(good + ".")); }, kBadToken, ""},
      {"extra segment", [&] { return S(auth.verify_token(good + ".e30")); }, kBadToken, ""},
      {"megabyte token", [&] { return S(auth.verify_token(kMiB + "." + kMiB + "." + kMiB)); }, kBadToken, ""},
      {"bad base64", [&] { return S(auth.verify_token("e*J.e*J.abc")); }, kBadToken, ""},
      {"padded base64", [&] { return S(auth.verify_token(B64(h) + "==." + B64(Payload(roni_id, t, t + 3600)) + ".AAAA")); }, kBadToken, ""},
      {"header not an object", [&] { return S(auth.verify_token(SignedJwt("[]", Payload(roni_id, t, t + 3600), jwt_secret))); }, kBadToken, ""},
      {"NUL inside the token", [&] { return S(auth.verify_token(good.substr(0, 10) + std::string(1, '\0') + good.substr(10))); }, kBadToken, ""},
      {"empty token", [&] { return S(auth.verify_token("")); }, kBadToken, ""},
      {"unknown opaque token", [&] { return S(auth.verify_token("ar4116zozoagxty1xjn4lj13kim36r6x")); }, kBadToken, ""},
      {"SQL as a token", [&] { return S(auth.verify_token(sql)); }, kBadToken, ""},

      // --- generate_customer_token ---
      {"login: empty email", [&] { return S(auth.generate_customer_token("", kRoniPassword)); }, kInvalid, std::string(msg::kSpecifyEmail)},
      {"login: empty password", [&] { return S(auth.generate_customer_token(kRoni, "")); }, kInvalid, std::string(msg::kSpecifyPassword)},
      {"login: NUL in email", [&] { return S(auth.generate_customer_token(std::string(kRoni) + std::string(1, '\0'), kRoniPassword)); }, kAuth, sig_in},
      {"login: CRLF in email", [&] { return S(auth.generate_customer_token(std::string(kRoni) + "\r\nBcc: x@y.zz", kRoniPassword)); }, kAuth, sig_in},
      {"login: unicode email", [&] { return S(auth.generate_customer_token("r\xc3\xb6ni_cost@example.com", kRoniPassword)); }, kAuth, sig_in},
      {"login: 300-character email", [&] { return S(auth.generate_customer_token(email300, kRoniPassword)); }, kAuth, sig_in},
      {"login: SQL email (invalid)", [&] { return S(auth.generate_customer_token(sql, kRoniPassword)); }, kAuth, sig_in},
      {"login: SQL email (valid, unknown)", [&] { return S(auth.generate_customer_token(sql_email, kRoniPassword)); }, kAuth, sig_in, Effect::kAudit, {"login.failure"}},
      {"login: megabyte password", [&] { return S(auth.generate_customer_token(kRoni, kMiB)); }, kAuth, sig_in},
      {"login: wrong password", [&] { return S(auth.generate_customer_token(kRoni, "Password124")); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"login: SQL password", [&] { return S(auth.generate_customer_token(kRoni, sql)); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"login: upper-case email, wrong password", [&] { return S(auth.generate_customer_token("RONI_COST@EXAMPLE.COM", "x")); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"login: upper-case admin code", [&] { return S(auth.generate_customer_token(kRoni, upper_code)); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"login: Bob with Roni's admin code", [&] { return S(auth.generate_customer_token(kBob, code)); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},

      // --- exchange_otc ---
      {"otc: empty code", [&] { return S(auth.exchange_otc(kRoni, "")); }, kInvalid, std::string(msg::kSpecifyPassword)},
      {"otc: 31 characters", [&] { return S(auth.exchange_otc(kRoni, code.substr(1))); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"otc: 33 characters", [&] { return S(auth.exchange_otc(kRoni, code + "0")); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"otc: upper case", [&] { return S(auth.exchange_otc(kRoni, upper_code)); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"otc: not hex", [&] { return S(auth.exchange_otc(kRoni, std::string(32, 'g'))); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"otc: the reset token as a code", [&] { return S(auth.exchange_otc(kRoni, reset_token)); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"otc: unknown email", [&] { return S(auth.exchange_otc("nobody@example.com", code)); }, kAuth, sig_in, Effect::kAudit, {"login.failure"}},

      // --- reset_password ---
      {"reset: wrong length", [&] { return auth.reset_password(kRoni, reset_token.substr(1), "N3w-Password"); }, kInvalid, mismatch},
      {"reset: SQL token", [&] { return auth.reset_password(kRoni, sql, "N3w-Password"); }, kInvalid, mismatch},
      {"reset: wrong token", [&] { return auth.reset_password(kRoni, std::string(32, 'A'), "N3w-Password"); }, kInvalid, mismatch},
      {"reset: the admin code as a token", [&] { return auth.reset_password(kRoni, code, "N3w-Password"); }, kInvalid, mismatch},
      {"reset: weak new password", [&] { return auth.reset_password(kRoni, reset_token, "short"); }, kInvalid, ""},
      {"reset: megabyte new password", [&] { return auth.reset_password(kRoni, reset_token, kMiB); }, kInvalid, ""},
      {"reset: password = email", [&] { return auth.reset_password(kRoni, reset_token, "Roni_Cost@Example.com"); }, kInvalid, ""},
      {"reset: unknown email", [&] { return auth.reset_password("nobody@example.com", reset_token, "N3w-Password"); }, kInvalid, mismatch},
      {"reset: CRLF email", [&] { return auth.reset_password(std::string(kRoni) + "\r\n", reset_token, "N3w-Password"); }, kInvalid, bad_email},
      {"reset: Bob with Roni's token", [&] { return auth.reset_password(kBob, reset_token, "N3w-Password"); }, kInvalid, mismatch},
      {"reset: empty email", [&] { return auth.reset_password("", reset_token, "N3w-Password"); }, kInvalid, "You must specify an email address."},
      {"reset: empty token", [&] { return auth.reset_password(kRoni, "", "N3w-Password"); }, kInvalid, "resetPasswordToken must be specified"},
      {"reset: empty new password", [&] { return auth.reset_password(kRoni, reset_token, ""); }, kInvalid, "newPassword must be specified"},

      // --- change_password (DOMAIN.md, "Password change") ---
      {"change: empty current password", [&] { return auth.change_password(kRoni, "", "N3w-Password"); }, kInvalid, "Specify the \"currentPassword\" value."},
      {"change: empty new password", [&] { return auth.change_password(kRoni, kRoniPassword, ""); }, kInvalid, "Specify the \"newPassword\" value."},
      {"change: weak new password", [&] { return auth.change_password(kRoni, kRoniPassword, "short"); }, kInvalid, ""},
      {"change: CRLF email", [&] { return auth.change_password(std::string(kRoni) + "\r\n", kRoniPassword, "N3w-Password"); }, kInvalid, bad_email},
      {"change: wrong current password", [&] { return auth.change_password(kRoni, "' OR 1=1 --", "N3w-Password"); }, kAuth, "Invalid login or password.", Effect::kFailure, {"login.failure"}},
      {"change: unknown email", [&] { return auth.change_password("nobody@example.com", kRoniPassword, "N3w-Password"); }, kAuth, "Invalid login or password.", Effect::kAudit, {"login.failure"}},

      // --- request_password_reset ---
      {"reset request: empty email", [&] { return S(auth.request_password_reset("")); }, kInvalid, "You must specify an email address."},
      {"reset request: LF email", [&] { return S(auth.request_password_reset(std::string(kRoni) + "\n")); }, kInvalid, bad_email},
      {"reset request: 300-character email", [&] { return S(auth.request_password_reset(email300)); }, kInvalid, bad_email},
      {"reset request: SQL email", [&] { return S(auth.request_password_reset(sql)); }, kInvalid, bad_email},

      // --- create_customer ---
      {"create: email taken (other case)", [&] { CustomerInput c = roni; c.email = "RONI_COST@example.COM"; return S(auth.create_customer(c)); }, Code::kAlreadyExists, std::string(msg::kCustomerExists)},
      {"create: NUL in first name", [&] { CustomerInput c = roni; c.email = "new@example.com"; c.firstname = std::string("Ro\0ni", 5); return S(auth.create_customer(c)); }, kInvalid, ""},
      {"create: invalid UTF-8 last name", [&] { CustomerInput c = roni; c.email = "new@example.com"; c.lastname = "\xff\xfe"; return S(auth.create_customer(c)); }, kInvalid, ""},
      {"create: 256-byte last name", [&] { CustomerInput c = roni; c.email = "new@example.com"; c.lastname = std::string(256, 'L'); return S(auth.create_customer(c)); }, kInvalid, ""},
      {"create: weak password", [&] { CustomerInput c = roni; c.email = "new@example.com"; c.password = "password"; return S(auth.create_customer(c)); }, kInvalid, ""},
      {"create: megabyte password", [&] { CustomerInput c = roni; c.email = "new@example.com"; c.password = kMiB; return S(auth.create_customer(c)); }, kInvalid, ""},
      {"create: SQL email", [&] { CustomerInput c = roni; c.email = "x'); DROP TABLE customers;--@example.com"; return S(auth.create_customer(c)); }, kInvalid, bad_email},
      {"create: website 0", [&] { CustomerInput c = roni; c.email = "new@example.com"; c.website_id = 0; return S(auth.create_customer(c)); }, kInvalid, ""},

      // --- update_customer, issue_otc, revoke ---
      {"update: unknown email", [&] { CustomerUpdate u; u.firstname = "X"; return S(auth.update_customer(sql_email, u)); }, Code::kNotFound, ""},
      {"update: empty first name", [&] { CustomerUpdate u; u.firstname = " "; return S(auth.update_customer(kRoni, u)); }, kInvalid, ""},
      {"update: control byte in last name", [&] { CustomerUpdate u; u.lastname = "Cost\x1b[2J"; return S(auth.update_customer(kRoni, u)); }, kInvalid, ""},
      {"issue otc: admin 0", [&] { return S(auth.issue_otc(kRoni, 0, "r")); }, kInvalid, ""},
      {"issue otc: negative admin", [&] { return S(auth.issue_otc(kRoni, -7, "r")); }, kInvalid, ""},
      {"issue otc: invalid UTF-8 reason", [&] { return S(auth.issue_otc(kRoni, 7, "\xc0\xaf")); }, kInvalid, ""},
      {"issue otc: 2 KB reason", [&] { return S(auth.issue_otc(kRoni, 7, std::string(2048, 'r'))); }, kInvalid, ""},
      {"issue otc: no consent", [&] { return S(auth.issue_otc(kBob, 7, "r")); }, Code::kForbidden, std::string(msg::kAssistanceDisabled)},
      {"revoke: unknown email", [&] { return auth.revoke_customer_tokens("nobody@example.com"); }, Code::kNotFound, ""},

      // --- exchange_external_customer_token: the OAuth request ---
      {"oauth: no Authorization", [&] { HttpRequest r = oauth.Good(); r.authorization.clear(); return S(auth.exchange_external_customer_token(r, Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: Bearer scheme", [&] { HttpRequest r = oauth.Good(); r.authorization = "Bearer " + good; return S(auth.exchange_external_customer_token(r, Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: duplicate nonce parameter", [&] { auto p = oauth.Params(); p.push_back({"oauth_nonce", "again"}); return S(auth.exchange_external_customer_token(oauth.Request(p), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: parameter in header and query", [&] { auto p = oauth.Params(); return S(auth.exchange_external_customer_token(oauth.Request(p, "https://shop.example/graphql?oauth_token=" + oauth.creds.access_token), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: missing signature method", [&] { auto p = oauth.Params(); p.erase(p.begin() + 2); return S(auth.exchange_external_customer_token(oauth.Request(p), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: empty signature", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.Params(), "https://shop.example/graphql", ""), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: bad percent-encoding", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_nonce", "a%zz")), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: truncated percent-encoding", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_nonce", "a%4")), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: PLAINTEXT", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_signature_method", "PLAINTEXT")), Input("new@example.com"))); }, Code::kUnsupported, "Signature method PLAINTEXT is not supported"},
      {"oauth: RSA-SHA1", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_signature_method", "RSA-SHA1")), Input("new@example.com"))); }, Code::kUnsupported, "Signature method RSA-SHA1 is not supported"},
      {"oauth: version 2.0", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_version", "2.0")), Input("new@example.com"))); }, Code::kUnsupported, ""},
      {"oauth: 31-character consumer key", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_consumer_key", oauth.creds.consumer_key.substr(1))), Input("new@example.com"))); }, Code::kForbidden, ""},
      {"oauth: SQL consumer key", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_consumer_key", PercentEncode(sql.substr(0, 32)))), Input("new@example.com"))); }, Code::kForbidden, no_perm},
      {"oauth: unknown consumer key", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_consumer_key", std::string(32, 'z'))), Input("new@example.com"))); }, Code::kForbidden, no_perm},
      {"oauth: wrong access token", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_token", std::string(32, 'z'))), Input("new@example.com"))); }, Code::kForbidden, no_perm, Effect::kAudit, {"exchange.refused"}},
      {"oauth: timestamp 601 s old", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_timestamp", std::to_string(t - 601))), Input("new@example.com"))); }, Code::kForbidden, "", Effect::kAudit, {"exchange.refused"}},
      {"oauth: negative timestamp", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_timestamp", "-1")), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: huge timestamp", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.With("oauth_timestamp", "99999999999999999999")), Input("new@example.com"))); }, kInvalid, ""},
      {"oauth: forged signature", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.Params(), "https://shop.example/graphql", std::string(43, 'A') + "%3D"), Input("new@example.com"))); }, Code::kForbidden, std::string(msg::kSignatureInvalid), Effect::kAudit, {"exchange.refused"}},
      {"oauth: signature for another URL", [&] { HttpRequest r = oauth.Good(); r.url = "https://evil.example/graphql"; return S(auth.exchange_external_customer_token(r, Input("new@example.com"))); }, Code::kForbidden, std::string(msg::kSignatureInvalid), Effect::kAudit, {"exchange.refused"}},
      {"oauth: replayed nonce", [&] { return S(auth.exchange_external_customer_token(oauth.Request(oauth.Params("used-nonce")), Input("new@example.com"))); }, Code::kForbidden, std::string(oauth_msg::kNonceUsed), Effect::kAudit, {"exchange.refused"}},

      // --- exchange_external_customer_token: the input (behind a valid signature) ---
      {"input: duplicate email key", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"email":"new@example.com","email":"roni_cost@example.com","firstname":"A","lastname":"B"}})")); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: duplicate customer key", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), "{\"customer\":{},\"customer\":" + Input("new@example.com").substr(12))); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: email as a number", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"email":5,"firstname":"A","lastname":"B"}})")); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: names as arrays", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"email":"new@example.com","firstname":["A"],"lastname":"B"}})")); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: is_subscribed as a string", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"email":"new@example.com","firstname":"A","lastname":"B","is_subscribed":"yes"}})")); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: unknown field", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"email":"new@example.com","firstname":"A","lastname":"B","xyz":1}})")); }, kInvalid, "Field \"xyz\" is not defined by type CustomerCreateInput.", Effect::kSpent, {"exchange.refused"}},
      {"input: missing email", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"firstname":"A","lastname":"B"}})")); }, kInvalid, "Field CustomerCreateInput.email of required type String! was not provided", Effect::kSpent, {"exchange.refused"}},
      {"input: missing lastname", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), R"({"customer":{"email":"new@example.com","firstname":"A"}})")); }, kInvalid, "Field CustomerCreateInput.lastname of required type String! was not provided", Effect::kSpent, {"exchange.refused"}},
      {"input: CRLF email", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), Input("new@example.com\\r\\n"))); }, kInvalid, bad_email, Effect::kSpent, {"exchange.refused"}},
      {"input: unicode email", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), Input("n\\u00e9w@example.com"))); }, kInvalid, bad_email, Effect::kSpent, {"exchange.refused"}},
      {"input: 300-character email", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), Input(email300))); }, kInvalid, bad_email, Effect::kSpent, {"exchange.refused"}},
      {"input: NUL in first name", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), Input("new@example.com", "A\\u0000B"))); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: not JSON", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), "{\"customer\":")); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: megabyte", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), Input("new@example.com", kMiB))); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},
      {"input: deep nesting", [&] { return S(auth.exchange_external_customer_token(oauth.Good(), std::string(5000, '[') + std::string(5000, ']'))); }, kInvalid, "", Effect::kSpent, {"exchange.refused"}},

      // --- the C ABI's custauth_call ---
      {"C: unknown operation", [&] { return call("drop_table", "{}"); }, kInvalid, ""},
      {"C: args not JSON", [&] { return call("customer_find", "{\"email\":"); }, kInvalid, ""},
      {"C: args an array", [&] { return call("customer_find", "[\"roni_cost@example.com\"]"); }, kInvalid, ""},
      {"C: email as a number", [&] { return call("customer_find", "{\"email\":5}"); }, kInvalid, ""},
      {"C: unknown argument", [&] { return call("customer_update", "{\"email\":\"roni_cost@example.com\",\"password_hash\":\"x\"}"); }, kInvalid, ""},
      {"C: duplicate arguments", [&] { return call("generate_customer_token", "{\"email\":\"roni_cost@example.com\",\"password\":\"Password123\",\"password\":\"x\"}"); }, kInvalid, ""},
      {"C: unknown context member", [&] { return call("customer_find", "{\"email\":\"roni_cost@example.com\"}", "{\"admin\":true}"); }, kInvalid, ""},
      {"C: website_id as a string", [&] { return call("customer_find", "{\"email\":\"roni_cost@example.com\",\"website_id\":\"1\"}"); }, kInvalid, ""},
      {"C: huge admin_id", [&] { return call("issue_otc", "{\"email\":\"roni_cost@example.com\",\"admin_id\":18446744073709551615}"); }, kInvalid, ""},
      {"C: wrong password", [&] { return call("generate_customer_token", "{\"email\":\"roni_cost@example.com\",\"password\":\"' OR 1=1 --\"}"); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"C: upper-case code", [&] { return call("exchange_otc", ("{\"email\":\"roni_cost@example.com\",\"code\":\"" + upper_code + "\"}").c_str()); }, kAuth, sig_in, Effect::kFailure, {"login.failure"}},
      {"C: forged token", [&] { return call("verify_token", ("{\"token\":\"" + tamper(good) + "\"}").c_str()); }, kBadToken, ""},
  };
  // clang-format on

  // A reader of the database (a co-tenant, a backup) finds no secret in clear: not the reset
  // token, the admin code, the integration's secrets, nor the password.
  for (const auto& [table, rows] : DumpDatabase(path)) {
    for (const Row& row : rows) {
      for (const auto& [column, value] : row) {
        INFO(table << "." << column);
        for (const std::string& secret : {reset_token, code, creds->consumer_secret,
                                          creds->token_secret, std::string(kRoniPassword)}) {
          CHECK(value.find(secret) == std::string::npos);
          CHECK(value.find(internal::HexEncode(secret)) == std::string::npos);
        }
      }
    }
  }

  REQUIRE(cases.size() >= 60);
  int failure_count = 0;
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    const Dump before = DumpDatabase(path);
    const Status s = c.run();
    CHECK(s.code() == c.code);
    if (!c.message.empty()) CHECK(s.message() == c.message);
    const Dump after = DumpDatabase(path);

    if (c.effect == Effect::kNothing) {
      CHECK(after == before);
      continue;
    }
    // Every table but audit, sqlite_sequence and customers is the same (and nonces, which
    // kSpent grows by one row).
    for (const auto& [name, rows] : before) {
      if (name == "audit" || name == "sqlite_sequence" || name == "customers") continue;
      INFO("table " << name);
      if (name == "nonces" && c.effect == Effect::kSpent) {
        CHECK(after.at(name).size() == rows.size() + 1);
        continue;
      }
      CHECK(after.at(name) == rows);
    }
    // The audit trail only grew, by exactly these events.
    const Table& a0 = before.at("audit");
    const Table& a1 = after.at("audit");
    REQUIRE(a1.size() == a0.size() + c.audit.size());
    CHECK(Table(a1.begin(), a1.begin() + static_cast<std::ptrdiff_t>(a0.size())) == a0);
    for (std::size_t i = 0; i < c.audit.size(); ++i) {
      CHECK(a1[a0.size() + i].at("event") == "T:" + c.audit[i]);
    }
    // Customers: the same, or (kFailure) exactly one customer's failure counter moved.
    const Table& c0 = before.at("customers");
    const Table& c1 = after.at("customers");
    REQUIRE(c1.size() == c0.size());
    int changed = 0;
    for (std::size_t i = 0; i < c0.size(); ++i) {
      if (c1[i] == c0[i]) continue;
      ++changed;
      Row r0 = c0[i], r1 = c1[i];
      CHECK(std::stoll(r1.at("failures_num").substr(2)) ==
            std::stoll(r0.at("failures_num").substr(2)) + 1);
      CHECK(r1.at("first_failure") != "NULL");
      for (const char* col : {"failures_num", "first_failure", "updated_at"}) {
        r0.erase(col);
        r1.erase(col);
      }
      CHECK(r1 == r0);  // lock_expires included: no case locks
    }
    CHECK(changed == (c.effect == Effect::kFailure ? 1 : 0));
    if (c.effect == Effect::kFailure) ++failure_count;
  }
  CHECK(failure_count > 0);

  // Nothing the cases aimed at was burned: the nonce-less request, the reset token and the admin
  // code all still work, once.
  custauth_close(cdb);
  CHECK(auth.exchange_external_customer_token(oauth.Good(), Input("new@example.com")).ok());
  CHECK(auth.exchange_otc(kRoni, code).ok());
  CHECK(auth.reset_password(kRoni, reset_token, "N3w-Password").ok());
  CHECK(auth.generate_customer_token(kRoni, "N3w-Password").ok());
}

// Beside the table, the sign-in paths that fail (unknown email, wrong password, locked, inactive,
// no password): each answers the one common message, every time. That each costs what a wrong
// password costs is a matter of time, measured by scripts/bench, not asserted here: a test that
// times itself fails on a loaded machine.
TEST_CASE("hostile sign-in: every failed path answers the common message") {
  AuthOptions o;
  o.keys.secret_key = std::string(32, 's');
  o.keys.seal_key = std::string(32, 'e');
  o.keys.jwt_keys.push_back({"1", std::string(32, 'k')});
  o.argon2 = CheapArgon2ForTests();
  o.lockout.max_failures = 3;
  auto made = CustomerAuth::Open(std::shared_ptr<Storage>(MakeMemoryStorage()), o);
  REQUIRE(made.ok());
  CustomerAuth& auth = **made;
  auto create = [&](const std::string& email, std::optional<std::string> password) {
    CustomerInput in;
    in.email = email;
    in.firstname = "Timing";
    in.lastname = "Test";
    in.password = std::move(password);
    REQUIRE(auth.create_customer(in).ok());
  };
  create("known@example.com", "Password123");
  create("locked@example.com", "Password123");
  create("inactive@example.com", "Password123");
  create("nopassword@example.com", std::nullopt);
  CustomerUpdate off;
  off.is_active = false;
  REQUIRE(auth.update_customer("inactive@example.com", off).ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(auth.generate_customer_token("locked@example.com", "wrong").code() ==
            Code::kAuthenticationFailed);
  }

  const std::vector<std::string> emails = {"known@example.com", "unknown@example.com",
                                           "locked@example.com", "inactive@example.com",
                                           "nopassword@example.com"};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& email : emails) {
      INFO(email);
      auto r = auth.generate_customer_token(email, "Wr0ng-Password");
      CHECK(r.code() == Code::kAuthenticationFailed);
      CHECK(r.status().message() == msg::kSignInIncorrect);
    }
  }
}

// --- Bounded inputs ------------------------------------------------------------------------------

namespace {

// `depth` nested arrays: 2 bytes a level, so 10^5 levels are 200 KB.
std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Runs `f` on a thread with a 256 KiB stack (std::thread cannot choose its stack size), waiting
// for it: the main thread only waits, so Catch2's assertions are never concurrent.
void OnSmallStack(const std::function<void()>& f) {
  pthread_attr_t attr;
  REQUIRE(pthread_attr_init(&attr) == 0);
  REQUIRE(pthread_attr_setstacksize(&attr, 256 << 10) == 0);
  pthread_t thread;
  auto run = [](void* p) -> void* {
    (*static_cast<const std::function<void()>*>(p))();
    return nullptr;
  };
  const int rc = pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&f));
  pthread_attr_destroy(&attr);
  REQUIRE(rc == 0);
  REQUIRE(pthread_join(thread, nullptr) == 0);
}

std::string LastError() { return custauth_error_last(); }

// Every entry point that reads JSON, given 10^5 levels of nesting: refused with kInvalidInput
// and a message that says so, before anything recursive ran (which would overflow the stack).
void DeepJsonEverywhere() {
  const std::string deep = Nested(100000);
  custauth_options o;
  REQUIRE(custauth_options_init(&o, CUSTAUTH_OPTIONS_VERSION) == CUSTAUTH_OK);
  o.test_flags = CUSTAUTH_TEST_HANDLE;
  custauth_t* db = nullptr;
  REQUIRE(custauth_open(&db, "memory:", &o) == CUSTAUTH_OK);
  char* out = nullptr;

  // custauth_call: the exchange's input inside the arguments, the context, a fixture.
  const std::string exchange_args = R"({"request":{},"input":{"customer":)" + deep + "}}";
  CHECK(custauth_call(&out, db, "exchange_external_customer_token", exchange_args.c_str(),
                      nullptr) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "args_json is nested too deeply");
  REQUIRE(out != nullptr);  // a GraphQL error response, as for every refusal
  CHECK(std::string(out).find("nested too deeply") != std::string::npos);
  custauth_free(out);
  const std::string context = R"({"client_ip":)" + deep + "}";
  CHECK(custauth_call(&out, db, "version", nullptr, context.c_str()) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "context_json is nested too deeply");
  custauth_free(out);
  const std::string fixture = R"({"customers":)" + deep + "}";
  CHECK(custauth_call(&out, db, "test.create_customers", fixture.c_str(), nullptr) ==
        CUSTAUTH_EINVALID);
  CHECK(LastError() == "args_json is nested too deeply");
  custauth_free(out);

  // custauth_exchange_external_customer_token: its input_json.
  custauth_http_request req{};
  const std::string input = R"({"customer":)" + deep + "}";
  CHECK(custauth_exchange_external_customer_token(&out, db, &req, input.c_str(), nullptr) ==
        CUSTAUTH_EINVALID);
  CHECK(LastError() == "input_json is nested too deeply");
  custauth_free(out);

  // custauth_test_customers_create: the fixture.
  CHECK(custauth_test_customers_create(&out, db, fixture.c_str(), nullptr) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "the fixture is nested too deeply");
  CHECK(out == nullptr);
  custauth_close(db);

  // custauth_open_json: its options, "keys" among them; custauth_open: keys_json.
  custauth_t* other = nullptr;
  const std::string options = R"({"test":true,"keys":)" + deep + "}";
  CHECK(custauth_open_json(&other, "memory:", options.c_str()) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "options_json is nested too deeply");
  CHECK(other == nullptr);
  custauth_options with_keys;
  REQUIRE(custauth_options_init(&with_keys, CUSTAUTH_OPTIONS_VERSION) == CUSTAUTH_OK);
  with_keys.keys_json = deep.c_str();
  CHECK(custauth_open(&other, "memory:", &with_keys) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "keys_json: the JSON is nested too deeply");
  CHECK(other == nullptr);

  // C++: the exchange's input (refused at the OAuth check first here: the request is unsigned;
  // exchange_test checks the input's own message), the fixture, and a JSON Lines import.
  auto auth = custauth::testing::OpenTestAuth(std::optional<std::uint64_t>(1));
  REQUIRE(auth.ok());
  CHECK_FALSE((*auth)->exchange_external_customer_token(HttpRequest{}, input).ok());
  auto created = custauth::testing::CreateCustomersFromJson(**auth, fixture);
  CHECK(created.status().message() == "the fixture is nested too deeply");
  // 10^5 levels are longer than a record may be; 30,000 levels (60 KB) fit and are too deep.
  std::istringstream lines(std::string(R"({"email":"a@example.com","firstname":"A","lastname":"B"})"
                                       "\n") +
                           R"({"email":)" + deep + "}\n" + R"({"email":)" + Nested(30000) + "}\n");
  ImportOptions io;
  io.format = ImportFormat::kJsonLines;
  const ImportReport report = (*auth)->import_customers(lines, io);
  CHECK(report.created == 1);
  REQUIRE(report.errors.size() == 2);
  CHECK(report.errors[0].line == 2);
  CHECK(report.errors[0].reason.find("longer than 65536 bytes") != std::string::npos);
  CHECK(report.errors[1].line == 3);
  CHECK(report.errors[1].reason.find("the line is nested too deeply") != std::string::npos);

  // The checked parser itself: 8 levels pass, 9 do not; the byte cap.
  CHECK(internal::ParseJsonChecked(Nested(8), "x").ok());
  CHECK(internal::ParseJsonChecked(Nested(9), "x").status().message() == "x is nested too deeply");
  CHECK(internal::ParseJsonChecked(deep, "x").status().message() == "x is nested too deeply");
  CHECK(internal::ParseJsonChecked(R"({"a":1,"a":2})", "x").status().message() ==
        "x has the field \"a\" more than once");
  CHECK(internal::ParseJsonChecked(std::string(internal::kMaxJsonBytes + 1, ' '), "x")
            .status()
            .message() == "x is too large");
}

}  // namespace

TEST_CASE("bounded inputs: 10^5 levels of JSON nesting are refused in every entry point") {
  DeepJsonEverywhere();
}

TEST_CASE("bounded inputs: 10^5 levels of JSON nesting on a 256 KiB thread stack") {
  OnSmallStack(DeepJsonEverywhere);
}

TEST_CASE("bounded inputs: custauth_call's arguments are capped at 1 MiB") {
  custauth_t* db = nullptr;
  REQUIRE(custauth_open(&db, "memory:", nullptr) == CUSTAUTH_OK);
  char* out = nullptr;
  const std::string big = R"({"email":")" + std::string(internal::kMaxJsonBytes, 'a') + "\"}";
  CHECK(custauth_call(&out, db, "customer_find", big.c_str(), nullptr) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "args_json is too large");
  custauth_free(out);
  custauth_close(db);
}

TEST_CASE("bounded inputs: over-long request contexts are refused before anything is written") {
  TempDir dir;
  const std::string path = dir.file("context.db");
  AuthOptions o;
  o.test_mode = true;
  o.argon2 = CheapArgon2ForTests();
  auto storage = OpenSqliteStorage(path);
  REQUIRE(storage.ok());
  auto made = CustomerAuth::Open(std::shared_ptr<Storage>(std::move(storage).value()), o);
  REQUIRE(made.ok());
  CustomerAuth& auth = **made;
  CustomerInput in;
  in.email = "ctx@example.com";
  in.firstname = "Con";
  in.lastname = "Text";
  in.password = "Password123";
  in.allow_remote_shopping_assistance = true;
  REQUIRE(auth.create_customer(in).ok());
  const Dump before = DumpDatabase(path);

  struct Case {
    const char* name;
    RequestContext ctx;
    const char* message;
  };
  RequestContext ip, agent, actor;
  ip.client_ip = std::string(256, '1');
  agent.user_agent = std::string(1025, 'M');
  actor.actor = std::string(256, 'a');
  const Case cases[] = {
      {"client_ip", ip, "The request context's client_ip is too long: at most 255 bytes"},
      {"user_agent", agent, "The request context's user_agent is too long: at most 1024 bytes"},
      {"actor", actor, "The request context's actor is too long: at most 255 bytes"}};
  const std::string email = in.email;
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<Status> got;
    CustomerInput other = in;
    other.email = "other@example.com";
    got.push_back(auth.create_customer(other, c.ctx).status());
    got.push_back(auth.update_customer(email, CustomerUpdate{}, c.ctx).status());
    got.push_back(auth.generate_customer_token(email, "wrong", c.ctx).status());
    got.push_back(auth.generate_customer_token("nobody@example.com", "wrong", c.ctx).status());
    got.push_back(auth.exchange_otc(email, std::string(32, 'a'), c.ctx).status());
    got.push_back(auth.request_password_reset(email, c.ctx).status());
    got.push_back(auth.reset_password(email, std::string(32, 'a'), "N3w-Password", c.ctx));
    got.push_back(auth.change_password(email, "Password123", "N3w-Password", c.ctx));
    got.push_back(auth.issue_otc(email, 1, "help", c.ctx).status());
    got.push_back(auth.revoke_customer_tokens(email, c.ctx));
    got.push_back(auth.create_integration("shop", {}, c.ctx).status());
    got.push_back(auth.revoke_integration(std::string(32, 'k'), c.ctx));
    got.push_back(auth.set_integration_permissions(std::string(32, 'k'), {}, c.ctx));
    got.push_back(auth.exchange_external_customer_token(HttpRequest{}, "{}", c.ctx).status());
    std::istringstream csv("email,firstname,lastname\nn@example.com,N,N\n");
    got.push_back(auth.import_customers(csv, {}, c.ctx).status);
    for (std::size_t i = 0; i < got.size(); ++i) {
      INFO("operation #" << i);
      CHECK(got[i].code() == Code::kInvalidInput);
      CHECK(got[i].message() == c.message);
    }
    CHECK(DumpDatabase(path) == before);
  }
  // At the limits, accepted.
  RequestContext most;
  most.client_ip = std::string(255, '1');
  most.user_agent = std::string(1024, 'M');
  most.actor = std::string(255, 'a');
  CHECK(auth.revoke_customer_tokens(email, most).ok());
}

TEST_CASE("bounded inputs: an import record over 64 KiB is a bad row, not kept in memory") {
  auto auth = custauth::testing::OpenTestAuth(std::optional<std::uint64_t>(2));
  REQUIRE(auth.ok());
  const std::string huge(1 << 20, 'x');  // 1 MiB in one line
  std::istringstream jsonl(R"({"email":")" + huge + "\"}\n" +
                           R"({"email":"ok@example.com","firstname":"O","lastname":"K"})"
                           "\n");
  ImportOptions jo;
  jo.format = ImportFormat::kJsonLines;
  ImportReport r = (*auth)->import_customers(jsonl, jo);
  CHECK(r.completed());
  CHECK(r.created == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 1);
  CHECK(r.errors[0].reason.find("longer than 65536 bytes") != std::string::npos);

  // CSV: a quoted field with line breaks and commas, 1 MiB; the next record still reads.
  std::string field(1 << 20, 'y');
  for (std::size_t i = 0; i < field.size(); i += 1000) field[i] = i % 2000 == 0 ? '\n' : ',';
  std::istringstream csv("email,firstname,lastname\n\"" + field + "\",A,B\nok2@example.com,O,K\n");
  ImportOptions co;
  co.format = ImportFormat::kCsv;
  r = (*auth)->import_customers(csv, co);
  CHECK(r.completed());
  CHECK(r.created == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].reason.find("longer than 65536 bytes") != std::string::npos);
  CHECK((*auth)->find_customer("ok2@example.com").ok());
}

// --- Options checked at open
// ----------------------------------------------------------------------

TEST_CASE("options: absurd durations, Argon2 limits and truncating values are refused at open") {
  auto open_with = [](const std::function<void(AuthOptions&)>& change) {
    AuthOptions o;
    o.test_mode = true;
    o.argon2 = CheapArgon2ForTests();
    change(o);
    return CustomerAuth::Open(MakeMemoryStorage(), o).status();
  };
  CHECK(open_with([](AuthOptions&) {}).ok());
  const TimeMs kForever = std::numeric_limits<TimeMs>::max();
  const std::pair<const char*, std::function<void(AuthOptions&)>> durations[] = {
      {"lockout.lock_duration", [&](AuthOptions& o) { o.lockout.lock_duration = kForever; }},
      {"lockout.window", [&](AuthOptions& o) { o.lockout.window = kForever; }},
      {"tokens.lifetime", [&](AuthOptions& o) { o.tokens.lifetime = kForever; }},
      {"tokens.leeway", [&](AuthOptions& o) { o.tokens.leeway = kForever; }},
      {"tokens.revocation_refresh",
       [&](AuthOptions& o) { o.tokens.revocation_refresh = kForever; }},
      {"reset_token_lifetime", [&](AuthOptions& o) { o.reset_token_lifetime = kForever; }},
      {"otc_lifetime", [&](AuthOptions& o) { o.otc_lifetime = kMaxDuration + 1; }},
      {"oauth_timestamp_window", [&](AuthOptions& o) { o.oauth_timestamp_window = kForever; }}};
  for (const auto& [name, change] : durations) {
    INFO(name);
    const Status s = open_with(change);
    CHECK(s.code() == Code::kInvalidInput);
    CHECK(s.message().starts_with(std::string(name) + " must be between 0 and 100 years"));
  }
  CHECK(open_with([](AuthOptions& o) { o.lockout.lock_duration = kMaxDuration; }).ok());
  CHECK(open_with([](AuthOptions& o) { o.argon2.opslimit = 0; })
            .message()
            .starts_with("argon2.opslimit must be between"));
  CHECK(open_with([](AuthOptions& o) { o.argon2.memlimit = 1024; })
            .message()
            .starts_with("argon2.memlimit must be between"));
  CHECK(open_with([](AuthOptions& o) { o.argon2.opslimit = std::uint64_t{1} << 33; }).code() ==
        Code::kInvalidInput);

  // The C ABI: a lock "forever" (INT64_MAX seconds) and a token_format that would truncate to 0.
  custauth_t* db = nullptr;
  custauth_options co;
  REQUIRE(custauth_options_init(&co, CUSTAUTH_OPTIONS_VERSION) == CUSTAUTH_OK);
  co.lockout_duration_s = std::numeric_limits<std::int64_t>::max();
  CHECK(custauth_open(&db, "memory:", &co) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "lockout_duration_s is more than 100 years");
  CHECK(custauth_open_json(&db, "memory:", R"({"token_format":4294967296})") == CUSTAUTH_EINVALID);
  CHECK(LastError() == "token_format is out of range");
  CHECK(custauth_open_json(&db, "memory:", R"({"token_lifetime_s":9223372036854775})") ==
        CUSTAUTH_EINVALID);
  CHECK(custauth_open_json(&db, "memory:", R"({"test":true,"argon2_opslimit":4294967296})") ==
        CUSTAUTH_EINVALID);
  CHECK(LastError().starts_with("argon2.opslimit must be between"));
  CHECK(db == nullptr);

  // audit_list's after_id: the same rule through custauth_call as through custauth_audit_list.
  REQUIRE(custauth_open(&db, "memory:", nullptr) == CUSTAUTH_OK);
  char* out = nullptr;
  CHECK(custauth_audit_list(&out, db, nullptr, -1, 0, nullptr) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "after_id must not be negative");
  CHECK(custauth_call(&out, db, "audit_list", R"({"after_id":-1})", nullptr) == CUSTAUTH_EINVALID);
  CHECK(LastError() == "after_id must not be negative");
  custauth_free(out);
  custauth_close(db);
}

// --- Files at rest
// --------------------------------------------------------------------------------

namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the process's umask for a scope.
class Umask {
 public:
  explicit Umask(mode_t m) : old_(umask(m)) {}
  ~Umask() { umask(old_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t old_;
};

}  // namespace

TEST_CASE("files at rest: database, -wal, -shm and key file are 0600 under umask 022") {
  TempDir dir;
  const Umask loose(022);
  const std::string db_path = dir.file("shop.db");
  const std::string key_path = dir.file("shop.key");
  auto keys = custauth::testing::TestKeys(std::optional<std::uint64_t>(3));
  REQUIRE(SaveKeyFile(key_path, keys).ok());
  custauth_t* db = nullptr;
  REQUIRE(custauth_open(&db, db_path.c_str(), nullptr) == CUSTAUTH_OK);
  char* out = nullptr;
  REQUIRE(custauth_customer_create(&out, db, "files@example.com", "F", "R", nullptr, 0, nullptr) ==
          CUSTAUTH_OK);
  custauth_free(out);
  // While the handle is open the -wal and -shm files exist.
  CHECK(ModeOf(db_path) == 0600);
  CHECK(ModeOf(db_path + "-wal") == 0600);
  CHECK(ModeOf(db_path + "-shm") == 0600);
  CHECK(ModeOf(key_path) == 0600);
  custauth_close(db);
  // Rewriting the key file (overwrite) keeps it 0600.
  REQUIRE(SaveKeyFile(key_path, keys, /*overwrite=*/true).ok());
  CHECK(ModeOf(key_path) == 0600);
}

TEST_CASE(
    "files at rest: a planted <key>.tmp symlink is refused and nothing is written through it") {
  TempDir dir;
  const std::string key_path = dir.file("shop.key");
  const std::string target = dir.file("victim");
  {
    const int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "original", 8) == 8);
    close(fd);
  }
  REQUIRE(symlink(target.c_str(), (key_path + ".tmp").c_str()) == 0);
  const Keys keys = custauth::testing::TestKeys(std::optional<std::uint64_t>(4));
  for (bool overwrite : {false, true}) {
    const Status s = SaveKeyFile(key_path, keys, overwrite);
    CHECK(s.code() == Code::kStorage);
    CHECK(s.message().find("already exists") != std::string::npos);
    CHECK(access(key_path.c_str(), F_OK) != 0);  // no key file either
  }
  std::ifstream in(target);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "original");
  CHECK(ModeOf(target) == 0644);
}

}  // namespace hostile_input_test
