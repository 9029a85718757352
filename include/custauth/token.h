// custauth — customer authentication for commerce servers.
// Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// TokenIssuer: customer tokens, as JWT (byte-compatible with the platform's) or opaque strings,
// behind one interface: issue, verify, revoke.
//
// JWT: compact JWS, header {"kid":"1","alg":"HS256"}, payload
// {"uid":6,"utypid":3,"iat":1748499421,"exp":1748503021} — those bytes, that order, no spaces
// (with sessions on, ,"sid":N follows exp).
// Verification accepts only HS256 and only the kids the key ring holds; the token never chooses
// its own algorithm or key. Opaque: 32 characters [a-z0-9], stored only as a keyed hash.
//
// Revocation: a token is refused when it was issued at or before its customer's
// tokens_revoked_at, or when it names a session (TokenOptions::sessions) that is revoked or gone.
// Verification keeps revocation times in a cache and asks storage's revocation_epoch() at most once
// per `revocation_refresh`: a revocation made through this issuer applies at once; one made by
// another process or server sharing the storage applies within revocation_refresh (0: ask storage
// on every verify). A token whose format, signature or expiry fails is refused before any storage
// access. Verification never writes.
//
// Thread safety: one TokenIssuer may be used from many threads at once.
#ifndef CUSTAUTH_TOKEN_H_
#define CUSTAUTH_TOKEN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "custauth/clock.h"
#include "custauth/customer.h"
#include "custauth/export.h"
#include "custauth/keys.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

enum class TokenFormat : int {
  kJwt = 0,     // the default
  kOpaque = 1,  // e.g. "ar4116zozoagxty1xjn4lj13kim36r6x"
};

inline constexpr int kUserTypeCustomer = 3;  // utypid of customer tokens

struct TokenOptions {
  // Default: JWT.
  TokenFormat format = TokenFormat::kJwt;
  // Default: the platform's 60 minutes.
  TimeMs lifetime = 60 * kMinute;
  // Tolerated clock skew when checking exp (and an iat in the future). Default: 5 s.
  TimeMs leeway = 5 * kSecond;
  // Bound on how stale a revocation made elsewhere may be seen. Default: 1 s. 0: no cache.
  TimeMs revocation_refresh = 1 * kSecond;
  // Sessions (README, "Sessions"): each sign-in starts a session (Storage::create_session) that
  // its tokens name, so that one device can be signed out (revoke_session) and a token renewed
  // (renew_token) up to max_session_age. A JWT then carries a "sid" claim after "exp"; with
  // sessions off (the default) tokens are byte-identical to the platform's. Tokens that name a
  // session are checked against it whatever this option says.
  bool sessions = false;
  // How long a session may be renewed for, from its sign-in; no token of it expires later.
  // Default: 30 days.
  TimeMs max_session_age = 30 * 24 * kHour;
};

// A token as issued, with what a client needs to know about it.
struct IssuedToken {
  std::string token;
  TimeMs expires_at = 0;        // ms since the epoch (a JWT's exp, in ms)
  std::int64_t session_id = 0;  // the session it belongs to; 0: none (sessions off)
};

// What a verified token says.
struct TokenClaims {
  std::int64_t customer_id = 0;       // uid
  int user_type = kUserTypeCustomer;  // utypid
  std::int64_t issued_at = 0;         // iat, seconds
  TimeMs issued_at_ms = 0;      // the issue time revocation judges: a JWT's iat * 1000, an opaque
                                // token's stored time (ms)
  std::int64_t expires_at = 0;  // exp, seconds
  TokenFormat format = TokenFormat::kJwt;
  std::string kid;              // JWT only
  std::int64_t session_id = 0;  // sid; 0: the token names no session
};

class CUSTAUTH_EXPORT TokenIssuer {
 public:
  // REQUIRES: storage, clock, random outlive the issuer; keys pass ValidateKeys.
  TokenIssuer(Storage& storage, const Keys& keys, TokenOptions options, Clock& clock,
              Random& random);
  TokenIssuer(const TokenIssuer&) = delete;
  TokenIssuer& operator=(const TokenIssuer&) = delete;
  ~TokenIssuer();

  const TokenOptions& options() const;

  // A new token for `customer` in the configured format, valid for `lifetime` from now. When the
  // customer's tokens were revoked within the current second, iat is the next second (so the new
  // token is not itself revoked). kStorage (opaque tokens are stored).
  Result<std::string> issue(const Customer& customer);
  // The same, issued as of `issued_at` (the time a sign-in write read inside its transaction)
  // instead of now: a revocation that committed after that write read a later time, so it
  // covers the token (decided at the write).
  Result<std::string> issue(const Customer& customer, TimeMs issued_at);
  // The same, with its expiry; with `session` (sessions on), the token names it and expires no
  // later than session->expires_at.
  Result<IssuedToken> issue_token(const Customer& customer, TimeMs issued_at,
                                  const SessionRecord* session = nullptr);

  // The claims of a valid token, or kInvalidToken with a message naming the first failed check
  // ("The token is malformed.", "The token signature is invalid.", "The token algorithm is not
  // allowed.", "The token key id is unknown.", "The token has been revoked."), kExpired ("The token
  // has expired."), kStorage.
  Result<TokenClaims> verify(std::string_view token);

  // Records that the customer's tokens issued up to `at` are revoked, in this issuer's cache (the
  // caller has already stored it). Takes effect at once for this issuer.
  void note_revocation(std::int64_t customer_id, TimeMs at);
  // Records that the session is revoked (the caller has already stored it), in this issuer's
  // cache: its tokens are refused at once through this issuer.
  void note_session_revocation(std::int64_t session_id);

  // Replaces the key ring (rotation without downtime: add a key, it signs; old ones keep verifying
  // until removed). REQUIRES: keys pass ValidateKeys.
  void set_keys(const Keys& keys);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Encodes the platform-shaped JWT for these claims with this key (exposed for tests and benches).
CUSTAUTH_EXPORT std::string EncodeCustomerJwt(const JwtKey& key, std::int64_t uid, std::int64_t iat,
                                              std::int64_t exp, std::int64_t sid = 0);

}  // namespace custauth

#endif  // CUSTAUTH_TOKEN_H_
