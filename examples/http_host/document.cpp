// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The strict GraphQL subset of document.h: a tokenizer and a recursive-descent parser with a
// depth cap, then validation of every mutation's arguments before anything runs.
#include "document.h"

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

namespace http_host {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct Refusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Refuse(const std::string& message) { throw Refusal(message); }

enum class Tok { kEnd, kName, kString, kInt, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // the name, the decoded string, the integer's digits, the punctuator
  int line = 1;
  int column = 1;
};

// A value as written: a variable stays a reference until resolved.
struct NamedValue;
struct Value {
  enum Kind { kString, kInt, kBool, kNull, kObject, kVariable } kind = kNull;
  std::string text;  // string, integer digits, variable name
  bool boolean = false;
  std::vector<NamedValue> fields;  // an input object's, in order
};
struct NamedValue {
  std::string name;
  Value value;
};

struct RawField {
  std::string alias;
  std::string name;
  std::vector<std::pair<std::string, Value>> arguments;
  std::vector<RawField> selection;
  int line = 1;
  int column = 1;
};

constexpr int kMaxDepth = 16;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) { Next(); }

  // The document: exactly one mutation operation.
  void Parse(std::map<std::string, std::string>* variable_types, std::vector<RawField>* fields) {
    if (tok_.kind == Tok::kPunct && tok_.text == "{") {
      Refuse("Queries are not supported by this host: only one mutation operation is");
    }
    if (tok_.kind != Tok::kName) Expected("\"mutation\"");
    if (tok_.text == "query" || tok_.text == "subscription") {
      Refuse("Operation type \"" + tok_.text +
             "\" is not supported by this host: only one mutation operation is");
    }
    if (tok_.text == "fragment") Refuse("Fragments are not supported by this host");
    if (tok_.text != "mutation") Expected("\"mutation\"");
    Next();
    if (tok_.kind == Tok::kName) Next();  // the operation's name
    if (IsPunct("(")) ParseVariableDefinitions(variable_types);
    RejectDirectives();
    *fields = ParseSelectionSet(0);
    if (tok_.kind != Tok::kEnd) {
      if (tok_.kind == Tok::kName || IsPunct("{")) {
        Refuse(
            "Several operations in one document are not supported by this host: put the "
            "mutations in one operation");
      }
      Expected("the end of the document");
    }
  }

 private:
  bool IsPunct(std::string_view p) const { return tok_.kind == Tok::kPunct && tok_.text == p; }

  [[noreturn]] void Expected(const std::string& what) const {
    std::string found = tok_.kind == Tok::kEnd      ? "<EOF>"
                        : tok_.kind == Tok::kString ? "String \"" + tok_.text + "\""
                                                    : tok_.text;
    Refuse("Syntax Error: Expected " + what + ", found " + found + " (line " +
           std::to_string(tok_.line) + ", column " + std::to_string(tok_.column) + ")");
  }

  void Expect(std::string_view p) {
    if (!IsPunct(p)) Expected("\"" + std::string(p) + "\"");
    Next();
  }

  std::string Name(const char* what) {
    if (tok_.kind != Tok::kName) Expected(what);
    std::string n = tok_.text;
    Next();
    return n;
  }

  void RejectDirectives() {
    if (IsPunct("@")) Refuse("Directives are not supported by this host");
  }

  void ParseVariableDefinitions(std::map<std::string, std::string>* types) {
    Expect("(");
    do {
      Expect("$");
      const std::string name = Name("a variable name");
      Expect(":");
      if (IsPunct("[")) Refuse("List types are not supported by this host");
      std::string type = Name("a type");
      if (IsPunct("!")) {
        type += "!";
        Next();
      }
      if (IsPunct("=")) Refuse("Default values of variables are not supported by this host");
      RejectDirectives();
      if (!types->emplace(name, type).second) {
        Refuse("There can be only one variable named \"$" + name + "\".");
      }
    } while (!IsPunct(")"));
    Next();
  }

  std::vector<RawField> ParseSelectionSet(int depth) {
    if (depth > kMaxDepth) Refuse("The document is nested too deeply");
    Expect("{");
    std::vector<RawField> out;
    do {
      if (IsPunct("...")) Refuse("Fragments are not supported by this host");
      RawField f;
      f.line = tok_.line;
      f.column = tok_.column;
      f.name = Name("a field name");
      if (IsPunct(":")) {
        Next();
        f.alias = std::move(f.name);
        f.name = Name("a field name");
      }
      if (IsPunct("(")) {
        Next();
        std::set<std::string> seen;
        do {
          std::string arg = Name("an argument name");
          if (!seen.insert(arg).second) {
            Refuse("There can be only one argument named \"" + arg + "\".");
          }
          Expect(":");
          f.arguments.emplace_back(std::move(arg), ParseValue(depth + 1));
        } while (!IsPunct(")"));
        Next();
      }
      RejectDirectives();
      if (IsPunct("{")) f.selection = ParseSelectionSet(depth + 1);
      out.push_back(std::move(f));
    } while (!IsPunct("}"));
    Next();
    return out;
  }

  Value ParseValue(int depth) {
    if (depth > kMaxDepth) Refuse("The document is nested too deeply");
    Value v;
    if (IsPunct("$")) {
      Next();
      v.kind = Value::kVariable;
      v.text = Name("a variable name");
      return v;
    }
    if (IsPunct("[")) Refuse("List values are not supported by this host");
    if (IsPunct("{")) {
      Next();
      v.kind = Value::kObject;
      std::set<std::string> seen;
      while (!IsPunct("}")) {
        std::string name = Name("a field name");
        if (!seen.insert(name).second) {
          Refuse("There can be only one input field named \"" + name + "\".");
        }
        Expect(":");
        v.fields.push_back(NamedValue{std::move(name), ParseValue(depth + 1)});
      }
      Next();
      return v;
    }
    if (tok_.kind == Tok::kString) {
      v.kind = Value::kString;
      v.text = tok_.text;
      Next();
      return v;
    }
    if (tok_.kind == Tok::kInt) {
      v.kind = Value::kInt;
      v.text = tok_.text;
      Next();
      return v;
    }
    if (tok_.kind == Tok::kName) {
      if (tok_.text == "true" || tok_.text == "false") {
        v.kind = Value::kBool;
        v.boolean = tok_.text == "true";
      } else if (tok_.text == "null") {
        v.kind = Value::kNull;
      } else {
        Refuse("Enum values are not supported by this host (found " + tok_.text + ")");
      }
      Next();
      return v;
    }
    Expected("a value");
  }

  // --- The tokenizer ---

  void Advance(std::size_t n = 1) {
    for (std::size_t i = 0; i < n && pos_ < text_.size(); ++i) {
      if (text_[pos_] == '\n') {
        ++line_;
        col_ = 1;
      } else {
        ++col_;
      }
      ++pos_;
    }
  }

  void Next() {
    // Ignored: white space, line terminators, commas, comments, a byte order mark.
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
        Advance();
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') Advance();
      } else if (text_.substr(pos_, 3) == "\xEF\xBB\xBF") {
        Advance(3);
      } else {
        break;
      }
    }
    tok_ = Token();
    tok_.line = line_;
    tok_.column = col_;
    if (pos_ >= text_.size()) return;
    const char c = text_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = pos_;
      while (end < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
        ++end;
      }
      tok_.kind = Tok::kName;
      tok_.text = std::string(text_.substr(pos_, end - pos_));
      Advance(end - pos_);
      return;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t end = pos_ + 1;
      while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
      if (end < text_.size() && (text_[end] == '.' || text_[end] == 'e' || text_[end] == 'E')) {
        Refuse("Float values are not supported by this host");
      }
      tok_.kind = Tok::kInt;
      tok_.text = std::string(text_.substr(pos_, end - pos_));
      if (tok_.text == "-" || tok_.text.size() > 19) Refuse("Syntax Error: Invalid number");
      Advance(end - pos_);
      return;
    }
    if (c == '"') {
      if (text_.substr(pos_, 3) == "\"\"\"") Refuse("Block strings are not supported by this host");
      tok_.kind = Tok::kString;
      tok_.text = ReadString();
      return;
    }
    if (text_.substr(pos_, 3) == "...") {
      tok_.kind = Tok::kPunct;
      tok_.text = "...";
      Advance(3);
      return;
    }
    if (std::string_view("{}():$!=[]@").find(c) != std::string_view::npos) {
      tok_.kind = Tok::kPunct;
      tok_.text = std::string(1, c);
      Advance();
      return;
    }
    Refuse("Syntax Error: Unexpected character \"" + std::string(1, c) + "\" (line " +
           std::to_string(line_) + ", column " + std::to_string(col_) + ")");
  }

  // A string value: "…" with GraphQL's escapes, as UTF-8.
  std::string ReadString() {
    Advance();  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        Refuse("Syntax Error: Unterminated string");
      }
      const char c = text_[pos_];
      if (c == '"') {
        Advance();
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
        Refuse("Syntax Error: Invalid character within String");
      }
      if (c != '\\') {
        out += c;
        Advance();
        continue;
      }
      Advance();
      if (pos_ >= text_.size()) Refuse("Syntax Error: Unterminated string");
      const char e = text_[pos_];
      Advance();
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          AppendUtf8(ReadHex4(), &out);
          break;
        default:
          Refuse("Syntax Error: Invalid character escape sequence: \\" + std::string(1, e));
      }
    }
  }

  std::uint32_t ReadHex4() {
    if (pos_ + 4 > text_.size()) Refuse("Syntax Error: Invalid Unicode escape sequence");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<std::uint32_t>(h - 'A' + 10);
      else
        Refuse("Syntax Error: Invalid Unicode escape sequence");
      Advance();
    }
    return v;
  }

  void AppendUtf8(std::uint32_t cp, std::string* out) {
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
      if (text_.substr(pos_, 2) != "\\u") Refuse("Syntax Error: Invalid Unicode escape sequence");
      Advance(2);
      const std::uint32_t lo = ReadHex4();
      if (lo < 0xDC00 || lo > 0xDFFF) Refuse("Syntax Error: Invalid Unicode escape sequence");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      Refuse("Syntax Error: Invalid Unicode escape sequence");
    }
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  Token tok_;
};

