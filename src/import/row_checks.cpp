// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// Checking an imported row: numbers, times, flags, hashes, and the duplicate checks (KeySet,
// IdSet).

#include "import/import_internal.h"

namespace custauth::import_detail {

std::optional<std::int64_t> ParseInt(std::string_view s) {
  s = internal::Trim(s);
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  const auto [stop, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return v;
}

ParsedTime ParseTime(std::string_view s) {
  s = internal::Trim(s);
  if (s.empty() || s.starts_with("0000-00-00")) return {true, std::nullopt};
  if (auto secs = ParseInt(s)) {
    if (*secs < 0 || *secs > 253402300799) return {};  // up to 9999-12-31
    return {true, *secs * 1000};
  }
  if (s.ends_with('Z')) s.remove_suffix(1);
  if (s.ends_with("+00:00")) s.remove_suffix(6);
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
    if (at + n > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[k] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  if (!year || !month || !day || s[4] != '-' || s[7] != '-') return {};
  unsigned hour = 0, minute = 0, second = 0;
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T') return {};
    auto h = digits(11, 2), mi = digits(14, 2), se = digits(17, 2);
    if (!h || !mi || !se || s[13] != ':' || s[16] != ':') return {};
    hour = *h;
    minute = *mi;
    second = *se;
    std::string_view rest = s.substr(19);
    if (!rest.empty()) {
      if (rest.front() != '.' || rest.size() < 2) return {};
      for (char ch : rest.substr(1)) {
        if (ch < '0' || ch > '9') return {};
      }
    }
  }
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 || *day > kDays[*month - 1] || hour > 23 ||
      minute > 59 || second > 60) {
    return {};
  }
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month == 2 && *day == 29 && !leap) return {};
  std::tm tm{};
  tm.tm_year = static_cast<int>(*year) - 1900;
  tm.tm_mon = static_cast<int>(*month) - 1;
  tm.tm_mday = static_cast<int>(*day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  const std::int64_t secs = timegm(&tm);  // UTC, as the platform stores its times
  if (secs < 0) return {};
  return {true, secs * 1000};
}

// A flag column: 0/1 (also true/false). nullopt when malformed.
std::optional<bool> ParseFlag(std::string_view s) {
  s = internal::Trim(s);
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  return std::nullopt;
}

bool IsArgon2idString(const std::string& s) {
  if (!s.starts_with("$argon2id$") && !s.starts_with("$argon2i$")) return false;
  EnsureSodium();
  // -1 only when the string is not a valid Argon2id hash string.
  return crypto_pwhash_str_needs_rehash(s.c_str(), crypto_pwhash_OPSLIMIT_MIN,
                                        crypto_pwhash_MEMLIMIT_MIN) != -1;
}

bool KeySet::Contains(std::uint64_t key) const {
  if (key == 0) key = 1;
  if (slots_.empty()) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t k = Mix(key) & mask;; k = (k + 1) & mask) {
    if (slots_[k] == key) return true;
    if (slots_[k] == 0) return false;
  }
}

void KeySet::Grow() {
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(std::max<std::size_t>(1024, old.size() * 2), 0);
  size_ = 0;
  for (std::uint64_t key : old) {
    if (key != 0) Insert(key);
  }
}

bool KeySet::Insert(std::uint64_t key) {
  if (key == 0) key = 1;  // 0 marks an empty slot
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t k = Mix(key) & mask;; k = (k + 1) & mask) {
    if (slots_[k] == key) return false;
    if (slots_[k] == 0) {
      slots_[k] = key;
      ++size_;
      return true;
    }
  }
}

std::size_t KeySet::Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<std::size_t>(x);
}

bool IdSet::Contains(std::int64_t id) const {
  if (ranges_.empty() || id > ranges_.back().second) return false;
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                             [](std::int64_t v, const auto& r) { return v < r.first; });
  if (it != ranges_.begin() && id <= std::prev(it)->second) return true;
  return others_.Contains(static_cast<std::uint64_t>(id));
}

void IdSet::Insert(std::int64_t id) {
  if (!ranges_.empty() && id < ranges_.back().second) {
    others_.Insert(static_cast<std::uint64_t>(id));  // out of order
  } else if (!ranges_.empty() && id == ranges_.back().second + 1) {
    ranges_.back().second = id;
  } else {
    ranges_.emplace_back(id, id);
  }
}

std::uint64_t Hash64(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL;
  for (int k = 0; k < 8; ++k) {
    h ^= (seed >> (8 * k)) & 0xFF;
    h *= 1099511628211ULL;
  }
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return h;
}

