// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// TokenIssuer: the platform's JWT bytes, the key ring, every refusal, opaque tokens, revocation.
#include "custauth/token.h"

#include <openssl/hmac.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crypto.h"
#include "custauth/keys.h"
#include "custauth/memory_storage.h"
#include "custauth/storage_wrapper.h"
#include "test_util.h"

namespace token_test {

using namespace custauth;

namespace {

// A Storage that forwards to another and counts the reads a token's verification could make: to
// prove which paths touch storage.
class CountingStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::atomic<int> calls{0};

  Result<Customer> find_customer_by_email(std::int64_t w, std::string_view e) override {
    ++calls;
    return StorageWrapper::find_customer_by_email(w, e);
  }
  Result<Customer> find_customer_by_id(std::int64_t id) override {
    ++calls;
    auto c = StorageWrapper::find_customer_by_id(id);
    if (after_find_by_id) std::exchange(after_find_by_id, nullptr)();  // runs once
    return c;
  }
  // Runs once, after the next find_customer_by_id has read and before it returns.
  std::function<void()> after_find_by_id;
  Result<std::uint64_t> revocation_epoch() override {
    ++calls;
    return StorageWrapper::revocation_epoch();
  }
  Result<OpaqueTokenRecord> find_opaque_token(std::string_view h) override {
    ++calls;
    return StorageWrapper::find_opaque_token(h);
  }
  Status put_opaque_token(const OpaqueTokenRecord& t) override {
    ++calls;
    return StorageWrapper::put_opaque_token(t);
  }
};

constexpr char kSeedToken[] =
    "eyJraWQiOiIxIiwiYWxnIjoiSFMyNTYifQ.eyJ1aWQiOjYsInV0eXBpZCI6MywiaWF0IjoxNzQ4NDk5NDIxLCJleHAi"
    "OjE3NDg1MDMwMjF9.hDPDh41C4KOHloM2xlUYJ0asCqunQHCELG-3x_IsIZo";

Keys TestKeys(std::string kid = "1", char fill = 'k') {
  Keys k;
  k.secret_key = std::string(32, 's');
  k.seal_key = std::string(32, 'e');
  k.jwt_keys.push_back({kid, std::string(32, fill)});
  return k;
}

std::string B64(std::string_view s) { return internal::Base64UrlEncode(s); }

// A token with the given header and payload JSON, signed with `secret`.
std::string Forge(std::string_view header, std::string_view payload, std::string_view secret) {
  std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(internal::HmacSha256Raw(secret, input));
}

struct Fixture {
  Fixture() {
    auto base = MakeMemoryStorage();
    storage = std::make_unique<CountingStorage>(std::shared_ptr<Storage>(std::move(base)));
    NewCustomer c;
    c.email = "bobloblaw@example.com";
    c.firstname = "Bob";
    c.lastname = "Loblaw";
    for (int i = 0; i < 6; ++i) {
      c.email = "customer" + std::to_string(i) + "@example.com";
      customer = *storage->create_customer(c, clock.now());  // the 6th has id 6
    }
  }
  TokenIssuer Issuer(TokenOptions o = {}, Keys k = TestKeys()) {
    return TokenIssuer(*storage, k, o, clock, random);
  }
  ManualClock clock{1748499421000};
  SystemRandom random;
  std::unique_ptr<CountingStorage> storage;
  Customer customer;
};

}  // namespace

TEST_CASE("Platform compatibility: the seed token's exact header and payload bytes") {
  Fixture f;
  REQUIRE(f.customer.id == 6);
  Keys keys = TestKeys();
  keys.jwt_keys = {{"1", PlatformJwtSecret("0123456789abcdef0123456789abcdef")}};
  TokenIssuer issuer = f.Issuer({}, keys);
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  const std::string seed = kSeedToken;
  const std::string seed_signing_input = seed.substr(0, seed.rfind('.'));
  CHECK(token->substr(0, token->rfind('.')) == seed_signing_input);
  // The signature is HMAC-SHA256 over that input with the padded crypt key.
  CHECK(token->substr(token->rfind('.') + 1) ==
        B64(internal::HmacSha256Raw(keys.jwt_keys[0].secret, seed_signing_input)));
  CHECK(EncodeCustomerJwt(keys.jwt_keys[0], 6, 1748499421, 1748503021) == *token);

  auto claims = issuer.verify(*token);
  REQUIRE(claims.ok());
  CHECK(claims->customer_id == 6);
  CHECK(claims->user_type == 3);
  CHECK(claims->issued_at == 1748499421);
  CHECK(claims->expires_at == 1748503021);
  CHECK(claims->kid == "1");
  CHECK(claims->format == TokenFormat::kJwt);

  // The seed token itself was signed with another shop's key: its signature does not verify here.
  CHECK(issuer.verify(kSeedToken).status().message() == "The token signature is invalid.");
}

