// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// PasswordHasher: the current Argon2id format, the platform's legacy HASH:SALT:VERSIONS format
// checked against vectors made by PHP (scripts/gen_legacy_vectors.php), needs_rehash, refusals
// of malformed stored hashes, and the Argon2 concurrency limit.
#include "custauth/password.h"

#include <sodium.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace custauth::password_test {
namespace {

constexpr char kKatPassword[] = "Password123";
constexpr char kKatSalt[] = "abcdefghijklmnopqrstuvwxyzABCDEF";
constexpr char kKatVersions[] = "3_32_2_67108864";
constexpr char kKatHash[] = "bce37f2351ff493135f30ab4d05c5a61cd26723012c9d57257ad2a7ec0854447";

// Verifies, on another thread, a legacy hash slow enough (128 MiB, 3 passes: hundreds of
// milliseconds) for the test to observe the Argon2 slots it holds meanwhile.
class SlowVerification {
 public:
  explicit SlowVerification(PasswordHasher& hasher) {
    auto hash = legacy::Compute("slow-password", "slow-salt", "3_32_3_134217728");
    REQUIRE(hash.ok());
    stored_ = *hash + ":slow-salt:3_32_3_134217728";
    thread_ = std::thread([this, &hasher] {
      result_ = hasher.verify("slow-password", stored_);
      finished_ = true;
    });
  }
  SlowVerification(const SlowVerification&) = delete;
  SlowVerification& operator=(const SlowVerification&) = delete;
  ~SlowVerification() {
    if (thread_.joinable()) thread_.join();
  }

  // Spins (yielding, no sleeping) until `hasher` has `n` slots in flight: true; or until the
  // verification finished first: false.
  bool WaitForInFlight(const PasswordHasher& hasher, int n) {
    while (!finished_.load()) {
      if (hasher.in_flight() == n) return true;
      std::this_thread::yield();
    }
    return false;
  }

  // Waits for the verification and returns its result.
  Result<bool> Join() {
    thread_.join();
    return result_;
  }

