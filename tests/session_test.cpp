// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Sessions (TokenOptions::sessions): with them off, tokens are the platform's bytes and nothing
// session-shaped is accepted; with them on, signing out one device leaves the others signed in
// (through the same handle, another handle, and another process within revocation_refresh, on
// every backend), renewal is bounded by the session's maximum age and refused for a revoked or
// expired token and for a customer who could not sign in (judged by the renewal's write), racing
// renewals of one token all belong to its session, and ended sessions are pruned.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto.h"
#include "custauth/auth.h"
#include "custauth/memory_storage.h"
#include "custauth/password.h"
#include "custauth/postgres_storage.h"
#include "custauth/sqlite_storage.h"
#include "custauth/testing.h"
#include "storage_conformance.h"
#include "test_util.h"

namespace session_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

constexpr char kEmail[] = "roni_cost@example.com";
constexpr char kPassword[] = "Password123";
constexpr TimeMs kStart = 1748499421000;  // 2025-05-29 06:17:01 UTC

// Where a backend's data lives, so that several handles (and processes) can open it.
struct Place {
  std::string backend;  // "memory", "sqlite" or "postgres"
  std::string location;
  std::shared_ptr<Storage> memory;  // the one memory storage (no second opening)
};

std::shared_ptr<Storage> OpenPlace(const Place& p) {
  if (p.backend == "memory") return p.memory;
  Result<std::unique_ptr<Storage>> s =
      p.backend == "sqlite" ? OpenSqliteStorage(p.location) : OpenPostgresStorage(p.location);
  INFO(s.status().to_string());
  REQUIRE(s.ok());
  return std::shared_ptr<Storage>(std::move(s).value());
}

struct Options {
  bool sessions = true;
  TokenFormat format = TokenFormat::kJwt;
  TimeMs refresh = kSecond;
  TimeMs lifetime = kHour;
  TimeMs max_age = 30 * 24 * kHour;
};

std::unique_ptr<CustomerAuth> OpenAuth(std::shared_ptr<Storage> storage, const Keys& keys,
                                       std::shared_ptr<Clock> clock, const Options& o) {
  AuthOptions a;
  a.argon2 = CheapArgon2ForTests();
  a.keys = keys;
  a.clock = std::move(clock);
  a.tokens.sessions = o.sessions;
  a.tokens.format = o.format;
  a.tokens.revocation_refresh = o.refresh;
  a.tokens.lifetime = o.lifetime;
  a.tokens.max_session_age = o.max_age;
  auto auth = CustomerAuth::Open(std::move(storage), a);
  INFO(auth.status().to_string());
  REQUIRE(auth.ok());
  return std::move(auth).value();
}

void CreateRoni(CustomerAuth& auth) {
  CustomerInput in;
  in.email = kEmail;
  in.firstname = "Veronica";
  in.lastname = "Costello";
  in.password = kPassword;
  auto c = auth.create_customer(in);
  INFO(c.status().to_string());
  REQUIRE(c.ok());
}

IssuedToken SignInAs(CustomerAuth& auth, std::string ip, std::string agent) {
  RequestContext ctx;
  ctx.client_ip = std::move(ip);
  ctx.user_agent = std::move(agent);
  auto t = auth.sign_in(kEmail, kPassword, ctx);
  INFO(t.status().to_string());
  REQUIRE(t.ok());
  return *t;
}

std::string PayloadOf(const std::string& jwt) {
  const auto dot1 = jwt.find('.');
  const auto dot2 = jwt.find('.', dot1 + 1);
  auto decoded = internal::Base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  REQUIRE(decoded.has_value());
  return *decoded;
}

// A backend, with a place another handle or process can open, for as long as the test runs.
struct Backend {
  explicit Backend(const std::string& name) {
    place.backend = name;
    if (name == "memory") {
      place.memory = MakeMemoryStorage();
    } else if (name == "sqlite") {
      place.location = dir.file("custauth.db");
    } else {
      pg = std::make_unique<custauth::conformance::TempPostgresSchema>();
      place.location = pg->uri();
    }
  }
  TempDir dir;
  std::unique_ptr<custauth::conformance::TempPostgresSchema> pg;
  Place place;
};

}  // namespace