namespace {

// Why an imported password hash is refused; nullopt when it is in a format custauth verifies.
std::optional<std::string> CheckImportedHash(const std::string& hash) {
  if (HasForeignPrefix(hash)) {
    // Another platform's bcrypt or phpass hash: upgraded at the first successful login.
    if (Status s = CheckForeignHash(hash); !s.ok()) return "password_hash: " + s.message();
  } else if (!PasswordHasher::IsLegacyFormat(hash) && !IsArgon2idString(hash)) {
    return std::string(
        "password_hash is in no known format (the platform's HASH:SALT:VERSIONS, $argon2id$, "
        "$argon2i$, bcrypt $2a$/$2b$/$2y$, phpass $P$/$H$ or WordPress $wp$2y$)");
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ToImported(const Record& r, TimeMs now, ImportedCustomer& out) {
  if (!r.error.empty()) return r.error;
  const auto& v = r.values;
  out = ImportedCustomer();
  NewCustomer& c = out.customer;
  auto number = [&](int col, std::int64_t min, std::int64_t max, std::int64_t fallback,
                    std::int64_t& dest) -> std::optional<std::string> {
    if (!v[col]) {
      dest = fallback;
      return std::nullopt;
    }
    auto n = ParseInt(*v[col]);
    if (!n || *n < min || *n > max) {
      return fmt::format("{} \"{}\" is not a number from {} to {}", kCustomerColumns[col], *v[col],
                         min, max);
    }
    dest = *n;
    return std::nullopt;
  };
  auto flag = [&](int col, bool fallback, bool& dest) -> std::optional<std::string> {
    if (!v[col]) {
      dest = fallback;
      return std::nullopt;
    }
    auto f = ParseFlag(*v[col]);
    if (!f) return fmt::format("{} \"{}\" is not 0 or 1", kCustomerColumns[col], *v[col]);
    dest = *f;
    return std::nullopt;
  };
  auto time = [&](int col, std::optional<TimeMs>& dest) -> std::optional<std::string> {
    if (!v[col]) return std::nullopt;
    ParsedTime t = ParseTime(*v[col]);
    if (!t.ok) {
      return fmt::format("{} \"{}\" is not a time (YYYY-MM-DD HH:MM:SS)", kCustomerColumns[col],
                         *v[col]);
    }
    dest = t.value;
    return std::nullopt;
  };
  if (!v[kEmail]) return std::string("email is required");
  c.email = *v[kEmail];
  if (!IsValidEmail(c.email)) return std::string(msg::kInvalidEmail);
  if (Status s = ValidateName(v[kFirstname].value_or(""), "firstname"); !s.ok()) {
    return s.message();
  }
  if (Status s = ValidateName(v[kLastname].value_or(""), "lastname"); !s.ok()) return s.message();
  c.firstname = *v[kFirstname];
  c.lastname = *v[kLastname];
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  // Ids stay within JSON's exact integers, so a token's uid reads back exactly everywhere (the
  // platform's entity_id is an unsigned 32-bit integer).
  constexpr std::int64_t kMaxId = (std::int64_t{1} << 53) - 1;
  if (auto e = number(kEntityId, 1, kMaxId, 0, c.id)) return e;
  if (auto e = number(kWebsiteId, 0, kMax, kDefaultWebsiteId, c.website_id)) return e;
  std::int64_t failures = 0;
  if (auto e = number(kFailuresNum, 0, 32767, 0, failures)) return e;
  out.failures_num = static_cast<int>(failures);
  if (v[kPasswordHash]) {
    c.password_hash = *v[kPasswordHash];
    if (auto e = CheckImportedHash(c.password_hash)) return e;
  }
  c.confirmed = !v[kConfirmation].has_value();
  if (auto e = flag(kIsActive, true, c.is_active)) return e;
  if (auto e = flag(kIsSubscribed, false, c.is_subscribed)) return e;
  if (auto e = flag(kAllowRemoteShoppingAssistance, false, c.allow_remote_shopping_assistance)) {
    return e;
  }
  std::optional<TimeMs> created, updated;
  if (auto e = time(kCreatedAt, created)) return e;
  if (auto e = time(kUpdatedAt, updated)) return e;
  if (auto e = time(kFirstFailure, out.first_failure)) return e;
  if (auto e = time(kLockExpires, out.lock_expires)) return e;
  // An inactive customer's tokens are revoked, as deactivating one does here: tokens the platform
  // issued before it deactivated the customer must not verify.
  if (!c.is_active) out.tokens_revoked_at = now;
  out.created_at = created.value_or(now);
  out.updated_at = updated.value_or(out.created_at);
  return std::nullopt;
}

}  // namespace custauth::import_detail