TEST_CASE("PlatformJwtSecret pads like PHP str_pad(STR_PAD_BOTH)") {
  const std::string s = PlatformJwtSecret("abc");
  REQUIRE(s.size() == 2048);
  CHECK(s.substr(0, 1022) == std::string(1022, '&'));  // (2048-3)/2 = 1022 on the left
  CHECK(s.substr(1022, 3) == "abc");
  CHECK(s.substr(1025) == std::string(1023, '&'));
  const std::string even = PlatformJwtSecret("ab");
  CHECK(even.substr(0, 1023) == std::string(1023, '&'));
  CHECK(even.substr(1023, 2) == "ab");
  const std::string big(3000, 'x');
  CHECK(PlatformJwtSecret(big) == big);
}

TEST_CASE("JWT verification refuses every malformed or forged token before storage") {
  Fixture f;
  TokenIssuer issuer = f.Issuer();
  const std::string key(32, 'k');
  const std::string good_payload = R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021})";
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  const std::string t = *token;
  const std::size_t d1 = t.find('.'), d2 = t.rfind('.');

  struct Case {
    std::string name, token, message;
  };
  const std::string mb(1 << 20, 'a');
  std::vector<Case> cases = {
      {"empty", "", "The token is malformed."},
      {"one part", "abc", "The token is malformed."},
      {"two parts", t.substr(0, d2), "The token is malformed."},
      {"four parts", t + ".x", "The token is malformed."},
      {"empty signature", t.substr(0, d2 + 1), "The token is malformed."},
      {"empty header", t.substr(d1), "The token is malformed."},
      {"megabyte", mb + "." + mb + "." + mb, "The token is malformed."},
      {"bad base64 header", "e$J." + t.substr(d1 + 1), "The token is malformed."},
      {"padded header", B64(R"({"kid":"1","alg":"HS256"})") + "=" + t.substr(d1),
       "The token is malformed."},
      {"alg none", Forge(R"({"kid":"1","alg":"none"})", good_payload, key),
       "The token algorithm is not allowed."},
      {"alg none unsigned", B64(R"({"kid":"1","alg":"none"})") + "." + B64(good_payload) + ".",
       "The token is malformed."},
      {"alg HS512", Forge(R"({"kid":"1","alg":"HS512"})", good_payload, key),
       "The token algorithm is not allowed."},
      {"alg RS256", Forge(R"({"kid":"1","alg":"RS256"})", good_payload, key),
       "The token algorithm is not allowed."},
      {"alg lower case", Forge(R"({"kid":"1","alg":"hs256"})", good_payload, key),
       "The token algorithm is not allowed."},
      {"no alg", Forge(R"({"kid":"1"})", good_payload, key), "The token algorithm is not allowed."},
      {"unknown kid", Forge(R"({"kid":"2","alg":"HS256"})", good_payload, key),
       "The token key id is unknown."},
      {"no kid", Forge(R"({"alg":"HS256"})", good_payload, key), "The token key id is unknown."},
      {"numeric kid", Forge(R"({"kid":1,"alg":"HS256"})", good_payload, key),
       "The token key id is unknown."},
      {"kid path", Forge(R"({"kid":"../../1","alg":"HS256"})", good_payload, key),
       "The token key id is unknown."},
      {"duplicate alg", Forge(R"({"kid":"1","alg":"HS256","alg":"none"})", good_payload, key),
       "The token is malformed."},
      {"crit header", Forge(R"({"kid":"1","alg":"HS256","crit":"exp"})", good_payload, key),
       "The token is malformed."},
      {"header array", Forge(R"(["kid","1"])", good_payload, key), "The token is malformed."},
      {"wrong key", Forge(R"({"kid":"1","alg":"HS256"})", good_payload, std::string(32, 'x')),
       "The token signature is invalid."},
      {"tampered payload",
       t.substr(0, d1 + 1) + B64(R"({"uid":7,"utypid":3,"iat":1748499421,"exp":1748503021})") +
           t.substr(d2),
       "The token signature is invalid."},
      {"truncated signature", t.substr(0, t.size() - 2), "The token signature is invalid."},
      {"signature bit flipped", t.substr(0, t.size() - 1) + (t.back() == 'A' ? "B" : "A"),
       "The token signature is invalid."},
      {"missing uid",
       Forge(R"({"kid":"1","alg":"HS256"})", R"({"utypid":3,"iat":1748499421,"exp":1748503021})",
             key),
       "The token is malformed."},
      {"admin user type",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":2,"iat":1748499421,"exp":1748503021})", key),
       "The token is malformed."},
      {"string uid",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":"6","utypid":3,"iat":1748499421,"exp":1748503021})", key),
       "The token is malformed."},
      {"negative uid",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":-6,"utypid":3,"iat":1748499421,"exp":1748503021})", key),
       "The token is malformed."},
      {"fractional exp",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021.5})", key),
       "The token is malformed."},
      {"huge exp",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748499421,"exp":99999999999999999999})", key),
       "The token is malformed."},
      {"exp beyond range",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748499421,"exp":9223372036854775807})", key),
       "The token is malformed."},
      {"negative exp",
       Forge(R"({"kid":"1","alg":"HS256"})", R"({"uid":6,"utypid":3,"iat":1748499421,"exp":-1})",
             key),
       "The token is malformed."},
      {"duplicate uid",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":1,"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021})", key),
       "The token is malformed."},
      {"nested claim",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021,"x":{}})", key),
       "The token is malformed."},
      {"trailing garbage",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021}x)", key),
       "The token is malformed."},
      {"expired",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748490000,"exp":1748499400})", key),
       "The token has expired."},
      {"issued in the future",
       Forge(R"({"kid":"1","alg":"HS256"})",
             R"({"uid":6,"utypid":3,"iat":1748499521,"exp":1748503021})", key),
       "The token was issued in the future."},
  };
  const int calls_before = f.storage->calls.load();
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = issuer.verify(c.token);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.message);
    CHECK(r.code() ==
          (c.message == "The token has expired." ? Code::kExpired : Code::kInvalidToken));
  }
  CHECK(f.storage->calls.load() == calls_before);  // none of these reached storage

  // Extra header fields (typ) and claims are tolerated; the signature covers them.
  auto typ = issuer.verify(
      Forge(R"({"typ":"JWT","alg":"HS256","kid":"1"})",
            R"({"exp":1748503021,"iat":1748499421,"uid":6,"utypid":3,"x":"y"})", key));
  CHECK(typ.ok());
  CHECK(issuer.verify(Forge(R"({"typ":"JWS","alg":"HS256","kid":"1"})", good_payload, key))
            .status()
            .message() == "The token is malformed.");
}

