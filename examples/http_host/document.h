// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A small, strict GraphQL parser for custauth-http-host: what the platform's storefront documents
// for custauth's mutations use, and nothing more. One `mutation` operation (named or not, with
// variable definitions), fields with aliases, arguments whose values are strings, integers,
// booleans, null, input objects or variables, nested selection sets, `#` comments and commas.
// Anything else (queries, subscriptions, several operations, fragments, directives, lists,
// floats, enums, block strings, variable defaults) is refused with a message naming it.
//
// This is example code, not part of the library: custauth has no GraphQL parser.
#ifndef CUSTAUTH_EXAMPLES_HTTP_HOST_DOCUMENT_H_
#define CUSTAUTH_EXAMPLES_HTTP_HOST_DOCUMENT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "custauth/graphql.h"

namespace http_host {

// One mutation of the document, its arguments resolved against the variables.
struct MutationField {
  std::string name;                // e.g. "generateCustomerToken"
  custauth::graphql::Field field;  // alias and selection set
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
};

struct Document {
  std::vector<MutationField> mutations;  // in document order
};

// Parses `query` and resolves its variables (`variables` is the request's "variables" member:
// null or an object). On failure returns false with the message in *error.
bool ParseDocument(std::string_view query, const nlohmann::json& variables, Document* out,
                   std::string* error);

}  // namespace http_host

#endif  // CUSTAUTH_EXAMPLES_HTTP_HOST_DOCUMENT_H_
