// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// OAuth 1.0a (RFC 5849), the server side: how custauth checks that a request was signed by an
// integration holding a consumer key/secret and an access token/secret.
//
// The pure parts (percent-encoding, the Authorization header, the signature base string, the
// HMAC signatures) are free functions: they touch no storage and no clock, so tests and fuzzers
// reach them directly. They run in time linear in their input (duplicates are found through a
// hash set). OAuth1Verifier composes them with the clock (the timestamp window), the request's
// body (the OAuth Request Body Hash extension) and Storage (the nonce store):
//
//   auto req = verifier.read(http);                   // caps, shape, method, version, body hash
//   verifier.check_signature(*req, consumer_secret, token_secret);  // constant time, and the body
//   verifier.check_timestamp(*req);                   // the window
//   verifier.record_nonce(*req);                      // the one write: refuses a replay
//   ... the caller's own checks (permissions, input) ...
//
// parse() is read() and check_timestamp() in one call. Spend the nonce as soon as the signature
// and the timestamp passed, before any other check: a request refused after that keeps its nonce
// spent, so that a signed request never serves twice (with another input, say).
//
// Thread safety: the free functions and a const OAuth1Verifier may be used from many threads at
// once; record_nonce is atomic across threads and processes (Storage::insert_nonce).
//
// Codes: kInvalidInput for a malformed request (over the size or parameter caps, header syntax,
// percent-encoding, a duplicate or missing protocol parameter, a timestamp that is not a number);
// kUnsupported for a signature method or oauth_version custauth does not support; kForbidden
// when a check fails (credential length, timestamp outside the window, signature or body hash,
// replayed nonce).
#ifndef CUSTAUTH_OAUTH1_H_
#define CUSTAUTH_OAUTH1_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/auth.h"
#include "custauth/clock.h"
#include "custauth/export.h"
#include "custauth/status.h"
#include "custauth/storage.h"

namespace custauth {

// The signature methods custauth supports.
inline constexpr std::string_view kOAuthHmacSha1 = "HMAC-SHA1";
inline constexpr std::string_view kOAuthHmacSha256 = "HMAC-SHA256";

// The messages of the OAuth layer. The signature message is DOMAIN.md's (msg::kSignatureInvalid);
// "Signature method X is not supported" is built from DOMAIN.md's pattern.
namespace oauth_msg {
inline constexpr std::string_view kTimestampRefused =
    "Incorrect timestamp value in the oauth_timestamp parameter";
inline constexpr std::string_view kNonceUsed = "The nonce is already being used by the consumer";
inline constexpr std::string_view kConsumerKeyLength = "Consumer key is not the correct length";
inline constexpr std::string_view kTokenLength =
    "The token length is invalid. Check the length and try again.";
}  // namespace oauth_msg

// One request parameter, decoded: the bytes the client meant, before RFC 5849 3.6 encoding.
struct OAuthParam {
  std::string name;
  std::string value;

