// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// OAuth 1.0a (RFC 5849) on the server side: percent-encoding, the Authorization header, the
// signature base string and signatures (against the RFC's own examples and requests signed by
// oauthlib), and OAuth1Verifier's checks: timestamp window, nonces, methods, versions, lengths.
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "custauth/memory_storage.h"
#include "custauth/oauth1.h"
#include "test_util.h"

namespace oauth1_test {

using namespace custauth;
using custauth::testing::TempDir;

namespace {

// RFC 5849 section 1.2's photo-sharing example credentials.
constexpr char kRfcConsumerKey[] = "dpf43f3p2l4k3l03";
constexpr char kRfcConsumerSecret[] = "kd94hf93k423kf44";
constexpr char kRfcToken[] = "nnch734d00sl2jdk";
constexpr char kRfcTokenSecret[] = "pfkkdhi9sl3r4s00";

// Options for the RFC's 16-character credentials.
OAuth1Options AnyLength() {
  OAuth1Options o;
  o.consumer_key_length = 0;
  o.token_length = 0;
  return o;
}

struct Creds {
  std::string consumer_key = std::string(32, 'k');
  std::string consumer_secret = "consumer-secret";
  std::string token = std::string(32, 't');
  std::string token_secret = "token-secret";
};

// Signs `r` with an Authorization header built from `oauth` (the oauth_* parameters other than
// the signature), using custauth's own base string. Independent checks of the base string are
// the RFC vectors and the oauthlib vectors below.
void SignWithHeader(HttpRequest& r, const std::vector<OAuthParam>& oauth, const Creds& c,
                    std::string_view method) {
  std::string header = "OAuth realm=\"custauth\"";
  for (const auto& p : oauth) {
    header += ", " + PercentEncode(p.name) + "=\"" + PercentEncode(p.value) + "\"";
  }
  r.authorization = header;
  auto base = SignatureBaseString(r);
  REQUIRE(base.ok());
  auto sig = OAuthSignature(method, *base, c.consumer_secret, c.token_secret);
  REQUIRE(sig.ok());
  r.authorization += ", oauth_signature=\"" + PercentEncode(*sig) + "\"";
}

std::vector<OAuthParam> OAuthParamsFor(const Creds& c, std::int64_t timestamp,
                                       const std::string& nonce,
                                       const std::string& method = "HMAC-SHA256") {
  return {{"oauth_consumer_key", c.consumer_key},
          {"oauth_token", c.token},
          {"oauth_signature_method", method},
          {"oauth_timestamp", std::to_string(timestamp)},
          {"oauth_nonce", nonce},
          {"oauth_version", "1.0"}};
}

HttpRequest SignedRequest(const Creds& c, std::int64_t timestamp, const std::string& nonce,
                          const std::string& method = "HMAC-SHA256") {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://shop.example/graphql?store=default";
  r.content_type = "application/json";
  r.body = "{\"query\":\"mutation {}\"}";
  SignWithHeader(r, OAuthParamsFor(c, timestamp, nonce, method), c, method);
  return r;
}

struct VerifierFixture {
  std::shared_ptr<Storage> storage = MakeMemoryStorage();
  ManualClock clock{1748499421000};
  OAuth1Verifier verifier{*storage, clock};
  Creds creds;
  std::int64_t now_s() const { return clock.now() / 1000; }
};

}  // namespace

TEST_CASE("PercentEncode keeps only unreserved characters, with upper-case hex") {
  CHECK(PercentEncode("abcXYZ019-._~") == "abcXYZ019-._~");
  CHECK(PercentEncode("Hello Ladies + Gentlemen, a signed OAuth request!") ==
        "Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21");
  CHECK(PercentEncode("\xE2\x98\x83") == "%E2%98%83");
  CHECK(PercentEncode(std::string("a\0b", 3)) == "a%00b");
  CHECK(PercentEncode("*'()/?#[]@!$&=;:+,%") ==
        "%2A%27%28%29%2F%3F%23%5B%5D%40%21%24%26%3D%3B%3A%2B%2C%25");
  CHECK(PercentEncode("").empty());
  // Every byte value survives encode then decode.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  auto back = PercentDecode(PercentEncode(all));
  REQUIRE(back.ok());
  CHECK(*back == all);
}

TEST_CASE("PercentDecode is strict about '%' and leaves '+' alone") {
  CHECK(*PercentDecode("r%20b") == "r b");
  CHECK(*PercentDecode("%3d%3D") == "==");
  CHECK(*PercentDecode("a+b") == "a+b");
  CHECK(*PercentDecode("") == "");
  for (const char* bad : {"%", "%4", "abc%", "%zz", "%4g", "%%41", "a%2"}) {
    INFO(bad);
    auto r = PercentDecode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kInvalidInput);
  }
}

TEST_CASE("ParseFormUrlEncoded reads '+' as a space and keeps order and repeats") {
  auto p = ParseFormUrlEncoded("c2&a3=2+q&&a3=a&b5=%3D%253D&=x&");
  REQUIRE(p.ok());
  REQUIRE(p->size() == 5);
  CHECK((*p)[0] == OAuthParam{"c2", ""});
  CHECK((*p)[1] == OAuthParam{"a3", "2 q"});
  CHECK((*p)[2] == OAuthParam{"a3", "a"});
  CHECK((*p)[3] == OAuthParam{"b5", "=%3D"});
  CHECK((*p)[4] == OAuthParam{"", "x"});
  CHECK(ParseFormUrlEncoded("")->empty());
  auto bad = ParseFormUrlEncoded("a=1&b=%zz");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.code() == Code::kInvalidInput);
  CHECK(bad.status().message() == "The parameter \"b\" is not properly percent-encoded");
  // Names that are not printable ASCII are quoted percent-encoded in messages.
  auto odd = ParseFormUrlEncoded("\x01\xFF%=1");
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.status().message() == "The parameter \"%01%FF%25\" is not properly percent-encoded");
}

