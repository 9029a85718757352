// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/oauth1.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "crypto.h"
#include "internal.h"

namespace custauth {

namespace {

// RFC 3986 unreserved.
bool IsUnreserved(char c) { return internal::IsAsciiAlnumOr(c, "-._~"); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t'; }

// RFC 7230 tchar: what an auth-scheme, a parameter name and an unquoted value are made of.
bool IsTokenChar(char c) { return internal::IsAsciiAlnumOr(c, "!#$%&'*+-.^_`|~"); }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && AsciiLower(a) == AsciiLower(b);
}

// How a name or value from a request is quoted in a message: printable ASCII as it is, anything
// else percent-encoded, cut to 64 characters, so that a message is always valid UTF-8.
std::string Shown(std::string_view bytes) {
  constexpr std::size_t kMax = 64;
  const bool printable = std::all_of(bytes.begin(), bytes.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  std::string out = printable ? std::string(bytes.substr(0, kMax + 1)) : PercentEncode(bytes);
  if (out.size() > kMax) {
    out.resize(kMax);
    out += "...";
  }
  return out;
}

Status Malformed(std::string message) { return Status(Code::kInvalidInput, std::move(message)); }

// Decodes a header's parameter name or value, naming the parameter on failure.
Result<std::string> DecodeHeaderPart(std::string_view text, std::string_view what) {
  auto decoded = PercentDecode(text);
  if (!decoded.ok()) {
    return Malformed(
        fmt::format("The Authorization header's {} is not properly percent-encoded", what));
  }
  return decoded;
}

bool IsOAuthScheme(std::string_view header) {
  header = internal::Trim(header);
  if (header.size() < 5 || !EqualsIgnoreCase(header.substr(0, 5), "OAuth")) return false;
  return header.size() == 5 || IsAsciiSpace(header[5]);
}

// Parses the decimal digits of an oauth_timestamp. nullopt for anything else or an overflow.
std::optional<std::int64_t> ParseTimestamp(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;  // 12 digits reach the year 33658
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

Status TooManyParameters(std::size_t max_params) {
  return Malformed(fmt::format("The request has more than {} parameters", max_params));
}

bool IsFormContentType(std::string_view content_type) {
  std::string_view media =
      content_type.substr(0, std::min(content_type.find(';'), content_type.size()));
  return EqualsIgnoreCase(internal::Trim(media), "application/x-www-form-urlencoded");
}

// A URL without its fragment: '#' ends it wherever it appears (RFC 3986 3.5).
std::string_view WithoutFragment(std::string_view url) {
  return url.substr(0, std::min(url.find('#'), url.size()));
}

// ParseFormUrlEncoded, appending to `params`; kInvalidInput once `params` would hold more than
// `max_params`.
Status AppendFormUrlEncoded(std::string_view text, OAuthParams& params, std::size_t max_params) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    std::string pair(text.substr(start, end - start));
    start = end + 1;
    if (pair.empty()) continue;
    if (params.size() >= max_params) return TooManyParameters(max_params);
    std::replace(pair.begin(), pair.end(), '+', ' ');
    const std::size_t eq = pair.find('=');
    const std::string_view raw_name =
        std::string_view(pair).substr(0, eq == std::string::npos ? pair.size() : eq);
    const std::string_view raw_value =
        eq == std::string::npos ? std::string_view() : std::string_view(pair).substr(eq + 1);
    auto name = PercentDecode(raw_name);
    auto value = PercentDecode(raw_value);
    if (!name.ok() || !value.ok()) {
      return Malformed(
          fmt::format("The parameter \"{}\" is not properly percent-encoded", Shown(raw_name)));
    }
    params.push_back({std::move(name).value(), std::move(value).value()});
  }
  return Status::Ok();
}

// ParseAuthorizationHeader into `out`; kInvalidInput once out.params would hold more than
// `max_params`.
Status ParseHeaderInto(std::string_view value, OAuthAuthorization& out, std::size_t max_params) {
  std::string_view s = internal::Trim(value);
  if (!IsOAuthScheme(s)) return Malformed("The Authorization header does not use the OAuth scheme");
  std::size_t i = 5;
  std::unordered_set<std::string> seen;
  auto skip_space = [&] {
    while (i < s.size() && IsAsciiSpace(s[i])) ++i;
  };
  while (true) {
    // Empty list elements (",,") are allowed, as in RFC 7230's #rule.
    skip_space();
    while (i < s.size() && s[i] == ',') {
      ++i;
      skip_space();
    }
    if (i >= s.size()) break;
    const std::size_t name_start = i;
    while (i < s.size() && IsTokenChar(s[i])) ++i;
    if (i == name_start) {
      return Malformed(
          fmt::format("The Authorization header has an unexpected character at {}", name_start));
    }
    const std::string_view raw_name = s.substr(name_start, i - name_start);
    skip_space();
    if (i >= s.size() || s[i] != '=') {
      return Malformed(fmt::format("The Authorization header's parameter \"{}\" has no value",
                                   std::string(raw_name)));
    }
    ++i;
    skip_space();
    std::string_view raw_value;
    if (i < s.size() && s[i] == '"') {
      const std::size_t value_start = ++i;
      while (i < s.size() && s[i] != '"') {
        const auto c = static_cast<unsigned char>(s[i]);
        // Values are percent-encoded, so a quoted-pair or a control byte is never needed.
        if (c == '\\' || c < 0x20 || c == 0x7F) {
          return Malformed(fmt::format(
              "The Authorization header's parameter \"{}\" holds a character that must be "
              "percent-encoded",
              std::string(raw_name)));
        }
        ++i;
      }
      if (i >= s.size()) {
        return Malformed(fmt::format(
            "The Authorization header's parameter \"{}\" has an unterminated quoted value",
            std::string(raw_name)));
      }
      raw_value = s.substr(value_start, i - value_start);
      ++i;  // the closing quote
    } else {
      const std::size_t value_start = i;
      while (i < s.size() && IsTokenChar(s[i])) ++i;
      raw_value = s.substr(value_start, i - value_start);
    }
    skip_space();
    if (i < s.size() && s[i] != ',') {
      return Malformed(fmt::format(
          "The Authorization header has an unexpected character after the parameter \"{}\"",
          std::string(raw_name)));
    }
    auto name = DecodeHeaderPart(raw_name, "parameter name");
    if (!name.ok()) return name.status();
    auto decoded = DecodeHeaderPart(raw_value, fmt::format("\"{}\"", Shown(*name)));
    if (!decoded.ok()) return decoded.status();
    if (*name != "realm" && out.params.size() >= max_params) return TooManyParameters(max_params);
    if (!seen.insert(*name).second) {
      return Malformed(fmt::format(
          "The Authorization header has the parameter \"{}\" more than once", Shown(*name)));
    }
    if (*name == "realm") {
      out.realm = std::move(decoded).value();
    } else {
      out.params.push_back({std::move(name).value(), std::move(decoded).value()});
    }
  }
  return Status::Ok();
}

// CollectParameters into `params`, refusing more than `max_params`; the header's realm, when it
// has one, into `realm`.
Status Collect(const HttpRequest& request, std::size_t max_params, OAuthParams& params,
               std::optional<std::string>* realm) {
  const std::string_view url = WithoutFragment(request.url);
  if (const std::size_t q = url.find('?'); q != std::string_view::npos) {
    CUSTAUTH_RETURN_IF_ERROR(AppendFormUrlEncoded(url.substr(q + 1), params, max_params));
  }
  // The body is signed only when it is a form (RFC 5849 3.4.1.3.1).
  if (IsFormContentType(request.content_type)) {
    CUSTAUTH_RETURN_IF_ERROR(AppendFormUrlEncoded(request.body, params, max_params));
  }
  if (IsOAuthScheme(request.authorization)) {
    // The header's parameters go after the others, and count with them.
    OAuthAuthorization header;
    header.params = std::move(params);
    Status s = ParseHeaderInto(request.authorization, header, max_params);
    params = std::move(header.params);
    if (!s.ok()) return s;
    if (realm != nullptr) *realm = std::move(header.realm);
  }
  return Status::Ok();
}

// The SHA-1 digest of `bytes` (the body hash extension's digest).
std::string Sha1(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("custauth: SHA-1 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

// RFC 5849 3.4.1.1 from its three parts.
Result<std::string> BaseStringOf(std::string_view method, std::string_view uri,
                                 const OAuthParams& params) {
  if (method.empty()) return Malformed("The request method is empty");
  for (char c : method) {
    if (!IsTokenChar(c)) return Malformed("The request method is not a valid HTTP method");
  }
  std::string out = AsciiUpper(method);
  out.push_back('&');
  out.append(PercentEncode(uri));
  out.push_back('&');
  out.append(PercentEncode(NormalizeParameters(params)));
  return out;
}

}  // namespace

std::string PercentEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char c : bytes) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      internal::AppendHex(out, c, /*upper=*/true);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return Malformed("A '%' is not followed by two hexadecimal digits");
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return Malformed("A '%' is not followed by two hexadecimal digits");
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  return out;
}

Result<OAuthParams> ParseFormUrlEncoded(std::string_view text) {
  OAuthParams params;
  CUSTAUTH_RETURN_IF_ERROR(AppendFormUrlEncoded(text, params, kNoLimit));
  return params;
}

Result<OAuthAuthorization> ParseAuthorizationHeader(std::string_view value) {
  OAuthAuthorization out;
  CUSTAUTH_RETURN_IF_ERROR(ParseHeaderInto(value, out, kNoLimit));
  return out;
}

Result<std::string> BaseStringUri(std::string_view url) {
  const Status bad = Malformed("The request URL is not a valid absolute URL");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return bad;
  }
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return bad;
  const std::string scheme = AsciiLower(url.substr(0, colon));
  if (!(scheme[0] >= 'a' && scheme[0] <= 'z')) return bad;
  for (char c : scheme) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
      return bad;
    }
  }
  std::string_view rest = url.substr(colon + 3);
  rest = rest.substr(0, std::min(rest.find('#'), rest.size()));
  rest = rest.substr(0, std::min(rest.find('?'), rest.size()));
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, std::min(slash, rest.size()));
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return bad;
  // The host ends at the port's ':' (after any IPv6 literal's brackets).
  std::size_t port_colon = std::string_view::npos;
  if (authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad;
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad;
      port_colon = close + 1;
    }
  } else {
    port_colon = authority.find(':');
  }
  const std::string host = AsciiLower(authority.substr(0, std::min(port_colon, authority.size())));
  const std::string_view port_text =
      port_colon == std::string_view::npos ? std::string_view() : authority.substr(port_colon + 1);
  if (host.empty()) return bad;
  // The port as a number (RFC 3986 6.2.3): leading zeros dropped, empty means the default.
  std::string port;
  if (!port_text.empty()) {
    std::uint32_t number = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return bad;
      number = number * 10 + static_cast<std::uint32_t>(c - '0');
      if (number > 65535) return bad;
    }
    if (number == 0) return bad;
    port = std::to_string(number);
  }
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port.clear();
  std::string out = scheme;
  out += "://";
  out += host;
  if (!port.empty()) {
    out += ':';
    out += port;
  }
  out += path;
  return out;
}

