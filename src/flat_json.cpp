// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "flat_json.h"

#include "internal.h"

namespace custauth::internal {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool AtEnd() const { return i_ == s_.size(); }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(std::uint32_t& out) {
    if (i_ + 4 > s_.size()) return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const int v = HexValue(s_[i_++]);
      if (v < 0) return false;
      out = (out << 4) | static_cast<std::uint32_t>(v);
    }
    return true;
  }

  static void AppendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool String(std::string& out) {
    out.clear();
    if (!Eat('"')) return false;
    const std::size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return IsValidUtf8(out);
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::uint32_t cp;
          if (!Hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo;
            if (!Eat('\\') || !Eat('u') || !Hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    (void)start;
    return false;
  }

  bool Integer(std::int64_t& out) {
    bool negative = Eat('-');
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9') {
      return false;  // leading zero
    }
    std::uint64_t v = 0;
    const std::uint64_t limit = negative ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << 63) - 1;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      const std::uint64_t d = static_cast<std::uint64_t>(s_[i_] - '0');
      if (v > (limit - d) / 10) return false;  // overflow
      v = v * 10 + d;
      ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) return false;
    out = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return true;
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool Value(FlatValue& v) {
    const char c = Peek();
    if (c == '"') {
      v.type = FlatValue::Type::kString;
      return String(v.str);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = FlatValue::Type::kInteger;
      return Integer(v.integer);
    }
    if (c == 't' || c == 'f') {
      v.type = FlatValue::Type::kBool;
      v.boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      v.type = FlatValue::Type::kNull;
      return Literal("null");
    }
    return false;  // objects, arrays, anything else
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

bool FlatObject::Parse(std::string_view text) {
  count_ = 0;
  Parser p(text);
  p.SkipSpace();
  if (!p.Eat('{')) return false;
  p.SkipSpace();
  if (p.Eat('}')) {
    p.SkipSpace();
    return p.AtEnd();
  }
  while (true) {
    if (count_ == kMaxMembers) return false;
    p.SkipSpace();
    if (!p.String(keys_[count_])) return false;
    for (std::size_t k = 0; k < count_; ++k) {
      if (keys_[k] == keys_[count_]) return false;  // duplicate key
    }
    p.SkipSpace();
    if (!p.Eat(':')) return false;
    p.SkipSpace();
    if (!p.Value(values_[count_])) return false;
    ++count_;
    p.SkipSpace();
    if (p.Eat(',')) continue;
    if (p.Eat('}')) break;
    return false;
  }
  p.SkipSpace();
  return p.AtEnd();
}

const FlatValue* FlatObject::Find(std::string_view key) const {
  for (std::size_t k = 0; k < count_; ++k) {
    if (keys_[k] == key) return &values_[k];
  }
  return nullptr;
}

}  // namespace custauth::internal
