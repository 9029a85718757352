// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A small OAuth 1.0a (RFC 5849) signer, HMAC-SHA256 through OpenSSL: what the integration that
// calls the shop's exchangeExternalCustomerToken does. Parameters go in the Authorization header.
#ifndef CUSTAUTH_EXAMPLES_SHOP_CPP_OAUTH_SIGNER_H_
#define CUSTAUTH_EXAMPLES_SHOP_CPP_OAUTH_SIGNER_H_

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace shop {

struct OAuthCredentials {
  std::string consumer_key, consumer_secret, access_token, token_secret;
};

// RFC 3986 percent-encoding, as RFC 5849 §3.6 asks (unreserved characters stay).
inline std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string Base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// The Authorization header value for `method` `url` (no query, no form body), signed with
// HMAC-SHA256 at `timestamp` (seconds) with `nonce`.
inline std::string SignOAuth(const std::string& method, const std::string& url,
                             const OAuthCredentials& c, std::int64_t timestamp,
                             const std::string& nonce) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"oauth_consumer_key", c.consumer_key},    {"oauth_nonce", nonce},
      {"oauth_signature_method", "HMAC-SHA256"}, {"oauth_timestamp", std::to_string(timestamp)},
      {"oauth_token", c.access_token},           {"oauth_version", "1.0"}};
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : params) encoded.emplace_back(PercentEncode(k), PercentEncode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string normalized;
  for (const auto& [k, v] : encoded) {
    if (!normalized.empty()) normalized += '&';
    normalized += k + "=" + v;
  }
  const std::string base = method + "&" + PercentEncode(url) + "&" + PercentEncode(normalized);
  const std::string key = PercentEncode(c.consumer_secret) + "&" + PercentEncode(c.token_secret);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(base.data()), base.size(), mac, &mac_len);
  params.emplace_back("oauth_signature", Base64(mac, mac_len));
  std::string header = "OAuth ";
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) header += ", ";
    header += params[i].first + "=\"" + PercentEncode(params[i].second) + "\"";
  }
  return header;
}

}  // namespace shop

#endif  // CUSTAUTH_EXAMPLES_SHOP_CPP_OAUTH_SIGNER_H_
