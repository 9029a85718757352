// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PasswordHasher: Argon2id strings through libsodium, the platform's legacy HASH:SALT:VERSIONS
// format, other platforms' bcrypt and phpass hashes (foreign_hashes.cpp), and the counting
// semaphore that bounds the memory Argon2 uses at once.
#include "custauth/password.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "foreign_hashes.h"
#include "internal.h"

namespace custauth {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::string_view kArgon2iPrefix = "$argon2i$";

constexpr std::string_view kUnsupportedFormat = "Unsupported password hash format.";
constexpr std::string_view kBusyMessage =
    "Too many password hashing operations are running; try again later.";

// Legacy format limits. The platform's own hashes use at most libsodium's SENSITIVE cost
// (4 passes over 1 GiB); anything beyond is refused so that a stored string cannot make one
// verification run for minutes or allocate without bound.
constexpr std::size_t kLegacySaltBytes = crypto_pwhash_SALTBYTES;  // salt16
constexpr std::size_t kMaxLegacySteps = 8;
constexpr std::size_t kMinLegacyOutBytes = 16;
constexpr std::size_t kMaxLegacyOutBytes = 64;
constexpr std::uint64_t kMaxArgonMemBytes = std::uint64_t{1} << 30;  // 1 GiB
// Passes times memory, summed over the Argon2 steps of one hash.
constexpr std::uint64_t kMaxArgonWork = std::uint64_t{4} << 30;

// The legacy step `2`: the platform's Argon2id at its defaults.
constexpr std::size_t kV2OutBytes = 32;
constexpr std::uint64_t kV2Ops = 2;
constexpr std::uint64_t kV2Mem = 67108864;

// Overwrites a buffer that held secret material before it is freed.
void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

// A std::string that is wiped when it goes out of scope.
class SecretString {
 public:
  SecretString() = default;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { Wipe(s_); }
  std::string& get() { return s_; }