  friend bool operator==(const OAuthParam& a, const OAuthParam& b) {
    return a.name == b.name && a.value == b.value;
  }
};
using OAuthParams = std::vector<OAuthParam>;

// RFC 5849 3.6: every byte but ALPHA, DIGIT, '-', '.', '_' and '~' becomes %XX (upper-case hex).
CUSTAUTH_EXPORT std::string PercentEncode(std::string_view bytes);

// The inverse of PercentEncode, strict: every '%' starts two hex digits (either case); '+' stays
// '+'. kInvalidInput otherwise. The result may hold any bytes.
CUSTAUTH_EXPORT Result<std::string> PercentDecode(std::string_view text);

// application/x-www-form-urlencoded (a query string or a form body): '&'-separated name[=value]
// pairs, '+' read as a space, then percent-decoded. Empty pairs are skipped; a pair without '='
// has an empty value. Order and repeated names are kept. kInvalidInput on bad percent-encoding.
CUSTAUTH_EXPORT Result<OAuthParams> ParseFormUrlEncoded(std::string_view text);

// An `Authorization: OAuth ...` header's parameters.
struct OAuthAuthorization {
  std::optional<std::string> realm;  // decoded; never signed
  OAuthParams params;                // decoded, in header order; realm excluded
};

// Parses the value of an Authorization header: the scheme "OAuth" (any case), then
// name="value" pairs separated by commas and optional whitespace, names and values
// percent-encoded (RFC 5849 3.5.1). Unquoted token values are accepted too. kInvalidInput when
// the scheme is not OAuth, the syntax is broken, a value is badly percent-encoded, or a name
// appears twice.
CUSTAUTH_EXPORT Result<OAuthAuthorization> ParseAuthorizationHeader(std::string_view value);

// RFC 5849 3.4.1.2: the base string URI of an absolute URL: scheme and host in lower case, the
// port as a decimal number without leading zeros (RFC 3986 6.2.3), dropped when it is empty or
// the scheme's default (80 for http, 443 for https: "https://h:0443/" is "https://h/", as
// oauthlib has it), the path as sent ("/" when empty), no query, no fragment (which ends the URL
// wherever it starts: "https://h/p#?a=1" has no query). kInvalidInput for a URL that is not
// absolute, has user information, a port outside 1-65535, or holds whitespace or control bytes.
CUSTAUTH_EXPORT Result<std::string> BaseStringUri(std::string_view url);

// RFC 5849 3.4.1.3.1: every parameter of a request that takes part in its signature, decoded:
// the query of request.url (before any fragment), the body when request.content_type is
// application/x-www-form-urlencoded, and the Authorization header's parameters when its scheme is
// OAuth (realm excluded). oauth_signature is included wherever it appears (callers drop it).
// kInvalidInput as ParseFormUrlEncoded and ParseAuthorizationHeader.
CUSTAUTH_EXPORT Result<OAuthParams> CollectParameters(const HttpRequest& request);

// RFC 5849 3.4.1.3.2: each name and value encoded, sorted by name then value, joined as
// name=value pairs with '&'. oauth_signature is left out.
CUSTAUTH_EXPORT std::string NormalizeParameters(OAuthParams params);

// RFC 5849 3.4.1: METHOD&encode(base string URI)&encode(normalized parameters), the method in
// upper case. kInvalidInput as BaseStringUri and CollectParameters, or for an empty method.
CUSTAUTH_EXPORT Result<std::string> SignatureBaseString(const HttpRequest& request);

// The base64 signature of `base_string` under the key encode(consumer_secret)&encode(token_secret)
// with `method` (kOAuthHmacSha1 or kOAuthHmacSha256). kUnsupported for any other method, with
// DOMAIN.md's message "Signature method X is not supported".
CUSTAUTH_EXPORT Result<std::string> OAuthSignature(std::string_view method,
                                                   std::string_view base_string,
                                                   std::string_view consumer_secret,
                                                   std::string_view token_secret);

// The body hash of the OAuth Request Body Hash extension (draft-eaton-oauth-bodyhash-00):
// base64 of the body's SHA-1, whatever the signature method (as oauthlib computes it).
CUSTAUTH_EXPORT std::string OAuthBodyHash(std::string_view body);

struct OAuth1Options {
  // A request's oauth_timestamp may be at most this far from now, either way (a timestamp
  // exactly `timestamp_window` away is accepted); a nonce is kept until one second after its
  // timestamp has left the window, so that it is live whenever its timestamp is accepted.
  // Default: DOMAIN.md's 600 s.
  TimeMs timestamp_window = 600 * kSecond;
  // Caps checked before anything is parsed (kInvalidInput): the bytes read for parameters (the
  // URL, the Authorization header and a form body together) and the number of parameters (query,
  // form body and header together, oauth_* and others alike). A JSON body is not read for
  // parameters and does not count. Default: 256 KiB and 256.
  std::size_t max_request_bytes = 256 * 1024;
  std::size_t max_parameters = 256;
  // When true, a request whose body is neither empty nor a form must carry oauth_body_hash (so
  // that the signature covers the body); refused with msg::kSignatureInvalid otherwise. An
  // oauth_body_hash that is present is always checked. Default: false.
  bool require_body_hash = false;
  // The exact length of consumer keys and access tokens; 0 accepts any length. Default: 32.
  std::size_t consumer_key_length = 32;
  std::size_t token_length = 32;
  // Nonces longer than this are refused. Default: 255 bytes.
  std::size_t max_nonce_length = 255;
};

// The protocol parameters of a request that passed OAuth1Verifier::read.
struct OAuthRequest {
  std::string consumer_key;
  std::string token;
  std::string signature_method;
  std::int64_t timestamp = 0;  // seconds since the epoch
  std::string nonce;
  std::string signature;             // base64, as sent
  std::optional<std::string> realm;  // from the Authorization header
  std::string base_string;           // what the signature must cover
  // What the OAuth Request Body Hash extension says of the body: kCovered when the signature
  // covers it (a form body, whose parameters are signed; an empty body; or an oauth_body_hash
  // that matches the body), kUncovered when nothing covers it (a non-empty non-form body without
  // oauth_body_hash), kMismatch when oauth_body_hash does not match the body.
  enum class Body { kCovered, kUncovered, kMismatch };
  Body body = Body::kCovered;
};

class CUSTAUTH_EXPORT OAuth1Verifier {
 public:
  // REQUIRES: storage and clock outlive the verifier.
  OAuth1Verifier(Storage& storage, const Clock& clock, OAuth1Options options = {});
  OAuth1Verifier(const OAuth1Verifier&) = delete;
  OAuth1Verifier& operator=(const OAuth1Verifier&) = delete;