// --- Validation and resolution ---

struct ArgSpec {
  const char* name;
  const char* type;  // "String!" or the input object's type
};

struct MutationSpec {
  const char* name;
  std::vector<ArgSpec> args;
  const char* output;  // the object type, or null for a Boolean
};

const std::vector<MutationSpec>& Mutations() {
  static const std::vector<MutationSpec> kSpecs = {
      {"generateCustomerToken", {{"email", "String!"}, {"password", "String!"}}, "CustomerToken"},
      {"revokeCustomerToken", {}, "RevokeCustomerTokenOutput"},
      {"requestPasswordResetEmail", {{"email", "String!"}}, nullptr},
      {"resetPassword",
       {{"email", "String!"}, {"resetPasswordToken", "String!"}, {"newPassword", "String!"}},
       nullptr},
      {"changeCustomerPassword",
       {{"currentPassword", "String!"}, {"newPassword", "String!"}},
       "Customer"},
      {"exchangeExternalCustomerToken",
       {{"input", "ExchangeExternalCustomerTokenInput!"}},
       "ExchangeExternalCustomerTokenOutput"},
  };
  return kSpecs;
}

class Resolver {
 public:
  Resolver(const json& variables, const std::map<std::string, std::string>& types)
      : variables_(variables), types_(types) {}