TEST_CASE("sessions off: the platform's bytes, and nothing to renew or sign out") {
  auto clock = std::make_shared<ManualClock>(kStart);
  const Keys keys = custauth::testing::TestKeys(7);
  Options o;
  o.sessions = false;
  auto auth = OpenAuth(MakeMemoryStorage(), keys, clock, o);
  CreateRoni(*auth);
  const IssuedToken t = SignInAs(*auth, "203.0.113.7", "Firefox");
  CHECK(t.session_id == 0);
  CHECK(t.expires_at == kStart + kHour);
  CHECK(t.token == EncodeCustomerJwt(keys.jwt_keys.back(), 1, kStart / 1000, kStart / 1000 + 3600));
  CHECK(PayloadOf(t.token) == R"({"uid":1,"utypid":3,"iat":1748499421,"exp":1748503021})");
  auto platform = auth->generate_customer_token(kEmail, kPassword);
  REQUIRE(platform.ok());
  CHECK(*platform == t.token);

  auto renewed = auth->renew_token(t.token);
  CHECK(renewed.code() == Code::kInvalidInput);
  CHECK(renewed.status().message() == "The token has no session.");
  Status revoked = auth->revoke_session(t.token);
  CHECK(revoked.code() == Code::kInvalidInput);
  CHECK(revoked.message() == "The token has no session.");
  CHECK(auth->verify_token(t.token).ok());  // the refusals changed nothing
  auto sessions = auth->list_sessions(kEmail);
  REQUIRE(sessions.ok());
  CHECK(sessions->empty());
}

TEST_CASE("sessions on: the sid claim follows exp, and the token's expiry is given") {
  auto clock = std::make_shared<ManualClock>(kStart);
  const Keys keys = custauth::testing::TestKeys(7);
  auto auth = OpenAuth(MakeMemoryStorage(), keys, clock, Options{});
  CreateRoni(*auth);
  const IssuedToken t = SignInAs(*auth, "203.0.113.7", "Firefox");
  REQUIRE(t.session_id > 0);
  CHECK(t.expires_at == kStart + kHour);
  CHECK(PayloadOf(t.token) == R"({"uid":1,"utypid":3,"iat":1748499421,"exp":1748503021,"sid":)" +
                                  std::to_string(t.session_id) + "}");
  CHECK(t.token == EncodeCustomerJwt(keys.jwt_keys.back(), 1, kStart / 1000, kStart / 1000 + 3600,
                                     t.session_id));
  auto claims = auth->verify_token(t.token);
  REQUIRE(claims.ok());
  CHECK(claims->session_id == t.session_id);
  // A sid the library never issued (signed with the key, so only the session check can refuse).
  CHECK(auth->verify_token(EncodeCustomerJwt(keys.jwt_keys.back(), 1, kStart / 1000,
                                             kStart / 1000 + 3600, t.session_id + 1000))
            .status()
            .message() == "The token has been revoked.");
  // A session of another customer's number is still this token's session only if it is its own.
  auto sessions = auth->list_sessions(kEmail);
  REQUIRE(sessions.ok());
  REQUIRE(sessions->size() == 1);
  CHECK((*sessions)[0].id == t.session_id);
  CHECK((*sessions)[0].client_ip == "203.0.113.7");
  CHECK((*sessions)[0].user_agent == "Firefox");
  CHECK((*sessions)[0].method == "password");
  CHECK((*sessions)[0].created_at == kStart);
  CHECK((*sessions)[0].expires_at == kStart + 30 * 24 * kHour);
  // Once its last token has expired, nothing can renew or use the session: it is not listed.
  clock->advance(kHour + 5 * kSecond);
  REQUIRE(auth->list_sessions(kEmail).ok());
  CHECK(auth->list_sessions(kEmail)->empty());
}

