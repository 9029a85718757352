// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/token.h"

#include <fmt/format.h>

#include <time.h>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "crypto.h"
#include "flat_json.h"

namespace custauth {
namespace {

constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kOpaqueLength = 32;
constexpr std::size_t kMaxCachedCustomers = 1 << 18;
constexpr int kLocalSlotBits = 8;  // a thread's copies: 256 slots of 32 bytes
constexpr std::size_t kLocalSlots = std::size_t{1} << kLocalSlotBits;
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

// Whether a token issued at `issued_at` falls under the customer's revocation time `revoked_at`
// (both ms): issued at or before it. 0 means never revoked, so a token with iat 0 is not revoked.
bool IsRevoked(TimeMs issued_at, TimeMs revoked_at) {
  return revoked_at > 0 && issued_at <= revoked_at;
}

// The revocation cache holds sessions beside customers, under the key -session_id: a revoked
// session's entry is this (above every issued_at), a live one's 0.
constexpr TimeMs kSessionRevoked = std::numeric_limits<TimeMs>::max();

struct RingKey {
  std::string kid;
  internal::HmacSha256 hmac;
  // The base64url of the header issue() writes for this key: {"kid":"<kid>","alg":"HS256"}.
  std::string header_b64;
  // Whether the general checks accept header_b64 as naming this very key, so that verify may
  // recognise it by its bytes alone.
  bool header_is_fast = false;
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