TEST_CASE("ParseAuthorizationHeader reads the RFC's header, realm apart") {
  auto h = ParseAuthorizationHeader(
      "OAuth realm=\"Example\",\n"
      "               oauth_consumer_key=\"9djdj82h48djs9d2\",\n"
      "               oauth_token=\"kkk9d7dh3k39sjv7\",\n"
      "               oauth_signature_method=\"HMAC-SHA1\",\n"
      "               oauth_timestamp=\"137131201\",\n"
      "               oauth_nonce=\"7d8f3e4a\",\n"
      "               oauth_signature=\"bYT5CMsGcbgUdFHObYMEfcx6bsw%3D\"");
  // The RFC prints the header folded; a real header value is one line. Folding is refused.
  REQUIRE_FALSE(h.ok());
  CHECK(h.code() == Code::kInvalidInput);

  h = ParseAuthorizationHeader(
      "OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", "
      "oauth_token=\"kkk9d7dh3k39sjv7\", oauth_signature_method=\"HMAC-SHA1\", "
      "oauth_timestamp=\"137131201\", oauth_nonce=\"7d8f3e4a\", "
      "oauth_signature=\"bYT5CMsGcbgUdFHObYMEfcx6bsw%3D\"");
  REQUIRE(h.ok());
  REQUIRE(h->realm.has_value());
  CHECK(*h->realm == "Example");
  REQUIRE(h->params.size() == 6);
  CHECK(h->params[0] == OAuthParam{"oauth_consumer_key", "9djdj82h48djs9d2"});
  CHECK(h->params[5] == OAuthParam{"oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw="});
}

TEST_CASE("ParseAuthorizationHeader edge cases") {
  SECTION("scheme in any case, loose whitespace, empty list elements, token values") {
    auto h = ParseAuthorizationHeader(
        "  oauth   oauth_nonce = \"a%20b\" ,, ,oauth_timestamp=123,\toauth_token=\"\"  ");
    REQUIRE(h.ok());
    CHECK_FALSE(h->realm.has_value());
    REQUIRE(h->params.size() == 3);
    CHECK(h->params[0] == OAuthParam{"oauth_nonce", "a b"});
    CHECK(h->params[1] == OAuthParam{"oauth_timestamp", "123"});
    CHECK(h->params[2] == OAuthParam{"oauth_token", ""});
  }
  SECTION("just the scheme") {
    auto h = ParseAuthorizationHeader("OAuth");
    REQUIRE(h.ok());
    CHECK(h->params.empty());
  }
  SECTION("an empty realm is still a realm, and never a parameter") {
    auto h = ParseAuthorizationHeader("OAuth realm=\"\", oauth_nonce=\"x\"");
    REQUIRE(h.ok());
    REQUIRE(h->realm.has_value());
    CHECK(h->realm->empty());
    REQUIRE(h->params.size() == 1);
  }
  SECTION("refusals") {
    struct Case {
      const char* header;
      const char* message;
    };
    const Case cases[] = {
        {"Bearer abc", "The Authorization header does not use the OAuth scheme"},
        {"OAuthx a=\"b\"", "The Authorization header does not use the OAuth scheme"},
        {"", "The Authorization header does not use the OAuth scheme"},
        {"OAuth oauth_nonce=\"a\", oauth_nonce=\"b\"",
         "The Authorization header has the parameter \"oauth_nonce\" more than once"},
        {"OAuth realm=\"a\", realm=\"b\"",
         "The Authorization header has the parameter \"realm\" more than once"},
        // A name encoded two ways is still the same parameter.
        {"OAuth oauth_nonce=\"a\", oauth%5Fnonce=\"b\"",
         "The Authorization header has the parameter \"oauth_nonce\" more than once"},
        {"OAuth oauth_nonce=\"a%zz\"",
         "The Authorization header's \"oauth_nonce\" is not properly percent-encoded"},
        {"OAuth oauth_nonce=\"a%2\"",
         "The Authorization header's \"oauth_nonce\" is not properly percent-encoded"},
        {"OAuth oauth_nonce=\"abc",
         "The Authorization header's parameter \"oauth_nonce\" has an unterminated quoted value"},
        {"OAuth oauth_nonce", "The Authorization header's parameter \"oauth_nonce\" has no value"},
        {"OAuth oauth_nonce=\"a\" oauth_token=\"b\"",
         "The Authorization header has an unexpected character after the parameter "
         "\"oauth_nonce\""},
        {"OAuth oauth_nonce=\"a\\\"b\"",
         "The Authorization header's parameter \"oauth_nonce\" holds a character that must be "
         "percent-encoded"},
        {"OAuth =\"a\"", "The Authorization header has an unexpected character at 6"},
    };
    for (const auto& c : cases) {
      INFO(c.header);
      auto h = ParseAuthorizationHeader(c.header);
      REQUIRE_FALSE(h.ok());
      CHECK(h.code() == Code::kInvalidInput);
      CHECK(h.status().message() == c.message);
    }
  }
}

TEST_CASE("BaseStringUri per RFC 5849 3.4.1.2") {
  CHECK(*BaseStringUri("http://EXAMPLE.COM:80/r%20v/X?id=123") == "http://example.com/r%20v/X");
  CHECK(*BaseStringUri("https://www.example.net:8080/?q=1") == "https://www.example.net:8080/");
  CHECK(*BaseStringUri("HTTPS://Example.com:443") == "https://example.com/");
  CHECK(*BaseStringUri("https://example.com:80/a") == "https://example.com:80/a");
  CHECK(*BaseStringUri("http://example.com:443/a") == "http://example.com:443/a");
  CHECK(*BaseStringUri("http://example.com/a#frag") == "http://example.com/a");
  CHECK(*BaseStringUri("http://example.com#frag") == "http://example.com/");
  CHECK(*BaseStringUri("http://[::1]:8080/graphql") == "http://[::1]:8080/graphql");
  CHECK(*BaseStringUri("http://[::1]:80/graphql") == "http://[::1]/graphql");
  CHECK(*BaseStringUri("http://example.com:/a") == "http://example.com/a");
  for (const char* bad :
       {"/graphql", "example.com/graphql", "://example.com/", "http://user:pw@example.com/",
        "http://exa mple.com/", "http://example.com:8a/", "http:///path", "http://[::1/",
        "http://[::1]x/", "1http://example.com/", "http://example.com/\n"}) {
    INFO(bad);
    auto r = BaseStringUri(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kInvalidInput);
    CHECK(r.status().message() == "The request URL is not a valid absolute URL");
  }
}