TEST_CASE("Expiry honours the leeway") {
  Fixture f;
  TokenOptions o;
  o.leeway = 5 * kSecond;
  TokenIssuer issuer = f.Issuer(o);
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  f.clock.advance(60 * kMinute + 4 * kSecond);
  CHECK(issuer.verify(*token).ok());
  f.clock.advance(1 * kSecond);
  CHECK(issuer.verify(*token).code() == Code::kExpired);

  o.leeway = 0;
  o.lifetime = 10 * kMinute;
  TokenIssuer strict = f.Issuer(o);
  auto t2 = strict.issue(f.customer);
  REQUIRE(t2.ok());
  f.clock.advance(10 * kMinute - 1);
  CHECK(strict.verify(*t2).ok());
  f.clock.advance(1);
  CHECK(strict.verify(*t2).code() == Code::kExpired);
}

TEST_CASE("With the system clock, exp and iat are judged to the millisecond of the precise clock") {
  // The verifier may read a coarse wall clock, which lags the precise one by up to a tick: at
  // bounds a millisecond away it must still give the precise clock's verdicts.
  SystemClock clock;
  SystemRandom random;
  auto storage = MakeMemoryStorage();
  NewCustomer nc;
  nc.email = "veronica_costello@example.com";
  nc.firstname = "Veronica";
  nc.lastname = "Costello";
  const Customer customer = *storage->create_customer(nc, clock.now());
  const Keys keys = TestKeys();
  auto verify = [&](TimeMs leeway, std::int64_t iat, std::int64_t exp) {
    TokenOptions o;
    o.leeway = leeway;
    TokenIssuer issuer(*storage, keys, o, clock, random);
    return issuer.verify(EncodeCustomerJwt(keys.jwt_keys.back(), customer.id, iat, exp));
  };
  for (int i = 0; i < 200; ++i) {
    INFO("round " << i);
    // Expired when now >= exp*1000 + leeway: a deadline 1 ms behind the clock is past.
    TimeMs now = clock.now();
    std::int64_t exp = now / 1000 - 1;
    CHECK(verify(now - 1 - exp * 1000, exp - 60, exp).code() == Code::kExpired);
    // ... and one 900 ms (within the coarse margin) ahead is not.
    now = clock.now();
    exp = now / 1000 + 1;
    CHECK(verify(now + 900 - exp * 1000, exp - 60, exp).ok());
    // Not yet valid when now < iat*1000 - leeway - 2 s: that bound 1 ms behind the clock is met.
    now = clock.now();
    std::int64_t iat = now / 1000 + 3;
    CHECK(verify(iat * 1000 - 2 * kSecond - (now - 1), iat, iat + 3600).ok());
    // ... and 900 ms ahead of it is not.
    now = clock.now();
    iat = now / 1000 + 3;
    CHECK(verify(iat * 1000 - 2 * kSecond - (now + 900), iat, iat + 3600).status().message() ==
          "The token was issued in the future.");
  }
  // Far from every bound.
  const std::int64_t now_s = clock.now() / 1000;
  CHECK(verify(5 * kSecond, now_s, now_s + 3600).ok());
  CHECK(verify(5 * kSecond, now_s - 7200, now_s - 3600).code() == Code::kExpired);
  CHECK_FALSE(verify(5 * kSecond, now_s + 3600, now_s + 7200).ok());
}