  // The key whose issued header is exactly `header_b64` (the first, as find() would choose), or
  // nullptr: then the header takes the general checks.
  const RingKey* find_by_header(std::string_view header_b64) const {
    for (const auto& k : keys) {
      if (k.header_is_fast && k.header_b64 == header_b64) return &k;
    }
    return nullptr;
  }
};

// The general header checks, in order: format, algorithm, crit and typ, key id. The ring key the
// header names, or the refusal.
Result<const RingKey*> CheckHeader(const Ring& r, std::string_view header_b64) {
  auto header_json = internal::Base64UrlDecode(header_b64);
  if (!header_json) return Invalid(kMalformed);
  internal::FlatObject header;
  if (!header.Parse(*header_json)) return Invalid(kMalformed);
  const internal::FlatValue* alg = header.Find("alg");
  if (alg == nullptr || alg->type != internal::FlatValue::Type::kString || alg->str != "HS256") {
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
  const RingKey* key = r.find(kid->str);
  if (key == nullptr) return Invalid(kUnknownKid);
  return key;
}

std::string HeaderJson(std::string_view kid) {
  return fmt::format(R"({{"kid":"{}","alg":"HS256"}})", kid);
}

std::unique_ptr<const Ring> MakeRing(const Keys& keys) {
  auto ring = std::make_unique<Ring>();
  ring->keys.reserve(keys.jwt_keys.size());
  for (const auto& k : keys.jwt_keys) {
    ring->keys.push_back(
        {k.kid, internal::HmacSha256(k.secret), internal::Base64UrlEncode(HeaderJson(k.kid))});
  }
  ring->secret_key = keys.secret_key;
  for (auto& k : ring->keys) {
    auto named = CheckHeader(*ring, k.header_b64);
    k.header_is_fast = named.ok() && *named == &k;
  }
  return ring;
}

bool IsOpaqueShape(std::string_view t) {
  if (t.size() != kOpaqueLength) return false;
  for (char c : t) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Milliseconds of the clock `clock_id`: the refresh bound's monotonic clock (see PickRefreshClock)
// or the coarse wall clock (see kCoarseMargin).
std::int64_t ClockNowMs(clockid_t clock_id) {
  timespec ts;
  clock_gettime(clock_id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The cheap coarse clock when its resolution is at most 1 % of `refresh`, else the precise one.
clockid_t PickRefreshClock(TimeMs refresh) {
  timespec res;
  if (refresh > 0 && clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0) {
    const std::int64_t res_us =
        static_cast<std::int64_t>(res.tv_sec) * 1000000 + res.tv_nsec / 1000;
    if ((res_us + 9) / 10 <= refresh) return CLOCK_MONOTONIC_COARSE;  // res_us <= refresh_ms * 10
  }
  return CLOCK_MONOTONIC;
}

// With the system clock, verify judges exp and iat by CLOCK_REALTIME_COARSE (some 4 ns here,
// against 25 for CLOCK_REALTIME) whenever that time decides both bounds as every time within
// kCoarseMargin of it would, and reads the precise clock otherwise (a token within a second of a
// bound). The coarse clock is the precise one as of the kernel's last timekeeping update, never
// ahead of it and behind by at most about one tick (its resolution); the margin is hundreds of
// ticks, so the two clocks give the same verdict.
constexpr TimeMs kCoarseMargin = kSecond;

bool CoarseWallClockUsable(const Clock& clock) {
  if (dynamic_cast<const SystemClock*>(&clock) == nullptr) return false;
  timespec res;
  return clock_getres(CLOCK_REALTIME_COARSE, &res) == 0 && res.tv_sec == 0 &&
         res.tv_nsec <= 50'000'000;
}

// The payload issue() writes: {"uid":N,"utypid":3,"iat":N,"exp":N}, and ,"sid":N before the
// brace for a token of a session (sid > 0), into `buf`; returns its size.
constexpr std::size_t kPayloadBufferSize = 128;
std::size_t WritePayload(char (&buf)[kPayloadBufferSize], std::int64_t uid, std::int64_t iat,
                         std::int64_t exp, std::int64_t sid) {
  char* p = buf;
  char* const end = buf + kPayloadBufferSize;
  // At most 120 characters are written; the bound check only satisfies the compiler.
  auto lit = [&p, end](std::string_view s) {
    if (s.size() > static_cast<std::size_t>(end - p)) return;
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  auto num = [&p, end](std::int64_t v) { p = std::to_chars(p, end, v).ptr; };
  lit(R"({"uid":)");
  num(uid);
  lit(R"(,"utypid":)");
  num(kUserTypeCustomer);
  lit(R"(,"iat":)");
  num(iat);
  lit(R"(,"exp":)");
  num(exp);
  if (sid > 0) {
    lit(R"(,"sid":)");
    num(sid);
  }
  lit("}");
  return static_cast<std::size_t>(p - buf);
}

// header_b64 "." base64url(payload) "." base64url(HMAC), in one allocation.
std::string EncodeJwt(std::string_view header_b64, const internal::HmacSha256& hmac,
                      std::int64_t uid, std::int64_t iat, std::int64_t exp, std::int64_t sid) {
  char payload[kPayloadBufferSize];
  const std::size_t payload_size = WritePayload(payload, uid, iat, exp, sid);
  std::string out;
  out.reserve(header_b64.size() + 1 + (payload_size + 2) / 3 * 4 + 1 + 43);
  out.append(header_b64);
  out.push_back('.');
  internal::AppendBase64Url(out, {payload, payload_size});
  const auto sig = hmac.mac(out);
  out.push_back('.');
  internal::AppendBase64Url(out, {reinterpret_cast<const char*>(sig.data()), sig.size()});
  return out;
}

std::string_view AsView(const internal::Digest256& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// Parses the digits of a claim written as issue() writes it: no sign, no leading zero, at most 18
// digits (so no overflow), followed by `next`. Anything else is left to the general parser (false).
bool PlainNumber(const char*& p, const char* end, char next, std::int64_t& out) {
  const char* q = p;
  std::int64_t v = 0;
  while (q != end && *q >= '0' && *q <= '9') {
    if (q - p == 18) return false;
    v = v * 10 + (*q - '0');
    ++q;
  }
  if (q == p || q == end || *q != next || (*p == '0' && q - p > 1)) return false;
  out = v;
  p = q + 1;
  return true;
}

// Consumes `lit` (a string literal: its size is known, so the comparison is inlined).
template <std::size_t N>
bool Literal(const char*& p, const char* end, const char (&lit)[N]) {
  if (static_cast<std::size_t>(end - p) < N - 1 || std::memcmp(p, lit, N - 1) != 0) return false;
  p += N - 1;
  return true;
}

// Reads exactly {"uid":N,"utypid":N,"iat":N,"exp":N} or {"uid":N,"utypid":N,"iat":N,"exp":N,
// "sid":N}, as issue() writes them; false for any other text, which then takes the general parser
// (and gets the same result it always did).
bool MatchIssuedPayload(std::string_view json, TokenClaims& claims, std::int64_t& utypid) {
  const char* p = json.data();
  const char* const end = p + json.size();
  if (!(Literal(p, end, R"({"uid":)") && PlainNumber(p, end, ',', claims.customer_id) &&
        Literal(p, end, R"("utypid":)") && PlainNumber(p, end, ',', utypid) &&
        Literal(p, end, R"("iat":)") && PlainNumber(p, end, ',', claims.issued_at) &&
        Literal(p, end, R"("exp":)"))) {
    return false;
  }
  if (PlainNumber(p, end, '}', claims.expires_at)) return p == end;
  return PlainNumber(p, end, ',', claims.expires_at) && Literal(p, end, R"("sid":)") &&
         PlainNumber(p, end, '}', claims.session_id) && p == end;
}

// A JWT's payload (base64url) as claims: uid, utypid (the customer type), iat and exp as
// integers within what milliseconds can hold; anything else is malformed.
Status DecodeJwtClaims(std::string_view payload_b64, TokenClaims& claims) {
  // The payload decodes on the stack unless it is unusually large.
  constexpr std::size_t kStackPayload = 512;
  std::array<std::uint8_t, kStackPayload> stack_buf;
  std::unique_ptr<std::uint8_t[]> heap_buf;
  std::span<std::uint8_t> buf(stack_buf);
  const std::size_t max_size = payload_b64.size() / 4 * 3 + 2;
  if (max_size > kStackPayload) {
    heap_buf = std::make_unique<std::uint8_t[]>(max_size);
    buf = {heap_buf.get(), max_size};
  }
  const auto payload_size = internal::Base64UrlDecodeTo(payload_b64, buf);
  if (!payload_size) return Invalid(kMalformed);
  const std::string_view payload_json(reinterpret_cast<const char*>(buf.data()), *payload_size);
  std::int64_t utypid = 0;
  if (!MatchIssuedPayload(payload_json, claims, utypid)) {
    claims.session_id = 0;
    internal::FlatObject payload;
    if (!payload.Parse(payload_json)) return Invalid(kMalformed);
    auto integer = [&](std::string_view name, std::int64_t& out) {
      const internal::FlatValue* v = payload.Find(name);
      if (v == nullptr || v->type != internal::FlatValue::Type::kInteger) return false;
      out = v->integer;
      return true;
    };
    if (!integer("uid", claims.customer_id) || !integer("utypid", utypid) ||
        !integer("iat", claims.issued_at) || !integer("exp", claims.expires_at)) {
      return Invalid(kMalformed);
    }
    if (payload.Find("sid") != nullptr && !integer("sid", claims.session_id)) {
      return Invalid(kMalformed);
    }
    if (payload.Find("sid") != nullptr && claims.session_id <= 0) return Invalid(kMalformed);
  }
  if (claims.customer_id <= 0 || utypid != kUserTypeCustomer) return Invalid(kMalformed);
  // Seconds beyond what milliseconds can hold are refused before any arithmetic.
  constexpr std::int64_t kMaxSeconds = std::int64_t{1} << 40;
  if (claims.issued_at < 0 || claims.issued_at > kMaxSeconds || claims.expires_at < 0 ||
      claims.expires_at > kMaxSeconds) {
    return Invalid(kMalformed);
  }
  claims.user_type = static_cast<int>(utypid);
  return Status::Ok();
}

}  // namespace

std::string EncodeCustomerJwt(const JwtKey& key, std::int64_t uid, std::int64_t iat,
                              std::int64_t exp, std::int64_t sid) {
  return EncodeJwt(internal::Base64UrlEncode(HeaderJson(key.kid)), internal::HmacSha256(key.secret),
                   uid, iat, exp, sid);
}

struct TokenIssuer::Impl {
  Storage& storage;
  TokenOptions options;
  Clock& clock;
  Random& random;
  // The current key ring. Rings replaced by set_keys stay alive, in `rings`, until the issuer is
  // destroyed, so that a verify holding the old pointer needs neither a lock nor a reference count.
  std::atomic<const Ring*> ring;
  std::mutex rings_mu;
  std::vector<std::unique_ptr<const Ring>> rings;
  clockid_t refresh_clock;
  bool coarse_wall_clock;  // see kCoarseMargin

  // Revocation cache: customer id → tokens_revoked_at, and -session id → kSessionRevoked or 0,
  // valid for `epoch`.
  std::shared_mutex cache_mu;
  std::unordered_map<std::int64_t, TimeMs> revoked_at;
  std::uint64_t epoch = 0;
  bool epoch_known = false;
  // How many times revoked_at was cleared (a new epoch, or the size bound): a miss reads this
  // before reading storage and inserts what it read only if no clear came in between, since a
  // clear for a newer epoch may stand for a revocation the read did not see.
  std::atomic<std::uint64_t> clears{0};
  std::atomic<std::int64_t> next_refresh_ms{0};  // refresh_clock

  // Each thread keeps copies of the entries it used (LocalSlot), so that a verify takes no lock
  // whose cache line every core writes. `generation` moves whenever an entry of revoked_at rises
  // or the cache is cleared; a thread's copies are valid while the generation they were read at
  // is the current one. Its own cache line: verifies only read it.
  alignas(64) std::atomic<std::uint64_t> generation{1};
  const std::uint64_t serial = NextSerial();  // tells the issuers apart in LocalSlot

  // A thread's copies: direct-mapped by customer id, each tagged with the issuer and the
  // generation it was read at, so that nothing is ever cleared and the whole is constant-
  // initialized (no guard, no allocation on a verify).
  struct LocalSlot {
    std::int64_t customer_id = 0;  // 0: empty (ids are > 0)
    TimeMs revoked_at = 0;
    std::uint64_t serial = 0;
    std::uint64_t generation = 0;
  };
  static LocalSlot& Local(std::int64_t customer_id) {
    static thread_local std::array<LocalSlot, kLocalSlots> slots{};
    const auto h = static_cast<std::uint64_t>(customer_id) * 0x9E3779B97F4A7C15ULL;
    return slots[h >> (64 - kLocalSlotBits)];
  }
  static std::uint64_t NextSerial() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
  // REQUIRES: cache_mu held exclusively, after a change to revoked_at.
  void Invalidate() { generation.fetch_add(1, std::memory_order_release); }

  // REQUIRES: cache_mu held exclusively. Records `at` as the customer's revocation time, raising
  // and never lowering it, and returns the time kept. Only a raised entry can have been copied by
  // a thread (copies are made of entries), so only that moves the generation.
  TimeMs RaiseLocked(std::int64_t customer_id, TimeMs at) {
    auto [it, inserted] = revoked_at.emplace(customer_id, at);
    if (!inserted && it->second < at) {
      it->second = at;
      Invalidate();
    }
    return it->second;
  }

  Impl(Storage& s, const Keys& keys, TokenOptions o, Clock& c, Random& r)
      : storage(s),
        options(o),
        clock(c),
        random(r),
        ring(nullptr),
        refresh_clock(PickRefreshClock(o.revocation_refresh)),
        coarse_wall_clock(CoarseWallClockUsable(c)) {
    SetKeys(keys);
  }

  // The time to judge a token by, which is expired when now >= `deadline` and not yet valid when
  // now < `earliest`: the coarse wall clock when it settles both (see kCoarseMargin), else the
  // clock's own time.
  TimeMs NowFor(TimeMs deadline, TimeMs earliest) const {
    if (coarse_wall_clock) {
      const TimeMs c = ClockNowMs(CLOCK_REALTIME_COARSE);
      const bool expiry_settled = c + kCoarseMargin < deadline || c - kCoarseMargin >= deadline;
      const bool start_settled = c - kCoarseMargin >= earliest || c + kCoarseMargin < earliest;
      if (expiry_settled && start_settled) return c;
    }
    return clock.now();
  }

  const Ring* CurrentRing() const { return ring.load(std::memory_order_acquire); }

  void SetKeys(const Keys& keys) {
    std::lock_guard lock(rings_mu);
    rings.push_back(MakeRing(keys));
    ring.store(rings.back().get(), std::memory_order_release);
  }

  // Brings the cache up to date with storage's revocation epoch when the refresh bound is due.
  Status Refresh() {
    if (options.revocation_refresh > 0) {
      const std::int64_t now = ClockNowMs(refresh_clock);
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
      clears.fetch_add(1, std::memory_order_release);
      epoch = *e;
      epoch_known = true;
      Invalidate();
    }
    return Status::Ok();
  }

  // What storage says for a cache key: a customer's tokens_revoked_at (key > 0), or for a
  // session (key = -id) kSessionRevoked when it is revoked and 0 when it is live. A customer or
  // session that is gone: refused as revoked.
  Result<TimeMs> ReadRevokedAt(std::int64_t key) {
    if (key < 0) {
      auto s = storage.find_session(-key);
      if (!s.ok()) return s.code() == Code::kNotFound ? Invalid(kRevoked) : s.status();
      return s->revoked_at > 0 ? kSessionRevoked : TimeMs{0};
    }
    auto c = storage.find_customer_by_id(key);
    if (!c.ok()) return c.code() == Code::kNotFound ? Invalid(kRevoked) : c.status();
    return c->tokens_revoked_at;
  }

  // The revocation time of a cache key (ReadRevokedAt), from the cache or storage.
  Result<TimeMs> RevokedAt(std::int64_t customer_id) {
    CUSTAUTH_RETURN_IF_ERROR(Refresh());
    // This thread's copy first: valid while the generation it was read at is current.
    LocalSlot& local = Local(customer_id);
    const std::uint64_t gen = generation.load(std::memory_order_acquire);
    if (local.customer_id == customer_id && local.serial == serial && local.generation == gen) {
      return local.revoked_at;
    }
    std::uint64_t clears_before = 0;
    {
      std::shared_lock lock(cache_mu);
      auto it = revoked_at.find(customer_id);
      if (it != revoked_at.end()) {
        // Read after `gen` was: if an entry rose since, the generation moved too, and the next
        // call does not use this copy.
        local = LocalSlot{customer_id, it->second, serial, gen};
        return it->second;
      }
      clears_before = clears.load(std::memory_order_acquire);
    }
    auto c = ReadRevokedAt(customer_id);
    if (!c.ok()) return c.status();
    std::unique_lock lock(cache_mu);
    if (clears.load(std::memory_order_relaxed) != clears_before) {
      // The cache was cleared while storage was read: what was read may predate the revocation
      // that cleared it. Judge this token by it (the read and the revocation raced), keep nothing.
      return *c;
    }
    if (revoked_at.size() >= kMaxCachedCustomers) {
      revoked_at.clear();
      clears.fetch_add(1, std::memory_order_release);
      Invalidate();
    }
    return RaiseLocked(customer_id, *c);
  }

  // Refuses a token of a session that is revoked or gone (claims.session_id > 0).
  Status CheckSession(const TokenClaims& claims) {
    if (claims.session_id <= 0) return Status::Ok();
    auto revoked = RevokedAt(-claims.session_id);
    if (!revoked.ok()) return revoked.status();
    if (*revoked != 0) return Invalid(kRevoked);
    return Status::Ok();
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

    const Ring* r = CurrentRing();
    // The header issue() writes for a key of the ring names that key, HS256, no typ, no crit: it
    // needs no decoding. Any other header takes the general checks.
    const RingKey* key = r->find_by_header(header_b64);
    if (key == nullptr) {
      auto named = CheckHeader(*r, header_b64);
      if (!named.ok()) return named.status();
      key = *named;
    }

    // 32 bytes are exactly 43 base64url characters.
    std::array<std::uint8_t, 32> sig;
    if (sig_b64.size() != 43 || !internal::Base64UrlDecodeTo(sig_b64, sig)) {
      return Invalid(kBadSignature);
    }
    const auto expected = key->hmac.mac(token.substr(0, dot2));
    if (!internal::ConstantTimeEquals(AsView(expected),
                                      {reinterpret_cast<const char*>(sig.data()), sig.size()})) {
      return Invalid(kBadSignature);
    }

    TokenClaims claims;
    CUSTAUTH_RETURN_IF_ERROR(DecodeJwtClaims(payload_b64, claims));
    claims.format = TokenFormat::kJwt;
    claims.kid = key->kid;
    claims.issued_at_ms = claims.issued_at * 1000;
    // A token may legitimately carry an iat up to two seconds ahead (see issue()).
    const TimeMs deadline = claims.expires_at * 1000 + options.leeway;
    const TimeMs earliest = claims.issued_at * 1000 - options.leeway - 2 * kSecond;
    const TimeMs now = NowFor(deadline, earliest);
    if (now >= deadline) return Status(Code::kExpired, kExpired);
    if (now < earliest) return Invalid(kNotYetValid);
    auto revoked = RevokedAt(claims.customer_id);
    if (!revoked.ok()) return revoked.status();
    if (IsRevoked(claims.issued_at * 1000, *revoked)) return Invalid(kRevoked);
    CUSTAUTH_RETURN_IF_ERROR(CheckSession(claims));
    return claims;
  }

  Result<TokenClaims> VerifyOpaque(std::string_view token) {
    const Ring* r = CurrentRing();
    const std::string hash = internal::KeyedHash(r->secret_key, kOpaquePurpose, token);
    auto rec = storage.find_opaque_token(hash);
    if (!rec.ok()) {
      if (rec.code() == Code::kNotFound) return Invalid(kUnknownToken);
      return rec.status();
    }
    const TimeMs deadline = rec->expires_at + options.leeway;
    if (NowFor(deadline, std::numeric_limits<TimeMs>::min()) >= deadline) {
      return Status(Code::kExpired, kExpired);
    }
    auto revoked = RevokedAt(rec->customer_id);
    if (!revoked.ok()) return revoked.status();
    if (IsRevoked(rec->issued_at, *revoked)) return Invalid(kRevoked);
    TokenClaims claims;
    claims.customer_id = rec->customer_id;
    claims.issued_at = rec->issued_at / 1000;
    claims.issued_at_ms = rec->issued_at;
    claims.expires_at = rec->expires_at / 1000;
    claims.format = TokenFormat::kOpaque;
    claims.session_id = rec->session_id;
    CUSTAUTH_RETURN_IF_ERROR(CheckSession(claims));
    return claims;
  }
};

TokenIssuer::TokenIssuer(Storage& storage, const Keys& keys, TokenOptions options, Clock& clock,
                         Random& random)
    : impl_(std::make_unique<Impl>(storage, keys, options, clock, random)) {}

TokenIssuer::~TokenIssuer() = default;

const TokenOptions& TokenIssuer::options() const { return impl_->options; }

Result<std::string> TokenIssuer::issue(const Customer& customer) {
  return issue(customer, impl_->clock.now());
}

Result<std::string> TokenIssuer::issue(const Customer& customer, TimeMs now) {
  auto issued = issue_token(customer, now);
  if (!issued.ok()) return issued.status();
  return std::move(issued->token);
}

Result<IssuedToken> TokenIssuer::issue_token(const Customer& customer, TimeMs now,
                                             const SessionRecord* session) {
  if (customer.id <= 0) return Status(Code::kInvalidInput, "the customer has no id");
  const std::int64_t sid = session == nullptr ? 0 : session->id;
  // A token of a session expires no later than the session (ms; a JWT's exp in whole seconds).
  const TimeMs cap = session == nullptr ? std::numeric_limits<TimeMs>::max() : session->expires_at;
  if (impl_->options.format == TokenFormat::kOpaque) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    const Ring* r = impl_->CurrentRing();
    // The record's issued_at must come after any revocation of this customer.
    const TimeMs issued_at = std::max(now, customer.tokens_revoked_at + 1);
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::string token(kOpaqueLength, '\0');
      for (char& c : token) c = kAlphabet[impl_->random.uniform(36)];
      OpaqueTokenRecord rec;
      rec.hash = internal::KeyedHash(r->secret_key, kOpaquePurpose, token);
      rec.customer_id = customer.id;
      rec.issued_at = issued_at;
      rec.expires_at = std::min(issued_at + impl_->options.lifetime, cap);
      rec.session_id = sid;
      Status s = impl_->storage.put_opaque_token(rec);
      if (s.ok()) return IssuedToken{std::move(token), rec.expires_at, sid};
      if (s.code() != Code::kAlreadyExists) return s;
    }
    return Status(Code::kInternal, "could not draw a unique opaque token");
  }
  std::int64_t iat = now / 1000;
  if (iat * 1000 <= customer.tokens_revoked_at) iat = customer.tokens_revoked_at / 1000 + 1;
  const std::int64_t exp = std::min(iat + impl_->options.lifetime / 1000, cap / 1000);
  const RingKey& signer = impl_->CurrentRing()->keys.back();
  return IssuedToken{EncodeJwt(signer.header_b64, signer.hmac, customer.id, iat, exp, sid),
                     exp * 1000, sid};
}

Result<TokenClaims> TokenIssuer::verify(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) return Invalid(kMalformed);
  if (IsOpaqueShape(token)) return impl_->VerifyOpaque(token);
  return impl_->VerifyJwt(token);
}

void TokenIssuer::note_revocation(std::int64_t customer_id, TimeMs at) {
  std::unique_lock lock(impl_->cache_mu);
  impl_->RaiseLocked(customer_id, at);
}

void TokenIssuer::note_session_revocation(std::int64_t session_id) {
  std::unique_lock lock(impl_->cache_mu);
  impl_->RaiseLocked(-session_id, kSessionRevoked);
}

void TokenIssuer::set_keys(const Keys& keys) { impl_->SetKeys(keys); }

}  // namespace custauth