Result<OAuthParams> CollectParameters(const HttpRequest& request) {
  OAuthParams all;
  CUSTAUTH_RETURN_IF_ERROR(Collect(request, kNoLimit, all, nullptr));
  return all;
}

std::string NormalizeParameters(OAuthParams params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& p : params) {
    if (p.name == "oauth_signature") continue;
    encoded.emplace_back(PercentEncode(p.name), PercentEncode(p.value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

Result<std::string> SignatureBaseString(const HttpRequest& request) {
  auto uri = BaseStringUri(request.url);
  if (!uri.ok()) return uri.status();
  auto params = CollectParameters(request);
  if (!params.ok()) return params.status();
  return BaseStringOf(request.method, *uri, *params);
}

Result<std::string> OAuthSignature(std::string_view method, std::string_view base_string,
                                   std::string_view consumer_secret,
                                   std::string_view token_secret) {
  std::string key = PercentEncode(consumer_secret);
  key.push_back('&');
  key.append(PercentEncode(token_secret));
  std::string mac;
  if (method == kOAuthHmacSha256) {
    mac = internal::HmacSha256Raw(key, base_string);
  } else if (method == kOAuthHmacSha1) {
    mac = internal::HmacSha1Raw(key, base_string);
  } else {
    return Status(Code::kUnsupported,
                  fmt::format("Signature method {} is not supported", Shown(method)));
  }
  return internal::Base64Encode(mac);
}

std::string OAuthBodyHash(std::string_view body) { return internal::Base64Encode(Sha1(body)); }

OAuth1Verifier::OAuth1Verifier(Storage& storage, const Clock& clock, OAuth1Options options)
    : storage_(storage), clock_(clock), options_(options) {}

namespace {

// The protocol parameters by name: each may appear once, wherever it is sent, and the required
// ones are there and not empty.
using ProtocolParams = std::unordered_map<std::string_view, const std::string*>;
Result<ProtocolParams> IndexProtocol(const OAuthParams& params) {
  ProtocolParams protocol;
  for (const auto& p : params) {
    if (p.name.rfind("oauth_", 0) != 0) continue;
    if (!protocol.emplace(p.name, &p.value).second) {
      return Malformed(
          fmt::format("The OAuth parameter \"{}\" is given more than once", Shown(p.name)));
    }
  }
  static constexpr std::string_view kRequired[] = {
      "oauth_consumer_key", "oauth_token", "oauth_signature_method",
      "oauth_timestamp",    "oauth_nonce", "oauth_signature"};
  for (std::string_view name : kRequired) {
    auto it = protocol.find(name);
    if (it == protocol.end() || it->second->empty()) {
      return Malformed(fmt::format("\"{}\" is required. Enter and try again.", std::string(name)));
    }
  }
  return protocol;
}

// The body: covered by the signature when it is a form or empty, or when oauth_body_hash matches
// it. A given hash is compared whatever the body (the draft forbids clients to send one with a
// form body; one that is sent must still be true).
OAuthRequest::Body BodyCoverage(const std::string* body_hash, std::string_view body, bool form) {
  if (body_hash != nullptr) {
    auto given = internal::Base64Decode(*body_hash);
    const bool match = given.has_value() && internal::ConstantTimeEquals(*given, Sha1(body));
    return match ? OAuthRequest::Body::kCovered : OAuthRequest::Body::kMismatch;
  }
  if (!form && !body.empty()) return OAuthRequest::Body::kUncovered;
  return OAuthRequest{}.body;
}

}  // namespace

Result<OAuthRequest> OAuth1Verifier::read(const HttpRequest& request) const {
  // The caps first, before a byte is parsed.
  const bool form = IsFormContentType(request.content_type);
  const std::size_t bytes =
      request.url.size() + request.authorization.size() + (form ? request.body.size() : 0);
  if (bytes > options_.max_request_bytes) {
    return Malformed(fmt::format(
        "The request's URL, Authorization header and form body exceed {} bytes together",
        options_.max_request_bytes));
  }
  auto uri = BaseStringUri(request.url);
  if (!uri.ok()) return uri.status();
  OAuthRequest out;
  OAuthParams params;
  CUSTAUTH_RETURN_IF_ERROR(Collect(request, options_.max_parameters, params, &out.realm));
  auto base = BaseStringOf(request.method, *uri, params);
  if (!base.ok()) return base.status();
  out.base_string = std::move(base).value();

  auto protocol = IndexProtocol(params);
  if (!protocol.ok()) return protocol.status();
  auto find = [&](std::string_view name) -> const std::string* {
    auto it = protocol->find(name);
    return it == protocol->end() ? nullptr : it->second;
  };
  if (const std::string* version = find("oauth_version"); version != nullptr && *version != "1.0") {
    return Status(Code::kUnsupported,
                  fmt::format("OAuth version \"{}\" is not supported", Shown(*version)));
  }
  out.signature_method = *find("oauth_signature_method");
  if (out.signature_method != kOAuthHmacSha1 && out.signature_method != kOAuthHmacSha256) {
    return Status(Code::kUnsupported,
                  fmt::format("Signature method {} is not supported", Shown(out.signature_method)));
  }
  out.consumer_key = *find("oauth_consumer_key");
  out.token = *find("oauth_token");
  if (options_.consumer_key_length != 0 &&
      out.consumer_key.size() != options_.consumer_key_length) {
    return Status(Code::kForbidden, oauth_msg::kConsumerKeyLength);
  }
  if (options_.token_length != 0 && out.token.size() != options_.token_length) {
    return Status(Code::kForbidden, oauth_msg::kTokenLength);
  }
  out.nonce = *find("oauth_nonce");
  if (out.nonce.size() > options_.max_nonce_length) {
    return Malformed("The oauth_nonce parameter is too long");
  }
  const auto timestamp = ParseTimestamp(*find("oauth_timestamp"));
  if (!timestamp.has_value() || *timestamp == 0) {
    return Malformed("The oauth_timestamp parameter must be a positive number of seconds");
  }
  out.timestamp = *timestamp;
  out.signature = *find("oauth_signature");
  out.body = BodyCoverage(find("oauth_body_hash"), request.body, form);
  return out;
}

Status OAuth1Verifier::check_timestamp(const OAuthRequest& request) const {
  // Accepted while |now - at| <= window; record_nonce keeps the nonce strictly longer.
  const TimeMs at = request.timestamp * kSecond;
  const TimeMs now = clock_.now();
  if (at > now + options_.timestamp_window || at < now - options_.timestamp_window) {
    return Status(Code::kForbidden, oauth_msg::kTimestampRefused);
  }
  return Status::Ok();
}

Result<OAuthRequest> OAuth1Verifier::parse(const HttpRequest& request) const {
  auto out = read(request);
  if (!out.ok()) return out;
  CUSTAUTH_RETURN_IF_ERROR(check_timestamp(*out));
  return out;
}

Status OAuth1Verifier::check_signature(const OAuthRequest& request,
                                       std::string_view consumer_secret,
                                       std::string_view token_secret) const {
  auto expected =
      OAuthSignature(request.signature_method, request.base_string, consumer_secret, token_secret);
  if (!expected.ok()) return expected.status();
  const Status invalid(Code::kForbidden, msg::kSignatureInvalid);
  // Compare the MACs themselves, so that the comparison's time depends on no secret byte.
  auto given = internal::Base64Decode(request.signature);
  auto want = internal::Base64Decode(*expected);
  if (!given.has_value() || !want.has_value() || given->size() != want->size()) return invalid;
  if (!internal::ConstantTimeEquals(*given, *want)) return invalid;
  return check_body(request);
}

Status OAuth1Verifier::check_body(const OAuthRequest& request) const {
  const bool covered =
      request.body == OAuthRequest::Body::kCovered ||
      (request.body == OAuthRequest::Body::kUncovered && !options_.require_body_hash);
  if (!covered) return Status(Code::kForbidden, msg::kSignatureInvalid);
  return Status::Ok();
}

Status OAuth1Verifier::record_nonce(const OAuthRequest& request) {
  // check_timestamp accepts the timestamp up to at + window inclusive; the nonce is live while
  // expires_at > now, so it must expire strictly later than that: one second later.
  const TimeMs expires_at = request.timestamp * kSecond + options_.timestamp_window + kSecond;
  Status s = storage_.insert_nonce(request.consumer_key, request.nonce, expires_at, clock_.now());
  if (s.code() == Code::kAlreadyExists) return Status(Code::kForbidden, oauth_msg::kNonceUsed);
  return s;
}

}  // namespace custauth