TEST_CASE("Key rotation: the newest key signs, every key verifies") {
  Fixture f;
  Keys one = TestKeys("1", 'a');
  TokenIssuer issuer = f.Issuer({}, one);
  auto old_token = issuer.issue(f.customer);
  REQUIRE(old_token.ok());

  Keys two = one;
  two.jwt_keys.push_back({"2", std::string(40, 'b')});
  issuer.set_keys(two);
  auto new_token = issuer.issue(f.customer);
  REQUIRE(new_token.ok());
  CHECK(issuer.verify(*new_token)->kid == "2");
  CHECK(issuer.verify(*old_token)->kid == "1");

  Keys only_two = two;
  only_two.jwt_keys.erase(only_two.jwt_keys.begin());
  issuer.set_keys(only_two);
  CHECK(issuer.verify(*old_token).status().message() == "The token key id is unknown.");
  CHECK(issuer.verify(*new_token).ok());
}

TEST_CASE("Revocation through the same issuer applies at once; iat never falls into it") {
  Fixture f;
  TokenOptions o;
  o.revocation_refresh = 3600 * kSecond;  // a long bound: only note_revocation makes it immediate
  TokenIssuer issuer = f.Issuer(o);
  auto before = issuer.issue(f.customer);
  REQUIRE(before.ok());
  REQUIRE(issuer.verify(*before).ok());

  f.clock.advance(1500);
  CustomerPatch p;
  p.revoke_tokens_at = f.clock.now();
  auto revoked = f.storage->update_customer(f.customer.id, p, f.clock.now());
  REQUIRE(revoked.ok());
  // Not told, and within the refresh bound: the cache still holds the old time.
  CHECK(issuer.verify(*before).ok());
  issuer.note_revocation(f.customer.id, revoked->tokens_revoked_at);
  CHECK(issuer.verify(*before).status().message() == "The token has been revoked.");

  // A token issued in the same second as the revocation is valid (its iat is the next second).
  auto after = issuer.issue(*revoked);
  REQUIRE(after.ok());
  auto claims = issuer.verify(*after);
  REQUIRE(claims.ok());
  CHECK(claims->issued_at * 1000 > revoked->tokens_revoked_at);
}

TEST_CASE("Revocation elsewhere is seen through the epoch; refresh 0 asks every time") {
  Fixture f;
  TokenOptions o;
  o.revocation_refresh = 0;
  TokenIssuer issuer = f.Issuer(o);
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  REQUIRE(issuer.verify(*token).ok());
  f.clock.advance(2 * kSecond);
  CustomerPatch p;
  p.revoke_tokens_at = f.clock.now();
  REQUIRE(f.storage->update_customer(f.customer.id, p, f.clock.now()).ok());
  CHECK(issuer.verify(*token).status().message() == "The token has been revoked.");
}