 private:
  std::string s_;
};

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Parses a non-empty run of decimal digits (nothing else) into `out`. False on overflow.
bool ParseDecimal(std::string_view s, std::uint64_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// One step of a legacy VERSIONS list.
struct LegacyStep {
  enum Kind { kMd5, kSha256, kArgon2id } kind;
  std::size_t out_bytes = 0;  // Argon2id only
  std::uint64_t ops = 0;      // Argon2id only
  std::uint64_t mem = 0;      // Argon2id only, bytes
};

// Bytes of output (before hex) of a step.
std::size_t OutputBytes(const LegacyStep& step) {
  switch (step.kind) {
    case LegacyStep::kMd5:
      return 16;
    case LegacyStep::kSha256:
      return 32;
    case LegacyStep::kArgon2id:
      return step.out_bytes;
  }
  return 0;
}

Status Invalid(std::string message) { return Status(Code::kInvalidInput, std::move(message)); }

// Parses VERSIONS ("1", "0:1", "3_32_2_67108864", ...) into steps, with the limits above.
Result<std::vector<LegacyStep>> ParseVersions(std::string_view versions, std::string_view salt) {
  std::vector<LegacyStep> steps;
  std::uint64_t work = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t end = versions.find(':', start);
    std::string_view token = versions.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (steps.size() == kMaxLegacySteps) {
      return Invalid("Legacy password hash has more than 8 version steps.");
    }
    LegacyStep step{};
    if (token == "0") {
      step.kind = LegacyStep::kMd5;
    } else if (token == "1") {
      step.kind = LegacyStep::kSha256;
    } else if (token == "2") {
      step = {LegacyStep::kArgon2id, kV2OutBytes, kV2Ops, kV2Mem};
    } else if (token.size() > 2 && token.substr(0, 2) == "3_") {
      std::string_view rest = token.substr(2);
      std::size_t a = rest.find('_');
      std::size_t b = a == std::string_view::npos ? a : rest.find('_', a + 1);
      std::uint64_t out = 0, ops = 0, mem = 0;
      if (b == std::string_view::npos || !ParseDecimal(rest.substr(0, a), &out) ||
          !ParseDecimal(rest.substr(a + 1, b - a - 1), &ops) ||
          !ParseDecimal(rest.substr(b + 1), &mem)) {
        return Invalid("Legacy password hash has a malformed version step: expected 3_S_O_M.");
      }
      if (out < kMinLegacyOutBytes || out > kMaxLegacyOutBytes) {
        return Invalid("Legacy password hash asks for an Argon2 output outside 16..64 bytes.");
      }
      if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_MAX) {
        return Invalid("Legacy password hash has an Argon2 pass count outside libsodium's range.");
      }
      if (mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_MAX) {
        return Invalid("Legacy password hash has an Argon2 memory size outside libsodium's range.");
      }
      if (mem > kMaxArgonMemBytes) {
        return Invalid("Legacy password hash asks for more than 1 GiB of Argon2 memory.");
      }
      step = {LegacyStep::kArgon2id, static_cast<std::size_t>(out), ops, mem};
    } else {
      return Invalid("Legacy password hash has an unknown version step.");
    }
    if (step.kind == LegacyStep::kArgon2id) {
      if (salt.empty()) return Invalid("Legacy password hash has an Argon2 step but no salt.");
      // ops <= 2^32 and mem <= 2^30, so neither the product nor the sum can overflow.
      work += step.ops * step.mem;
      if (work > kMaxArgonWork) {
        return Invalid("Legacy password hash asks for more Argon2 work than custauth allows.");
      }
    }
    steps.push_back(step);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return steps;
}

// A stored legacy hash split into its parts.
struct LegacyHash {
  std::string_view hash;
  std::string_view salt;
  std::vector<LegacyStep> steps;
};

// Splits HASH at the first ':', SALT at the next; the rest is VERSIONS, "1" when absent (the
// platform's default). HASH must be hex of the length the last step produces.
Result<LegacyHash> ParseLegacy(std::string_view stored) {
  std::size_t first = stored.find(':');
  if (first == std::string_view::npos) return Invalid(std::string(kUnsupportedFormat));
  LegacyHash out;
  out.hash = stored.substr(0, first);
  std::string_view rest = stored.substr(first + 1);
  std::size_t second = rest.find(':');
  std::string_view versions = "1";
  if (second == std::string_view::npos) {
    out.salt = rest;
  } else {
    out.salt = rest.substr(0, second);
    versions = rest.substr(second + 1);
  }
  if (out.hash.empty() || !IsHex(out.hash)) {
    return Invalid("Legacy password hash is not hexadecimal.");
  }
  auto steps = ParseVersions(versions, out.salt);
  if (!steps.ok()) return steps.status();
  out.steps = std::move(steps.value());
  if (out.hash.size() != 2 * OutputBytes(out.steps.back())) {
    return Invalid("Legacy password hash has the wrong length for its versions.");
  }
  return out;
}

// Lowercase hex of `bin` into `out` (replacing its content).
void ToHex(const unsigned char* bin, std::size_t len, std::string& out) {
  Wipe(out);
  out.resize(2 * len + 1);
  sodium_bin2hex(out.data(), out.size(), bin, len);
  out.resize(2 * len);
}

// r = hex(digest(salt . r)).
Status DigestStep(const EVP_MD* md, std::string_view salt, std::string& r) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
            EVP_DigestUpdate(ctx, r.data(), r.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, digest, &digest_len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Status(Code::kInternal, "OpenSSL digest failed.");
  ToHex(digest, digest_len, r);
  sodium_memzero(digest, sizeof digest);
  return Status::Ok();
}

// r = hex(argon2id13(out_bytes, r, salt16, ops, mem)).
Status ArgonStep(const LegacyStep& step, std::string_view salt, std::string& r) {
  unsigned char salt16[kLegacySaltBytes];
  for (std::size_t i = 0; i < kLegacySaltBytes; ++i) salt16[i] = salt[i % salt.size()];
  unsigned char out[kMaxLegacyOutBytes];
  if (crypto_pwhash(out, step.out_bytes, r.data(), r.size(), salt16, step.ops,
                    static_cast<std::size_t>(step.mem), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status(Code::kInternal, "Argon2id failed (out of memory).");
  }
  ToHex(out, step.out_bytes, r);
  sodium_memzero(out, sizeof out);
  return Status::Ok();
}

// Runs `steps` from r = password; `r` receives the final lowercase hex.
Status ComputeSteps(std::string_view password, std::string_view salt,
                    const std::vector<LegacyStep>& steps, std::string& r) {
  EnsureSodium();
  Wipe(r);
  r.reserve(2 * kMaxLegacyOutBytes + 1);
  r.assign(password);
  for (const LegacyStep& step : steps) {
    Status s;
    switch (step.kind) {
      case LegacyStep::kMd5:
        s = DigestStep(EVP_md5(), salt, r);
        break;
      case LegacyStep::kSha256:
        s = DigestStep(EVP_sha256(), salt, r);
        break;
      case LegacyStep::kArgon2id:
        s = ArgonStep(step, salt, r);
        break;
    }
    if (!s.ok()) {
      Wipe(r);
      return s;
    }
  }
  return Status::Ok();
}

// The cost fields of an Argon2 string `<prefix>v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`.
struct Argon2Params {
  std::uint64_t mem_bytes = 0;
  std::uint64_t ops = 0;
};

bool IsB64(std::string_view s, std::size_t min_len) {
  return s.size() >= min_len && s.size() % 4 != 1 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
         });
}