TEST_CASE("RFC 5849 3.4.1.1's example base string, byte for byte") {
  HttpRequest r;
  r.method = "post";  // upper-cased in the base string
  r.url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
  r.content_type = "application/x-www-form-urlencoded";
  r.body = "c2&a3=2+q";
  r.authorization =
      "OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", "
      "oauth_token=\"kkk9d7dh3k39sjv7\", oauth_signature_method=\"HMAC-SHA1\", "
      "oauth_timestamp=\"137131201\", oauth_nonce=\"7d8f3e4a\", "
      "oauth_signature=\"bYT5CMsGcbgUdFHObYMEfcx6bsw%3D\"";
  const std::string expected =
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
      "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
      "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
      "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
      "9d7dh3k39sjv7";
  auto base = SignatureBaseString(r);
  REQUIRE(base.ok());
  CHECK(*base == expected);

  // Its parameters (3.4.1.3.2's normalized form).
  auto params = CollectParameters(r);
  REQUIRE(params.ok());
  CHECK(NormalizeParameters(*params) ==
        "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&"
        "oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&"
        "oauth_token=kkk9d7dh3k39sjv7");

  SECTION("a body that is not a form is not signed") {
    r.content_type = "application/json";
    auto other = SignatureBaseString(r);
    REQUIRE(other.ok());
    CHECK(other->find("c2") == std::string::npos);
  }
  SECTION("the form media type is matched without case and parameters") {
    r.content_type = "Application/X-WWW-Form-URLEncoded; charset=utf-8";
    CHECK(*SignatureBaseString(r) == expected);
  }
}