TEST_CASE("A revocation committed between a cache miss's read and its insert is not lost") {
  // The race: a verify misses the cache and reads the customer (not yet revoked); another
  // process commits a revocation; a refresh on this node sees the new epoch and clears the cache;
  // the first verify then inserts the time it read. Unguarded, that stale time would stand for the
  // new epoch, and the revoked token would verify until some later revocation.
  Fixture f;
  TokenOptions o;
  o.revocation_refresh = 0;  // the bound: every verify asks for the epoch
  TokenIssuer issuer = f.Issuer(o);
  NewCustomer n;
  n.email = "bystander@example.com";
  auto bystander = f.storage->create_customer(n, f.clock.now());
  REQUIRE(bystander.ok());
  auto token = issuer.issue(f.customer);
  auto other_token = issuer.issue(*bystander);
  REQUIRE(token.ok());
  REQUIRE(other_token.ok());
  f.clock.advance(2 * kSecond);
  f.storage->after_find_by_id = [&] {
    // Another handle commits the revocation (the issuer is not told)...
    CustomerPatch p;
    p.revoke_tokens_at = f.clock.now();
    REQUIRE(f.storage->update_customer(f.customer.id, p, f.clock.now()).ok());
    // ...and another thread's verify refreshes: it sees the new epoch and clears the cache.
    bool other_ok = false;
    std::thread([&] { other_ok = issuer.verify(*other_token).ok(); }).join();
    REQUIRE(other_ok);
  };
  // The read of this verify predates the revocation: it may pass (the two raced).
  (void)issuer.verify(*token);
  REQUIRE_FALSE(f.storage->after_find_by_id);  // the race happened
  // Every later verify refuses the token.
  for (int i = 0; i < 3; ++i) {
    CHECK(issuer.verify(*token).status().message() == "The token has been revoked.");
  }
}

TEST_CASE("A customer never revoked has no revocation time: a token with iat 0 is not revoked") {
  // Found by fuzz_token_verify: tokens_revoked_at 0 means "never", so iat 0 must not fall into it.
  Fixture f;
  TokenIssuer issuer = f.Issuer();
  const Keys keys = TestKeys();
  const std::int64_t exp = f.clock.now() / 1000 + 3600;
  auto claims = issuer.verify(EncodeCustomerJwt(keys.jwt_keys.back(), f.customer.id, 0, exp));
  REQUIRE(claims.ok());
  CHECK(claims->issued_at == 0);
  // Once revoked, the same token is refused.
  CustomerPatch p;
  p.revoke_tokens_at = f.clock.now();
  auto revoked = f.storage->update_customer(f.customer.id, p, f.clock.now());
  REQUIRE(revoked.ok());
  issuer.note_revocation(f.customer.id, revoked->tokens_revoked_at);
  CHECK(issuer.verify(EncodeCustomerJwt(keys.jwt_keys.back(), f.customer.id, 0, exp))
            .status()
            .message() == "The token has been revoked.");
}

TEST_CASE("A thread's copy of a revocation time never outlives a revocation") {
  Fixture f;
  TokenOptions o;
  o.revocation_refresh = 3600 * kSecond;  // only note_revocation makes a revocation immediate
  TokenIssuer issuer = f.Issuer(o);
  TokenIssuer other = f.Issuer(o);  // a second issuer used by the same thread
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());

  // A worker thread that verifies on request, so that its per-thread copies persist.
  std::mutex mu;
  std::condition_variable cv;
  int requested = 0, done = 0;
  std::vector<bool> results;
  std::thread worker([&] {
    for (int round = 1; round <= 3; ++round) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return requested >= round; });
      lock.unlock();
      // The first verify of a round reads the copy the last one of the previous round kept;
      // `other` in between makes the thread switch issuers (its copies are per issuer).
      const bool ok = issuer.verify(*token).ok();
      (void)other.verify(*token);
      (void)issuer.verify(*token);
      lock.lock();
      results.push_back(ok);
      ++done;
      cv.notify_all();
    }
  });
  auto step = [&] {
    std::unique_lock lock(mu);
    ++requested;
    cv.notify_all();
    cv.wait(lock, [&] { return done == requested; });
    return results.back();
  };
  CHECK(step());  // warms the worker's copies of both issuers
  CHECK(step());  // served from them
  f.clock.advance(2 * kSecond);
  CustomerPatch p;
  p.revoke_tokens_at = f.clock.now();
  auto revoked = f.storage->update_customer(f.customer.id, p, f.clock.now());
  REQUIRE(revoked.ok());
  issuer.note_revocation(f.customer.id, revoked->tokens_revoked_at);
  other.note_revocation(f.customer.id, revoked->tokens_revoked_at);
  CHECK_FALSE(step());  // the worker's copies are dropped: revoked at once
  worker.join();
  CHECK(issuer.verify(*token).status().message() == "The token has been revoked.");
}