 private:
  std::string stored_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  Result<bool> result_ = Status(Code::kInternal, "not run");
};

nlohmann::json LoadVectors() {
  std::ifstream in(CUSTAUTH_SOURCE_DIR "/tests/vectors/legacy_hashes.json");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

TEST_CASE("CheapArgon2ForTests has libsodium's minimum cost") {
  Argon2Options o = CheapArgon2ForTests();
  CHECK(o.opslimit == crypto_pwhash_OPSLIMIT_MIN);
  CHECK(o.memlimit == crypto_pwhash_MEMLIMIT_MIN);
  CHECK(o.max_concurrent == 4);
  CHECK(o.wait_timeout == 10 * kSecond);
  Argon2Options d;
  CHECK(d.opslimit == 2);
  CHECK(d.memlimit == 64u * 1024u * 1024u);
}

TEST_CASE("Legacy known answer from DOMAIN.md") {
  auto hash = legacy::Compute(kKatPassword, kKatSalt, kKatVersions);
  REQUIRE(hash.ok());
  CHECK(*hash == kKatHash);

  PasswordHasher hasher(CheapArgon2ForTests());
  const std::string stored = std::string(kKatHash) + ":" + kKatSalt + ":" + kKatVersions;
  CHECK(PasswordHasher::IsLegacyFormat(stored));
  auto ok = hasher.verify(kKatPassword, stored);
  REQUIRE(ok.ok());
  CHECK(*ok);
  auto wrong = hasher.verify("Password124", stored);
  REQUIRE(wrong.ok());
  CHECK_FALSE(*wrong);
  CHECK(hasher.needs_rehash(stored));
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("Legacy hashes made by PHP verify") {
  const nlohmann::json vectors = LoadVectors();
  const auto& legacy_vectors = vectors.at("legacy");
  REQUIRE(legacy_vectors.size() >= 30);
  PasswordHasher hasher(CheapArgon2ForTests());
  bool saw_kat = false;
  for (const auto& v : legacy_vectors) {
    const std::string password = v.at("password");
    const std::string salt = v.at("salt");
    const std::string versions = v.at("versions");
    const std::string expected = v.at("hash");
    const std::string stored = v.at("stored");
    INFO("stored = " << stored << ", password = " << password);
    saw_kat = saw_kat || expected == kKatHash;

    auto computed = legacy::Compute(password, salt, versions);
    REQUIRE(computed.ok());
    CHECK(*computed == expected);

    CHECK(PasswordHasher::IsLegacyFormat(stored));
    auto right = hasher.verify(password, stored);
    REQUIRE(right.ok());
    CHECK(*right);

    auto extra = hasher.verify(password + "x", stored);
    REQUIRE(extra.ok());
    CHECK_FALSE(*extra);
    auto empty = hasher.verify(password.empty() ? "x" : "", stored);
    REQUIRE(empty.ok());
    CHECK_FALSE(*empty);
    CHECK(hasher.needs_rehash(stored));
  }
  CHECK(saw_kat);
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("Argon2 strings made by PHP verify") {
  const nlohmann::json vectors = LoadVectors();
  const auto& strings = vectors.at("argon2_strings");
  REQUIRE(strings.size() >= 4);
  PasswordHasher cheap(CheapArgon2ForTests());
  for (const auto& v : strings) {
    const std::string password = v.at("password");
    const std::string stored = v.at("stored");
    const std::string algorithm = v.at("algorithm");
    INFO("stored = " << stored);
    CHECK_FALSE(PasswordHasher::IsLegacyFormat(stored));
    auto right = cheap.verify(password, stored);
    REQUIRE(right.ok());
    CHECK(*right);
    auto wrong = cheap.verify(password + "!", stored);
    REQUIRE(wrong.ok());
    CHECK_FALSE(*wrong);
    // Made at m=8 KiB, t=1: current for the cheap options only when it is Argon2id.
    CHECK(cheap.needs_rehash(stored) == (algorithm != "argon2id"));
  }
}

TEST_CASE("VERSIONS omitted means version 1 (sha256), the platform's default") {
  PasswordHasher hasher(CheapArgon2ForTests());
  auto sha = legacy::Compute("secret", "pepper", "1");
  REQUIRE(sha.ok());
  auto ok = hasher.verify("secret", *sha + ":pepper");
  REQUIRE(ok.ok());
  CHECK(*ok);
  auto wrong = hasher.verify("Secret", *sha + ":pepper");
  REQUIRE(wrong.ok());
  CHECK_FALSE(*wrong);
  CHECK(PasswordHasher::IsLegacyFormat(*sha + ":pepper"));

  // An md5 HASH without VERSIONS is not read as md5: its length does not fit sha256.
  auto md5 = legacy::Compute("secret", "pepper", "0");
  REQUIRE(md5.ok());
  auto refused = hasher.verify("secret", *md5 + ":pepper");
  CHECK(refused.code() == Code::kInvalidInput);
  CHECK_FALSE(PasswordHasher::IsLegacyFormat(*md5 + ":pepper"));
}

TEST_CASE("Legacy HASH in upper case verifies, compared as lowercase hex") {
  PasswordHasher hasher(CheapArgon2ForTests());
  auto hash = legacy::Compute("Password123", "abc", "0:1");
  REQUIRE(hash.ok());
  std::string upper = *hash;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(upper != *hash);
  auto ok = hasher.verify("Password123", upper + ":abc:0:1");
  REQUIRE(ok.ok());
  CHECK(*ok);
  auto wrong = hasher.verify("password123", upper + ":abc:0:1");
  REQUIRE(wrong.ok());
  CHECK_FALSE(*wrong);
}

TEST_CASE("Legacy chains feed each step the previous step's lowercase hex") {
  auto md5 = legacy::Compute("pw", "s", "0");
  auto chained = legacy::Compute("pw", "s", "0:1");
  auto by_hand = legacy::Compute(*md5, "s", "1");
  REQUIRE(md5.ok());
  REQUIRE(chained.ok());
  REQUIRE(by_hand.ok());
  CHECK(*chained == *by_hand);
  CHECK(md5->size() == 32);
  CHECK(chained->size() == 64);
  auto argon = legacy::Compute("pw", "s", "3_48_1_8192");
  REQUIRE(argon.ok());
  CHECK(argon->size() == 96);
  CHECK(argon->find_first_not_of("0123456789abcdef") == std::string::npos);
  // salt16 repeats a short salt: "ab" and "abab" give the same 16 bytes, hence the same hash.
  auto ab = legacy::Compute("pw", "ab", "3_32_1_8192");
  auto abab = legacy::Compute("pw", "abab", "3_32_1_8192");
  auto abc = legacy::Compute("pw", "abc", "3_32_1_8192");
  REQUIRE(ab.ok());
  REQUIRE(abab.ok());
  REQUIRE(abc.ok());
  CHECK(*ab == *abab);
  CHECK(*ab != *abc);
  // ... and only the first 16 bytes of a long salt count for Argon2, while digests use all of it.
  auto long1 = legacy::Compute("pw", "0123456789abcdefXXX", "3_32_1_8192");
  auto long2 = legacy::Compute("pw", "0123456789abcdefYYY", "3_32_1_8192");
  REQUIRE(long1.ok());
  REQUIRE(long2.ok());
  CHECK(*long1 == *long2);
  CHECK(*legacy::Compute("pw", "0123456789abcdefXXX", "1") !=
        *legacy::Compute("pw", "0123456789abcdefYYY", "1"));
}

TEST_CASE("hash() makes current Argon2id strings with fresh salts") {
  PasswordHasher hasher(CheapArgon2ForTests());
  auto a = hasher.hash("Password123");
  REQUIRE(a.ok());
  CHECK(a->rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0);
  CHECK_FALSE(PasswordHasher::IsLegacyFormat(*a));
  CHECK_FALSE(hasher.needs_rehash(*a));

  auto ok = hasher.verify("Password123", *a);
  REQUIRE(ok.ok());
  CHECK(*ok);
  for (const char* wrong : {"password123", "Password1234", "Password12", ""}) {
    auto r = hasher.verify(wrong, *a);
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
  }

  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto h = hasher.hash("Password123");
    REQUIRE(h.ok());
    seen.insert(*h);
  }
  CHECK(seen.size() == 20);
  CHECK(seen.count(*a) == 0);

  for (std::string password : {std::string(""), std::string("pässwörd 🔑"), std::string(256, 'x'),
                               std::string("nul\0inside", 10)}) {
    auto h = hasher.hash(password);
    REQUIRE(h.ok());
    auto r = hasher.verify(password, *h);
    REQUIRE(r.ok());
    CHECK(*r);
  }
  // A NUL byte is part of the password, not its end.
  auto h = hasher.hash(std::string("nul\0inside", 10));
  REQUIRE(h.ok());
  auto cut = hasher.verify("nul", *h);
  REQUIRE(cut.ok());
  CHECK_FALSE(*cut);
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("needs_rehash is false only for Argon2id at the current options") {
  PasswordHasher cheap(CheapArgon2ForTests());
  Argon2Options stronger_options = CheapArgon2ForTests();
  stronger_options.opslimit = 2;
  PasswordHasher stronger(stronger_options);

  auto current = cheap.hash("pw");
  auto other = stronger.hash("pw");
  REQUIRE(current.ok());
  REQUIRE(other.ok());
  CHECK_FALSE(cheap.needs_rehash(*current));
  CHECK(cheap.needs_rehash(*other));
  CHECK(stronger.needs_rehash(*current));
  CHECK_FALSE(stronger.needs_rehash(*other));
  // The stronger string still verifies under the cheap options: verification reads the string.
  auto ok = cheap.verify("pw", *other);
  REQUIRE(ok.ok());
  CHECK(*ok);

  char argon2i[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_argon2i_str(argon2i, "pw", 2, 3, crypto_pwhash_MEMLIMIT_MIN) == 0);
  CHECK(cheap.needs_rehash(argon2i));
  auto i_ok = cheap.verify("pw", argon2i);
  REQUIRE(i_ok.ok());
  CHECK(*i_ok);
  // Argon2i needs a rehash even at exactly the current parameters.
  Argon2Options same_as_argon2i = CheapArgon2ForTests();
  same_as_argon2i.opslimit = 3;
  PasswordHasher at_argon2i_params(same_as_argon2i);
  CHECK(at_argon2i_params.needs_rehash(argon2i));
  auto i_id = at_argon2i_params.hash("pw");
  REQUIRE(i_id.ok());
  CHECK_FALSE(at_argon2i_params.needs_rehash(*i_id));

  CHECK(cheap.needs_rehash(std::string(kKatHash) + ":" + kKatSalt + ":" + kKatVersions));
  CHECK(cheap.needs_rehash(*legacy::Compute("pw", "s", "0") + ":s:0"));
  CHECK(cheap.needs_rehash(*legacy::Compute("pw", "s", "1") + ":s"));
  CHECK(cheap.needs_rehash(""));
  CHECK(cheap.needs_rehash("garbage"));
  CHECK(cheap.needs_rehash("$argon2id$garbage"));
  CHECK(cheap.needs_rehash("$2y$10$abcdefghijklmnopqrstuu5Ujd6Qz8xLyM4Yb0nZk7pQ3nN9e1a2"));
}

TEST_CASE("Malformed stored hashes are refused with kInvalidInput") {
  PasswordHasher hasher(CheapArgon2ForTests());
  const std::string md5 = *legacy::Compute("pw", "salt", "0");
  const std::string sha = *legacy::Compute("pw", "salt", "1");
  const std::string h32 = *legacy::Compute("pw", "salt", "3_32_1_8192");
  auto current = hasher.hash("pw");
  REQUIRE(current.ok());

  const std::vector<std::string> malformed = {
      "",
      "garbage",
      "   ",
      "$argon2id$garbage",
      "$argon2id$v=19$m=8,t=1,p=1$",
      "$argon2id$v=16$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
      "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",  // 4-byte salt
      "$argon2id$v=19$m=2097152,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
      "$argon2id$v=19$m=1048576,t=9,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
      "$argon2d$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
      "$2y$10$abcdefghijklmnopqrstuu5Ujd6Qz8xLyM4Yb0nZk7pQ3nN9e1a2",
      current->substr(0, current->size() - 10) + "!!!!!!!!!!",  // not base64
      md5,                                                      // bare HASH, no salt
      "zz" + md5.substr(2) + ":salt:0",                         // not hex
      ":salt:0",                                                // empty HASH
      md5 + "0:salt:0",                                         // wrong length for md5
      md5 + ":salt:1",                                          // md5-length HASH, sha256 version
      sha + ":salt:9",                                          // unknown version
      sha + ":salt:",                                           // empty version
      sha + ":salt:1:",                                         // empty step
      sha + ":salt:01",                                         // not exactly a version
      sha + ":salt: 1",                                         // not exactly a version
      h32 + ":salt:3",                                          // 3 without parameters
      h32 + ":salt:3_32_1",                                     // missing M
      h32 + ":salt:3_32_1_8192_1",                              // extra field
      h32 + ":salt:3__1_8192",                                  // empty S
      h32 + ":salt:3_32_2_x",                                   // M not a number
      h32 + ":salt:3_32_-1_8192",                               // negative O
      *legacy::Compute("pw", "salt", "3_16_1_8192") + ":salt:3_8_2_8192",  // S < 16
      h32 + ":salt:3_65_1_8192",                                           // S > 64
      h32 + ":salt:3_32_0_8192",                          // O below libsodium's minimum
      h32 + ":salt:3_32_4294967296_8192",                 // O above libsodium's maximum
      h32 + ":salt:3_32_1_4096",                          // M below libsodium's minimum
      h32 + ":salt:3_32_1_2147483648",                    // M above 1 GiB
      h32 + ":salt:3_32_1_99999999999999999999999",       // M overflows
      h32 + ":salt:3_32_5_1073741824",                    // 5 GiB-passes of work
      h32 + ":salt:3_32_3_1073741824:3_32_3_1073741824",  // the same, over two steps
      h32 + "::3_32_1_8192",                              // Argon2 step without a salt
      h32 + "::2",                                        // Argon2 step without a salt
      md5 + ":salt:0:0:0:0:0:0:0:0:0",                    // nine steps
  };
  for (const std::string& stored : malformed) {
    INFO("stored = " << stored);
    auto r = hasher.verify("pw", stored);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kInvalidInput);
    CHECK_FALSE(r.status().message().empty());
    CHECK_FALSE(PasswordHasher::IsLegacyFormat(stored));
    CHECK(hasher.needs_rehash(stored));
  }
  auto empty = hasher.verify("pw", "");
  CHECK(empty.status().message() == "The stored password hash is empty.");
  // A bcrypt string one character short: bcrypt is verified (foreign_hash_test.cpp), not this.
  auto bcrypt = hasher.verify("pw", "$2y$10$abcdefghijklmnopqrstuu5Ujd6Qz8xLyM4Yb0nZk7pQ3nN9e1a2");
  CHECK(bcrypt.status().message() ==
        "bcrypt password hash is malformed: expected $2a$, $2b$ or $2y$, a two-digit cost and 53 "
        "characters of bcrypt's base64.");
  auto bare = hasher.verify("pw", md5);
  CHECK(bare.status().message() == "Unsupported password hash format.");

  // The limits themselves are accepted: eight steps, S of 16 and 64.
  const std::string eight = *legacy::Compute("pw", "salt", "0:0:0:0:0:0:0:0");
  auto eight_ok = hasher.verify("pw", eight + ":salt:0:0:0:0:0:0:0:0");
  REQUIRE(eight_ok.ok());
  CHECK(*eight_ok);
  CHECK(legacy::Compute("pw", "salt", "3_16_1_8192").ok());
  CHECK(legacy::Compute("pw", "salt", "3_64_1_8192").ok());
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("legacy::Compute refuses malformed versions") {
  for (const char* versions : {"", ":", "1:", ":1", "4", "9", "a", "3_32_2_x", "3_8_2_8192",
                               "3_32_2_2147483648", "0:0:0:0:0:0:0:0:0", "1::0"}) {
    INFO("versions = " << versions);
    auto r = legacy::Compute("pw", "salt", versions);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Code::kInvalidInput);
  }
  auto no_salt = legacy::Compute("pw", "", "3_32_1_8192");
  CHECK(no_salt.code() == Code::kInvalidInput);
  auto no_salt_v2 = legacy::Compute("pw", "", "0:2");
  CHECK(no_salt_v2.code() == Code::kInvalidInput);
  // Digest steps take an empty salt, as the platform does.
  auto md5 = legacy::Compute("pw", "", "0");
  REQUIRE(md5.ok());
  CHECK(*md5 == "8fe4c11451281c094a6578e6ddbf5eed");  // md5("pw")
}

TEST_CASE("At most max_concurrent Argon2 computations run at once") {
  Argon2Options options = CheapArgon2ForTests();
  options.memlimit = 1024 * 1024;  // long enough to overlap
  options.max_concurrent = 2;
  PasswordHasher hasher(options);
  std::atomic<bool> done{false};
  std::atomic<int> max_seen{0};
  std::atomic<int> failures{0};
  std::thread watcher([&] {
    while (!done.load()) {
      int now = hasher.in_flight();
      int prev = max_seen.load();
      while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
      }
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < 6; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        auto h = hasher.hash("password-" + std::to_string(t));
        if (!h.ok()) {
          ++failures;
          continue;
        }
        auto v = hasher.verify("password-" + std::to_string(t), *h);
        if (!v.ok() || !*v) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  watcher.join();
  CHECK(failures.load() == 0);
  CHECK(max_seen.load() >= 1);
  CHECK(max_seen.load() <= 2);
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("kBusy when no slot frees within wait_timeout") {
  Argon2Options options = CheapArgon2ForTests();
  options.max_concurrent = 1;
  options.wait_timeout = 0;
  PasswordHasher hasher(options);
  auto current = hasher.hash("pw");
  REQUIRE(current.ok());

  SlowVerification holder(hasher);
  REQUIRE(holder.WaitForInFlight(hasher, 1));

  auto busy_hash = hasher.hash("pw");
  REQUIRE_FALSE(busy_hash.ok());
  CHECK(busy_hash.code() == Code::kBusy);
  CHECK_FALSE(busy_hash.status().message().empty());
  auto busy_verify = hasher.verify("pw", *current);
  CHECK(busy_verify.code() == Code::kBusy);
  auto busy_legacy =
      hasher.verify(kKatPassword, std::string(kKatHash) + ":" + kKatSalt + ":" + kKatVersions);
  CHECK(busy_legacy.code() == Code::kBusy);
  CHECK(hasher.dummy_verify("pw").code() == Code::kBusy);  // as verify() of a current hash
  // Digest-only legacy hashes take no slot.
  auto md5_ok = hasher.verify("pw", *legacy::Compute("pw", "s", "0:1") + ":s:0:1");
  REQUIRE(md5_ok.ok());
  CHECK(*md5_ok);

  auto slow_result = holder.Join();
  REQUIRE(slow_result.ok());
  CHECK(*slow_result);
  CHECK(hasher.in_flight() == 0);
  auto free_again = hasher.hash("pw");
  CHECK(free_again.ok());
}

TEST_CASE("A waiting caller gets the slot when it frees") {
  Argon2Options options = CheapArgon2ForTests();
  options.max_concurrent = 1;
  options.wait_timeout = 60 * kSecond;
  PasswordHasher hasher(options);
  SlowVerification holder(hasher);
  REQUIRE(holder.WaitForInFlight(hasher, 1));
  auto h = hasher.hash("pw");  // waits for the holder
  REQUIRE(h.ok());
  auto slow_result = holder.Join();
  REQUIRE(slow_result.ok());
  CHECK(*slow_result);
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("An Argon2 step larger than memlimit takes several slots") {
  Argon2Options options = CheapArgon2ForTests();
  options.max_concurrent = 2;
  options.wait_timeout = 0;
  PasswordHasher hasher(options);
  SlowVerification holder(hasher);
  // 128 MiB against an 8 KiB memlimit: the verification takes both slots.
  REQUIRE(holder.WaitForInFlight(hasher, 2));
  auto busy = hasher.hash("pw");
  CHECK(busy.code() == Code::kBusy);
  auto slow_result = holder.Join();
  REQUIRE(slow_result.ok());
  CHECK(*slow_result);
  CHECK(hasher.in_flight() == 0);
}

TEST_CASE("dummy_verify runs a full verification and returns") {
  PasswordHasher hasher(CheapArgon2ForTests());
  CHECK(hasher.dummy_verify("").ok());
  CHECK(hasher.dummy_verify("Password123").ok());
  CHECK(hasher.dummy_verify(std::string(1000, 'a')).ok());
  CHECK(hasher.in_flight() == 0);
  CHECK(hasher.work_counts().argon2_verifications == 3);
  CHECK(hasher.work_counts().hashes == 0);

  // Also at the platform's default cost (one 64 MiB verification).
  PasswordHasher real;
  CHECK(real.dummy_verify("Password123").ok());
  CHECK(real.in_flight() == 0);
  CHECK(real.work_counts().argon2_verifications == 1);
}

TEST_CASE("Options outside libsodium's limits are refused, not crashed on") {
  Argon2Options options = CheapArgon2ForTests();
  options.memlimit = 1024;  // below crypto_pwhash_MEMLIMIT_MIN
  options.max_concurrent = 0;
  PasswordHasher hasher(options);
  CHECK(hasher.options().max_concurrent == 1);
  auto h = hasher.hash("pw");
  CHECK(h.code() == Code::kInvalidInput);
  CHECK(hasher.dummy_verify("pw").ok());
  auto sha = legacy::Compute("pw", "s", "1");
  auto v = hasher.verify("pw", *sha + ":s:1");
  REQUIRE(v.ok());
  CHECK(*v);
  CHECK(hasher.in_flight() == 0);
}

}  // namespace
}  // namespace custauth::password_test