TEST_CASE("RFC 5849 1.2's photos request and OAuth Core 1.0 A.5.2's signature") {
  HttpRequest r;
  r.method = "GET";
  r.url = "http://photos.example.net/photos?file=vacation.jpg&size=original";

  SECTION("RFC 5849 1.2: MdpQcU8iPSUjWoN/UDMsK2sui9I=") {
    r.authorization =
        "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
        "oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", "
        "oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", "
        "oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"";
    auto base = SignatureBaseString(r);
    REQUIRE(base.ok());
    CHECK(*base ==
          "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%"
          "3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%"
          "26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
    auto sig = OAuthSignature(kOAuthHmacSha1, *base, kRfcConsumerSecret, kRfcTokenSecret);
    REQUIRE(sig.ok());
    CHECK(*sig == "MdpQcU8iPSUjWoN/UDMsK2sui9I=");

    // And the verifier accepts the request at its time, with the RFC's short credentials.
    auto storage = MakeMemoryStorage();
    ManualClock clock(137131202 * kSecond);
    OAuth1Verifier v(*storage, clock, AnyLength());
    auto parsed = v.parse(r);
    REQUIRE(parsed.ok());
    CHECK(parsed->consumer_key == kRfcConsumerKey);
    CHECK(parsed->token == kRfcToken);
    CHECK(parsed->timestamp == 137131202);
    CHECK(parsed->nonce == "chapoH");
    REQUIRE(parsed->realm.has_value());
    CHECK(*parsed->realm == "Photos");
    CHECK(v.check_signature(*parsed, kRfcConsumerSecret, kRfcTokenSecret).ok());
    Status wrong = v.check_signature(*parsed, kRfcConsumerSecret, "pfkkdhi9sl3r4s01");
    CHECK(wrong.code() == Code::kForbidden);
    CHECK(wrong.message() == msg::kSignatureInvalid);
    // With the default options the 16-character credentials are refused.
    OAuth1Verifier strict(*storage, clock);
    auto refused = strict.parse(r);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == Code::kForbidden);
    CHECK(refused.status().message() == oauth_msg::kConsumerKeyLength);
  }
  SECTION("OAuth Core 1.0 A.5.2: tR3+Ty81lMeYAr/Fid0kMTYa/WM=") {
    r.authorization =
        "OAuth realm=\"http://photos.example.net/\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
        "oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", "
        "oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\", "
        "oauth_timestamp=\"1191242096\", oauth_nonce=\"kllo9940pd9333jh\", oauth_version=\"1.0\"";
    auto base = SignatureBaseString(r);
    REQUIRE(base.ok());
    CHECK(*base ==
          "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%"
          "3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-"
          "SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%"
          "3D1.0%26size%3Doriginal");
    auto sig = OAuthSignature(kOAuthHmacSha1, *base, kRfcConsumerSecret, kRfcTokenSecret);
    REQUIRE(sig.ok());
    CHECK(*sig == "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
  }
  SECTION("HMAC-SHA256 over the same request (value from Python's hmac)") {
    const std::string base =
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%"
        "3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA256%"
        "26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal";
    auto sig = OAuthSignature(kOAuthHmacSha256, base, kRfcConsumerSecret, kRfcTokenSecret);
    REQUIRE(sig.ok());
    CHECK(*sig == "HtMwoX2zenlFjgGg/SNEoKEQmL7CzxYFEKzs7er044Y=");
  }
  SECTION("other methods are unsupported") {
    for (const char* m : {"PLAINTEXT", "RSA-SHA1", "hmac-sha1", "HMAC-SHA512", ""}) {
      auto sig = OAuthSignature(m, "x", "a", "b");
      REQUIRE_FALSE(sig.ok());
      CHECK(sig.code() == Code::kUnsupported);
      CHECK(sig.status().message() == std::string("Signature method ") + m + " is not supported");
    }
  }
}

TEST_CASE("Requests signed by oauthlib verify (recorded vectors)") {
  auto storage = MakeMemoryStorage();
  ManualClock clock(137131202 * kSecond);
  OAuth1Verifier v(*storage, clock, AnyLength());

  SECTION("HMAC-SHA256, Authorization header, realm") {
    HttpRequest r;
    r.method = "GET";
    r.url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    r.authorization =
        "OAuth realm=\"Photos\", oauth_nonce=\"chapoH\", oauth_timestamp=\"137131202\", "
        "oauth_version=\"1.0\", oauth_signature_method=\"HMAC-SHA256\", "
        "oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"nnch734d00sl2jdk\", "
        "oauth_signature=\"rAAvYu1BQL0v7E7CJl81nKGKZdQr4XFo7E7vbGJxPz4%3D\"";
    auto p = v.parse(r);
    REQUIRE(p.ok());
    CHECK(v.check_signature(*p, kRfcConsumerSecret, kRfcTokenSecret).ok());
  }
  SECTION("HMAC-SHA1, header, form body, default port, encoded path, non-ASCII query") {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://Shop.Example:443/graph%20ql?a=1&b=%E2%98%83&c=x+y";
    r.content_type = "application/x-www-form-urlencoded";
    r.body = "z=%7E%21&a=2";
    r.authorization =
        "OAuth oauth_nonce=\"n0nce\", oauth_timestamp=\"137131202\", oauth_version=\"1.0\", "
        "oauth_signature_method=\"HMAC-SHA1\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
        "oauth_token=\"nnch734d00sl2jdk\", oauth_signature=\"QVwDPQjaDnG6QIHmsTHSfgQs9Ag%3D\"";
    auto p = v.parse(r);
    REQUIRE(p.ok());
    CHECK(v.check_signature(*p, kRfcConsumerSecret, kRfcTokenSecret).ok());
    // Any change to a signed part breaks it.
    for (int i = 0; i < 4; ++i) {
      HttpRequest t = r;
      if (i == 0) t.method = "PUT";
      if (i == 1) t.url = "https://shop.example/graph%20ql?a=1&b=%E2%98%83&c=x+z";
      if (i == 2) t.body = "z=%7E%21&a=3";
      if (i == 3) t.url = "https://shop.example/graphql?a=1&b=%E2%98%83&c=x+y";
      auto tp = v.parse(t);
      REQUIRE(tp.ok());
      Status s = v.check_signature(*tp, kRfcConsumerSecret, kRfcTokenSecret);
      CHECK(s.code() == Code::kForbidden);
      CHECK(s.message() == msg::kSignatureInvalid);
    }
  }
  SECTION("HMAC-SHA256, parameters in the query string") {
    HttpRequest r;
    r.method = "GET";
    r.url =
        "http://shop.example:8080/graphql?q=1&oauth_nonce=n0nce&oauth_timestamp=137131202&"
        "oauth_version=1.0&oauth_signature_method=HMAC-SHA256&oauth_consumer_key="
        "dpf43f3p2l4k3l03&oauth_token=nnch734d00sl2jdk&oauth_signature="
        "rT6viGGbdh53Mu%2B7LhESJrMCkOWmgZk28cna9X5x2L0%3D";
    auto p = v.parse(r);
    REQUIRE(p.ok());
    CHECK_FALSE(p->realm.has_value());
    CHECK(v.check_signature(*p, kRfcConsumerSecret, kRfcTokenSecret).ok());
    CHECK(v.check_signature(*p, kRfcTokenSecret, kRfcConsumerSecret).code() == Code::kForbidden);
  }
  SECTION("HMAC-SHA256, JSON body with oauth_body_hash, port 0443") {
    // oauthlib adds oauth_body_hash (base64 SHA-1 of the body) to a non-form body, and drops the
    // port 0443 from the signed URL as the default port of https.
    HttpRequest r;
    r.method = "POST";
    r.url = "https://shop.example:0443/graphql";
    r.content_type = "application/json";
    r.body = R"({"input":{"customer":{"email":"roni_cost@example.com"}}})";
    r.authorization =
        "OAuth oauth_nonce=\"b0dyh4sh\", oauth_timestamp=\"137131202\", oauth_version=\"1.0\", "
        "oauth_signature_method=\"HMAC-SHA256\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
        "oauth_token=\"nnch734d00sl2jdk\", oauth_body_hash=\"nwHy12vyV9B0HL1vzIPiGagmUto%3D\", "
        "oauth_signature=\"XX7PovxbeDHvbAFAuwpOk0DgAVKPmIvkzvGXCADvDYQ%3D\"";
    CHECK(OAuthBodyHash(r.body) == "nwHy12vyV9B0HL1vzIPiGagmUto=");
    CHECK(OAuthBodyHash("") == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    auto p = v.parse(r);
    REQUIRE(p.ok());
    CHECK(p->body == OAuthRequest::Body::kCovered);
    CHECK(v.check_signature(*p, kRfcConsumerSecret, kRfcTokenSecret).ok());
    // The same header with another body: the HMAC still matches, the body hash does not.
    HttpRequest swapped = r;
    swapped.body = R"({"input":{"customer":{"email":"victim@example.com"}}})";
    auto q = v.parse(swapped);
    REQUIRE(q.ok());
    CHECK(q->body == OAuthRequest::Body::kMismatch);
    CHECK(v.check_body(*q).message() == msg::kSignatureInvalid);
    Status s = v.check_signature(*q, kRfcConsumerSecret, kRfcTokenSecret);
    CHECK(s.code() == Code::kForbidden);
    CHECK(s.message() == msg::kSignatureInvalid);
  }
  SECTION("HMAC-SHA1, a '?' in the fragment is not a query") {
    // oauthlib signed https://shop.example/graphql#?a=1 over the URL without a query.
    HttpRequest r;
    r.method = "GET";
    r.url = "https://shop.example/graphql#?a=1";
    r.authorization =
        "OAuth oauth_nonce=\"fr4gment\", oauth_timestamp=\"137131202\", oauth_version=\"1.0\", "
        "oauth_signature_method=\"HMAC-SHA1\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
        "oauth_token=\"nnch734d00sl2jdk\", oauth_signature=\"1gYyaU3catj6mnTmcBd9QoP4dqw%3D\"";
    auto p = v.parse(r);
    REQUIRE(p.ok());
    CHECK(v.check_signature(*p, kRfcConsumerSecret, kRfcTokenSecret).ok());
    auto params = CollectParameters(r);
    REQUIRE(params.ok());
    for (const auto& param : *params) CHECK(param.name != "a");
  }
}

TEST_CASE("OAuth1Verifier: timestamps within 600 s either way") {
  VerifierFixture f;
  const std::int64_t now = f.now_s();
  for (std::int64_t delta : {-600, -1, 0, 1, 600}) {
    INFO(delta);
    auto p = f.verifier.parse(SignedRequest(f.creds, now + delta, "n" + std::to_string(delta)));
    REQUIRE(p.ok());
    CHECK(f.verifier.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).ok());
  }
  for (std::int64_t delta : {-601, 601, -86400, 86400}) {
    INFO(delta);
    auto p = f.verifier.parse(SignedRequest(f.creds, now + delta, "m"));
    REQUIRE_FALSE(p.ok());
    CHECK(p.code() == Code::kForbidden);
    CHECK(p.status().message() == oauth_msg::kTimestampRefused);
  }
  SECTION("the window is configurable") {
    OAuth1Options o;
    o.timestamp_window = 30 * kSecond;
    OAuth1Verifier narrow(*f.storage, f.clock, o);
    CHECK(narrow.parse(SignedRequest(f.creds, now - 30, "a")).ok());
    CHECK(narrow.parse(SignedRequest(f.creds, now - 31, "b")).code() == Code::kForbidden);
    CHECK(narrow.parse(SignedRequest(f.creds, now + 31, "c")).code() == Code::kForbidden);
  }
  SECTION("a timestamp that is not a positive number is malformed") {
    for (const char* ts : {"abc", "-5", "0", "1e9", " 1", "1748499421.5", "9999999999999"}) {
      INFO(ts);
      HttpRequest r;
      r.method = "GET";
      r.url = "https://shop.example/";
      auto params = OAuthParamsFor(f.creds, 0, "x");
      params[3].value = ts;
      SignWithHeader(r, params, f.creds, kOAuthHmacSha256);
      auto p = f.verifier.parse(r);
      REQUIRE_FALSE(p.ok());
      CHECK(p.code() == Code::kInvalidInput);
      CHECK(p.status().message() ==
            "The oauth_timestamp parameter must be a positive number of seconds");
    }
  }
}

TEST_CASE("OAuth1Verifier: nonces are single-use per consumer within the window") {
  VerifierFixture f;
  auto p = f.verifier.parse(SignedRequest(f.creds, f.now_s(), "abc"));
  REQUIRE(p.ok());
  REQUIRE(f.verifier.record_nonce(*p).ok());
  Status replay = f.verifier.record_nonce(*p);
  CHECK(replay.code() == Code::kForbidden);
  CHECK(replay.message() == oauth_msg::kNonceUsed);
  // The same nonce with a new timestamp is still a replay while the first is live.
  f.clock.advance(10 * kSecond);
  auto again = f.verifier.parse(SignedRequest(f.creds, f.now_s(), "abc"));
  REQUIRE(again.ok());
  CHECK(f.verifier.record_nonce(*again).code() == Code::kForbidden);
  // Another consumer may use the same nonce.
  Creds other = f.creds;
  other.consumer_key = std::string(32, 'o');
  auto theirs = f.verifier.parse(SignedRequest(other, f.now_s(), "abc"));
  REQUIRE(theirs.ok());
  CHECK(f.verifier.record_nonce(*theirs).ok());
  // Once the first timestamp has left the window, its nonce may come back (with a fresh
  // timestamp: the old request itself is refused for its timestamp).
  f.clock.advance(600 * kSecond);
  CHECK(f.verifier.parse(SignedRequest(f.creds, f.now_s() - 610, "abc")).code() ==
        Code::kForbidden);
  auto later = f.verifier.parse(SignedRequest(f.creds, f.now_s(), "abc"));
  REQUIRE(later.ok());
  CHECK(f.verifier.record_nonce(*later).ok());
}

TEST_CASE("OAuth1Verifier: nonces across processes' storage (sqlite)") {
  TempDir dir;
  auto storage = testing::MakeStorage("sqlite", dir);
  ManualClock clock(1748499421000);
  OAuth1Verifier v(*storage, clock);
  Creds c;
  auto p = v.parse(SignedRequest(c, clock.now() / 1000, "nonce-1"));
  REQUIRE(p.ok());
  CHECK(v.record_nonce(*p).ok());
  // A second verifier on the same file sees it.
  auto storage2 = testing::MakeStorage("sqlite", dir);
  OAuth1Verifier v2(*storage2, clock);
  CHECK(v2.record_nonce(*p).code() == Code::kForbidden);
}

TEST_CASE("OAuth1Verifier: wrong secret, wrong token, methods, versions, lengths") {
  VerifierFixture f;
  const std::int64_t now = f.now_s();

  SECTION("wrong consumer secret or token secret") {
    auto p = f.verifier.parse(SignedRequest(f.creds, now, "n"));
    REQUIRE(p.ok());
    CHECK(f.verifier.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).ok());
    const std::vector<std::pair<std::string, std::string>> wrong = {
        {"consumer-secreT", "token-secret"},
        {"consumer-secret", "token-secreT"},
        {"", ""},
        {"token-secret", "consumer-secret"}};
    for (const auto& [cs, ts] : wrong) {
      Status s = f.verifier.check_signature(*p, cs, ts);
      CHECK(s.code() == Code::kForbidden);
      CHECK(s.message() == msg::kSignatureInvalid);
    }
  }
  SECTION("a signature made for another token does not verify") {
    HttpRequest r = SignedRequest(f.creds, now, "n");
    const std::string other(32, 'u');
    const auto pos = r.authorization.find(f.creds.token);
    REQUIRE(pos != std::string::npos);
    r.authorization =
        r.authorization.substr(0, pos) + other + r.authorization.substr(pos + other.size());
    auto p = f.verifier.parse(r);
    REQUIRE(p.ok());
    CHECK(p->token == other);
    CHECK(f.verifier.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).code() ==
          Code::kForbidden);
  }
  SECTION("a signature that is not base64, or too short, is invalid") {
    for (const char* sig : {"%21%21%21", "AAAA", "bm90IGEgc2lnbmF0dXJl"}) {
      HttpRequest r;
      r.method = "GET";
      r.url = "https://shop.example/";
      SignWithHeader(r, OAuthParamsFor(f.creds, now, "n"), f.creds, kOAuthHmacSha256);
      const auto pos = r.authorization.find("oauth_signature=\"");
      r.authorization = r.authorization.substr(0, pos) + "oauth_signature=\"" + sig + "\"";
      auto p = f.verifier.parse(r);
      REQUIRE(p.ok());
      CHECK(
          f.verifier.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).message() ==
          msg::kSignatureInvalid);
    }
  }
  SECTION("HMAC-SHA1 is accepted too") {
    auto p = f.verifier.parse(SignedRequest(f.creds, now, "n", "HMAC-SHA1"));
    REQUIRE(p.ok());
    CHECK(p->signature_method == kOAuthHmacSha1);
    CHECK(f.verifier.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).ok());
  }
  SECTION("unsupported signature methods") {
    for (const char* m : {"PLAINTEXT", "RSA-SHA1", "HMAC-MD5", "hmac-sha256"}) {
      HttpRequest r;
      r.method = "GET";
      r.url = "https://shop.example/";
      auto params = OAuthParamsFor(f.creds, now, "n", m);
      SignWithHeader(r, params, f.creds, kOAuthHmacSha256);
      auto p = f.verifier.parse(r);
      REQUIRE_FALSE(p.ok());
      CHECK(p.code() == Code::kUnsupported);
      CHECK(p.status().message() == std::string("Signature method ") + m + " is not supported");
    }
  }
  SECTION("oauth_version must be 1.0 when present") {
    HttpRequest r;
    r.method = "GET";
    r.url = "https://shop.example/";
    auto params = OAuthParamsFor(f.creds, now, "n");
    params[5].value = "2.0";
    SignWithHeader(r, params, f.creds, kOAuthHmacSha256);
    auto p = f.verifier.parse(r);
    REQUIRE_FALSE(p.ok());
    CHECK(p.code() == Code::kUnsupported);
    CHECK(p.status().message() == "OAuth version \"2.0\" is not supported");
    // Absent is fine.
    params.pop_back();
    SignWithHeader(r, params, f.creds, kOAuthHmacSha256);
    auto ok = f.verifier.parse(r);
    REQUIRE(ok.ok());
    CHECK(f.verifier.check_signature(*ok, f.creds.consumer_secret, f.creds.token_secret).ok());
  }
  SECTION("consumer keys and tokens are exactly 32 characters") {
    for (std::size_t n : {31, 33, 1}) {
      Creds c = f.creds;
      c.consumer_key = std::string(n, 'k');
      auto p = f.verifier.parse(SignedRequest(c, now, "n"));
      REQUIRE_FALSE(p.ok());
      CHECK(p.code() == Code::kForbidden);
      CHECK(p.status().message() == oauth_msg::kConsumerKeyLength);
      c = f.creds;
      c.token = std::string(n, 't');
      p = f.verifier.parse(SignedRequest(c, now, "n"));
      REQUIRE_FALSE(p.ok());
      CHECK(p.code() == Code::kForbidden);
      CHECK(p.status().message() == oauth_msg::kTokenLength);
    }
  }
  SECTION("each required parameter, missing or empty") {
    for (const char* name : {"oauth_consumer_key", "oauth_token", "oauth_signature_method",
                             "oauth_timestamp", "oauth_nonce", "oauth_signature"}) {
      for (bool empty : {false, true}) {
        INFO(name << (empty ? " empty" : " missing"));
        HttpRequest r = SignedRequest(f.creds, now, "n");
        auto h = ParseAuthorizationHeader(r.authorization);
        REQUIRE(h.ok());
        std::string header = "OAuth ";
        for (const auto& p : h->params) {
          if (p.name == name && !empty) continue;
          header += p.name + "=\"" + (p.name == name ? "" : PercentEncode(p.value)) + "\", ";
        }
        r.authorization = header;
        auto p = f.verifier.parse(r);
        REQUIRE_FALSE(p.ok());
        CHECK(p.code() == Code::kInvalidInput);
        CHECK(p.status().message() ==
              std::string("\"") + name + "\" is required. Enter and try again.");
      }
    }
  }
  SECTION("no Authorization header and no parameters") {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://shop.example/graphql";
    auto p = f.verifier.parse(r);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().message() == "\"oauth_consumer_key\" is required. Enter and try again.");
    r.authorization = "Bearer abc";  // not OAuth: ignored
    CHECK(f.verifier.parse(r).status().message() ==
          "\"oauth_consumer_key\" is required. Enter and try again.");
  }
  SECTION("a protocol parameter sent twice, in two places, is refused") {
    HttpRequest r = SignedRequest(f.creds, now, "n");
    r.url += "&oauth_nonce=other";
    auto p = f.verifier.parse(r);
    REQUIRE_FALSE(p.ok());
    CHECK(p.code() == Code::kInvalidInput);
    CHECK(p.status().message() == "The OAuth parameter \"oauth_nonce\" is given more than once");
    HttpRequest b = SignedRequest(f.creds, now, "n");
    b.content_type = "application/x-www-form-urlencoded";
    b.body = "oauth_token=" + f.creds.token;
    CHECK(f.verifier.parse(b).status().message() ==
          "The OAuth parameter \"oauth_token\" is given more than once");
    // Non-protocol parameters may repeat (RFC 5849's own example repeats a3).
    HttpRequest q = SignedRequest(f.creds, now, "n");
    q.url += "&store=other";
    CHECK(f.verifier.parse(q).ok());
  }
  SECTION("bad percent-encoding anywhere is malformed") {
    HttpRequest r = SignedRequest(f.creds, now, "n");
    r.url += "&x=%G1";
    CHECK(f.verifier.parse(r).code() == Code::kInvalidInput);
    HttpRequest b = SignedRequest(f.creds, now, "n");
    b.content_type = "application/x-www-form-urlencoded";
    b.body = "a=%";
    CHECK(f.verifier.parse(b).code() == Code::kInvalidInput);
    HttpRequest h = SignedRequest(f.creds, now, "n");
    h.authorization += ", x=\"%\"";
    CHECK(f.verifier.parse(h).code() == Code::kInvalidInput);
  }
  SECTION("a bad URL or method is malformed") {
    HttpRequest r = SignedRequest(f.creds, now, "n");
    r.url = "/graphql";
    CHECK(f.verifier.parse(r).code() == Code::kInvalidInput);
    r = SignedRequest(f.creds, now, "n");
    r.method = "";
    CHECK(f.verifier.parse(r).status().message() == "The request method is empty");
    r.method = "GE T";
    CHECK(f.verifier.parse(r).status().message() ==
          "The request method is not a valid HTTP method");
  }
  SECTION("an over-long nonce is malformed") {
    auto p = f.verifier.parse(SignedRequest(f.creds, now, std::string(256, 'n')));
    REQUIRE_FALSE(p.ok());
    CHECK(p.code() == Code::kInvalidInput);
    CHECK(f.verifier.parse(SignedRequest(f.creds, now, std::string(255, 'n'))).ok());
  }
  SECTION("messages quote odd bytes percent-encoded") {
    HttpRequest r;
    r.method = "GET";
    r.url = "https://shop.example/";
    auto params = OAuthParamsFor(f.creds, now, "n", "\xFF\x01");
    SignWithHeader(r, params, f.creds, kOAuthHmacSha256);
    CHECK(f.verifier.parse(r).status().message() == "Signature method %FF%01 is not supported");
  }
}