TEST_CASE("A verified token costs no customer read while the cache is warm") {
  Fixture f;
  TokenOptions o;
  o.revocation_refresh = 3600 * kSecond;
  TokenIssuer issuer = f.Issuer(o);
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  REQUIRE(issuer.verify(*token).ok());  // warms the cache
  const int calls = f.storage->calls.load();
  for (int i = 0; i < 100; ++i) REQUIRE(issuer.verify(*token).ok());
  CHECK(f.storage->calls.load() == calls);
}

TEST_CASE("Tokens of unknown customers are refused") {
  Fixture f;
  TokenIssuer issuer = f.Issuer();
  Customer ghost = f.customer;
  ghost.id = 999;
  auto token = issuer.issue(ghost);
  REQUIRE(token.ok());
  CHECK(issuer.verify(*token).code() == Code::kInvalidToken);
}

TEST_CASE("Opaque tokens: 32 characters, stored only as a keyed hash") {
  Fixture f;
  TokenOptions o;
  o.format = TokenFormat::kOpaque;
  TokenIssuer issuer = f.Issuer(o);
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  REQUIRE(token->size() == 32);
  for (char c : *token) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')));
  auto claims = issuer.verify(*token);
  REQUIRE(claims.ok());
  CHECK(claims->customer_id == f.customer.id);
  CHECK(claims->format == TokenFormat::kOpaque);
  CHECK(claims->expires_at - claims->issued_at == 3600);

  // The store holds HMAC(secret_key, purpose, token), not the token.
  CHECK(f.storage->find_opaque_token(*token).code() == Code::kNotFound);
  CHECK(f.storage
            ->find_opaque_token(internal::KeyedHash(std::string(32, 's'), "opaque-token", *token))
            .ok());

  std::string other = *token;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  CHECK(issuer.verify(other).status().message() == "The token is not valid.");
  CHECK(issuer.verify("AR4116ZOZOAGXTY1XJN4LJ13KIM36R6X").code() == Code::kInvalidToken);

  // JWTs still verify on an opaque issuer (a shop can switch formats without logging anyone out).
  TokenIssuer jwt = f.Issuer();
  auto j = jwt.issue(f.customer);
  CHECK(issuer.verify(*j).ok());

  f.clock.advance(60 * kMinute + 5 * kSecond);
  CHECK(issuer.verify(*token).code() == Code::kExpired);
}

TEST_CASE("Opaque tokens are revoked like JWTs") {
  Fixture f;
  TokenOptions o;
  o.format = TokenFormat::kOpaque;
  TokenIssuer issuer = f.Issuer(o);
  auto token = issuer.issue(f.customer);
  REQUIRE(token.ok());
  CustomerPatch p;
  p.revoke_tokens_at = f.clock.now();
  auto c = f.storage->update_customer(f.customer.id, p, f.clock.now());
  REQUIRE(c.ok());
  issuer.note_revocation(c->id, c->tokens_revoked_at);
  CHECK(issuer.verify(*token).status().message() == "The token has been revoked.");
  auto fresh = issuer.issue(*c);  // same millisecond as the revocation
  REQUIRE(fresh.ok());
  CHECK(issuer.verify(*fresh).ok());
}