  const OAuth1Options& options() const { return options_; }

  // Reads the protocol parameters of `request` and checks everything that needs no secret and no
  // clock: the caps (OAuth1Options), syntax, no duplicate oauth_* parameter (across header, query
  // and body), the six required parameters (oauth_consumer_key, oauth_token,
  // oauth_signature_method, oauth_timestamp, oauth_nonce, oauth_signature), oauth_version "1.0"
  // when present, the signature method, the lengths of the key and token, the timestamp's syntax;
  // and it compares oauth_body_hash, when present, with the body (OAuthRequest::body). Touches no
  // storage.
  Result<OAuthRequest> read(const HttpRequest& request) const;

  // kForbidden (oauth_msg::kTimestampRefused) when the request's timestamp is more than
  // timestamp_window from now, either way.
  Status check_timestamp(const OAuthRequest& request) const;

  // read() then check_timestamp().
  Result<OAuthRequest> parse(const HttpRequest& request) const;

  // Checks the signature of a read request in constant time, then its body (check_body).
  // kForbidden with msg::kSignatureInvalid when either fails. Touches no storage.
  Status check_signature(const OAuthRequest& request, std::string_view consumer_secret,
                         std::string_view token_secret) const;

  // kForbidden with msg::kSignatureInvalid when oauth_body_hash does not match the body, or when
  // require_body_hash is set and nothing covers the body. Part of check_signature; on its own it
  // tells a caller which of the two failed.
  Status check_body(const OAuthRequest& request) const;

  // Records the request's nonce for its consumer key until one second after its timestamp has
  // left the window. kForbidden (oauth_msg::kNonceUsed) for a replay; kStorage. Call it as soon
  // as check_signature and check_timestamp passed, before the caller's own checks, so that a
  // signed request refused later cannot be sent again.
  Status record_nonce(const OAuthRequest& request);

 private:
  Storage& storage_;
  const Clock& clock_;
  OAuth1Options options_;
};

}  // namespace custauth

#endif  // CUSTAUTH_OAUTH1_H_
