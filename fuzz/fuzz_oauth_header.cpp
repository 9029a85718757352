// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the pure parsers of OAuth 1.0a (include/custauth/oauth1.h): the Authorization header,
// percent-decoding, form bodies and query strings, and the base string URI. The same bytes go to
// each of them. Invariants:
//   - PercentDecode(PercentEncode(x)) == x for any bytes x;
//   - a header that parses, written back in canonical form (every name and value
//     percent-encoded and quoted), parses to the same realm and parameters;
//   - a parsed header never holds a name twice;
//   - a base string URI is itself a valid URL whose base string URI is the same (idempotent).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "custauth/oauth1.h"

using namespace custauth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto decoded = PercentDecode(text);
  if (decoded.ok() && decoded->size() > text.size()) std::abort();
  auto round = PercentDecode(PercentEncode(text));
  if (!round.ok() || *round != text) std::abort();

  auto form = ParseFormUrlEncoded(text);
  (void)form;

  auto header = ParseAuthorizationHeader(text);
  if (header.ok()) {
    std::string canonical = "OAuth ";
    if (header->realm) canonical += "realm=\"" + PercentEncode(*header->realm) + "\"";
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < header->params.size(); ++i) {
      const OAuthParam& p = header->params[i];
      if (p.name == "realm") std::abort();
      if (!names.insert(p.name).second) std::abort();  // duplicates are refused
      if (header->realm || i > 0) canonical += ", ";
      canonical += PercentEncode(p.name) + "=\"" + PercentEncode(p.value) + "\"";
    }
    auto again = ParseAuthorizationHeader(canonical);
    if (!again.ok() || again->realm != header->realm || again->params != header->params) {
      std::abort();
    }
  }

  auto uri = BaseStringUri(text);
  if (uri.ok()) {
    auto twice = BaseStringUri(*uri);
    if (!twice.ok() || *twice != *uri) std::abort();
  }
  return 0;
}