TEST_CASE("BaseStringUri: the port as RFC 3986 normalises it, the fragment ends the URL") {
  const std::pair<const char*, const char*> good[] = {
      {"https://h:0443/p", "https://h/p"},
      {"http://h:080/p", "http://h/p"},
      {"https://h:08443/p", "https://h:8443/p"},
      {"https://h:/p", "https://h/p"},
      {"http://h:443/p", "http://h:443/p"},
      {"https://h:65535/p", "https://h:65535/p"},
      {"https://h/p#?a=1", "https://h/p"},
      {"https://h#/x?a", "https://h/"},
      {"https://h:00000000000000000443/p", "https://h/p"}};
  for (const auto& [url, want] : good) {
    INFO(url);
    auto got = BaseStringUri(url);
    REQUIRE(got.ok());
    CHECK(*got == want);
  }
  for (const char* url : {"https://h:0/p", "https://h:00/p", "https://h:65536/p",
                          "https://h:99999999999999999999/p", "https://h:44a/p"}) {
    INFO(url);
    CHECK(BaseStringUri(url).code() == Code::kInvalidInput);
  }
  // The query is read before the fragment only.
  HttpRequest r;
  r.method = "GET";
  r.url = "https://h/p?b=2#?a=1&c=3";
  auto params = CollectParameters(r);
  REQUIRE(params.ok());
  CHECK(*params == OAuthParams{{"b", "2"}});
}

