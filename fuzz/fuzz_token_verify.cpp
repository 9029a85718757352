// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes TokenIssuer::verify, the flat JSON parser of JWT headers and payloads, and base64url.
// The first byte chooses a mode:
//   0   the rest is a token, verified as it is (forged tokens: no key is known to the fuzzer);
//   1   the rest is "header JSON \0 payload JSON": the harness base64url-encodes both and SIGNS
//       them with the ring's key "1", so that the claims checks behind the signature are reached;
//   2   the rest feeds EncodeCustomerJwt with fuzzed uid/iat/exp: what custauth issues verifies
//       exactly when its claims are in range.
// Invariants: verify never crashes; a token it accepts has uid > 0, utypid 3, a known kid, an exp
// not past (with leeway), and an iat not revoked; a token longer than 4096 bytes is refused.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "crypto.h"
#include "custauth/clock.h"
#include "custauth/memory_storage.h"
#include "custauth/token.h"
#include "flat_json.h"

namespace {

using namespace custauth;

constexpr TimeMs kNow = 1748499421000;  // 2025-05-29 06:17:01 UTC

struct World {
  std::unique_ptr<Storage> storage = MakeMemoryStorage();
  ManualClock clock{kNow};
  SeededRandom random{7};
  Keys keys;
  std::unique_ptr<TokenIssuer> issuer;
  std::int64_t customer_id = 0;
  std::int64_t revoked_id = 0;

  World() {
    keys.secret_key = std::string(32, 's');
    keys.seal_key = std::string(32, 'e');
    keys.jwt_keys.push_back({"0", std::string(32, 'k')});
    keys.jwt_keys.push_back({"1", std::string(48, 'K')});
    if (!ValidateKeys(keys).ok()) std::abort();
    TokenOptions options;
    options.revocation_refresh = 0;
    issuer = std::make_unique<TokenIssuer>(*storage, keys, options, clock, random);
    NewCustomer c;
    c.email = "roni_cost@example.com";
    c.firstname = "Roni";
    c.lastname = "Cost";
    auto created = storage->create_customer(c, kNow - kHour);
    if (!created.ok()) std::abort();
    customer_id = created->id;
    c.email = "revoked@example.com";
    auto revoked = storage->create_customer(c, kNow - kHour);
    if (!revoked.ok()) std::abort();
    revoked_id = revoked->id;
    CustomerPatch p;
    p.revoke_tokens_at = kNow - kMinute;
    if (!storage->update_customer(revoked_id, p, kNow - kMinute).ok()) std::abort();
  }
};

World& TheWorld() {
  static World* w = new World();
  return *w;
}

void CheckAccepted(const World& w, std::string_view token, const TokenClaims& c) {
  if (token.size() > 4096) std::abort();
  if (c.customer_id != w.customer_id && c.customer_id != w.revoked_id) std::abort();
  if (c.user_type != kUserTypeCustomer) std::abort();
  if (c.format == TokenFormat::kJwt) {
    if (c.kid != "0" && c.kid != "1") std::abort();
    if (kNow >= c.expires_at * 1000 + 5 * kSecond) std::abort();  // expired tokens never pass
    if (c.customer_id == w.revoked_id && c.issued_at * 1000 <= kNow - kMinute) std::abort();
  }
}

std::string Sign(const World& w, std::string_view header, std::string_view payload) {
  std::string input = internal::Base64UrlEncode(header);
  input.push_back('.');
  input += internal::Base64UrlEncode(payload);
  const internal::HmacSha256 mac(w.keys.jwt_keys[1].secret);
  const auto sig = mac.mac(input);
  input.push_back('.');
  input += internal::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
  return input;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = TheWorld();
  FuzzedDataProvider fdp(data, size);
  const std::uint8_t mode = fdp.ConsumeIntegralInRange<std::uint8_t>(0, 2);
  switch (mode) {
    case 0: {
      const std::string token = fdp.ConsumeRemainingBytesAsString();
      internal::FlatObject obj;
      (void)obj.Parse(token);
      if (auto decoded = internal::Base64UrlDecode(token)) {
        // Strict base64url is canonical: decoding then encoding gives the input back.
        if (internal::Base64UrlEncode(*decoded) != token) std::abort();
      }
      auto r = w.issuer->verify(token);
      if (r.ok()) CheckAccepted(w, token, *r);
      break;
    }
    case 1: {
      const std::string header = fdp.ConsumeRandomLengthString(512);
      const std::string payload = fdp.ConsumeRemainingBytesAsString();
      internal::FlatObject obj;
      if (obj.Parse(header)) {
        // Keys are unique and there are at most kMaxMembers of them.
        if (obj.size() > internal::FlatObject::kMaxMembers) std::abort();
        for (std::size_t i = 0; i < obj.size(); ++i) {
          if (obj.Find(obj.key(i)) == nullptr) std::abort();
        }
      }
      const std::string token = Sign(w, header, payload);
      auto r = w.issuer->verify(token);
      if (r.ok()) CheckAccepted(w, token, *r);
      break;
    }
    case 2: {
      const bool revoked = fdp.ConsumeBool();
      const std::int64_t uid = fdp.ConsumeBool() ? fdp.ConsumeIntegral<std::int64_t>()
                                                 : (revoked ? w.revoked_id : w.customer_id);
      const std::int64_t iat = fdp.ConsumeBool() ? fdp.ConsumeIntegral<std::int64_t>()
                                                 : kNow / 1000 + fdp.ConsumeIntegral<std::int8_t>();
      const std::int64_t exp = fdp.ConsumeBool()
                                   ? fdp.ConsumeIntegral<std::int64_t>()
                                   : kNow / 1000 + fdp.ConsumeIntegral<std::int16_t>();
      const std::string token = EncodeCustomerJwt(w.keys.jwt_keys[0], uid, iat, exp);
      auto r = w.issuer->verify(token);
      const bool known = uid == w.customer_id || uid == w.revoked_id;
      const bool in_time = iat >= 0 && exp >= 0 && iat <= (std::int64_t{1} << 40) &&
                           exp <= (std::int64_t{1} << 40) && kNow < exp * 1000 + 5 * kSecond &&
                           iat * 1000 <= kNow + 7 * kSecond;
      const bool not_revoked = !in_time || uid != w.revoked_id || iat * 1000 > kNow - kMinute;
      if (r.ok() != (known && in_time && not_revoked)) std::abort();
      if (r.ok()) {
        CheckAccepted(w, token, *r);
        if (r->customer_id != uid || r->issued_at != iat || r->expires_at != exp) std::abort();
      }
      break;
    }
  }
  return 0;
}
