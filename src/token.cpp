// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/token.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "crypto.h"
#include "flat_json.h"

namespace custauth {
namespace {

constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kOpaqueLength = 32;
constexpr std::size_t kMaxCachedCustomers = 1 << 18;
constexpr std::string_view kOpaquePurpose = "opaque-token";

constexpr std::string_view kMalformed = "The token is malformed.";
constexpr std::string_view kBadSignature = "The token signature is invalid.";
constexpr std::string_view kBadAlgorithm = "The token algorithm is not allowed.";
constexpr std::string_view kUnknownKid = "The token key id is unknown.";
constexpr std::string_view kRevoked = "The token has been revoked.";
constexpr std::string_view kExpired = "The token has expired.";
constexpr std::string_view kNotYetValid = "The token was issued in the future.";
constexpr std::string_view kUnknownToken = "The token is not valid.";

Status Invalid(std::string_view why) { return Status(Code::kInvalidToken, why); }

struct RingKey {
  std::string kid;
  internal::HmacSha256 hmac;
};

struct Ring {
  std::vector<RingKey> keys;  // the last one signs
  std::string secret_key;     // keys the hashes of opaque tokens

  const RingKey* find(std::string_view kid) const {
    for (const auto& k : keys) {
      if (k.kid == kid) return &k;
    }
    return nullptr;
  }
};

std::shared_ptr<const Ring> MakeRing(const Keys& keys) {
  auto ring = std::make_shared<Ring>();
  ring->keys.reserve(keys.jwt_keys.size());
  for (const auto& k : keys.jwt_keys) ring->keys.push_back({k.kid, internal::HmacSha256(k.secret)});
  ring->secret_key = keys.secret_key;
  return ring;
}

bool IsOpaqueShape(std::string_view t) {
  if (t.size() != kOpaqueLength) return false;
  for (char c : t) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::int64_t SteadyNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string SigningInput(std::string_view kid, std::int64_t uid, std::int64_t iat,
                         std::int64_t exp) {
  const std::string header = fmt::format(R"({{"kid":"{}","alg":"HS256"}})", kid);
  const std::string payload =
      fmt::format(R"({{"uid":{},"utypid":{},"iat":{},"exp":{}}})", uid, kUserTypeCustomer, iat, exp);
  std::string out = internal::Base64UrlEncode(header);
  out.push_back('.');
  out += internal::Base64UrlEncode(payload);
  return out;
}

std::string_view AsView(const internal::Digest256& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

std::string EncodeCustomerJwt(const JwtKey& key, std::int64_t uid, std::int64_t iat,
                              std::int64_t exp) {
  std::string input = SigningInput(key.kid, uid, iat, exp);
  const internal::HmacSha256 hmac(key.secret);
  const auto sig = hmac.mac(input);
  input.push_back('.');
  input += internal::Base64UrlEncode(AsView(sig));
  return input;
}

struct TokenIssuer::Impl {
  Storage& storage;
  TokenOptions options;
  Clock& clock;
  Random& random;
  std::atomic<std::shared_ptr<const Ring>> ring;

  // Revocation cache: customer id → tokens_revoked_at, valid for `epoch`.
  std::shared_mutex cache_mu;
  std::unordered_map<std::int64_t, TimeMs> revoked_at;
  std::uint64_t epoch = 0;
  bool epoch_known = false;
  std::atomic<std::int64_t> next_refresh_ms{0};  // steady clock

  Impl(Storage& s, const Keys& keys, TokenOptions o, Clock& c, Random& r)
      : storage(s), options(o), clock(c), random(r), ring(MakeRing(keys)) {}

  // Brings the cache up to date with storage's revocation epoch when the refresh bound is due.
  Status Refresh() {
    if (options.revocation_refresh > 0) {
      const std::int64_t now = SteadyNowMs();
      std::int64_t due = next_refresh_ms.load(std::memory_order_relaxed);
      if (now < due) return Status::Ok();
      // One thread refreshes; the others keep using the cache meanwhile.
      if (!next_refresh_ms.compare_exchange_strong(due, now + options.revocation_refresh)) {
        return Status::Ok();
      }
    }
    auto e = storage.revocation_epoch();
    if (!e.ok()) {
      next_refresh_ms.store(0);
      return e.status();
    }
    std::unique_lock lock(cache_mu);
    if (!epoch_known || *e != epoch) {
      revoked_at.clear();
      epoch = *e;
      epoch_known = true;
    }
    return Status::Ok();
  }

  // The customer's tokens_revoked_at, from the cache or storage.
  Result<TimeMs> RevokedAt(std::int64_t customer_id) {
    CUSTAUTH_RETURN_IF_ERROR(Refresh());
    {
      std::shared_lock lock(cache_mu);
      auto it = revoked_at.find(customer_id);
      if (it != revoked_at.end()) return it->second;
    }
    auto c = storage.find_customer_by_id(customer_id);
    if (!c.ok()) {
      if (c.code() == Code::kNotFound) return Invalid(kRevoked);
      return c.status();
    }
    std::unique_lock lock(cache_mu);
    if (revoked_at.size() >= kMaxCachedCustomers) revoked_at.clear();
    auto [it, inserted] = revoked_at.emplace(customer_id, c->tokens_revoked_at);
    if (!inserted && it->second < c->tokens_revoked_at) it->second = c->tokens_revoked_at;
    return it->second;
  }

  Result<TokenClaims> VerifyJwt(std::string_view token) {
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos ||
        dot1 == 0 || dot2 == dot1 + 1 || dot2 + 1 == token.size()) {
      return Invalid(kMalformed);
    }
    const std::string_view header_b64 = token.substr(0, dot1);
    const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view sig_b64 = token.substr(dot2 + 1);

    auto header_json = internal::Base64UrlDecode(header_b64);
    if (!header_json) return Invalid(kMalformed);
    internal::FlatObject header;
    if (!header.Parse(*header_json)) return Invalid(kMalformed);
    const internal::FlatValue* alg = header.Find("alg");
    if (alg == nullptr || alg->type != internal::FlatValue::Type::kString ||
        alg->str != "HS256") {
      return Invalid(kBadAlgorithm);
    }
    if (header.Find("crit") != nullptr) return Invalid(kMalformed);
    if (const auto* typ = header.Find("typ");
        typ != nullptr && (typ->type != internal::FlatValue::Type::kString || typ->str != "JWT")) {
      return Invalid(kMalformed);
    }
    const internal::FlatValue* kid = header.Find("kid");
    if (kid == nullptr || kid->type != internal::FlatValue::Type::kString) {
      return Invalid(kUnknownKid);
    }
    std::shared_ptr<const Ring> r = ring.load(std::memory_order_acquire);
    const RingKey* key = r->find(kid->str);
    if (key == nullptr) return Invalid(kUnknownKid);

    auto sig = internal::Base64UrlDecode(sig_b64);
    if (!sig || sig->size() != 32) return Invalid(kBadSignature);
    const auto expected = key->hmac.mac(token.substr(0, dot2));
    if (!internal::ConstantTimeEquals(AsView(expected), *sig)) return Invalid(kBadSignature);

    auto payload_json = internal::Base64UrlDecode(payload_b64);
    if (!payload_json) return Invalid(kMalformed);
    internal::FlatObject payload;
    if (!payload.Parse(*payload_json)) return Invalid(kMalformed);
    auto integer = [&](std::string_view name, std::int64_t& out) {
      const internal::FlatValue* v = payload.Find(name);
      if (v == nullptr || v->type != internal::FlatValue::Type::kInteger) return false;
      out = v->integer;
      return true;
    };
    TokenClaims claims;
    std::int64_t utypid = 0;
    if (!integer("uid", claims.customer_id) || !integer("utypid", utypid) ||
        !integer("iat", claims.issued_at) || !integer("exp", claims.expires_at)) {
      return Invalid(kMalformed);
    }
    if (claims.customer_id <= 0 || utypid != kUserTypeCustomer) return Invalid(kMalformed);
    // Seconds beyond what milliseconds can hold are refused before any arithmetic.
    constexpr std::int64_t kMaxSeconds = std::int64_t{1} << 40;
    if (claims.issued_at < 0 || claims.issued_at > kMaxSeconds || claims.expires_at < 0 ||
        claims.expires_at > kMaxSeconds) {
      return Invalid(kMalformed);
    }
    claims.user_type = static_cast<int>(utypid);
    claims.format = TokenFormat::kJwt;
    claims.kid = kid->str;
    const TimeMs now = clock.now();
    if (now >= claims.expires_at * 1000 + options.leeway) return Status(Code::kExpired, kExpired);
    // A token may legitimately carry an iat up to two seconds ahead (see issue()).
    if (claims.issued_at * 1000 > now + options.leeway + 2 * kSecond) {
      return Invalid(kNotYetValid);
    }
    auto revoked = RevokedAt(claims.customer_id);
    if (!revoked.ok()) return revoked.status();
    if (claims.issued_at * 1000 <= *revoked) return Invalid(kRevoked);
    return claims;
  }

  Result<TokenClaims> VerifyOpaque(std::string_view token) {
    std::shared_ptr<const Ring> r = ring.load(std::memory_order_acquire);
    const std::string hash = internal::KeyedHash(r->secret_key, kOpaquePurpose, token);
    auto rec = storage.find_opaque_token(hash);
    if (!rec.ok()) {
      if (rec.code() == Code::kNotFound) return Invalid(kUnknownToken);
      return rec.status();
    }
    const TimeMs now = clock.now();
    if (now >= rec->expires_at + options.leeway) return Status(Code::kExpired, kExpired);
    auto revoked = RevokedAt(rec->customer_id);
    if (!revoked.ok()) return revoked.status();
    if (rec->issued_at <= *revoked) return Invalid(kRevoked);
    TokenClaims claims;
    claims.customer_id = rec->customer_id;
    claims.issued_at = rec->issued_at / 1000;
    claims.expires_at = rec->expires_at / 1000;
    claims.format = TokenFormat::kOpaque;
    return claims;
  }
};

TokenIssuer::TokenIssuer(Storage& storage, const Keys& keys, TokenOptions options, Clock& clock,
                         Random& random)
    : impl_(std::make_unique<Impl>(storage, keys, options, clock, random)) {}

TokenIssuer::~TokenIssuer() = default;

const TokenOptions& TokenIssuer::options() const { return impl_->options; }

Result<std::string> TokenIssuer::issue(const Customer& customer) {
  if (customer.id <= 0) return Status(Code::kInvalidInput, "the customer has no id");
  const TimeMs now = impl_->clock.now();
  if (impl_->options.format == TokenFormat::kOpaque) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::shared_ptr<const Ring> r = impl_->ring.load(std::memory_order_acquire);
    // The record's issued_at must come after any revocation of this customer.
    const TimeMs issued_at = std::max(now, customer.tokens_revoked_at + 1);
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::string token(kOpaqueLength, '\0');
      for (char& c : token) c = kAlphabet[impl_->random.uniform(36)];
      OpaqueTokenRecord rec;
      rec.hash = internal::KeyedHash(r->secret_key, kOpaquePurpose, token);
      rec.customer_id = customer.id;
      rec.issued_at = issued_at;
      rec.expires_at = issued_at + impl_->options.lifetime;
      Status s = impl_->storage.put_opaque_token(rec);
      if (s.ok()) return token;
      if (s.code() != Code::kAlreadyExists) return s;
    }
    return Status(Code::kInternal, "could not draw a unique opaque token");
  }
  std::int64_t iat = now / 1000;
  if (iat * 1000 <= customer.tokens_revoked_at) iat = customer.tokens_revoked_at / 1000 + 1;
  const std::int64_t exp = iat + impl_->options.lifetime / 1000;
  std::shared_ptr<const Ring> r = impl_->ring.load(std::memory_order_acquire);
  const RingKey& signer = r->keys.back();
  std::string token = SigningInput(signer.kid, customer.id, iat, exp);
  const auto sig = signer.hmac.mac(token);
  token.push_back('.');
  token += internal::Base64UrlEncode(AsView(sig));
  return token;
}

Result<TokenClaims> TokenIssuer::verify(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) return Invalid(kMalformed);
  if (IsOpaqueShape(token)) return impl_->VerifyOpaque(token);
  return impl_->VerifyJwt(token);
}

void TokenIssuer::note_revocation(std::int64_t customer_id, TimeMs at) {
  std::unique_lock lock(impl_->cache_mu);
  auto [it, inserted] = impl_->revoked_at.emplace(customer_id, at);
  if (!inserted && it->second < at) it->second = at;
}

void TokenIssuer::set_keys(const Keys& keys) {
  impl_->ring.store(MakeRing(keys), std::memory_order_release);
}

}  // namespace custauth