TEST_CASE("OAuth1Verifier: a nonce lives as long as its timestamp is accepted") {
  VerifierFixture f;
  const std::int64_t now = f.now_s();
  SECTION("a timestamp exactly at the window's past edge") {
    auto p = f.verifier.parse(SignedRequest(f.creds, now - 600, "edge"));
    REQUIRE(p.ok());
    REQUIRE(f.verifier.record_nonce(*p).ok());
    CHECK(f.verifier.record_nonce(*p).code() == Code::kForbidden);
  }
  SECTION("every moment the timestamp is accepted, the nonce is live") {
    auto p = f.verifier.parse(SignedRequest(f.creds, now, "live"));
    REQUIRE(p.ok());
    REQUIRE(f.verifier.record_nonce(*p).ok());
    for (TimeMs step : {TimeMs{599 * kSecond}, TimeMs{999}, TimeMs{1}}) {  // to 600 s exactly
      f.clock.advance(step);
      REQUIRE(f.verifier.check_timestamp(*p).ok());
      CHECK(f.verifier.record_nonce(*p).code() == Code::kForbidden);
    }
    f.clock.advance(1);
    CHECK(f.verifier.check_timestamp(*p).code() == Code::kForbidden);
    // It expires a second after that; then it may be pruned.
    CHECK(f.storage->prune_nonces(f.clock.now()).value() == 0);
    f.clock.advance(kSecond);
    CHECK(f.storage->prune_nonces(f.clock.now()).value() == 1);
  }
}

