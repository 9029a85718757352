// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// A strict parser for the small, flat JSON objects of JWT headers and payloads: string keys and
// string, integer, boolean or null values. Nested objects and arrays, fractions and exponents,
// duplicate keys, trailing bytes and invalid UTF-8 are all refused. No allocation for objects of
// up to kMaxMembers members whose strings fit the small-string buffer. Not part of the API.
#ifndef CUSTAUTH_SRC_FLAT_JSON_H_
#define CUSTAUTH_SRC_FLAT_JSON_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace custauth::internal {

struct FlatValue {
  enum class Type { kString, kInteger, kBool, kNull };
  Type type = Type::kNull;
  std::string str;           // kString
  std::int64_t integer = 0;  // kInteger
  bool boolean = false;      // kBool
};

class FlatObject {
 public:
  static constexpr std::size_t kMaxMembers = 16;

  // Parses `text`; false when it is not a flat JSON object as described above.
  bool Parse(std::string_view text);

  // The value of `key`, or nullptr.
  const FlatValue* Find(std::string_view key) const;
  std::size_t size() const { return count_; }
  std::string_view key(std::size_t i) const { return keys_[i]; }

 private:
  std::array<std::string, kMaxMembers> keys_;
  std::array<FlatValue, kMaxMembers> values_;
  std::size_t count_ = 0;
};

}  // namespace custauth::internal

#endif  // CUSTAUTH_SRC_FLAT_JSON_H_