void SignOutOneDevice(const std::string& backend) {
  const TokenFormat format = GENERATE(TokenFormat::kJwt, TokenFormat::kOpaque);
  INFO(backend << (format == TokenFormat::kJwt ? " jwt" : " opaque"));
  Backend b(backend);
  auto clock = std::make_shared<ManualClock>(kStart);
  const Keys keys = custauth::testing::TestKeys(11);
  Options o;
  o.format = format;
  auto auth = OpenAuth(OpenPlace(b.place), keys, clock, o);
  CreateRoni(*auth);
  const IssuedToken phone = SignInAs(*auth, "198.51.100.1", "Phone");
  const IssuedToken laptop = SignInAs(*auth, "198.51.100.2", "Laptop");
  REQUIRE(phone.session_id != laptop.session_id);
  REQUIRE(auth->list_sessions(kEmail)->size() == 2);

  REQUIRE(auth->revoke_session(phone.token).ok());
  auto refused = auth->verify_token(phone.token);
  CHECK(refused.code() == Code::kInvalidToken);
  CHECK(refused.status().message() == "The token has been revoked.");
  CHECK(auth->verify_token(laptop.token).ok());
  auto left = auth->list_sessions(kEmail);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK((*left)[0].id == laptop.session_id);
  CHECK((*left)[0].user_agent == "Laptop");
  // Revoking again, or renewing the revoked token, is refused and changes nothing.
  CHECK(auth->revoke_session(phone.token).code() == Code::kInvalidToken);
  CHECK(auth->renew_token(phone.token).code() == Code::kInvalidToken);
  CHECK(auth->verify_token(laptop.token).ok());

  // A new sign-in on the signed-out device works; signing out everywhere still does.
  const IssuedToken again = SignInAs(*auth, "198.51.100.1", "Phone");
  CHECK(auth->verify_token(again.token).ok());
  clock->advance(kSecond);
  REQUIRE(auth->revoke_customer_tokens(kEmail).ok());
  CHECK(auth->verify_token(laptop.token).code() == Code::kInvalidToken);
  CHECK(auth->verify_token(again.token).code() == Code::kInvalidToken);

  // The audit trail names the session signed out.
  AuditQuery q;
  q.limit = 1000;
  auto records = auth->list_audit(q);
  REQUIRE(records.ok());
  int revokes = 0;
  for (const AuditRecord& r : *records) {
    if (r.event != "session.revoke") continue;
    ++revokes;
    CHECK(r.detail == R"({"session_id":)" + std::to_string(phone.session_id) + "}");
  }
  CHECK(revokes == 1);
}

void SignedOutElsewhere(const std::string& backend) {
  INFO(backend);
  Backend b(backend);
  auto clock = std::make_shared<ManualClock>(kStart);
  const Keys keys = custauth::testing::TestKeys(13);
  Options o;
  o.refresh = 200;  // ms of the real monotonic clock
  auto here = OpenAuth(OpenPlace(b.place), keys, clock, o);
  CreateRoni(*here);
  const IssuedToken a = SignInAs(*here, "", "A");
  const IssuedToken b1 = SignInAs(*here, "", "B");
  const IssuedToken c = SignInAs(*here, "", "C");
  // Cached as live on this handle.
  REQUIRE(here->verify_token(a.token).ok());
  REQUIRE(here->verify_token(b1.token).ok());

  SECTION("another handle in this process") {
    auto there = OpenAuth(OpenPlace(b.place), keys, clock, o);
    REQUIRE(there->revoke_session(a.token).ok());
    CHECK(there->verify_token(a.token).code() == Code::kInvalidToken);  // at once, there
  }
  SECTION("another process") {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 1;
      try {
        auto there = OpenAuth(OpenPlace(b.place), keys, clock, o);
        rc = there->revoke_session(a.token).ok() ? 0 : 2;
      } catch (...) {
        rc = 3;
      }
      _exit(rc);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  // Past the bound, this handle refuses the signed-out session and keeps the others.
  std::this_thread::sleep_for(std::chrono::milliseconds(o.refresh + 100));
  CHECK(here->verify_token(a.token).code() == Code::kInvalidToken);
  CHECK(here->verify_token(b1.token).ok());
  CHECK(here->verify_token(c.token).ok());
  CHECK(here->renew_token(a.token).code() == Code::kInvalidToken);
}

void RenewalBounded(const std::string& backend) {
  const TokenFormat format = GENERATE(TokenFormat::kJwt, TokenFormat::kOpaque);
  INFO(backend << (format == TokenFormat::kJwt ? " jwt" : " opaque"));
  Backend b(backend);
  auto clock = std::make_shared<ManualClock>(kStart);
  Options o;
  o.format = format;
  o.max_age = 3 * kHour;
  auto auth = OpenAuth(OpenPlace(b.place), custauth::testing::TestKeys(17), clock, o);
  CreateRoni(*auth);
  const IssuedToken first = SignInAs(*auth, "", "Phone");
  CHECK(first.expires_at == kStart + kHour);

  clock->advance(50 * kMinute);
  auto second = auth->renew_token(first.token);
  INFO(second.status().to_string());
  REQUIRE(second.ok());
  CHECK(second->session_id == first.session_id);
  CHECK(second->expires_at == kStart + 50 * kMinute + kHour);
  CHECK(second->token != first.token);
  // The old token keeps its own expiry: a client that lost the reply is not signed out.
  CHECK(auth->verify_token(first.token).ok());
  clock->advance(15 * kMinute);
  CHECK(auth->verify_token(first.token).code() == Code::kExpired);
  CHECK(auth->verify_token(second->token).ok());
  // An expired token is not renewed.
  auto stale = auth->renew_token(first.token);
  CHECK(stale.code() == Code::kExpired);
  CHECK(stale.status().message() == "The token has expired.");

  // Renewed near the end, the new token ends with the session.
  clock->set(kStart + kHour + 40 * kMinute);
  auto before_end = auth->renew_token(second->token);
  REQUIRE(before_end.ok());
  CHECK(before_end->expires_at == kStart + 2 * kHour + 40 * kMinute);
  clock->set(kStart + 2 * kHour + 30 * kMinute);
  auto third = auth->renew_token(before_end->token);
  INFO(third.status().to_string());
  REQUIRE(third.ok());
  CHECK(third->expires_at == kStart + 3 * kHour);
  auto listed = auth->list_sessions(kEmail);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].renewed_at == kStart + 2 * kHour + 30 * kMinute);

  // Within the verify leeway after the session's end, the token still verifies, and renewal is
  // refused by the session's maximum age.
  clock->set(kStart + 3 * kHour + 2 * kSecond);
  REQUIRE(auth->verify_token(third->token).ok());
  auto too_old = auth->renew_token(third->token);
  CHECK(too_old.code() == Code::kExpired);
  CHECK(too_old.status().message() == "The session has reached its maximum age.");
  CHECK(auth->list_sessions(kEmail)->empty());
}