  ordered_json Resolve(const Value& v) {
    switch (v.kind) {
      case Value::kString:
        return v.text;
      case Value::kInt:
        return std::stoll(v.text);
      case Value::kBool:
        return v.boolean;
      case Value::kNull:
        return nullptr;
      case Value::kObject: {
        ordered_json o = ordered_json::object();
        for (const auto& [k, f] : v.fields) o[k] = Resolve(f);
        return o;
      }
      case Value::kVariable: {
        if (!types_.count(v.text)) Refuse("Variable \"$" + v.text + "\" is not defined.");
        used_.insert(v.text);
        if (!variables_.is_object() || !variables_.contains(v.text)) {
          if (types_.at(v.text).ends_with("!")) {
            Refuse("Variable \"$" + v.text + "\" of required type \"" + types_.at(v.text) +
                   "\" was not provided.");
          }
          return nullptr;
        }
        const json& value = variables_.at(v.text);
        if (types_.at(v.text).starts_with("String") && !value.is_string() &&
            !(value.is_null() && !types_.at(v.text).ends_with("!"))) {
          Refuse("Variable \"$" + v.text + "\" got invalid value " + value.dump() +
                 "; Expected type " + types_.at(v.text) + ".");
        }
        return ordered_json::parse(value.dump());
      }
    }
    return nullptr;
  }