// Checks the syntax of an Argon2 string (libsodium's own check runs later) and reads its cost.
std::optional<Argon2Params> ParseArgon2String(std::string_view s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return std::nullopt;
  s.remove_prefix(prefix.size());
  constexpr std::string_view kVersion = "v=19$m=";
  if (s.substr(0, kVersion.size()) != kVersion) return std::nullopt;
  s.remove_prefix(kVersion.size());
  std::size_t t_at = s.find(",t=");
  std::size_t p_at = s.find(",p=");
  std::size_t salt_at = s.find('$');
  if (t_at == std::string_view::npos || p_at == std::string_view::npos ||
      salt_at == std::string_view::npos || !(t_at < p_at && p_at < salt_at)) {
    return std::nullopt;
  }
  std::uint64_t m_kib = 0, ops = 0, lanes = 0;
  if (!ParseDecimal(s.substr(0, t_at), &m_kib) ||
      !ParseDecimal(s.substr(t_at + 3, p_at - t_at - 3), &ops) ||
      !ParseDecimal(s.substr(p_at + 3, salt_at - p_at - 3), &lanes)) {
    return std::nullopt;
  }
  std::string_view tail = s.substr(salt_at + 1);
  std::size_t hash_at = tail.find('$');
  if (hash_at == std::string_view::npos) return std::nullopt;
  // At least 8 bytes of salt and 16 of hash, as libsodium requires.
  if (!IsB64(tail.substr(0, hash_at), 11) || !IsB64(tail.substr(hash_at + 1), 22)) {
    return std::nullopt;
  }
  if (m_kib == 0 || m_kib > (kMaxArgonMemBytes << 4) || ops == 0 || lanes == 0) {
    return std::nullopt;
  }
  return Argon2Params{m_kib * 1024, ops};
}

bool ArgonOptionsValid(const Argon2Options& o) {
  return o.opslimit >= crypto_pwhash_OPSLIMIT_MIN && o.opslimit <= crypto_pwhash_OPSLIMIT_MAX &&
         o.memlimit >= crypto_pwhash_MEMLIMIT_MIN && o.memlimit <= crypto_pwhash_MEMLIMIT_MAX;
}

}  // namespace