void RenewalDecidedAtWrite(const std::string& backend) {
  INFO(backend);
  Backend b(backend);
  auto clock = std::make_shared<ManualClock>(kStart);
  auto storage = OpenPlace(b.place);
  auto auth = OpenAuth(storage, custauth::testing::TestKeys(19), clock, Options{});
  CreateRoni(*auth);
  const IssuedToken t = SignInAs(*auth, "", "Phone");
  auto roni = auth->find_customer(kEmail);
  REQUIRE(roni.ok());

  SECTION("deactivated behind the verifier's back (no revocation)") {
    CustomerPatch patch;
    patch.is_active = false;
    REQUIRE(storage->update_customer(roni->id, patch, clock->now()).ok());
  }
  SECTION("locked") {
    for (int k = 0; k < 10; ++k) {
      REQUIRE(storage->record_login_failure(roni->id, clock->now(), LockoutPolicy{}).ok());
    }
    REQUIRE(storage->find_customer_by_id(roni->id)->locked_at(clock->now()));
  }
  SECTION("tokens revoked behind the verifier's back") {
    CustomerPatch patch;
    patch.revoke_tokens_at = clock->now();
    REQUIRE(storage->update_customer(roni->id, patch, clock->now()).ok());
  }
  // The revocation cache (1 s of real time) still holds the customer as it was; the write does not.
  auto renewed = auth->renew_token(t.token);
  CHECK_FALSE(renewed.ok());
  CHECK((renewed.code() == Code::kAuthenticationFailed || renewed.code() == Code::kInvalidToken));
  if (renewed.code() == Code::kAuthenticationFailed) {
    CHECK(renewed.status().message() == msg::kSignInIncorrect);
  } else {
    CHECK(renewed.status().message() == "The token has been revoked.");
  }
  auto session = storage->find_session(t.session_id);
  REQUIRE(session.ok());
  CHECK(session->renewed_at == kStart);  // nothing written
}

void ErasureAndPruning(const std::string& backend) {
  INFO(backend);
  Backend b(backend);
  auto clock = std::make_shared<ManualClock>(kStart);
  auto storage = OpenPlace(b.place);
  Options o;
  o.max_age = 2 * kHour;
  auto auth = OpenAuth(storage, custauth::testing::TestKeys(23), clock, o);
  CreateRoni(*auth);
  const IssuedToken revoked = SignInAs(*auth, "", "A");
  const IssuedToken aging = SignInAs(*auth, "", "B");
  REQUIRE(auth->revoke_session(revoked.token).ok());

  // Within the grace (a day) nothing goes; then the revoked session goes, the live one stays
  // until a day after its maximum age.
  auto none = auth->prune();
  REQUIRE(none.ok());
  CHECK(none->sessions == 0);
  clock->advance(24 * kHour + kMinute);
  auto one = auth->prune();
  REQUIRE(one.ok());
  CHECK(one->sessions == 1);
  CHECK(storage->find_session(revoked.session_id).code() == Code::kNotFound);
  CHECK(storage->find_session(aging.session_id).ok());  // ended at 2 h, kept a day after that
  clock->advance(2 * kHour);
  CHECK(auth->prune()->sessions == 1);
  CHECK(storage->find_session(aging.session_id).code() == Code::kNotFound);

  const IssuedToken live = SignInAs(*auth, "", "C");
  REQUIRE(auth->delete_customer(kEmail).ok());
  CHECK(storage->find_session(live.session_id).code() == Code::kNotFound);
  CHECK(auth->verify_token(live.token).code() == Code::kInvalidToken);
}