  void CheckAllUsed() const {
    for (const auto& [name, type] : types_) {
      if (!used_.count(name)) Refuse("Variable \"$" + name + "\" is never used.");
    }
  }

 private:
  const json& variables_;
  const std::map<std::string, std::string>& types_;
  std::set<std::string> used_;
};

custauth::graphql::Selection ToSelection(const RawField& f) {
  custauth::graphql::Selection s;
  s.name = f.name;
  s.alias = f.alias;
  for (const auto& sub : f.selection) {
    if (!sub.arguments.empty()) {
      Refuse("Unknown argument \"" + sub.arguments[0].first + "\" on field \"" + sub.name + "\".");
    }
    s.fields.push_back(ToSelection(sub));
  }
  return s;
}

}  // namespace

bool ParseDocument(std::string_view query, const json& variables, Document* out,
                   std::string* error) {
  try {
    if (!variables.is_null() && !variables.is_object()) Refuse("\"variables\" must be an object");
    std::map<std::string, std::string> types;
    std::vector<RawField> fields;
    Parser(query).Parse(&types, &fields);
    Resolver resolver(variables, types);
    Document doc;
    for (const RawField& f : fields) {
      const MutationSpec* spec = nullptr;
      for (const auto& m : Mutations()) {
        if (f.name == m.name) spec = &m;
      }
      if (spec == nullptr) {
        Refuse("Cannot query field \"" + f.name + "\" on type \"Mutation\".");
      }
      MutationField m;
      m.name = f.name;
      m.field.alias = f.alias;
      for (const auto& [name, value] : f.arguments) {
        const ArgSpec* arg = nullptr;
        for (const auto& a : spec->args) {
          if (name == a.name) arg = &a;
        }
        if (arg == nullptr) {
          Refuse("Unknown argument \"" + name + "\" on field \"" + f.name +
                 "\" of type \"Mutation\".");
        }
        ordered_json v = resolver.Resolve(value);
        const bool is_string = std::string_view(arg->type) == "String!";
        if ((is_string && !v.is_string()) || (!is_string && !v.is_object())) {
          Refuse("Field \"" + f.name + "\" argument \"" + name + "\" requires type " + arg->type +
                 ", found " + v.dump() + ".");
        }
        m.arguments[name] = std::move(v);
      }
      for (const auto& a : spec->args) {
        if (!m.arguments.contains(a.name)) {
          Refuse("Field \"" + f.name + "\" argument \"" + a.name + "\" of type \"" + a.type +
                 "\" is required but not provided.");
        }
      }
      if (spec->output != nullptr && f.selection.empty()) {
        Refuse("Field \"" + f.name + "\" of type \"" + spec->output +
               "\" must have a selection of subfields.");
      }
      for (const auto& sub : f.selection) {
        if (sub.name == "customer" && sub.selection.empty() &&
            std::string_view(spec->output ? spec->output : "") ==
                "ExchangeExternalCustomerTokenOutput") {
          Refuse("Field \"customer\" of type \"Customer\" must have a selection of subfields.");
        }
        m.field.selection.push_back(ToSelection(sub));
      }
      doc.mutations.push_back(std::move(m));
    }
    resolver.CheckAllUsed();
    *out = std::move(doc);
    return true;
  } catch (const Refusal& r) {
    *error = r.what();
    return false;
  } catch (const std::out_of_range&) {
    *error = "Syntax Error: Invalid number";
    return false;
  }
}

}  // namespace http_host