TEST_CASE("OAuth1Verifier: oauth_body_hash and require_body_hash") {
  VerifierFixture f;
  OAuth1Options strict_options;
  strict_options.require_body_hash = true;
  OAuth1Verifier strict(*f.storage, f.clock, strict_options);
  auto signed_with = [&](const std::string& content_type, const std::string& body,
                         std::optional<std::string> hash) {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://shop.example/graphql";
    r.content_type = content_type;
    r.body = body;
    auto params = OAuthParamsFor(f.creds, f.now_s(), "n");
    if (hash) params.push_back({"oauth_body_hash", *hash});
    SignWithHeader(r, params, f.creds, kOAuthHmacSha256);
    return r;
  };
  struct Case {
    const char* name;
    HttpRequest request;
    OAuthRequest::Body body;
    bool lenient_ok;
    bool strict_ok;
  };
  const std::string json = R"({"a":1})";
  const Case cases[] = {
      {"json, hash", signed_with("application/json", json, OAuthBodyHash(json)),
       OAuthRequest::Body::kCovered, true, true},
      {"json, no hash", signed_with("application/json", json, std::nullopt),
       OAuthRequest::Body::kUncovered, true, false},
      {"json, wrong hash", signed_with("application/json", json, OAuthBodyHash(json + " ")),
       OAuthRequest::Body::kMismatch, false, false},
      {"json, hash not base64", signed_with("application/json", json, "!!"),
       OAuthRequest::Body::kMismatch, false, false},
      {"no content type, body, no hash", signed_with("", json, std::nullopt),
       OAuthRequest::Body::kUncovered, true, false},
      {"empty body, no hash", signed_with("application/json", "", std::nullopt),
       OAuthRequest::Body::kCovered, true, true},
      {"form, no hash", signed_with("Application/X-WWW-Form-Urlencoded", "a=1", std::nullopt),
       OAuthRequest::Body::kCovered, true, true},
      {"form, wrong hash", signed_with("application/x-www-form-urlencoded", "a=1", "AAAA"),
       OAuthRequest::Body::kMismatch, false, false},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto p = f.verifier.parse(c.request);
    REQUIRE(p.ok());
    CHECK(p->body == c.body);
    CHECK(f.verifier.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).ok() ==
          c.lenient_ok);
    auto q = strict.parse(c.request);
    REQUIRE(q.ok());
    const Status s = strict.check_signature(*q, f.creds.consumer_secret, f.creds.token_secret);
    CHECK(s.ok() == c.strict_ok);
    if (!s.ok()) CHECK(s.message() == msg::kSignatureInvalid);
  }
  // oauth_body_hash is a protocol parameter: once only.
  HttpRequest twice = signed_with("application/json", json, OAuthBodyHash(json));
  twice.url += "?oauth_body_hash=" + PercentEncode(OAuthBodyHash(json));
  CHECK(f.verifier.parse(twice).status().message() ==
        "The OAuth parameter \"oauth_body_hash\" is given more than once");
}