Argon2Options CheapArgon2ForTests() {
  Argon2Options o;
  o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
  o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
  o.max_concurrent = 4;
  o.wait_timeout = 10 * kSecond;
  return o;
}

// Holds `weight` slots of the hasher's semaphore for its lifetime. An Argon2 computation whose
// memory exceeds options().memlimit takes one slot per memlimit (at most all of them), so that
// max_concurrent * memlimit bounds the memory in use however large a stored hash's cost is.
class PasswordHasher::Slot {
 public:
  Slot(PasswordHasher* hasher, int weight)
      : hasher_(hasher), weight_(std::clamp(weight, 1, hasher->options_.max_concurrent)) {
    std::unique_lock<std::mutex> lock(hasher_->mu_);
    const int capacity = hasher_->options_.max_concurrent;
    auto free = [&] { return hasher_->in_flight_ + weight_ <= capacity; };
    auto timeout = std::chrono::milliseconds(std::max<TimeMs>(hasher_->options_.wait_timeout, 0));
    if (!hasher_->cv_.wait_for(lock, timeout, free)) {
      status_ = Status(Code::kBusy, kBusyMessage);
      return;
    }
    hasher_->in_flight_ += weight_;
    ++hasher_->computations_;
    held_ = true;
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() {
    if (!held_) return;
    {
      std::lock_guard<std::mutex> lock(hasher_->mu_);
      hasher_->in_flight_ -= weight_;
    }
    hasher_->cv_.notify_all();
  }

  const Status& status() const { return status_; }

 private:
  PasswordHasher* const hasher_;
  const int weight_;
  bool held_ = false;
  Status status_;
};

PasswordHasher::PasswordHasher(Argon2Options options) : options_(options) {
  EnsureSodium();
  options_.max_concurrent = std::max(options_.max_concurrent, 1);
  if (!ArgonOptionsValid(options_)) return;  // hash() reports it; dummy_verify() does nothing.
  // The dummy hash: an Argon2id string at the current parameters with a random salt and a random
  // "hash", which no password produces. Verifying against it costs what a real one costs, and
  // making it costs nothing (no Argon2 run, no memlimit bytes at startup).
  unsigned char salt[crypto_pwhash_SALTBYTES];
  unsigned char hash[32];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(hash, sizeof hash);
  char salt64[sodium_base64_ENCODED_LEN(sizeof salt, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
  char hash64[sodium_base64_ENCODED_LEN(sizeof hash, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
  sodium_bin2base64(salt64, sizeof salt64, salt, sizeof salt,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  sodium_bin2base64(hash64, sizeof hash64, hash, sizeof hash,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  dummy_hash_ = fmt::format("{}v=19$m={},t={},p=1${}${}", kArgon2idPrefix, options_.memlimit / 1024,
                            options_.opslimit, salt64, hash64);
  // libsodium must read it as a valid string at exactly these parameters (0), else a
  // verification against it could fail fast; then make a real one.
  if (crypto_pwhash_str_needs_rehash(dummy_hash_.c_str(), options_.opslimit, options_.memlimit) !=
      0) {
    char out[crypto_pwhash_STRBYTES];
    dummy_hash_.clear();
    if (crypto_pwhash_str(out, reinterpret_cast<const char*>(hash), sizeof hash, options_.opslimit,
                          options_.memlimit) == 0) {
      dummy_hash_ = out;
    }
  }
}

PasswordHasher::~PasswordHasher() = default;

// Single-slot forms of Slot, for callers that cannot use a scope. Every pair must balance.
Status PasswordHasher::acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  auto timeout = std::chrono::milliseconds(std::max<TimeMs>(options_.wait_timeout, 0));
  if (!cv_.wait_for(lock, timeout, [&] { return in_flight_ < options_.max_concurrent; })) {
    return Status(Code::kBusy, kBusyMessage);
  }
  ++in_flight_;
  return Status::Ok();
}

void PasswordHasher::release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }
  cv_.notify_all();
}

std::uint64_t PasswordHasher::computations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return computations_;
}

int PasswordHasher::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

PasswordHasher::WorkCounts PasswordHasher::work_counts() const {
  WorkCounts counts;
  counts.argon2_verifications = argon2_verifications_.load();
  counts.hashes = hashes_.load();
  counts.dummies = dummies_.load();
  return counts;
}

Result<std::string> PasswordHasher::hash(std::string_view password) {
  if (!ArgonOptionsValid(options_)) {
    return Status(Code::kInvalidInput, "Argon2 options are outside libsodium's limits.");
  }
  Slot slot(this, 1);
  if (!slot.status().ok()) return slot.status();
  char out[crypto_pwhash_STRBYTES];
  hashes_.fetch_add(1);
  if (crypto_pwhash_str(out, password.data(), password.size(), options_.opslimit,
                        options_.memlimit) != 0) {
    return Status(Code::kInternal, "Argon2id failed (out of memory).");
  }
  return std::string(out);
}

int PasswordHasher::weight_for(std::uint64_t mem) const {
  const std::size_t unit = std::max<std::size_t>(options_.memlimit, crypto_pwhash_MEMLIMIT_MIN);
  return static_cast<int>(std::min<std::uint64_t>((mem + unit - 1) / unit, 1u << 20));
}

bool PasswordHasher::full_cost(std::uint64_t mem, std::uint64_t ops) const {
  return mem >= options_.memlimit && ops >= options_.opslimit;
}

// A mismatch that ran no full-cost Argon2id (a fast legacy digest, bcrypt, phpass, weaker
// parameters) also runs the dummy verification, so that a wrong password against such a hash
// costs what an unknown email costs (DOMAIN.md, generateCustomerToken), and is kBusy alike.
Result<bool> PasswordHasher::mismatch(std::string_view password, bool ran_full_cost) {
  if (!ran_full_cost) CUSTAUTH_RETURN_IF_ERROR(dummy_verify(password));
  return false;
}

Result<bool> PasswordHasher::verify(std::string_view password, std::string_view stored) {
  if (stored.empty()) return Status(Code::kInvalidInput, "The stored password hash is empty.");
  if (HasForeignPrefix(stored)) return verify_foreign(password, stored);
  if (stored.front() == '$') return verify_argon2(password, stored);
  return verify_legacy(password, stored);
}

// Another platform's bcrypt or phpass hash: checked (syntax and cost caps) before it waits, then
// computed in one slot.
Result<bool> PasswordHasher::verify_foreign(std::string_view password, std::string_view stored) {
  CUSTAUTH_RETURN_IF_ERROR(CheckForeignHash(stored));
  Result<bool> matched = false;
  {
    Slot slot(this, 1);
    if (!slot.status().ok()) return slot.status();
    matched = VerifyForeignHash(password, stored);
  }
  if (!matched.ok() || *matched) return matched;
  return mismatch(password, false);
}

Result<bool> PasswordHasher::verify_argon2(std::string_view password, std::string_view stored) {
  std::string_view prefix = stored.substr(0, kArgon2idPrefix.size()) == kArgon2idPrefix
                                ? kArgon2idPrefix
                                : kArgon2iPrefix;
  std::optional<Argon2Params> params = ParseArgon2String(stored, prefix);
  if (!params) return Status(Code::kInvalidInput, kUnsupportedFormat);
  // The current options may be costlier than the general guard; hashes made with them verify.
  const std::uint64_t max_mem = std::max<std::uint64_t>(kMaxArgonMemBytes, options_.memlimit);
  const std::uint64_t max_work = std::max<std::uint64_t>(
      kMaxArgonWork, static_cast<std::uint64_t>(options_.memlimit) * options_.opslimit);
  if (params->mem_bytes > max_mem || params->ops > max_work / params->mem_bytes) {
    return Status(Code::kInvalidInput,
                  "The stored password hash asks for more Argon2 work than custauth allows.");
  }
  const std::string str(stored);  // libsodium wants a NUL-terminated string
  int rc = 0;
  {
    Slot slot(this, weight_for(params->mem_bytes));
    if (!slot.status().ok()) return slot.status();
    errno = 0;
    argon2_verifications_.fetch_add(1);
    rc = crypto_pwhash_str_verify(str.c_str(), password.data(), password.size());
    if (rc != 0 && errno == ENOMEM)
      return Status(Code::kInternal, "Argon2 failed (out of memory).");
  }
  if (rc == 0) return true;
  return mismatch(password, full_cost(params->mem_bytes, params->ops));
}

Result<bool> PasswordHasher::verify_legacy(std::string_view password, std::string_view stored) {
  auto parsed = ParseLegacy(stored);
  if (!parsed.ok()) return parsed.status();
  const LegacyHash& legacy = parsed.value();
  std::uint64_t max_mem = 0;
  bool ran_full_cost = false;
  std::uint64_t argon2_steps = 0;
  for (const LegacyStep& step : legacy.steps) {
    max_mem = std::max(max_mem, step.mem);
    if (step.kind != LegacyStep::kArgon2id) continue;
    ++argon2_steps;
    ran_full_cost = ran_full_cost || full_cost(step.mem, step.ops);
  }
  std::optional<Slot> slot;
  if (max_mem > 0) {
    slot.emplace(this, weight_for(max_mem));
    if (!slot->status().ok()) return slot->status();
  }
  SecretString r;
  argon2_verifications_.fetch_add(argon2_steps);
  CUSTAUTH_RETURN_IF_ERROR(ComputeSteps(password, legacy.salt, legacy.steps, r.get()));
  slot.reset();
  // HASH is hex of the right length (checked by ParseLegacy); compare it in lowercase.
  SecretString expected;
  expected.get().assign(legacy.hash);
  for (char& c : expected.get()) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  if (r.get().size() == expected.get().size() &&
      sodium_memcmp(r.get().data(), expected.get().data(), r.get().size()) == 0) {
    return true;
  }
  return mismatch(password, ran_full_cost);
}

Status PasswordHasher::dummy_verify(std::string_view password) {
  if (dummy_hash_.empty()) return Status::Ok();  // invalid options: nothing to cost (see hash())
  Slot slot(this, 1);
  if (!slot.status().ok()) return slot.status();
  argon2_verifications_.fetch_add(1);
  dummies_.fetch_add(1);
  int rc = crypto_pwhash_str_verify(dummy_hash_.c_str(), password.data(), password.size());
  (void)rc;
  return Status::Ok();
}

bool PasswordHasher::needs_rehash(std::string_view stored) const {
  // Legacy, bcrypt, phpass and $argon2i$ hashes all need it.
  if (stored.substr(0, kArgon2idPrefix.size()) != kArgon2idPrefix) return true;
  if (!ArgonOptionsValid(options_)) return true;
  const std::string str(stored);
  return crypto_pwhash_str_needs_rehash(str.c_str(), options_.opslimit, options_.memlimit) != 0;
}

bool PasswordHasher::IsLegacyFormat(std::string_view stored) {
  return !stored.empty() && stored.front() != '$' && ParseLegacy(stored).ok();
}

namespace legacy {

Result<std::string> Compute(std::string_view password, std::string_view salt,
                            std::string_view versions) {
  auto steps = ParseVersions(versions, salt);
  if (!steps.ok()) return steps.status();
  std::string r;
  CUSTAUTH_RETURN_IF_ERROR(ComputeSteps(password, salt, steps.value(), r));
  return r;
}

}  // namespace legacy

}  // namespace custauth