TEST_CASE("Base64UrlDecodeTo refuses and accepts exactly what Base64UrlDecode does") {
  std::vector<std::string> inputs = {"",         "A",
                                     "AA",       "AB",
                                     "AAA",      "AAB",
                                     "AAAA",     "QQ",
                                     "QR",       "QUI",
                                     "QUJ",      "QUJD",
                                     "QUJDRA",   "QUJDRA=",
                                     "QUJDRA==", "QU JD",
                                     "QU+D",     "QU/D",
                                     "QU-_",     "____",
                                     "-_-_-",    "eyJraWQiOiIxIn0"};
  SeededRandom random(7);
  for (int i = 0; i < 300; ++i) {
    std::string bytes(static_cast<std::size_t>(i % 40), '\0');
    random.fill({reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()});
    std::string text = B64(bytes);
    inputs.push_back(text);
    if (!text.empty()) {
      text[static_cast<std::size_t>(i) % text.size()] = static_cast<char>(i % 128);
      inputs.push_back(text);
    }
  }
  for (const auto& in : inputs) {
    INFO(in);
    const auto want = internal::Base64UrlDecode(in);
    std::array<std::uint8_t, 64> buf{};
    const auto got = internal::Base64UrlDecodeTo(in, buf);
    REQUIRE(want.has_value() == got.has_value());
    // The standard alphabet's decoder (a separate loop) agrees, on the same text translated.
    std::string std_text = in;
    for (char& c : std_text)
      c = c == '-' ? '+' : c == '_' ? '/' : c == '+' || c == '/' || c == '=' ? '!' : c;
    while (std_text.size() % 4 != 0) std_text += '=';
    const auto std_decoded = internal::Base64Decode(std_text);
    CHECK(std_decoded == want);
    if (want) {
      CHECK(std::string(reinterpret_cast<const char*>(buf.data()), *got) == *want);
      // An exactly sized heap buffer: the sanitizers see any write past it.
      std::vector<std::uint8_t> exact(want->size());
      const auto into_exact = internal::Base64UrlDecodeTo(in, exact);
      REQUIRE(into_exact.has_value());
      CHECK(std::string(exact.begin(), exact.end()) == *want);
      if (!want->empty()) {
        // Too small a buffer is refused, never overrun.
        CHECK_FALSE(internal::Base64UrlDecodeTo(in, std::span(buf).first(want->size() - 1)));
      }
    }
  }
  // Round trips of every length up to 100 bytes.
  for (std::size_t n = 0; n <= 100; ++n) {
    std::string bytes(n, '\0');
    random.fill({reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()});
    std::vector<std::uint8_t> out(n);
    const auto size = internal::Base64UrlDecodeTo(B64(bytes), out);
    REQUIRE(size == n);
    CHECK(std::string(out.begin(), out.end()) == bytes);
  }
}

TEST_CASE("Issued tokens are byte-identical to the platform's layout for extreme claims") {
  const JwtKey key{"k-1.x_Y", std::string(40, 'q')};
  for (std::int64_t uid : {std::int64_t{1}, std::int64_t{6}, std::int64_t{1} << 40,
                           std::int64_t{9223372036854775807}}) {
    for (std::int64_t iat : {std::int64_t{0}, std::int64_t{1748499421}, std::int64_t{1} << 40}) {
      const std::string payload = R"({"uid":)" + std::to_string(uid) + R"(,"utypid":3,"iat":)" +
                                  std::to_string(iat) + R"(,"exp":)" + std::to_string(iat + 3600) +
                                  "}";
      CHECK(EncodeCustomerJwt(key, uid, iat, iat + 3600) ==
            Forge(R"({"kid":"k-1.x_Y","alg":"HS256"})", payload, key.secret));
    }
  }
}