TEST_CASE("OAuth1Verifier: caps on parameters and bytes, checked before parsing") {
  VerifierFixture f;
  const std::int64_t now = f.now_s();
  auto form_of = [](std::size_t n, const std::string& prefix) {
    std::string body;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) body += '&';
      body += prefix + std::to_string(i) + "=v";
    }
    return body;
  };
  auto with_form = [&](const std::string& body) {
    HttpRequest r = SignedRequest(f.creds, now, "n");
    r.content_type = "application/x-www-form-urlencoded";
    r.body = body;
    return r;
  };
  // The default request has 1 query parameter and 7 in its header (oauth_signature too): 8.
  SECTION("at most 256 parameters, query, form body and header together") {
    CHECK(f.verifier.parse(with_form(form_of(248, "x"))).code() != Code::kInvalidInput);
    auto over = f.verifier.parse(with_form(form_of(249, "x")));
    REQUIRE_FALSE(over.ok());
    CHECK(over.code() == Code::kInvalidInput);
    CHECK(over.status().message() == "The request has more than 256 parameters");
    // Many repeated or distinct oauth_* names: refused by the cap, not by a quadratic scan.
    CHECK(f.verifier.parse(with_form(form_of(10000, "oauth_x"))).status().message() ==
          "The request has more than 256 parameters");
    HttpRequest h = SignedRequest(f.creds, now, "n");
    for (int i = 0; i < 300; ++i) h.authorization += ", oauth_h" + std::to_string(i) + "=\"v\"";
    CHECK(f.verifier.parse(h).status().message() == "The request has more than 256 parameters");
  }
  SECTION("at most 256 KiB of URL, Authorization header and form body") {
    HttpRequest r = with_form("a=" + std::string(256 * 1024, 'v'));
    auto p = f.verifier.parse(r);
    REQUIRE_FALSE(p.ok());
    CHECK(p.code() == Code::kInvalidInput);
    CHECK(p.status().message() ==
          "The request's URL, Authorization header and form body exceed 262144 bytes together");
    // Checked before anything is read: even a malformed request gets the size message.
    r.body = "%" + std::string(300 * 1024, 'z');
    CHECK(f.verifier.parse(r).status().message() == p.status().message());
    // A JSON body is not read for parameters and does not count.
    HttpRequest json = SignedRequest(f.creds, now, "n");
    json.body = std::string(1024 * 1024, ' ');
    CHECK(f.verifier.parse(json).ok());
  }
  SECTION("the caps are options; beyond them parsing stays exact") {
    OAuth1Options wide;
    wide.max_parameters = 200000;
    wide.max_request_bytes = 8 * 1024 * 1024;
    OAuth1Verifier v(*f.storage, f.clock, wide);
    // 80,000 distinct oauth_* names with one repeated at the end: the duplicate is found.
    HttpRequest r = with_form(form_of(80000, "oauth_x") + "&oauth_x7=again");
    CHECK(v.parse(r).status().message() ==
          "The OAuth parameter \"oauth_x7\" is given more than once");
    r = with_form(form_of(80000, "oauth_x"));
    auto p = v.parse(r);
    REQUIRE(p.ok());
    CHECK(v.check_signature(*p, f.creds.consumer_secret, f.creds.token_secret).code() ==
          Code::kForbidden);  // the body was added after signing
  }
  SECTION("a header of many names: duplicates found through a hash set") {
    std::string header = "OAuth ";
    for (int i = 0; i < 50000; ++i) header += "n" + std::to_string(i) + "=\"v\", ";
    auto parsed = ParseAuthorizationHeader(header + "n49999=\"again\"");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message() ==
          "The Authorization header has the parameter \"n49999\" more than once");
    auto ok = ParseAuthorizationHeader(header);
    REQUIRE(ok.ok());
    CHECK(ok->params.size() == 50000);
  }
}

}  // namespace oauth1_test