void RacingRenewals(const std::string& backend) {
  INFO(backend);
  Backend b(backend);
  const Keys keys = custauth::testing::TestKeys(29);
  auto clock = std::make_shared<ManualClock>(kStart);
  Options o;
  o.refresh = 0;  // every verify asks storage
  auto auth = OpenAuth(OpenPlace(b.place), keys, clock, o);
  CreateRoni(*auth);
  const IssuedToken t = SignInAs(*auth, "", "Phone");
  clock->advance(kMinute);

  constexpr int kThreads = 8;
  std::vector<std::unique_ptr<CustomerAuth>> handles;
  for (int k = 0; k < kThreads; ++k)
    handles.push_back(OpenAuth(OpenPlace(b.place), keys, clock, o));
  std::vector<Result<IssuedToken>> results(kThreads, Status(Code::kInternal, "not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      while (!go.load()) std::this_thread::yield();
      results[k] = handles[k]->renew_token(t.token);
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  std::vector<std::string> tokens;
  for (const auto& r : results) {
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    CHECK(r->session_id == t.session_id);
    CHECK(auth->verify_token(r->token).ok());
    tokens.push_back(r->token);
  }
  REQUIRE(auth->list_sessions(kEmail)->size() == 1);

  // Renewals racing a sign-out: once the sign-out has returned, no token of the session verifies,
  // whichever renewals won.
  std::vector<Result<IssuedToken>> late(kThreads, Status(Code::kInternal, "not run"));
  std::atomic<bool> go2{false};
  threads.clear();
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      while (!go2.load()) std::this_thread::yield();
      late[k] = handles[k]->renew_token(tokens[k]);
    });
  }
  go2 = true;
  REQUIRE(auth->revoke_session(t.token).ok());
  for (auto& th : threads) th.join();
  for (const auto& r : late) {
    if (r.ok()) tokens.push_back(r->token);
  }
  tokens.push_back(t.token);
  for (const auto& token : tokens) {
    CHECK(auth->verify_token(token).code() == Code::kInvalidToken);
    CHECK(handles[0]->verify_token(token).code() == Code::kInvalidToken);
  }
}

// Each case runs on the embedded backends here, and on PostgreSQL in its own test case (the
// [postgres] ones need the cluster ctest starts; scripts/mutate leaves them out).
TEST_CASE("signing out one device leaves the other signed in, on every backend") {
  SignOutOneDevice(GENERATE("memory", "sqlite"));
}

TEST_CASE("signing out one device leaves the other signed in, on every backend (PostgreSQL)",
          "[postgres]") {
  SignOutOneDevice("postgres");
}

TEST_CASE("a session signed out through another handle or process is refused within the bound") {
  SignedOutElsewhere("sqlite");
}

TEST_CASE(
    "a session signed out through another handle or process is refused within the bound "
    "(PostgreSQL)",
    "[postgres]") {
  SignedOutElsewhere("postgres");
}

TEST_CASE("renewal: a fresh lifetime up to the session's maximum age, never past it") {
  RenewalBounded(GENERATE("memory", "sqlite"));
}

TEST_CASE("renewal: a fresh lifetime up to the session's maximum age, never past it (PostgreSQL)",
          "[postgres]") {
  RenewalBounded("postgres");
}

TEST_CASE("renewal is decided by its write: a customer who cannot sign in gets no token") {
  RenewalDecidedAtWrite(GENERATE("memory", "sqlite"));
}

TEST_CASE(
    "renewal is decided by its write: a customer who cannot sign in gets no token (PostgreSQL)",
    "[postgres]") {
  RenewalDecidedAtWrite("postgres");
}

TEST_CASE("an erased customer's sessions go with it; ended sessions are pruned") {
  ErasureAndPruning(GENERATE("memory", "sqlite"));
}

TEST_CASE("an erased customer's sessions go with it; ended sessions are pruned (PostgreSQL)",
          "[postgres]") {
  ErasureAndPruning("postgres");
}

TEST_CASE("racing renewals of one token all belong to its session, and die with it") {
  RacingRenewals("sqlite");
}

TEST_CASE("racing renewals of one token all belong to its session, and die with it (PostgreSQL)",
          "[postgres]") {
  RacingRenewals("postgres");
}

}  // namespace session_test