TEST_CASE("Issued-shape and other-shape headers and payloads verify alike") {
  Fixture f;
  TokenIssuer issuer = f.Issuer();
  const std::string key(32, 'k');
  const std::string canonical = R"({"kid":"1","alg":"HS256"})";
  const std::string good_payload = R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021})";
  auto issued = issuer.issue(f.customer);
  REQUIRE(issued.ok());
  REQUIRE(*issued == Forge(canonical, good_payload, key));

  // The same claims under headers that differ from the issued bytes: the general checks.
  for (const std::string& header :
       {canonical, std::string(R"({"alg":"HS256","kid":"1"})"),
        std::string(R"({ "kid":"1","alg":"HS256"})"), std::string(R"({"kid":"1","alg":"HS256"} )"),
        std::string(R"({"kid":"\u0031","alg":"HS256"})"),
        std::string(R"({"kid":"1","alg":"HS256","typ":"JWT"})")}) {
    INFO(header);
    auto claims = issuer.verify(Forge(header, good_payload, key));
    REQUIRE(claims.ok());
    CHECK(claims->customer_id == 6);
    CHECK(claims->user_type == 3);
    CHECK(claims->issued_at == 1748499421);
    CHECK(claims->expires_at == 1748503021);
    CHECK(claims->kid == "1");
  }
  // The issued header bytes with a bad signature, or a signature of the wrong length.
  const std::string t = *issued;
  const std::string input = t.substr(0, t.rfind('.'));
  CHECK(issuer.verify(input + "." + B64(std::string(32, 'x'))).status().message() ==
        "The token signature is invalid.");
  CHECK(issuer.verify(input + "." + B64(std::string(31, 'x'))).status().message() ==
        "The token signature is invalid.");
  CHECK(issuer.verify(input + "." + B64(std::string(33, 'x'))).status().message() ==
        "The token signature is invalid.");
  std::string noncanonical = t;  // the last character carries two unused bits
  noncanonical.back() = static_cast<char>(noncanonical.back() ^ 1);
  if (internal::Base64UrlDecode(noncanonical.substr(noncanonical.rfind('.') + 1))) {
    noncanonical.back() = static_cast<char>(noncanonical.back() ^ 3);
  }
  CHECK(issuer.verify(noncanonical).status().message() == "The token signature is invalid.");

  // Payloads: each pair must give the same outcome (the first of each differs from the issued
  // shape in a way the claims do not see).
  struct Pair {
    std::string a, b;
  };
  const std::vector<Pair> same = {
      {R"({"utypid":3,"uid":6,"iat":1748499421,"exp":1748503021})", good_payload},
      {R"({"uid":6, "utypid":3,"iat":1748499421,"exp":1748503021})", good_payload},
      {R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021,"x":"y"})", good_payload},
      {R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021,"pad":")" + std::string(2000, 'p') +
           "\"}",
       good_payload},
      {R"({"uid":6,"utypid":3,"iat":-0,"exp":1748503021})",
       R"({"uid":6,"utypid":3,"iat":0,"exp":1748503021})"},
  };
  for (const auto& p : same) {
    INFO(p.a);
    auto ra = issuer.verify(Forge(canonical, p.a, key));
    auto rb = issuer.verify(Forge(canonical, p.b, key));
    REQUIRE(ra.ok() == rb.ok());
    if (ra.ok()) {
      CHECK(ra->customer_id == rb->customer_id);
      CHECK(ra->issued_at == rb->issued_at);
      CHECK(ra->expires_at == rb->expires_at);
    } else {
      CHECK(ra.status().message() == rb.status().message());
    }
  }
  const std::vector<std::string> malformed = {
      R"({"uid":06,"utypid":3,"iat":1748499421,"exp":1748503021})",
      R"({"uid":0,"utypid":3,"iat":1748499421,"exp":1748503021})",
      R"({"uid":6,"utypid":03,"iat":1748499421,"exp":1748503021})",
      R"({"uid":6,"utypid":3,"iat":01748499421,"exp":1748503021})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":01748503021})",
      R"({"uid":-6,"utypid":3,"iat":1748499421,"exp":1748503021})",
      R"({"uid":+6,"utypid":3,"iat":1748499421,"exp":1748503021})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":9223372036854775808})",
      R"({"uid":92233720368547758070,"utypid":3,"iat":1748499421,"exp":1748503021})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021.0})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":17485030e2})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021)",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021}})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"iat":1748499421,"exp":1748503021})",
      R"({"uid":6,"utypid":3,"iat":1748499421})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":"1748503021"})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021,"x":[]})",
      R"({"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021,"x":")" + std::string(600, 'p') +
          "}",
  };
  for (const auto& p : malformed) {
    INFO(p);
    CHECK(issuer.verify(Forge(canonical, p, key)).status().message() == "The token is malformed.");
  }
  // A token signed with the right key but naming a kid the ring does not hold.
  CHECK(
      issuer.verify(Forge(R"({"kid":"2","alg":"HS256"})", good_payload, key)).status().message() ==
      "The token key id is unknown.");
}

TEST_CASE("Issued-shape headers follow the key ring through rotations") {
  Fixture f;
  Keys keys = TestKeys("a", 'a');
  TokenIssuer issuer = f.Issuer({}, keys);
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) {
    keys.jwt_keys.push_back({"k" + std::to_string(i), std::string(32, static_cast<char>('b' + i))});
    issuer.set_keys(keys);
    auto t = issuer.issue(f.customer);
    REQUIRE(t.ok());
    tokens.push_back(*t);
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    auto c = issuer.verify(tokens[i]);
    REQUIRE(c.ok());
    CHECK(c->kid == "k" + std::to_string(i));
  }
  issuer.set_keys(TestKeys("k3", 'Z'));  // same kid as before, another secret
  CHECK(issuer.verify(tokens[3]).status().message() == "The token signature is invalid.");
  CHECK(issuer.verify(tokens[4]).status().message() == "The token key id is unknown.");
}

}  // namespace token_test
