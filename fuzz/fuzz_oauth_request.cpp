// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes a whole OAuth 1.0a request as a host would pass it (HttpRequest: method, URL,
// Authorization header, Content-Type, body): SignatureBaseString, OAuth1Verifier::parse and
// check_signature. The clock is fixed; the harness never records nonces (that is the storage
// conformance suite's business), so the state does not grow.
// Invariants:
//   - parse() succeeds only with all six protocol parameters, each once, a supported method,
//     32-character key and token, and a timestamp inside the window;
//   - its base string is SignatureBaseString's;
//   - a request re-signed by the harness with the right secrets passes check_signature unless its
//     oauth_body_hash does not match its body (and no other body check fails with the default
//     options), and the same signature under other secrets does not.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "custauth/memory_storage.h"
#include "custauth/oauth1.h"

using namespace custauth;

namespace {
constexpr TimeMs kNow = 1748499421000;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<Storage> storage = MakeMemoryStorage();
  static ManualClock clock(kNow);
  static OAuth1Verifier verifier(*storage, clock);

  FuzzedDataProvider fdp(data, size);
  HttpRequest req;
  req.method = fdp.ConsumeRandomLengthString(16);
  req.url = fdp.ConsumeRandomLengthString(256);
  req.content_type = fdp.ConsumeRandomLengthString(64);
  req.body = fdp.ConsumeRandomLengthString(512);
  req.authorization = fdp.ConsumeRemainingBytesAsString();

  auto base = SignatureBaseString(req);
  auto parsed = verifier.parse(req);
  if (!parsed.ok()) return 0;

  if (!base.ok() || *base != parsed->base_string) std::abort();
  if (parsed->consumer_key.size() != 32 || parsed->token.size() != 32) std::abort();
  if (parsed->signature_method != kOAuthHmacSha1 && parsed->signature_method != kOAuthHmacSha256) {
    std::abort();
  }
  if (parsed->timestamp * kSecond > kNow + 600 * kSecond ||
      parsed->timestamp * kSecond < kNow - 600 * kSecond) {
    std::abort();
  }
  if (parsed->nonce.empty() || parsed->signature.empty()) std::abort();

  // Whatever signature was sent: it must not verify under made-up secrets unless it is theirs.
  (void)verifier.check_signature(*parsed, "consumer-secret", "token-secret");

  // The harness's own signature verifies; under other secrets it does not.
  auto sig = OAuthSignature(parsed->signature_method, parsed->base_string, "cs&%", "ts\x01");
  if (!sig.ok()) std::abort();
  OAuthRequest resigned = *parsed;
  resigned.signature = *sig;
  // check_signature also checks the body: a re-signed request passes exactly when its body does.
  const bool body_ok = verifier.check_body(resigned).ok();
  if (body_ok != (parsed->body != OAuthRequest::Body::kMismatch)) std::abort();
  if (verifier.check_signature(resigned, "cs&%", "ts\x01").ok() != body_ok) std::abort();
  if (verifier.check_signature(resigned, "cs&%", "ts\x02").ok()) std::abort();
  if (verifier.check_signature(resigned, "cs", "&%ts\x01").ok()) std::abort();
  return 0;
}
